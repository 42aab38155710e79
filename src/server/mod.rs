//! The reference SSE-C S3 server: in-process ([`ReferenceServer::start`]) or standalone
//! (`ssec-conform serve`).
//!
//! It implements the AWS column of the behaviour catalogue over real sockets, real TLS and real SigV4.
//! Customer keys are never stored, logged or kept past the request that carried them: see
//! [`crypto`] for what is kept instead.

mod bucket_encryption;
pub mod checksum;
pub mod crypto;
mod edge;
mod error;
mod extensions;
mod host;
#[cfg(feature = "fuzzing")]
mod in_process;
pub mod limits;
mod log_filter;
pub mod object_io;
mod policy;
mod s3;
mod start_error;
pub mod store;
mod swift;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

#[cfg(feature = "fuzzing")]
pub use self::in_process::InProcessServer;
pub use self::limits::Limits;
pub use self::start_error::StartError;

/// Credentials the reference server accepts when none are configured.
pub const DEFAULT_ACCESS_KEY: &str = "ssec-conform";
/// Secret of [`DEFAULT_ACCESS_KEY`].
pub const DEFAULT_SECRET_KEY: &str = "ssec-conform-secret-key";

/// How long a Swift TempAuth token is accepted when no other lifetime is configured: one hour.
pub const DEFAULT_SWIFT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// What `Debug` prints in place of a secret.
const REDACTED: &str = "<redacted>";

/// How to start a reference server. `Debug` prints the secret key redacted.
#[derive(Clone)]
pub struct ServerConfig {
    /// Plain HTTP listener address; `None` disables it.
    pub http: Option<SocketAddr>,
    /// HTTPS listener address; `None` disables it.
    pub https: Option<SocketAddr>,
    /// Keep objects under this directory instead of in memory.
    pub data_dir: Option<PathBuf>,
    /// The access key id clients sign with.
    pub access_key: String,
    /// The secret access key clients sign with.
    pub secret_key: String,
    /// PEM certificate chain and key files; a certificate is generated when absent.
    pub tls_files: Option<(PathBuf, PathBuf)>,
    /// More DNS names or IP addresses for the generated certificate (the host clients reach the
    /// server by); ignored with `tls_files`.
    pub tls_names: Vec<String>,
    /// Accept SSE-C over plain HTTP (catalogue P11 says refuse).
    pub allow_sse_c_over_http: bool,
    /// Block SSE-C on new buckets, as AWS does since April 2026 (off by default).
    pub block_sse_c_by_default: bool,
    /// How long a Swift TempAuth token is accepted after it is issued.
    pub swift_token_ttl: Duration,
    /// Accept Swift TempAuth (the password, and the tokens it issues) over plain HTTP, where both
    /// travel in clear text; refused by default.
    pub allow_swift_over_http: bool,
    /// Request, connection and timeout limits ([`limits`]).
    pub limits: Limits,
    /// Plaintext bytes per stored segment of new objects ([`crypto::SEGMENT_SIZE`] by default). Other
    /// sizes (at least [`crypto::MIN_SEGMENT_SIZE`]) are for tests and fuzzers, which then cross
    /// segment boundaries with small objects; only the in-memory store takes them.
    pub segment_size: usize,
}

impl Default for ServerConfig {
    /// Loopback only, ephemeral ports, in memory, default credentials.
    fn default() -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            http: Some(loopback),
            https: Some(loopback),
            data_dir: None,
            access_key: DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            tls_files: None,
            tls_names: Vec::new(),
            allow_sse_c_over_http: false,
            block_sse_c_by_default: false,
            swift_token_ttl: DEFAULT_SWIFT_TOKEN_TTL,
            allow_swift_over_http: false,
            limits: Limits::default(),
            segment_size: crypto::SEGMENT_SIZE,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("http", &self.http)
            .field("https", &self.https)
            .field("data_dir", &self.data_dir)
            .field("access_key", &self.access_key)
            .field("secret_key", &REDACTED)
            .field("tls_files", &self.tls_files)
            .field("allow_sse_c_over_http", &self.allow_sse_c_over_http)
            .field("block_sse_c_by_default", &self.block_sse_c_by_default)
            .field("swift_token_ttl", &self.swift_token_ttl)
            .field("allow_swift_over_http", &self.allow_swift_over_http)
            .field("limits", &self.limits)
            .finish()
    }
}

/// The reference server.
#[derive(Debug)]
pub struct ReferenceServer;

/// A running reference server. Dropping it without [`ServerHandle::shutdown`] stops accepting
/// connections too. `Debug` prints the secret key redacted.
pub struct ServerHandle {
    http_url: Option<String>,
    https_url: Option<String>,
    ca_pem: String,
    access_key: String,
    secret_key: String,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ReferenceServer {
    /// Binds the listeners and starts serving on the current Tokio runtime.
    ///
    /// Logging: the server logs through the subscriber that is the default when `start` is called
    /// (the global one, or the one set for the calling thread), and never logs a customer key,
    /// whatever that subscriber's filter. It runs every call into s3s, which logs request headers
    /// and form fields, under a dispatcher of its own that drops s3s's events and spans and
    /// forwards the rest (`RUST_LOG=s3s::ops=trace` cannot re-enable them), and it marks the key
    /// headers sensitive so that no `Debug` output prints them.
    ///
    /// # Errors
    ///
    /// When a limit is unusable, a listener cannot be bound, the data directory cannot be opened,
    /// or the TLS files cannot be read.
    pub async fn start(config: ServerConfig) -> Result<ServerHandle, StartError> {
        let edge = Arc::new(build_edge(&config)?);

        let material = match &config.tls_files {
            Some((cert, key)) => tls::load(cert, key),
            None => tls::generate(&config.tls_names),
        }
        .map_err(|e| StartError::Tls(format!("{e:#}")))?;
        let (shutdown, watch_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut http_url = None;
        let mut https_url = None;
        let bind = |addr: SocketAddr, flag: &'static str| async move {
            let listener = TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, flag, source })?;
            let local = listener.local_addr().map_err(|source| StartError::Bind { addr, flag, source })?;
            Ok::<_, StartError>((listener, local))
        };
        if let Some(addr) = config.http {
            let (listener, local) = bind(addr, "--http").await?;
            http_url = Some(format!("http://{local}"));
            tasks.push(tokio::spawn(edge::serve(listener, None, Arc::clone(&edge), watch_rx.clone())));
        }
        if let Some(addr) = config.https {
            let (listener, local) = bind(addr, "--https").await?;
            https_url = Some(format!("https://{local}"));
            let tls_config = tls::server_config(&material).map_err(|e| StartError::Tls(format!("{e:#}")))?;
            let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
            tasks.push(tokio::spawn(edge::serve(listener, Some(acceptor), Arc::clone(&edge), watch_rx.clone())));
        }
        if tasks.is_empty() {
            return Err(StartError::NoListener);
        }
        Ok(ServerHandle {
            http_url,
            https_url,
            ca_pem: material.ca_pem,
            access_key: config.access_key,
            secret_key: config.secret_key,
            shutdown,
            tasks,
        })
    }
}

/// Everything of a server but its listeners: the store, the S3 service, the Swift front and the edge
/// checks in front of them.
fn build_edge(config: &ServerConfig) -> Result<edge::Edge, StartError> {
    config.limits.validate().map_err(StartError::InvalidConfig)?;
    if config.swift_token_ttl.is_zero() {
        return Err(StartError::InvalidConfig("the Swift token lifetime must be longer than zero".into()));
    }
    if config.segment_size < crypto::MIN_SEGMENT_SIZE
        || (config.data_dir.is_some() && config.segment_size != crypto::SEGMENT_SIZE)
    {
        return Err(StartError::InvalidConfig(format!(
            "the segment size must be at least {} bytes, and {} with a data directory",
            crypto::MIN_SEGMENT_SIZE,
            crypto::SEGMENT_SIZE
        )));
    }
    let store = Arc::new(
        match &config.data_dir {
            Some(dir) => store::Store::open_dir(dir.clone())
                .map_err(|source| StartError::DataDir { path: dir.clone(), source })?,
            None => store::Store::memory_with_segment_size(config.segment_size),
        }
        .blocking_sse_c_by_default(config.block_sse_c_by_default),
    );
    let s3 = s3_service(Arc::clone(&store), config);
    let swift = Arc::new(swift::SwiftFront::new(store, config));
    Ok(edge::Edge::new(
        s3,
        swift,
        (&config.access_key, &config.secret_key),
        config.allow_sse_c_over_http,
        config.limits.clone(),
    ))
}

/// The s3s service over `store`: the S3 operations, SigV4 with the configured credentials, addressing,
/// and the configured limits (everything but the edge: listeners, TLS, transport checks, Swift).
fn s3_service(store: Arc<store::Store>, config: &ServerConfig) -> s3s::service::S3Service {
    let mut builder =
        s3s::service::S3ServiceBuilder::new(s3::ReferenceS3::new(Arc::clone(&store), config.limits.min_part_size));
    builder.set_route(bucket_encryption::EncryptionRoute::new(store));
    builder.set_auth(s3s::auth::SimpleAuth::from_single(config.access_key.clone(), config.secret_key.clone()));
    builder.set_host(host::LocalHost);
    #[cfg(feature = "fuzzing")]
    builder.set_access(in_process::SignedOrInProcess);
    let mut s3s_config = s3s::config::S3Config::default();
    s3s_config.xml_max_body_size = config.limits.max_xml_body_bytes;
    s3s_config.post_object_max_file_size = config.limits.max_object_size;
    builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(s3s_config))));
    builder.build()
}

/// Answers `req` with `service` the way the edge answers an admitted request (SSE-C values marked
/// sensitive, s3s's refusal of an unparsable SSE-C value replaced by AWS's answer, error elements in
/// the body), without a socket. For fuzzing.
#[doc(hidden)]
pub async fn answer_in_process(
    service: &s3s::service::S3Service,
    req: http::Request<s3s::Body>,
) -> http::Response<s3s::Body> {
    edge::answer_in_process(service, req).await
}

/// The s3s service of a reference server with the default configuration, an in-memory store and no
/// listener (fuzzing and property tests call [`s3s::service::S3Service::call`] directly). The edge
/// checks are not applied.
#[doc(hidden)]
#[must_use]
pub fn in_process_service(access_key: &str, secret_key: &str) -> s3s::service::S3Service {
    let config = ServerConfig {
        access_key: access_key.to_owned(),
        secret_key: secret_key.to_owned(),
        ..ServerConfig::default()
    };
    s3_service(Arc::new(store::Store::memory()), &config)
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("http_url", &self.http_url)
            .field("https_url", &self.https_url)
            .field("access_key", &self.access_key)
            .field("secret_key", &REDACTED)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT`, if the HTTP listener is enabled.
    #[must_use]
    pub fn http_url(&self) -> Option<&str> {
        self.http_url.as_deref()
    }

    /// `https://127.0.0.1:PORT`, if the HTTPS listener is enabled.
    #[must_use]
    pub fn https_url(&self) -> Option<&str> {
        self.https_url.as_deref()
    }

    /// PEM of the certificate clients must trust for the HTTPS listener.
    #[must_use]
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The access key id and secret the server accepts.
    #[must_use]
    pub fn credentials(&self) -> (&str, &str) {
        (&self.access_key, &self.secret_key)
    }

    /// Stops accepting connections, lets requests in flight finish (at most 10 s), and returns.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
