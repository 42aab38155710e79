//! A reference server without sockets, for the fuzz targets (`fuzzing` feature only).
//!
//! Requests go to the same edge handler as the listeners (transport, header, size and part-number
//! checks, error elements), then to the same s3s service, store and SSE-C rules. What is left out is
//! the socket, TLS and, for [`InProcessServer::call_unsigned`], the SigV4 check: such a request
//! carries a marker in its extensions, which only code in this process can set (no header or query
//! parameter turns it on), and the access check accepts it as the configured user.

use bytes::Bytes;

use super::ServerConfig;
use super::edge::Edge;

/// A reference server answering requests handed to it in memory.
pub struct InProcessServer {
    edge: Edge,
}

impl std::fmt::Debug for InProcessServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessServer(..)")
    }
}

/// Marks a request as coming from this process's own trusted caller.
#[derive(Debug, Clone, Copy)]
struct InProcessCaller;

impl InProcessServer {
    /// A server with `config` (its listener addresses and TLS files are ignored).
    ///
    /// # Errors
    ///
    /// When the limits are invalid or the data directory cannot be opened.
    pub fn new(config: &ServerConfig) -> Result<Self, super::StartError> {
        Ok(Self { edge: super::build_edge(config)? })
    }

    /// Answers a request as if it had arrived on a connection (`secure`: over TLS). It must be signed
    /// like one, or it is anonymous.
    pub async fn call(&self, req: http::Request<Bytes>, secure: bool) -> http::Response<s3s::Body> {
        self.edge.handle(req.map(http_body_util::Full::new), secure).await
    }

    /// [`Self::call`] for an unsigned request, accepted as the configured user without SigV4.
    pub async fn call_unsigned(&self, mut req: http::Request<Bytes>, secure: bool) -> http::Response<s3s::Body> {
        req.extensions_mut().insert(InProcessCaller);
        self.call(req, secure).await
    }
}

/// s3s's default access check (signed requests only), plus requests from [`InProcessServer::call_unsigned`].
#[derive(Debug, Clone, Copy)]
pub(super) struct SignedOrInProcess;

#[async_trait::async_trait]
impl s3s::access::S3Access for SignedOrInProcess {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        if cx.credentials().is_some() || cx.extensions_mut().get::<InProcessCaller>().is_some() {
            Ok(())
        } else {
            Err(s3s::s3_error!(AccessDenied, "Signature is required"))
        }
    }
}
