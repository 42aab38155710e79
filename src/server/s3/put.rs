//! PutObject: validates the SSE-C triple (catalogue A.1), streams the body into encrypted segments,
//! verifies `Content-MD5` and flexible checksums against the received bytes, then commits.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::dto::*;
use s3s::{S3Error, S3Request, S3Response, S3Result};

use crate::server::crypto::{Binding, ObjectCipher};
use crate::server::error::{internal, no_such_bucket, s3_error};
use crate::server::object_io::{IngestError, ingest};
use crate::server::store::{ObjectMeta, Store};
use crate::sse_c::headers::SERVER_SIDE_ENCRYPTION;
use crate::sse_c::rules::validate_write;
use crate::sse_c::{RawTriple, SseCError, TripleKind};

/// The version id of objects in an unversioned bucket.
pub const NULL_VERSION: &str = "null";

/// Flexible-checksum algorithms as named in `x-amz-checksum-<name>` headers and trailers.
const CHECKSUM_NAMES: [&str; 5] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The checksum algorithms a request declares, by header or by `x-amz-trailer`.
fn requested_checksums(headers: &HeaderMap) -> (ChecksumHasher, Vec<&'static str>) {
    let trailer = header_str(headers, "x-amz-trailer").unwrap_or_default().to_ascii_lowercase();
    let mut hasher = ChecksumHasher::default();
    let mut names = Vec::new();
    for name in CHECKSUM_NAMES {
        let header = format!("x-amz-checksum-{name}");
        if headers.contains_key(header.as_str()) || trailer.split(',').any(|t| t.trim() == header) {
            names.push(name);
            match name {
                "crc32" => hasher.crc32 = Some(Default::default()),
                "crc32c" => hasher.crc32c = Some(Default::default()),
                "crc64nvme" => hasher.crc64nvme = Some(Default::default()),
                "sha1" => hasher.sha1 = Some(Default::default()),
                _ => hasher.sha256 = Some(Default::default()),
            }
        }
    }
    (hasher, names)
}

fn computed(sum: &Checksum, name: &str) -> Option<String> {
    match name {
        "crc32" => sum.checksum_crc32.clone(),
        "crc32c" => sum.checksum_crc32c.clone(),
        "crc64nvme" => sum.checksum_crc64nvme.clone(),
        "sha1" => sum.checksum_sha1.clone(),
        _ => sum.checksum_sha256.clone(),
    }
}

/// Parses `Content-MD5`: 400 `InvalidDigest` unless it is base64 of 16 bytes.
fn content_md5(value: Option<&str>) -> S3Result<Option<[u8; 16]>> {
    let Some(v) = value else { return Ok(None) };
    B64.decode(v)
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b).ok())
        .map(Some)
        .ok_or_else(|| s3_error(400, "InvalidDigest", "The Content-MD5 you specified was invalid."))
}

fn body_error(e: &IngestError) -> S3Error {
    match e {
        IngestError::Body(msg) if msg.to_ascii_lowercase().contains("signature") => s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
        IngestError::Body(_) => s3_error(
            400,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        ),
        IngestError::Store(e) => internal(e),
    }
}

/// Rejects write requests whose SSE-C parameters are invalid, returning the valid triple if any.
pub fn write_triple(headers: &HeaderMap) -> S3Result<Option<crate::sse_c::ValidTriple>> {
    // P15: copy-source parameters without a copy source (AWS not observed; MinIO's answer).
    if !RawTriple::from_headers(headers, TripleKind::CopySource).is_absent() {
        return Err(SseCError::NotApplicable.into());
    }
    let raw = RawTriple::from_headers(headers, TripleKind::Request);
    Ok(validate_write(&raw, header_str(headers, SERVER_SIDE_ENCRYPTION))?)
}

pub async fn put_object(store: &Store, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
    let headers = &req.headers;
    let input = req.input;
    if !store.bucket_exists(&input.bucket) {
        return Err(no_such_bucket());
    }
    let triple = write_triple(headers)?;
    let expected_md5 = content_md5(input.content_md5.as_deref())?;
    let (hasher, checksum_names) = requested_checksums(headers);

    let binding = Binding::new(&input.bucket, &input.key, NULL_VERSION, 0);
    let cipher = triple.as_ref().map(|_| ObjectCipher::generate(binding));
    let mut sink = store.begin().map_err(|e| internal(&e))?;
    let ingested = ingest(input.body, cipher.as_ref(), &mut sink, hasher).await.map_err(|e| body_error(&e))?;

    if let Some(declared) = input.content_length
        && u64::try_from(declared).ok() != Some(ingested.size)
    {
        return Err(body_error(&IngestError::Body("length".into())));
    }
    if expected_md5.is_some_and(|m| m != ingested.md5) {
        return Err(s3_error(400, "BadDigest", "The Content-MD5 you specified did not match what we received."));
    }
    let mut output = PutObjectOutput::default();
    for name in checksum_names {
        let header = format!("x-amz-checksum-{name}");
        let sent = header_str(headers, &header).map(str::to_owned).or_else(|| {
            req.trailing_headers
                .as_ref()
                .and_then(|t| t.read(|h| h.get(header.as_str()).and_then(|v| v.to_str().ok()).map(str::to_owned)))
                .flatten()
        });
        let ours = computed(&ingested.checksums, name);
        if sent.is_none() || sent != ours {
            let alg = name.to_ascii_uppercase();
            return Err(s3_error(
                400,
                "BadDigest",
                format!("The {alg} you specified did not match the calculated checksum."),
            ));
        }
    }
    output.checksum_crc32 = ingested.checksums.checksum_crc32.clone();
    output.checksum_crc32c = ingested.checksums.checksum_crc32c.clone();
    output.checksum_crc64nvme = ingested.checksums.checksum_crc64nvme.clone();
    output.checksum_sha1 = ingested.checksums.checksum_sha1.clone();
    output.checksum_sha256 = ingested.checksums.checksum_sha256.clone();

    // An SSE-C ETag is random: never the plaintext MD5, different on every upload (P1, section D.4).
    let etag = match &triple {
        Some(_) => {
            let mut r = [0u8; 16];
            rand::fill(&mut r);
            hex::encode(r)
        }
        None => hex::encode(ingested.md5),
    };
    let sse_c = match (&cipher, &triple) {
        (Some(c), Some(t)) => Some(c.seal(&t.key, ingested.size)),
        _ => None,
    };
    let meta = ObjectMeta {
        bucket: input.bucket,
        key: input.key,
        version_id: NULL_VERSION.to_owned(),
        size: ingested.size,
        etag: etag.clone(),
        last_modified_ms: now_ms(),
        content_type: input.content_type,
        user_metadata: input.metadata.unwrap_or_default().into_iter().collect(),
        sse_c,
    };
    store.commit(meta, sink).await.map_err(|e| match e {
        crate::server::store::CommitError::NoSuchBucket => no_such_bucket(),
        crate::server::store::CommitError::Io => internal(&e),
    })?;

    output.e_tag = Some(ETag::Strong(etag));
    if let Some(t) = triple {
        output.sse_customer_algorithm = Some(crate::sse_c::headers::AES256.to_owned());
        output.sse_customer_key_md5 = Some(t.key_md5);
    }
    Ok(S3Response::new(output))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
