//! Redacted transcripts of requests and responses, and the curl command that reproduces a request.
//!
//! Key headers, tokens and signatures are replaced by `<redacted>` here; whatever else of a secret
//! an endpoint echoes is removed from the whole scenario report afterwards (`secrets::Scrubber`).
//! Reproductions name keys by shell variable (`$KEY_007_a`), whose values only `keys.env` holds.

use super::keys_env::KeyVars;
use super::scrub::REDACTED;
use super::security::is_key_header;
use crate::client::{Auth, Client, Exchange, Outgoing, Response};
use crate::report::model::{RequestTranscript, ResponseTranscript};

/// Headers whose whole value is a credential.
const CREDENTIAL_HEADERS: [&str; 3] = ["x-auth-token", "x-storage-token", "x-amz-security-token"];

/// Query parameters whose whole value is a credential.
const CREDENTIAL_PARAMS: [&str; 2] = ["X-Amz-Signature", "X-Amz-Security-Token"];

fn redact_header(name: &str, value: &str) -> String {
    if is_key_header(name) || CREDENTIAL_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
        return REDACTED.to_owned();
    }
    if name.eq_ignore_ascii_case("authorization") {
        return value
            .split_once("Signature=")
            .map_or_else(|| value.to_owned(), |(head, _)| format!("{head}Signature={REDACTED}"));
    }
    value.to_owned()
}

fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_owned() };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if CREDENTIAL_PARAMS.iter().any(|c| k.eq_ignore_ascii_case(c)) => format!("{k}={REDACTED}"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// The request of an exchange, redacted.
#[must_use]
pub(super) fn request(exchange: &Exchange, outgoing: &Outgoing) -> RequestTranscript {
    RequestTranscript {
        method: outgoing.method.clone(),
        url: redact_url(&exchange.url),
        headers: exchange.headers.iter().map(|(n, v)| (n.clone(), redact_header(n, v))).collect(),
        body_len: outgoing.body.len() as u64,
    }
}

/// A response, redacted.
#[must_use]
pub(super) fn response(resp: &Response) -> ResponseTranscript {
    let err = crate::client::xml::error_body(&resp.body);
    let text_like = resp.body.len() <= 64 * 1024 && std::str::from_utf8(&resp.body).is_ok();
    let excerpt = text_like.then(|| String::from_utf8_lossy(&resp.body[..resp.body.len().min(2048)]).into_owned());
    ResponseTranscript {
        status: resp.status,
        headers: resp.headers.iter().map(|(n, v)| (n.clone(), redact_header(n, v))).collect(),
        code: err.code,
        message: err.message,
        body_len: resp.body.len() as u64,
        body_excerpt: excerpt.filter(|e| !e.is_empty()),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// One `-H` argument: a key header names its key's variable, any other header that holds a key has
/// it replaced by the variable, and the rest is quoted as it is.
fn header_argument(name: &str, value: &str, keys: &mut KeyVars) -> String {
    if is_key_header(name) {
        return format!("-H \"{name}: ${}\"", keys.name_for(value));
    }
    let line = format!("{name}: {value}");
    keys.substitute(&line).map_or_else(|| format!("-H {}", shell_quote(&line)), |word| format!("-H {word}"))
}

/// A curl command that sends the same request, signing with curl's `--aws-sigv4` and the
/// credentials from the environment, and naming every key by its variable in `keys`.
pub(super) fn reproduce(client: &Client, outgoing: &Outgoing, keys: &mut KeyVars) -> String {
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
        if target.session_token.is_some() {
            cmd.push("-H \"x-amz-security-token: $AWS_SESSION_TOKEN\"".into());
        }
    }
    if outgoing.auth == Auth::Swift {
        cmd.push("-H \"X-Auth-Token: $OS_AUTH_TOKEN\"".into());
    }
    match &target.trust {
        crate::client::Trust::Insecure => cmd.push("--insecure".into()),
        crate::client::Trust::Pem(_) => cmd.push("--cacert \"$SSEC_CA_BUNDLE\"".into()),
        crate::client::Trust::WebPki => {}
    }
    for (n, v) in outgoing.headers.iter().chain(&outgoing.unsigned_headers) {
        cmd.push(header_argument(n, v, keys));
    }
    if !outgoing.body.is_empty() {
        cmd.push(format!("--data-binary @body.bin  # {} bytes", outgoing.body.len()));
    }
    // A Swift URL names the storage URL variable, which the shell must expand.
    cmd.insert(1, if outgoing.auth == Auth::Swift { format!("\"{url}\"") } else { shell_quote(&url) });
    cmd.join(" ")
}
