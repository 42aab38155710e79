//! Reports are shareable: `ssec-conform run` against an endpoint that echoes every secret it is
//! sent (the customer keys, faulted key texts, the secret access key and session token) in every
//! form (base64 standard and URL-safe, padded or not, hex in either case, percent-encoded,
//! JSON-escaped, raw) and in every place (headers, error code and message, argument value, a body
//! excerpt cut in the middle of a key, and a transport error naming a presigned URL) writes no
//! report file and no output line that holds any of those forms, or any 16 characters of one; the
//! terminal escape sequence it adds to its error code is printed written out.
//! With `--write-keys` the keys go to `keys.env`, readable by its owner only.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use common::fake_endpoint::{self, Received, Reply, SECRET_KEY};
use md5::Digest as _;

const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtoken+secret/value==";
const KEY: &str = "x-amz-server-side-encryption-customer-key";
const SOURCE_KEY: &str = "x-amz-copy-source-server-side-encryption-customer-key";
/// Scenarios covering a valid key, faulted key texts, a copy with two keys, and presigned URLs.
const SCENARIOS: [&str; 4] = [
    "put/001-valid-triple",
    "headers-invalid/013-key-double-encoded",
    "copy/002-key-rotation",
    "presign/001-put-then-get",
];

fn percent(text: &[u8], upper: bool) -> String {
    text.iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ if upper => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

/// Every form of a secret given as bytes: the text forms, and each of them percent-encoded and
/// JSON-escaped.
fn forms(secret: &[u8]) -> Vec<(String, Vec<u8>)> {
    let hex = hex::encode(secret);
    let texts = [
        ("base64", STANDARD.encode(secret)),
        ("base64 unpadded", STANDARD_NO_PAD.encode(secret)),
        ("base64url", URL_SAFE.encode(secret)),
        ("base64url unpadded", URL_SAFE_NO_PAD.encode(secret)),
        ("hex", hex.clone()),
        ("HEX", hex.to_ascii_uppercase()),
        ("latin-1", secret.iter().map(|&b| b as char).collect()),
    ];
    let mut out = vec![("raw".to_owned(), secret.to_vec())];
    for (name, text) in texts {
        out.push((format!("{name} percent-encoded"), percent(text.as_bytes(), true).into_bytes()));
        out.push((format!("{name} percent-encoded lower"), percent(text.as_bytes(), false).into_bytes()));
        out.push((format!("{name} JSON-escaped"), text.replace('/', "\\/").into_bytes()));
        out.push((name.to_owned(), text.into_bytes()));
    }
    out
}

/// Every form of a secret as sent in a header: the text itself, and the bytes its base64 decodes to.
fn forms_of_text(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = forms(text.as_bytes());
    if let Ok(raw) = STANDARD.decode(text) {
        out.extend(forms(&raw).into_iter().map(|(name, f)| (format!("decoded, {name}"), f)));
    }
    out
}

/// What the endpoint was sent that must never be shared.
#[derive(Default)]
struct Sent {
    /// Customer-key header values (valid and faulted).
    keys: BTreeSet<String>,
    /// SigV4 signatures (headers and presigned URLs).
    signatures: BTreeSet<String>,
}

/// The text an endpoint might echo a secret in: every form at once.
fn echo_text(value: &str) -> String {
    forms_of_text(value)
        .into_iter()
        .filter(|(name, _)| !name.contains("raw"))
        .map(|(_, f)| String::from_utf8_lossy(&f).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Answers every request 200 (so scenarios go on) with the SSE-C echo headers, and leaks every
/// secret it was sent in headers and in an S3 error body; presigned requests get their connection
/// closed, so the runner reports a transport error naming the URL.
fn handle(sent: &Mutex<Sent>, r: &Received) -> Reply {
    let mut sent = sent.lock().unwrap();
    if let Some(sig) = r.header("authorization").and_then(|a| a.split("Signature=").nth(1)) {
        sent.signatures.insert(sig.to_owned());
    }
    let keys: Vec<String> = [KEY, SOURCE_KEY].iter().filter_map(|h| r.header(h).map(str::to_owned)).collect();
    sent.keys.extend(keys.iter().cloned());
    if let Some(sig) = r.param("X-Amz-Signature") {
        sent.signatures.insert(sig);
        return Reply::Drop;
    }
    let Some(key) = keys.first() else { return Reply::new(200, "") };
    let raw = STANDARD.decode(key).unwrap_or_default();
    // A valid key gets its MD5 back, so that the scenario goes on; a faulted one is echoed where its
    // MD5 belongs, so that a mismatch line quotes it.
    let md5 = if raw.len() == 32 { STANDARD.encode(md5::Md5::digest(&raw)) } else { key.clone() };
    let mut headers = vec![
        ("x-amz-server-side-encryption-customer-algorithm".to_owned(), "AES256".to_owned()),
        ("x-amz-server-side-encryption-customer-key-md5".to_owned(), md5),
        ("etag".to_owned(), "\"5d41402abc4b2a76b9719d911017c592\"".to_owned()),
        ("x-echo-secret-key".to_owned(), SECRET_KEY.to_owned()),
        ("x-echo-session-token".to_owned(), SESSION_TOKEN.to_owned()),
    ];
    for (i, (_, form)) in forms_of_text(key).into_iter().filter(|(n, _)| !n.contains("raw")).enumerate() {
        if let Ok(text) = String::from_utf8(form)
            && text.is_ascii()
        {
            headers.push((format!("x-echo-{i}"), text));
        }
    }
    // A 32-byte key straddles the 2 KiB excerpt cut: 20 of its characters are before it.
    let filler = "x".repeat(2048 - 20 - "<Error><Code>".len() - 64 - "\u{1b}[2J</Code><Message>".len());
    let body = format!(
        "<Error><Code>{}\u{1b}[2J</Code><Message>{filler}{key} {} {} {}</Message><ArgumentValue>{}</ArgumentValue></Error>",
        hex::encode(&raw),
        echo_text(key),
        echo_text(SECRET_KEY),
        echo_text(SESSION_TOKEN),
        URL_SAFE_NO_PAD.encode(&raw),
    );
    Reply::Answer { status: 200, headers, body: body.into() }
}

/// The 16-byte pieces of every form of every secret, each with a description.
fn pieces(secrets: &[(String, String)]) -> std::collections::HashMap<Vec<u8>, String> {
    let mut out = std::collections::HashMap::new();
    for (what, value) in secrets {
        for (form, bytes) in forms_of_text(value) {
            for piece in bytes.windows(16) {
                out.entry(piece.to_vec()).or_insert_with(|| format!("{what} ({form})"));
            }
        }
    }
    out
}

/// The first piece of a secret found in `text`, with its surroundings.
fn leak(text: &[u8], pieces: &std::collections::HashMap<Vec<u8>, String>) -> Option<String> {
    text.windows(16).enumerate().find_map(|(at, w)| {
        pieces.get(w).map(|what| {
            let around = &text[at.saturating_sub(40)..(at + 56).min(text.len())];
            format!("{what} at byte {at}: …{}…", String::from_utf8_lossy(around))
        })
    })
}

/// `ssec-conform run` of `scenarios` against the endpoint at `addr`, reports in `dir`.
fn run(
    addr: std::net::SocketAddr,
    dir: &std::path::Path,
    scenarios: &[&str],
    write_keys: bool,
) -> std::process::Output {
    let mut args: Vec<&str> = scenarios.iter().flat_map(|id| ["--filter", id]).collect();
    if write_keys {
        args.push("--write-keys");
    }
    // Without the flag, the variable decides: a false value writes no keys.
    let env = [("AWS_SESSION_TOKEN", SESSION_TOKEN), ("SSEC_WRITE_KEYS", "no")];
    fake_endpoint::run_cli(addr, dir, &args, &env)
}

#[test]
fn no_report_file_and_no_output_line_holds_a_secret() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sent = Arc::new(Mutex::new(Sent::default()));
    let state = Arc::clone(&sent);
    let addr = rt.block_on(fake_endpoint::start(move |r| handle(&state, r)));
    let dir = tempfile::tempdir().unwrap();
    let out = run(addr, dir.path(), &SCENARIOS, true);
    let sent = sent.lock().unwrap();
    assert!(sent.keys.len() >= 5, "the scenarios sent their keys: {}", sent.keys.len());
    assert!(!sent.signatures.is_empty(), "requests were signed");

    let mut secrets: Vec<(String, String)> =
        vec![("the secret access key".into(), SECRET_KEY.into()), ("the session token".into(), SESSION_TOKEN.into())];
    secrets.extend(sent.keys.iter().map(|k| ("a customer key sent".to_owned(), k.clone())));
    secrets.extend(sent.signatures.iter().map(|s| ("a signature".to_owned(), s.clone())));
    let pieces = pieces(&secrets);

    let mut outputs = vec![("stdout".to_owned(), out.stdout.clone()), ("stderr".to_owned(), out.stderr.clone())];
    for file in ["report.json", "junit.xml", "report.html", "summary.md"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        outputs.push((file.to_owned(), bytes));
    }
    let leaks: Vec<String> = outputs
        .iter()
        .filter_map(|(name, bytes)| leak(bytes, &pieces).map(|found| format!("{name} holds {found}")))
        .collect();
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("transport"), "a transport error was reported:\n{stdout}");
    // The escape sequence the endpoint put in its error code is printed written out, not obeyed.
    assert!(!out.stdout.contains(&0x1b) && stdout.contains("\\u{1b}[2J"), "{stdout}");
    let json = String::from_utf8_lossy(&outputs[2].1);
    let reproductions: Vec<&str> = json.lines().filter(|l| l.contains("\"reproduce\"")).collect();
    assert!(
        reproductions.iter().any(|l| l.contains("-H \\\"x-amz-server-side-encryption-customer-key: $KEY_00")),
        "reproductions name keys by variable: {reproductions:#?}"
    );

    // The keys are in keys.env, for the owner only, every one the run sent.
    let keys_env = dir.path().join("keys.env");
    let text = std::fs::read_to_string(&keys_env).expect("keys.env written with --write-keys");
    for key in &sent.keys {
        assert!(text.contains(&format!("='{key}'\n")), "keys.env lacks {key}:\n{text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&keys_env).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let other = tempfile::tempdir().unwrap();
    drop(sent);
    run(addr, other.path(), &SCENARIOS[..1], false);
    assert!(other.path().join("report.json").is_file() && !other.path().join("keys.env").exists());
}
