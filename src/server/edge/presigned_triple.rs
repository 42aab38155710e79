//! PS4: the SSE-C parameters of a presigned URL's query string.
//!
//! The Ruby and JavaScript v2 presigners hoist every `x-amz-*` header into the query string, the
//! SSE-C triples included, and AWS accepts such a URL (catalogue PS4). The parameters are part of the
//! signed query, so s3s verifies them with the signature; the edge then hands them to the handlers as
//! the headers they stand for. A triple given both ways, or a parameter given twice, is ambiguous and
//! refused with 400 `InvalidRequest` (AWS not observed; V8). Over plain HTTP they are refused like the
//! headers (P11).

use http::{HeaderName, HeaderValue, Request};
use zeroize::Zeroizing;

use crate::server::error::s3_error;
use crate::server::extensions::Transport;
use crate::sse_c::SseCError;
use crate::sse_c::headers::is_sse_c_header;

/// The SSE-C parameters of a presigned request's query string, decoded, as (header name, value).
fn parameters<B>(req: &Request<B>) -> Vec<(String, Zeroizing<String>)> {
    let Some(query) = req.uri().query().filter(|q| q.contains("X-Amz-Signature=")) else { return Vec::new() };
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| is_sse_c_header(name))
        .map(|(name, value)| (name.to_ascii_lowercase(), Zeroizing::new(value.into_owned())))
        .collect()
}

fn ambiguous() -> s3s::S3Error {
    s3_error(400, "InvalidRequest", "The server side encryption parameters were given more than once.")
}

/// Adds the presigned query's SSE-C parameters to the request's headers; the error is the answer
/// when they cannot be accepted.
pub(super) fn hoist<B>(req: &mut Request<B>, transport: Transport) -> Result<(), s3s::S3Error> {
    let params = parameters(req);
    if params.is_empty() {
        return Ok(());
    }
    if !transport.sse_c_allowed() {
        return Err(SseCError::InsecureTransport.into());
    }
    for (i, (name, _)) in params.iter().enumerate() {
        if req.headers().contains_key(name.as_str()) || params[..i].iter().any(|(n, _)| n == name) {
            return Err(ambiguous());
        }
    }
    for (name, value) in params {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| ambiguous())?;
        let mut value = HeaderValue::from_str(&value).map_err(|_| s3s::S3Error::from(SseCError::InvalidKey))?;
        value.set_sensitive(true);
        req.headers_mut().insert(name, value);
    }
    Ok(())
}
