//! `Content-MD5` and flexible checksums (`x-amz-checksum-*`, sent as headers or aws-chunked trailers),
//! verified against the bytes actually received.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::{S3Result, TrailingHeaders};

use crate::server::checksum::Algorithm;
use crate::server::error::s3_error;
use crate::server::object_io::Ingested;

/// What a request promises about its body.
#[derive(Debug, Default)]
pub(super) struct Declared {
    content_md5: Option<[u8; 16]>,
    checksums: Vec<Algorithm>,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Declared {
    /// Reads `Content-MD5` (400 `InvalidDigest` unless base64 of 16 bytes) and the checksum
    /// algorithms declared by header or by `x-amz-trailer`; returns the hasher to feed the body to.
    pub(super) fn from_request(headers: &HeaderMap, content_md5: Option<&str>) -> S3Result<(Self, ChecksumHasher)> {
        let content_md5 = match content_md5 {
            None => None,
            Some(v) => Some(
                B64.decode(v)
                    .ok()
                    .and_then(|b| <[u8; 16]>::try_from(b).ok())
                    .ok_or_else(|| s3_error(400, "InvalidDigest", "The Content-MD5 you specified was invalid."))?,
            ),
        };
        let trailer = header_str(headers, "x-amz-trailer").unwrap_or_default().to_ascii_lowercase();
        let mut hasher = ChecksumHasher::default();
        let mut checksums = Vec::new();
        for algorithm in Algorithm::ALL {
            let header = algorithm.header();
            if headers.contains_key(header) || trailer.split(',').any(|t| t.trim() == header) {
                checksums.push(algorithm);
                algorithm.enable(&mut hasher);
            }
        }
        Ok((Self { content_md5, checksums }, hasher))
    }

    /// The checksum algorithm the request sent a value for (by header or trailer), if any.
    #[must_use]
    pub(crate) fn algorithm(&self) -> Option<Algorithm> {
        self.checksums.first().copied()
    }

    /// Whether the request sent a `Content-MD5`.
    #[must_use]
    pub(super) fn has_content_md5(&self) -> bool {
        self.content_md5.is_some()
    }

    /// Checks the received body: 400 `BadDigest` when `Content-MD5` or a checksum differs.
    pub(super) fn verify(
        &self,
        got: &Ingested,
        headers: &HeaderMap,
        trailers: Option<&TrailingHeaders>,
    ) -> S3Result<()> {
        if self.content_md5.is_some_and(|m| Some(m) != got.md5) {
            return Err(s3_error(400, "BadDigest", "The Content-MD5 you specified did not match what we received."));
        }
        for algorithm in &self.checksums {
            let header = algorithm.header();
            let sent = header_str(headers, header).map(str::to_owned).or_else(|| {
                trailers
                    .and_then(|t| t.read(|h| h.get(header).and_then(|v| v.to_str().ok()).map(str::to_owned)))
                    .flatten()
            });
            if sent.is_none() || sent != algorithm.value_in(&got.checksums) {
                let alg = algorithm.name();
                return Err(s3_error(
                    400,
                    "BadDigest",
                    format!("The {alg} you specified did not match the calculated checksum."),
                ));
            }
        }
        Ok(())
    }
}
