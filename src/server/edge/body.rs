//! The request body as s3s and the handlers read it: counted, capped for bodies without a declared
//! length, timed out when it stalls, peeked at by the edge, and drained after an early answer.
//!
//! The body read timeout is a minimum pace: from the moment the server waits for body bytes, at
//! least [`PROGRESS_BYTES`] (or the end of the body) must arrive within `body_read_timeout`, or the
//! request is answered 400 `RequestTimeout`. A client trickling a few bytes at a time cannot hold a
//! request open. The clock starts when the server first waits after the last 8 KiB arrived, so time
//! the server spends on its own work before that wait is not counted; once it runs, it also runs
//! while the server handles the smaller pieces that follow.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Request;
use http_body_util::BodyExt as _;

/// Bytes that count as progress for the body read timeout.
pub(super) const PROGRESS_BYTES: u64 = 8 * 1024;

/// A request body of any origin (a connection, or memory in-process).
type RequestBody = http_body_util::combinators::UnsyncBoxBody<Bytes, s3s::StdError>;

/// What the edge knows of a request body while s3s reads it.
struct BodyState {
    /// Bytes the edge read ahead, handed out before the rest of `body`.
    peeked: Option<Bytes>,
    /// The body, until drained or cut off.
    body: Option<RequestBody>,
    /// Data bytes read so far.
    read: u64,
    /// Bytes allowed, for bodies without a declared length.
    cap: Option<u64>,
    /// Whether the body passed `cap` (and was cut off).
    over: bool,
    /// How long the body may go without progress.
    timeout: Duration,
    /// Runs out `timeout` after the server started waiting for this stretch of progress.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Bytes received since `stall` was armed.
    progress: u64,
    /// Whether the body stalled (and was cut off).
    timed_out: bool,
}

/// The request body, shared between s3s and the edge so that what s3s left unread can be drained.
#[derive(Clone)]
pub(super) struct SharedBody(Arc<std::sync::Mutex<BodyState>>);

/// The error s3s sees when a body passes its cap.
#[derive(Debug, thiserror::Error)]
#[error("request body exceeds the maximum allowed size")]
struct OverCap;

/// The error s3s sees when a body stalls.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within the timeout")]
struct Stalled;

impl SharedBody {
    fn lock(&self) -> std::sync::MutexGuard<'_, BodyState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn over_cap(&self) -> bool {
        self.lock().over
    }

    pub(super) fn timed_out(&self) -> bool {
        self.lock().timed_out
    }

    /// Forgets what [`Self::peek`] read (its caller hands it out instead).
    pub(super) fn take_peeked(&self) {
        self.lock().peeked = None;
    }

    /// Reads ahead until `enough` holds for what was read, the body ends, or more than `max` bytes
    /// were read; returns what was read, which s3s will then read first. Caps and timeouts apply.
    pub(super) async fn peek(&self, max: usize, enough: impl Fn(&[u8]) -> bool) -> Bytes {
        let mut reader = self.clone();
        let mut seen = BytesMut::new();
        while !enough(&seen) && seen.len() <= max {
            match reader.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        seen.extend_from_slice(&data);
                    }
                }
                Some(Err(_)) | None => break,
            }
        }
        let seen = seen.freeze();
        self.lock().peeked = Some(seen.clone());
        seen
    }
}

impl http_body::Body for SharedBody {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, s3s::StdError>>> {
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Some(peeked) = state.peeked.take().filter(|p| !p.is_empty()) {
            return Poll::Ready(Some(Ok(http_body::Frame::data(peeked))));
        }
        let Some(body) = state.body.as_mut() else { return Poll::Ready(None) };
        let polled = Pin::new(body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                state.read += len;
                state.progress += len;
                if state.progress >= PROGRESS_BYTES {
                    state.stall = None;
                    state.progress = 0;
                }
                if state.cap.is_some_and(|cap| state.read > cap) {
                    state.over = true;
                    state.body = None;
                    return Poll::Ready(Some(Err(Box::new(OverCap))));
                }
            }
            Poll::Ready(_) => state.stall = None,
            Poll::Pending => {
                let timeout = state.timeout;
                let stall = state.stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                if stall.as_mut().poll(cx).is_ready() {
                    state.timed_out = true;
                    state.body = None;
                    state.stall = None;
                    return Poll::Ready(Some(Err(Box::new(Stalled))));
                }
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let state = self.lock();
        state.peeked.as_ref().is_none_or(Bytes::is_empty)
            && state.body.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let state = self.lock();
        let peeked = state.peeked.as_ref().map_or(0, |p| p.len() as u64);
        let rest = state.body.as_ref().map(http_body::Body::size_hint).unwrap_or_default();
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(rest.lower() + peeked);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + peeked);
        }
        hint
    }
}

/// Shares `req`'s body between s3s and the edge, cut off past `cap` bytes (if any) or when it stalls
/// for `timeout`.
pub(super) fn shared_body<B>(req: Request<B>, cap: Option<u64>, timeout: Duration) -> (Request<s3s::Body>, SharedBody)
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<s3s::StdError>,
{
    let (parts, body) = req.into_parts();
    let body = body.map_err(Into::into).boxed_unsync();
    let shared = SharedBody(Arc::new(std::sync::Mutex::new(BodyState {
        peeked: None,
        body: Some(body),
        read: 0,
        cap,
        over: false,
        timeout,
        stall: None,
        progress: 0,
        timed_out: false,
    })));
    (Request::from_parts(parts, s3s::Body::http_body(shared.clone())), shared)
}

/// Request bytes the server will read and discard after an early answer (an error before the body
/// was needed), so that a client still sending gets the answer instead of a broken pipe.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
/// How long draining may take.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads and discards what s3s did not read of the body, within [`DRAIN_LIMIT`] and
/// [`DRAIN_TIMEOUT`]; past either, the connection is closed after the response, as before.
pub(super) async fn drain(body: &SharedBody) {
    let Some(mut rest) = body.lock().body.take() else { return };
    if http_body::Body::is_end_stream(&rest) || http_body::Body::size_hint(&rest).lower() > DRAIN_LIMIT {
        return;
    }
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        let mut read = 0u64;
        while let Some(Ok(frame)) = rest.frame().await {
            read += frame.data_ref().map_or(0, |d| d.len() as u64);
            if read > DRAIN_LIMIT {
                break;
            }
        }
    })
    .await;
}
