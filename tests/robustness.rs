//! The runner against endpoints that misbehave at the transport or HTTP level: it must finish in
//! bounded time, grade every scenario `error` or `fail` (never `pass`), never panic, and still
//! write its four report files.
//!
//! Each mode is a small HTTP/1.1 endpoint on a loopback port; the runner talks to it with a 2 s
//! request timeout. Every mode runs twice: misbehaving on every request (so each scenario's setup
//! fails), and answering CreateBucket properly first (so the steps and the cleanup meet the fault).
//! All runs go at once, so the file takes as long as the slowest (Hang and Trickle: two waves of
//! scenarios, each a 2 s timeout in a step and another in the cleanup), about 9 s.
//!
//! Endless and oversized bodies, and what the runner holds meanwhile, are in `memory_bounds.rs`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::fake_endpoint;
use ssec_conform::client::{Client, Target};
use ssec_conform::report::model::{Outcome, Report};
use ssec_conform::scenario::LoadedScenario;
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::runner::{self, RunSettings};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The runner's request timeout.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Scenarios run against each mode: single PUTs and GETs, errors, copy, multipart, versions.
const SCENARIOS: &[&str] = &[
    "put/001-valid-triple",
    "get-head/003-wrong-key",
    "delete/001-delete-without-key",
    "copy/002-key-rotation",
    "multipart/001-round-trip",
    "versioning/001-key-per-version",
];

/// How the endpoint misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Resets the connection (RST) as soon as it is accepted, or after reading a request.
    Reset,
    /// Accepts and never answers.
    Hang,
    /// Answers every request 200 with a body that is not XML.
    GarbageXml,
    /// Like [`Mode::GarbageXml`], but echoes the SSE-C headers as a compliant endpoint would, so
    /// that scenarios get past their first step.
    EchoGarbage,
    /// Answers 200 with `Content-Length: 1000`, sends 10 bytes and closes.
    ShortBody,
    /// Answers 200 with `Content-Length: 1000` and sends one byte every 200 ms.
    Trickle,
    /// Answers every request 500 InternalError.
    Error500,
    /// Answers 200 with a declared body of 1 TiB, sent as fast as the client reads it.
    Flood,
}

const MODES: [Mode; 8] = [
    Mode::Reset,
    Mode::Hang,
    Mode::GarbageXml,
    Mode::EchoGarbage,
    Mode::ShortBody,
    Mode::Trickle,
    Mode::Error500,
    Mode::Flood,
];

/// Reads one request (head and `Content-Length` body) and returns its head; `None` when the client
/// went away.
async fn read_request(s: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf.len() - head_end - 4;
    while body < length {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body += n,
        }
    }
    Some(head)
}

/// `PUT /bucket HTTP/1.1`: the runner's setup.
fn is_create_bucket(head: &str) -> bool {
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    parts.next() == Some("PUT") && parts.next().is_some_and(|p| p.matches('/').count() == 1 && !p.contains('?'))
}

/// Which requests misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// All of them, so the scenario's setup fails.
    Everything,
    /// All but CreateBucket, answered 200, so the steps and the cleanup meet the fault.
    AfterSetup,
}

const GARBAGE: &str = "<?xml version=\"1.0\"?><Result><<&&not xml at all\u{0}\u{7f}></Result";
const INTERNAL_ERROR: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>";

async fn respond(s: &mut TcpStream, status: &str, body: &str) -> bool {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/xml\r\netag: garbage\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.is_ok() && s.write_all(body.as_bytes()).await.is_ok()
}

/// Serves one connection the way `mode` and `scope` say.
async fn serve(mode: Mode, scope: Scope, mut s: TcpStream) {
    if scope == Scope::Everything {
        match mode {
            Mode::Reset => {
                let _ = s.set_zero_linger();
                return;
            }
            Mode::Hang => return std::future::pending::<()>().await,
            _ => {}
        }
    }
    loop {
        let Some(head) = read_request(&mut s).await else { return };
        if scope == Scope::AfterSetup && is_create_bucket(&head) {
            if respond(&mut s, "200 OK", "").await {
                continue;
            }
            return;
        }
        match mode {
            Mode::Reset => {
                let _ = s.set_zero_linger();
                return;
            }
            Mode::Hang => return std::future::pending::<()>().await,
            Mode::GarbageXml => {
                if !respond(&mut s, "200 OK", GARBAGE).await {
                    return;
                }
            }
            Mode::EchoGarbage => {
                let echo: String = head
                    .lines()
                    .filter(|l| {
                        let l = l.to_ascii_lowercase();
                        l.starts_with("x-amz-server-side-encryption-customer-algorithm:")
                            || l.starts_with("x-amz-server-side-encryption-customer-key-md5:")
                    })
                    .map(|l| format!("{l}\r\n"))
                    .collect();
                let response = format!(
                    "HTTP/1.1 200 OK\r\n{echo}etag: \"garbage\"\r\nx-amz-version-id: garbage\r\ncontent-length: {}\r\n\r\n{GARBAGE}",
                    GARBAGE.len()
                );
                if s.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
            Mode::ShortBody => {
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789").await;
                let _ = s.shutdown().await;
                return;
            }
            Mode::Trickle => {
                if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n").await.is_err() {
                    return;
                }
                for _ in 0..1000 {
                    if s.write_all(b"x").await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                return;
            }
            Mode::Error500 => {
                if !respond(&mut s, "500 Internal Server Error", INTERNAL_ERROR).await {
                    return;
                }
            }
            Mode::Flood => {
                if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1099511627776\r\n\r\n").await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 1 << 20];
                while s.write_all(&chunk).await.is_ok() {}
                return;
            }
        }
    }
}

/// Starts a misbehaving endpoint; it lives as long as the test's runtime.
async fn endpoint(mode: Mode, scope: Scope) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve(mode, scope, s));
        }
    });
    addr
}

/// The chosen scenarios, in catalogue order (the order the report lists them in).
fn scenarios() -> Vec<LoadedScenario> {
    let all = ssec_conform::scenario::catalogue::embedded().expect("scenarios load");
    let chosen: Vec<LoadedScenario> = all.into_iter().filter(|s| SCENARIOS.contains(&s.id.as_str())).collect();
    assert_eq!(chosen.len(), SCENARIOS.len(), "a chosen scenario is missing from scenarios/");
    chosen
}

/// The most requests one scenario can make here: setup, its steps, and a short cleanup (listing,
/// deleting what was listed, deleting the bucket).
fn request_bound(s: &LoadedScenario) -> u32 {
    u32::try_from(s.scenario.steps.len()).unwrap() + 4
}

async fn run_against(mode: Mode, scope: Scope, scenarios: &[LoadedScenario], timeout: Duration) -> (Report, Duration) {
    let addr = endpoint(mode, scope).await;
    let client = Client::new(Target { timeout, ..fake_endpoint::target(addr, None) }).unwrap();
    let placement = Placement::FreshBuckets { run_id: runner::new_run_id(), unblock_sse_c: false };
    let settings = RunSettings { jobs: 4, ..fake_endpoint::settings(placement) };
    let started = Instant::now();
    let report = runner::run(&client, scenarios, &settings, &|_| {}).await;
    (report, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_survives_misbehaving_endpoints() {
    let scenarios = scenarios();
    let cases = MODES.iter().flat_map(|m| [(*m, Scope::Everything), (*m, Scope::AfterSetup)]);
    let runs = futures::future::join_all(cases.map(|(mode, scope)| {
        let scenarios = scenarios.clone();
        async move { ((mode, scope), run_against(mode, scope, &scenarios, TIMEOUT).await) }
    }))
    .await;

    let slowest = scenarios.iter().map(request_bound).max().unwrap();
    let waves = u32::try_from(scenarios.len().div_ceil(4)).unwrap();
    for ((mode, scope), (report, took)) in runs {
        let mode = format!("{mode:?}/{scope:?}");
        // Bounded: no scenario outlives its requests' timeouts, nor the run its waves of scenarios.
        let run_bound = TIMEOUT * slowest * waves + Duration::from_secs(2);
        assert!(took <= run_bound, "{mode}: the run took {took:?} (bound {run_bound:?})");
        assert_eq!(report.scenarios.len(), scenarios.len(), "{mode}: every scenario is reported");
        for (r, s) in report.scenarios.iter().zip(&scenarios) {
            assert_eq!(r.id, s.id);
            let bound = TIMEOUT * request_bound(s) + Duration::from_secs(1);
            assert!(
                Duration::from_millis(r.duration_ms) <= bound,
                "{mode} {}: took {} ms (bound {bound:?})",
                r.id,
                r.duration_ms
            );
            assert!(
                matches!(r.outcome, Outcome::Error | Outcome::Fail),
                "{mode} {}: graded {:?} ({:?})",
                r.id,
                r.outcome,
                r.reason
            );
            assert!(r.reason.is_some(), "{mode} {}: an error or failure says why", r.id);
        }
        let dir = tempfile::tempdir().unwrap();
        let written = ssec_conform::report::write_all(&report, dir.path()).expect("reports written");
        for file in [&written.json, &written.junit, &written.html, &written.markdown] {
            let len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            assert!(len > 0, "{mode}: {} is empty or missing", file.display());
        }
        let outcomes: Vec<_> = report.scenarios.iter().map(|r| r.outcome.as_str()).collect();
        eprintln!("{mode}: {took:?}, {outcomes:?}");
    }
}
