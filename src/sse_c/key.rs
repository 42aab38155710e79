//! The customer key: 32 secret bytes that never leave this type unprotected.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest as _, Md5};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::headers::{AES256, TripleKind};

/// A 256-bit SSE-C customer key.
///
/// The bytes are wiped when the value is dropped, `Debug` prints only a placeholder, and equality is
/// evaluated in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CustomerKey([u8; 32]);

impl CustomerKey {
    /// Wraps 32 raw key bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh random key from the operating system's generator.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(bytes)
    }

    /// The raw key bytes. Callers must not copy them into unprotected storage.
    #[must_use]
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as standard base64, the encoding of the `…-customer-key` header.
    #[must_use]
    pub fn to_base64(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(B64.encode(self.0))
    }

    /// base64(MD5(raw key)), the value of the `…-customer-key-MD5` header.
    #[must_use]
    pub fn md5_b64(&self) -> String {
        key_md5_b64(&self.0)
    }

    /// The three headers of `kind` that carry this key, as a request sends them: the algorithm
    /// `AES256`, the base64 key and its MD5. The key text is a copy the caller must treat as a secret.
    #[must_use]
    pub fn headers(&self, kind: TripleKind) -> [(&'static str, String); 3] {
        let [algorithm, key, key_md5] = kind.names();
        [(algorithm, AES256.to_owned()), (key, self.to_base64().to_string()), (key_md5, self.md5_b64())]
    }
}

/// base64(MD5(bytes)): the key-MD5 header value for any byte string, valid key or not.
#[must_use]
pub fn key_md5_b64(bytes: &[u8]) -> String {
    B64.encode(Md5::digest(bytes))
}

impl PartialEq for CustomerKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for CustomerKey {}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomerKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixture K_A of the behaviour catalogue (section 0.2).
    #[test]
    fn catalogue_fixture_md5() {
        let raw = B64.decode("pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=").unwrap();
        let key = CustomerKey::from_bytes(raw.try_into().unwrap());
        assert_eq!(key.md5_b64(), "DWygnHRtgiJ77HCm+1rvHw==");
        assert_eq!(key.to_base64().as_str(), "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=");
    }

    #[test]
    fn debug_is_redacted_and_eq_compares_bytes() {
        let a = CustomerKey::from_bytes([7; 32]);
        assert_eq!(format!("{a:?}"), "CustomerKey(<redacted>)");
        assert_eq!(a, CustomerKey::from_bytes([7; 32]));
        assert_ne!(a, CustomerKey::from_bytes([8; 32]));
    }
}
