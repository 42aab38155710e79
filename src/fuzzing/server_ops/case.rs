//! The structured input of `server_ops`: operations, objects, keys, header mutations, sizes.

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD, URL_SAFE as B64_URL};
use md5::{Digest as _, Md5};

use crate::fuzzing::{ReadVerdict, WriteVerdict, model_read, model_write};
use crate::sse_c::TripleKind;
use crate::sse_c::headers::SERVER_SIDE_ENCRYPTION;

/// Three fixed customer keys (catalogue fixtures K_A, K_B, and a third); their base64 text has both
/// `+` and `/`, so the URL-safe mutation always changes it.
#[must_use]
pub fn fuzz_keys() -> [[u8; 32]; 3] {
    static KEYS: std::sync::OnceLock<[[u8; 32]; 3]> = std::sync::OnceLock::new();
    *KEYS.get_or_init(|| {
        let decode = |s: &str| -> [u8; 32] { B64.decode(s).ok().and_then(|v| v.try_into().ok()).expect("fixture key") };
        [
            decode("pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs="),
            decode("6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4="),
            [0xfb; 32],
        ]
    })
}

/// Which object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum ObjPick {
    /// `a`
    A,
    /// `b/b` (a key with a slash)
    B,
    /// `c c+` (a key needing escapes)
    C,
}

impl ObjPick {
    pub(crate) const ALL: [Self; 3] = [Self::A, Self::B, Self::C];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b/b",
            Self::C => "c c+",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The key a request presents.
#[derive(Debug, Clone, Arbitrary)]
pub enum KeyPick {
    /// No SSE-C headers.
    None,
    /// Fixed key 0.
    K0,
    /// Fixed key 1.
    K1,
    /// Fixed key 2.
    K2,
    /// Any 32 bytes.
    Raw([u8; 32]),
}

/// A change to an otherwise correct triple.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum HeaderMutation {
    /// Unchanged.
    Intact,
    /// No algorithm header.
    DropAlgorithm,
    /// No key header.
    DropKey,
    /// No key-MD5 header.
    DropKeyMd5,
    /// `aes256`
    AlgorithmLowercase,
    /// `AES128`
    AlgorithmAes128,
    /// The key in the URL-safe alphabet.
    KeyUrlSafe,
    /// The key without padding.
    KeyUnpadded,
    /// The key text cut by 4 characters (MD5 of the full key).
    KeyTruncated,
    /// A space inside the key text.
    KeyWhitespace,
    /// The first 31 key bytes, with their own MD5.
    Key31Bytes,
    /// The key plus a zero byte, with its own MD5.
    Key33Bytes,
    /// The MD5 of another fixed key.
    Md5OfOtherKey,
    /// The MD5 without padding.
    Md5Unpadded,
    /// The MD5 of the key's base64 text.
    Md5OfKeyText,
    /// Also `x-amz-server-side-encryption: AES256` (writes only).
    SseS3Too,
}

/// The SSE-C part of a request.
#[derive(Debug, Clone, Arbitrary)]
pub struct SsePick {
    /// The key.
    pub key: KeyPick,
    /// The change.
    pub mutation: HeaderMutation,
}

/// A triple as sent.
#[derive(Debug, Clone, Default)]
pub struct SentTriple {
    /// Headers to add.
    pub headers: Vec<(String, String)>,
    /// Algorithm value.
    pub alg: Option<String>,
    /// Key value.
    pub key: Option<String>,
    /// Key-MD5 value.
    pub md5: Option<String>,
    /// `x-amz-server-side-encryption` value.
    pub sse: Option<String>,
    /// Every 32-byte key this triple could reveal.
    pub secrets: Vec<[u8; 32]>,
}

impl SentTriple {
    /// What a write makes of it.
    #[must_use]
    pub fn write_verdict(&self) -> WriteVerdict {
        model_write(self.alg.as_deref(), self.key.as_deref(), self.md5.as_deref(), self.sse.as_deref())
    }

    pub(crate) fn is_absent(&self) -> bool {
        self.alg.is_none() && self.key.is_none() && self.md5.is_none()
    }

    /// Whether this triple opens an object stored under `stored` (`None`: a plain object).
    pub(crate) fn opens(&self, stored: Option<&[u8; 32]>) -> bool {
        if self.sse.is_some() {
            return false;
        }
        match stored {
            None => self.is_absent(),
            Some(k) => {
                !self.is_absent()
                    && model_read(self.alg.as_deref(), self.key.as_deref(), self.md5.as_deref())
                        == ReadVerdict::Presented(k.to_vec())
            }
        }
    }
}

impl SsePick {
    fn key_bytes(&self) -> Option<[u8; 32]> {
        let keys = fuzz_keys();
        match &self.key {
            KeyPick::None => None,
            KeyPick::K0 => Some(keys[0]),
            KeyPick::K1 => Some(keys[1]),
            KeyPick::K2 => Some(keys[2]),
            KeyPick::Raw(k) => Some(*k),
        }
    }

    /// Renders the triple under the given header names (`write`: SSE-S3 conflicts are sent).
    #[must_use]
    pub fn render(&self, kind: TripleKind, write: bool) -> SentTriple {
        let Some(key) = self.key_bytes() else { return SentTriple::default() };
        let mut alg = Some("AES256".to_owned());
        let mut key_text = Some(B64.encode(key));
        let mut md5 = Some(B64.encode(Md5::digest(key)));
        let mut sse = None;
        let secrets = vec![key];
        match self.mutation {
            HeaderMutation::Intact => {}
            HeaderMutation::DropAlgorithm => alg = None,
            HeaderMutation::DropKey => key_text = None,
            HeaderMutation::DropKeyMd5 => md5 = None,
            HeaderMutation::AlgorithmLowercase => alg = Some("aes256".into()),
            HeaderMutation::AlgorithmAes128 => alg = Some("AES128".into()),
            HeaderMutation::KeyUrlSafe => key_text = Some(B64_URL.encode(key)),
            HeaderMutation::KeyUnpadded => key_text = Some(B64_NO_PAD.encode(key)),
            HeaderMutation::KeyTruncated => key_text = Some(B64.encode(key)[..40].to_owned()),
            HeaderMutation::KeyWhitespace => {
                let mut t = B64.encode(key);
                t.insert(20, ' ');
                key_text = Some(t);
            }
            HeaderMutation::Key31Bytes => {
                key_text = Some(B64.encode(&key[..31]));
                md5 = Some(B64.encode(Md5::digest(&key[..31])));
            }
            HeaderMutation::Key33Bytes => {
                let mut k = key.to_vec();
                k.push(0);
                key_text = Some(B64.encode(&k));
                md5 = Some(B64.encode(Md5::digest(&k)));
            }
            HeaderMutation::Md5OfOtherKey => {
                let keys = fuzz_keys();
                let other = keys.iter().find(|k| **k != key).copied().unwrap_or([0; 32]);
                md5 = Some(B64.encode(Md5::digest(other)));
            }
            HeaderMutation::Md5Unpadded => md5 = Some(B64_NO_PAD.encode(Md5::digest(key))),
            HeaderMutation::Md5OfKeyText => md5 = Some(B64.encode(Md5::digest(B64.encode(key)))),
            HeaderMutation::SseS3Too => {
                if write {
                    sse = Some("AES256".to_owned());
                }
            }
        }
        let [n_alg, n_key, n_md5] = kind.names();
        let mut headers = Vec::new();
        for (name, value) in [(n_alg, &alg), (n_key, &key_text), (n_md5, &md5)] {
            if let Some(v) = value {
                headers.push((name.to_owned(), v.clone()));
            }
        }
        if let Some(v) = &sse {
            headers.push((SERVER_SIDE_ENCRYPTION.to_owned(), v.clone()));
        }
        SentTriple { headers, alg, key: key_text, md5, sse, secrets }
    }
}

/// An object size.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum SizePick {
    /// 0 bytes.
    Zero,
    /// Under 64 bytes.
    Tiny(u8),
    /// Under 16 KiB.
    Small(u16),
    /// `segments` × the server's segment size + `delta` (at least 0).
    NearSegment {
        /// 0..=2 segments.
        segments: u8,
        /// Offset.
        delta: i8,
    },
    /// Up to 64 KiB (larger objects come from `NearSegment`: each large object costs a whole
    /// execution's time in copies and encryption).
    Large(u32),
}

impl SizePick {
    /// Bytes, on a server storing segments of `seg` plaintext bytes.
    #[must_use]
    pub fn bytes(self, seg: usize) -> usize {
        match self {
            Self::Zero => 0,
            Self::Tiny(n) => usize::from(n % 64),
            Self::Small(n) => usize::from(n % 16_384),
            Self::NearSegment { segments, delta } => {
                let base = usize::from(segments % 3) * seg;
                if delta < 0 { base.saturating_sub(usize::from(delta.unsigned_abs())) } else { base + delta as usize }
            }
            Self::Large(n) => n as usize % (64 * 1024 + 1),
        }
    }
}

/// A `Range` header (always syntactically valid).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum RangePick {
    /// `bytes=a-b` (ordered).
    FromTo(u32, u32),
    /// `bytes=a-`
    From(u32),
    /// `bytes=-n` (n ≥ 1)
    Suffix(u32),
}

impl RangePick {
    /// The header, for objects on a server storing segments of `seg` bytes: offsets reach past
    /// the largest objects (about 2.7 segments, or 64 KiB).
    pub(crate) fn header(self, seg: usize) -> String {
        let limit = u32::try_from(seg * 11 / 4 + 64 * 1024).unwrap_or(u32::MAX);
        let m = |n: u32| n % limit;
        match self {
            Self::FromTo(a, b) => format!("bytes={}-{}", m(a).min(m(b)), m(a).max(m(b))),
            Self::From(a) => format!("bytes={}-", m(a)),
            Self::Suffix(n) => format!("bytes=-{}", m(n).max(1)),
        }
    }
}

/// One S3 operation.
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// PutObject.
    Put {
        /// Object.
        obj: ObjPick,
        /// Size.
        size: SizePick,
        /// Content seed.
        seed: u8,
        /// SSE-C.
        sse: SsePick,
    },
    /// GetObject.
    Get {
        /// Object.
        obj: ObjPick,
        /// SSE-C.
        sse: SsePick,
        /// Range.
        range: Option<RangePick>,
        /// A version (modulo the object's versions, delete markers included); the current one
        /// when `None`.
        version: Option<u8>,
    },
    /// HeadObject.
    Head {
        /// Object.
        obj: ObjPick,
        /// SSE-C.
        sse: SsePick,
        /// A version, as for [`Op::Get`].
        version: Option<u8>,
    },
    /// CopyObject.
    Copy {
        /// Source.
        src: ObjPick,
        /// Destination.
        dst: ObjPick,
        /// Copy-source SSE-C.
        source_sse: SsePick,
        /// Destination SSE-C.
        dest_sse: SsePick,
        /// `x-amz-metadata-directive: REPLACE`.
        replace: bool,
    },
    /// CreateMultipartUpload.
    CreateUpload {
        /// Object.
        obj: ObjPick,
        /// SSE-C.
        sse: SsePick,
    },
    /// UploadPart.
    UploadPart {
        /// Upload (modulo the open ones).
        upload: u8,
        /// Part number 1..=3.
        part: u8,
        /// Size.
        size: SizePick,
        /// Content seed.
        seed: u8,
        /// SSE-C.
        sse: SsePick,
    },
    /// UploadPartCopy.
    UploadPartCopy {
        /// Upload.
        upload: u8,
        /// Part number 1..=3.
        part: u8,
        /// Source.
        src: ObjPick,
        /// Copy-source SSE-C.
        source_sse: SsePick,
        /// Destination SSE-C.
        dest_sse: SsePick,
        /// `x-amz-copy-source-range` first/last.
        range: Option<(u32, u32)>,
    },
    /// CompleteMultipartUpload.
    Complete {
        /// Upload.
        upload: u8,
        /// Part numbers, as listed.
        parts: Vec<u8>,
        /// SSE-C (optional on Complete).
        sse: SsePick,
    },
    /// AbortMultipartUpload.
    Abort {
        /// Upload.
        upload: u8,
    },
    /// DeleteObject: the current version (a delete marker where versioning is on), or one version
    /// for good.
    Delete {
        /// Object.
        obj: ObjPick,
        /// A version, as for [`Op::Get`].
        version: Option<u8>,
    },
    /// PutBucketVersioning: `Enabled`, or `Suspended`.
    Versioning {
        /// `Enabled` rather than `Suspended`.
        enabled: bool,
    },
}
