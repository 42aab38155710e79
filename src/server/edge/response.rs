//! Responses on their way out: S3 error XML for the edge's own answers, statuses s3s cannot set, and
//! the extra error elements handlers attach.

use bytes::Bytes;
use http::Response;
use http_body_util::BodyExt as _;

use crate::server::error::EXTRA_XML_HEADER;
use crate::server::extensions::{StatusOverride, UnquotedETag};

pub(super) fn error_response(err: s3s::S3Error) -> Response<s3s::Body> {
    err.to_http_response().unwrap_or_else(|_| {
        let mut r = Response::new(s3s::Body::empty());
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Moves the internal extra-elements header into the error body.
pub(super) async fn finish(mut resp: Response<s3s::Body>) -> Response<s3s::Body> {
    use base64::Engine as _;
    if let Some(StatusOverride(status)) = resp.extensions().get::<StatusOverride>().copied() {
        *resp.status_mut() = status;
    }
    if resp.extensions().get::<UnquotedETag>().is_some() {
        return unquote_etag(resp).await;
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

/// Replaces an s3s error answer by what `replace` makes of its message (unescaped), if anything;
/// any other response passes unchanged.
pub(super) async fn replace_error(
    resp: Response<s3s::Body>,
    replace: impl FnOnce(&str) -> Option<s3s::S3Error>,
) -> Response<s3s::Body> {
    if !resp.status().is_client_error() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, s3s::Body::empty());
    };
    let bytes = collected.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let message = text.split_once("<Message>").and_then(|(_, rest)| rest.split_once("</Message>")).map(|(m, _)| m);
    match message.map(xml_unescape).as_deref().and_then(replace) {
        Some(answer) => error_response(answer),
        None => Response::from_parts(parts, s3s::Body::from(bytes)),
    }
}

fn xml_unescape(text: &str) -> String {
    text.replace("&apos;", "'").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Takes the quotes out of the `<ETag>` of a small XML answer.
async fn unquote_etag(resp: Response<s3s::Body>) -> Response<s3s::Body> {
    let (mut parts, body) = resp.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, s3s::Body::empty());
    };
    let text = String::from_utf8_lossy(&collected.to_bytes()).into_owned();
    let text = ["&quot;", "\""]
        .iter()
        .fold(text, |t, q| t.replace(&format!("<ETag>{q}"), "<ETag>").replace(&format!("{q}</ETag>"), "</ETag>"));
    parts.headers.insert(http::header::CONTENT_LENGTH, text.len().into());
    Response::from_parts(parts, s3s::Body::from(Bytes::from(text)))
}
