//! The forms a secret can be echoed or printed in.
//!
//! A secret is a customer key, a key text a scenario sends (valid or faulted), the secret access
//! key, the session token, or a SigV4 signature. Its plain forms are its bytes raw, base64
//! (standard and URL-safe, padded or not), hex in either case, and its bytes read as Latin-1.
//! Encodings on top of those (percent-encoding, JSON or debug escapes) are undone by whoever looks
//! for them (`scrub`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

/// Secrets shorter than this are not looked for: they would match ordinary text.
pub const SHORTEST: usize = 8;

/// One form of a secret: its name (`hex`, `base64url`, …) and its bytes.
pub type Form = (String, Zeroizing<Vec<u8>>);

/// The plain forms of the bytes `secret`: raw, base64 and base64url (without their padding, so
/// that padded or not, they are found), hex, HEX and Latin-1.
#[must_use]
pub fn plain_forms(secret: &[u8]) -> Vec<Form> {
    let hex = hex::encode(secret);
    let texts: [(&str, String); 5] = [
        ("base64", STANDARD_NO_PAD.encode(secret)),
        ("base64url", URL_SAFE_NO_PAD.encode(secret)),
        ("hex", hex.clone()),
        ("HEX", hex.to_ascii_uppercase()),
        // Bytes taken one by one as characters, as a client decoding Latin-1 shows them.
        ("latin-1", secret.iter().map(|&b| char::from(b)).collect()),
    ];
    drop(Zeroizing::new(hex));
    let mut out: Vec<Form> = vec![("raw".to_owned(), Zeroizing::new(secret.to_vec()))];
    out.extend(texts.into_iter().map(|(name, text)| (name.to_owned(), Zeroizing::new(text.into_bytes()))));
    dedup(out)
}

/// `forms` without repeats (a key whose base64 has no `+` or `/` is its own base64url).
fn dedup(forms: Vec<Form>) -> Vec<Form> {
    let mut out: Vec<Form> = Vec::with_capacity(forms.len());
    for form in forms {
        if !out.iter().any(|(_, f)| *f == form.1) {
            out.push(form);
        }
    }
    out
}

/// The plain forms of a secret text, and, when it is base64, of the bytes it decodes to (a
/// customer key header carries base64 of the key).
#[must_use]
pub fn text_forms(text: &str) -> Vec<Form> {
    let mut out = plain_forms(text.as_bytes());
    if let Ok(raw) = STANDARD.decode(text) {
        let raw = Zeroizing::new(raw);
        if raw.len() >= SHORTEST {
            out.extend(plain_forms(&raw).into_iter().map(|(name, f)| (format!("decoded {name}"), f)));
        }
    }
    out
}
