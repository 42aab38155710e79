//! Bounded memory against a hostile endpoint: the runner reserves nothing from an announced
//! `Content-Length`, and keeps at most `--max-response-bytes` of any response body, grading the
//! step `error` with a message naming the limit.
//!
//! This binary counts every byte the process allocates, so the bound is asserted on the most it
//! ever held, not on a guess.

mod common;

use common::fake_endpoint;

use std::alloc::System;
use std::time::Duration;

use cap::Cap;
use ssec_conform::report::model::Outcome;
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::runner;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The system allocator, counting the bytes held and the most ever held at once.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// The most this process may ever hold while the runner reads the hostile answers below: twice the
/// default per-response limit (a buffer that doubles), plus everything else a run allocates.
const BOUND: usize = 2 * 64 * 1024 * 1024 + 64 * 1024 * 1024;

/// How the endpoint answers every request after reading its head.
#[derive(Clone, Copy, Debug)]
enum Hostile {
    /// Announces a 1 GiB body, sends ten bytes and closes.
    Announces,
    /// Streams an endless body without a length until the client goes away.
    Streams,
}

async fn endpoint(mode: Hostile) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                match mode {
                    Hostile::Announces => {
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n0123456789").await;
                    }
                    Hostile::Streams => {
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n").await;
                        let chunk = vec![b'x'; 1 << 20];
                        while s.write_all(&chunk).await.is_ok() {}
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_body_is_cut_at_the_limit_and_reserves_nothing() {
    let scenarios = fake_endpoint::scenarios(&["put/001-valid-triple"]);
    for mode in [Hostile::Announces, Hostile::Streams] {
        let addr = endpoint(mode).await;
        let settings =
            fake_endpoint::settings(Placement::FreshBuckets { run_id: runner::new_run_id(), unblock_sse_c: false });
        let client = fake_endpoint::client(addr, None);
        let run = runner::run(&client, &scenarios, &settings, &|_| {});
        let report = tokio::time::timeout(Duration::from_secs(60), run).await.expect("the run ends");
        let held = ALLOCATOR.max_allocated();
        let r = &report.scenarios[0];
        assert!(held < BOUND, "{mode:?}: the process held {held} bytes at its peak (bound {BOUND})");
        assert_eq!(r.outcome, Outcome::Error, "{mode:?}: {:?}", r.reason);
        let reason = r.reason.as_deref().unwrap_or_default();
        assert!(reason.contains("--max-response-bytes"), "{mode:?}: the reason names the limit: {reason}");
        eprintln!("{mode:?}: peak {held} bytes; {reason}");
    }
}

/// `--max-response-bytes` and `SSEC_MAX_RESPONSE_BYTES` set the limit: a 2000-byte answer is over a
/// 1000-byte limit, and the step says so.
#[test]
fn the_limit_is_set_by_flag_or_environment() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(fake_endpoint::start(|r| {
        // The preflight request (GET /) gets a short answer; every other request 2000 bytes.
        fake_endpoint::Reply::new(200, if r.path == "/" { String::new() } else { "x".repeat(2000) })
    }));
    let by_flag = ["--max-response-bytes", "1000", "--filter", "put/001-valid-triple"];
    let by_env = ["--filter", "put/001-valid-triple"];
    for (args, env) in [(&by_flag[..], &[][..]), (&by_env[..], &[("SSEC_MAX_RESPONSE_BYTES", "1000")][..])] {
        let dir = tempfile::tempdir().unwrap();
        let out = fake_endpoint::run_cli(addr, dir.path(), args, env);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("the response body is longer than the 1000-byte limit (--max-response-bytes)"),
            "{args:?} {env:?}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
