//! PutBucketEncryption, GetBucketEncryption and DeleteBucketEncryption with `BlockedEncryptionTypes`
//! (catalogue 0.3, April 2026). s3s 0.14's model predates `BlockedEncryptionTypes`, so these three
//! requests are a custom s3s route (after SigV4 verification) with their own small XML handling.

use std::sync::Arc;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Method, StatusCode, Uri};
use http_body_util::BodyExt as _;
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

use super::error::{bucket_error, s3_error};
use super::store::Store;

/// The `?encryption` subresource of a bucket.
pub(super) struct EncryptionRoute {
    store: Arc<Store>,
}

impl EncryptionRoute {
    /// Serves the encryption configuration of `store`'s buckets.
    pub(super) fn new(store: Arc<Store>) -> Self {
        Self { store }
    }
}

fn is_encryption_query(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| q.split('&').any(|kv| kv == "encryption" || kv.starts_with("encryption=")))
}

/// The bucket a request names: `<bucket>.localhost` (virtual-hosted) or the first path segment.
fn bucket_of(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if let Some(b) = host.strip_suffix(".localhost").filter(|b| !b.is_empty()) {
        return Some(b.to_owned());
    }
    uri.path().trim_start_matches('/').split('/').next().filter(|b| !b.is_empty()).map(str::to_owned)
}

fn malformed() -> s3s::S3Error {
    s3_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// The `EncryptionType` values inside `BlockedEncryptionTypes`, if the element is present.
fn blocked_types(xml: &str) -> Result<Option<Vec<String>>, s3s::S3Error> {
    if !xml.contains("<ServerSideEncryptionConfiguration") {
        return Err(malformed());
    }
    let Some(start) = xml.find("<BlockedEncryptionTypes>") else { return Ok(None) };
    let end = xml[start..].find("</BlockedEncryptionTypes>").ok_or_else(malformed)? + start;
    let inner = &xml[start..end];
    let types: Vec<String> = inner
        .split("<EncryptionType>")
        .skip(1)
        .filter_map(|t| t.split("</EncryptionType>").next())
        .map(|t| t.trim().to_owned())
        .collect();
    if types.iter().any(|t| t != "SSE-C" && t != "NONE") || (types.len() > 1 && types.iter().any(|t| t == "NONE")) {
        return Err(s3_error(400, "InvalidArgument", "BlockedEncryptionTypes accepts SSE-C, or NONE alone."));
    }
    Ok(Some(types))
}

fn configuration_xml(blocked: bool) -> String {
    let types = if blocked { "SSE-C" } else { "NONE" };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>{types}</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>"
    )
}

fn response(status: StatusCode, body: Option<String>) -> S3Response<Body> {
    let mut resp = S3Response::new(body.map_or_else(Body::empty, |b| Body::from(Bytes::from(b))));
    resp.status = Some(status);
    resp.headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    resp
}

#[async_trait::async_trait]
impl S3Route for EncryptionRoute {
    fn is_match(&self, method: &Method, uri: &Uri, _headers: &HeaderMap, _extensions: &mut Extensions) -> bool {
        matches!(*method, Method::GET | Method::PUT | Method::DELETE) && is_encryption_query(uri)
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let bucket =
            bucket_of(&req.uri, &req.headers).ok_or_else(|| s3_error(400, "InvalidRequest", "No bucket named"))?;
        let controls = self.store.controls(&bucket).map_err(bucket_error)?;
        match req.method {
            Method::GET => Ok(response(StatusCode::OK, Some(configuration_xml(controls.sse_c_blocked)))),
            Method::DELETE => {
                self.store.update_controls(&bucket, |c| c.sse_c_blocked = false).map_err(bucket_error)?;
                Ok(response(StatusCode::NO_CONTENT, None))
            }
            _ => {
                let limited = http_body_util::Limited::new(req.input, 64 * 1024);
                let body = limited.collect().await.map_err(|_| malformed())?.to_bytes();
                let xml = std::str::from_utf8(&body).map_err(|_| malformed())?;
                if let Some(types) = blocked_types(xml)? {
                    let block = types.iter().any(|t| t == "SSE-C");
                    self.store.update_controls(&bucket, |c| c.sse_c_blocked = block).map_err(bucket_error)?;
                }
                Ok(response(StatusCode::OK, None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocked_types() {
        let xml = "<ServerSideEncryptionConfiguration><Rule><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>";
        assert_eq!(blocked_types(xml).unwrap(), Some(vec!["SSE-C".to_owned()]));
        assert_eq!(blocked_types("<ServerSideEncryptionConfiguration/>").unwrap(), None);
        assert!(blocked_types("garbage").is_err());
        assert!(blocked_types(&xml.replace("SSE-C", "SSE-KMS")).is_err());
    }
}
