//! The command line as a user installs and runs it: the binary alone, from an empty directory, with
//! settings from the environment, shell completions and the man page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ssec_conform::{ReferenceServer, ServerConfig};

const BIN: &str = env!("CARGO_BIN_EXE_ssec-conform");

/// The source tree the binary was built from.
fn source_tree() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Scenario files in the source tree, counted without the tool's own loader.
fn scenario_count(area: Option<&str>) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { walk(&p) } else { usize::from(p.extension().is_some_and(|e| e == "yaml")) })
            .sum()
    }
    walk(&source_tree().join("scenarios").join(area.unwrap_or("")))
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn describe(out: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// A command with an empty environment but `PATH`, so the caller's `SSEC_*` and `AWS_*` variables
/// play no part.
fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// The binary copied alone into a fresh directory and run from another, empty one, in a private
/// mount namespace where an empty tmpfs hides the source tree: whatever it finds, it carries.
struct Standalone {
    bin: PathBuf,
    work: tempfile::TempDir,
    _bin_dir: tempfile::TempDir,
}

impl Standalone {
    fn new() -> Self {
        let bin_dir = tempfile::tempdir().unwrap();
        let bin = bin_dir.path().join("ssec-conform");
        std::fs::copy(BIN, &bin).unwrap();
        Self { bin, work: tempfile::tempdir().unwrap(), _bin_dir: bin_dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        let script = r#"mount -t tmpfs ssec-hidden "$0" && cd "$1" && shift && exec "$@""#;
        let out = clean_command("unshare")
            .args(["--mount", "--map-root-user", "sh", "-c", script])
            .arg(source_tree())
            .arg(self.work.path())
            .arg(&self.bin)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("unshare (util-linux) runs");
        assert!(
            !text(&out.stderr).contains("unshare:") && !text(&out.stderr).contains("mount:"),
            "cannot hide the source tree: {}",
            describe(&out)
        );
        out
    }
}

#[test]
fn the_binary_alone_lists_runs_and_exports_the_whole_catalogue_from_an_empty_directory() {
    let standalone = Standalone::new();
    let total = scenario_count(None);

    let list = standalone.run(&["list"]);
    assert!(list.status.success(), "{}", describe(&list));
    let last = text(&list.stdout).lines().last().unwrap_or_default().to_owned();
    assert!(last.starts_with(&format!("{total} scenarios in ")), "last line of list: {last}");

    let run = standalone.run(&["run", "--jobs", "2"]);
    assert!(run.status.success(), "{}", describe(&run));
    assert!(text(&run.stdout).contains(&format!("running {total} scenarios against https://127.0.0.1:")));
    assert!(
        !text(&run.stderr).contains("ssec_conform::access"),
        "the embedded server's access log: {}",
        describe(&run)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(standalone.work.path().join("reports/report.json")).unwrap()).unwrap();
    assert_eq!(report["scenarios"].as_array().map(Vec::len), Some(total));
    assert_eq!(report["counts"]["pass"].as_u64(), Some(total as u64), "{}", report["counts"]);

    let profiles = standalone.run(&["check-profiles"]);
    assert!(profiles.status.success(), "{}", describe(&profiles));
    assert!(text(&profiles.stdout).contains("profiles/aws.yaml: ok"), "{}", describe(&profiles));

    // The exported copy is what runs with --scenarios: make one scenario expect what AWS does not
    // do, and the run fails on it.
    let export = standalone.run(&["scenarios", "export", "catalogue"]);
    assert!(export.status.success(), "{}", describe(&export));
    let edited = standalone.work.path().join("catalogue/get-head/003-wrong-key.yaml");
    let yaml = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, yaml.replace("status: 403", "status: 200")).unwrap();
    assert!(standalone.work.path().join("catalogue/profiles/aws.yaml").is_file());
    let run =
        standalone.run(&["run", "--scenarios", "catalogue", "--filter", "get-head/003", "--report-dir", "edited"]);
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(text(&run.stdout).contains("FAIL get-head/003-wrong-key"), "{}", describe(&run));
}

#[test]
fn completions_and_the_man_page_describe_every_command_and_work_without_the_source_tree() {
    let standalone = Standalone::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = standalone.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", describe(&out));
        let script = text(&out.stdout);
        for word in ["ssec-conform", "serve", "endpoint-url", "tls-name", "export"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let man = standalone.run(&["man"]);
    assert!(man.status.success(), "{}", describe(&man));
    let page = text(&man.stdout);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "not roff: {}", &page[..page.len().min(200)]);
    for command in ["run", "serve", "fuzz", "load", "list", "scenarios", "completions"] {
        assert!(page.contains(&format!("ssec\\-conform\\-{command}(1)")), "man page does not list {command}");
    }
    let pages = standalone.run(&["man", "--dir", "man"]);
    assert!(pages.status.success(), "{}", describe(&pages));
    let run_page = std::fs::read_to_string(standalone.work.path().join("man/ssec-conform-run.1")).unwrap();
    assert!(run_page.contains("SSEC_ENDPOINT_URL"), "the run page shows no environment variables");
}

/// A reference server in this process, its CA written to a file.
async fn reference_server(dir: &Path) -> (ssec_conform::ServerHandle, PathBuf) {
    let server = ReferenceServer::start(ServerConfig::default()).await.unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).unwrap();
    (server, ca)
}

/// `ssec-conform ARGS` in `dir` with only these variables (and `PATH`).
fn run_with(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    clean_command(BIN).current_dir(dir).args(args).envs(vars.iter().copied()).output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn run_takes_its_endpoint_and_settings_from_ssec_variables() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = reference_server(dir.path()).await;
    let (access, secret) = server.credentials();
    let https = server.https_url().unwrap().to_owned();
    let ca = ca.display().to_string();
    let vars = [
        ("SSEC_ENDPOINT_URL", https.as_str()),
        ("SSEC_HTTP_ENDPOINT_URL", server.http_url().unwrap()),
        ("SSEC_CA_BUNDLE", &ca),
        ("SSEC_PROFILE", "reference"),
        ("SSEC_FILTER", "get-head/"),
        ("SSEC_JOBS", "2"),
        ("SSEC_REPORT_DIR", "from-env"),
        ("AWS_ACCESS_KEY_ID", access),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_REGION", "us-east-1"),
    ];
    let out = run_with(dir.path(), &["run"], &vars);
    assert!(out.status.success(), "{}", describe(&out));
    let expected =
        format!("running {} scenarios against {https}/ (profile reference, strict)", scenario_count(Some("get-head")));
    assert!(text(&out.stdout).contains(&expected), "expected `{expected}`: {}", describe(&out));
    assert!(dir.path().join("from-env/report.json").is_file(), "SSEC_REPORT_DIR ignored: {}", describe(&out));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn run_honours_the_standard_aws_variables() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ca) = reference_server(dir.path()).await;
    let (access, secret) = server.credentials();
    let https = server.https_url().unwrap().to_owned();
    let ca = ca.display().to_string();
    let one = ["run", "--profile", "reference", "--filter", "get-head/003"];
    let credentials = [("AWS_ACCESS_KEY_ID", access), ("AWS_SECRET_ACCESS_KEY", secret)];

    let aws = [("AWS_ENDPOINT_URL_S3", https.as_str()), ("AWS_CA_BUNDLE", &ca), ("AWS_DEFAULT_REGION", "eu-west-3")];
    let out = run_with(dir.path(), &one, &[&aws[..], &credentials].concat());
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains(&format!("running 1 scenarios against {https}/")), "{}", describe(&out));
    // Requests were signed for the region of AWS_DEFAULT_REGION (each reproduction command names it).
    let report = std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap();
    assert!(report.contains("aws:amz:eu-west-3:s3"), "AWS_DEFAULT_REGION was not used for signing");
    assert!(!report.contains("aws:amz:us-east-1:s3"), "some requests were signed for us-east-1");

    // Without a CA, only SSEC_INSECURE (a boolean as `1`) makes the TLS handshake succeed.
    let insecure = [("SSEC_ENDPOINT_URL", https.as_str()), ("SSEC_INSECURE", "1")];
    let out = run_with(dir.path(), &one, &[&insecure[..], &credentials].concat());
    assert!(out.status.success(), "SSEC_INSECURE=1: {}", describe(&out));
    server.shutdown().await;
}

/// Reads the child's stdout until a line starts with `prefix`; bounded by `limit`.
fn wait_for_line(child: &mut std::process::Child, prefix: &str, limit: Duration) -> Vec<String> {
    use std::io::BufRead as _;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + limit;
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        let done = line.trim_start().starts_with(prefix);
        lines.push(line);
        if done {
            return lines;
        }
    }
    panic!("no line starting with `{prefix}` within {limit:?}: {lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_listens_on_all_interfaces_with_a_certificate_naming_the_host_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let mut child = clean_command(BIN)
        .current_dir(dir.path())
        .arg("serve")
        .env("SSEC_HTTPS", "0.0.0.0:0")
        .env("SSEC_HTTP", "127.0.0.1:0")
        .env("SSEC_TLS_NAME", "s3.ssec.test,192.0.2.7")
        .env("SSEC_CA_OUT", &ca)
        .env("SSEC_ACCESS_KEY", "vendor-key")
        .env("SSEC_SECRET_KEY", "vendor-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = wait_for_line(&mut child, "CA certificate:", Duration::from_secs(30));
    let field = |name: &str| {
        lines.iter().find_map(|l| l.trim().strip_prefix(name)).map(|v| v.trim().to_owned()).unwrap_or_default()
    };
    let https = field("HTTPS endpoint:");
    assert!(https.starts_with("https://0.0.0.0:"), "{lines:?}");
    assert_eq!(field("access key:"), "vendor-key", "{lines:?}");
    let port: u16 = https.rsplit(':').next().unwrap().parse().unwrap();

    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .resolve("s3.ssec.test", std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let resp = client.get(format!("https://s3.ssec.test:{port}/")).send().await;
    let _ = child.kill();
    let _ = child.wait();
    let resp = resp.expect("TLS to s3.ssec.test succeeds: the certificate names the host");
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
}

/// Forwards connections to `upstream` until it has forwarded `reads` reads from clients, then
/// holds every connection, and every new one, without forwarding another byte: an endpoint that
/// stopped answering mid-run.
async fn freezing_proxy(upstream: std::net::SocketAddr, reads: usize) -> String {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    /// Copies `from` to `to` while reads are left (each read from a client, `counted`, uses one),
    /// then holds both halves: the peer sees neither an answer nor a close.
    async fn pump(
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        left: Arc<AtomicUsize>,
        counted: bool,
    ) {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            if counted {
                let _ = left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            }
            if left.load(Ordering::SeqCst) == 0 || to.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        std::future::pending::<()>().await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let left = Arc::new(AtomicUsize::new(reads));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { continue };
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(pump(client_read, server_write, Arc::clone(&left), true));
            tokio::spawn(pump(server_read, client_write, Arc::clone(&left), false));
        }
    });
    url
}

/// An endpoint that stops answering in the middle of a run: the run gives up after a few timeouts
/// instead of spending one per request of every remaining scenario, and says why in each scenario
/// it did not run.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_against_an_endpoint_that_stopped_answering_ends_after_a_few_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = reference_server(dir.path()).await;
    let (access, secret) = server.credentials();
    let upstream = server.https_url().unwrap().trim_start_matches("https://").trim_end_matches('/').parse().unwrap();
    let url = freezing_proxy(upstream, 400).await;

    let args = ["run", "--insecure", "--timeout", "1", "--jobs", "2", "--profile", "reference"];
    let vars = [("SSEC_ENDPOINT_URL", url.as_str()), ("AWS_ACCESS_KEY_ID", access), ("AWS_SECRET_ACCESS_KEY", secret)];
    let mut child = clean_command(BIN)
        .current_dir(dir.path())
        .args(args)
        .envs(vars)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("the run was still waiting on the silent endpoint after 90 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status.code(), Some(1), "errors fail the run");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("reports/report.json")).unwrap()).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    let reason = |s: &serde_json::Value| s["reason"].as_str().unwrap_or_default().to_owned();
    let not_run = scenarios
        .iter()
        .filter(|s| {
            let r = reason(s);
            r.starts_with("not run: the endpoint stopped answering: ")
                && r.ends_with(" requests in a row timed out after 1s")
        })
        .count();
    let timed_out = scenarios
        .iter()
        .filter(|s| reason(s).contains("timed out after 1s") && !reason(s).starts_with("not run"))
        .count();
    let passed = scenarios.iter().filter(|s| s["outcome"] == "pass").count();
    // Without --http-endpoint-url, the plain-HTTP scenarios do not run.
    let unsupported = scenarios.iter().filter(|s| s["outcome"] == "unsupported").count();
    // Each of the two jobs may have had a request in flight when the third timeout came; a
    // scenario whose setup timed out says so as its reason.
    assert!(timed_out <= 5, "{timed_out} scenarios waited for a timeout");
    assert!(passed >= 5, "{passed} scenarios passed before the freeze");
    let others: Vec<String> = scenarios
        .iter()
        .filter(|s| !["pass", "unsupported"].contains(&s["outcome"].as_str().unwrap_or_default()))
        .filter(|s| !reason(s).contains("timed out after 1s"))
        .map(|s| format!("{} {}: {}", s["id"], s["outcome"], reason(s)))
        .collect();
    assert!(
        not_run + timed_out + passed + unsupported == scenarios.len(),
        "{not_run} not run, {timed_out} timed out, {passed} passed of {}; the others: {others:#?}",
        scenarios.len()
    );
    assert!(not_run > scenarios.len() / 2, "{not_run} of {} scenarios were not run", scenarios.len());
    server.shutdown().await;
}
