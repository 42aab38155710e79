//! The [`Scrubber`]: removes every secret of a run from a scenario's report, in any form and in
//! part.
//!
//! Text is compared after undoing the encodings an endpoint or a client may apply (percent-encoding
//! and JSON escapes, in any mix and case) and folding ASCII case, against the plain forms of each
//! secret (`secrets::plain_forms`). Any run of [`PIECE`] bytes of a form is removed wherever it
//! appears, so a secret cut by an excerpt, or quoted in part, is removed too.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use zeroize::Zeroizing;

use super::secrets::{Form, SHORTEST, plain_forms, text_forms};
use super::security::is_key_header;
use crate::client::{Exchange, Outgoing, Target};
use crate::report::model::{RequestTranscript, ResponseTranscript, ScenarioReport};

/// The shortest run of a secret's bytes that is scrubbed wherever it appears.
pub const PIECE: usize = 16;

/// What replaces a secret in a report.
pub const REDACTED: &str = "<redacted>";

/// Hashes the [`PIECE`]-byte windows of every text scrubbed, so it must be cheap: a piece of a
/// secret is random-looking already, and folding its words is enough to spread the set.
#[derive(Default)]
struct PieceHasher(u64);

impl Hasher for PieceHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// `text` with percent-encoding undone (however often it was applied), backslashes dropped (after
/// decoding `\\uXXXX`), and ASCII letters in lower case; and where that changed more than case,
/// the range of `text` each byte of the result came from.
struct Normalized {
    plain: Vec<u8>,
    from: Option<Vec<(usize, usize)>>,
}

impl Normalized {
    fn new(text: &[u8]) -> Self {
        if memchr::memchr2(b'%', b'\\', text).is_none() {
            return Self { plain: text.to_ascii_lowercase(), from: None };
        }
        let (mut plain, mut from) = normalize_once(text);
        for _ in 0..4 {
            let (next, next_from) = normalize_once(&plain);
            if next == plain {
                break;
            }
            from = next_from.iter().map(|&(start, end)| (from[start].0, from[end - 1].1)).collect();
            plain = next;
        }
        Self { plain, from: Some(from) }
    }

    /// The range of the original text that `len` bytes of the result from `start` came from.
    fn span(&self, start: usize, len: usize) -> (usize, usize) {
        match &self.from {
            None => (start, start + len),
            Some(from) => (from[start].0, from[start + len - 1].1),
        }
    }
}

/// One pass of [`Normalized::new`].
fn normalize_once(text: &[u8]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut out = Vec::with_capacity(text.len());
    let mut from = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let mut decoded = [0u8; 4];
        let (bytes, used): (&[u8], usize) = match &text[at..] {
            [b'%', h, l, ..] if let (Some(h), Some(l)) = (hex_value(*h), hex_value(*l)) => {
                decoded[0] = h * 16 + l;
                (if decoded[0] == b'\\' { &[] } else { &decoded[..1] }, 3)
            }
            [b'\\', b'u', a, b, c, d, ..]
                if let Some(ch) = [a, b, c, d]
                    .iter()
                    .try_fold(0u32, |n, h| Some(n * 16 + u32::from(hex_value(**h)?)))
                    .and_then(char::from_u32) =>
            {
                (ch.encode_utf8(&mut decoded).as_bytes(), 6)
            }
            // Any other escape, however often repeated (JSON `\\/`, a debug-quoted `\\\\/`), is the
            // character after it.
            [b'\\', ..] => (&[], 1),
            [b, ..] => (std::slice::from_ref(b), 1),
            [] => break,
        };
        for b in bytes {
            out.push(b.to_ascii_lowercase());
            from.push((at, at + used));
        }
        at += used;
    }
    (out, from)
}

/// Removes every form of a set of secrets from text. Its `Debug` shows only how many secrets it
/// holds.
#[derive(Default)]
pub struct Scrubber {
    /// Every [`PIECE`]-byte run of every form of every secret.
    pieces: HashSet<[u8; PIECE], BuildHasherDefault<PieceHasher>>,
    /// Forms shorter than [`PIECE`] bytes, matched whole.
    short: Vec<Zeroizing<Vec<u8>>>,
    secrets: usize,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets)
    }
}

impl Drop for Scrubber {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        let mut pieces: Vec<[u8; PIECE]> = self.pieces.drain().collect();
        pieces.zeroize();
    }
}

impl Scrubber {
    /// A scrubber for the secrets of the credentials a run signs with: the secret access key and
    /// the session token.
    #[must_use]
    pub fn for_target(target: &Target) -> Self {
        let mut s = Self::default();
        s.add_text(&target.secret_key);
        if let Some(token) = &target.session_token {
            s.add_text(token);
        }
        s
    }

    /// Also removes what a request carried that is secret: the key texts it sent (valid or
    /// faulted) and its SigV4 signature (header or presigned).
    pub fn add_sent(&mut self, exchange: &Exchange, outgoing: &Outgoing) {
        for (name, value) in outgoing.headers.iter().chain(&outgoing.unsigned_headers) {
            if is_key_header(name) {
                self.add_text(value);
            }
        }
        let authorization = exchange.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        if let Some((_, signature)) = authorization.and_then(|(_, v)| v.split_once("Signature=")) {
            self.add_text(signature);
        }
        if let Ok(url) = ::url::Url::parse(&exchange.url)
            && let Some((_, signature)) = url.query_pairs().find(|(k, _)| k == "X-Amz-Signature")
        {
            self.add_text(&signature);
        }
    }

    /// Also removes the bytes `secret` in every form.
    pub fn add_bytes(&mut self, secret: &[u8]) {
        self.add_forms(plain_forms(secret));
    }

    /// Also removes the text `secret` in every form (and the bytes it decodes to, if base64).
    pub fn add_text(&mut self, secret: &str) {
        self.add_forms(text_forms(secret));
    }

    fn add_forms(&mut self, forms: Vec<Form>) {
        if forms.first().is_none_or(|(_, raw)| raw.len() < SHORTEST) {
            return;
        }
        self.secrets += 1;
        for (_, form) in forms {
            let form = Zeroizing::new(Normalized::new(&form).plain);
            if form.len() < PIECE {
                if !self.short.contains(&form) {
                    self.short.push(form);
                }
                continue;
            }
            for piece in form.windows(PIECE) {
                self.pieces.insert(piece.try_into().expect("window of PIECE bytes"));
            }
        }
    }

    /// `text` with every run of characters that belongs to a secret replaced by [`REDACTED`].
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let normalized = Normalized::new(text.as_bytes());
        let plain = &normalized.plain;
        let mut hidden = vec![false; text.len()];
        let mut hide = |start: usize, len: usize| {
            let (first, last) = normalized.span(start, len);
            hidden[first..last].fill(true);
        };
        for (at, window) in plain.windows(PIECE).enumerate() {
            if self.pieces.contains::<[u8; PIECE]>(window.try_into().expect("window of PIECE bytes")) {
                hide(at, PIECE);
            }
        }
        for form in &self.short {
            for at in memchr::memmem::find_iter(plain, form.as_slice()) {
                hide(at, form.len());
            }
        }
        if !hidden.contains(&true) {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut in_secret = false;
        for (at, c) in text.char_indices() {
            // The padding of a base64 form goes with it.
            if hidden[at..at + c.len_utf8()].contains(&true) || (in_secret && c == '=') {
                if !in_secret {
                    out.push_str(REDACTED);
                }
                in_secret = true;
            } else {
                out.push(c);
                in_secret = false;
            }
        }
        out
    }

    fn scrub_in_place(&self, text: &mut String) {
        let clean = self.scrub(text);
        if clean != *text {
            *text = clean;
        }
    }

    fn scrub_headers(&self, headers: &mut [(String, String)]) {
        for (name, value) in headers {
            self.scrub_in_place(name);
            self.scrub_in_place(value);
        }
    }

    fn scrub_request(&self, r: &mut RequestTranscript) {
        self.scrub_in_place(&mut r.url);
        self.scrub_headers(&mut r.headers);
    }

    fn scrub_response(&self, r: &mut ResponseTranscript) {
        self.scrub_headers(&mut r.headers);
        for text in [&mut r.code, &mut r.message, &mut r.body_excerpt].into_iter().flatten() {
            self.scrub_in_place(text);
        }
    }

    /// Scrubs every text of a scenario's report that can hold what an endpoint sent or what the
    /// run sent it: reasons, mismatches, deviations, transcripts, reproductions and the cleanup
    /// error.
    pub fn scrub_report(&self, report: &mut ScenarioReport) {
        for text in [&mut report.reason, &mut report.cleanup_error].into_iter().flatten() {
            self.scrub_in_place(text);
        }
        for text in &mut report.security_violations {
            self.scrub_in_place(text);
        }
        for v in &mut report.violated_checks {
            self.scrub_in_place(&mut v.detail);
        }
        for step in &mut report.steps {
            self.scrub_request(&mut step.request);
            if let Some(actual) = &mut step.actual {
                self.scrub_response(actual);
            }
            for text in step.mismatches.iter_mut().chain(&mut step.expected) {
                self.scrub_in_place(text);
            }
            for d in &mut step.mismatch_details {
                for text in [&mut d.expected, &mut d.observed].into_iter().chain(&mut d.name) {
                    self.scrub_in_place(text);
                }
            }
            for deviation in &mut step.deviations {
                self.scrub_in_place(&mut deviation.signature);
            }
            self.scrub_in_place(&mut step.reproduce);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    #[test]
    fn every_form_and_any_piece_is_scrubbed() {
        let key = [0xfbu8; 32];
        let mut s = Scrubber::default();
        s.add_bytes(&key);
        let b64 = STANDARD.encode(key);
        for text in [
            b64.clone(),
            URL_SAFE_NO_PAD.encode(key),
            hex::encode_upper(key),
            b64.replace('/', "%2f").replace('+', "%2B"),
            b64.replace('/', "%252F"),
            b64.replace('/', "\\/").replace('+', "\\u002B"),
            format!("{:?}", b64.replace('/', "\\/")).trim_matches('"').to_owned(),
            b64[3..3 + PIECE].to_owned(),
            key.iter().map(|b| format!("%{b:02x}")).collect(),
        ] {
            let line = format!("got [{text}] back");
            assert_eq!(s.scrub(&line), "got [<redacted>] back", "{text}");
        }
        assert_eq!(s.scrub(&b64[..PIECE - 1]), &b64[..PIECE - 1], "shorter pieces are left");
        assert_eq!(s.scrub("plain text ünïcode"), "plain text ünïcode");
    }

    #[test]
    fn short_secrets_are_matched_whole_and_tiny_ones_ignored() {
        let mut s = Scrubber::default();
        s.add_text("tok3n-12");
        s.add_text("abc");
        assert_eq!(s.scrub("a tok3n-12 abc"), "a <redacted> abc");
        assert_eq!(format!("{s:?}"), "Scrubber(1 secrets)");
    }
}
