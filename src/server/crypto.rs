//! At-rest encryption of SSE-C objects.
//!
//! The customer key never touches storage. For each object (and each multipart upload) the server
//! draws a random 256-bit **data key** and a random salt, and keeps:
//! - a **verifier**, `HMAC-SHA256(customer key, "verify" ‖ salt)`, compared in constant time to decide
//!   whether a presented key is the object's key (the AWS "randomly salted HMAC");
//! - the data key **sealed** with AES-256-GCM under `HMAC-SHA256(customer key, "seal" ‖ salt)` (random
//!   nonce), with the object's identity (bucket, key, data id) as associated data.
//!
//! Each upload of a part (a single PUT is part 0; every UploadPart and UploadPartCopy, including a
//! second upload of the same part number) draws a fresh random 256-bit **part salt**, stored with the
//! part, and encrypts under its own **part key** `HMAC-SHA256(data key, "part" ‖ number ‖ part salt)`.
//! Data is AES-256-GCM in fixed plaintext segments of [`SEGMENT_SIZE`] bytes: segment `i` of part `p`
//! uses the nonce `p ‖ i` and the associated data `identity ‖ p ‖ i ‖ last`. A part key seals each
//! nonce once, and no two part uploads share a part key (short of a 256-bit salt collision), so no
//! (key, nonce) pair is ever used twice, whatever the sequence of uploads, overwrites, copies,
//! rotations or concurrent re-uploads of one part. Fuzzing builds check this at every seal
//! (`nonce_log`).
//!
//! The object's **manifest** (total size, and for each part in order its number, size, segment count
//! and part salt) is authenticated by `HMAC-SHA256(manifest key, identity ‖ manifest)`, where the
//! manifest key is `HMAC-SHA256(data key, "manifest")`. Every read with the key checks it before
//! anything else, so parts cannot be swapped, dropped or resized in storage; the data files are
//! checked against the authenticated sizes, so a truncated file is refused before any byte is read.
//! A multipart upload keeps its manifest key (which can authenticate but not decrypt) in memory until
//! CompleteMultipartUpload, which needs no customer key.
//!
//! The object's flexible checksum (a CRC or SHA of the plaintext) is sealed with AES-256-GCM under
//! `HMAC-SHA256(data key, "checksum")`, bound to the identity, so that it is never read without the
//! customer key.
//!
//! A read decrypts only the segments its range covers, each exactly once, and authenticates each
//! segment before any of its bytes are returned.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::sse_c::CustomerKey;

mod checksum_key;
mod manifest;
#[cfg(feature = "fuzzing")]
pub mod nonce_log;

pub use self::checksum_key::{ChecksumKey, SealedChecksum};
pub use self::manifest::{Manifest, ManifestKey, ManifestTag, ManifestTampered, PartShape};

/// Plaintext bytes per encrypted segment, by default. Chosen from the throughput benchmark: large
/// enough that the per-segment cost (nonce, tag, allocation) is negligible, small enough that a range
/// read decrypts little it does not return. Each object records the size it was written with
/// ([`crate::server::store::ObjectMeta::segment_size`]).
pub const SEGMENT_SIZE: usize = 256 * 1024;
/// The smallest segment size a server may be configured with.
pub const MIN_SEGMENT_SIZE: usize = 64;
/// Bytes of authentication tag after each encrypted segment.
pub const TAG_LEN: usize = 16;

const VERIFY_LABEL: &[u8] = b"ssec-conform/v1/verify";
const SEAL_LABEL: &[u8] = b"ssec-conform/v1/seal";
const PART_LABEL: &[u8] = b"ssec-conform/v1/part";

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

/// The random salt of one upload of one part, from which its part key is derived. Not secret.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartSalt(#[serde(with = "hex::serde")] [u8; 32]);

impl PartSalt {
    fn random() -> Self {
        let mut salt = [0u8; 32];
        rand::fill(&mut salt);
        Self(salt)
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
#[error("encrypted segment {index} of part {part} failed authentication")]
pub struct SegmentTampered {
    /// Part number.
    pub part: u32,
    /// Index of the segment within the part.
    pub index: u64,
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

    fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// `HMAC-SHA256(key, parts…)`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    for p in parts {
        ctx.update(p);
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

fn derive(customer: &CustomerKey, label: &[u8], salt: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    hmac_sha256(customer.expose(), &[label, salt])
}

fn aead_key(bytes: &[u8; 32]) -> SealingKey {
    SealingKey {
        key: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte AES-256 key")),
        #[cfg(feature = "fuzzing")]
        id: nonce_log::KeyId::of(bytes),
    }
}

/// An AES-256-GCM key. Every seal goes through [`SealingKey::seal`], which in fuzzing builds logs
/// the (key, nonce) pair and panics on a reuse.
struct SealingKey {
    key: LessSafeKey,
    #[cfg(feature = "fuzzing")]
    id: nonce_log::KeyId,
}

impl SealingKey {
    fn seal(&self, nonce: [u8; NONCE_LEN], aad: &[u8], buf: &mut Vec<u8>) {
        #[cfg(feature = "fuzzing")]
        nonce_log::record(self.id, nonce);
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
            .expect("AES-GCM seal");
    }

    fn open<'a>(&self, nonce: [u8; NONCE_LEN], aad: &[u8], buf: &'a mut [u8]) -> Option<&'a mut [u8]> {
        self.key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf).ok()
    }
}

/// An object's data key: seals itself under a customer key, derives part keys and the manifest key.
pub struct ObjectCipher {
    data_key: Zeroizing<[u8; 32]>,
    binding: Binding,
}

impl std::fmt::Debug for ObjectCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObjectCipher(..)")
    }
}

impl ObjectCipher {
    /// A fresh cipher with a random data key, for a new object or multipart upload.
    #[must_use]
    pub fn generate(binding: Binding) -> Self {
        let mut data_key = Zeroizing::new([0u8; 32]);
        rand::fill(&mut data_key[..]);
        Self { data_key, binding }
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
        kek.seal(nonce, self.binding.as_bytes(), &mut sealed);
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
        let plain = kek.open(sealed.nonce, binding.as_bytes(), &mut buf).ok_or(OpenError::Tampered)?;
        let data_key: [u8; 32] = plain.try_into().map_err(|_| OpenError::Tampered)?;
        Ok(Self { data_key: Zeroizing::new(data_key), binding })
    }

    /// The key of a new upload of part `number`, under a fresh random salt.
    #[must_use]
    pub fn new_part(&self, number: u32) -> PartCipher {
        self.part(number, PartSalt::random())
    }

    /// The key of a stored part, from its number and salt.
    #[must_use]
    pub fn part(&self, number: u32, salt: PartSalt) -> PartCipher {
        let key = hmac_sha256(&self.data_key[..], &[PART_LABEL, &number.to_be_bytes(), &salt.0]);
        let mut aad_prefix = Vec::with_capacity(self.binding.0.len() + 4);
        aad_prefix.extend_from_slice(self.binding.as_bytes());
        aad_prefix.extend_from_slice(&number.to_be_bytes());
        PartCipher { key: aead_key(&key), number, salt, aad_prefix }
    }

    /// The key that authenticates this object's manifest.
    #[must_use]
    pub fn manifest_key(&self) -> ManifestKey {
        ManifestKey::derive(&self.data_key, self.binding.clone())
    }

    /// The key that seals this object's stored checksum.
    #[must_use]
    pub fn checksum_key(&self) -> ChecksumKey {
        ChecksumKey::derive(&self.data_key, self.binding.clone())
    }
}

/// The key of one upload of one part: encrypts and decrypts its segments.
pub struct PartCipher {
    key: SealingKey,
    number: u32,
    salt: PartSalt,
    aad_prefix: Vec<u8>,
}

impl std::fmt::Debug for PartCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PartCipher(part {}, ..)", self.number)
    }
}

impl PartCipher {
    /// The salt to store with the part.
    #[must_use]
    pub fn salt(&self) -> PartSalt {
        self.salt
    }

    /// Associated data `identity ‖ part ‖ index ‖ last`.
    fn aad(&self, index: u64, last: bool) -> Vec<u8> {
        let mut aad = Vec::with_capacity(self.aad_prefix.len() + 9);
        aad.extend_from_slice(&self.aad_prefix);
        aad.extend_from_slice(&index.to_be_bytes());
        aad.push(u8::from(last));
        aad
    }

    /// Nonce `part ‖ index`: 4 + 8 bytes, distinct for every segment of the part.
    fn nonce(&self, index: u64) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        n[..4].copy_from_slice(&self.number.to_be_bytes());
        n[4..].copy_from_slice(&index.to_be_bytes());
        n
    }

    /// Encrypts segment `index` in place and appends its tag; `last` marks the part's last segment.
    pub fn encrypt_segment(&self, index: u64, last: bool, buf: &mut Vec<u8>) {
        self.key.seal(self.nonce(index), &self.aad(index, last), buf);
    }

    /// Decrypts segment `index` (ciphertext ‖ tag) in place and returns the plaintext length.
    pub fn decrypt_segment(&self, index: u64, last: bool, buf: &mut [u8]) -> Result<usize, SegmentTampered> {
        self.key
            .open(self.nonce(index), &self.aad(index, last), buf)
            .map(|p| p.len())
            .ok_or(SegmentTampered { part: self.number, index })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

/// Number of segments of `segment_size` bytes in a part of `size` plaintext bytes (a zero-byte part
/// has one, empty, authenticated segment, so that even it proves the key).
#[must_use]
pub fn segment_count(size: u64, segment_size: usize) -> u64 {
    if size == 0 { 1 } else { size.div_ceil(segment_size as u64) }
}

/// Stored bytes of an encrypted part of `size` plaintext bytes in segments of `segment_size`: the
/// plaintext plus one tag per segment.
#[must_use]
pub fn encrypted_len(size: u64, segment_size: usize) -> u64 {
    size + segment_count(size, segment_size) * TAG_LEN as u64
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
    fn segments_are_bound_to_part_salt_index_and_last_flag() {
        let c = ObjectCipher::generate(binding());
        let part = c.new_part(2);
        let mut seg = b"hello".to_vec();
        part.encrypt_segment(3, true, &mut seg);
        assert_eq!(seg.len(), 5 + TAG_LEN);
        let other_upload = c.new_part(2);
        for (what, cipher, index, last) in [
            ("index", c.part(2, part.salt()), 4, true),
            ("last flag", c.part(2, part.salt()), 3, false),
            ("part number", c.part(1, part.salt()), 3, true),
            ("salt", other_upload, 3, true),
        ] {
            let mut copy = seg.clone();
            assert!(cipher.decrypt_segment(index, last, &mut copy).is_err(), "another {what} opened the segment");
        }
        let n = c.part(2, part.salt()).decrypt_segment(3, true, &mut seg).unwrap();
        assert_eq!(&seg[..n], b"hello");
    }

    #[test]
    fn two_uploads_of_one_part_use_different_key_streams() {
        let c = ObjectCipher::generate(binding());
        let (a, b) = (c.new_part(1), c.new_part(1));
        let (mut x, mut y) = (vec![0u8; 64], vec![0u8; 64]);
        a.encrypt_segment(0, true, &mut x);
        b.encrypt_segment(0, true, &mut y);
        assert_ne!(x[..64], y[..64], "equal plaintexts encrypted to equal ciphertexts: one key stream");
    }
}
