//! Observing one case on a target, and comparing two observations.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::client::xml::error_body;
use crate::client::{Client, Response};
use crate::scenario::build::{Location, build};
use crate::scenario::check::Check;
use crate::scenario::model::Scenario;
use crate::scenario::security::security;
use crate::scenario::vars::Vars;
use crate::sse_c::headers::{ALGORITHM, KEY_MD5};

/// What a target answered to a case's probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// HTTP status, or the transport error.
    pub status: Result<u16, String>,
    /// Error `Code`.
    pub code: Option<String>,
    /// `…-customer-algorithm` response header.
    pub algorithm: Option<String>,
    /// `…-customer-key-MD5` response header.
    pub key_md5: Option<String>,
    /// MD5 of the body of a successful GET.
    pub body_md5: Option<String>,
    /// Key echoes found in the answer.
    pub echoes: Vec<String>,
}

impl Observation {
    /// `200`, `403 AccessDenied`, or the transport error.
    #[must_use]
    pub fn short(&self) -> String {
        match &self.status {
            Ok(s) => format!("{s} {}", self.code.as_deref().unwrap_or("")).trim_end().to_owned(),
            Err(e) => format!("error: {e}"),
        }
    }

    fn success(&self) -> bool {
        self.status.as_ref().is_ok_and(|s| (200..300).contains(s))
    }
}

fn observe(built: &crate::scenario::build::Built, resp: &Response, vars: &Vars) -> Observation {
    let err = error_body(&resp.body);
    let ok = (200..300).contains(&resp.status);
    Observation {
        status: Ok(resp.status),
        code: err.code,
        algorithm: resp.header(ALGORITHM).map(str::to_owned),
        key_md5: resp.header(KEY_MD5).map(str::to_owned),
        body_md5: (ok && built.operation == "get").then(|| hex::encode(<md5::Md5 as md5::Digest>::digest(&resp.body))),
        echoes: security(built, resp, vars, &BTreeMap::new())
            .into_iter()
            .filter(|v| v.check == Check::KeyNotEchoed)
            .map(|v| v.text)
            .collect(),
    }
}

/// Runs a case's scenario (set-up, then probe) on a target under `at`, returning the probe's answer.
/// `bodies` are generated once per case, so both targets store the same bytes.
pub async fn run(
    client: &Client,
    scenario: &Scenario,
    bodies: &BTreeMap<String, Bytes>,
    at: &Location,
) -> Result<Observation, String> {
    let mut vars = Vars { bucket: at.bucket.clone(), prefix: at.prefix.clone(), ..Vars::default() };
    for (name, spec) in &scenario.keys {
        if let crate::scenario::model::KeySpec::Fixed(b64) = spec {
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string())?;
            let arr: [u8; 32] = raw.try_into().map_err(|_| "key not 32 bytes".to_owned())?;
            vars.keys.insert(name.clone(), crate::sse_c::CustomerKey::from_bytes(arr));
        }
    }
    let mut last = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        let built = build(&step.value, &vars, bodies, at)?;
        let resp = client.send(&built.outgoing).await.response;
        match (i, resp) {
            (0, Ok(r)) if (200..300).contains(&r.status) => {}
            (0, Ok(r)) => return Err(format!("set-up PUT answered {}", r.status)),
            (0, Err(e)) => return Err(format!("set-up PUT: {e}")),
            (_, Ok(r)) => last = Some(observe(&built, &r, &vars)),
            (_, Err(e)) => {
                last = Some(Observation {
                    status: Err(e.to_string()),
                    code: None,
                    algorithm: None,
                    key_md5: None,
                    body_md5: None,
                    echoes: Vec::new(),
                })
            }
        }
    }
    last.ok_or_else(|| "no probe step".to_owned())
}

/// How two observations differ; `security` when the endpoint breaks a security property the
/// reference keeps (2xx where the reference refused, or a key echoed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// One line describing each difference.
    pub differences: Vec<String>,
    /// Whether a security property is at stake.
    pub security: bool,
}

/// Compares the endpoint's answer with the reference's; `read` says whether the probe reads data
/// (GET, HEAD, copy source), where a success the reference refused is a confidentiality failure.
#[must_use]
pub fn compare(reference: &Observation, endpoint: &Observation, read: bool) -> Option<Divergence> {
    let mut d = Vec::new();
    if reference.status != endpoint.status {
        d.push(format!("status: reference {}, endpoint {}", reference.short(), endpoint.short()));
    } else if reference.code != endpoint.code {
        d.push(format!("code: reference {:?}, endpoint {:?}", reference.code, endpoint.code));
    }
    if reference.success() && endpoint.success() {
        if reference.algorithm != endpoint.algorithm || reference.key_md5 != endpoint.key_md5 {
            d.push("SSE-C response headers differ".into());
        }
        if reference.body_md5 != endpoint.body_md5 {
            d.push("body differs".into());
        }
    }
    let leaked = read && !reference.success() && endpoint.success();
    for e in &endpoint.echoes {
        d.push(format!("endpoint: {e}"));
    }
    let security = leaked || !endpoint.echoes.is_empty();
    (!d.is_empty()).then_some(Divergence { security, differences: d })
}
