//! `aws-chunked` request bodies: the streaming payload modes of SigV4, in which the body is sent as
//! chunks, each signed (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) or followed by trailing headers that
//! carry a checksum (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`).

use std::time::SystemTime;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use bytes::{BufMut as _, Bytes, BytesMut};
use sha2::{Digest as _, Sha256};

/// How a request's body is covered by its signature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Payload {
    /// `x-amz-content-sha256` is the SHA-256 of the body.
    #[default]
    Signed,
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD`: the body is not signed.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: chunks of this many bytes, each signed in a chain that
    /// starts at the request's signature.
    StreamingSigned {
        /// Bytes of body per chunk (the last may be shorter).
        chunk_size: usize,
    },
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then trailing headers (a checksum).
    StreamingUnsignedTrailer {
        /// Bytes of body per chunk (the last may be shorter).
        chunk_size: usize,
        /// Trailing headers, announced in `x-amz-trailer`.
        trailers: Vec<(String, String)>,
    },
}

impl Payload {
    /// The `x-amz-content-sha256` value of a streaming or unsigned mode (`None` for a signed body).
    #[must_use]
    pub fn content_sha256(&self) -> Option<&'static str> {
        match self {
            Self::Signed => None,
            Self::Unsigned => Some("UNSIGNED-PAYLOAD"),
            Self::StreamingSigned { .. } => Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            Self::StreamingUnsignedTrailer { .. } => Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        }
    }

    /// Whether the body goes as `aws-chunked`.
    #[must_use]
    pub fn is_streaming(&self) -> bool {
        matches!(self, Self::StreamingSigned { .. } | Self::StreamingUnsignedTrailer { .. })
    }
}

/// Signs the chunks of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body: each signature covers the
/// previous one (the first, the request's "seed" signature) and the chunk's SHA-256.
pub struct ChunkSigner {
    signing_key: Vec<u8>,
    amz_date: String,
    scope: String,
    previous: String,
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner").field("scope", &self.scope).finish_non_exhaustive()
    }
}

/// SHA-256 of the empty string, in hex.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl ChunkSigner {
    /// A signer for a request signed at `time` (its `x-amz-date` is `amz_date`) with `seed` as
    /// its signature.
    #[must_use]
    pub fn new(secret: &str, time: SystemTime, amz_date: &str, region: &str, seed: &str) -> Self {
        let day = amz_date.get(..8).unwrap_or_default();
        Self {
            signing_key: generate_signing_key(secret, time, region, "s3").as_ref().to_vec(),
            amz_date: amz_date.to_owned(),
            scope: format!("{day}/{region}/s3/aws4_request"),
            previous: seed.to_owned(),
        }
    }

    /// The signature of the next chunk (the empty final chunk included).
    pub fn sign(&mut self, chunk: &[u8]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            hex::encode(Sha256::digest(chunk))
        );
        self.previous = calculate_signature(&self.signing_key, string_to_sign.as_bytes());
        self.previous.clone()
    }
}

/// The chunks of `body`, each at most `chunk_size` bytes, then the empty final chunk.
fn chunks(body: &[u8], chunk_size: usize) -> impl Iterator<Item = &[u8]> {
    body.chunks(chunk_size.max(1)).chain(std::iter::once(&[][..]))
}

/// A `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body: `hex-size;chunk-signature=SIG\r\n` data `\r\n`
/// per chunk. Without a signer, every signature is 64 zeros (for the length, which is signed).
#[must_use]
pub fn signed_body(body: &[u8], chunk_size: usize, mut signer: Option<&mut ChunkSigner>) -> Bytes {
    let mut out = BytesMut::with_capacity(body.len() + 128);
    for chunk in chunks(body, chunk_size) {
        let signature = signer.as_deref_mut().map_or_else(|| "0".repeat(64), |s| s.sign(chunk));
        out.put_slice(format!("{:x};chunk-signature={signature}\r\n", chunk.len()).as_bytes());
        out.put_slice(chunk);
        out.put_slice(b"\r\n");
    }
    out.freeze()
}

/// A `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body: `hex-size\r\n` data `\r\n` per chunk, then the
/// trailing headers after the final empty chunk.
#[must_use]
pub fn unsigned_trailer_body(body: &[u8], chunk_size: usize, trailers: &[(String, String)]) -> Bytes {
    let mut out = BytesMut::with_capacity(body.len() + 128);
    for chunk in chunks(body, chunk_size) {
        out.put_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.put_slice(chunk);
        if !chunk.is_empty() {
            out.put_slice(b"\r\n");
        }
    }
    for (name, value) in trailers {
        out.put_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    out.put_slice(b"\r\n");
    out.freeze()
}
