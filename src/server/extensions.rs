//! What the edge and the S3 handlers hand each other through request and response extensions, so
//! that neither imports the other.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::stream::BoxStream;

/// A status a handler needs that s3s does not apply for its operation (HeadObject's 206).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatusOverride(pub(crate) http::StatusCode);

/// GetObjectAttributes writes its `<ETag>` unquoted (catalogue A7.5), which s3s cannot serialise: the
/// handler marks its answer with this, and the edge takes the quotes out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnquotedETag;

/// How a request arrived, for the handlers that must check SSE-C transport themselves (POST form
/// fields are invisible to the edge).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Transport {
    /// Over TLS.
    pub(crate) secure: bool,
    /// The server accepts SSE-C over plain HTTP (`--allow-sse-c-over-http`).
    pub(crate) allow_sse_c_over_http: bool,
}

impl Transport {
    /// Whether SSE-C parameters may be accepted on this request.
    #[must_use]
    pub(crate) fn sse_c_allowed(self) -> bool {
        self.secure || self.allow_sse_c_over_http
    }
}

/// The bytes of a POST form's file part, as the edge streams them.
pub(crate) type PostFileStream = BoxStream<'static, Result<Bytes, String>>;

/// The file of a POST form, streamed by the edge past s3s, for the POST Object handler to take
/// (once).
#[derive(Clone)]
pub(crate) struct PostFile(Arc<Mutex<Option<PostFileStream>>>);

impl PostFile {
    /// A file for the handler to take.
    pub(crate) fn new(file: PostFileStream) -> Self {
        Self(Arc::new(Mutex::new(Some(file))))
    }

    /// The file's bytes, the first time.
    #[must_use]
    pub(crate) fn take(&self) -> Option<PostFileStream> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}
