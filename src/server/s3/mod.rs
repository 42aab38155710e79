//! The S3 operations of the reference server, one file per family, behind s3s's [`S3`] trait.
//!
//! s3s has already routed the request, verified its SigV4 signature (header, presigned, POST policy
//! or aws-chunked) and parsed it; these handlers implement the AWS column of the behaviour catalogue.

/// Takes an s3s input's SSE-C triple fields (`sse_customer_*`) as a [`crate::sse_c::RawTriple`],
/// leaving `None` behind so the key text lives only in the triple, which wipes it when dropped.
macro_rules! take_triple {
    ($input:expr) => {
        $crate::sse_c::RawTriple::new(
            $input.sse_customer_algorithm.take(),
            $input.sse_customer_key.take(),
            $input.sse_customer_key_md5.take(),
        )
    };
}

/// The `x-amz-copy-source-if-*` preconditions of a CopyObject or UploadPartCopy input.
macro_rules! copy_source_conditions {
    ($input:expr) => {
        $crate::server::s3::preconditions::Conditions {
            if_match: $input.copy_source_if_match.as_ref(),
            if_none_match: $input.copy_source_if_none_match.as_ref(),
            if_modified_since: $input.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: $input.copy_source_if_unmodified_since.as_ref(),
        }
    };
}

/// [`take_triple!`] for the copy-source triple (`copy_source_sse_customer_*`).
macro_rules! take_copy_source_triple {
    ($input:expr) => {
        $crate::sse_c::RawTriple::new(
            $input.copy_source_sse_customer_algorithm.take(),
            $input.copy_source_sse_customer_key.take(),
            $input.copy_source_sse_customer_key_md5.take(),
        )
    };
}

/// Sets the five `checksum_*` fields of an s3s output from an `s3s::dto::Checksum` (and, with
/// `with type`, its `checksum_type`).
macro_rules! set_checksums {
    ($output:expr, $sums:expr) => {{
        let sums: s3s::dto::Checksum = $sums;
        $output.checksum_crc32 = sums.checksum_crc32;
        $output.checksum_crc32c = sums.checksum_crc32c;
        $output.checksum_crc64nvme = sums.checksum_crc64nvme;
        $output.checksum_sha1 = sums.checksum_sha1;
        $output.checksum_sha256 = sums.checksum_sha256;
    }};
    ($output:expr, $sums:expr, with type) => {{
        let sums: s3s::dto::Checksum = $sums;
        $output.checksum_type = sums.checksum_type.clone();
        set_checksums!($output, sums);
    }};
}

mod attributes;
mod bucket;
mod bucket_policy;
mod copy;
mod delete;
mod digests;
mod get;
mod guard;
mod list;
mod lookup;
mod multipart;
mod part_checksums;
mod preconditions;
mod put;
mod read_access;
pub(crate) mod received;
mod tagging;
mod versioning;
mod write;

use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

use super::store::Store;

/// The reference implementation of the S3 operations.
#[derive(Debug, Clone)]
pub(super) struct ReferenceS3 {
    store: Arc<Store>,
    /// CompleteMultipartUpload's minimum for every part but the last ([`super::Limits::min_part_size`]).
    min_part_size: u64,
}

impl ReferenceS3 {
    /// Serves objects from `store`.
    #[must_use]
    pub(super) fn new(store: Arc<Store>, min_part_size: u64) -> Self {
        Self { store, min_part_size }
    }
}

#[async_trait::async_trait]
impl S3 for ReferenceS3 {
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        bucket::create(&self.store, req)
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        bucket::head(&self.store, req)
    }

    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        bucket::delete(&self.store, req)
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        bucket_policy::put(&self.store, req)
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        bucket_policy::get(&self.store, req)
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        bucket_policy::delete(&self.store, req)
    }

    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        bucket::list(&self.store, req)
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        list::list_objects_v2(&self.store, req)
    }

    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        list::list_objects(&self.store, req)
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        put::put_object(&self.store, req).await
    }

    async fn post_object(&self, req: S3Request<PostObjectInput>) -> S3Result<S3Response<PostObjectOutput>> {
        put::post_object(&self.store, req).await
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        get::get_object(&self.store, req).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        get::head_object(&self.store, req).await
    }

    async fn get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        attributes::get_object_attributes(&self.store, req)
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        copy::copy_object(&self.store, req).await
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        delete::delete_object(&self.store, req).await
    }

    async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        tagging::put(&self.store, req)
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        tagging::get(&self.store, req)
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        tagging::delete(&self.store, req)
    }

    async fn get_object_acl(&self, req: S3Request<GetObjectAclInput>) -> S3Result<S3Response<GetObjectAclOutput>> {
        tagging::get_acl(&self.store, req)
    }

    async fn put_object_acl(&self, req: S3Request<PutObjectAclInput>) -> S3Result<S3Response<PutObjectAclOutput>> {
        tagging::put_acl(&self.store, req)
    }

    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        delete::delete_objects(&self.store, req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        multipart::create(&self.store, req)
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        multipart::upload_part(&self.store, req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        multipart::upload_part_copy(&self.store, req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        multipart::complete(&self.store, self.min_part_size, req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        multipart::abort(&self.store, req)
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        multipart::list_parts(&self.store, req)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        multipart::list_uploads(&self.store, req)
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        versioning::put_bucket_versioning(&self.store, req)
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        versioning::get_bucket_versioning(&self.store, req)
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        versioning::list_object_versions(&self.store, req)
    }
}
