//! Fuzzing builds only: a log of every (key, nonce) pair AES-GCM has sealed under, which panics on
//! the first pair sealed twice, so a nonce reuse is a crash wherever a fuzz target provokes it.
//!
//! Keys are logged as a one-way fingerprint (a truncated SHA-256 of a label and the key), never as
//! key bytes. Memory is bounded: two generations of [`GENERATION`] entries are kept, so a reuse is
//! caught whenever fewer than that many seals lie between the two uses.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

use sha2::Digest as _;

/// Entries per generation (about 3 MiB each).
pub const GENERATION: usize = 1 << 16;

/// A one-way fingerprint of an AES key: it identifies the key in the log without revealing it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 16]);

impl KeyId {
    /// The fingerprint of `key`.
    #[must_use]
    pub fn of(key: &[u8; 32]) -> Self {
        let digest = sha2::Sha256::new().chain_update(b"ssec-conform/fuzzing/key-id").chain_update(key).finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        Self(id)
    }
}

/// A bounded set of sealed (key, nonce) pairs.
#[derive(Default)]
pub struct NonceLog {
    current: HashSet<(KeyId, [u8; 12])>,
    previous: HashSet<(KeyId, [u8; 12])>,
}

impl NonceLog {
    /// Adds a pair; `false` if it was already there.
    pub fn insert(&mut self, key: KeyId, nonce: [u8; 12]) -> bool {
        let fresh = !self.previous.contains(&(key, nonce)) && self.current.insert((key, nonce));
        if self.current.len() >= GENERATION {
            self.previous = std::mem::take(&mut self.current);
        }
        fresh
    }

    /// How many pairs are held (at most `2 × GENERATION`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Whether no pair is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn log() -> std::sync::MutexGuard<'static, NonceLog> {
    static LOG: OnceLock<Mutex<NonceLog>> = OnceLock::new();
    LOG.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records a seal under (`key`, `nonce`) in the process-wide log; panics if that pair was sealed
/// under before.
pub fn record(key: KeyId, nonce: [u8; 12]) {
    let fresh = log().insert(key, nonce);
    assert!(fresh, "AES-GCM nonce reuse: key {} sealed twice under nonce {}", hex::encode(key.0), hex::encode(nonce));
}

/// How many pairs the process-wide log holds.
#[must_use]
pub fn recorded() -> usize {
    log().len()
}
