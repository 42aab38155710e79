//! Connections: accepting them within `max_connections`, TLS handshakes, the header-read and idle
//! timeouts, `TCP_NODELAY`, and graceful shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::Edge;
use super::response::error_response;
use crate::server::error::s3_error;

/// Accepts connections on `listener` until `shutdown` flips, serving each with `edge`, then waits
/// (at most 10 s) for the connections in flight to finish.
pub(crate) async fn serve(
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

/// A connection's stream: TLS on the HTTPS listener, plain TCP on the HTTP one.
type Stream = tokio_util::either::Either<tokio_rustls::server::TlsStream<tokio::net::TcpStream>, tokio::net::TcpStream>;

/// The stream of an accepted connection once its TLS handshake (if any) finished within `timeout`,
/// and whether it is secure.
async fn handshake(
    stream: tokio::net::TcpStream,
    tls: Option<TlsAcceptor>,
    timeout: Duration,
) -> Option<(Stream, bool)> {
    match tls {
        Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => Some((Stream::Left(stream), true)),
            _ => None,
        },
        None => Some((Stream::Right(stream), false)),
    }
}

/// Serves one accepted connection, or answers it 503 `SlowDown` when `max_connections` are served
/// already, or closes it when the refusals are exhausted too.
fn accept(stream: tokio::net::TcpStream, tls: Option<TlsAcceptor>, edge: Arc<Edge>, shutdown: watch::Receiver<bool>) {
    let handshake_timeout = edge.limits.header_read_timeout;
    if let Ok(permit) = Arc::clone(&edge.connections).try_acquire_owned() {
        tokio::spawn(async move {
            let _permit = permit;
            if let Some((stream, secure)) = handshake(stream, tls, handshake_timeout).await {
                serve_connection(stream, edge, secure, shutdown).await;
            }
        });
    } else if let Ok(permit) = Arc::clone(&edge.refusals).try_acquire_owned() {
        tokio::spawn(async move {
            let _permit = permit;
            if let Some((stream, _)) = handshake(stream, tls, handshake_timeout).await {
                refuse(stream, handshake_timeout).await;
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

/// The access log line of one request, at info level under the target `ssec_conform::access`: the
/// method, the path (no query string: a presigned URL carries its signature there), the status and
/// the time to the response head. No header value is logged.
fn log_access(method: &http::Method, path: &str, status: http::StatusCode, elapsed: Duration) {
    let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    tracing::info!(target: "ssec_conform::access", %method, %path, status = status.as_u16(), ms, "request");
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
            let (method, path, started) = (req.method().clone(), req.uri().path().to_owned(), Instant::now());
            let resp = edge.handle(req, secure).await;
            log_access(&method, &path, resp.status(), started.elapsed());
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
