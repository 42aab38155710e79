//! Grading: a response against a step's expectations (the automatic security checks are in
//! `security`).

use std::collections::BTreeMap;

use bytes::Bytes;
use md5::{Digest as _, Md5};

use super::model::{BodyExpect, Expect, HeaderExpect, Level};
use super::vars::Vars;
use crate::client::Response;
use crate::client::xml::{element, error_body};

/// How much a failed expectation counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// An accepted alternative (non-strict).
    Soft,
    /// A wrong answer.
    Hard,
}

/// One expectation that did not hold.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// Hard or soft.
    pub severity: Severity,
    /// What was expected and what came.
    pub text: String,
}

/// The expectations of a step as lines, for reports.
#[must_use]
pub fn describe(expect: &Expect) -> Vec<String> {
    let mut lines = vec![format!("status {}", expect.status)];
    if !expect.also_status.is_empty() {
        lines[0].push_str(&format!(" (or {:?}, non-strict)", expect.also_status));
    }
    if let Some(c) = &expect.code {
        let alt = if expect.also_accept.is_empty() {
            String::new()
        } else {
            format!(" (or {})", expect.also_accept.join(", "))
        };
        lines.push(format!("code {c}{alt}"));
    }
    if let Some(m) = &expect.message {
        lines.push(format!("message \"{m}\""));
    }
    if let Some(a) = &expect.argument_name {
        lines.push(format!("ArgumentName {a}"));
    }
    if let Some(a) = &expect.argument_value {
        lines.push(format!("ArgumentValue {a}"));
    }
    for (name, h) in &expect.headers {
        lines.push(match h {
            HeaderExpect::Present(true) => format!("header {name} present"),
            HeaderExpect::Present(false) => format!("header {name} absent"),
            HeaderExpect::Equals(v) => format!("header {name}: {v}"),
        });
    }
    if let Some(b) = &expect.body {
        lines.push(match b {
            BodyExpect::Named(n) => format!("body = {n}"),
            BodyExpect::Slice(s) => format!("body = {}[{}..={}]", s.of, s.from, s.to.as_deref().unwrap_or("end")),
        });
    }
    if let Some(e) = &expect.etag {
        if let Some(n) = &e.equals {
            lines.push(format!("ETag = saved {n}"));
        }
        if let Some(n) = &e.differs_from {
            lines.push(format!("ETag ≠ saved {n}"));
        }
        if let Some(b) = &e.md5_of {
            lines.push(format!("ETag {} MD5({b})", if e.is { "=" } else { "≠" }));
        }
    }
    if let Some(l) = &expect.listing {
        lines.push(format!("listing {l:?}"));
    }
    for (name, value) in &expect.xml {
        lines.push(format!("<{name}> {value}"));
    }
    lines
}

/// The scenario's generated plaintexts.
pub type Bodies = BTreeMap<String, Bytes>;

/// The hex MD5 of `b`, as an ETag shows it.
pub(super) fn md5_hex(b: &[u8]) -> String {
    hex::encode(Md5::digest(b))
}

/// An ETag without its quotes.
pub(super) fn unquote(s: &str) -> &str {
    s.trim_matches('"')
}

/// Checks one response against its expectations.
pub fn check(expect: &Expect, level: Level, resp: &Response, vars: &Vars, bodies: &Bodies) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut push = |severity, text: String| out.push(Mismatch { severity, text });
    let err = error_body(&resp.body);
    if resp.status != expect.status {
        let severity = if expect.also_status.contains(&resp.status) { Severity::Soft } else { Severity::Hard };
        push(severity, format!("status {} (expected {})", resp.status, expect.status));
    }
    if let Some(code) = &expect.code {
        let got = err.code.as_deref();
        if got != Some(code.as_str()) {
            let alt = got.is_some_and(|g| expect.also_accept.iter().any(|a| a == g));
            let severity = if alt || level != Level::Must { Severity::Soft } else { Severity::Hard };
            push(severity, format!("code {} (expected {code})", got.unwrap_or("<none>")));
        }
    }
    for (label, want, got) in [
        ("message", &expect.message, &err.message),
        ("ArgumentName", &expect.argument_name, &err.argument_name),
        ("ArgumentValue", &expect.argument_value, &err.argument_value),
    ] {
        if let Some(w) = want
            && got.as_ref() != Some(w)
        {
            push(Severity::Soft, format!("{label} {:?} (expected {w:?})", got.as_deref().unwrap_or("<none>")));
        }
    }
    for (name, h) in &expect.headers {
        let got = resp.header(name);
        match (h, got) {
            (HeaderExpect::Present(true), None) => push(Severity::Hard, format!("header {name} missing")),
            (HeaderExpect::Present(false), Some(v)) => {
                push(Severity::Hard, format!("header {name}: {v} (expected absent)"))
            }
            (HeaderExpect::Equals(want), got) => match vars.expand(want) {
                Ok(want) if got == Some(want.as_str()) => {}
                Ok(want) => {
                    push(Severity::Hard, format!("header {name}: {} (expected {want})", got.unwrap_or("<absent>")))
                }
                Err(e) => push(Severity::Hard, e),
            },
            _ => {}
        }
    }
    if let Some(b) = &expect.body {
        match expected_body(b, bodies) {
            Ok(want) if want == resp.body => {}
            Ok(want) => push(Severity::Hard, body_difference(&want, &resp.body)),
            Err(e) => push(Severity::Hard, e),
        }
    }
    if let Some(e) = &expect.etag {
        for m in etag_mismatches(e, resp, vars, bodies) {
            push(Severity::Hard, m);
        }
    }
    if !expect.xml.is_empty() {
        let text = String::from_utf8_lossy(&resp.body);
        for (name, want) in &expect.xml {
            let got = element(&text, name);
            let held = match (want.strip_prefix('~'), vars.expand(want.trim_start_matches('~'))) {
                (_, Err(e)) => {
                    push(Severity::Hard, e);
                    continue;
                }
                (Some(_), Ok(suffix)) => got.as_deref().is_some_and(|g| g.ends_with(&suffix)),
                (None, Ok(exact)) => got.as_deref() == Some(exact.as_str()),
            };
            if !held {
                push(Severity::Hard, format!("<{name}> {} (expected {want})", got.as_deref().unwrap_or("<absent>")));
            }
        }
    }
    if let Some(listing) = &expect.listing {
        let text = String::from_utf8_lossy(&resp.body);
        let got = list_entries(&text);
        let mut want = BTreeMap::new();
        for (k, size) in listing {
            match (vars.expand(k), vars.expand(size)) {
                (Ok(k), Ok(size)) => {
                    want.insert(k, size);
                }
                (Err(e), _) | (_, Err(e)) => push(Severity::Hard, e),
            }
        }
        let got_rel: BTreeMap<String, String> =
            got.into_iter().map(|(k, s)| (k.strip_prefix(vars.prefix.as_str()).unwrap_or(&k).to_owned(), s)).collect();
        if got_rel != want {
            push(Severity::Hard, format!("listing {got_rel:?} (expected {want:?})"));
        }
    }
    out
}

/// The ETag relations that do not hold. The ETag is the header, or the `ETag` element of a
/// CopyObject, UploadPartCopy or CompleteMultipartUpload answer; none at all is a mismatch.
fn etag_mismatches(e: &super::model::EtagExpect, resp: &Response, vars: &Vars, bodies: &Bodies) -> Vec<String> {
    let from_body = element(&String::from_utf8_lossy(&resp.body), "ETag");
    let Some(got) = resp.header("etag").map(str::to_owned).or(from_body) else {
        return vec!["no ETag in the response".into()];
    };
    let got = unquote(&got);
    let mut out = Vec::new();
    if let Some(n) = &e.equals
        && vars.etags.get(n).map(|s| unquote(s)) != Some(got)
    {
        out.push(format!("ETag {got} differs from saved {n}"));
    }
    if let Some(n) = &e.differs_from
        && vars.etags.get(n).map(|s| unquote(s)) == Some(got)
    {
        out.push(format!("ETag {got} equals saved {n}"));
    }
    if let Some(b) = &e.md5_of {
        let md5 = bodies.get(b).map(|b| md5_hex(b)).unwrap_or_default();
        if (got == md5) != e.is {
            out.push(format!("ETag {got} {} MD5({b}) = {md5}", if e.is { "≠" } else { "=" }));
        }
    }
    out
}

/// `Key` → `Size` of a ListObjectsV2 body.
fn list_entries(text: &str) -> BTreeMap<String, String> {
    text.split("<Contents>").skip(1).filter_map(|c| Some((element(c, "Key")?, element(c, "Size")?))).collect()
}

fn expected_body(b: &BodyExpect, bodies: &Bodies) -> Result<Bytes, String> {
    match b {
        BodyExpect::Named(n) => bodies.get(n).cloned().ok_or_else(|| format!("no body {n}")),
        BodyExpect::Slice(s) => {
            let full = bodies.get(&s.of).ok_or_else(|| format!("no body {}", s.of))?;
            let len = full.len() as i64;
            let parse = |t: &str| crate::units::parse_size(t.trim_start_matches('-')).ok().map(|v| v as i64);
            let from = parse(&s.from).ok_or("bad from")?;
            let from = if s.from.starts_with('-') { (len - from).max(0) } else { from };
            let to = match &s.to {
                Some(t) => parse(t).ok_or("bad to")?.min(len - 1),
                None => len - 1,
            };
            let (from, to) = (usize::try_from(from).unwrap_or(0), usize::try_from(to + 1).unwrap_or(0));
            Ok(full.slice(from.min(to)..to))
        }
    }
}

fn body_difference(want: &[u8], got: &[u8]) -> String {
    if want.len() != got.len() {
        return format!("body of {} bytes (expected {} bytes)", got.len(), want.len());
    }
    let at = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(0);
    format!("body differs from the expected plaintext at byte {at} ({} bytes)", got.len())
}
