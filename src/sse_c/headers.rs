//! Header names of the two SSE-C triples, and the raw (unvalidated) values a request carried.

use http::HeaderMap;
use zeroize::Zeroizing;

/// `x-amz-server-side-encryption-customer-algorithm`
pub const ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
/// `x-amz-server-side-encryption-customer-key`
pub const KEY: &str = "x-amz-server-side-encryption-customer-key";
/// `x-amz-server-side-encryption-customer-key-MD5`
pub const KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
/// `x-amz-copy-source-server-side-encryption-customer-algorithm`
pub const COPY_SOURCE_ALGORITHM: &str = "x-amz-copy-source-server-side-encryption-customer-algorithm";
/// `x-amz-copy-source-server-side-encryption-customer-key`
pub const COPY_SOURCE_KEY: &str = "x-amz-copy-source-server-side-encryption-customer-key";
/// `x-amz-copy-source-server-side-encryption-customer-key-MD5`
pub const COPY_SOURCE_KEY_MD5: &str = "x-amz-copy-source-server-side-encryption-customer-key-md5";
/// `x-amz-server-side-encryption` (SSE-S3 / SSE-KMS), which conflicts with SSE-C (P9, P10).
pub const SERVER_SIDE_ENCRYPTION: &str = "x-amz-server-side-encryption";
/// The only algorithm SSE-C accepts.
pub const AES256: &str = "AES256";

/// Which of the two triples a set of headers belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripleKind {
    /// The object's own triple (`x-amz-server-side-encryption-customer-*`).
    Request,
    /// The source of a copy (`x-amz-copy-source-server-side-encryption-customer-*`).
    CopySource,
}

impl TripleKind {
    /// The (algorithm, key, key-MD5) header names of this triple.
    #[must_use]
    pub fn names(self) -> [&'static str; 3] {
        match self {
            Self::Request => [ALGORITHM, KEY, KEY_MD5],
            Self::CopySource => [COPY_SOURCE_ALGORITHM, COPY_SOURCE_KEY, COPY_SOURCE_KEY_MD5],
        }
    }
}

/// True when a header name belongs to either SSE-C triple (case-insensitive).
#[must_use]
pub fn is_sse_c_header(name: &str) -> bool {
    TripleKind::Request
        .names()
        .iter()
        .chain(TripleKind::CopySource.names().iter())
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// The three values of one triple exactly as received, before any validation.
///
/// The key text is a secret: it is wiped on drop and never printed.
#[derive(Default, Clone)]
pub struct RawTriple {
    /// The algorithm header, if present.
    pub algorithm: Option<String>,
    /// The base64 key header, if present.
    pub key: Option<Zeroizing<String>>,
    /// The key-MD5 header, if present.
    pub key_md5: Option<String>,
}

impl RawTriple {
    /// Reads one triple from request headers. A value that is not visible ASCII is kept lossily so
    /// that validation, not parsing, rejects it.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap, kind: TripleKind) -> Self {
        let [alg, key, md5] = kind.names();
        let get = |name: &str| headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Self { algorithm: get(alg), key: get(key).map(Zeroizing::new), key_md5: get(md5) }
    }

    /// A triple from already-parsed fields (s3s input fields, POST form fields). The key text is
    /// taken over and wiped when the triple is dropped.
    #[must_use]
    pub fn new(algorithm: Option<String>, key: Option<String>, key_md5: Option<String>) -> Self {
        Self { algorithm, key: key.map(Zeroizing::new), key_md5 }
    }

    /// True when none of the three headers was sent.
    #[must_use]
    pub fn is_absent(&self) -> bool {
        self.algorithm.is_none() && self.key.is_none() && self.key_md5.is_none()
    }
}

impl std::fmt::Debug for RawTriple {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTriple")
            .field("algorithm", &self.algorithm)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("key_md5", &self.key_md5)
            .finish()
    }
}
