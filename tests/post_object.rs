//! POST Object forms at the edge: authenticated from their fields before the file is read, the file
//! streamed within the policy's `content-length-range` (or read by s3s when the range sets a
//! minimum), and the AWS answer for each refusal.

mod common;

use std::time::SystemTime;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use base64::Engine as _;
use bytes::Bytes;
use common::{BUCKET, create_bucket, element, https_client, start, start_with_bucket, triple};
use ssec_conform::client::{Client, Outgoing};
use ssec_conform::server::Limits;
use ssec_conform::sse_c::headers::TripleKind::Request;

/// The prefix of the object's SSE-C fields.
const OBJECT: &str = "x-amz-server-side-encryption-customer";
const BOUNDARY: &str = "post-object-test";

/// A form for `key` whose policy has `range` as its `content-length-range`, signed with `secret`
/// (or with the signature replaced by `signature`), with `padding` bytes of an extra field, and with
/// `fields` sent and `conditions` added to the policy.
struct Form {
    range: Option<(u64, u64)>,
    secret: &'static str,
    signature: Option<String>,
    padding: usize,
    fields: Vec<(String, String)>,
    conditions: Vec<serde_json::Value>,
}

impl Form {
    fn signed(range: Option<(u64, u64)>) -> Self {
        Self {
            range,
            secret: ssec_conform::server::DEFAULT_SECRET_KEY,
            signature: None,
            padding: 0,
            fields: Vec::new(),
            conditions: Vec::new(),
        }
    }

    fn body(&self, key: &str, file: &[u8]) -> Bytes {
        let now = SystemTime::now();
        let t = time::OffsetDateTime::from(now);
        let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
        let amz_date = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
        let credential = format!("{}/{date}/us-east-1/s3/aws4_request", ssec_conform::server::DEFAULT_ACCESS_KEY);
        let expiration = (t + time::Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
        let mut conditions = vec![
            serde_json::json!({ "bucket": BUCKET }),
            serde_json::json!(["eq", "$key", key]),
            serde_json::json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
            serde_json::json!({ "x-amz-credential": credential }),
            serde_json::json!({ "x-amz-date": amz_date }),
            serde_json::json!(["starts-with", "$x-padding", ""]),
        ];
        if let Some((min, max)) = self.range {
            conditions.push(serde_json::json!(["content-length-range", min, max]));
        }
        conditions.extend(self.conditions.iter().cloned());
        let policy = serde_json::json!({ "expiration": expiration, "conditions": conditions }).to_string();
        let policy = base64::engine::general_purpose::STANDARD.encode(policy);
        let signature = self.signature.clone().unwrap_or_else(|| {
            calculate_signature(generate_signing_key(self.secret, now, "us-east-1", "s3"), policy.as_bytes())
        });
        let mut body = Vec::new();
        let mut field = |name: &str, value: &str| {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        };
        field("key", key);
        field("x-padding", &"p".repeat(self.padding));
        field("x-amz-algorithm", "AWS4-HMAC-SHA256");
        field("x-amz-credential", &credential);
        field("x-amz-date", &amz_date);
        field("policy", &policy);
        field("x-amz-signature", &signature);
        for (name, value) in &self.fields {
            field(name, value);
        }
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        Bytes::from(body)
    }
}

/// POSTs `form` for `key` with `file`; returns (status, body).
async fn post(client: &Client, form: &Form, key: &str, file: &[u8]) -> (u16, String) {
    let mut req = Outgoing::new("POST", Some(BUCKET), None);
    req.auth = ssec_conform::client::Auth::Anonymous;
    req.headers.push(("content-type".into(), format!("multipart/form-data; boundary={BOUNDARY}")));
    req.body = form.body(key, file);
    let r = client.send(&req).await.response.unwrap();
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

async fn stored_size(client: &Client, key: &str) -> Option<u64> {
    let r = client.send(&Outgoing::new("HEAD", Some(BUCKET), Some(key))).await.response.unwrap();
    (r.status == 200).then(|| r.header("content-length").unwrap().parse().unwrap())
}

#[tokio::test]
async fn forms_are_checked_from_their_fields_and_their_files_within_the_policy() {
    let (server, client) = start_with_bucket(Limits::default()).await;
    let code = |body: &str| element(body, "Code").map(str::to_owned);

    // Streamed within the policy's maximum.
    let within = Form::signed(Some((0, 1000)));
    let (status, body) = post(&client, &within, "small", &[b's'; 500]).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(stored_size(&client, "small").await, Some(500));
    let (status, body) = post(&client, &within, "large", &[b'l'; 2000]).await;
    assert_eq!((status, code(&body).as_deref()), (400, Some("EntityTooLarge")), "{body}");
    assert_eq!(element(&body, "MaxSizeAllowed"), Some("1000"));
    assert_eq!(stored_size(&client, "large").await, None);

    // A minimum size: s3s reads the file and checks the range.
    let bounded = Form::signed(Some((100, 1000)));
    assert_eq!(post(&client, &bounded, "bounded", &[b'b'; 500]).await.0, 204);
    assert_eq!(stored_size(&client, "bounded").await, Some(500));
    let (status, body) = post(&client, &bounded, "tiny", &[b't'; 50]).await;
    assert_eq!((status, code(&body).as_deref()), (400, Some("EntityTooSmall")), "{body}");

    // Refused from the fields: a wrong signature, an unknown secret, fields past 20 KiB.
    let forged = Form { signature: Some("0".repeat(64)), ..Form::signed(None) };
    let (status, body) = post(&client, &forged, "forged", b"x").await;
    assert_eq!((status, code(&body).as_deref()), (403, Some("SignatureDoesNotMatch")), "{body}");
    let other_secret = Form { secret: "another-secret", ..Form::signed(None) };
    let (status, body) = post(&client, &other_secret, "other", b"x").await;
    assert_eq!((status, code(&body).as_deref()), (403, Some("SignatureDoesNotMatch")), "{body}");
    let padded = Form { padding: 21 * 1024, ..Form::signed(None) };
    let (status, body) = post(&client, &padded, "padded", b"x").await;
    assert_eq!((status, code(&body).as_deref()), (400, Some("MaxPostPreDataLengthExceededError")), "{body}");
    assert_eq!(element(&body, "Message"), Some("Your POST request fields preceding the upload file were too large."));
    for key in ["forged", "other", "padded"] {
        assert_eq!(stored_size(&client, key).await, None, "{key}");
    }
    server.shutdown().await;
}

/// A form whose policy condition on an SSE-C field fails is refused without quoting the field's
/// value: the key never comes back in an answer, whatever the policy says about it.
#[tokio::test]
async fn a_failed_policy_condition_on_a_key_field_never_quotes_the_key() {
    let server = start(Limits::default()).await;
    let client = https_client(&server);
    create_bucket(&client).await;
    let key = ssec_conform::sse_c::CustomerKey::random();
    let b64 = key.to_base64().to_string();
    for (field, condition) in [
        ("key", serde_json::json!(["starts-with", format!("${OBJECT}-key"), "not-the-key"])),
        ("key", serde_json::json!(["eq", format!("${OBJECT}-key"), "bm90LXRoZS1rZXk="])),
        ("key-MD5", serde_json::json!(["eq", format!("${OBJECT}-key-MD5"), "bm90LXRoZS1tZDU="])),
    ] {
        let form = Form { fields: triple(Request, &key).into(), conditions: vec![condition], ..Form::signed(None) };
        let (status, body) = post(&client, &form, "conditioned", b"secret data").await;
        assert_eq!(
            (status, element(&body, "Code")),
            (400, Some("InvalidPolicyDocument")),
            "condition on {field}: {body}"
        );
        assert_eq!(
            element(&body, "Message"),
            Some(
                format!(
                    "Invalid according to Policy: Policy Condition failed on ${OBJECT}-{}",
                    field.to_ascii_lowercase()
                )
                .as_str()
            ),
            "{body}"
        );
        for secret in [b64.as_str(), &key.md5_b64(), &hex::encode(key.expose())] {
            assert!(!body.contains(secret), "the answer quotes the key: {body}");
        }
        assert_eq!(stored_size(&client, "conditioned").await, None);
    }
    server.shutdown().await;
}
