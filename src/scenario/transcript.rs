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

/// How a request field travels in a curl command: as a header (`-H "name: value"`) or as a POST
/// form field (`-F "name=value"`).
#[derive(Clone, Copy)]
enum FieldForm {
    Header,
    FormField,
}

/// One `-H` or `-F` argument: a key field names its key's variable, any other field that holds a
/// key has it replaced by the variable, and the rest is quoted as it is.
fn field_argument(form: FieldForm, name: &str, value: &str, keys: &mut KeyVars) -> String {
    let (flag, separator) = match form {
        FieldForm::Header => ("-H", ": "),
        FieldForm::FormField => ("-F", "="),
    };
    if is_key_header(name) {
        return format!("{flag} \"{name}{separator}${}\"", keys.name_for(value));
    }
    let line = format!("{name}{separator}{value}");
    keys.substitute(&line).map_or_else(|| format!("{flag} {}", shell_quote(&line)), |word| format!("{flag} {word}"))
}

/// The curl arguments that trust the endpoint's certificate as the run did.
fn trust_argument(trust: &crate::client::Trust) -> Option<&'static str> {
    match trust {
        crate::client::Trust::Insecure => Some("--insecure"),
        crate::client::Trust::Pem(_) => Some("--cacert \"$SSEC_CA_BUNDLE\""),
        crate::client::Trust::WebPki => None,
    }
}

/// A curl command for a POST Object form: the same fields, keys named by their variables, and the
/// file. The policy and its signature are left to variables: a SigV4 POST policy is signed with the
/// secret key, which curl's `--aws-sigv4` cannot do for a form.
fn reproduce_post(client: &Client, outgoing: &Outgoing, keys: &mut KeyVars) -> String {
    let target = client.target();
    let url = client.prepare(outgoing).map(|r| r.uri().to_string()).unwrap_or_default();
    let mut cmd = vec!["curl -sS -i".to_owned(), shell_quote(&url)];
    cmd.extend(trust_argument(&target.trust).map(str::to_owned));
    cmd.push(format!("-F {}", shell_quote(&format!("key={}", outgoing.key.as_deref().unwrap_or_default()))));
    for (n, v) in &outgoing.headers {
        cmd.push(field_argument(FieldForm::FormField, n, v, keys));
    }
    cmd.push("-F x-amz-algorithm=AWS4-HMAC-SHA256".into());
    cmd.push(format!("-F \"x-amz-credential=$AWS_ACCESS_KEY_ID/$DATE/{}/s3/aws4_request\"", target.region));
    cmd.push("-F \"x-amz-date=$AMZ_DATE\" -F \"policy=$POLICY\" -F \"x-amz-signature=$POLICY_SIGNATURE\"".into());
    cmd.push(format!(
        "-F file=@body.bin  # {} bytes; POLICY: a base64 POST policy allowing these fields until later than AMZ_DATE, \
         POLICY_SIGNATURE: its SigV4 signature for DATE",
        outgoing.body.len()
    ));
    cmd.join(" ")
}

/// A curl command that sends the same request, signing with curl's `--aws-sigv4` and the
/// credentials from the environment, and naming every key by its variable in `keys`.
pub(super) fn reproduce(client: &Client, outgoing: &Outgoing, keys: &mut KeyVars) -> String {
    if outgoing.auth == Auth::PostForm {
        return reproduce_post(client, outgoing, keys);
    }
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
    cmd.extend(trust_argument(&target.trust).map(str::to_owned));
    for (n, v) in outgoing.headers.iter().chain(&outgoing.unsigned_headers) {
        cmd.push(field_argument(FieldForm::Header, n, v, keys));
    }
    if !outgoing.body.is_empty() {
        cmd.push(format!("--data-binary @body.bin  # {} bytes", outgoing.body.len()));
    }
    // A Swift URL names the storage URL variable, which the shell must expand.
    cmd.insert(1, if outgoing.auth == Auth::Swift { format!("\"{url}\"") } else { shell_quote(&url) });
    cmd.join(" ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::client::Target;
    use crate::sse_c::{CustomerKey, TripleKind};

    /// A POST Object upload is reproduced as the form it was (fields with `-F`, the file last) to
    /// the bucket's URL, never as headers on a POST to the object.
    #[test]
    fn a_post_form_is_reproduced_as_form_fields_naming_the_key_by_its_variable() {
        let client = Client::new(Target::new("https://s3.example.com".parse().unwrap(), "AK", "SK")).unwrap();
        let key = CustomerKey::from_bytes([7; 32]);
        let keys = BTreeMap::from([("k".to_owned(), key.clone())]);
        let mut vars = KeyVars::new("post/001", 3, &keys);
        let mut post = Outgoing::new("POST", Some("bkt"), Some("obj"));
        post.auth = Auth::PostForm;
        post.headers = key.headers(TripleKind::Request).iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
        post.body = bytes::Bytes::from_static(b"hello");

        let cmd = reproduce(&client, &post, &mut vars);
        assert!(cmd.starts_with("curl -sS -i 'https://s3.example.com/bkt' "), "{cmd}");
        assert!(cmd.contains(" -F 'key=obj' "), "{cmd}");
        assert!(cmd.contains(" -F 'x-amz-server-side-encryption-customer-algorithm=AES256' "), "{cmd}");
        assert!(cmd.contains(" -F \"x-amz-server-side-encryption-customer-key=$KEY_003_k\" "), "{cmd}");
        assert!(cmd.contains(" -F \"policy=$POLICY\" "), "{cmd}");
        assert!(cmd.contains(" -F file=@body.bin  # 5 bytes"), "{cmd}");
        assert!(!cmd.contains("-H ") && !cmd.contains("-X POST") && !cmd.contains("--aws-sigv4"), "{cmd}");
        assert!(!cmd.contains(key.to_base64().as_str()), "the key itself: {cmd}");
    }
}
