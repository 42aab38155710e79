//! Target `sse_c_headers`: the header rules against the catalogue model.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD, URL_SAFE as B64_URL};
use md5::{Digest as _, Md5};

use crate::fuzzing::{Fault, ReadVerdict, WriteVerdict, clip, model_b64_value, model_read, model_write};
use crate::sse_c::rules::{ReadTriple, validate_read, validate_write};
use crate::sse_c::{RawTriple, SseCError, TripleKind};

/// An algorithm header value.
#[derive(Debug, Clone, Arbitrary)]
pub enum AlgText {
    /// `AES256`
    Aes256,
    /// `aes256`
    Lowercase,
    /// ` AES256` (a leading space survives into the value here; HTTP would trim it)
    Spaced,
    /// `AES128`
    Aes128,
    /// `aws:kms`
    AwsKms,
    /// Anything.
    Raw(String),
}

impl AlgText {
    fn render(&self) -> String {
        match self {
            Self::Aes256 => "AES256".into(),
            Self::Lowercase => "aes256".into(),
            Self::Spaced => " AES256".into(),
            Self::Aes128 => "AES128".into(),
            Self::AwsKms => "aws:kms".into(),
            Self::Raw(s) => clip(s.clone()),
        }
    }
}

/// Whitespace put into a key.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Ws {
    /// ` `
    Space,
    /// `\t`
    Tab,
    /// `\n`
    Newline,
}

/// A key header value, and the bytes it was meant to carry.
#[derive(Debug, Clone, Arbitrary)]
pub enum KeyText {
    /// Canonical base64 of 32 bytes.
    Valid([u8; 32]),
    /// Canonical base64 of any bytes.
    Std(Vec<u8>),
    /// URL-safe alphabet.
    UrlSafe(Vec<u8>),
    /// Padding removed.
    NoPad(Vec<u8>),
    /// An `=` inserted.
    InnerPad {
        /// Bytes encoded.
        bytes: Vec<u8>,
        /// Where (modulo the length).
        at: u8,
    },
    /// Whitespace inserted.
    Whitespace {
        /// Bytes encoded.
        bytes: Vec<u8>,
        /// Where (modulo the length + 1).
        at: u8,
        /// Which.
        ws: Ws,
    },
    /// Canonical text of 32 bytes with non-zero pad bits in the last symbol.
    TrailingBits([u8; 32], u8),
    /// Anything.
    Raw(String),
}

impl KeyText {
    /// The header text, and the bytes the client meant (for an MD5 "of the key").
    fn render(&self) -> (String, Vec<u8>) {
        match self {
            Self::Valid(b) => (B64.encode(b), b.to_vec()),
            Self::Std(b) => (B64.encode(b), b.clone()),
            Self::UrlSafe(b) => (B64_URL.encode(b), b.clone()),
            Self::NoPad(b) => (B64_NO_PAD.encode(b), b.clone()),
            Self::InnerPad { bytes, at } => {
                let mut s = B64.encode(bytes);
                let at = usize::from(*at) % (s.len() + 1);
                s.insert(at, '=');
                (s, bytes.clone())
            }
            Self::Whitespace { bytes, at, ws } => {
                let mut s = B64.encode(bytes);
                let at = usize::from(*at) % (s.len() + 1);
                s.insert(at, [' ', '\t', '\n'][*ws as usize]);
                (s, bytes.clone())
            }
            Self::TrailingBits(b, bits) => {
                let s = B64.encode(b);
                // 32 bytes: 43 symbols + '='; the 43rd carries 4 data bits and 2 pad bits.
                let mut chars: Vec<u8> = s.into_bytes();
                let v = model_b64_value(chars[42]).unwrap_or(0) | u32::from(bits % 3 + 1);
                chars[42] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[v as usize & 63];
                (String::from_utf8(chars).unwrap_or_default(), b.to_vec())
            }
            Self::Raw(s) => {
                let s = clip(s.clone());
                let bytes = s.as_bytes().to_vec();
                (s, bytes)
            }
        }
    }
}

/// A key-MD5 header value.
#[derive(Debug, Clone, Arbitrary)]
pub enum Md5Text {
    /// base64(MD5(the bytes the key meant)).
    OfKey,
    /// base64(MD5(other bytes)).
    OfBytes(Vec<u8>),
    /// base64(MD5(the key's base64 text)): a client bug.
    OfKeyText,
    /// The right MD5 without padding.
    NoPad,
    /// The right MD5 in hex.
    Hex,
    /// Anything.
    Raw(String),
}

/// An `x-amz-server-side-encryption` value.
#[derive(Debug, Clone, Arbitrary)]
pub enum SseText {
    /// `AES256`
    Aes256,
    /// `aws:kms`
    Kms,
    /// Anything.
    Raw(String),
}

/// One triple; `None` fields are not sent.
#[derive(Debug, Clone, Arbitrary)]
pub struct TripleCase {
    /// Algorithm.
    pub alg: Option<AlgText>,
    /// Key.
    pub key: Option<KeyText>,
    /// Key MD5.
    pub md5: Option<Md5Text>,
}

impl TripleCase {
    /// The three header values.
    #[must_use]
    pub fn render(&self) -> (Option<String>, Option<String>, Option<String>) {
        let alg = self.alg.as_ref().map(AlgText::render);
        let key = self.key.as_ref().map(KeyText::render);
        let meant = key.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
        let md5 = self.md5.as_ref().map(|m| match m {
            Md5Text::OfKey => B64.encode(Md5::digest(&meant)),
            Md5Text::OfBytes(b) => B64.encode(Md5::digest(b)),
            Md5Text::OfKeyText => B64.encode(Md5::digest(key.as_ref().map(|(t, _)| t.as_bytes()).unwrap_or_default())),
            Md5Text::NoPad => B64_NO_PAD.encode(Md5::digest(&meant)),
            Md5Text::Hex => hex::encode(Md5::digest(&meant)),
            Md5Text::Raw(s) => clip(s.clone()),
        });
        (alg, key.map(|(t, _)| t), md5)
    }
}

/// Both triples of a request and the SSE-S3/KMS header.
#[derive(Debug, Clone, Arbitrary)]
pub struct HeaderCase {
    /// `x-amz-server-side-encryption-customer-*`
    pub request: TripleCase,
    /// `x-amz-copy-source-server-side-encryption-customer-*`
    pub copy_source: TripleCase,
    /// `x-amz-server-side-encryption`
    pub sse: Option<SseText>,
}

/// Fuzz entry point: [`HeaderCase`] from bytes, then [`check_header_case`].
pub fn sse_c_headers(data: &[u8]) {
    if let Ok(case) = HeaderCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_header_case(&case);
    }
}

/// Checks both triples of a case against the model (see [`check_triple`]) and checks header
/// extraction.
pub fn check_header_case(case: &HeaderCase) {
    let sse = case.sse.as_ref().map(|s| match s {
        SseText::Aes256 => "AES256".to_owned(),
        SseText::Kms => "aws:kms".to_owned(),
        SseText::Raw(s) => clip(s.clone()),
    });
    let request = case.request.render();
    let copy = case.copy_source.render();
    check_triple(request.0.as_deref(), request.1.as_deref(), request.2.as_deref(), sse.as_deref());
    check_triple(copy.0.as_deref(), copy.1.as_deref(), copy.2.as_deref(), sse.as_deref());
    check_extraction(&request, &copy);
}

/// Every fixed text an SSE-C error can show: a key that is part of it is not a leak.
fn error_vocabulary() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let all = [
            SseCError::IncompatibleEncryption { value: String::new() },
            SseCError::MissingAlgorithm,
            SseCError::InvalidAlgorithm { value: String::new() },
            SseCError::MissingKey,
            SseCError::InvalidKey,
            SseCError::MissingKeyMd5,
            SseCError::KeyMd5Mismatch,
            SseCError::WrongKey,
            SseCError::ObjectEncrypted,
            SseCError::NotApplicable,
            SseCError::InsecureTransport,
            SseCError::MultipartEncryptionMismatch,
            SseCError::ParametersMismatch,
        ];
        all.iter().map(|e| format!("{e}\n{e:?}\n{:?}\n", e.argument())).collect::<String>() + "RawTriple <redacted>"
    })
}

fn key_may_be_searched(key: Option<&str>, others: &[Option<&str>]) -> Option<String> {
    let key = key?;
    let shown_anyway = others.iter().flatten().any(|o| o.contains(key)) || error_vocabulary().contains(key);
    (key.len() >= 12 && !shown_anyway).then(|| key.to_owned())
}

/// `validate_write` (with `sse`) and, for a triple that is present, `validate_read` agree with
/// [`model_write`]/[`model_read`]; errors carry the catalogue answer and never the key text.
pub fn check_triple(alg: Option<&str>, key: Option<&str>, md5: Option<&str>, sse: Option<&str>) {
    let raw = RawTriple::new(alg.map(str::to_owned), key.map(str::to_owned), md5.map(str::to_owned));
    let searchable = key_may_be_searched(key, &[alg, md5, sse]);
    if let Some(k) = &searchable {
        assert!(!format!("{raw:?}").contains(k.as_str()), "RawTriple's Debug shows the key");
    }
    let check_error = |e: &SseCError| {
        let fault = Fault::of(e).unwrap_or_else(|| panic!("a header rule answered {e:?}"));
        assert_eq!((e.status(), e.code()), fault.answer(), "wrong answer for {e:?}");
        if let Some(k) = &searchable {
            assert!(!e.to_string().contains(k.as_str()), "error text shows the key");
            assert!(!format!("{:?}", e.argument()).contains(k.as_str()), "error argument shows the key");
        }
        fault
    };
    let ctx = || format!("alg={alg:?} key={key:?} md5={md5:?} sse={sse:?}");
    let got = match validate_write(&raw, sse) {
        Ok(None) => WriteVerdict::Absent,
        Ok(Some(t)) => {
            assert_eq!(Some(t.key_md5.as_str()), md5, "echoed MD5 differs from the sent one: {}", ctx());
            WriteVerdict::Valid(*t.key.expose())
        }
        Err(e) => WriteVerdict::Invalid(check_error(&e)),
    };
    assert_eq!(got, model_write(alg, key, md5, sse), "validate_write disagrees with the catalogue: {}", ctx());
    if raw.is_absent() {
        return;
    }
    let got = match validate_read(&raw) {
        Ok(ReadTriple { key: k, key_md5 }) => {
            assert_eq!(Some(key_md5.as_str()), md5, "echoed MD5 differs from the sent one: {}", ctx());
            k.map(|k| k.expose().to_vec())
        }
        Err(e) => {
            let f = check_error(&e);
            assert_eq!(model_read(alg, key, md5), ReadVerdict::Invalid(f), "validate_read disagrees: {}", ctx());
            return;
        }
    };
    match model_read(alg, key, md5) {
        ReadVerdict::Presented(bytes) => {
            let want = (bytes.len() == 32).then_some(bytes);
            assert_eq!(got, want, "validate_read keeps the wrong key bytes: {}", ctx());
        }
        other => panic!("validate_read accepted what the catalogue refuses ({other:?}): {}", ctx()),
    }
}

type Rendered = (Option<String>, Option<String>, Option<String>);

fn check_extraction(request: &Rendered, copy: &Rendered) {
    let mut headers = http::HeaderMap::new();
    for (kind, (a, k, m)) in [(TripleKind::Request, request), (TripleKind::CopySource, copy)] {
        for (name, value) in kind.names().iter().zip([a, k, m]) {
            let Some(value) = value else { continue };
            let Ok(v) = http::HeaderValue::from_str(value) else { return };
            headers.insert(*name, v);
        }
    }
    for (kind, (a, k, m)) in [(TripleKind::Request, request), (TripleKind::CopySource, copy)] {
        let raw = RawTriple::from_headers(&headers, kind);
        assert_eq!(&raw.algorithm, a, "{kind:?} algorithm extracted wrongly");
        assert_eq!(raw.key.as_deref().map(String::as_str), k.as_deref(), "{kind:?} key extracted wrongly");
        assert_eq!(&raw.key_md5, m, "{kind:?} key MD5 extracted wrongly");
    }
}
