//! The bytes of an upload counted as they arrive, after aws-chunked decoding, against the object
//! size limit and the length the request declared.
//!
//! The edge refuses an upload whose declared size (`Content-Length`, `x-amz-decoded-content-length`)
//! is over `max_object_size` before reading it, but a declaration is only a claim: an aws-chunked
//! body can carry more than its decoded length says. So the body is cut off as soon as it passes
//! either bound, and the upload answered 400 `EntityTooLarge` (past `max_object_size`) or 400
//! `IncompleteBody` (past the declared length, as for any length mismatch), with nothing stored.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;

use crate::server::error::entity_too_large;
use crate::server::limits::AWS_MAX_OBJECT_SIZE;

/// The `max_object_size` of the server, put in each request's extensions by the edge (absent on the
/// in-process service, which then applies AWS's 5 GiB).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxObjectSize(pub u64);

/// Which bound a body passed.
#[derive(Debug, Clone, Copy)]
enum Excess {
    ObjectSize,
    Declared,
}

/// What counting found, readable after the body was consumed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    excess: Arc<Mutex<Option<Excess>>>,
    max: u64,
}

impl Verdict {
    /// The answer for a body that passed a bound, replacing `error` (what reading it led to);
    /// `error` itself otherwise.
    #[must_use]
    pub(crate) fn or(&self, error: s3s::S3Error) -> s3s::S3Error {
        match *self.excess.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(Excess::ObjectSize) => entity_too_large(None, self.max),
            Some(Excess::Declared) | None => error,
        }
    }
}

/// An upload body that stops with an error once past its bounds.
pub(crate) struct Counted<S> {
    inner: S,
    read: u64,
    declared: Option<u64>,
    verdict: Verdict,
    done: bool,
}

/// Counts `body` against the server's object size (from `extensions`) and the `declared` length.
pub(crate) fn count<S>(
    body: Option<S>,
    extensions: &http::Extensions,
    declared: Option<i64>,
) -> (Option<Counted<S>>, Verdict) {
    let max = extensions.get::<MaxObjectSize>().map_or(AWS_MAX_OBJECT_SIZE, |m| m.0);
    let verdict = Verdict { excess: Arc::default(), max };
    let declared = declared.and_then(|d| u64::try_from(d).ok());
    let counted = body.map(|inner| Counted { inner, read: 0, declared, verdict: verdict.clone(), done: false });
    (counted, verdict)
}

impl<S, E> Stream for Counted<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    type Item = Result<Bytes, String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        let Poll::Ready(Some(Ok(chunk))) = polled else {
            return polled.map(|item| item.map(|r| r.map_err(|e| e.to_string())));
        };
        self.read += chunk.len() as u64;
        let excess = if self.read > self.verdict.max {
            Some(Excess::ObjectSize)
        } else if self.declared.is_some_and(|d| self.read > d) {
            Some(Excess::Declared)
        } else {
            None
        };
        if let Some(excess) = excess {
            self.done = true;
            *self.verdict.excess.lock().unwrap_or_else(PoisonError::into_inner) = Some(excess);
            return Poll::Ready(Some(Err("the body is longer than its declared length".to_owned())));
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}
