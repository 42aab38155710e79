//! The security properties checked automatically on every response of every scenario: no secret
//! echoed in any form, the SSE-C echo headers on success, an ETag that is not the plaintext's MD5,
//! no body on a HEAD error, and no SSE-C object read without its key.

use std::collections::BTreeMap;

use super::build::Built;
use super::check::{Check, Violation};
use super::grade::{md5_hex, unquote};
use super::secrets::{Form, plain_forms, text_forms};
use super::vars::Vars;
use crate::client::Response;
use crate::sse_c::headers::{AES256, ALGORITHM, KEY_MD5};

/// A secret, described for a report line, with every form it may be echoed in.
struct Secret {
    name: String,
    forms: Vec<Form>,
}

/// Whether a header carries a customer key (of the request or of a copy source).
pub(super) fn is_key_header(name: &str) -> bool {
    crate::sse_c::headers::is_sse_c_header(name) && name.to_ascii_lowercase().ends_with("customer-key")
}

/// The secrets of an exchange: every scenario key, and whatever text the request sent as a key
/// (a faulted key is still a secret the client meant to keep).
fn secrets(built: &Built, vars: &Vars) -> Vec<Secret> {
    let mut out: Vec<Secret> = vars
        .keys
        .iter()
        .map(|(name, key)| Secret { name: format!("`{name}`"), forms: plain_forms(key.expose()) })
        .collect();
    for (header, value) in built.outgoing.headers.iter().chain(&built.outgoing.unsigned_headers) {
        let known = vars.keys.values().any(|k| k.to_base64().as_str() == value);
        if !known && is_key_header(header) && value.len() >= 8 {
            out.push(Secret { name: format!("sent in {header}"), forms: text_forms(value) });
        }
    }
    out
}

/// Security properties of one exchange; each violated property is one entry.
///
/// `sse_c_objects` maps an object key to the name of the key it was stored under.
pub fn security(
    built: &Built,
    resp: &Response,
    vars: &Vars,
    sse_c_objects: &BTreeMap<String, String>,
) -> Vec<Violation> {
    let mut v = Violations::default();
    for Secret { name, forms } in secrets(built, vars) {
        for (form, needle) in &forms {
            let line = |place: &str| format!("customer key {name} ({form}) echoed in the response {place}");
            if resp.headers.iter().any(|(n, val)| contains(n.as_bytes(), needle) || contains(val.as_bytes(), needle)) {
                v.push(Check::KeyNotEchoed, line("headers"));
            }
            if contains(&resp.body, needle) {
                v.push(Check::KeyNotEchoed, line("body"));
            }
        }
    }
    let ok = (200..300).contains(&resp.status);
    let echo_ops = ["put", "get", "head", "copy", "create-multipart", "upload-part", "upload-part-copy", "post"];
    // GetObjectAttributes (a GET with ?attributes) does not model the SSE-C response headers (GA1).
    let attributes = built.outgoing.query.iter().any(|(k, _)| k == "attributes");
    if ok && built.complete_triple && echo_ops.contains(&built.operation) && !attributes {
        if resp.header(ALGORITHM) != Some(AES256) {
            v.push(
                Check::SseCHeadersEchoed,
                format!("successful SSE-C {} did not echo {ALGORITHM}: AES256", built.operation),
            );
        }
        if resp.header(KEY_MD5) != built.sent_md5.as_deref() {
            v.push(
                Check::SseCHeadersEchoed,
                format!("successful SSE-C {} did not echo the request's key MD5", built.operation),
            );
        }
    }
    if ok
        && built.operation == "put"
        && built.complete_triple
        && let (Some(body), Some(etag)) = (&built.sent_body, resp.header("etag"))
        && unquote(etag) == md5_hex(body)
    {
        v.push(Check::EtagNotPlaintextMd5, "the ETag of an SSE-C object is the MD5 of its plaintext".into());
    }
    if built.outgoing.method.eq_ignore_ascii_case("HEAD") && resp.status >= 400 && !resp.body.is_empty() {
        v.push(Check::HeadErrorHasNoBody, format!("HEAD error carried a body of {} bytes", resp.body.len()));
    }
    let slot =
        built.outgoing.key.as_ref().map(|object| match built.outgoing.query.iter().find(|(k, _)| k == "versionId") {
            Some((_, v)) => super::model::version_slot(object, v),
            None => object.clone(),
        });
    if ok
        && matches!(built.operation, "get" | "head" | "swift-get" | "swift-head")
        && let Some(owner) = slot.and_then(|s| sse_c_objects.get(&s))
        && built.presented_key.as_deref() != Some(owner.as_str())
    {
        v.push(
            Check::ReadNeedsKey,
            format!("{} of an SSE-C object succeeded without its key (stored under `{owner}`)", built.operation),
        );
    }
    if ok
        && let Some(owner) = built.source_slot.as_ref().and_then(|s| sse_c_objects.get(s))
        && built.presented_source_key.as_deref() != Some(owner.as_str())
    {
        v.push(
            Check::CopySourceNeedsKey,
            format!("{} from an SSE-C source succeeded without its key (stored under `{owner}`)", built.operation),
        );
    }
    v.0
}

/// Violations in order, each line once.
#[derive(Default)]
struct Violations(Vec<Violation>);

impl Violations {
    fn push(&mut self, check: Check, text: String) {
        if !self.0.iter().any(|v| v.text == text) {
            self.0.push(Violation { check, text });
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(hay, needle).is_some()
}
