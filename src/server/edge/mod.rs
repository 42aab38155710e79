//! The edge of the reference server: listeners, TLS, connection handling, resource limits, and the
//! checks s3s cannot make because they depend on the transport or on error fields it does not
//! serialise.
//!
//! - P11: a request carrying either SSE-C triple over plain HTTP is refused with 400
//!   `InvalidRequest` before authentication and before its body is read (as MinIO does; AWS's order
//!   was not observed), unless the operator allowed it.
//! - SSE-C argument errors get their `ArgumentName`/`ArgumentValue` elements ([`super::error`]).
//! - PS4: a presigned URL's SSE-C query parameters become the headers they stand for
//!   ([`presigned_triple`]); GetObjectAttributes' ETag loses its quotes ([`UnquotedETag`]).
//! - Every connection sets `TCP_NODELAY`, so small responses are not held back by Nagle's algorithm.
//! - The [`Limits`] are enforced here, before authentication and before a body is read: the request
//!   head size, the declared size of uploads and of XML bodies, the part number, the number of
//!   connections, and the header-read and idle timeouts (see [`super::limits`] for the answers).

mod admission;
mod body;
mod connection;
mod post_file;
mod post_form;
mod presigned_triple;
mod response;
mod secrets;

use std::sync::Arc;

use http::{Request, Response};
use tokio::sync::Semaphore;
use tracing::instrument::WithSubscriber as _;

use self::admission::{
    head_size, is_object_upload, is_post_form, max_message_length_exceeded, over_limits, unsigned_amz_headers,
};
use self::body::{drain, shared_body};
use self::response::{error_response, finish, replace_error};
use super::error::{entity_too_large, s3_error, with_elements};
use super::limits::Limits;
use crate::sse_c::SseCError;
use crate::sse_c::headers::is_sse_c_header;

pub(super) use self::connection::serve;
use crate::server::extensions::Transport;

/// The request handler shared by all connections, and the connection counts.
pub(super) struct Edge {
    s3: s3s::service::S3Service,
    allow_sse_c_over_http: bool,
    limits: Limits,
    /// One permit per connection served.
    connections: Arc<Semaphore>,
    /// One permit per excess connection being answered 503.
    refusals: Arc<Semaphore>,
    /// The OpenStack Swift front, for requests that are Swift's.
    swift: Arc<super::swift::SwiftFront>,
    /// The credentials POST policies must be signed with.
    post_credentials: post_form::PostCredentials,
    /// The dispatcher every call into s3s runs under: s3s's own events never reach a subscriber
    /// ([`super::log_filter`]).
    logs: tracing::Dispatch,
}

/// Excess connections answered 503 `SlowDown` at once; past these, excess connections are closed
/// without an answer.
const MAX_REFUSALS: usize = 64;

impl Edge {
    /// Wraps an s3s service that accepts `access_key` and `secret_key`.
    pub(super) fn new(
        s3: s3s::service::S3Service,
        swift: Arc<super::swift::SwiftFront>,
        (access_key, secret_key): (&str, &str),
        allow_sse_c_over_http: bool,
        limits: Limits,
    ) -> Self {
        let connections = Arc::new(Semaphore::new(limits.max_connections as usize));
        let refusals = Arc::new(Semaphore::new(MAX_REFUSALS.min(limits.max_connections as usize)));
        let logs = super::log_filter::S3sSilencer::around_current_default();
        let post_credentials = post_form::PostCredentials {
            access_key: access_key.to_owned(),
            secret_key: zeroize::Zeroizing::new(secret_key.to_owned()),
        };
        Self { s3, allow_sse_c_over_http, limits, connections, refusals, swift, post_credentials, logs }
    }

    /// The answer to a request that can be refused from its head alone, if it can.
    fn refusal<B>(&self, req: &Request<B>, transport: Transport) -> Option<s3s::S3Error> {
        if head_size(req) > self.limits.max_header_bytes {
            let e = s3_error(
                400,
                "RequestHeaderSectionTooLarge",
                "Your request header section exceeds the maximum allowed size.",
            );
            Some(with_elements(e, &[("MaxSizeAllowed", &self.limits.max_header_bytes.to_string())]))
        } else if !transport.sse_c_allowed() && req.headers().keys().any(|k| is_sse_c_header(k.as_str())) {
            Some(SseCError::InsecureTransport.into())
        } else if let Some(unsigned) = unsigned_amz_headers(req) {
            let e = s3_error(403, "AccessDenied", "There were headers present in the request which were not signed");
            Some(with_elements(e, &[("HeadersNotSigned", &unsigned)]))
        } else {
            over_limits(req, &self.limits)
        }
    }

    /// Answers one request: the edge checks, then the Swift front or the s3s service. `secure`: it
    /// arrived over TLS. Bodies are hyper's on a connection, in memory when called in-process.
    pub(crate) async fn handle<B>(&self, mut req: Request<B>, secure: bool) -> Response<s3s::Body>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<s3s::StdError>,
    {
        let transport = Transport { secure, allow_sse_c_over_http: self.allow_sse_c_over_http };
        let early = self.refusal(&req, transport).or_else(|| presigned_triple::hoist(&mut req, transport).err());
        // A body without a declared length (presigned requests may omit it) is cut off once past its
        // limit: the object size for uploads, the XML size for the rest. POST Object files are
        // counted as they are streamed ([`post_file`]).
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
        req.extensions_mut().insert(super::s3::received::MaxObjectSize(self.limits.max_object_size));
        let swift = super::swift::is_swift(req.method(), req.uri().path(), req.headers());
        let host =
            req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost").to_owned();
        let form_boundary = is_post_form(&req)
            .then(|| {
                req.headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(post_form::boundary)
            })
            .flatten();
        let (mut req, body) = shared_body(req, cap, self.limits.body_read_timeout);
        let early = match (early, form_boundary) {
            (None, Some(boundary)) => match self.admit_form(&body, &boundary).await {
                Ok(streamed) => {
                    req = streamed(req);
                    None
                }
                Err(e) => Some(e),
            },
            (early, _) => early,
        };
        let resp = match early {
            Some(e) => error_response(e),
            None if swift => {
                self.swift.handle(req, &format!("{}://{host}", if secure { "https" } else { "http" })).await
            }
            None => call_s3s(&self.s3, &self.logs, req).await,
        };
        if body.timed_out() {
            return finish(error_response(request_timeout())).await;
        }
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

    /// Authenticates a POST form from the fields before its file, reading no more than those
    /// ([`post_form`]); `Ok` also when the body ends or stalls first (s3s or the timeout answers).
    /// What `Ok` holds prepares the request for s3s: when the policy allows, the file is streamed
    /// to the handler past s3s ([`post_file`]), within the policy's maximum size.
    async fn admit_form(
        &self,
        body: &body::SharedBody,
        boundary: &str,
    ) -> Result<impl FnOnce(Request<s3s::Body>) -> Request<s3s::Body>, s3s::S3Error> {
        let max = post_form::MAX_FIELDS_BYTES + body::PROGRESS_BYTES as usize;
        let peeked = body.peek(max, |seen| post_form::file_part(seen, boundary).is_some()).await;
        let part = match post_form::file_part(&peeked, boundary) {
            Some(part) if part.start <= post_form::MAX_FIELDS_BYTES => {
                post_form::authenticate(&peeked[..part.start], boundary, &self.post_credentials)?;
                Some(part)
            }
            Some(_) => return Err(post_form::fields_too_large()),
            None if peeked.len() > post_form::MAX_FIELDS_BYTES => return Err(post_form::fields_too_large()),
            None => None,
        };
        let (streamable, policy_max) =
            part.map_or((false, None), |p| post_form::streamable(&peeked[..p.start], boundary));
        let limit = policy_max.map_or(self.limits.max_object_size, |m| m.min(self.limits.max_object_size));
        let boundary = boundary.to_owned();
        let body = body.clone();
        Ok(move |req: Request<s3s::Body>| match part.filter(|_| streamable) {
            Some(part) => {
                let mut req = post_file::stream_file(req, &body, &peeked, part, &boundary);
                req.extensions_mut().insert(super::s3::received::MaxObjectSize(limit));
                req
            }
            None => req,
        })
    }
}

/// Calls s3s as the edge does for every S3 request: with the key headers marked sensitive, under
/// `logs` (which drops s3s's events, [`super::log_filter`]), and with s3s's refusal of an SSE-C value
/// it cannot parse, or of a POST form's policy condition on an SSE-C field, replaced by an answer
/// that quotes no value ([`secrets`]). The caller applies [`finish`].
async fn call_s3s(
    s3: &s3s::service::S3Service,
    logs: &tracing::Dispatch,
    mut req: Request<s3s::Body>,
) -> Response<s3s::Body> {
    secrets::mark_keys_sensitive(req.headers_mut());
    let post_form = is_post_form(&req);
    let unparsable_triple = secrets::unparsable_triple_answer(req.headers());
    let resp = s3
        .call(req)
        .with_subscriber(logs.clone())
        .await
        .unwrap_or_else(|_| error_response(super::error::internal(&"response serialisation failed")));
    match unparsable_triple {
        Some(answer) => replace_error(resp, |message| secrets::is_sse_c_parse_error(message).then_some(answer)).await,
        None if post_form => replace_error(resp, secrets::policy_condition_answer).await,
        None => resp,
    }
}

/// What the edge answers for `req` once it is admitted, without a socket: [`call_s3s`] and
/// [`finish`]. For fuzzing the answer path in-process.
pub(super) async fn answer_in_process(s3: &s3s::service::S3Service, req: Request<s3s::Body>) -> Response<s3s::Body> {
    static LOGS: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    let logs = LOGS.get_or_init(super::log_filter::S3sSilencer::around_current_default);
    finish(call_s3s(s3, logs, req).await).await
}

/// 400 `RequestTimeout`: a request body that stalled ([`Limits::body_read_timeout`]).
fn request_timeout() -> s3s::S3Error {
    s3_error(
        400,
        "RequestTimeout",
        "Your socket connection to the server was not read from or written to within the timeout period.",
    )
}
