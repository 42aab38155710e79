//! The authenticated manifest of an SSE-C object: its total size and, for each part in order, its
//! number, size, segment count and part salt, under a MAC keyed by a key derived from the data key.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Binding, PartSalt, hmac_sha256, segment_count};

const MANIFEST_LABEL: &[u8] = b"ssec-conform/v1/manifest";

/// One part as the manifest records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartShape {
    /// Part number (0 for a single PUT).
    pub number: u32,
    /// Plaintext size.
    pub size: u64,
    /// The salt of the part's key.
    pub salt: PartSalt,
}

/// The shape of an object: what its manifest tag authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Plaintext bytes per segment.
    pub segment_size: usize,
    /// Total plaintext size.
    pub size: u64,
    /// The parts, in order.
    pub parts: Vec<PartShape>,
}

impl Manifest {
    /// The bytes the tag is computed over (every field at a fixed width, so the encoding is
    /// unambiguous).
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.parts.len() * 52);
        out.extend_from_slice(&(self.segment_size as u64).to_be_bytes());
        out.extend_from_slice(&self.size.to_be_bytes());
        out.extend_from_slice(&(self.parts.len() as u64).to_be_bytes());
        for p in &self.parts {
            out.extend_from_slice(&p.number.to_be_bytes());
            out.extend_from_slice(&p.size.to_be_bytes());
            out.extend_from_slice(&segment_count(p.size, self.segment_size).to_be_bytes());
            out.extend_from_slice(&p.salt.0);
        }
        out
    }
}

/// A manifest's authentication tag, stored with the object.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestTag(#[serde(with = "hex::serde")] [u8; 32]);

/// The manifest failed authentication: the stored shape of the object was altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the object's manifest (parts, sizes) failed authentication")]
pub struct ManifestTampered;

/// The key that authenticates one object's manifest. It is derived from the data key but cannot
/// decrypt anything, so a multipart upload keeps it in memory until it completes.
pub struct ManifestKey {
    key: Zeroizing<[u8; 32]>,
    binding: Binding,
}

impl std::fmt::Debug for ManifestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManifestKey(..)")
    }
}

impl ManifestKey {
    pub(super) fn derive(data_key: &[u8; 32], binding: Binding) -> Self {
        Self { key: hmac_sha256(data_key, &[MANIFEST_LABEL]), binding }
    }

    /// The tag of `manifest`.
    #[must_use]
    pub fn tag(&self, manifest: &Manifest) -> ManifestTag {
        ManifestTag(*hmac_sha256(&self.key[..], &[self.binding.as_bytes(), &manifest.encode()]))
    }

    /// Checks a stored manifest against its stored tag, in constant time. A missing manifest (a part
    /// without its salt) or a missing tag fails.
    pub fn verify(&self, manifest: Option<&Manifest>, tag: Option<&ManifestTag>) -> Result<(), ManifestTampered> {
        let (Some(manifest), Some(tag)) = (manifest, tag) else { return Err(ManifestTampered) };
        if super::constant_time_eq(&self.tag(manifest).0, &tag.0) { Ok(()) } else { Err(ManifestTampered) }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ObjectCipher;
    use super::*;

    #[test]
    fn any_change_of_shape_fails() {
        let c = ObjectCipher::generate(Binding::new("b", "k", "id"));
        let key = c.manifest_key();
        let (a, b) = (c.new_part(1).salt(), c.new_part(2).salt());
        let manifest = Manifest {
            segment_size: crate::server::crypto::SEGMENT_SIZE,
            size: 7_000_000,
            parts: vec![
                PartShape { number: 1, size: 6_000_000, salt: a },
                PartShape { number: 2, size: 1_000_000, salt: b },
            ],
        };
        let tag = key.tag(&manifest);
        assert_eq!(key.verify(Some(&manifest), Some(&tag)), Ok(()));
        let mut swapped = manifest.clone();
        swapped.parts.swap(0, 1);
        let mut dropped = manifest.clone();
        dropped.parts.pop();
        dropped.size = 6_000_000;
        let mut resized = manifest.clone();
        resized.parts[1].size -= 1;
        resized.size -= 1;
        let mut resalted = manifest.clone();
        resalted.parts[0].salt = b;
        let mut resegmented = manifest.clone();
        resegmented.segment_size /= 2;
        for (what, m) in [
            ("swapped", swapped),
            ("dropped", dropped),
            ("resized", resized),
            ("resalted", resalted),
            ("resegmented", resegmented),
        ] {
            assert_eq!(key.verify(Some(&m), Some(&tag)), Err(ManifestTampered), "{what}");
        }
        assert_eq!(key.verify(None, Some(&tag)), Err(ManifestTampered));
        assert_eq!(key.verify(Some(&manifest), None), Err(ManifestTampered));
        let elsewhere = ObjectCipher::generate(Binding::new("b", "k", "id")).manifest_key();
        assert_eq!(elsewhere.verify(Some(&manifest), Some(&tag)), Err(ManifestTampered), "another data key");
    }
}
