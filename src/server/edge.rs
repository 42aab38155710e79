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

use super::error::{ARGUMENT_NAME_HEADER, ARGUMENT_VALUE_HEADER};
use crate::sse_c::SseCError;
use crate::sse_c::headers::is_sse_c_header;

/// How long a client may take to send a request's headers, or to finish a TLS handshake.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

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

    async fn handle(&self, req: Request<Incoming>, secure: bool) -> Result<Response<s3s::Body>, Infallible> {
        if !secure && !self.allow_sse_c_over_http && req.headers().keys().any(|k| is_sse_c_header(k.as_str())) {
            return Ok(finish(error_response(SseCError::InsecureTransport.into())).await);
        }
        let resp = match self.s3.call(req.map(s3s::Body::from)).await {
            Ok(resp) => resp,
            Err(_) => error_response(super::error::internal(&"response serialisation failed")),
        };
        Ok(finish(resp).await)
    }
}

fn error_response(err: s3s::S3Error) -> Response<s3s::Body> {
    err.to_http_response().unwrap_or_else(|_| {
        let mut r = Response::new(s3s::Body::empty());
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Moves internal argument headers into the error body.
async fn finish(mut resp: Response<s3s::Body>) -> Response<s3s::Body> {
    let Some(name) = resp.headers_mut().remove(ARGUMENT_NAME_HEADER) else { return resp };
    let value = resp.headers_mut().remove(ARGUMENT_VALUE_HEADER);
    let (mut parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, s3s::Body::empty());
    };
    let text = String::from_utf8_lossy(&collected.to_bytes()).into_owned();
    let mut extra = format!("<ArgumentName>{}</ArgumentName>", xml_escape(name.to_str().unwrap_or_default()));
    if let Some(v) = value {
        extra.push_str(&format!("<ArgumentValue>{}</ArgumentValue>", xml_escape(v.to_str().unwrap_or_default())));
    }
    let text = text.replacen("</Error>", &format!("{extra}</Error>"), 1);
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
