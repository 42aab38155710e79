//! The edge of the reference server: listeners, TLS, connection handling, and the checks s3s cannot
//! make because they depend on the transport or on error fields it does not serialise.
//!
//! - P11: a request carrying either SSE-C triple over plain HTTP is refused with 400
//!   `InvalidRequest` before authentication and before its body is read (as MinIO does; AWS's order
//!   was not observed), unless the operator allowed it.
//! - SSE-C argument errors get their `ArgumentName`/`ArgumentValue` elements ([`super::error`]).
//! - Every connection sets `TCP_NODELAY`, so small responses are not held back by Nagle's algorithm.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::error::EXTRA_XML_HEADER;
use crate::sse_c::SseCError;
use crate::sse_c::headers::is_sse_c_header;

/// How long a client may take to send a request's headers, or to finish a TLS handshake.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

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

/// The request handler shared by all connections.
#[derive(Clone)]
pub struct Edge {
    s3: s3s::service::S3Service,
    allow_sse_c_over_http: bool,
}

impl Edge {
    /// Wraps an s3s service.
    pub fn new(s3: s3s::service::S3Service, allow_sse_c_over_http: bool) -> Self {
        Self { s3, allow_sse_c_over_http }
    }

    async fn handle(&self, mut req: Request<Incoming>, secure: bool) -> Result<Response<s3s::Body>, Infallible> {
        let transport = Transport { secure, allow_sse_c_over_http: self.allow_sse_c_over_http };
        let early = if !transport.sse_c_allowed() && req.headers().keys().any(|k| is_sse_c_header(k.as_str())) {
            Some(SseCError::InsecureTransport.into())
        } else {
            unsigned_amz_headers(&req).map(|unsigned| {
                let e = super::error::s3_error(
                    403,
                    "AccessDenied",
                    "There were headers present in the request which were not signed",
                );
                super::error::with_elements(e, &[("HeadersNotSigned", &unsigned)])
            })
        };
        req.extensions_mut().insert(transport);
        let (req, body) = shared_body(req);
        let resp = match early {
            Some(e) => error_response(e),
            None => self
                .s3
                .call(req)
                .await
                .unwrap_or_else(|_| error_response(super::error::internal(&"response serialisation failed"))),
        };
        drain(&body).await;
        Ok(finish(resp).await)
    }
}

/// The request body, shared between s3s and the edge so that what s3s left unread can be drained.
#[derive(Clone)]
struct SharedBody(Arc<std::sync::Mutex<Option<Incoming>>>);

impl http_body::Body for SharedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        let mut guard = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_mut() {
            Some(body) => std::pin::Pin::new(body).poll_frame(cx),
            None => std::task::Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.lock().map_or(true, |g| g.as_ref().is_none_or(http_body::Body::is_end_stream))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0.lock().ok().and_then(|g| g.as_ref().map(http_body::Body::size_hint)).unwrap_or_default()
    }
}

fn shared_body(req: Request<Incoming>) -> (Request<s3s::Body>, SharedBody) {
    let (parts, body) = req.into_parts();
    let shared = SharedBody(Arc::new(std::sync::Mutex::new(Some(body))));
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
    let Some(mut rest) = body.0.lock().ok().and_then(|mut g| g.take()) else { return };
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

/// Accepts connections on `listener` until `shutdown` flips, serving each with `edge`.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    edge: Arc<Edge>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let edge = Arc::clone(&edge);
                let tls = tls.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            let Ok(Ok(stream)) = tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await else { return };
                            serve_connection(stream, edge, true, watcher).await;
                        }
                        None => serve_connection(stream, edge, false, watcher).await,
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

async fn serve_connection<S>(stream: S, edge: Arc<Edge>, secure: bool, watcher: hyper_util::server::graceful::Watcher)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let edge = Arc::clone(&edge);
        async move { edge.handle(req, secure).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let _ = watcher.watch(conn).await;
}
