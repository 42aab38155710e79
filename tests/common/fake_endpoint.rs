//! A small HTTP/1.1 endpoint on a loopback port whose answers a test writes as a plain function,
//! and a runner client for it: for endpoints that misbehave in ways the reference server never does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ssec_conform::client::{Client, Target};
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::grade::Strictness;
use ssec_conform::scenario::runner::RunSettings;
use ssec_conform::scenario::{LoadedScenario, Profile};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The access key id every test client signs with.
pub(crate) const ACCESS_KEY: &str = "AKIDEXAMPLE";
/// The secret access key every test client signs with.
pub(crate) const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A request as the endpoint received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The path as sent (percent-encoded), `/bucket/key`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Received {
    /// The first value of a header.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }

    /// Whether the query has this parameter (with any value).
    pub(crate) fn has_param(&self, name: &str) -> bool {
        self.query.split('&').any(|p| p.split('=').next() == Some(name))
    }

    /// The value of a query parameter, percent-decoded.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// What the endpoint does with a request.
pub(crate) enum Reply {
    /// Answer with this status, headers and body (no body on a HEAD, as HTTP says), with a
    /// `content-length` of the body unless `headers` has one.
    Answer { status: u16, headers: Vec<(String, String)>, body: Bytes },
    /// Write these bytes as the whole answer, whatever they are: for answers no HTTP library
    /// writes (a body after the head of a HEAD response).
    Wire(Bytes),
    /// Close the connection without an answer.
    Drop,
}

impl Reply {
    /// An answer with a body and no extra header.
    pub(crate) fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self::Answer { status, headers: Vec::new(), body: body.into() }
    }
}

/// Starts an endpoint answering every request with `handler`; it lives as long as the test's runtime.
pub(crate) async fn start<F>(handler: F) -> SocketAddr
where
    F: Fn(&Received) -> Reply + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let mut conn = Connection { stream, buf: BytesMut::new() };
                while let Some(received) = conn.read_request().await {
                    let answer = match handler(&received) {
                        Reply::Answer { status, headers, body } => answer_bytes(&received, status, headers, body),
                        Reply::Wire(bytes) => bytes,
                        Reply::Drop => break,
                    };
                    if conn.stream.write_all(&answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// One client connection: HTTP/1.1 requests read one after the other.
struct Connection {
    stream: tokio::net::TcpStream,
    buf: BytesMut,
}

impl Connection {
    /// The next request (head and `content-length` body); `None` when the client is gone or sent
    /// something that is not HTTP/1.1.
    async fn read_request(&mut self) -> Option<Received> {
        let (mut received, head_len, length) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 128];
            let mut req = httparse::Request::new(&mut slots);
            if let httparse::Status::Complete(len) = req.parse(&self.buf).ok()? {
                let target = req.path?.to_owned();
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let headers: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect();
                let length = super::header(&headers, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                let received = Received {
                    method: req.method?.to_owned(),
                    path: path.to_owned(),
                    query: query.to_owned(),
                    headers,
                    body: Bytes::new(),
                };
                break (received, len, length);
            }
            if self.stream.read_buf(&mut self.buf).await.ok()? == 0 {
                return None;
            }
        };
        while self.buf.len() < head_len + length {
            if self.stream.read_buf(&mut self.buf).await.ok()? == 0 {
                return None;
            }
        }
        let mut request = self.buf.split_to(head_len + length);
        received.body = request.split_off(head_len).freeze();
        Some(received)
    }
}

/// The bytes of an answer to `req`.
fn answer_bytes(req: &Received, status: u16, headers: Vec<(String, String)>, body: Bytes) -> Bytes {
    let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n").into_bytes();
    if super::header(&headers, "content-length").is_none() {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if req.method != "HEAD" {
        out.extend_from_slice(&body);
    }
    Bytes::from(out)
}

/// A runner client for the endpoint at `addr` over plain HTTP, with an optional session token.
pub(crate) fn client(addr: SocketAddr, session_token: Option<&str>) -> Client {
    Client::new(target(addr, session_token)).expect("client")
}

/// The endpoint at `addr` over plain HTTP (path-style, the test credentials, 5 s per response),
/// with an optional session token.
pub(crate) fn target(addr: SocketAddr, session_token: Option<&str>) -> Target {
    let url = url::Url::parse(&format!("http://{addr}")).expect("url");
    Target {
        plain_endpoint: Some(url.clone()),
        session_token: session_token.map(str::to_owned),
        timeout: Duration::from_secs(5),
        ..Target::new(url, ACCESS_KEY, SECRET_KEY)
    }
}

/// The catalogue scenarios with these ids, in this order.
pub(crate) fn scenarios(ids: &[&str]) -> Vec<LoadedScenario> {
    let all = ssec_conform::scenario::catalogue::embedded().expect("scenarios load");
    ids.iter()
        .map(|id| all.iter().find(|s| s.id == *id).unwrap_or_else(|| panic!("no scenario {id}")).clone())
        .collect()
}

/// `ssec-conform run ARGS` against the endpoint at `addr` with the test credentials (and `env`),
/// its reports in `report_dir`.
pub(crate) fn run_cli(
    addr: SocketAddr,
    report_dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ssec-conform"))
        .args(["run", "--endpoint-url", &format!("http://{addr}"), "--timeout", "5", "--jobs", "2"])
        .arg("--report-dir")
        .arg(report_dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .envs(env.iter().copied())
        .output()
        .expect("ssec-conform runs")
}

/// Run settings for the reference profile (strict), two scenarios at once, keeping no key.
pub(crate) fn settings(placement: Placement) -> RunSettings {
    RunSettings {
        jobs: 2,
        placement,
        profile: Profile::reference(),
        embedded: false,
        strictness: Strictness::Strict,
        key_log: None,
    }
}
