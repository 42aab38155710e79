//! The key that seals an SSE-C object's stored checksum. It is derived from the data key and can
//! neither decrypt the object nor authenticate its manifest; a multipart upload keeps it in memory
//! until CompleteMultipartUpload, which needs no customer key but must store the object's checksum.

use aws_lc_rs::aead::NONCE_LEN;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Binding, SealingKey, aead_key, hmac_sha256};

const CHECKSUM_LABEL: &[u8] = b"ssec-conform/v1/checksum";

/// A checksum sealed with AES-256-GCM (random nonce) under the object's checksum key, with the
/// object's identity as associated data.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedChecksum {
    #[serde(with = "hex::serde")]
    nonce: [u8; NONCE_LEN],
    #[serde(with = "hex::serde")]
    sealed: Vec<u8>,
}

impl std::fmt::Debug for SealedChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedChecksum(..)")
    }
}

/// Seals and opens one object's checksum.
pub struct ChecksumKey {
    key: SealingKey,
    binding: Binding,
}

impl std::fmt::Debug for ChecksumKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChecksumKey(..)")
    }
}

impl ChecksumKey {
    pub(super) fn derive(data_key: &[u8; 32], binding: Binding) -> Self {
        Self { key: aead_key(&hmac_sha256(data_key, &[CHECKSUM_LABEL])), binding }
    }

    /// Seals `plaintext` under a fresh random nonce.
    #[must_use]
    pub fn seal(&self, plaintext: &[u8]) -> SealedChecksum {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let mut sealed = plaintext.to_vec();
        self.key.seal(nonce, self.binding.as_bytes(), &mut sealed);
        SealedChecksum { nonce, sealed }
    }

    /// Opens a sealed checksum; `None` when it fails authentication (altered, or another object's).
    #[must_use]
    pub fn open(&self, sealed: &SealedChecksum) -> Option<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(sealed.sealed.clone());
        let len = self.key.open(sealed.nonce, self.binding.as_bytes(), &mut buf)?.len();
        buf.truncate(len);
        Some(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ObjectCipher;
    use super::*;

    #[test]
    fn a_sealed_checksum_opens_only_under_its_object() {
        let c = ObjectCipher::generate(Binding::new("b", "k", "id"));
        let sealed = c.checksum_key().seal(b"AAAAAA==");
        assert!(!sealed.sealed.windows(8).any(|w| w == b"AAAAAA=="), "stored in the clear");
        assert_eq!(c.checksum_key().open(&sealed).as_deref().map(Vec::as_slice), Some(&b"AAAAAA=="[..]));
        let other = ObjectCipher::generate(Binding::new("b", "k", "id"));
        assert!(other.checksum_key().open(&sealed).is_none(), "another data key opened it");
        let mut altered = sealed.clone();
        altered.sealed[0] ^= 1;
        assert!(c.checksum_key().open(&altered).is_none(), "an altered record opened");
    }
}
