//! `ssec-conform serve`: the reference server as a standalone process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use ssec_conform::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use ssec_conform::{ReferenceServer, ServerConfig};

/// Options of `serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Plain HTTP listener (SSE-C requests on it are refused unless --allow-ssec-over-http).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9080")]
    http: SocketAddr,
    /// HTTPS listener.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9443")]
    https: SocketAddr,
    /// Keep objects in this directory (ciphertext for SSE-C objects) instead of in memory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Access key id clients sign with.
    #[arg(long, value_name = "K", default_value = DEFAULT_ACCESS_KEY, requires = "secret_key")]
    access_key: String,
    /// Secret access key clients sign with.
    #[arg(long, value_name = "S", default_value = DEFAULT_SECRET_KEY)]
    secret_key: String,
    /// PEM certificate chain for HTTPS (a local CA and certificate are generated when absent).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Accept SSE-C over plain HTTP. AWS refuses it: a key sent in clear text is compromised.
    #[arg(long)]
    allow_ssec_over_http: bool,
    /// Block SSE-C on new buckets (BlockedEncryptionTypes=SSE-C), as AWS does since April 2026.
    #[arg(long)]
    block_ssec_by_default: bool,
    /// Where to write the PEM of the certificate clients must trust.
    #[arg(long, value_name = "FILE", default_value = "ssec-conform-ca.pem")]
    ca_out: PathBuf,
}

/// Runs the server until Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = ServerConfig {
        http: Some(args.http),
        https: Some(args.https),
        data_dir: args.data_dir,
        access_key: args.access_key,
        secret_key: args.secret_key,
        tls_files: args.tls_cert.zip(args.tls_key),
        allow_sse_c_over_http: args.allow_ssec_over_http,
        block_sse_c_by_default: args.block_ssec_by_default,
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
