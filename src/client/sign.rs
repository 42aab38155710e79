//! SigV4 signing with aws-sigv4: the `Authorization` header over the SHA-256 of the body (or
//! `UNSIGNED-PAYLOAD`, or an `aws-chunked` stream: [`super::chunked`]), or a presigned query string.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign as sigv4_sign,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;

use super::chunked::{ChunkSigner, Payload, signed_body, unsigned_trailer_body};
use super::{Auth, ClientError, Outgoing, Target};

/// Builds the request and signs it according to `req.auth`, now.
pub(super) fn sign(target: &Target, req: &Outgoing, url: &str) -> Result<http::Request<Bytes>, ClientError> {
    sign_at(target, req, url, SystemTime::now())
}

/// The body as sent, and the headers that describe an `aws-chunked` one.
fn encode_body(req: &Outgoing) -> (Bytes, Vec<(String, String)>) {
    let encoded = match &req.payload {
        Payload::Signed | Payload::Unsigned => return (req.body.clone(), Vec::new()),
        // Placeholder signatures: the length is signed before the chunk signatures exist.
        Payload::StreamingSigned { chunk_size } => signed_body(&req.body, *chunk_size, None),
        Payload::StreamingUnsignedTrailer { chunk_size, trailers } => {
            unsigned_trailer_body(&req.body, *chunk_size, trailers)
        }
    };
    let mut headers = vec![
        ("content-encoding".to_owned(), "aws-chunked".to_owned()),
        ("x-amz-decoded-content-length".to_owned(), req.body.len().to_string()),
        ("content-length".to_owned(), encoded.len().to_string()),
    ];
    if let Payload::StreamingUnsignedTrailer { trailers, .. } = &req.payload
        && !trailers.is_empty()
    {
        let names: Vec<&str> = trailers.iter().map(|(n, _)| n.as_str()).collect();
        headers.push(("x-amz-trailer".to_owned(), names.join(",")));
    }
    (encoded, headers)
}

/// [`sign`] at a given time (for the documented test vectors).
pub(super) fn sign_at(
    target: &Target,
    req: &Outgoing,
    url: &str,
    now: SystemTime,
) -> Result<http::Request<Bytes>, ClientError> {
    let build = |e: &dyn std::fmt::Display| ClientError::Build(e.to_string());
    let mut builder = http::Request::builder().method(req.method.as_str()).uri(url);
    let (body, stream_headers) = encode_body(req);
    for (name, value) in req.headers.iter().chain(&stream_headers) {
        builder = builder.header(name.as_str(), value.as_str());
    }
    // An empty PUT or POST still declares its length: RGW (like AWS) answers 411 without it.
    if req.body.is_empty()
        && matches!(req.method.as_str(), "PUT" | "POST")
        && !req.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        builder = builder.header(http::header::CONTENT_LENGTH, "0");
    }
    let mut request = builder.body(body).map_err(|e| build(&e))?;
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
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| build(&e))?
        .into();
    let header_pairs: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = match (location, req.payload.content_sha256()) {
        (SignatureLocation::Headers, None) => SignableBody::Bytes(&req.body),
        (SignatureLocation::Headers, Some(mode)) => SignableBody::Precomputed(mode.to_owned()),
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
    let (instructions, seed) = signed.map_err(|e| build(&e))?.into_parts();
    instructions.apply_to_request_http1x(&mut request);
    if let (Payload::StreamingSigned { chunk_size }, SignatureLocation::Headers) = (&req.payload, location) {
        let amz_date = request.headers().get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let mut signer = ChunkSigner::new(&target.secret_key, now, amz_date, &target.region, &seed);
        *request.body_mut() = signed_body(&req.body, *chunk_size, Some(&mut signer));
    }
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::client::{Addressing, Trust};

    /// The example of the AWS documentation "Signature calculations for the Authorization header:
    /// transferring payload in multiple chunks": 66,560 bytes of `a` in 64 KiB chunks.
    #[test]
    fn streaming_signature_matches_the_documented_aws_example() {
        let target = Target {
            endpoint: "https://s3.amazonaws.com".parse().unwrap(),
            plain_endpoint: None,
            region: "us-east-1".into(),
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            addressing: Addressing::Path,
            trust: Trust::WebPki,
            timeout: Duration::from_secs(1),
        };
        let mut req = Outgoing::new("PUT", Some("examplebucket"), Some("chunkObject.txt"));
        req.headers.push(("x-amz-storage-class".into(), "REDUCED_REDUNDANCY".into()));
        req.body = Bytes::from(vec![b'a'; 66_560]);
        req.payload = Payload::StreamingSigned { chunk_size: 65_536 };
        // 2013-05-24T00:00:00Z
        let at = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        let signed = sign_at(&target, &req, "https://s3.amazonaws.com/examplebucket/chunkObject.txt", at).unwrap();
        let header = |n: &str| signed.headers().get(n).unwrap().to_str().unwrap().to_owned();
        assert_eq!(header("content-length"), "66824");
        assert_eq!(header("x-amz-content-sha256"), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
        assert_eq!(
            header("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
             x-amz-decoded-content-length;x-amz-storage-class, \
             Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        );
        let body = signed.body();
        assert_eq!(body.len(), 66_824);
        let text = String::from_utf8_lossy(body);
        for line in [
            "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
            "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n",
            "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
        ] {
            assert!(text.contains(line), "body lacks {line:?}");
        }
    }

    #[test]
    fn unsigned_trailer_body_ends_with_the_trailer() {
        let body = unsigned_trailer_body(b"hello world", 4, &[("x-amz-checksum-crc32".into(), "DUoRhQ==".into())]);
        assert_eq!(&body[..], b"4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
    }
}
