//! `ssec-conform fuzz` keeps what it finds: each divergence is on disk as soon as it is shrunk, a run
//! stopped by SIGTERM or SIGINT leaves its summary, and `--time` bounds the run, shrinking included.
//!
//! The endpoint is a reference server that blocks SSE-C on new buckets (so SSE-C writes diverge from
//! the reference), reached over plain HTTP through a proxy that holds every response back, as a slow
//! endpoint would.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::start_with;
use ssec_conform::{ServerConfig, ServerHandle};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A seed whose first cases include divergences against [`divergent_endpoint`].
const SEED: &str = "7";

async fn divergent_endpoint() -> ServerHandle {
    start_with(ServerConfig {
        https: None,
        allow_sse_c_over_http: true,
        block_sse_c_by_default: true,
        ..ServerConfig::default()
    })
    .await
}

/// A TCP proxy to `upstream` that waits `delay` before passing on each read from the server.
async fn slow_proxy(upstream: String, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else { return };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = server_read.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tokio::time::sleep(delay).await;
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

/// Starts `ssec-conform fuzz` with `jobs` cases at once (set through `SSEC_JOBS`).
fn fuzz(endpoint: &str, report_dir: &Path, jobs: u32, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ssec-conform"))
        .args(["fuzz", "--endpoint-url", endpoint, "--seed", SEED, "--report-dir"])
        .arg(report_dir)
        .args(extra)
        .env("SSEC_JOBS", jobs.to_string())
        .env("AWS_ACCESS_KEY_ID", ssec_conform::server::DEFAULT_ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ssec_conform::server::DEFAULT_SECRET_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for the process to end, at most `limit`; kills it past that.
fn wait(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn summary(report_dir: &Path) -> String {
    std::fs::read_to_string(report_dir.join("fuzz/summary.md")).unwrap_or_default()
}

/// The scenario files the summary links to; each exists and loads as a scenario.
fn linked_scenarios(report_dir: &Path) -> Vec<PathBuf> {
    let text = summary(report_dir);
    let files: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.rsplit_once("](")?.1.strip_suffix(") |"))
        .map(|name| report_dir.join("fuzz").join(name))
        .collect();
    for f in &files {
        let yaml = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{} in the summary: {e}", f.display()));
        ssec_conform::scenario::load::parse(&f.display().to_string(), &yaml)
            .unwrap_or_else(|e| panic!("{} does not load: {e:?}", f.display()));
    }
    files
}

fn stopped_by_signal_keeps_findings(signal: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(divergent_endpoint());
    let upstream = server.http_url().unwrap().trim_start_matches("http://").to_owned();
    let proxy = rt.block_on(slow_proxy(upstream, Duration::from_millis(20)));
    let dir = tempfile::tempdir().unwrap();
    let mut child = fuzz(&proxy, dir.path(), 4, &["--cases", "100000", "--time", "600"]);
    let start = Instant::now();
    while !summary(dir.path()).contains("| 1 |") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no divergence in summary.md after 60 s of a running fuzzer:\n{}",
            summary(dir.path())
        );
        assert!(child.try_wait().unwrap().is_none(), "the fuzzer ended before it was stopped");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = wait(&mut child, Duration::from_secs(20));
    assert_eq!(code, Some(1), "exit code after {signal} with divergences found");
    let text = summary(dir.path());
    assert!(text.contains("Interrupted (Ctrl-C or SIGTERM) after"), "{text}");
    let files = linked_scenarios(dir.path());
    assert!(!files.is_empty(), "{text}");
}

#[test]
fn sigterm_leaves_the_divergences_found_so_far_and_a_summary() {
    stopped_by_signal_keeps_findings("-TERM");
}

#[test]
fn sigint_leaves_the_divergences_found_so_far_and_a_summary() {
    stopped_by_signal_keeps_findings("-INT");
}

#[test]
fn time_budget_bounds_the_run_including_shrinking() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(divergent_endpoint());
    let upstream = server.http_url().unwrap().trim_start_matches("http://").to_owned();
    // Every response takes 2 s: the bucket is made at 2 s, the first cases (set-up PUT and probe)
    // end at about 6 s, and shrinking their divergences would take minutes more.
    let proxy = rt.block_on(slow_proxy(upstream, Duration::from_secs(2)));
    let dir = tempfile::tempdir().unwrap();
    let budget = 9;
    let start = Instant::now();
    let mut child = fuzz(&proxy, dir.path(), 16, &["--cases", "100000", "--time", &budget.to_string()]);
    let code = wait(&mut child, Duration::from_secs(120));
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_secs(budget + 4),
        "--time {budget} run took {elapsed:?} (exit {code:?}):\n{}",
        summary(dir.path())
    );
    let text = summary(dir.path());
    assert!(text.contains("Stopped by the time budget after"), "{text}");
    assert!(!linked_scenarios(dir.path()).is_empty(), "a divergence being shrunk was lost:\n{text}");
    assert_eq!(code, Some(1));
}
