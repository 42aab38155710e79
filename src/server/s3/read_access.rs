//! Who may read an object: the SSE-C gate of GetObject, HeadObject and copy sources.

use std::sync::Arc;

use http::HeaderMap;
use s3s::S3Error;

use crate::server::crypto::{Binding, ObjectCipher, OpenError};
use crate::server::error::internal;
use crate::server::store::StoredObject;
use crate::sse_c::rules::validate_read;
use crate::sse_c::{RawTriple, SseCError, TripleKind};

/// The outcome of a successful read authorisation.
#[derive(Debug)]
pub struct ReadAccess {
    /// The object's cipher, for an SSE-C object.
    pub cipher: Option<Arc<ObjectCipher>>,
    /// The key MD5 to echo, for an SSE-C object.
    pub key_md5: Option<String>,
}

/// The binding of a stored object's ciphertext.
pub fn binding_of(obj: &StoredObject) -> Binding {
    Binding::new(&obj.meta.bucket, &obj.meta.key, &obj.meta.version_id, 0)
}

/// Checks the triple `kind` of `headers` against `obj`, in the order of catalogue B.4: object state
/// (G2/C4 when the object is SSE-C and no triple was sent, G7/C8 when it is not and one was), then the
/// triple's own validity, then the key against the object's verifier (G3/G4: 403).
pub fn authorize(headers: &HeaderMap, kind: TripleKind, obj: &StoredObject) -> Result<ReadAccess, S3Error> {
    let raw = RawTriple::from_headers(headers, kind);
    let Some(sealed) = &obj.meta.sse_c else {
        if raw.is_absent() {
            return Ok(ReadAccess { cipher: None, key_md5: None });
        }
        return Err(SseCError::NotApplicable.into());
    };
    if raw.is_absent() {
        return Err(SseCError::ObjectEncrypted.into());
    }
    let triple = validate_read(&raw)?;
    let key = triple.key.ok_or(SseCError::WrongKey)?;
    match ObjectCipher::open(sealed, &key, binding_of(obj), obj.meta.size) {
        Ok(cipher) => Ok(ReadAccess { cipher: Some(Arc::new(cipher)), key_md5: Some(triple.key_md5) }),
        Err(OpenError::WrongKey) => Err(SseCError::WrongKey.into()),
        Err(OpenError::Tampered) => Err(internal(&"sealed key of a stored object failed authentication")),
    }
}
