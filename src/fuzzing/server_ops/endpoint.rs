//! Where `server_ops` sends its requests: a reference server in memory (fast: no socket, no TLS, no
//! signature), or one over HTTPS with signed requests (the whole edge).

use std::sync::OnceLock;
use std::time::Duration;

use crate::client::{Auth, Client, Outgoing, Trust};
use crate::fuzzing::{IN_PROCESS_ENDPOINT, Reply, reply, runtime, signing_target, with_host};
use crate::server::{InProcessServer, Limits, ServerConfig};

/// Sends one request and reads the whole reply.
pub(super) trait Endpoint {
    /// The reply; status 0 when no response came.
    fn send(&self, req: &Outgoing) -> Reply;
    /// CompleteMultipartUpload's minimum size of a part other than the last.
    fn min_part_size(&self) -> u64;
    /// Plaintext bytes per stored segment.
    fn segment_size(&self) -> usize;
}

/// CompleteMultipartUpload's minimum part size on the in-memory server: small enough that the
/// fuzzer's parts (mostly under 16 KiB) complete, big enough that the tiny ones (under 64 bytes)
/// still meet `EntityTooSmall`.
pub const IN_MEMORY_MIN_PART_SIZE: u64 = 1024;

/// The in-memory server's segment size: objects of a few KiB span several segments, so range reads
/// and authentication cross segment boundaries at the cost of small copies.
pub const IN_MEMORY_SEGMENT_SIZE: usize = 1024;

/// A fresh reference server in memory, answering unsigned requests as its user, on a single-thread
/// runtime of the calling thread (no thread hop per request).
pub(super) struct InMemory {
    server: InProcessServer,
}

/// The request builder of the in-memory endpoint (it never signs: see [`Auth::Anonymous`]).
fn builder() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let _guard = runtime().enter();
        Client::new(signing_target(IN_PROCESS_ENDPOINT, Trust::WebPki)).expect("request builder")
    })
}

thread_local! {
    static LOCAL: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
}

impl InMemory {
    /// A server with an empty store, [`IN_MEMORY_MIN_PART_SIZE`] and [`IN_MEMORY_SEGMENT_SIZE`].
    pub(super) fn new() -> Self {
        let config = ServerConfig {
            limits: Limits { min_part_size: IN_MEMORY_MIN_PART_SIZE, ..Limits::default() },
            segment_size: IN_MEMORY_SEGMENT_SIZE,
            ..ServerConfig::default()
        };
        Self { server: InProcessServer::new(&config).expect("in-memory reference server") }
    }
}

impl Endpoint for InMemory {
    /// What an HTTP/1.1 exchange would carry: `Host` and `Content-Length` on the request, no body on
    /// a HEAD response.
    fn send(&self, req: &Outgoing) -> Reply {
        let mut req = req.clone();
        req.auth = Auth::Anonymous;
        let mut prepared =
            builder().prepare(&req).unwrap_or_else(|e| panic!("cannot build {} {:?}: {e}", req.method, req.key));
        if !prepared.body().is_empty() || matches!(req.method.as_str(), "PUT" | "POST") {
            let length = prepared.body().len();
            prepared.headers_mut().insert(http::header::CONTENT_LENGTH, length.into());
        }
        let mut reply = LOCAL
            .with(|rt| rt.block_on(async { reply(self.server.call_unsigned(with_host(prepared), true).await).await }));
        if req.method == "HEAD" {
            reply.body = Ok(bytes::Bytes::new());
        }
        reply
    }

    fn min_part_size(&self) -> u64 {
        IN_MEMORY_MIN_PART_SIZE
    }

    fn segment_size(&self) -> usize {
        IN_MEMORY_SEGMENT_SIZE
    }
}

/// A reference server started once per process with the default configuration, reached over HTTPS
/// with signed requests.
pub(super) struct OverHttps {
    _handle: crate::ServerHandle,
    signer: Client,
    http: reqwest::Client,
}

impl OverHttps {
    /// The shared server (started on first use).
    pub(super) fn shared() -> &'static Self {
        static R: OnceLock<OverHttps> = OnceLock::new();
        R.get_or_init(|| {
            runtime().block_on(async {
                let handle = crate::ReferenceServer::start(ServerConfig::default()).await.expect("reference server");
                let url = handle.https_url().expect("https listener").to_owned();
                let signer = Client::new(signing_target(&url, Trust::Pem(handle.ca_pem().to_owned()))).expect("client");
                let mut builder = reqwest::Client::builder()
                    .http1_only()
                    .use_rustls_tls()
                    .timeout(Duration::from_secs(60))
                    .redirect(reqwest::redirect::Policy::none());
                for cert in reqwest::Certificate::from_pem_bundle(handle.ca_pem().as_bytes()).expect("CA PEM") {
                    builder = builder.add_root_certificate(cert);
                }
                OverHttps { _handle: handle, signer, http: builder.build().expect("reqwest client") }
            })
        })
    }
}

impl Endpoint for OverHttps {
    /// Signs and sends; the status survives a body that fails mid-way.
    fn send(&self, req: &Outgoing) -> Reply {
        let prepared = self.signer.prepare(req).unwrap_or_else(|e| panic!("cannot sign: {e}"));
        runtime().block_on(async {
            let request = reqwest::Request::try_from(prepared.map(reqwest::Body::from)).expect("reqwest request");
            match self.http.execute(request).await {
                Err(e) => Reply { status: 0, headers: http::HeaderMap::new(), body: Err(format!("transport: {e:?}")) },
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let body = resp.bytes().await.map_err(|e| format!("{e:?}"));
                    Reply { status, headers, body }
                }
            }
        })
    }

    fn min_part_size(&self) -> u64 {
        Limits::default().min_part_size
    }

    fn segment_size(&self) -> usize {
        crate::server::crypto::SEGMENT_SIZE
    }
}
