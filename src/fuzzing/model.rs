//! The catalogue model of the SSE-C header rules, written independently of
//! `crate::sse_c::rules` (section B.3/B.4 of the behaviour catalogue), own strict base64 included.

use md5::{Digest as _, Md5};

use crate::sse_c::SseCError;

/// A validation fault, named after the catalogue case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// P9/P10: SSE-C with `x-amz-server-side-encryption`.
    Incompatible,
    /// P5: key or MD5 without the algorithm.
    MissingAlgorithm,
    /// P6/G6: not `AES256`.
    InvalidAlgorithm,
    /// P4: no key.
    MissingKey,
    /// P7/P8: not strict base64 (of 32 bytes, when writing).
    InvalidKey,
    /// P3: no key MD5.
    MissingKeyMd5,
    /// P2/G5: the MD5 is not base64(MD5(key bytes)).
    KeyMd5Mismatch,
}

impl Fault {
    /// Catalogue status and code.
    #[must_use]
    pub fn answer(self) -> (u16, &'static str) {
        match self {
            Self::InvalidAlgorithm => (400, "InvalidEncryptionAlgorithmError"),
            _ => (400, "InvalidArgument"),
        }
    }

    pub(crate) fn of(e: &SseCError) -> Option<Self> {
        Some(match e {
            SseCError::IncompatibleEncryption { .. } => Self::Incompatible,
            SseCError::MissingAlgorithm => Self::MissingAlgorithm,
            SseCError::InvalidAlgorithm { .. } => Self::InvalidAlgorithm,
            SseCError::MissingKey => Self::MissingKey,
            SseCError::InvalidKey => Self::InvalidKey,
            SseCError::MissingKeyMd5 => Self::MissingKeyMd5,
            SseCError::KeyMd5Mismatch => Self::KeyMd5Mismatch,
            _ => return None,
        })
    }
}

/// What a write's triple means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteVerdict {
    /// No SSE-C header at all: a plain write.
    Absent,
    /// A valid triple with this key.
    Valid([u8; 32]),
    /// Refused.
    Invalid(Fault),
}

/// What a read's triple means (the caller has decided that the triple is needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadVerdict {
    /// Syntactically valid; these key bytes (any length) are then matched against the object.
    Presented(Vec<u8>),
    /// Refused before the key is matched.
    Invalid(Fault),
}

pub(crate) fn model_b64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Strict RFC 4648 base64: standard alphabet, canonical padding, no whitespace, zero pad bits.
#[must_use]
pub fn model_b64_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let groups = b.len() / 4;
    let mut out = Vec::with_capacity(groups * 3);
    for (i, g) in b.chunks(4).enumerate() {
        let pad = g.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for (j, &c) in g.iter().enumerate() {
            let v = if j < 4 - pad { model_b64_value(c)? } else { 0 };
            n = (n << 6) | v;
        }
        let [_, x, y, z] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[x, y, z]),
            1 if n & 0xff == 0 => out.extend_from_slice(&[x, y]),
            2 if n & 0xffff == 0 => out.push(x),
            _ => return None,
        }
    }
    Some(out)
}

/// Standard padded base64.
#[must_use]
pub fn model_b64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// base64(MD5(bytes)) with the model's encoder.
#[must_use]
pub fn model_md5(bytes: &[u8]) -> String {
    model_b64_encode(&Md5::digest(bytes))
}

/// The write rules in catalogue order (B.3): conflict → algorithm → key present → key is base64 of
/// 32 bytes → MD5 present → MD5 matches.
#[must_use]
pub fn model_write(alg: Option<&str>, key: Option<&str>, md5: Option<&str>, sse: Option<&str>) -> WriteVerdict {
    if alg.is_none() && key.is_none() && md5.is_none() {
        return WriteVerdict::Absent;
    }
    let fault = if sse.is_some() {
        Fault::Incompatible
    } else if alg.is_none() {
        Fault::MissingAlgorithm
    } else if alg != Some("AES256") {
        Fault::InvalidAlgorithm
    } else {
        let Some(key) = key else { return WriteVerdict::Invalid(Fault::MissingKey) };
        let Some(bytes) = model_b64_decode(key).and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
            return WriteVerdict::Invalid(Fault::InvalidKey);
        };
        match md5 {
            None => Fault::MissingKeyMd5,
            Some(m) if m != model_md5(&bytes) => Fault::KeyMd5Mismatch,
            Some(_) => return WriteVerdict::Valid(bytes),
        }
    };
    WriteVerdict::Invalid(fault)
}

/// The read rules in catalogue order (B.4): algorithm → key present → MD5 present → key is base64
/// → MD5 matches; the length is judged only against the object (G4: a wrong key).
#[must_use]
pub fn model_read(alg: Option<&str>, key: Option<&str>, md5: Option<&str>) -> ReadVerdict {
    let fault = match (alg, key, md5) {
        (None, _, _) => Fault::MissingAlgorithm,
        (Some(a), _, _) if a != "AES256" => Fault::InvalidAlgorithm,
        (_, None, _) => Fault::MissingKey,
        (_, _, None) => Fault::MissingKeyMd5,
        (_, Some(k), Some(m)) => match model_b64_decode(k) {
            None => Fault::InvalidKey,
            Some(bytes) if model_md5(&bytes) == m => return ReadVerdict::Presented(bytes),
            Some(_) => Fault::KeyMd5Mismatch,
        },
    };
    ReadVerdict::Invalid(fault)
}
