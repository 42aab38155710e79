//! Flexible checksums of stored objects (catalogue A7.2–A7.4): the algorithm, full-object or
//! composite, how a multipart object's checksum is made from its parts', and how it is kept.
//!
//! A checksum of the plaintext answers "is this object equal to that guess?" as surely as a
//! plaintext MD5 ETag, so an SSE-C object's checksum is stored only sealed under its data key
//! ([`crate::server::crypto::ChecksumKey`]) and is served only to a request that presents the key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, ChecksumAlgorithm, ChecksumType};
use serde::{Deserialize, Serialize};

use crate::server::crypto::{ChecksumKey, SealedChecksum};

/// A flexible-checksum algorithm, named as in S3 (`CRC32`, …, also in scenario files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// CRC-32 (ISO HDLC).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME: what S3 computes when a request names no checksum.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Self; 5] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha1, Self::Sha256];

    /// The name in `x-amz-checksum-algorithm` and XML (`CRC32`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The request and response header carrying a value (`x-amz-checksum-crc32`, …).
    #[must_use]
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm of a name, in any case.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The algorithm of an s3s `ChecksumAlgorithm`.
    #[must_use]
    pub fn of(dto: &ChecksumAlgorithm) -> Option<Self> {
        Self::parse(dto.as_str())
    }

    fn crc(self) -> Option<crc_fast::CrcAlgorithm> {
        match self {
            Self::Crc32 => Some(crc_fast::CrcAlgorithm::Crc32IsoHdlc),
            Self::Crc32c => Some(crc_fast::CrcAlgorithm::Crc32Iscsi),
            Self::Crc64Nvme => Some(crc_fast::CrcAlgorithm::Crc64Nvme),
            Self::Sha1 | Self::Sha256 => None,
        }
    }

    /// Makes `hasher` compute this algorithm too.
    pub fn enable(self, hasher: &mut ChecksumHasher) {
        match self {
            Self::Crc32 => hasher.crc32 = hasher.crc32.take().or_else(|| Some(Default::default())),
            Self::Crc32c => hasher.crc32c = hasher.crc32c.take().or_else(|| Some(Default::default())),
            Self::Crc64Nvme => hasher.crc64nvme = hasher.crc64nvme.take().or_else(|| Some(Default::default())),
            Self::Sha1 => hasher.sha1 = hasher.sha1.take().or_else(|| Some(Default::default())),
            Self::Sha256 => hasher.sha256 = hasher.sha256.take().or_else(|| Some(Default::default())),
        }
    }

    /// Base64 of this algorithm's checksum of `data`.
    #[must_use]
    pub fn compute(self, data: &[u8]) -> String {
        let mut hasher = ChecksumHasher::default();
        self.enable(&mut hasher);
        hasher.update(data);
        self.value_in(&hasher.finalize()).unwrap_or_default()
    }

    /// This algorithm's value in a set of computed checksums.
    #[must_use]
    pub fn value_in(self, sums: &Checksum) -> Option<String> {
        match self {
            Self::Crc32 => sums.checksum_crc32.clone(),
            Self::Crc32c => sums.checksum_crc32c.clone(),
            Self::Crc64Nvme => sums.checksum_crc64nvme.clone(),
            Self::Sha1 => sums.checksum_sha1.clone(),
            Self::Sha256 => sums.checksum_sha256.clone(),
        }
    }

    /// A set of checksums holding only `value` for this algorithm.
    #[must_use]
    pub fn only(self, value: String) -> Checksum {
        let mut sums = Checksum::default();
        match self {
            Self::Crc32 => sums.checksum_crc32 = Some(value),
            Self::Crc32c => sums.checksum_crc32c = Some(value),
            Self::Crc64Nvme => sums.checksum_crc64nvme = Some(value),
            Self::Sha1 => sums.checksum_sha1 = Some(value),
            Self::Sha256 => sums.checksum_sha256 = Some(value),
        }
        sums
    }

    /// Whether a multipart upload may ask for a full-object checksum (CRCs combine; digests do not).
    #[must_use]
    pub fn combines(self) -> bool {
        self.crc().is_some()
    }

    /// The type a multipart upload gets when it names this algorithm and no type: CRC64NVME is
    /// full-object only, the others are composite by default.
    #[must_use]
    pub fn default_multipart_kind(self) -> Kind {
        if self == Self::Crc64Nvme { Kind::FullObject } else { Kind::Composite }
    }
}

/// How a checksum covers the object (`FULL_OBJECT` or `COMPOSITE`, as in `x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Kind {
    /// Over the object's bytes (every single PUT; a multipart upload of a CRC that asked for it).
    FullObject,
    /// Over the concatenated part checksums, with the part count after a `-`.
    Composite,
}

impl Kind {
    /// The `x-amz-checksum-type` value.
    #[must_use]
    pub fn dto(self) -> ChecksumType {
        ChecksumType::from_static(match self {
            Self::FullObject => ChecksumType::FULL_OBJECT,
            Self::Composite => ChecksumType::COMPOSITE,
        })
    }

    /// The kind named by an s3s `ChecksumType`.
    #[must_use]
    pub fn of(dto: &ChecksumType) -> Option<Self> {
        match dto.as_str() {
            ChecksumType::FULL_OBJECT => Some(Self::FullObject),
            ChecksumType::COMPOSITE => Some(Self::Composite),
            _ => None,
        }
    }
}

/// An object's checksum, as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChecksum {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Full-object or composite.
    pub kind: Kind,
    /// Base64 of the checksum, with `-N` after a composite one.
    pub value: String,
}

impl ObjectChecksum {
    /// The s3s fields: the value under its algorithm, and the type.
    #[must_use]
    pub fn dto(&self) -> Checksum {
        let mut sums = self.algorithm.only(self.value.clone());
        sums.checksum_type = Some(self.kind.dto());
        sums
    }

    /// The checksum of a multipart object from its parts' (`(checksum, plaintext size)` in part
    /// order, each base64 of this algorithm over the part); `None` when a part's value is not
    /// valid base64 of the algorithm's width, or a full-object digest is asked for.
    #[must_use]
    pub fn of_parts(algorithm: Algorithm, kind: Kind, parts: &[(String, u64)]) -> Option<Self> {
        let raw: Vec<Vec<u8>> = parts.iter().map(|(v, _)| B64.decode(v).ok()).collect::<Option<_>>()?;
        let value = match kind {
            Kind::Composite => format!("{}-{}", algorithm.compute(&raw.concat()), parts.len()),
            Kind::FullObject => {
                let crc = algorithm.crc()?;
                let mut combined: Option<u64> = None;
                for (r, (_, size)) in raw.iter().zip(parts) {
                    let value = be_u64(r)?;
                    combined = Some(match combined {
                        None => value,
                        Some(c) => crc_fast::checksum_combine(crc, c, value, *size),
                    });
                }
                let combined = combined?;
                if algorithm == Algorithm::Crc64Nvme {
                    B64.encode(combined.to_be_bytes())
                } else {
                    B64.encode(u32::try_from(combined).ok()?.to_be_bytes())
                }
            }
        };
        Some(Self { algorithm, kind, value })
    }
}

/// A big-endian CRC of 4 or 8 bytes.
fn be_u64(raw: &[u8]) -> Option<u64> {
    match raw.len() {
        4 => Some(u64::from(u32::from_be_bytes(raw.try_into().ok()?))),
        8 => Some(u64::from_be_bytes(raw.try_into().ok()?)),
        _ => None,
    }
}

/// An object's checksum as stored: in the clear for a plain object, sealed for an SSE-C one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredChecksum {
    /// A plain object's checksum.
    Plain(ObjectChecksum),
    /// An SSE-C object's checksum, sealed under a key derived from its data key.
    Sealed(SealedChecksum),
}

impl StoredChecksum {
    /// Stores `sum`, sealed when a key is given.
    #[must_use]
    pub fn keep(sum: ObjectChecksum, key: Option<&ChecksumKey>) -> Self {
        match key {
            None => Self::Plain(sum),
            Some(k) => Self::Sealed(k.seal(&serde_json::to_vec(&sum).unwrap_or_default())),
        }
    }

    /// The checksum, opened with the object's key when sealed (`None` without it, or when the
    /// sealed record fails authentication).
    #[must_use]
    pub fn reveal(&self, key: Option<&ChecksumKey>) -> Option<ObjectChecksum> {
        match (self, key) {
            (Self::Plain(sum), _) => Some(sum.clone()),
            (Self::Sealed(sealed), Some(k)) => serde_json::from_slice(&k.open(sealed)?).ok(),
            (Self::Sealed(_), None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(algorithm: Algorithm, data: &[u8]) -> String {
        algorithm.compute(data)
    }

    #[test]
    fn known_values() {
        assert_eq!(Algorithm::Crc32.compute(b"hello world"), "DUoRhQ==");
        assert_eq!(Algorithm::Sha256.compute(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    #[test]
    fn full_object_crc_of_parts_equals_the_crc_of_the_whole() {
        let (a, b, c) = (vec![1u8; 1000], vec![2u8; 77], vec![3u8; 5]);
        let whole = [a.clone(), b.clone(), c.clone()].concat();
        for algorithm in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let parts: Vec<(String, u64)> = [&a, &b, &c].iter().map(|p| (sum(algorithm, p), p.len() as u64)).collect();
            let combined = ObjectChecksum::of_parts(algorithm, Kind::FullObject, &parts).unwrap();
            assert_eq!(combined.value, sum(algorithm, &whole), "{algorithm:?}");
        }
        assert_eq!(ObjectChecksum::of_parts(Algorithm::Sha256, Kind::FullObject, &[]), None);
    }

    #[test]
    fn composite_is_the_checksum_of_the_part_checksums_with_the_count() {
        let parts = [(sum(Algorithm::Sha256, b"one"), 3), (sum(Algorithm::Sha256, b"two"), 3)];
        let raw = [B64.decode(&parts[0].0).unwrap(), B64.decode(&parts[1].0).unwrap()].concat();
        let got = ObjectChecksum::of_parts(Algorithm::Sha256, Kind::Composite, &parts).unwrap();
        assert_eq!(got.value, format!("{}-2", sum(Algorithm::Sha256, &raw)));
    }
}
