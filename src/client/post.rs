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
    let expiration =
        (t + time::Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
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
