//! Who may read an object: the SSE-C gate of GetObject, HeadObject, GetObjectAttributes and copy
//! sources.

use std::sync::Arc;

use s3s::S3Error;

use crate::server::checksum::ObjectChecksum;
use crate::server::crypto::{Binding, ObjectCipher, OpenError, encrypted_len};
use crate::server::error::internal;
use crate::server::object_io::ObjectSource;
use crate::server::store::{ObjectMeta, StoredObject};
use crate::sse_c::rules::validate_read;
use crate::sse_c::{RawTriple, SseCError};

/// The outcome of a successful read authorisation.
#[derive(Debug)]
pub(super) struct ReadAccess {
    /// The object's cipher, for an SSE-C object.
    pub cipher: Option<Arc<ObjectCipher>>,
    /// The key MD5 to echo, for an SSE-C object.
    pub key_md5: Option<String>,
}

impl ReadAccess {
    /// The object's plaintext, as a source of segments. For an SSE-C object the stored parts must
    /// have the lengths its authenticated manifest implies.
    pub(super) fn source(&self, obj: &Arc<StoredObject>) -> Result<ObjectSource, S3Error> {
        let source = ObjectSource::open(obj, self.cipher.clone()).map_err(|e| internal(&e))?;
        if self.cipher.is_some() {
            let segment = obj.meta.segment_size;
            let expected: Vec<u64> = obj.meta.parts.iter().map(|p| encrypted_len(p.size, segment)).collect();
            source.check_lengths(&expected).map_err(|e| internal(&e))?;
        }
        Ok(source)
    }
}

impl ReadAccess {
    /// The object's stored checksum, opened with the presented key for an SSE-C object.
    #[must_use]
    pub(crate) fn checksum(&self, obj: &StoredObject) -> Option<ObjectChecksum> {
        let key = self.cipher.as_ref().map(|c| c.checksum_key());
        obj.meta.checksum.as_ref()?.reveal(key.as_ref())
    }
}

/// The binding of a stored object's ciphertext.
pub(super) fn binding_of(meta: &ObjectMeta) -> Binding {
    Binding::new(&meta.bucket, &meta.key, &meta.data_id)
}

/// Opens a sealed data key with a presented triple: syntax (algorithm, presence, MD5), then the key
/// itself against the verifier; a key of the wrong length can only be a wrong key (G4: 403).
pub(super) fn open_sealed(
    raw: &RawTriple,
    sealed: &crate::server::crypto::SealedKey,
    binding: Binding,
) -> Result<(ObjectCipher, String), S3Error> {
    let triple = validate_read(raw)?;
    let key = triple.key.ok_or(SseCError::WrongKey)?;
    match ObjectCipher::open(sealed, &key, binding) {
        Ok(cipher) => Ok((cipher, triple.key_md5)),
        Err(OpenError::WrongKey) => Err(SseCError::WrongKey.into()),
        Err(OpenError::Tampered) => Err(internal(&"sealed key of a stored object failed authentication")),
    }
}

/// Checks `raw` against `obj`, in the order of catalogue B.4: object state (G2/C4 when the object is
/// SSE-C and no triple was sent, G7/C8 when it is not and one was), then the triple. With the right
/// key, the object's manifest (parts, sizes) must authenticate, or the read is a 500.
pub(super) fn authorize(raw: &RawTriple, obj: &StoredObject) -> Result<ReadAccess, S3Error> {
    let Some(sealed) = &obj.meta.sse_c else {
        if raw.is_absent() {
            return Ok(ReadAccess { cipher: None, key_md5: None });
        }
        return Err(SseCError::NotApplicable.into());
    };
    if raw.is_absent() {
        return Err(SseCError::ObjectEncrypted.into());
    }
    let (cipher, key_md5) = open_sealed(raw, sealed, binding_of(&obj.meta))?;
    cipher
        .manifest_key()
        .verify(obj.meta.manifest().as_ref(), obj.meta.manifest_tag.as_ref())
        .map_err(|e| internal(&e))?;
    Ok(ReadAccess { cipher: Some(Arc::new(cipher)), key_md5: Some(key_md5) })
}
