//! Streaming object bodies in and out of the store, segment by segment.
//!
//! Upload: the request body is cut into [`SEGMENT_SIZE`] plaintext segments, each encrypted (SSE-C)
//! and appended to the store as it arrives; digests of the plaintext are computed on the way. Download:
//! only the segments covering the requested range are read and decrypted. Neither direction holds more
//! than one segment of an object in memory.

use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use md5::{Digest as _, Md5};
use s3s::checksum::ChecksumHasher;
use s3s::dto::StreamingBlob;

use super::crypto::{ObjectCipher, SEGMENT_SIZE, SegmentTampered, TAG_LEN, segment_count};
use super::store::{SegmentReader, SegmentSink};

/// What an upload produced.
#[derive(Debug)]
pub struct Ingested {
    /// Plaintext bytes received.
    pub size: u64,
    /// MD5 of the plaintext.
    pub md5: [u8; 16],
    /// Checksums computed over the plaintext (the algorithms the request asked for).
    pub checksums: s3s::dto::Checksum,
}

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body stream failed (client went away, bad chunk signature, malformed aws-chunked body).
    #[error("request body: {0}")]
    Body(String),
    /// Writing to the store failed.
    #[error("storage: {0}")]
    Store(#[from] std::io::Error),
}

/// Reads the whole body into segments: encrypted under `cipher` when given, plaintext otherwise.
pub async fn ingest(
    body: Option<StreamingBlob>,
    cipher: Option<&ObjectCipher>,
    sink: &mut SegmentSink,
    mut hasher: ChecksumHasher,
) -> Result<Ingested, IngestError> {
    let mut md5 = Md5::new();
    let mut buf: Vec<u8> = Vec::with_capacity(SEGMENT_SIZE + TAG_LEN);
    let mut index = 0u64;
    let mut size = 0u64;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            let mut chunk: Bytes = chunk.map_err(|e| IngestError::Body(e.to_string()))?;
            md5.update(&chunk);
            hasher.update(&chunk);
            size += chunk.len() as u64;
            while !chunk.is_empty() {
                if buf.len() == SEGMENT_SIZE {
                    // More data follows, so the full segment is not the last one.
                    flush(&mut buf, cipher, index, false, sink).await?;
                    index += 1;
                }
                let take = (SEGMENT_SIZE - buf.len()).min(chunk.len());
                buf.extend_from_slice(&chunk.split_to(take));
            }
        }
    }
    flush(&mut buf, cipher, index, true, sink).await?;
    Ok(Ingested { size, md5: md5.finalize().into(), checksums: hasher.finalize() })
}

async fn flush(
    buf: &mut Vec<u8>,
    cipher: Option<&ObjectCipher>,
    index: u64,
    last: bool,
    sink: &mut SegmentSink,
) -> std::io::Result<()> {
    let mut segment = std::mem::replace(buf, Vec::with_capacity(SEGMENT_SIZE + TAG_LEN));
    if let Some(c) = cipher {
        c.encrypt_segment(index, last, &mut segment);
    }
    sink.push(segment).await
}

/// Plaintext bytes `start..end` of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte, inclusive.
    pub start: u64,
    /// End, exclusive.
    pub end: u64,
}

/// Why stored data could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Storage failed.
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    /// Ciphertext failed authentication.
    #[error(transparent)]
    Tampered(#[from] SegmentTampered),
}

/// How a stored object is read: its bytes, its cipher (SSE-C) and its plaintext size.
#[derive(Debug, Clone)]
pub struct ObjectSource {
    /// The stored segments.
    pub reader: SegmentReader,
    /// The data key, for SSE-C objects.
    pub cipher: Option<Arc<ObjectCipher>>,
    /// Plaintext size.
    pub size: u64,
}

impl ObjectSource {
    fn stored_segment_len(&self) -> usize {
        SEGMENT_SIZE + if self.cipher.is_some() { TAG_LEN } else { 0 }
    }

    /// Reads and (for SSE-C) authenticates and decrypts plaintext segment `index`.
    pub async fn plaintext_segment(&self, index: u64) -> Result<Bytes, ReadError> {
        let stored = self.reader.segment(index, self.stored_segment_len()).await?;
        let Some(cipher) = &self.cipher else { return Ok(stored) };
        let last = index + 1 == segment_count(self.size);
        let mut buf = stored.to_vec();
        let n = cipher.decrypt_segment(index, last, &mut buf)?;
        buf.truncate(n);
        Ok(Bytes::from(buf))
    }

    /// Authenticates every segment of `range` without returning plaintext, so that tampering is
    /// answered with an error status instead of a response cut off mid-body.
    pub async fn verify(&self, range: ByteRange) -> Result<(), ReadError> {
        if self.cipher.is_none() {
            return Ok(());
        }
        for index in segments_of(range, self.size) {
            self.plaintext_segment(index).await?;
        }
        Ok(())
    }

    /// The plaintext of `range` as a stream of segment slices.
    pub fn stream(self, range: ByteRange) -> impl Stream<Item = Result<Bytes, ReadError>> + Send + 'static {
        let seg = SEGMENT_SIZE as u64;
        futures::stream::iter(segments_of(range, self.size))
            .then(move |index| {
                let src = self.clone();
                async move {
                    let plain = src.plaintext_segment(index).await?;
                    let seg_start = index * seg;
                    let from = usize::try_from(range.start.saturating_sub(seg_start)).unwrap_or(0);
                    let to = usize::try_from((range.end - seg_start).min(plain.len() as u64)).unwrap_or(0);
                    Ok(plain.slice(from.min(to)..to))
                }
            })
            .filter(|r| futures::future::ready(!matches!(r, Ok(b) if b.is_empty())))
    }
}

/// Segment indices that hold bytes of `range` (the single empty segment of a zero-byte object counts).
fn segments_of(range: ByteRange, size: u64) -> std::ops::Range<u64> {
    let seg = SEGMENT_SIZE as u64;
    if size == 0 {
        return 0..1;
    }
    if range.start >= range.end {
        return 0..0;
    }
    (range.start / seg)..range.end.div_ceil(seg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_ranges() {
        let s = SEGMENT_SIZE as u64;
        assert_eq!(segments_of(ByteRange { start: 0, end: 1 }, 10), 0..1);
        assert_eq!(segments_of(ByteRange { start: s - 1, end: s + 1 }, 3 * s), 0..2);
        assert_eq!(segments_of(ByteRange { start: s, end: 2 * s }, 3 * s), 1..2);
        assert_eq!(segments_of(ByteRange { start: 0, end: 0 }, 0), 0..1);
    }
}
