//! The SSE-C headers of a request: the object's triple and a copy source's.

use ssec_conform::client::Outgoing;
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::TripleKind;

/// The three SSE-C headers of `kind` (algorithm, key, key-MD5) for `key`.
pub(crate) fn triple(kind: TripleKind, key: &CustomerKey) -> [(String, String); 3] {
    key.headers(kind).map(|(name, value)| (name.to_owned(), value))
}

/// Adds the object's SSE-C triple of `key`.
pub(crate) fn with_key(mut req: Outgoing, key: &CustomerKey) -> Outgoing {
    req.headers.extend(triple(TripleKind::Request, key));
    req
}

/// Adds `x-amz-copy-source: /bucket/source` and the copy-source SSE-C triple of `key`.
pub(crate) fn with_copy_source(mut req: Outgoing, bucket: &str, source: &str, key: &CustomerKey) -> Outgoing {
    req.headers.push(("x-amz-copy-source".into(), format!("/{bucket}/{source}")));
    req.headers.extend(triple(TripleKind::CopySource, key));
    req
}
