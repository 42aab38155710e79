//! Redacted transcripts of requests and responses, and the curl command that reproduces a request.
//!
//! Reports never carry customer keys: key headers are replaced by `<redacted>`, signatures are cut,
//! and any scenario key found in a response is replaced by `<customer-key>`. Only the reproduction
//! command carries the scenario's generated test key, so that it can be run as printed.

use super::vars::Vars;
use crate::client::{Auth, Client, Exchange, Incoming, Outgoing};
use crate::report::model::{RequestTranscript, ResponseTranscript};
use crate::sse_c::headers::is_sse_c_header;

const REDACTED: &str = "<redacted>";

fn is_key_header(name: &str) -> bool {
    is_sse_c_header(name) && name.to_ascii_lowercase().ends_with("customer-key")
}

/// Replaces every form of every scenario key in `text`.
fn scrub(text: &str, vars: &Vars) -> String {
    let mut out = text.to_owned();
    for key in vars.keys.values() {
        let hex = hex::encode(key.expose());
        for form in [key.to_base64().to_string(), hex.clone(), hex.to_ascii_uppercase()] {
            out = out.replace(&form, "<customer-key>");
        }
    }
    out
}

fn redact_header(name: &str, value: &str, vars: &Vars) -> String {
    if is_key_header(name) {
        return REDACTED.to_owned();
    }
    if name.eq_ignore_ascii_case("x-auth-token") || name.eq_ignore_ascii_case("x-storage-token") {
        return REDACTED.to_owned();
    }
    if name.eq_ignore_ascii_case("authorization") {
        return value
            .split_once("Signature=")
            .map_or_else(|| value.to_owned(), |(head, _)| format!("{head}Signature={REDACTED}"));
    }
    scrub(value, vars)
}

fn redact_url(url: &str) -> String {
    match url.split_once("X-Amz-Signature=") {
        Some((head, tail)) => {
            let rest = tail.split_once('&').map(|(_, r)| format!("&{r}")).unwrap_or_default();
            format!("{head}X-Amz-Signature={REDACTED}{rest}")
        }
        None => url.to_owned(),
    }
}

/// The request of an exchange, redacted.
#[must_use]
pub fn request(exchange: &Exchange, outgoing: &Outgoing, vars: &Vars) -> RequestTranscript {
    RequestTranscript {
        method: outgoing.method.clone(),
        url: redact_url(&exchange.url),
        headers: exchange.headers.iter().map(|(n, v)| (n.clone(), redact_header(n, v, vars))).collect(),
        body_len: outgoing.body.len() as u64,
    }
}

/// A response, redacted.
#[must_use]
pub fn response(resp: &Incoming, vars: &Vars) -> ResponseTranscript {
    let err = super::grade::error_body(&resp.body);
    let text_like = resp.body.len() <= 64 * 1024 && std::str::from_utf8(&resp.body).is_ok();
    let excerpt = text_like.then(|| {
        let text = String::from_utf8_lossy(&resp.body[..resp.body.len().min(2048)]).into_owned();
        scrub(&text, vars)
    });
    ResponseTranscript {
        status: resp.status,
        headers: resp.headers.iter().map(|(n, v)| (n.clone(), redact_header(n, v, vars))).collect(),
        code: err.code,
        message: err.message.map(|m| scrub(&m, vars)),
        body_len: resp.body.len() as u64,
        body_excerpt: excerpt.filter(|e| !e.is_empty()),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A curl command that sends the same request, signing with curl's `--aws-sigv4` and the
/// credentials from the environment. Carries the scenario's generated test key, never a user's.
#[must_use]
pub fn reproduce(client: &Client, outgoing: &Outgoing) -> String {
    let target = client.target();
    let mut unsigned = outgoing.clone();
    unsigned.auth = Auth::Anonymous;
    let url = if outgoing.auth == Auth::Swift {
        let object = outgoing.key.as_deref().map(|k| format!("/{}", crate::client::encode_path(k))).unwrap_or_default();
        format!("$OS_STORAGE_URL/{}{object}", outgoing.bucket.as_deref().unwrap_or_default())
    } else {
        client.prepare(&unsigned).map(|r| r.uri().to_string()).unwrap_or_default()
    };
    let mut cmd = vec!["curl -sS -i".to_owned()];
    if outgoing.method == "HEAD" {
        cmd.push("--head".into());
    } else if outgoing.method != "GET" {
        cmd.push(format!("-X {}", outgoing.method));
    }
    if matches!(outgoing.auth, Auth::Header | Auth::Presigned(_)) {
        cmd.push(format!("--aws-sigv4 'aws:amz:{}:s3'", target.region));
        cmd.push("--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"".into());
    }
    if outgoing.auth == Auth::Swift {
        cmd.push("-H \"X-Auth-Token: $OS_AUTH_TOKEN\"".into());
    }
    match &target.trust {
        crate::client::Trust::Insecure => cmd.push("--insecure".into()),
        crate::client::Trust::Pem(_) => cmd.push("--cacert \"$SSEC_CA_BUNDLE\"".into()),
        crate::client::Trust::WebPki => {}
    }
    for (n, v) in &outgoing.headers {
        cmd.push(format!("-H {}", shell_quote(&format!("{n}: {v}"))));
    }
    if !outgoing.body.is_empty() {
        cmd.push(format!("--data-binary @body.bin  # {} bytes", outgoing.body.len()));
    }
    // A Swift URL names the storage URL variable, which the shell must expand.
    cmd.insert(1, if outgoing.auth == Auth::Swift { format!("\"{url}\"") } else { shell_quote(&url) });
    cmd.join(" ")
}
