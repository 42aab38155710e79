//! The endpoint options shared by `run` and `fuzz`, and connecting to the endpoint (or starting the
//! embedded reference server).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use ssec_conform::client::{Addressing, Client, Outgoing, Target, Trust};
use ssec_conform::scenario::runner;
use ssec_conform::{ReferenceServer, ServerConfig, ServerHandle};

use super::credentials;

/// Where to send requests and how.
#[derive(Debug, clap::Args)]
pub struct EndpointArgs {
    /// The endpoint to test; the embedded reference server when absent.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<url::Url>,
    /// The endpoint's plain-HTTP URL, for the checks that SSE-C over HTTP is refused.
    #[arg(long, value_name = "URL", requires = "endpoint_url")]
    http_endpoint_url: Option<url::Url>,
    /// Signing region.
    #[arg(long, value_name = "R", env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Named profile of ~/.aws/credentials to sign with (default: the AWS_* environment variables).
    #[arg(long, value_name = "NAME")]
    aws_profile: Option<String>,
    /// PEM bundle of certificates to trust for the endpoint.
    #[arg(long, value_name = "PEM", conflicts_with = "insecure")]
    ca_bundle: Option<PathBuf>,
    /// Accept any TLS certificate.
    #[arg(long)]
    insecure: bool,
    /// Path-style addressing (the default).
    #[arg(long, conflicts_with = "virtual_host")]
    path_style: bool,
    /// Virtual-hosted-style addressing (bucket.host).
    #[arg(long)]
    virtual_host: bool,
    /// Timeout of every request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
}

impl EndpointArgs {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    fn remote_target(&self, endpoint: &url::Url) -> anyhow::Result<Target> {
        let creds = credentials::resolve(self.aws_profile.as_deref())?;
        let trust = match (&self.ca_bundle, self.insecure) {
            (Some(path), _) => {
                Trust::Pem(std::fs::read_to_string(path).with_context(|| format!("--ca-bundle {}", path.display()))?)
            }
            (None, true) => Trust::Insecure,
            (None, false) => Trust::WebPki,
        };
        Ok(Target {
            endpoint: endpoint.clone(),
            plain_endpoint: self.http_endpoint_url.clone(),
            region: self.region.clone(),
            access_key: creds.access_key,
            secret_key: creds.secret_key,
            session_token: creds.session_token,
            addressing: if self.virtual_host { Addressing::VirtualHost } else { Addressing::Path },
            trust,
            timeout: self.timeout(),
        })
    }

    /// A client for `--endpoint-url`, checked by one request; or, without it, a freshly started
    /// embedded reference server (kept alive by the returned handle).
    pub async fn connect(&self) -> anyhow::Result<(Client, Option<ServerHandle>)> {
        match &self.endpoint_url {
            None => {
                let (client, server) = embedded(self.timeout()).await?;
                Ok((client, Some(server)))
            }
            Some(url) => {
                let client = Client::new(self.remote_target(url)?)?;
                preflight(&client).await?;
                Ok((client, None))
            }
        }
    }
}

/// A new embedded reference server and a client for it.
pub async fn embedded(timeout: Duration) -> anyhow::Result<(Client, ServerHandle)> {
    let server = ReferenceServer::start(ServerConfig::default()).await?;
    Ok((Client::new(runner::embedded_target(&server, timeout))?, server))
}

/// One request before the work, so an unreachable endpoint or bad credentials give one sentence.
async fn preflight(client: &Client) -> anyhow::Result<()> {
    let url = client.target().endpoint.clone();
    let resp = client
        .send(&Outgoing::new("GET", None, None))
        .await
        .response
        .map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))?;
    let err = ssec_conform::scenario::grade::error_body(&resp.body);
    match err.code.as_deref() {
        Some(code @ ("InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken")) => {
            anyhow::bail!("{url} rejected the credentials: {code} {}", err.message.unwrap_or_default())
        }
        _ => Ok(()),
    }
}
