//! Scenario steps → requests.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::model::{BodyRef, BodySpec, CustomTriple, Request, SseCSpec, Step, TripleField};
use super::vars::Vars;
use crate::client::{Auth, Outgoing};
use crate::sse_c::headers::{AES256, ALGORITHM, KEY, KEY_MD5};

/// Generates the plaintext of a body spec.
#[must_use]
pub fn make_body(spec: &BodySpec) -> Bytes {
    match spec {
        BodySpec::Text(t) => Bytes::from(t.clone().into_bytes()),
        BodySpec::Random(size) => {
            let n = usize::try_from(super::load::parse_size(size).unwrap_or(0)).unwrap_or(0);
            let mut v = vec![0u8; n];
            rand::fill(&mut v[..]);
            Bytes::from(v)
        }
    }
}

/// A step's request, and the SSE-C key it presents (for the security checks).
#[derive(Debug)]
pub struct Built {
    /// The request.
    pub outgoing: Outgoing,
    /// The operation name.
    pub operation: &'static str,
    /// The plaintext sent (PUT), for the ETag check.
    pub sent_body: Option<Bytes>,
    /// The key name whose valid triple was sent unaltered, if any.
    pub presented_key: Option<String>,
    /// The request's key-MD5 header value, if any.
    pub sent_md5: Option<String>,
    /// Whether the triple looked complete and valid (algorithm AES256, key and MD5 present).
    pub complete_triple: bool,
}

/// Where a scenario's objects live.
#[derive(Debug, Clone)]
pub struct Location {
    /// The bucket.
    pub bucket: String,
    /// Prefix prepended to every object key (non-empty when sharing a bucket).
    pub prefix: String,
}

/// The headers of a triple, and the name of the key when the triple is that key's correct one.
struct TripleHeaders {
    headers: Vec<(String, String)>,
    unaltered_key: Option<String>,
}

fn triple_headers(spec: &SseCSpec, vars: &Vars) -> Result<TripleHeaders, String> {
    let custom = match spec {
        SseCSpec::Key(name) => CustomTriple { key: Some(name.clone()), ..CustomTriple::default() },
        SseCSpec::Custom(c) => c.clone(),
    };
    let base = |field: &str| -> Result<Option<String>, String> {
        custom.key.as_ref().map(|k| vars.expand(&format!("${{{k}.{field}}}"))).transpose()
    };
    let alg = match &custom.algorithm {
        Some(a) => Some(vars.expand(a)?),
        None => Some(AES256.to_owned()),
    };
    let key = match &custom.key_b64 {
        Some(k) => Some(vars.expand(k)?),
        None => base("b64")?,
    };
    let md5 = match &custom.md5 {
        Some(m) => Some(vars.expand(m)?),
        None => base("md5")?,
    };
    let unaltered =
        custom.algorithm.is_none() && custom.key_b64.is_none() && custom.md5.is_none() && custom.omit.is_empty();
    let mut out = Vec::new();
    for (field, name, value) in
        [(TripleField::Algorithm, ALGORITHM, alg), (TripleField::Key, KEY, key), (TripleField::Md5, KEY_MD5, md5)]
    {
        if let Some(v) = value
            && !custom.omit.contains(&field)
        {
            out.push((name.to_owned(), v));
        }
    }
    Ok(TripleHeaders { headers: out, unaltered_key: if unaltered { custom.key } else { None } })
}

fn body_bytes(r: Option<&BodyRef>, bodies: &BTreeMap<String, Bytes>) -> Bytes {
    match r {
        None => Bytes::new(),
        Some(BodyRef::Named(n)) => bodies.get(n).cloned().unwrap_or_default(),
        Some(BodyRef::Inline(spec)) => make_body(spec),
    }
}

/// Builds the request of `step`.
pub fn build(step: &Step, vars: &Vars, bodies: &BTreeMap<String, Bytes>, at: &Location) -> Result<Built, String> {
    let object_key = |k: &Option<String>| -> Result<Option<String>, String> {
        k.as_ref().map(|k| vars.expand(k).map(|k| format!("{}{k}", at.prefix))).transpose()
    };
    if let Some(raw) = &step.raw {
        let mut out = Outgoing::new(&raw.method, Some(&at.bucket), object_key(&raw.key)?.as_deref());
        for (k, v) in &raw.query {
            out.query.push((k.clone(), vars.expand(v)?));
        }
        for (k, v) in &raw.headers {
            out.headers.push((k.clone(), vars.expand(v)?));
        }
        out.body = body_bytes(raw.body.as_ref(), bodies);
        out.plain_http = raw.plain_http;
        out.auth = if raw.sign { Auth::Header } else { Auth::Anonymous };
        let sent_md5 = out.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(KEY_MD5)).map(|(_, v)| v.clone());
        return Ok(Built {
            outgoing: out,
            operation: "raw",
            sent_body: None,
            presented_key: None,
            sent_md5,
            complete_triple: false,
        });
    }
    let (operation, method, r): (&'static str, &str, &Request) = match step {
        Step { put: Some(r), .. } => ("put", "PUT", r),
        Step { get: Some(r), .. } => ("get", "GET", r),
        Step { head: Some(r), .. } => ("head", "HEAD", r),
        Step { delete: Some(r), .. } => ("delete", "DELETE", r),
        Step { list: Some(r), .. } => ("list", "GET", r),
        _ => return Err("step has no operation".into()),
    };
    let key = if operation == "list" { None } else { object_key(&r.key)? };
    let mut out = Outgoing::new(method, Some(&at.bucket), key.as_deref());
    if operation == "list" {
        out.query.push(("list-type".into(), "2".into()));
        if !at.prefix.is_empty() && !r.query.contains_key("prefix") {
            out.query.push(("prefix".into(), at.prefix.clone()));
        }
    }
    for (k, v) in &r.query {
        let v = vars.expand(v)?;
        let v = if k == "prefix" { format!("{}{v}", at.prefix) } else { v };
        out.query.push((k.clone(), v));
    }
    let mut presented_key = None;
    if let Some(spec) = &r.sse_c {
        let triple = triple_headers(spec, vars)?;
        out.headers.extend(triple.headers);
        presented_key = triple.unaltered_key;
    }
    if let Some(range) = &r.range {
        out.headers.push(("range".into(), vars.expand(range)?));
    }
    for (k, v) in &r.headers {
        out.headers.push((k.clone(), vars.expand(v)?));
    }
    let sent_body = (operation == "put").then(|| body_bytes(r.body.as_ref(), bodies));
    out.body = sent_body.clone().unwrap_or_default();
    out.plain_http = r.plain_http;
    if let Some(secs) = r.presign {
        out.auth = Auth::Presigned(Duration::from_secs(secs));
    }
    let header = |name: &str| out.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let complete_triple =
        header(ALGORITHM).as_deref() == Some(AES256) && header(KEY).is_some() && header(KEY_MD5).is_some();
    let sent_md5 = header(KEY_MD5);
    Ok(Built { outgoing: out, operation, sent_body, presented_key, sent_md5, complete_triple })
}
