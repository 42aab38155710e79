//! At-rest encryption of SSE-C objects.
//!
//! The customer key never touches storage. For each object the server draws a random salt and a random
//! 256-bit data key, and keeps:
//! - a **verifier**, `HMAC-SHA256(customer key, "verify" ‖ salt)`, compared in constant time to decide
//!   whether a presented key is the object's key (the AWS "randomly salted HMAC");
//! - the data key **sealed** with AES-256-GCM under `HMAC-SHA256(customer key, "seal" ‖ salt)`, with the
//!   object's identity (bucket, key, data id) as associated data.
//!
//! Data is AES-256-GCM in fixed plaintext segments of [`SEGMENT_SIZE`] bytes, per part (a single PUT is
//! part 0). Segment `i` of part `p` uses a nonce made of `p` and `i` (unique per data key) and the
//! associated data `identity ‖ p ‖ i ‖ last`, so segments cannot be reordered, moved to another
//! part or object, or truncated without failing authentication. A range read decrypts only the
//! segments it covers.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::sse_c::CustomerKey;

/// Plaintext bytes per encrypted segment. Chosen from the throughput benchmark: large enough that the
/// per-segment cost (nonce, tag, allocation) is negligible, small enough that a range read decrypts
/// little it does not return.
pub const SEGMENT_SIZE: usize = 256 * 1024;
/// Bytes of authentication tag after each encrypted segment.
pub const TAG_LEN: usize = 16;

const VERIFY_LABEL: &[u8] = b"ssec-conform/v1/verify";
const SEAL_LABEL: &[u8] = b"ssec-conform/v1/seal";

/// What the store keeps about an SSE-C object's key: nothing from which the key can be recovered.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedKey {
    #[serde(with = "hex::serde")]
    salt: [u8; 32],
    #[serde(with = "hex::serde")]
    verifier: [u8; 32],
    #[serde(with = "hex::serde")]
    nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    sealed: Vec<u8>,
}

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedKey(..)")
    }
}

/// Why an object's key could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The presented key is not the object's key.
    #[error("wrong customer key")]
    WrongKey,
    /// The key verified but the sealed data key did not authenticate: the stored metadata was altered.
    #[error("sealed object key failed authentication")]
    Tampered,
}

/// A segment failed authentication: stored data was altered, truncated or moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("encrypted segment {0} failed authentication")]
pub struct SegmentTampered(pub u64);

/// Where a segment sits: its part, its index in the part, and whether it is the part's last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentId {
    /// Part number (0 for a single PUT).
    pub part: u32,
    /// Index of the segment within the part.
    pub index: u64,
    /// Whether it is the part's last segment.
    pub last: bool,
}

/// The identity an object's ciphertext is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding(Vec<u8>);

impl Binding {
    /// Binds to bucket, key and the object's data id (random per upload).
    #[must_use]
    pub fn new(bucket: &str, key: &str, data_id: &str) -> Self {
        let mut v = Vec::with_capacity(bucket.len() + key.len() + data_id.len() + 24);
        for field in [bucket.as_bytes(), key.as_bytes(), data_id.as_bytes()] {
            v.extend_from_slice(&(field.len() as u64).to_be_bytes());
            v.extend_from_slice(field);
        }
        Self(v)
    }
}

fn derive(customer: &CustomerKey, label: &[u8], salt: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let k = hmac::Key::new(hmac::HMAC_SHA256, customer.expose());
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(label);
    ctx.update(salt);
    let tag = ctx.sign();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(tag.as_ref());
    out
}

fn aead_key(bytes: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte AES-256 key"))
}

/// The per-object cipher: encrypts and decrypts segments under the object's data key.
pub struct ObjectCipher {
    key: LessSafeKey,
    data_key: Zeroizing<[u8; 32]>,
    binding: Binding,
}

impl std::fmt::Debug for ObjectCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObjectCipher(..)")
    }
}

impl ObjectCipher {
    /// A fresh cipher with a random data key, for a new object.
    #[must_use]
    pub fn generate(binding: Binding) -> Self {
        let mut data_key = Zeroizing::new([0u8; 32]);
        rand::fill(&mut data_key[..]);
        Self { key: aead_key(&data_key), data_key, binding }
    }

    /// Seals this cipher's data key under `customer`.
    #[must_use]
    pub fn seal(&self, customer: &CustomerKey) -> SealedKey {
        let mut salt = [0u8; 32];
        rand::fill(&mut salt);
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let verifier = *derive(customer, VERIFY_LABEL, &salt);
        let kek = aead_key(&derive(customer, SEAL_LABEL, &salt));
        let mut sealed = self.data_key.to_vec();
        kek.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.binding.0.as_slice()),
            &mut sealed,
        )
        .expect("AES-GCM seal of 32 bytes");
        SealedKey { salt, verifier, nonce, sealed }
    }

    /// Opens an object's cipher with a presented key. The verifier is checked first, in constant time.
    pub fn open(sealed: &SealedKey, customer: &CustomerKey, binding: Binding) -> Result<Self, OpenError> {
        let check = derive(customer, VERIFY_LABEL, &sealed.salt);
        if !constant_time_eq(&check[..], &sealed.verifier) {
            return Err(OpenError::WrongKey);
        }
        let kek = aead_key(&derive(customer, SEAL_LABEL, &sealed.salt));
        let mut buf = Zeroizing::new(sealed.sealed.clone());
        let plain = kek
            .open_in_place(Nonce::assume_unique_for_key(sealed.nonce), Aad::from(binding.0.as_slice()), &mut buf)
            .map_err(|_| OpenError::Tampered)?;
        let data_key: [u8; 32] = plain.try_into().map_err(|_| OpenError::Tampered)?;
        let data_key = Zeroizing::new(data_key);
        Ok(Self { key: aead_key(&data_key), data_key, binding })
    }

    fn segment_aad(&self, at: SegmentId) -> Vec<u8> {
        let mut aad = Vec::with_capacity(self.binding.0.len() + 13);
        aad.extend_from_slice(&self.binding.0);
        aad.extend_from_slice(&at.part.to_be_bytes());
        aad.extend_from_slice(&at.index.to_be_bytes());
        aad.push(u8::from(at.last));
        aad
    }

    /// Nonce `part ‖ index`: 4 + 8 bytes, unique for every segment under one data key.
    fn nonce(at: SegmentId) -> Nonce {
        let mut n = [0u8; NONCE_LEN];
        n[..4].copy_from_slice(&at.part.to_be_bytes());
        n[4..].copy_from_slice(&at.index.to_be_bytes());
        Nonce::assume_unique_for_key(n)
    }

    /// Encrypts a segment in place and appends its tag.
    pub fn encrypt_segment(&self, at: SegmentId, buf: &mut Vec<u8>) {
        self.key.seal_in_place_append_tag(Self::nonce(at), Aad::from(self.segment_aad(at)), buf).expect("AES-GCM seal");
    }

    /// Decrypts a segment (ciphertext ‖ tag) in place and returns the plaintext length.
    pub fn decrypt_segment(&self, at: SegmentId, buf: &mut [u8]) -> Result<usize, SegmentTampered> {
        self.key
            .open_in_place(Self::nonce(at), Aad::from(self.segment_aad(at)), buf)
            .map(|p| p.len())
            .map_err(|_| SegmentTampered(at.index))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

/// Number of segments of an object of `size` plaintext bytes (a zero-byte object has one, empty,
/// authenticated segment, so that even it proves the key).
#[must_use]
pub fn segment_count(size: u64) -> u64 {
    if size == 0 { 1 } else { size.div_ceil(SEGMENT_SIZE as u64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> Binding {
        Binding::new("b", "k", "id1")
    }

    #[test]
    fn seal_open_roundtrip_and_wrong_key() {
        let k = CustomerKey::from_bytes([1; 32]);
        let c = ObjectCipher::generate(binding());
        let sealed = c.seal(&k);
        assert!(ObjectCipher::open(&sealed, &k, binding()).is_ok());
        let other = CustomerKey::from_bytes([2; 32]);
        assert_eq!(ObjectCipher::open(&sealed, &other, binding()).unwrap_err(), OpenError::WrongKey);
        assert_eq!(ObjectCipher::open(&sealed, &k, Binding::new("b", "k2", "id1")).unwrap_err(), OpenError::Tampered);
    }

    #[test]
    fn segments_are_bound_to_index_and_last_flag() {
        let c = ObjectCipher::generate(binding());
        let at = SegmentId { part: 2, index: 3, last: true };
        let mut seg = b"hello".to_vec();
        c.encrypt_segment(at, &mut seg);
        assert_eq!(seg.len(), 5 + TAG_LEN);
        for wrong in [SegmentId { index: 4, ..at }, SegmentId { last: false, ..at }, SegmentId { part: 1, ..at }] {
            let mut copy = seg.clone();
            assert!(c.decrypt_segment(wrong, &mut copy).is_err(), "{wrong:?}");
        }
        let n = c.decrypt_segment(at, &mut seg).unwrap();
        assert_eq!(&seg[..n], b"hello");
    }
}
