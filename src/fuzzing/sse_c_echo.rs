//! Target `sse_c_echo`: arbitrary bytes around a customer key in the three SSE-C header values of
//! either triple, on PutObject, GetObject, HeadObject, CopyObject and UploadPart, answered in-process
//! by the path the server answers with ([`crate::server::answer_in_process`]: s3s, then the edge's
//! rewrite of answers that would quote an unparsable value).
//!
//! Oracle: no 5xx, and no form of the key (raw bytes, the bytes as sent, base64, hex) nor any 16-byte
//! run of one appears in the answer's headers or body. The key is one of the fixed
//! [`fuzz_keys`], placed by the harness between fuzzed prefix and suffix bytes, so response
//! text that libFuzzer copies into its inputs is never mistaken for an echo.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use bytes::Bytes;

use super::{fuzz_keys, in_process};
use crate::client::Outgoing;
use crate::sse_c::TripleKind;

const BUCKET: &str = "echo";

/// The operation carrying the faulted triple.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum EchoOp {
    /// PutObject.
    Put,
    /// GetObject.
    Get,
    /// HeadObject.
    Head,
    /// CopyObject.
    Copy,
    /// UploadPart.
    UploadPart,
}

/// How the key appears in its header.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum KeyForm {
    /// Base64 text.
    Base64,
    /// Hex text.
    Hex,
    /// The 32 bytes themselves.
    Raw,
}

/// One case: a triple whose values are fuzzed bytes, the key value holding a fixed key.
#[derive(Debug, Clone, Arbitrary)]
pub struct EchoCase {
    /// The operation.
    pub op: EchoOp,
    /// Fault the copy-source triple instead of the object's (Copy only).
    pub copy_source: bool,
    /// Algorithm value, if sent.
    pub algorithm: Option<Vec<u8>>,
    /// Which of the fixed keys.
    pub key_index: u8,
    /// Its form.
    pub form: KeyForm,
    /// Bytes before it.
    pub prefix: Vec<u8>,
    /// Bytes after it.
    pub suffix: Vec<u8>,
    /// Key-MD5 value, if sent.
    pub md5: Option<Vec<u8>>,
}

/// Fuzz entry point: [`EchoCase`] from bytes, then [`check_echo_case`].
pub fn sse_c_echo(data: &[u8]) {
    if let Ok(case) = EchoCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_echo_case(&case);
    }
}

/// Bytes a header value can carry: control bytes (but tab) become obs-text.
fn header_bytes(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|&b| if (b < 0x20 && b != b'\t') || b == 0x7f { b | 0x80 } else { b }).collect()
}

/// An upload id of the shared multipart upload, created on first use.
fn upload_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let ip = in_process();
        ip.ensure_bucket(BUCKET);
        let mut source = Outgoing::new("PUT", Some(BUCKET), Some("source"));
        source.body = Bytes::from_static(b"copy source");
        assert!(ip.send(&source).is_success(), "source object");
        let mut create = Outgoing::new("POST", Some(BUCKET), Some("parts"));
        create.query.push(("uploads".into(), String::new()));
        let reply = ip.send(&create);
        let body = String::from_utf8_lossy(reply.bytes()).into_owned();
        let id = crate::client::xml::element(&body, "UploadId");
        id.expect("CreateMultipartUpload answers an upload id")
    })
}

fn request(op: EchoOp, upload_id: &str) -> Outgoing {
    let (method, key) = match op {
        EchoOp::Put | EchoOp::Copy => ("PUT", "target"),
        EchoOp::Get => ("GET", "source"),
        EchoOp::Head => ("HEAD", "source"),
        EchoOp::UploadPart => ("PUT", "parts"),
    };
    let mut req = Outgoing::new(method, Some(BUCKET), Some(key));
    match op {
        EchoOp::Put => req.body = Bytes::from_static(b"body"),
        EchoOp::Copy => req.headers.push(("x-amz-copy-source".into(), format!("/{BUCKET}/source"))),
        EchoOp::UploadPart => {
            req.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), upload_id.to_owned())];
            req.body = Bytes::from_static(b"part");
        }
        EchoOp::Get | EchoOp::Head => {}
    }
    req
}

/// Sends the case and checks the oracle.
pub fn check_echo_case(case: &EchoCase) {
    let keys = fuzz_keys();
    let key = keys[usize::from(case.key_index) % keys.len()];
    let text = match case.form {
        KeyForm::Base64 => base64::engine::general_purpose::STANDARD.encode(key).into_bytes(),
        KeyForm::Hex => hex::encode(key).into_bytes(),
        KeyForm::Raw => key.to_vec(),
    };
    let value = header_bytes(&[case.prefix.as_slice(), &text, case.suffix.as_slice()].concat());
    let kind =
        if case.copy_source && matches!(case.op, EchoOp::Copy) { TripleKind::CopySource } else { TripleKind::Request };
    let [alg_name, key_name, md5_name] = kind.names();
    let ip = in_process();
    let mut signed = ip.sign(&request(case.op, upload_id()));
    let headers =
        [(alg_name, case.algorithm.as_deref()), (key_name, Some(value.as_slice())), (md5_name, case.md5.as_deref())];
    for (name, bytes) in headers {
        let Some(bytes) = bytes else { continue };
        let Ok(v) = http::HeaderValue::from_bytes(&header_bytes(bytes)) else { continue };
        signed.headers_mut().insert(name, v);
    }
    let reply = ip.answer(signed);
    assert!(reply.status < 500, "{:?}: answered {}", case.op, reply.summary());
    let mut answer: Vec<u8> = Vec::new();
    for (name, v) in &reply.headers {
        answer.extend_from_slice(name.as_str().as_bytes());
        answer.extend_from_slice(v.as_bytes());
    }
    answer.extend_from_slice(reply.bytes());
    let forms = [
        key.to_vec(),
        header_bytes(&key),
        base64::engine::general_purpose::STANDARD.encode(key).into_bytes(),
        hex::encode(key).into_bytes(),
    ];
    for form in &forms {
        let echoed = form.windows(16).find(|run| answer.windows(16).any(|w| w == *run));
        assert!(echoed.is_none(), "{:?} echoes the key ({:?}): {}", case.op, echoed, reply.summary());
    }
}
