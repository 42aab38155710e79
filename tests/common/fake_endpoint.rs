//! A small HTTP/1.1 endpoint on a loopback port whose answers a test writes as a plain function,
//! and a runner client for it: for endpoints that misbehave in ways the reference server never does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use ssec_conform::client::{Client, Target};
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::runner::RunSettings;
use ssec_conform::scenario::{LoadedScenario, Profile};

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
    /// Answer with this status, headers and body.
    Answer { status: u16, headers: Vec<(String, String)>, body: Bytes },
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
            let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let handler = Arc::clone(&handler);
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let received = Received {
                        method: parts.method.to_string(),
                        path: parts.uri.path().to_owned(),
                        query: parts.uri.query().unwrap_or_default().to_owned(),
                        headers: parts
                            .headers
                            .iter()
                            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                            .collect(),
                        body,
                    };
                    match handler(&received) {
                        Reply::Answer { status, headers, body } => {
                            let mut resp = http::Response::builder().status(status);
                            for (n, v) in headers {
                                resp = resp.header(n, v);
                            }
                            Ok::<_, std::io::Error>(resp.body(Full::new(body)).expect("response"))
                        }
                        Reply::Drop => Err(std::io::Error::other("dropped")),
                    }
                }
            });
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    addr
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

/// Run settings for the reference profile, two scenarios at once, keeping no key.
pub(crate) fn settings(placement: Placement) -> RunSettings {
    RunSettings { jobs: 2, placement, profile: Profile::reference(), embedded: false, key_log: None }
}
