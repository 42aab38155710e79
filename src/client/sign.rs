//! SigV4 signing with aws-sigv4: the `Authorization` header over the SHA-256 of the body, or a
//! presigned query string.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign as sigv4_sign,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;

use super::{Auth, ClientError, Outgoing, Target};

/// Builds the request and signs it according to `req.auth`.
pub(super) fn sign(target: &Target, req: &Outgoing, url: &str) -> Result<http::Request<Bytes>, ClientError> {
    let build = |e: &dyn std::fmt::Display| ClientError::Build(e.to_string());
    let mut builder = http::Request::builder().method(req.method.as_str()).uri(url);
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    // An empty PUT or POST still declares its length: RGW (like AWS) answers 411 without it.
    if req.body.is_empty()
        && matches!(req.method.as_str(), "PUT" | "POST")
        && !req.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        builder = builder.header(http::header::CONTENT_LENGTH, "0");
    }
    let mut request = builder.body(req.body.clone()).map_err(|e| build(&e))?;
    let (location, expires) = match req.auth {
        Auth::Anonymous | Auth::PostForm | Auth::Swift => return append_unsigned(request, req),
        Auth::Header => (SignatureLocation::Headers, None),
        Auth::Presigned(d) => (SignatureLocation::QueryParams, Some(d)),
    };
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.signature_location = location;
    settings.expires_in = expires;
    if location == SignatureLocation::Headers {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let credentials = aws_credential_types::Credentials::new(
        &target.access_key,
        &target.secret_key,
        target.session_token.clone(),
        None,
        "ssec-conform",
    );
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&target.region)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| build(&e))?
        .into();
    let header_pairs: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = match location {
        SignatureLocation::Headers => SignableBody::Bytes(&req.body),
        _ => SignableBody::UnsignedPayload,
    };
    let signable = SignableRequest::new(
        req.method.as_str(),
        url,
        header_pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .map_err(|e| build(&e))?;
    // aws-sigv4 logs the request it signs (SSE-C key headers included) at trace level: it signs
    // with no subscriber, whatever the application installed.
    let signed = tracing::dispatcher::with_default(&tracing::Dispatch::none(), || sigv4_sign(signable, &params));
    let (instructions, _) = signed.map_err(|e| build(&e))?.into_parts();
    instructions.apply_to_request_http1x(&mut request);
    append_unsigned(request, req)
}

/// Adds the headers the signature must not cover.
fn append_unsigned(mut request: http::Request<Bytes>, req: &Outgoing) -> Result<http::Request<Bytes>, ClientError> {
    for (name, value) in &req.unsigned_headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|e| ClientError::Build(e.to_string()))?;
        let value = http::HeaderValue::from_str(value).map_err(|e| ClientError::Build(e.to_string()))?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}
