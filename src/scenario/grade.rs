//! Grading: a response against a step's expectations (the automatic security checks are in
//! `security`).

use std::collections::BTreeMap;

use bytes::Bytes;
use md5::{Digest as _, Md5};

use super::model::{BodyExpect, Expect, HeaderExpect, Level, XmlExpect};
use super::vars::Vars;
use crate::client::Response;
use crate::client::xml::{element, error_body};
use crate::report::model::MismatchDetail;

/// How much a failed expectation counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// An accepted alternative (non-strict).
    Soft,
    /// A wrong answer.
    Hard,
}

/// How a run grades `must` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Every mismatch on a `must` step fails: code, message, argument fields and headers; no
    /// alternative (`also-accept`, `also-status`) is accepted.
    #[default]
    Strict,
    /// A different message or argument field, or an accepted alternative code or status, is
    /// `non-strict`.
    Lenient,
}

/// The part of an answer an expectation is about, named without the values that change from run
/// to run (findings group deviations by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The HTTP status.
    Status,
    /// The error `Code`.
    Code,
    /// The error `Message`.
    Message,
    /// The error `ArgumentName`.
    ArgumentName,
    /// The error `ArgumentValue`.
    ArgumentValue,
    /// A header: missing, present when it must not be, or with another value.
    Header(String, HeaderFault),
    /// The body.
    Body,
    /// The ETag's relation to a saved ETag, or its absence.
    Etag,
    /// The ETag is the MD5 of a plaintext, where it must not be.
    EtagIsPlaintextMd5,
    /// An element of an XML answer.
    Xml(String),
    /// The keys and sizes of a listing.
    Listing,
}

/// How a header differed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFault {
    /// Expected, absent.
    Missing,
    /// Present, expected absent.
    Unexpected,
    /// Present with another value.
    Differs,
}

impl Field {
    /// The field's name in reports (`status`, `code`, `header`, …).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Code => "code",
            Self::Message => "message",
            Self::ArgumentName => "argument-name",
            Self::ArgumentValue => "argument-value",
            Self::Header(..) => "header",
            Self::Body => "body",
            Self::Etag | Self::EtagIsPlaintextMd5 => "etag",
            Self::Xml(_) => "xml",
            Self::Listing => "listing",
        }
    }

    /// The header or element name.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Header(n, _) | Self::Xml(n) => Some(n),
            _ => None,
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status => f.write_str("status"),
            Self::Code => f.write_str("code"),
            Self::Message => f.write_str("message differs"),
            Self::ArgumentName => f.write_str("ArgumentName differs"),
            Self::ArgumentValue => f.write_str("ArgumentValue differs"),
            Self::Header(name, HeaderFault::Missing) => write!(f, "header {name} missing"),
            Self::Header(name, HeaderFault::Unexpected) => write!(f, "header {name} present"),
            Self::Header(name, HeaderFault::Differs) => write!(f, "header {name} differs"),
            Self::Body => f.write_str("body differs"),
            Self::Etag => f.write_str("ETag differs"),
            Self::EtagIsPlaintextMd5 => f.write_str("ETag is the plaintext MD5"),
            Self::Xml(name) => write!(f, "<{name}> differs"),
            Self::Listing => f.write_str("listing differs"),
        }
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// Hard or soft.
    pub severity: Severity,
    /// What was compared.
    pub field: Field,
    /// What was expected.
    pub expected: String,
    /// What came (`<absent>` for nothing).
    pub observed: String,
    /// What was expected and what came, in one line.
    pub text: String,
}

impl Mismatch {
    /// The mismatch as the report keeps it.
    #[must_use]
    pub fn detail(&self) -> MismatchDetail {
        MismatchDetail {
            field: self.field.kind().to_owned(),
            name: self.field.name().map(str::to_owned),
            expected: self.expected.clone(),
            observed: self.observed.clone(),
            fails: self.severity == Severity::Hard,
        }
    }
}

/// What a response shows for a missing value.
const ABSENT: &str = "<absent>";

/// Collects the mismatches of one response.
struct Mismatches(Vec<Mismatch>);

impl Mismatches {
    fn push(
        &mut self,
        severity: Severity,
        field: Field,
        expected: impl Into<String>,
        observed: impl Into<String>,
        text: String,
    ) {
        self.0.push(Mismatch { severity, field, expected: expected.into(), observed: observed.into(), text });
    }

    /// An expectation that could not even be evaluated (an undefined variable, a missing body).
    fn broken(&mut self, field: Field, text: String) {
        self.push(Severity::Hard, field, text.clone(), ABSENT, text);
    }
}

/// The expectations of a step as lines, for reports.
#[must_use]
pub fn describe(expect: &Expect) -> Vec<String> {
    let mut lines = vec![format!("status {}", expect.status)];
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

/// Checks one response against its expectations, graded at `level` with `strictness`.
pub fn check(
    expect: &Expect,
    level: Level,
    strictness: Strictness,
    resp: &Response,
    vars: &Vars,
    bodies: &Bodies,
) -> Vec<Mismatch> {
    let strict = strictness == Strictness::Strict && level == Level::Must;
    let mut out = Mismatches(Vec::new());
    let err = error_body(&resp.body);
    if resp.status != expect.status {
        let text = format!("status {} (expected {})", resp.status, expect.status);
        out.push(Severity::Hard, Field::Status, expect.status.to_string(), resp.status.to_string(), text);
    }
    if let Some(code) = &expect.code {
        let got = err.code.as_deref();
        if got != Some(code.as_str()) {
            let alt = got.is_some_and(|g| expect.also_accept.iter().any(|a| a == g));
            let soft = !strict && (alt || level != Level::Must);
            let severity = if soft { Severity::Soft } else { Severity::Hard };
            let got = got.unwrap_or("<none>");
            out.push(severity, Field::Code, code.as_str(), got, format!("code {got} (expected {code})"));
        }
    }
    for (field, label, want, got) in [
        (Field::Message, "message", &expect.message, &err.message),
        (Field::ArgumentName, "ArgumentName", &expect.argument_name, &err.argument_name),
        (Field::ArgumentValue, "ArgumentValue", &expect.argument_value, &err.argument_value),
    ] {
        if let Some(w) = want
            && got.as_ref() != Some(w)
        {
            let severity = if strict { Severity::Hard } else { Severity::Soft };
            let got = got.as_deref().unwrap_or("<none>");
            out.push(severity, field, w.as_str(), got, format!("{label} {got:?} (expected {w:?})"));
        }
    }
    for (name, h) in &expect.headers {
        let got = resp.header(name);
        let field = |fault| Field::Header(name.clone(), fault);
        match (h, got) {
            (HeaderExpect::Present(true), None) => {
                let text = format!("header {name} missing");
                out.push(Severity::Hard, field(HeaderFault::Missing), "present", ABSENT, text);
            }
            (HeaderExpect::Present(false), Some(v)) => {
                let text = format!("header {name}: {v} (expected absent)");
                out.push(Severity::Hard, field(HeaderFault::Unexpected), ABSENT, v, text);
            }
            (HeaderExpect::Equals(want), got) => match vars.expand(want) {
                Ok(want) if got == Some(want.as_str()) => {}
                Ok(want) => {
                    let fault = if got.is_some() { HeaderFault::Differs } else { HeaderFault::Missing };
                    let got = got.unwrap_or(ABSENT);
                    let text = format!("header {name}: {got} (expected {want})");
                    out.push(Severity::Hard, field(fault), want, got, text);
                }
                Err(e) => out.broken(field(HeaderFault::Differs), e),
            },
            _ => {}
        }
    }
    if let Some(b) = &expect.body {
        match expected_body(b, bodies) {
            Ok(want) if want == resp.body => {}
            Ok(want) => {
                let text = body_difference(&want, &resp.body);
                let (expected, observed) = (format!("{} bytes", want.len()), format!("{} bytes", resp.body.len()));
                out.push(Severity::Hard, Field::Body, expected, observed, text);
            }
            Err(e) => out.broken(Field::Body, e),
        }
    }
    if let Some(e) = &expect.etag {
        for (field, expected, observed, text) in etag_mismatches(e, resp, vars, bodies) {
            out.push(Severity::Hard, field, expected, observed, text);
        }
    }
    if !expect.xml.is_empty() {
        let text = String::from_utf8_lossy(&resp.body);
        for (name, want) in &expect.xml {
            xml_mismatch(&mut out, name, want, element(&text, name), vars);
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
                (Err(e), _) | (_, Err(e)) => out.broken(Field::Listing, e),
            }
        }
        let got_rel: BTreeMap<String, String> =
            got.into_iter().map(|(k, s)| (k.strip_prefix(vars.prefix.as_str()).unwrap_or(&k).to_owned(), s)).collect();
        if got_rel != want {
            let (expected, observed) = (format!("{want:?}"), format!("{got_rel:?}"));
            out.push(
                Severity::Hard,
                Field::Listing,
                expected,
                observed,
                format!("listing {got_rel:?} (expected {want:?})"),
            );
        }
    }
    out.0
}

/// Compares the first element `name` of an XML body with its expectation.
fn xml_mismatch(out: &mut Mismatches, name: &str, want: &XmlExpect, got: Option<String>, vars: &Vars) {
    let field = || Field::Xml(name.to_owned());
    let held = match want {
        XmlExpect::Present(present) => got.is_some() == *present,
        XmlExpect::Text(want) => match (want.strip_prefix('~'), vars.expand(want.trim_start_matches('~'))) {
            (_, Err(e)) => return out.broken(field(), e),
            (Some(_), Ok(suffix)) => got.as_deref().is_some_and(|g| g.ends_with(&suffix)),
            (None, Ok(exact)) => got.as_deref() == Some(exact.as_str()),
        },
    };
    if !held {
        let expected = want.to_string();
        let observed = got.unwrap_or_else(|| ABSENT.to_owned());
        let text = format!("<{name}> {observed} (expected {expected})");
        out.push(Severity::Hard, field(), expected, observed, text);
    }
}

/// The ETag relations that do not hold. The ETag is the header, or the `ETag` element of a
/// CopyObject, UploadPartCopy or CompleteMultipartUpload answer; none at all is a mismatch.
/// Each as (field, expected, observed, line).
fn etag_mismatches(
    e: &super::model::EtagExpect,
    resp: &Response,
    vars: &Vars,
    bodies: &Bodies,
) -> Vec<(Field, String, String, String)> {
    let from_body = element(&String::from_utf8_lossy(&resp.body), "ETag");
    let Some(got) = resp.header("etag").map(str::to_owned).or(from_body) else {
        return vec![(Field::Etag, "an ETag".into(), ABSENT.into(), "no ETag in the response".into())];
    };
    let got = unquote(&got);
    let mut out = Vec::new();
    if let Some(n) = &e.equals
        && vars.etags.get(n).map(|s| unquote(s)) != Some(got)
    {
        out.push((Field::Etag, format!("saved {n}"), got.to_owned(), format!("ETag {got} differs from saved {n}")));
    }
    if let Some(n) = &e.differs_from
        && vars.etags.get(n).map(|s| unquote(s)) == Some(got)
    {
        out.push((Field::Etag, format!("not saved {n}"), got.to_owned(), format!("ETag {got} equals saved {n}")));
    }
    if let Some(b) = &e.md5_of {
        let md5 = bodies.get(b).map(|b| md5_hex(b)).unwrap_or_default();
        if (got == md5) != e.is {
            let relation = if e.is { "=" } else { "≠" };
            let text = format!("ETag {got} {} MD5({b}) = {md5}", if e.is { "≠" } else { "=" });
            let field = if e.is { Field::Etag } else { Field::EtagIsPlaintextMd5 };
            out.push((field, format!("{relation} MD5({b})"), got.to_owned(), text));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        Response { status, headers: Vec::new(), body: Bytes::from(body.to_owned()) }
    }

    /// (severity, field, expected, observed) of each mismatch.
    fn graded(
        expect: &Expect,
        level: Level,
        strictness: Strictness,
        resp: &Response,
    ) -> Vec<(Severity, String, String, String)> {
        check(expect, level, strictness, resp, &Vars::default(), &Bodies::new())
            .into_iter()
            .map(|m| (m.severity, m.field.kind().to_owned(), m.expected, m.observed))
            .collect()
    }

    #[test]
    fn an_accepted_alternative_code_is_soft_only_without_strict() {
        let expect = Expect {
            status: 400,
            code: Some("InvalidRequest".into()),
            also_accept: vec!["InvalidArgument".into()],
            ..Expect::default()
        };
        let resp = answer(400, "<Error><Code>InvalidArgument</Code></Error>");
        let row = |s| vec![(s, "code".to_owned(), "InvalidRequest".to_owned(), "InvalidArgument".to_owned())];
        assert_eq!(graded(&expect, Level::Must, Strictness::Strict, &resp), row(Severity::Hard));
        assert_eq!(graded(&expect, Level::Must, Strictness::Lenient, &resp), row(Severity::Soft));
    }

    #[test]
    fn message_and_argument_fields_fail_a_must_step_only_under_strict() {
        let expect = Expect {
            status: 400,
            message: Some("m".into()),
            argument_name: Some("x-amz-server-side-encryption".into()),
            ..Expect::default()
        };
        let resp = answer(400, "<Error><Code>InvalidArgument</Code><Message>other</Message></Error>");
        let severities = |level, strictness| -> Vec<Severity> {
            graded(&expect, level, strictness, &resp).into_iter().map(|(s, ..)| s).collect()
        };
        assert_eq!(severities(Level::Must, Strictness::Strict), [Severity::Hard, Severity::Hard]);
        assert_eq!(severities(Level::Must, Strictness::Lenient), [Severity::Soft, Severity::Soft]);
        assert_eq!(severities(Level::Should, Strictness::Strict), [Severity::Soft, Severity::Soft]);
    }

    #[test]
    fn an_xml_element_expected_absent_fails_when_listed() {
        let expect = Expect {
            status: 200,
            xml: BTreeMap::from([("Upload".into(), XmlExpect::Present(false))]),
            ..Expect::default()
        };
        let listed = answer(
            200,
            "<ListMultipartUploadsResult><Upload><UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>",
        );
        let mismatches = check(&expect, Level::Must, Strictness::Strict, &listed, &Vars::default(), &Bodies::new());
        assert_eq!(mismatches.len(), 1);
        assert_eq!(mismatches[0].text, "<Upload> <UploadId>u1</UploadId> (expected absent)");
        let empty = answer(200, "<ListMultipartUploadsResult></ListMultipartUploadsResult>");
        assert!(check(&expect, Level::Must, Strictness::Strict, &empty, &Vars::default(), &Bodies::new()).is_empty());
    }
}
