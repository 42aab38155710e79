//! `ssec-conform serve`: the reference server as a standalone process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use ssec_conform::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Limits};
use ssec_conform::units::{parse_duration, parse_size};
use ssec_conform::{ReferenceServer, ServerConfig};

/// Options of `serve`.
#[derive(Debug, clap::Args)]
pub(super) struct ServeArgs {
    /// Plain HTTP listener (SSE-C requests on it are refused unless --allow-ssec-over-http).
    #[arg(long, value_name = "ADDR", env = "SSEC_HTTP", default_value = "127.0.0.1:9080")]
    http: SocketAddr,
    /// HTTPS listener.
    #[arg(long, value_name = "ADDR", env = "SSEC_HTTPS", default_value = "127.0.0.1:9443")]
    https: SocketAddr,
    /// Keep objects in this directory (ciphertext for SSE-C objects) instead of in memory. A new or
    /// empty directory is marked as the server's; any other non-empty directory is refused. What
    /// the server cannot use in it is moved to its quarantine/ folder, never deleted.
    #[arg(long, value_name = "DIR", env = "SSEC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Access key id clients sign with.
    #[arg(long, value_name = "K", env = "SSEC_ACCESS_KEY", default_value = DEFAULT_ACCESS_KEY, requires = "secret_key")]
    access_key: String,
    /// Secret access key clients sign with.
    #[arg(long, value_name = "S", env = "SSEC_SECRET_KEY", hide_env_values = true, default_value = DEFAULT_SECRET_KEY)]
    secret_key: String,
    /// PEM certificate chain for HTTPS (a local CA and certificate are generated when absent).
    #[arg(long, value_name = "PEM", env = "SSEC_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "PEM", env = "SSEC_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Another DNS name or IP address the generated certificate names, besides localhost,
    /// 127.0.0.1 and ::1: the host clients reach the server by (repeatable; comma-separated in the
    /// variable). `*.NAME` is added for virtual-hosted buckets.
    #[arg(long, value_name = "NAME", env = "SSEC_TLS_NAME", value_delimiter = ',', conflicts_with = "tls_cert")]
    tls_name: Vec<String>,
    /// Accept SSE-C over plain HTTP. AWS refuses it: a key sent in clear text is compromised.
    #[arg(long, env = "SSEC_ALLOW_SSEC_OVER_HTTP", value_parser = BoolishValueParser::new())]
    allow_ssec_over_http: bool,
    /// Block SSE-C on new buckets (BlockedEncryptionTypes=SSE-C), as AWS does since April 2026.
    #[arg(long, env = "SSEC_BLOCK_SSEC_BY_DEFAULT", value_parser = BoolishValueParser::new())]
    block_ssec_by_default: bool,
    /// How long a Swift TempAuth token is accepted after it is issued (`90s`, `30m`).
    #[arg(long, value_name = "DURATION", env = "SSEC_SWIFT_TOKEN_TTL", default_value = "60m", value_parser = parse_duration)]
    swift_token_ttl: Duration,
    /// Accept Swift TempAuth over plain HTTP. Refused by default (403): the password and the
    /// X-Auth-Token would travel in clear text, and a token presented over HTTP is revoked.
    #[arg(long, env = "SSEC_ALLOW_SWIFT_OVER_HTTP", value_parser = BoolishValueParser::new())]
    allow_swift_over_http: bool,
    /// Where to write the PEM of the certificate clients must trust.
    #[arg(long, value_name = "FILE", env = "SSEC_CA_OUT", default_value = "ssec-conform-ca.pem")]
    ca_out: PathBuf,
    /// Request, connection and timeout limits.
    #[command(flatten)]
    limits: Box<LimitArgs>,
}

/// The limit flags of `serve` (boxed: clap's argument structs live in one enum).
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// Largest request head (request line and headers): 400 RequestHeaderSectionTooLarge past it,
    /// 431 and the connection closed past twice it.
    #[arg(long, value_name = "SIZE", env = "SSEC_MAX_HEADER_SIZE", default_value = "16KiB", value_parser = parse_size)]
    max_header_size: u64,
    /// Largest XML (or JSON) request body: 400 MaxMessageLengthExceeded past it.
    #[arg(long, value_name = "SIZE", env = "SSEC_MAX_XML_BODY_SIZE", default_value = "4MiB", value_parser = parse_size)]
    max_xml_body_size: u64,
    /// Largest part number of a multipart upload (at most 10000): 400 InvalidArgument past it.
    #[arg(long, value_name = "N", env = "SSEC_MAX_PARTS", default_value_t = 10_000)]
    max_parts: u32,
    /// Largest single PUT, part or POST Object file: 400 EntityTooLarge past it.
    #[arg(long, value_name = "SIZE", env = "SSEC_MAX_OBJECT_SIZE", default_value = "5GiB", value_parser = parse_size)]
    max_object_size: u64,
    /// Smallest part, but for the last, that CompleteMultipartUpload accepts: 400 EntityTooSmall below it.
    #[arg(long, value_name = "SIZE", env = "SSEC_MIN_PART_SIZE", default_value = "5MiB", value_parser = parse_size)]
    min_part_size: u64,
    /// Connections served at once: excess connections are answered 503 SlowDown.
    #[arg(long, value_name = "N", env = "SSEC_MAX_CONNECTIONS", default_value_t = 512)]
    max_connections: u32,
    /// Time allowed to send a request head or finish a TLS handshake (`30s`, `500ms`, `2m`).
    #[arg(long, value_name = "DURATION", env = "SSEC_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    header_read_timeout: Duration,
    /// Time a keep-alive connection may stay idle between requests.
    #[arg(long, value_name = "DURATION", env = "SSEC_IDLE_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Time a request body may take to deliver each 8 KiB (or its end): 400 RequestTimeout past it.
    #[arg(long, value_name = "DURATION", env = "SSEC_BODY_READ_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    body_read_timeout: Duration,
}

impl LimitArgs {
    fn limits(&self) -> anyhow::Result<Limits> {
        let size = |v: u64, flag: &str| usize::try_from(v).map_err(|_| anyhow::anyhow!("{flag} is too large"));
        Ok(Limits {
            max_header_bytes: size(self.max_header_size, "--max-header-size")?,
            max_xml_body_bytes: size(self.max_xml_body_size, "--max-xml-body-size")?,
            max_parts: self.max_parts,
            max_object_size: self.max_object_size,
            min_part_size: self.min_part_size,
            max_connections: self.max_connections,
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            body_read_timeout: self.body_read_timeout,
        })
    }
}

/// Runs the server until Ctrl-C.
pub(super) async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let limits = args.limits.limits()?;
    let config = ServerConfig {
        http: Some(args.http),
        https: Some(args.https),
        data_dir: args.data_dir,
        access_key: args.access_key,
        secret_key: args.secret_key,
        tls_files: args.tls_cert.zip(args.tls_key),
        tls_names: args.tls_name,
        allow_sse_c_over_http: args.allow_ssec_over_http,
        block_sse_c_by_default: args.block_ssec_by_default,
        swift_token_ttl: args.swift_token_ttl,
        allow_swift_over_http: args.allow_swift_over_http,
        limits,
        segment_size: ssec_conform::server::crypto::SEGMENT_SIZE,
    };
    let server = ReferenceServer::start(config).await?;
    std::fs::write(&args.ca_out, server.ca_pem())
        .map_err(|e| anyhow::anyhow!("cannot write --ca-out {}: {e}", args.ca_out.display()))?;
    let (access, secret) = server.credentials();
    println!("ssec-conform reference server");
    println!("  HTTPS endpoint:  {}", server.https_url().unwrap_or("-"));
    println!("  HTTP endpoint:   {} (SSE-C refused)", server.http_url().unwrap_or("-"));
    println!("  access key:      {access}");
    println!("  secret key:      {secret}");
    println!("  CA certificate:  {}", args.ca_out.display());
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    println!("stopping");
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;
    use ssec_conform::server::DEFAULT_SWIFT_TOKEN_TTL;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn default_flags_are_the_default_limits() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(cli.serve.limits.limits().unwrap(), Limits::default());
        let cli = Cli::try_parse_from([
            "serve",
            "--max-header-size",
            "8KiB",
            "--max-object-size",
            "1MiB",
            "--header-read-timeout",
            "1s",
            "--idle-timeout",
            "500ms",
            "--body-read-timeout",
            "2s",
        ])
        .unwrap();
        let limits = cli.serve.limits.limits().unwrap();
        assert_eq!(limits.max_header_bytes, 8 * 1024);
        assert_eq!(limits.max_object_size, 1 << 20);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(1));
        assert_eq!(limits.idle_timeout, Duration::from_millis(500));
        assert_eq!(limits.body_read_timeout, Duration::from_secs(2));
    }

    #[test]
    fn swift_flags_default_to_the_server_defaults() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(cli.serve.swift_token_ttl, DEFAULT_SWIFT_TOKEN_TTL);
        assert!(!cli.serve.allow_swift_over_http);
        let cli = Cli::try_parse_from(["serve", "--swift-token-ttl", "90s", "--allow-swift-over-http"]).unwrap();
        assert_eq!(cli.serve.swift_token_ttl, Duration::from_secs(90));
        assert!(cli.serve.allow_swift_over_http);
    }
}
