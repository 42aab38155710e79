//! Streaming object bodies in and out of the store, segment by segment.
//!
//! Upload: a body is cut into plaintext segments of the store's segment size
//! ([`crate::server::crypto::SEGMENT_SIZE`] by default), each encrypted (SSE-C) and appended to the
//! store as it arrives; digests of the plaintext are computed on the way. Download: only the
//! segments covering the requested range are read, each decrypted and authenticated exactly once,
//! on a blocking thread (a small in-memory object: on the sending task), [`READ_AHEAD`] segments
//! ahead of the one being sent; a segment that fails authentication ends the stream with an error
//! before any of its bytes. An upload holds one segment in memory, a download at most
//! `READ_AHEAD + 1`.

use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt as _, TryStreamExt as _};
use md5::{Digest as _, Md5};
use s3s::StdError;
use s3s::checksum::ChecksumHasher;
use s3s::stream::{ByteStream, RemainingLength};

use super::crypto::{ObjectCipher, PartCipher, SegmentTampered, TAG_LEN, segment_count};
use super::store::{PartMeta, SegmentReader, SegmentSink, StoredObject};

/// Segments decrypted ahead of the one being sent, so that decryption on one core overlaps the
/// sending (TLS) on another.
pub const READ_AHEAD: usize = 2;

/// An in-memory object up to this size is decrypted on the task that sends it (about 15 µs of
/// AES-GCM), not on a blocking thread.
const INLINE_DECRYPT_MAX: u64 = 64 * 1024;

/// What an upload produced.
#[derive(Debug)]
pub struct Ingested {
    /// Plaintext bytes received.
    pub size: u64,
    /// MD5 of the plaintext, when it was asked for (plain ETags, `Content-MD5`).
    pub md5: Option<[u8; 16]>,
    /// Checksums computed over the plaintext (the algorithms the request asked for).
    pub checksums: s3s::dto::Checksum,
}

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body stream failed (client went away, bad chunk signature, malformed aws-chunked body,
    /// or a copy source that failed authentication).
    #[error("request body: {0}")]
    Body(String),
    /// Writing to the store failed.
    #[error("storage: {0}")]
    Store(#[from] std::io::Error),
}

/// Reads a whole body into a part's segments: encrypted under the part's key when given, plaintext
/// otherwise. The plaintext MD5 is computed only when `want_md5` (it costs as much as the
/// encryption, and an SSE-C object needs it only to check a `Content-MD5`).
pub async fn ingest<S, E>(
    body: Option<S>,
    cipher: Option<&PartCipher>,
    sink: &mut SegmentSink,
    mut hasher: ChecksumHasher,
    want_md5: bool,
) -> Result<Ingested, IngestError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut md5 = want_md5.then(Md5::new);
    let segment_size = sink.segment_size();
    let mut buf: Vec<u8> = Vec::with_capacity(segment_size + TAG_LEN);
    let mut index = 0u64;
    let mut size = 0u64;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            let mut chunk: Bytes = chunk.map_err(|e| IngestError::Body(e.to_string()))?;
            if let Some(m) = &mut md5 {
                m.update(&chunk);
            }
            hasher.update(&chunk);
            size += chunk.len() as u64;
            while !chunk.is_empty() {
                if buf.len() == segment_size {
                    // More data follows, so the full segment is not the last one.
                    flush(&mut buf, cipher, index, false, sink).await?;
                    index += 1;
                }
                let take = (segment_size - buf.len()).min(chunk.len());
                buf.extend_from_slice(&chunk.split_to(take));
            }
        }
    }
    flush(&mut buf, cipher, index, true, sink).await?;
    Ok(Ingested { size, md5: md5.map(|m| m.finalize().into()), checksums: hasher.finalize() })
}

async fn flush(
    buf: &mut Vec<u8>,
    cipher: Option<&PartCipher>,
    index: u64,
    last: bool,
    sink: &mut SegmentSink,
) -> std::io::Result<()> {
    let mut segment = std::mem::replace(buf, Vec::with_capacity(buf.capacity()));
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

/// How a stored object is read: its bytes, its cipher (SSE-C), its parts and its segment size.
#[derive(Debug, Clone)]
pub struct ObjectSource {
    reader: SegmentReader,
    cipher: Option<Arc<ObjectCipher>>,
    parts: Arc<Vec<PartMeta>>,
    segment_size: usize,
}

/// One segment to read: the part's position, the segment, and its plaintext offset in the object.
#[derive(Debug, Clone, Copy)]
struct SegmentRef {
    slot: usize,
    index: u64,
    last: bool,
    offset: u64,
}

/// The plaintext stream of a range.
pub type PlaintextStream = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, ReadError>> + Send>>;

impl ObjectSource {
    /// Opens `obj` for reading, with `cipher` (its data key) for an SSE-C object.
    pub fn open(obj: &Arc<StoredObject>, cipher: Option<Arc<ObjectCipher>>) -> std::io::Result<Self> {
        Ok(Self {
            reader: SegmentReader::open(obj)?,
            cipher,
            parts: Arc::new(obj.meta.parts.clone()),
            segment_size: obj.meta.segment_size,
        })
    }

    /// Checks that the stored parts have exactly the lengths `expected` (see
    /// [`SegmentReader::check_lengths`]).
    pub fn check_lengths(&self, expected: &[u64]) -> std::io::Result<()> {
        self.reader.check_lengths(expected)
    }

    fn stored_segment_len(&self) -> usize {
        self.segment_size + if self.cipher.is_some() { TAG_LEN } else { 0 }
    }

    /// The object's plaintext size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    /// The segments holding bytes of `range` (a zero-byte part's single empty segment counts when the
    /// whole object is empty, so that even it is authenticated).
    fn segments(&self, range: ByteRange) -> Vec<SegmentRef> {
        let seg = self.segment_size as u64;
        let mut out = Vec::new();
        let mut part_start = 0u64;
        for (slot, p) in self.parts.iter().enumerate() {
            let part_end = part_start + p.size;
            let count = segment_count(p.size, self.segment_size);
            if p.size == 0 && range.start == range.end && range.start == part_start {
                out.push(SegmentRef { slot, index: 0, last: true, offset: part_start });
            } else if range.start < part_end && range.end > part_start {
                let from = range.start.saturating_sub(part_start) / seg;
                let to = (range.end.min(part_end) - part_start).div_ceil(seg);
                for index in from..to {
                    out.push(SegmentRef { slot, index, last: index + 1 == count, offset: part_start + index * seg });
                }
            }
            part_start = part_end;
        }
        out
    }

    /// The key of the part at `slot`: from its stored salt (a part without one cannot be read).
    fn part_cipher(&self, cipher: &ObjectCipher, slot: usize) -> Result<PartCipher, ReadError> {
        let p = &self.parts[slot];
        let salt = p.salt.ok_or(SegmentTampered { part: p.number, index: 0 })?;
        Ok(cipher.part(p.number, salt))
    }

    /// Reads, decrypts and authenticates one segment; returns the bytes of it that `range` covers.
    fn load(&self, seg: SegmentRef, key: Option<&PartCipher>, range: ByteRange) -> Result<Bytes, ReadError> {
        let stored = self.reader.segment(seg.slot, seg.index, self.stored_segment_len())?;
        let plain = match key {
            None => stored,
            Some(key) => {
                // A segment read from a file is ours alone and is decrypted in place; one shared with
                // the in-memory store is copied first.
                let mut buf = stored.try_into_mut().unwrap_or_else(|shared| bytes::BytesMut::from(&shared[..]));
                let n = key.decrypt_segment(seg.index, seg.last, &mut buf)?;
                buf.truncate(n);
                buf.freeze()
            }
        };
        let from = usize::try_from(range.start.saturating_sub(seg.offset)).unwrap_or(0);
        let to = usize::try_from((range.end - seg.offset).min(plain.len() as u64)).unwrap_or(0);
        Ok(plain.slice(from.min(to)..to))
    }

    /// The plaintext of `range` as a stream of segment slices. Each segment is authenticated before
    /// it is yielded; the first failure is yielded as an error (a response body then breaks off).
    #[must_use]
    pub fn stream(self, range: ByteRange) -> PlaintextStream {
        let segments = self.segments(range);
        let source = Arc::new(self);
        let mut current: Option<(usize, Arc<PartCipher>)> = None;
        let loads = futures::stream::iter(segments).map(move |seg| {
            let source = Arc::clone(&source);
            let key = match &source.cipher {
                None => Ok(None),
                Some(cipher) => match &current {
                    Some((slot, key)) if *slot == seg.slot => Ok(Some(Arc::clone(key))),
                    _ => source.part_cipher(cipher, seg.slot).map(|key| {
                        let key = Arc::new(key);
                        current = Some((seg.slot, Arc::clone(&key)));
                        Some(key)
                    }),
                },
            };
            async move {
                let key = key?;
                // From memory, plaintext and small objects cost less than a hop to a blocking thread.
                if !source.reader.blocks() && (key.is_none() || source.size() <= INLINE_DECRYPT_MAX) {
                    return source.load(seg, key.as_deref(), range);
                }
                tokio::task::spawn_blocking(move || source.load(seg, key.as_deref(), range))
                    .await
                    .map_err(|e| ReadError::Io(std::io::Error::other(e)))?
            }
        });
        Box::pin(loads.buffered(READ_AHEAD + 1).try_filter(|b| futures::future::ready(!b.is_empty())))
    }

    /// Like [`Self::stream`], but authenticates the range's first segment before returning, so that
    /// an object altered from its first byte is answered with an error status rather than a
    /// response that starts and breaks off.
    pub async fn open_stream(self, range: ByteRange) -> Result<PlaintextStream, ReadError> {
        let mut stream = self.stream(range);
        let first = stream.next().await.transpose()?;
        Ok(Box::pin(futures::stream::iter(first.map(Ok)).chain(stream)))
    }
}

type BoxedBody = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, StdError>> + Send>>;

/// A response body of known length, so the response carries `Content-Length` rather than chunked
/// transfer encoding.
pub struct ExactStream {
    inner: sync_wrapper::SyncStream<BoxedBody>,
    remaining: usize,
}

impl ExactStream {
    /// Wraps a stream that yields exactly `len` bytes.
    pub fn new<S, E>(stream: S, len: usize) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: std::error::Error + Send + Sync + 'static,
    {
        let boxed: BoxedBody = Box::pin(stream.map(|r| r.map_err(|e| Box::new(e) as StdError)));
        Self { inner: sync_wrapper::SyncStream::new(boxed), remaining: len }
    }
}

impl Stream for ExactStream {
    type Item = Result<Bytes, StdError>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = std::pin::Pin::new(&mut this.inner).poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(b))) = &polled {
            this.remaining = this.remaining.saturating_sub(b.len());
        }
        polled
    }
}

impl ByteStream for ExactStream {
    fn remaining_length(&self) -> RemainingLength {
        RemainingLength::new_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::crypto::SEGMENT_SIZE;

    fn source(sizes: &[u64]) -> ObjectSource {
        let parts = sizes.iter().enumerate().map(|(i, s)| PartMeta {
            number: i as u32 + 1,
            size: *s,
            etag: String::new(),
            salt: None,
        });
        let obj = Arc::new(crate::server::store::StoredObject {
            meta: crate::server::store::ObjectMeta {
                bucket: String::new(),
                key: String::new(),
                version_id: String::new(),
                delete_marker: false,
                size: sizes.iter().sum(),
                etag: String::new(),
                last_modified_ms: 0,
                content_type: None,
                user_metadata: Default::default(),
                sse_c: None,
                data_id: String::new(),
                parts: Vec::new(),
                manifest_tag: None,
                tags: std::collections::BTreeMap::new(),
                checksum: None,
                segment_size: SEGMENT_SIZE,
            },
            data: crate::server::store::ObjectData::Memory(Vec::new()),
        });
        ObjectSource {
            reader: SegmentReader::open(&obj).unwrap(),
            cipher: None,
            parts: Arc::new(parts.collect()),
            segment_size: SEGMENT_SIZE,
        }
    }

    #[test]
    fn segments_cover_ranges_across_parts() {
        let s = SEGMENT_SIZE as u64;
        let src = source(&[s + 1, 10]);
        let ids = |r| {
            src.segments(r).iter().map(|g| (src.parts[g.slot].number, g.index, g.last, g.offset)).collect::<Vec<_>>()
        };
        assert_eq!(ids(ByteRange { start: 0, end: 1 }), vec![(1, 0, false, 0)]);
        assert_eq!(ids(ByteRange { start: s, end: s + 2 }), vec![(1, 1, true, s), (2, 0, true, s + 1)]);
        assert_eq!(ids(ByteRange { start: s + 1, end: s + 11 }), vec![(2, 0, true, s + 1)]);
        let empty = source(&[0]);
        assert_eq!(empty.segments(ByteRange { start: 0, end: 0 }).len(), 1);
    }
}
