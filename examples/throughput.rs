//! Throughput of the reference server: plaintext versus SSE-C, over HTTPS and HTTP.
//!
//! ```text
//! cargo run --release --example throughput -- [--size 256MiB] [--repeat 3] [--allow-ssec-over-http]
//! ```
//!
//! The server runs as its own process (`ssec-conform serve`, objects in a temporary `--data-dir`),
//! so its peak memory (`VmHWM` in `/proc/<pid>/status`) is measured alone. Unless `--server-bin` is
//! given, the binary of the same profile is built first (`cargo build [--release] --bin ssec-conform`).
//!
//! The client is deliberately lean: reqwest over HTTP/1.1 on a single kept-alive connection, SigV4
//! with `UNSIGNED-PAYLOAD`, request bodies streamed from one shared 1 MiB pattern buffer (no copy of
//! the object is ever held), response bodies consumed chunk by chunk and compared with the pattern.
//!
//! Measured: PUT and GET of one object (median of `--repeat` runs), plaintext and SSE-C, over HTTPS
//! and over HTTP, with each GET's time to first byte (request sent to first body byte received) (SSE-C over HTTP only with `--allow-ssec-over-http`; otherwise its refusal is
//! checked), and 4 KiB PUT+GET pairs per second on one connection for `--small-secs` seconds.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, bail, ensure};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use clap::Parser;
use http_body::{Frame, SizeHint};
use ssec_conform::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::TripleKind;

/// Size of the pattern every body is cut from.
const PATTERN_LEN: usize = 1 << 20;
const BUCKET: &str = "throughput";
const SMALL_LEN: usize = 4096;

/// Reference-server throughput: plaintext vs SSE-C, HTTPS vs HTTP.
#[derive(Debug, Parser)]
struct Args {
    /// Object size (B, KiB, MiB, GiB, or KB, MB, GB).
    #[arg(long, default_value = "256MiB", value_parser = ssec_conform::units::parse_size)]
    size: u64,
    /// Runs per measurement; the table shows the median.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Start the server with --allow-ssec-over-http and measure SSE-C over HTTP too.
    #[arg(long)]
    allow_ssec_over_http: bool,
    /// Seconds of 4 KiB PUT+GET pairs per mode.
    #[arg(long, default_value_t = 3.0)]
    small_secs: f64,
    /// Use this server binary instead of building target/<profile>/ssec-conform.
    #[arg(long, value_name = "PATH")]
    server_bin: Option<PathBuf>,
    /// Keep objects in the server's memory instead of a temporary --data-dir.
    #[arg(long)]
    in_memory: bool,
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

/// The spawned `ssec-conform serve`; killed on drop if not stopped cleanly.
struct ServerProcess {
    child: Child,
    https: String,
    http: String,
    ca_pem: Vec<u8>,
    stderr_path: PathBuf,
}

impl ServerProcess {
    fn spawn(bin: &Path, dir: &Path, allow_http: bool, in_memory: bool) -> anyhow::Result<Self> {
        let http_port = free_port()?;
        let https_port = free_port()?;
        let ca = dir.join("ca.pem");
        let stderr_path = dir.join("server.stderr");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--http")
            .arg(format!("127.0.0.1:{http_port}"))
            .arg("--https")
            .arg(format!("127.0.0.1:{https_port}"))
            .arg("--ca-out")
            .arg(&ca);
        if !in_memory {
            let data = dir.join("data");
            std::fs::create_dir_all(&data)?;
            cmd.arg("--data-dir").arg(data);
        }
        if allow_http {
            cmd.arg("--allow-ssec-over-http");
        }
        cmd.env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path)?);
        let child = cmd.spawn().with_context(|| format!("spawning {}", bin.display()))?;
        let mut server = Self {
            child,
            https: format!("https://127.0.0.1:{https_port}"),
            http: format!("http://127.0.0.1:{http_port}"),
            ca_pem: Vec::new(),
            stderr_path,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("server exited at start ({status}): {}", server.stderr_tail());
            }
            if let Ok(pem) = std::fs::read(&ca)
                && pem.ends_with(b"-----\n")
                && std::net::TcpStream::connect(("127.0.0.1", https_port)).is_ok()
            {
                server.ca_pem = pem;
                return Ok(server);
            }
            ensure!(Instant::now() < deadline, "server not ready after 30 s: {}", server.stderr_tail());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (VmHWM, VmRSS) in bytes.
    fn memory(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            let line = status.lines().find(|l| l.starts_with(name)).with_context(|| format!("{name} missing"))?;
            let kib: u64 = line.split_whitespace().nth(1).context("malformed")?.parse()?;
            Ok(kib * 1024)
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<_> = text.lines().rev().take(20).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Ctrl-C (SIGINT), as an operator would; SIGKILL if it does not exit within 15 s.
    fn stop(mut self) {
        let _ = Command::new("kill").arg("-INT").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("warning: server did not stop on SIGINT; killing it");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// target/<profile>/ssec-conform next to this example, built first when run under cargo.
fn server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(Path::parent).context("cannot locate the target directory")?;
    let bin = profile_dir.join("ssec-conform");
    if let Some(cargo) = std::env::var_os("CARGO") {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--bin", "ssec-conform", "--manifest-path"]).arg(manifest);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        eprintln!("building the server binary ({})", bin.display());
        let status = cmd.status().context("running cargo build")?;
        ensure!(status.success(), "cargo build --bin ssec-conform failed");
    }
    ensure!(bin.exists(), "{} not found: build it, or pass --server-bin", bin.display());
    Ok(bin)
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/// A request body of `len` bytes cut from the shared pattern, with an exact size hint (so the request
/// carries Content-Length and is not chunked).
struct PatternBody {
    pattern: Bytes,
    remaining: u64,
}

impl http_body::Body for PatternBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = this.remaining.min(this.pattern.len() as u64) as usize;
        this.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(this.pattern.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Plain,
    SseC,
}

struct Client {
    http: reqwest::Client,
    identity: Identity,
    pattern: Bytes,
    sse_c_headers: [(&'static str, String); 3],
}

impl Client {
    fn new(ca_pem: &[u8], pattern: Bytes) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(ca_pem)?)
            .http1_only()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(3600))
            .build()?;
        let identity = Credentials::new(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None, None, "throughput").into();
        let key = CustomerKey::random();
        Ok(Self { http, identity, pattern, sse_c_headers: key.headers(TripleKind::Request) })
    }

    /// A SigV4-signed (UNSIGNED-PAYLOAD) request builder.
    fn request(&self, method: reqwest::Method, url: &str, mode: Mode) -> anyhow::Result<reqwest::RequestBuilder> {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if mode == Mode::SseC {
            headers.extend(self.sse_c_headers.iter().map(|(name, value)| (*name, value.as_str())));
        }
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region("us-east-1")
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()?
            .into();
        let signable =
            SignableRequest::new(method.as_str(), url, headers.iter().copied(), SignableBody::UnsignedPayload)?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        let mut req = self.http.request(method, url);
        for (name, value) in headers {
            req = req.header(name, value);
        }
        for (name, value) in instructions.headers() {
            req = req.header(name, value);
        }
        Ok(req)
    }

    async fn create_bucket(&self, base: &str) -> anyhow::Result<()> {
        let resp = self.request(reqwest::Method::PUT, &format!("{base}/{BUCKET}"), Mode::Plain)?.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        ensure!(status.is_success() || text.contains("BucketAlreadyOwnedByYou"), "CreateBucket: {status} {text}");
        Ok(())
    }

    /// PUTs `len` bytes of the pattern; returns the seconds from first byte sent to response.
    async fn put(&self, url: &str, mode: Mode, len: u64) -> anyhow::Result<f64> {
        let body = reqwest::Body::wrap(PatternBody { pattern: self.pattern.clone(), remaining: len });
        let req = self.request(reqwest::Method::PUT, url, mode)?.body(body);
        let start = Instant::now();
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        let secs = start.elapsed().as_secs_f64();
        ensure!(status.is_success(), "PUT {url} ({mode:?}): {status} {text}");
        Ok(secs)
    }

    /// GETs an object, streaming, and checks every byte against the pattern; returns the seconds to
    /// the first and to the last byte.
    async fn get(&self, url: &str, mode: Mode, len: u64) -> anyhow::Result<(f64, f64)> {
        let req = self.request(reqwest::Method::GET, url, mode)?;
        let start = Instant::now();
        let mut resp = req.send().await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("GET {url} ({mode:?}): {status} {}", resp.text().await.unwrap_or_default());
        }
        let mut pos = 0u64;
        let mut first_byte = None;
        while let Some(chunk) = resp.chunk().await? {
            first_byte.get_or_insert_with(|| start.elapsed().as_secs_f64());
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                let at = (pos % PATTERN_LEN as u64) as usize;
                let n = rest.len().min(PATTERN_LEN - at);
                ensure!(rest[..n] == self.pattern[at..at + n], "GET {url} ({mode:?}): wrong bytes near offset {pos}");
                rest = &rest[n..];
                pos += n as u64;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        ensure!(pos == len, "GET {url} ({mode:?}): {pos} bytes, expected {len}");
        Ok((first_byte.unwrap_or(secs), secs))
    }

    /// The status and error code of an SSE-C PUT that is expected to be refused.
    async fn refused_put(&self, url: &str) -> anyhow::Result<String> {
        let body = reqwest::Body::wrap(PatternBody { pattern: self.pattern.clone(), remaining: SMALL_LEN as u64 });
        let resp = self.request(reqwest::Method::PUT, url, Mode::SseC)?.body(body).send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        let code = text.split("<Code>").nth(1).and_then(|s| s.split("</Code>").next()).unwrap_or("?");
        ensure!(!status.is_success(), "SSE-C PUT over plain HTTP was accepted");
        Ok(format!("refused {} {code}", status.as_u16()))
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

/// Medians of one transport and mode.
#[derive(Debug, Clone, Copy)]
struct Big {
    put_mb_s: f64,
    get_mb_s: f64,
    /// GET time to first byte, seconds.
    first_byte: f64,
}

/// Median MB/s of PUT and of GET, and median GET time to first byte, for one transport and mode.
async fn big(client: &Client, base: &str, mode: Mode, args: &Args) -> anyhow::Result<Big> {
    let url = format!("{base}/{BUCKET}/big-{}", if mode == Mode::SseC { "ssec" } else { "plain" });
    let (mut puts, mut gets, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.repeat {
        puts.push(mb_per_s(args.size, client.put(&url, mode, args.size).await?));
        let (first, total) = client.get(&url, mode, args.size).await?;
        gets.push(mb_per_s(args.size, total));
        firsts.push(first);
    }
    // Free the disk space (and the memory of an --in-memory server) before the next measurement.
    let resp = client.request(reqwest::Method::DELETE, &url, Mode::Plain)?.send().await?;
    ensure!(resp.status().is_success(), "DELETE {url}: {}", resp.status());
    let fmt = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
    let ms = firsts.iter().map(|x| format!("{:.2}", x * 1e3)).collect::<Vec<_>>().join(", ");
    eprintln!("  {base} {mode:?}: PUT MB/s [{}], GET MB/s [{}], GET first byte ms [{ms}]", fmt(&puts), fmt(&gets));
    Ok(Big { put_mb_s: median(puts), get_mb_s: median(gets), first_byte: median(firsts) })
}

/// 4 KiB PUT+GET pairs per second on one kept-alive connection.
async fn small(ca_pem: &[u8], pattern: &Bytes, base: &str, mode: Mode, secs: f64) -> anyhow::Result<f64> {
    let client = Client::new(ca_pem, pattern.clone())?; // a fresh pool: exactly one connection
    let url = format!("{base}/{BUCKET}/small-{}", if mode == Mode::SseC { "ssec" } else { "plain" });
    client.put(&url, mode, SMALL_LEN as u64).await?; // connect + warm up
    let start = Instant::now();
    let mut pairs = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        client.put(&url, mode, SMALL_LEN as u64).await?;
        client.get(&url, mode, SMALL_LEN as u64).await?;
        pairs += 1;
    }
    Ok(pairs as f64 / start.elapsed().as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.repeat >= 1, "--repeat must be at least 1");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => server_binary()?,
    };
    let dir = tempfile::Builder::new().prefix("ssec-throughput-").tempdir()?;
    let server = ServerProcess::spawn(&bin, dir.path(), args.allow_ssec_over_http, args.in_memory)?;
    // One client thread: the server gets the other core.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let result = runtime.block_on(run(&args, &server));
    let memory = server.memory();
    server.stop();
    let (hwm, idle_rss) = memory?;
    let report = result?;
    print_table(&args, &report, hwm, idle_rss, &bin);
    Ok(())
}

struct Report {
    load_at_start: String,
    idle_rss: u64,
    https: [Big; 2],
    http_plain: Big,
    /// The measurement, or why SSE-C over HTTP was not measured.
    http_ssec: Result<Big, String>,
    small_https: [f64; 2],
}

async fn run(args: &Args, server: &ServerProcess) -> anyhow::Result<Report> {
    let idle_rss = server.memory()?.1;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load_at_start = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let mut raw = vec![0u8; PATTERN_LEN];
    rand::fill(&mut raw[..]);
    let pattern = Bytes::from(raw);
    let client = Client::new(&server.ca_pem, pattern.clone())?;
    client.create_bucket(&server.https).await?;

    eprintln!("object {} x {} repeats (per-run MB/s):", human(args.size), args.repeat);
    let https_plain = big(&client, &server.https, Mode::Plain, args).await?;
    let https_ssec = big(&client, &server.https, Mode::SseC, args).await?;
    let http_plain = big(&client, &server.http, Mode::Plain, args).await?;
    let http_ssec = if args.allow_ssec_over_http {
        Ok(big(&client, &server.http, Mode::SseC, args).await?)
    } else {
        Err(client.refused_put(&format!("{}/{BUCKET}/refused", server.http)).await?)
    };
    let small_plain = small(&server.ca_pem, &pattern, &server.https, Mode::Plain, args.small_secs).await?;
    let small_ssec = small(&server.ca_pem, &pattern, &server.https, Mode::SseC, args.small_secs).await?;
    Ok(Report {
        load_at_start,
        idle_rss,
        https: [https_plain, https_ssec],
        http_plain,
        http_ssec,
        small_https: [small_plain, small_ssec],
    })
}

fn print_table(args: &Args, r: &Report, hwm: u64, rss_end: u64, bin: &Path) {
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "ssec-conform throughput: object {}, median of {} run(s), 1 client connection (HTTP/1.1), server {}",
        human(args.size),
        args.repeat,
        if args.in_memory { "in memory" } else { "with --data-dir" }
    );
    println!(
        "server binary: {}; host: {} CPU(s), load average at start {}",
        bin.display(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        r.load_at_start
    );
    println!();
    println!("{:<9} {:<4} {:>16} {:>16} {:>12}", "transport", "op", "plaintext MB/s", "SSE-C MB/s", "SSE-C/plain");
    let row = |t: &str, op: &str, plain: f64, ssec: Result<f64, &str>| match ssec {
        Ok(s) => println!("{t:<9} {op:<4} {plain:>16.1} {s:>16.1} {:>12.2}", s / plain),
        Err(_) => println!("{t:<9} {op:<4} {plain:>16.1} {:>16} {:>12}", "refused*", "-"),
    };
    row("HTTPS", "PUT", r.https[0].put_mb_s, Ok(r.https[1].put_mb_s));
    row("HTTPS", "GET", r.https[0].get_mb_s, Ok(r.https[1].get_mb_s));
    match &r.http_ssec {
        Ok(ssec) => {
            row("HTTP", "PUT", r.http_plain.put_mb_s, Ok(ssec.put_mb_s));
            row("HTTP", "GET", r.http_plain.get_mb_s, Ok(ssec.get_mb_s));
        }
        Err(why) => {
            row("HTTP", "PUT", r.http_plain.put_mb_s, Err(why));
            row("HTTP", "GET", r.http_plain.get_mb_s, Err(why));
        }
    }
    println!();
    println!("{:<9} {:<4} {:>16} {:>16} {:>12}", "transport", "GET", "plaintext ms", "SSE-C ms", "SSE-C/plain");
    let first = |t: &str, plain: &Big, ssec: Option<&Big>| match ssec {
        Some(s) => println!(
            "{t:<9} {:<4} {:>16.2} {:>16.2} {:>12.2}",
            "TTFB",
            plain.first_byte * 1e3,
            s.first_byte * 1e3,
            s.first_byte / plain.first_byte
        ),
        None => println!("{t:<9} {:<4} {:>16.2} {:>16} {:>12}", "TTFB", plain.first_byte * 1e3, "refused*", "-"),
    };
    first("HTTPS", &r.https[0], Some(&r.https[1]));
    first("HTTP", &r.http_plain, r.http_ssec.as_ref().ok());
    if let Err(why) = &r.http_ssec {
        println!("* SSE-C over plain HTTP: {why} (catalogue P11); --allow-ssec-over-http measures it");
    }
    println!();
    println!(
        "4 KiB PUT+GET pairs, one kept-alive HTTPS connection, {} s each: plaintext {:.0} pairs/s ({:.0} ops/s), SSE-C {:.0} pairs/s ({:.0} ops/s), SSE-C/plain {:.2}",
        args.small_secs,
        r.small_https[0],
        2.0 * r.small_https[0],
        r.small_https[1],
        2.0 * r.small_https[1],
        r.small_https[1] / r.small_https[0]
    );
    if !args.in_memory {
        println!(
            "  (the --data-dir store fsyncs every PUT: small-op rates follow the disk's fsync latency; --in-memory excludes it)"
        );
    }
    println!(
        "server peak RSS (VmHWM): {:.1} MiB   (VmRSS idle at start {:.1} MiB, at end {:.1} MiB; object {})",
        mib(hwm),
        mib(r.idle_rss),
        mib(rss_end),
        human(args.size)
    );
}
