//! The edge of the reference server: listeners, TLS, connection handling, resource limits, and the
//! checks s3s cannot make because they depend on the transport or on error fields it does not
//! serialise.
//!
//! - P11: a request carrying either SSE-C triple over plain HTTP is refused with 400
//!   `InvalidRequest` before authentication and before its body is read (as MinIO does; AWS's order
//!   was not observed), unless the operator allowed it.
//! - SSE-C argument errors get their `ArgumentName`/`ArgumentValue` elements ([`super::error`]).
//! - Every connection sets `TCP_NODELAY`, so small responses are not held back by Nagle's algorithm.
//! - The [`Limits`] are enforced here, before authentication and before a body is read: the request
//!   head size, the declared size of uploads and of XML bodies, the part number, the number of
//!   connections, and the header-read and idle timeouts (see [`super::limits`] for the answers).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::error::{EXTRA_XML_HEADER, s3_error, with_elements};
use super::limits::Limits;
use crate::sse_c::SseCError;
use crate::sse_c::headers::is_sse_c_header;

/// A status a handler needs that s3s does not apply for its operation (HeadObject's 206).
#[derive(Debug, Clone, Copy)]
pub struct StatusOverride(pub http::StatusCode);

/// How a request arrived, for the handlers that must check SSE-C transport themselves (POST form
/// fields are invisible to the edge).
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    secure: bool,
    allow_sse_c_over_http: bool,
}

impl Transport {
    /// Whether SSE-C parameters may be accepted on this request.
    #[must_use]
    pub fn sse_c_allowed(self) -> bool {
        self.secure || self.allow_sse_c_over_http
    }
}

/// PS3: on a presigned request, every `x-amz-*` header must be among the signed headers; returns
/// the unsigned ones, comma-separated.
fn unsigned_amz_headers(req: &Request<Incoming>) -> Option<String> {
    let query = req.uri().query()?;
    if !query.contains("X-Amz-Signature=") {
        return None;
    }
    let signed: Vec<String> = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
        .map(|v| v.replace("%3B", ";").replace("%3b", ";").split(';').map(str::to_ascii_lowercase).collect())
        .unwrap_or_default();
    let unsigned: Vec<&str> = req
        .headers()
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-") && !signed.iter().any(|s| s == k))
        .collect();
    (!unsigned.is_empty()).then(|| unsigned.join(","))
}

/// The size of a request head as it was on the wire (request line, headers, blank line), give or
/// take the spelling of the HTTP version.
fn head_size<B>(req: &Request<B>) -> usize {
    let target = req.uri().authority().map_or(0, |a| a.as_str().len() + 8)
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let line = req.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + 2 + v.len() + 2).sum();
    line + headers + 2
}

/// The query parameter names of a request.
fn query_names<B>(req: &Request<B>) -> impl Iterator<Item = &str> {
    req.uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| kv.split('=').next().unwrap_or(kv))
}

/// A query parameter's raw value.
fn query_value<'a, B>(req: &'a Request<B>, name: &str) -> Option<&'a str> {
    req.uri().query()?.split('&').find_map(|kv| match kv.split_once('=') {
        Some((k, v)) if k == name => Some(v),
        None if kv == name => Some(""),
        _ => None,
    })
}

/// Whether the request names an object (path-style `/bucket/key`, or `/key` on `bucket.localhost`).
fn names_object<B>(req: &Request<B>) -> bool {
    let host = req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    let path = req.uri().path().trim_start_matches('/');
    if host.strip_suffix(".localhost").is_some_and(|b| !b.is_empty()) {
        return !path.is_empty();
    }
    path.split_once('/').is_some_and(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
}

/// PutObject or UploadPart: a PUT whose body is object data.
fn is_object_upload<B>(req: &Request<B>) -> bool {
    req.method() == http::Method::PUT
        && names_object(req)
        && !req.headers().contains_key("x-amz-copy-source")
        && query_names(req).all(|n| {
            matches!(n, "partNumber" | "uploadId" | "x-id")
                || n.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
        })
}

/// POST Object: a browser form upload, whose file size s3s limits.
fn is_post_form<B>(req: &Request<B>) -> bool {
    req.method() == http::Method::POST
        && req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn header_u64<B>(req: &Request<B>, name: &str) -> Option<u64> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

fn entity_too_large(proposed: Option<u64>, max: u64) -> s3s::S3Error {
    let e = s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
    let max = max.to_string();
    match proposed.map(|p| p.to_string()) {
        Some(p) => with_elements(e, &[("ProposedSize", &p), ("MaxSizeAllowed", &max)]),
        None => with_elements(e, &[("MaxSizeAllowed", &max)]),
    }
}

fn part_number_error<B>(req: &Request<B>, max_parts: u32) -> Option<s3s::S3Error> {
    let raw = query_value(req, "partNumber")?;
    let n = raw.parse::<i64>().ok()?;
    if (1..=i64::from(max_parts)).contains(&n) {
        return None;
    }
    let e = s3_error(
        400,
        "InvalidArgument",
        format!("Part number must be an integer between 1 and {max_parts}, inclusive"),
    );
    Some(with_elements(e, &[("ArgumentName", "partNumber"), ("ArgumentValue", raw)]))
}

/// The limits a request breaks that can be seen from its head; `None` when within all of them.
/// Bodies without a declared length are limited as they are read ([`Edge::handle`], and s3s for XML).
fn over_limits<B>(req: &Request<B>, limits: &Limits) -> Option<s3s::S3Error> {
    // UploadPart and UploadPartCopy.
    if req.method() == http::Method::PUT
        && names_object(req)
        && query_names(req).any(|n| n == "uploadId")
        && let Some(e) = part_number_error(req, limits.max_parts)
    {
        return Some(e);
    }
    if is_object_upload(req) {
        // aws-chunked bodies declare the object size apart from the framed length.
        let declared = header_u64(req, "x-amz-decoded-content-length")
            .or_else(|| header_u64(req, http::header::CONTENT_LENGTH.as_str()));
        return declared
            .filter(|size| *size > limits.max_object_size)
            .map(|size| entity_too_large(Some(size), limits.max_object_size));
    }
    if is_post_form(req) {
        return None;
    }
    let length = header_u64(req, http::header::CONTENT_LENGTH.as_str())?;
    (length > limits.max_xml_body_bytes as u64).then(max_message_length_exceeded)
}

fn max_message_length_exceeded() -> s3s::S3Error {
    s3_error(400, "MaxMessageLengthExceeded", "Your request was too big.")
}

/// The request handler shared by all connections, and the connection counts.
pub struct Edge {
    s3: s3s::service::S3Service,
    allow_sse_c_over_http: bool,
    limits: Limits,
    /// One permit per connection served.
    connections: Arc<Semaphore>,
    /// One permit per excess connection being answered 503.
    refusals: Arc<Semaphore>,
    /// The OpenStack Swift front, for requests that are Swift's.
    swift: Arc<super::swift::SwiftFront>,
}

/// Excess connections answered 503 `SlowDown` at once; past these, excess connections are closed
/// without an answer.
const MAX_REFUSALS: usize = 64;

impl Edge {
    /// Wraps an s3s service.
    pub fn new(
        s3: s3s::service::S3Service,
        swift: Arc<super::swift::SwiftFront>,
        allow_sse_c_over_http: bool,
        limits: Limits,
    ) -> Self {
        let connections = Arc::new(Semaphore::new(limits.max_connections as usize));
        let refusals = Arc::new(Semaphore::new(MAX_REFUSALS.min(limits.max_connections as usize)));
        Self { s3, allow_sse_c_over_http, limits, connections, refusals, swift }
    }

    async fn handle(&self, mut req: Request<Incoming>, secure: bool) -> Response<s3s::Body> {
        let transport = Transport { secure, allow_sse_c_over_http: self.allow_sse_c_over_http };
        let early = if head_size(&req) > self.limits.max_header_bytes {
            let e = s3_error(
                400,
                "RequestHeaderSectionTooLarge",
                "Your request header section exceeds the maximum allowed size.",
            );
            Some(with_elements(e, &[("MaxSizeAllowed", &self.limits.max_header_bytes.to_string())]))
        } else if !transport.sse_c_allowed() && req.headers().keys().any(|k| is_sse_c_header(k.as_str())) {
            Some(SseCError::InsecureTransport.into())
        } else if let Some(unsigned) = unsigned_amz_headers(&req) {
            let e = s3_error(403, "AccessDenied", "There were headers present in the request which were not signed");
            Some(with_elements(e, &[("HeadersNotSigned", &unsigned)]))
        } else {
            over_limits(&req, &self.limits)
        };
        // A body without a declared length (presigned requests may omit it) is cut off once past its
        // limit: the object size for uploads, the XML size for the rest (POST Object is s3s's).
        let upload = is_object_upload(&req);
        let unsized_body = !req.headers().contains_key(http::header::CONTENT_LENGTH)
            && !req.headers().contains_key("x-amz-decoded-content-length");
        let cap = if !unsized_body || is_post_form(&req) {
            None
        } else if upload {
            Some(self.limits.max_object_size)
        } else {
            Some(self.limits.max_xml_body_bytes as u64)
        };
        req.extensions_mut().insert(transport);
        let swift = super::swift::is_swift(req.method(), req.uri().path(), req.headers());
        let host =
            req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_owned();
        let (req, body) = shared_body(req, cap);
        let resp = match early {
            Some(e) => error_response(e),
            None if swift => {
                self.swift.handle(req, &format!("{}://{host}", if secure { "https" } else { "http" })).await
            }
            None => self
                .s3
                .call(req)
                .await
                .unwrap_or_else(|_| error_response(super::error::internal(&"response serialisation failed"))),
        };
        if body.over_cap() {
            let e = if upload {
                entity_too_large(None, self.limits.max_object_size)
            } else {
                max_message_length_exceeded()
            };
            return finish(error_response(e)).await;
        }
        drain(&body).await;
        finish(resp).await
    }
}

/// What the edge knows of a request body while s3s reads it.
struct BodyState {
    /// The body, until drained or cut off.
    body: Option<Incoming>,
    /// Data bytes read so far.
    read: u64,
    /// Bytes allowed, for bodies without a declared length.
    cap: Option<u64>,
    /// Whether the body passed `cap` (and was cut off).
    over: bool,
}

/// The request body, shared between s3s and the edge so that what s3s left unread can be drained.
#[derive(Clone)]
struct SharedBody(Arc<std::sync::Mutex<BodyState>>);

/// The error s3s sees when a body passes its cap.
#[derive(Debug, thiserror::Error)]
#[error("request body exceeds the maximum allowed size")]
struct OverCap;

impl SharedBody {
    fn lock(&self) -> std::sync::MutexGuard<'_, BodyState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn over_cap(&self) -> bool {
        self.lock().over
    }
}

impl http_body::Body for SharedBody {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, s3s::StdError>>> {
        use std::task::Poll;
        let mut guard = self.lock();
        let state = &mut *guard;
        let Some(body) = state.body.as_mut() else { return Poll::Ready(None) };
        let polled = std::pin::Pin::new(body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            state.read += frame.data_ref().map_or(0, |d| d.len() as u64);
            if state.cap.is_some_and(|cap| state.read > cap) {
                state.over = true;
                state.body = None;
                return Poll::Ready(Some(Err(Box::new(OverCap))));
            }
        }
        polled.map(|f| f.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.lock().body.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.lock().body.as_ref().map(http_body::Body::size_hint).unwrap_or_default()
    }
}

fn shared_body(req: Request<Incoming>, cap: Option<u64>) -> (Request<s3s::Body>, SharedBody) {
    let (parts, body) = req.into_parts();
    let shared = SharedBody(Arc::new(std::sync::Mutex::new(BodyState { body: Some(body), read: 0, cap, over: false })));
    (Request::from_parts(parts, s3s::Body::http_body(shared.clone())), shared)
}

/// Request bytes the server will read and discard after an early answer (an error before the body
/// was needed), so that a client still sending gets the answer instead of a broken pipe.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
/// How long draining may take.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads and discards what s3s did not read of the body, within [`DRAIN_LIMIT`] and
/// [`DRAIN_TIMEOUT`]; past either, the connection is closed after the response, as before.
async fn drain(body: &SharedBody) {
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

fn error_response(err: s3s::S3Error) -> Response<s3s::Body> {
    err.to_http_response().unwrap_or_else(|_| {
        let mut r = Response::new(s3s::Body::empty());
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Moves the internal extra-elements header into the error body.
async fn finish(mut resp: Response<s3s::Body>) -> Response<s3s::Body> {
    use base64::Engine as _;
    if let Some(StatusOverride(status)) = resp.extensions().get::<StatusOverride>().copied() {
        *resp.status_mut() = status;
    }
    let Some(extra) = resp.headers_mut().remove(EXTRA_XML_HEADER) else { return resp };
    let extra = base64::engine::general_purpose::STANDARD.decode(extra.as_bytes()).unwrap_or_default();
    let (mut parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, s3s::Body::empty());
    };
    let text = String::from_utf8_lossy(&collected.to_bytes()).into_owned();
    let text = text.replacen("</Error>", &format!("{}</Error>", String::from_utf8_lossy(&extra)), 1);
    parts.headers.insert(http::header::CONTENT_LENGTH, text.len().into());
    parts.headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    Response::from_parts(parts, s3s::Body::from(Bytes::from(text)))
}

/// Accepts connections on `listener` until `shutdown` flips, serving each with `edge`, then waits
/// (at most 10 s) for the connections in flight to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    edge: Arc<Edge>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors, typically: let connections finish before retrying.
                        tracing::warn!(%e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                accept(stream, tls.clone(), Arc::clone(&edge), shutdown.clone());
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let all = edge.limits.max_connections;
    let _ = tokio::time::timeout(Duration::from_secs(10), edge.connections.acquire_many(all)).await;
}

/// Serves one accepted connection, or answers it 503 `SlowDown` when `max_connections` are served
/// already, or closes it when the refusals are exhausted too.
fn accept(stream: tokio::net::TcpStream, tls: Option<TlsAcceptor>, edge: Arc<Edge>, shutdown: watch::Receiver<bool>) {
    let handshake_timeout = edge.limits.header_read_timeout;
    if let Ok(permit) = Arc::clone(&edge.connections).try_acquire_owned() {
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) = tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await else {
                        return;
                    };
                    serve_connection(stream, edge, true, shutdown).await;
                }
                None => serve_connection(stream, edge, false, shutdown).await,
            }
        });
    } else if let Ok(permit) = Arc::clone(&edge.refusals).try_acquire_owned() {
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) = tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await else {
                        return;
                    };
                    refuse(stream, handshake_timeout).await;
                }
                None => refuse(stream, handshake_timeout).await,
            }
        });
    }
}

/// Answers the first request of an excess connection 503 `SlowDown`, and closes it.
async fn refuse<S>(stream: S, header_read_timeout: Duration)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(|_req: Request<Incoming>| async {
        Ok::<_, Infallible>(error_response(s3_error(503, "SlowDown", "Please reduce your request rate.")))
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(header_read_timeout.saturating_mul(2), conn).await;
}

/// What a connection is doing, for the idle timeout.
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last byte read or the last response finished.
    last_ms: AtomicU64,
    /// Requests whose response is not finished.
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self { opened: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// When the connection becomes idle for `idle`, or `None` while a request is in flight.
    fn idle_at(&self, idle: Duration) -> Option<Instant> {
        (self.in_flight.load(Ordering::Relaxed) == 0)
            .then(|| self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + idle)
    }
}

/// Counts a request in flight until its response body is finished or dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted in flight.
struct TrackedBody {
    inner: s3s::Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, s3s::StdError>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A connection's stream, recording when bytes arrive.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// hyper's default read buffer limit (it also bounds a request head).
const HYPER_DEFAULT_MAX_BUF: usize = 8192 + 4096 * 100;

/// Serves HTTP/1.1 on one connection until the client closes it, it breaks a timeout, or the
/// server shuts down (requests in flight finish first).
async fn serve_connection<S>(stream: S, edge: Arc<Edge>, secure: bool, mut shutdown: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let limits = edge.limits.clone();
    let tracked = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |req| {
        let edge = Arc::clone(&edge);
        let in_flight = InFlight::start(&tracked);
        async move {
            let resp = edge.handle(req, secure).await;
            Ok::<_, Infallible>(resp.map(|inner| TrackedBody { inner, _in_flight: in_flight }))
        }
    });
    let hard_header = limits.hard_header_bytes();
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(hard_header)
        .max_buf_size(HYPER_DEFAULT_MAX_BUF.max(hard_header.saturating_add(8192)))
        .keep_alive(true)
        .serve_connection(TokioIo::new(Watched { inner: stream, activity: Arc::clone(&activity) }), service);
    tokio::pin!(conn);
    let mut closing = *shutdown.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let idle_at = activity.idle_at(limits.idle_timeout).unwrap_or_else(|| Instant::now() + limits.idle_timeout);
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = shutdown.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_at.into()), if !closing => {
                if activity.idle_at(limits.idle_timeout).is_some_and(|at| at <= Instant::now()) {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
