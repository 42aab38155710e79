//! A minimal OpenStack Swift front (TempAuth v1, container and object PUT/GET/HEAD/DELETE) over the
//! same store, so the seed guide's Swift recipe can be checked against the reference server.
//!
//! The guide tells users to send their key as `X-Object-Meta-Encryption-Key`. Swift returns object
//! metadata to every reader, so that recipe stores the key beside the data in the clear. The
//! reference front refuses any object metadata whose name says it is a key (400, saying why) rather
//! than keep it. Swift containers are the store's buckets (one namespace, as in RGW), and a bucket
//! policy that denies `s3:PutObject` denies the same write through Swift (403).
//!
//! TempAuth ([`tempauth`]) is HTTPS only unless the operator allows plain HTTP, and its tokens
//! expire.

mod tempauth;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::BodyExt as _;

use super::object_io::{ByteRange, ExactStream, ObjectSource, ingest};
use super::store::{ObjectMeta, PartMeta, Store, now_ms, random_id};
use tempauth::{Refusal, TempAuth};

/// Whether a request belongs to the Swift front: TempAuth or a `/v1/AUTH_…` path, without S3 auth.
#[must_use]
pub(super) fn is_swift(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    let s3_signed = headers.contains_key(http::header::AUTHORIZATION);
    !s3_signed && ((*method == Method::GET && path == "/auth/v1.0") || path.starts_with("/v1/AUTH_"))
}

/// The Swift front's state: the store, and TempAuth (the account's credentials and the tokens
/// issued).
pub(super) struct SwiftFront {
    store: Arc<Store>,
    auth: TempAuth,
}

fn text(status: StatusCode, body: &str) -> Response<s3s::Body> {
    let mut r = Response::new(s3s::Body::from(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// A metadata name that says it carries key material.
fn names_a_key(header: &str) -> bool {
    let h = header.to_ascii_lowercase();
    h.starts_with("x-object-meta-")
        && h.contains("key")
        && (h.contains("encrypt") || h.contains("sse") || h.contains("crypt"))
}

fn refused(refusal: Refusal) -> Response<s3s::Body> {
    match refusal {
        Refusal::PlainHttp => text(StatusCode::FORBIDDEN, PLAIN_HTTP),
        Refusal::Unauthorized => text(StatusCode::UNAUTHORIZED, "Unauthorized\n"),
    }
}

const PLAIN_HTTP: &str = "TempAuth over plain HTTP is refused: the password and the X-Auth-Token would travel in clear text, and a token sent this way is revoked. Use HTTPS, or start the server with --allow-swift-over-http.\n";

const POLICY_DENIES: &str = "Forbidden: the bucket policy of this container denies this write (s3:PutObject).\n";

const KEY_AS_METADATA: &str = "Refusing to store an encryption key as object metadata: Swift returns X-Object-Meta-* headers to every reader, so the key would be stored and served in the clear. Send SSE-C headers over HTTPS to the S3 API instead.\n";

impl SwiftFront {
    /// A front for `store`, accepting `X-Auth-User: <any account>:<access_key>` with `X-Auth-Key: <secret>`.
    pub(super) fn new(store: Arc<Store>, config: &super::ServerConfig) -> Self {
        Self { store, auth: TempAuth::new(config) }
    }

    /// Answers a Swift request; `base` is `https://host:port` (or `http://…`) as the client reached it.
    pub(super) async fn handle(&self, req: Request<s3s::Body>, base: &str) -> Response<s3s::Body> {
        let secure = base.starts_with("https://");
        if req.uri().path() == "/auth/v1.0" {
            return self.auth(req.headers(), base, secure);
        }
        if let Err(refusal) = self.auth.check(req.headers(), secure) {
            return refused(refusal);
        }
        let path = req.uri().path().to_owned();
        let mut parts = path.trim_start_matches('/').splitn(4, '/').skip(2);
        let container = parts.next().filter(|c| !c.is_empty()).map(str::to_owned);
        let object = parts.next().filter(|o| !o.is_empty()).map(str::to_owned);
        match (container, object) {
            (Some(c), None) => self.container(req.method(), &c),
            (Some(c), Some(o)) => self.object(req, &c, &o).await,
            _ => text(StatusCode::NO_CONTENT, ""),
        }
    }

    fn auth(&self, headers: &HeaderMap, base: &str, secure: bool) -> Response<s3s::Body> {
        let issued = match self.auth.issue(headers, secure) {
            Ok(issued) => issued,
            Err(refusal) => return refused(refusal),
        };
        let mut r = text(StatusCode::OK, "");
        let storage = format!("{base}/v1/AUTH_{}", self.auth.account());
        let (token, expires) = (issued.token.as_str(), issued.expires_in_secs.to_string());
        for (name, value) in [
            ("x-auth-token", token),
            ("x-storage-token", token),
            ("x-auth-token-expires", expires.as_str()),
            ("x-storage-url", storage.as_str()),
        ] {
            if let Ok(v) = http::HeaderValue::from_str(value) {
                r.headers_mut().insert(name, v);
            }
        }
        r
    }

    fn container(&self, method: &Method, container: &str) -> Response<s3s::Body> {
        match *method {
            Method::PUT => match self.store.create_bucket(container) {
                Ok(()) => text(StatusCode::CREATED, ""),
                Err(_) => text(StatusCode::ACCEPTED, ""),
            },
            Method::HEAD | Method::GET => match self.store.list(container, "", None) {
                Err(_) => text(StatusCode::NOT_FOUND, "Not Found\n"),
                Ok(objects) => {
                    let names: String = objects.iter().map(|o| format!("{}\n", o.meta.key)).collect();
                    let status = if names.is_empty() { StatusCode::NO_CONTENT } else { StatusCode::OK };
                    text(status, if *method == Method::GET { &names } else { "" })
                }
            },
            Method::DELETE => match self.store.delete_bucket(container) {
                Ok(()) => text(StatusCode::NO_CONTENT, ""),
                Err(super::store::BucketError::NotEmpty) => {
                    text(StatusCode::CONFLICT, "There was a conflict when trying to complete your request.\n")
                }
                Err(_) => text(StatusCode::NOT_FOUND, "Not Found\n"),
            },
            _ => text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n"),
        }
    }

    async fn object(&self, req: Request<s3s::Body>, container: &str, object: &str) -> Response<s3s::Body> {
        match *req.method() {
            Method::PUT => self.put(req, container, object).await,
            Method::GET | Method::HEAD => self.get(req.method() == Method::HEAD, container, object).await,
            Method::DELETE => match self.store.get(container, object, None) {
                Ok(Some(_)) => {
                    let _ = self.store.delete(container, object).await;
                    text(StatusCode::NO_CONTENT, "")
                }
                _ => text(StatusCode::NOT_FOUND, "Not Found\n"),
            },
            _ => text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n"),
        }
    }

    async fn put(&self, req: Request<s3s::Body>, container: &str, object: &str) -> Response<s3s::Body> {
        if req.headers().keys().any(|k| names_a_key(k.as_str())) {
            return text(StatusCode::BAD_REQUEST, KEY_AS_METADATA);
        }
        let Ok(controls) = self.store.controls(container) else { return text(StatusCode::NOT_FOUND, "Not Found\n") };
        // The S3 write gate's decision for a plaintext PUT of the same object (no SSE-C condition
        // keys: Swift stores plaintext).
        if controls.policy.is_some_and(|p| super::policy::denies_put_object(&p, container, object, None, None)) {
            return text(StatusCode::FORBIDDEN, POLICY_DENIES);
        }
        let user_metadata = req
            .headers()
            .iter()
            .filter_map(|(n, v)| {
                let name = n.as_str().strip_prefix("x-object-meta-")?;
                Some((name.to_owned(), v.to_str().ok()?.to_owned()))
            })
            .collect();
        let content_type =
            req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let Ok(mut sink) = self.store.begin() else { return text(StatusCode::INTERNAL_SERVER_ERROR, "") };
        let body = req.into_body().into_data_stream();
        let Ok(ingested) = ingest(Some(body), None, &mut sink, s3s::checksum::ChecksumHasher::default(), true).await
        else {
            return text(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Entity\n");
        };
        let Ok(part) = sink.finish().await else { return text(StatusCode::INTERNAL_SERVER_ERROR, "") };
        let etag = hex::encode(ingested.md5.unwrap_or_default());
        let meta = ObjectMeta {
            bucket: container.to_owned(),
            key: object.to_owned(),
            version_id: String::new(),
            delete_marker: false,
            size: ingested.size,
            etag: etag.clone(),
            last_modified_ms: now_ms(),
            content_type,
            user_metadata,
            sse_c: None,
            data_id: random_id(),
            parts: vec![PartMeta { number: 0, size: ingested.size, etag: etag.clone(), salt: None }],
            manifest_tag: None,
            tags: std::collections::BTreeMap::new(),
            checksum: None,
            segment_size: self.store.segment_size(),
        };
        match self.store.commit(meta, vec![part]).await {
            Ok(_) => {
                let mut r = text(StatusCode::CREATED, "");
                if let Ok(v) = http::HeaderValue::from_str(&etag) {
                    r.headers_mut().insert(http::header::ETAG, v);
                }
                r
            }
            Err(_) => text(StatusCode::NOT_FOUND, "Not Found\n"),
        }
    }

    async fn get(&self, head: bool, container: &str, object: &str) -> Response<s3s::Body> {
        let found = match self.store.get(container, object, None) {
            Ok(Some(o)) if !o.meta.delete_marker => o,
            _ => return text(StatusCode::NOT_FOUND, "Not Found\n"),
        };
        if found.meta.sse_c.is_some() {
            // An SSE-C object written through S3 has no plaintext to give to a Swift reader.
            return text(
                StatusCode::FORBIDDEN,
                "This object is encrypted with a customer-provided key; read it through the S3 API with its key.\n",
            );
        }
        let Ok(source) = ObjectSource::open(&found, None) else { return text(StatusCode::INTERNAL_SERVER_ERROR, "") };
        let body = if head {
            s3s::Body::empty()
        } else {
            let range = ByteRange { start: 0, end: found.meta.size };
            let len = usize::try_from(found.meta.size).unwrap_or(usize::MAX);
            s3s::Body::from(s3s::dto::StreamingBlob::new(ExactStream::new(source.stream(range), len)))
        };
        let mut r = Response::new(body);
        *r.status_mut() = StatusCode::OK;
        let h = r.headers_mut();
        h.insert(http::header::CONTENT_LENGTH, found.meta.size.into());
        if let Ok(v) = http::HeaderValue::from_str(&found.meta.etag) {
            h.insert(http::header::ETAG, v);
        }
        for (name, value) in &found.meta.user_metadata {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(format!("x-object-meta-{name}").as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                h.insert(n, v);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_metadata_names_are_recognised() {
        assert!(names_a_key("X-Object-Meta-Encryption-Key"));
        assert!(names_a_key("x-object-meta-sse-customer-key"));
        assert!(!names_a_key("X-Object-Meta-Encryption-Algorithm"));
        assert!(!names_a_key("X-Object-Meta-Keywords"));
        assert!(is_swift(&Method::GET, "/auth/v1.0", &HeaderMap::new()));
        assert!(!is_swift(&Method::GET, "/bucket/key", &HeaderMap::new()));
    }
}
