//! The endpoint options shared by `run` and `fuzz`, and connecting to the endpoint (or starting the
//! embedded reference server).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::builder::BoolishValueParser;
use ssec_conform::client::swift::SwiftAuth;
use ssec_conform::client::{Addressing, Client, Outgoing, Target, Trust};
use ssec_conform::scenario::runner;
use ssec_conform::{ReferenceServer, ServerConfig, ServerHandle};

use super::credentials;

/// Where to send requests and how. Every flag can also be set from the environment variable
/// shown in `--help`: `SSEC_` and the flag's name, or the standard AWS variable where there is one.
#[derive(Debug, clap::Args)]
pub(super) struct EndpointArgs {
    /// The endpoint to test (or AWS_ENDPOINT_URL_S3); the embedded reference server when absent.
    #[arg(long, value_name = "URL", env = "SSEC_ENDPOINT_URL")]
    endpoint_url: Option<url::Url>,
    /// The endpoint's plain-HTTP URL, for the checks that SSE-C over HTTP is refused.
    #[arg(long, value_name = "URL", env = "SSEC_HTTP_ENDPOINT_URL")]
    http_endpoint_url: Option<url::Url>,
    /// Signing region (or AWS_DEFAULT_REGION; us-east-1 when neither is set).
    #[arg(long, value_name = "R", env = "AWS_REGION")]
    region: Option<String>,
    /// Named profile of ~/.aws/credentials to sign with. Keys in AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY take precedence over a profile named only by AWS_PROFILE, as in the AWS
    /// SDKs.
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    aws_profile: Option<String>,
    /// PEM bundle of certificates to trust for the endpoint (or AWS_CA_BUNDLE).
    #[arg(long, value_name = "PEM", env = "SSEC_CA_BUNDLE", conflicts_with = "insecure")]
    ca_bundle: Option<PathBuf>,
    /// Accept any TLS certificate.
    #[arg(long, env = "SSEC_INSECURE", value_parser = BoolishValueParser::new())]
    insecure: bool,
    /// Path-style addressing (the default).
    #[arg(long, env = "SSEC_PATH_STYLE", value_parser = BoolishValueParser::new(), conflicts_with = "virtual_host")]
    path_style: bool,
    /// Virtual-hosted-style addressing (bucket.host).
    #[arg(long, env = "SSEC_VIRTUAL_HOST", value_parser = BoolishValueParser::new())]
    virtual_host: bool,
    /// Timeout of every request, in seconds.
    #[arg(long, value_name = "SECS", env = "SSEC_TIMEOUT", default_value_t = 30)]
    timeout: u64,
    /// OpenStack Swift TempAuth URL (e.g. http://127.0.0.1:8080/auth/v1.0), for the Swift scenarios.
    #[arg(long, value_name = "URL", env = "SSEC_SWIFT_AUTH_URL", requires_all = ["swift_user", "swift_key"], conflicts_with = "os_auth_url")]
    swift_auth_url: Option<url::Url>,
    /// TempAuth user, `account:user`.
    #[arg(long, value_name = "USER", env = "SSEC_SWIFT_USER")]
    swift_user: Option<String>,
    /// TempAuth key.
    #[arg(long, value_name = "KEY", env = "SSEC_SWIFT_KEY", hide_env_values = true)]
    swift_key: Option<String>,
    /// Keystone v3 URL (e.g. https://identity.example/v3), for the Swift scenarios.
    #[arg(long, value_name = "URL", env = "SSEC_OS_AUTH_URL", requires_all = ["os_username", "os_password", "os_project_name"])]
    os_auth_url: Option<url::Url>,
    /// Keystone user name.
    #[arg(long, value_name = "NAME", env = "SSEC_OS_USERNAME")]
    os_username: Option<String>,
    /// Keystone password.
    #[arg(long, value_name = "PASSWORD", env = "SSEC_OS_PASSWORD", hide_env_values = true)]
    os_password: Option<String>,
    /// Keystone project name.
    #[arg(long, value_name = "NAME", env = "SSEC_OS_PROJECT_NAME")]
    os_project_name: Option<String>,
    /// Keystone user and project domain.
    #[arg(long, value_name = "NAME", env = "SSEC_OS_DOMAIN_NAME", default_value = "Default")]
    os_domain_name: String,
}

/// A standard AWS variable, when set and not empty.
fn aws_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl EndpointArgs {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    /// `--endpoint-url`, else `AWS_ENDPOINT_URL_S3`.
    fn endpoint_url(&self) -> anyhow::Result<Option<url::Url>> {
        if let Some(url) = &self.endpoint_url {
            return Ok(Some(url.clone()));
        }
        aws_env("AWS_ENDPOINT_URL_S3")
            .map(|v| url::Url::parse(&v).with_context(|| format!("AWS_ENDPOINT_URL_S3={v}")))
            .transpose()
    }

    /// `--region`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
    fn region(&self) -> String {
        self.region.clone().or_else(|| aws_env("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into())
    }

    fn remote_target(&self, endpoint: &url::Url) -> anyhow::Result<Target> {
        let creds = credentials::resolve(self.aws_profile.as_deref())?;
        let ca_bundle = self.ca_bundle.clone().or_else(|| aws_env("AWS_CA_BUNDLE").map(PathBuf::from));
        let trust = match (&ca_bundle, self.insecure) {
            (Some(path), false) => {
                Trust::Pem(std::fs::read_to_string(path).with_context(|| format!("--ca-bundle {}", path.display()))?)
            }
            (_, true) => Trust::Insecure,
            (None, false) => Trust::WebPki,
        };
        Ok(Target {
            plain_endpoint: self.http_endpoint_url.clone(),
            region: self.region(),
            session_token: creds.session_token,
            addressing: if self.virtual_host { Addressing::VirtualHost } else { Addressing::Path },
            trust,
            timeout: self.timeout(),
            ..Target::new(endpoint.clone(), creds.access_key, creds.secret_key)
        })
    }

    /// The Swift authentication given by flags, if any.
    fn swift(&self) -> Option<SwiftAuth> {
        if let (Some(auth_url), Some(user), Some(key)) = (&self.swift_auth_url, &self.swift_user, &self.swift_key) {
            return Some(SwiftAuth::TempAuth { auth_url: auth_url.clone(), user: user.clone(), key: key.clone() });
        }
        let (auth_url, username, password, project) = (
            self.os_auth_url.as_ref()?,
            self.os_username.as_ref()?,
            self.os_password.as_ref()?,
            self.os_project_name.as_ref()?,
        );
        Some(SwiftAuth::Keystone {
            auth_url: auth_url.clone(),
            username: username.clone(),
            password: password.clone(),
            project: project.clone(),
            domain: self.os_domain_name.clone(),
        })
    }

    /// Whether only a Swift endpoint was given (no S3 `--endpoint-url`).
    pub(super) fn swift_only(&self) -> anyhow::Result<bool> {
        Ok(self.endpoint_url()?.is_none() && self.swift().is_some())
    }

    /// A client for `--endpoint-url` (and the Swift flags), checked by one request; a Swift-only
    /// client; or, with neither, a freshly started embedded reference server (kept alive by the
    /// returned handle).
    pub(super) async fn connect(&self) -> anyhow::Result<(Client, Option<ServerHandle>)> {
        let endpoint_url = self.endpoint_url()?;
        anyhow::ensure!(
            self.http_endpoint_url.is_none() || endpoint_url.is_some(),
            "--http-endpoint-url needs --endpoint-url"
        );
        match (&endpoint_url, self.swift()) {
            (None, None) => {
                let (client, server) = embedded(self.timeout()).await?;
                Ok((client, Some(server)))
            }
            (None, Some(swift)) => {
                // Swift only: the S3 side is never used (every S3 scenario is unsupported).
                let origin = match &swift {
                    SwiftAuth::TempAuth { auth_url, .. } | SwiftAuth::Keystone { auth_url, .. } => auth_url.clone(),
                };
                let target = Target { region: self.region(), timeout: self.timeout(), ..Target::new(origin, "", "") };
                Ok((Client::new(target)?.with_swift(swift), None))
            }
            (Some(url), swift) => {
                let mut client = Client::new(self.remote_target(url)?)?;
                if let Some(s) = swift {
                    client = client.with_swift(s);
                }
                preflight(&client).await?;
                Ok((client, None))
            }
        }
    }
}

/// A new embedded reference server and a client for it.
pub(super) async fn embedded(timeout: Duration) -> anyhow::Result<(Client, ServerHandle)> {
    let server = ReferenceServer::start(ServerConfig::default()).await?;
    Ok((runner::embedded_client(&server, timeout)?, server))
}

/// One request before the work, so an unreachable endpoint or bad credentials give one sentence.
async fn preflight(client: &Client) -> anyhow::Result<()> {
    let url = client.target().endpoint.clone();
    let resp = client
        .send(&Outgoing::new("GET", None, None))
        .await
        .response
        .map_err(|e| anyhow::anyhow!("cannot reach {url}: {e}"))?;
    let err = ssec_conform::client::xml::error_body(&resp.body);
    match err.code.as_deref() {
        Some(code @ ("InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken")) => {
            anyhow::bail!("{url} rejected the credentials: {code} {}", err.message.unwrap_or_default())
        }
        _ => Ok(()),
    }
}
