//! Scenario steps → requests.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::model::{BodyRef, BodySpec, CustomTriple, RawRequest, Request, SseCSpec, Step, SwiftRequest, TripleField};
use super::vars::Vars;
use crate::client::{Auth, Outgoing};
use crate::sse_c::TripleKind;
use crate::sse_c::headers::{AES256, ALGORITHM, KEY, KEY_MD5};

/// Generates a scenario's named plaintexts: random and text bodies first, then the concatenations
/// of those.
#[must_use]
pub fn make_bodies(specs: &BTreeMap<String, BodySpec>) -> BTreeMap<String, Bytes> {
    let mut bodies = BTreeMap::new();
    for (name, spec) in specs.iter().filter(|(_, s)| !matches!(s, BodySpec::Concat(_))) {
        bodies.insert(name.clone(), make_body(spec, &BTreeMap::new()));
    }
    for (name, spec) in specs.iter().filter(|(_, s)| matches!(s, BodySpec::Concat(_))) {
        let body = make_body(spec, &bodies);
        bodies.insert(name.clone(), body);
    }
    bodies
}

/// Generates the plaintext of a body spec; a concatenation takes its parts from `named`.
fn make_body(spec: &BodySpec, named: &BTreeMap<String, Bytes>) -> Bytes {
    match spec {
        BodySpec::Text(t) => Bytes::from(t.clone().into_bytes()),
        BodySpec::Random(size) => {
            let n = usize::try_from(crate::units::parse_size(size).unwrap_or(0)).unwrap_or(0);
            let mut v = vec![0u8; n];
            rand::fill(&mut v[..]);
            Bytes::from(v)
        }
        BodySpec::Concat(parts) => {
            Bytes::from(parts.iter().filter_map(|p| named.get(p)).flat_map(|b| b.iter().copied()).collect::<Vec<u8>>())
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
    /// Copies: the source's tracking slot (object key, and version if named).
    pub source_slot: Option<String>,
    /// Copies: the key name whose valid copy-source triple was sent unaltered, if any.
    pub presented_source_key: Option<String>,
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

fn triple_headers(spec: &SseCSpec, vars: &Vars, kind: TripleKind) -> Result<TripleHeaders, String> {
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
    let [alg_name, key_name, md5_name] = kind.names();
    for (field, name, value) in
        [(TripleField::Algorithm, alg_name, alg), (TripleField::Key, key_name, key), (TripleField::Md5, md5_name, md5)]
    {
        if let Some(v) = value
            && !custom.omit.contains(&field)
        {
            out.push((name.to_owned(), v));
        }
    }
    Ok(TripleHeaders { headers: out, unaltered_key: if unaltered { custom.key } else { None } })
}

/// A request body: a named plaintext as generated, or an inline body; inline text has its `${...}`
/// variables expanded (a policy naming `${bucket}`).
fn body_bytes(r: Option<&BodyRef>, bodies: &BTreeMap<String, Bytes>, vars: &Vars) -> Result<Bytes, String> {
    Ok(match r {
        None => Bytes::new(),
        Some(BodyRef::Named(n)) => bodies.get(n).cloned().unwrap_or_default(),
        Some(BodyRef::Inline(BodySpec::Text(t))) => Bytes::from(vars.expand(t)?.into_bytes()),
        Some(BodyRef::Inline(spec)) => make_body(spec, bodies),
    })
}

/// Builds the request of `step`.
pub fn build(step: &Step, vars: &Vars, bodies: &BTreeMap<String, Bytes>, at: &Location) -> Result<Built, String> {
    if let Some(raw) = &step.raw {
        return build_raw(raw, vars, bodies, at);
    }
    if let Some(sw) = &step.swift {
        return build_swift(sw, vars, bodies, at);
    }
    let (operation, r) = match step.operations().first() {
        Some((op, Some(r))) => (*op, *r),
        _ => return Err("step has no operation".into()),
    };
    let object_key = r.key.as_ref().map(|k| vars.expand(k).map(|k| format!("{}{k}", at.prefix))).transpose()?;
    let upload_id = || -> Result<String, String> {
        let name = r.upload.as_deref().ok_or("no `upload`")?;
        vars.uploads.get(name).cloned().ok_or_else(|| format!("upload `{name}` was not created"))
    };
    let part = || r.part.map(|p| p.to_string()).unwrap_or_default();
    let (method, key, mut query): (&str, Option<String>, Vec<(String, String)>) = match operation {
        "put" | "copy" => ("PUT", object_key, vec![]),
        "get" => ("GET", object_key, vec![]),
        "head" => ("HEAD", object_key, vec![]),
        "delete" => ("DELETE", object_key, vec![]),
        "list" => {
            let mut q = vec![("list-type".into(), "2".into())];
            if !at.prefix.is_empty() && !r.query.contains_key("prefix") {
                q.push(("prefix".into(), at.prefix.clone()));
            }
            ("GET", None, q)
        }
        "create-multipart" => ("POST", object_key, vec![("uploads".into(), String::new())]),
        "upload-part" | "upload-part-copy" => {
            ("PUT", object_key, vec![("partNumber".into(), part()), ("uploadId".into(), upload_id()?)])
        }
        "complete" => ("POST", object_key, vec![("uploadId".into(), upload_id()?)]),
        "abort" => ("DELETE", object_key, vec![("uploadId".into(), upload_id()?)]),
        "list-parts" => ("GET", object_key, vec![("uploadId".into(), upload_id()?)]),
        "post" => ("POST", object_key, vec![]),
        other => return Err(format!("unknown operation {other}")),
    };
    for (k, v) in &r.query {
        let v = vars.expand(v)?;
        let v = if k == "prefix" { format!("{}{v}", at.prefix) } else { v };
        query.push((k.clone(), v));
    }
    let mut out = Outgoing::new(method, Some(&at.bucket), key.as_deref());
    out.query = query;
    let mut source_slot = None;
    if let Some(src) = &r.copy_source {
        let src = format!("{}{}", at.prefix, vars.expand(src)?);
        let mut header = format!("/{}/{}", at.bucket, crate::client::encode_path(&src));
        source_slot = Some(src.clone());
        if let Some(v) = &r.copy_source_version {
            let v = vars.expand(v)?;
            header.push_str(&format!("?versionId={v}"));
            source_slot = Some(super::model::version_slot(&src, &v));
        }
        out.headers.push(("x-amz-copy-source".into(), header));
    }
    if let Some(range) = &r.copy_source_range {
        out.headers.push(("x-amz-copy-source-range".into(), vars.expand(range)?));
    }
    let mut presented_key = None;
    if let Some(spec) = &r.sse_c {
        let triple = triple_headers(spec, vars, TripleKind::Request)?;
        out.headers.extend(triple.headers);
        presented_key = triple.unaltered_key;
    }
    let mut presented_source_key = None;
    if let Some(spec) = &r.copy_source_sse_c {
        let triple = triple_headers(spec, vars, TripleKind::CopySource)?;
        out.headers.extend(triple.headers);
        presented_source_key = triple.unaltered_key;
    }
    if let Some(range) = &r.range {
        out.headers.push(("range".into(), vars.expand(range)?));
    }
    for (k, v) in &r.headers {
        out.headers.push((k.clone(), vars.expand(v)?));
    }
    for (k, v) in &r.unsigned_headers {
        out.unsigned_headers.push((k.clone(), vars.expand(v)?));
    }
    let sent_body = matches!(operation, "put" | "upload-part" | "post")
        .then(|| body_bytes(r.body.as_ref(), bodies, vars))
        .transpose()?;
    out.body = match operation {
        "complete" => complete_body(r, vars)?,
        _ => sent_body.clone().unwrap_or_default(),
    };
    let body = out.body.clone();
    super::payload::apply(r, &body, vars, &mut out)?;
    out.plain_http = r.plain_http;
    if let Some(secs) = r.presign {
        out.auth = Auth::Presigned(Duration::from_secs(secs));
    }
    if operation == "post" {
        out.auth = Auth::PostForm;
    }
    if presented_key.is_none() {
        // A triple sent outside `sse-c:`: as unsigned headers, or in a presigned query string (PS4).
        presented_key = presented_in(&out.unsigned_headers, vars).or_else(|| presented_in(&out.query, vars));
    }
    let header = |name: &str| out.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let complete_triple =
        header(ALGORITHM).as_deref() == Some(AES256) && header(KEY).is_some() && header(KEY_MD5).is_some();
    let sent_md5 = header(KEY_MD5);
    Ok(Built {
        outgoing: out,
        operation,
        sent_body,
        presented_key,
        source_slot,
        presented_source_key,
        sent_md5,
        complete_triple,
    })
}

/// The scenario key whose exact, valid triple these headers or query parameters carry (sent outside
/// `sse-c:`: as unsigned headers, or hoisted into a query string), if any.
fn presented_in(headers: &[(String, String)], vars: &Vars) -> Option<String> {
    let get = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    if get(ALGORITHM) != Some(AES256) {
        return None;
    }
    let (key, md5) = (get(KEY)?, get(KEY_MD5)?);
    vars.keys.iter().find(|(_, k)| k.to_base64().as_str() == key && k.md5_b64() == md5).map(|(n, _)| n.clone())
}

fn build_raw(raw: &RawRequest, vars: &Vars, bodies: &BTreeMap<String, Bytes>, at: &Location) -> Result<Built, String> {
    let key = raw.key.as_ref().map(|k| vars.expand(k).map(|k| format!("{}{k}", at.prefix))).transpose()?;
    let mut out = Outgoing::new(&raw.method, Some(&at.bucket), key.as_deref());
    for (k, v) in &raw.query {
        out.query.push((k.clone(), vars.expand(v)?));
    }
    for (k, v) in &raw.headers {
        out.headers.push((k.clone(), vars.expand(v)?));
    }
    out.body = body_bytes(raw.body.as_ref(), bodies, vars)?;
    out.plain_http = raw.plain_http;
    out.auth = if raw.sign { Auth::Header } else { Auth::Anonymous };
    let sent_md5 = out.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(KEY_MD5)).map(|(_, v)| v.clone());
    let presented_key = presented_in(&out.headers, vars);
    Ok(Built {
        outgoing: out,
        operation: "raw",
        sent_body: None,
        presented_key,
        source_slot: None,
        presented_source_key: None,
        sent_md5,
        complete_triple: false,
    })
}

/// A Swift request on the scenario's container. A PUT whose metadata carries a scenario key is taken
/// as storing the object "under" that key, so that any later read without it is caught.
fn build_swift(
    sw: &SwiftRequest,
    vars: &Vars,
    bodies: &BTreeMap<String, Bytes>,
    at: &Location,
) -> Result<Built, String> {
    let object = sw.object.as_ref().map(|o| vars.expand(o).map(|o| format!("{}{o}", at.prefix))).transpose()?;
    let mut out = Outgoing::new(&sw.method, Some(&at.bucket), object.as_deref());
    for (k, v) in &sw.headers {
        out.headers.push((k.clone(), vars.expand(v)?));
    }
    out.body = body_bytes(sw.body.as_ref(), bodies, vars)?;
    out.auth = Auth::Swift;
    let operation = match sw.method.to_ascii_uppercase().as_str() {
        "PUT" => "swift-put",
        "GET" => "swift-get",
        "HEAD" => "swift-head",
        "DELETE" => "swift-delete",
        _ => "swift",
    };
    let presented_key = vars
        .keys
        .iter()
        .find(|(_, k)| out.headers.iter().any(|(_, v)| v.as_str() == k.to_base64().as_str()))
        .map(|(name, _)| name.clone());
    let sent_body = (operation == "swift-put").then(|| out.body.clone());
    Ok(Built {
        outgoing: out,
        operation,
        sent_body,
        presented_key,
        source_slot: None,
        presented_source_key: None,
        sent_md5: None,
        complete_triple: false,
    })
}

/// The CompleteMultipartUpload XML: the listed parts (default: all uploaded) with their ETags.
fn complete_body(r: &Request, vars: &Vars) -> Result<Bytes, String> {
    let name = r.upload.as_deref().ok_or("no `upload`")?;
    let etags = vars.part_etags.get(name).cloned().unwrap_or_default();
    let checksums = vars.part_checksums.get(name).cloned().unwrap_or_default();
    let numbers: Vec<u32> = r.parts.clone().unwrap_or_else(|| etags.keys().copied().collect());
    let mut xml = String::from("<CompleteMultipartUpload>");
    for n in numbers {
        let etag = etags.get(&n).map_or("\"unknown\"", String::as_str);
        xml.push_str(&format!("<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag>", etag.replace('&', "&amp;")));
        // The part checksums an upload with a checksum algorithm answered, as an SDK sends them.
        for (element, value) in checksums.get(&n).into_iter().flatten() {
            xml.push_str(&format!("<{element}>{value}</{element}>"));
        }
        xml.push_str("</Part>");
    }
    xml.push_str("</CompleteMultipartUpload>");
    Ok(Bytes::from(xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concatenation_is_its_parts_one_after_the_other() {
        let specs = BTreeMap::from([
            ("a".to_owned(), BodySpec::Random("5".into())),
            ("b".to_owned(), BodySpec::Text("xyz".into())),
            ("whole".to_owned(), BodySpec::Concat(vec!["a".into(), "b".into()])),
        ]);
        let bodies = make_bodies(&specs);
        assert_eq!(bodies["whole"], [&bodies["a"][..], b"xyz"].concat());
    }
}
