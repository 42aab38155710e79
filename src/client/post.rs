//! POST Object: a browser-style `multipart/form-data` upload authorised by a SigV4-signed policy.
//!
//! The request's headers become form fields (that is how SSE-C travels in a POST), and the policy
//! allows each of them with a `starts-with ""` condition, as s3-tests does.

use std::time::SystemTime;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;

use super::{Outgoing, Target};

const BOUNDARY: &str = "ssec-conform-form-boundary-7d1f";

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
    );
}

/// The `Content-Type` and body of the POST form for `req` (its key, headers and body).
pub(super) fn form(target: &Target, bucket: &str, req: &Outgoing, now: SystemTime) -> (String, Bytes) {
    let t = time::OffsetDateTime::from(now);
    let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
    let amz_date = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    // The form AWS documents ("2007-12-01T12:00:00.000Z"): servers parse it with a fixed pattern,
    // and RFC 3339's nine fractional digits make LocalStack answer 500.
    let e = t + time::Duration::hours(1);
    let expiration = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        e.year(),
        u8::from(e.month()),
        e.day(),
        e.hour(),
        e.minute(),
        e.second()
    );
    let credential = format!("{}/{date}/{}/s3/aws4_request", target.access_key, target.region);
    let key = req.key.clone().unwrap_or_default();
    let mut conditions = vec![
        serde_json::json!({ "bucket": bucket }),
        serde_json::json!(["eq", "$key", key]),
        serde_json::json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
        serde_json::json!({ "x-amz-credential": credential }),
        serde_json::json!({ "x-amz-date": amz_date }),
    ];
    for (name, _) in &req.headers {
        conditions.push(serde_json::json!(["starts-with", format!("${name}"), ""]));
    }
    let policy = B64.encode(serde_json::json!({ "expiration": expiration, "conditions": conditions }).to_string());
    let signing_key = generate_signing_key(&target.secret_key, now, &target.region, "s3");
    let signature = calculate_signature(signing_key, policy.as_bytes());

    let mut body = Vec::with_capacity(req.body.len() + 2048);
    field(&mut body, "key", &key);
    for (name, value) in &req.headers {
        field(&mut body, name, value);
    }
    field(&mut body, "x-amz-algorithm", "AWS4-HMAC-SHA256");
    field(&mut body, "x-amz-credential", &credential);
    field(&mut body, "x-amz-date", &amz_date);
    field(&mut body, "policy", &policy);
    field(&mut body, "x-amz-signature", &signature);
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(&req.body);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), Bytes::from(body))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::client::{Addressing, Trust};

    /// The decoded policy document of a form body.
    fn policy(body: &[u8]) -> serde_json::Value {
        let text = String::from_utf8_lossy(body);
        let b64 = text.split("name=\"policy\"\r\n\r\n").nth(1).and_then(|rest| rest.split("\r\n").next()).unwrap();
        serde_json::from_slice(&B64.decode(b64).unwrap()).unwrap()
    }

    #[test]
    fn policy_expiration_has_the_documented_millisecond_form() {
        let target = Target {
            endpoint: "https://127.0.0.1:1/".parse().unwrap(),
            plain_endpoint: None,
            region: "us-east-1".into(),
            access_key: "AK".into(),
            secret_key: "SK".into(),
            session_token: None,
            addressing: Addressing::Path,
            trust: Trust::WebPki,
            timeout: Duration::from_secs(1),
        };
        // A clock with nanoseconds: servers that parse the expiration with a fixed pattern (as AWS
        // documents it, "2007-12-01T12:00:00.000Z") refuse nine fractional digits.
        let now = UNIX_EPOCH + Duration::new(1_796_300_000, 123_456_789);
        let (_, body) = form(&target, "b", &Outgoing::new("POST", Some("b"), Some("k")), now);
        assert_eq!(policy(&body)["expiration"], "2026-12-03T13:13:20.000Z");
    }
}
