//! Checksums of multipart uploads (A7.4, A7.6): the algorithm and type named at initiation, each
//! part's checksums, and the completed object's full-object or composite checksum.

use s3s::S3Result;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, ChecksumAlgorithm, ChecksumType};

use super::digests::Declared;
use crate::server::checksum::{Algorithm, Kind, ObjectChecksum};
use crate::server::error::s3_error;
use crate::server::store::UploadedPart;

/// The algorithm and type of a CreateMultipartUpload. A type without an algorithm, a full-object
/// digest and a composite CRC64NVME are refused with 400 `InvalidRequest` (K10: AWS documents the
/// combinations; its answer to the wrong ones was not observed: chosen).
pub(crate) fn requested(
    algorithm: Option<&ChecksumAlgorithm>,
    kind: Option<&ChecksumType>,
) -> S3Result<Option<(Algorithm, Kind)>> {
    let invalid = |msg: String| Err(s3_error(400, "InvalidRequest", msg));
    let Some(name) = algorithm else {
        return match kind {
            None => Ok(None),
            Some(_) => invalid(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.".into(),
            ),
        };
    };
    let Some(algorithm) = Algorithm::of(name) else {
        return invalid(format!(
            "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256] ({})",
            name.as_str()
        ));
    };
    let kind = match kind {
        None => algorithm.default_multipart_kind(),
        Some(k) => match Kind::of(k) {
            Some(k) => k,
            None => return invalid(format!("Value for x-amz-checksum-type header is invalid: {}", k.as_str())),
        },
    };
    if (kind == Kind::FullObject && !algorithm.combines())
        || (kind == Kind::Composite && algorithm == Algorithm::Crc64Nvme)
    {
        let type_name = if kind == Kind::FullObject { "FULL_OBJECT" } else { "COMPOSITE" };
        return invalid(format!(
            "The {type_name} checksum type cannot be used with the {} checksum algorithm.",
            algorithm.name().to_ascii_lowercase()
        ));
    }
    Ok(Some((algorithm, kind)))
}

/// The hasher of a part: CRC64NVME (the default object checksum), the upload's algorithm and the
/// one the request sent. A part sending another algorithm than the upload's is refused (K11: AWS
/// answer not observed: chosen).
pub(crate) fn part_hasher(upload: Option<(Algorithm, Kind)>, declared: Option<&Declared>) -> S3Result<ChecksumHasher> {
    let mut hasher = ChecksumHasher::default();
    Algorithm::Crc64Nvme.enable(&mut hasher);
    let sent = declared.and_then(Declared::algorithm);
    if let (Some((expected, _)), Some(sent)) = (upload, sent)
        && expected != sent
    {
        return Err(s3_error(
            400,
            "InvalidRequest",
            format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                expected.name().to_ascii_lowercase(),
                sent.name().to_ascii_lowercase()
            ),
        ));
    }
    for a in upload.map(|(a, _)| a).into_iter().chain(sent) {
        a.enable(&mut hasher);
    }
    Ok(hasher)
}

/// The checksums a part's answer (UploadPart, UploadPartCopy, ListParts) shows: the upload's
/// algorithm and the one the request sent, never the internal CRC64NVME of an upload without one.
pub(crate) fn shown(upload: Option<(Algorithm, Kind)>, sent: Option<Algorithm>, sums: &Checksum) -> Checksum {
    let mut out = Checksum::default();
    for a in upload.map(|(a, _)| a).into_iter().chain(sent) {
        if let Some(v) = a.value_in(sums) {
            let one = a.only(v);
            out.checksum_crc32 = out.checksum_crc32.or(one.checksum_crc32);
            out.checksum_crc32c = out.checksum_crc32c.or(one.checksum_crc32c);
            out.checksum_crc64nvme = out.checksum_crc64nvme.or(one.checksum_crc64nvme);
            out.checksum_sha1 = out.checksum_sha1.or(one.checksum_sha1);
            out.checksum_sha256 = out.checksum_sha256.or(one.checksum_sha256);
        }
    }
    out
}

/// The completed object's checksum: the upload's algorithm and type, or a full-object CRC64NVME
/// when it named none (A7.3).
#[must_use]
pub(crate) fn of_object(upload: Option<(Algorithm, Kind)>, parts: &[&UploadedPart]) -> Option<ObjectChecksum> {
    let (algorithm, kind) = upload.unwrap_or((Algorithm::Crc64Nvme, Kind::FullObject));
    let values: Vec<(String, u64)> =
        parts.iter().map(|p| Some((algorithm.value_in(&p.checksums)?, p.size))).collect::<Option<_>>()?;
    ObjectChecksum::of_parts(algorithm, kind, &values)
}

/// Whether a part named in CompleteMultipartUpload carries a checksum that differs from the
/// stored part's.
pub(crate) fn differs(named: &s3s::dto::CompletedPart, stored: &UploadedPart) -> bool {
    let pairs = [
        (&named.checksum_crc32, &stored.checksums.checksum_crc32),
        (&named.checksum_crc32c, &stored.checksums.checksum_crc32c),
        (&named.checksum_crc64nvme, &stored.checksums.checksum_crc64nvme),
        (&named.checksum_sha1, &stored.checksums.checksum_sha1),
        (&named.checksum_sha256, &stored.checksums.checksum_sha256),
    ];
    pairs.iter().any(|(n, s)| n.is_some() && n != s)
}
