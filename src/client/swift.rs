//! OpenStack Swift: authentication (TempAuth v1 or Keystone v3) and token-authenticated requests.

use serde_json::json;

use super::ClientError;

/// How to authenticate to Swift. `Debug` prints the key and password redacted.
#[derive(Clone)]
pub enum SwiftAuth {
    /// TempAuth v1: `GET <url>` with `X-Auth-User`/`X-Auth-Key`.
    TempAuth {
        /// e.g. `http://127.0.0.1:8080/auth/v1.0`
        auth_url: url::Url,
        /// `account:user`
        user: String,
        /// The user's key.
        key: String,
    },
    /// Keystone v3 password authentication scoped to a project.
    Keystone {
        /// e.g. `https://identity.example/v3`
        auth_url: url::Url,
        /// User name.
        username: String,
        /// Password.
        password: String,
        /// Project name.
        project: String,
        /// User and project domain name.
        domain: String,
    },
}

/// A token and the storage URL it is good for. `Debug` prints the token redacted.
#[derive(Clone)]
pub struct Session {
    /// `X-Auth-Token` value.
    pub token: String,
    /// `…/v1/AUTH_account`
    pub storage_url: String,
}

impl std::fmt::Debug for SwiftAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TempAuth { auth_url, user, key: _ } => f
                .debug_struct("TempAuth")
                .field("auth_url", &auth_url.as_str())
                .field("user", user)
                .field("key", &super::REDACTED)
                .finish(),
            Self::Keystone { auth_url, username, password: _, project, domain } => f
                .debug_struct("Keystone")
                .field("auth_url", &auth_url.as_str())
                .field("username", username)
                .field("password", &super::REDACTED)
                .field("project", project)
                .field("domain", domain)
                .finish(),
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("token", &super::REDACTED).field("storage_url", &self.storage_url).finish()
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Authenticates and returns a session.
pub async fn authenticate(http: &reqwest::Client, auth: &SwiftAuth) -> Result<Session, ClientError> {
    let transport = |e: reqwest::Error| ClientError::Transport(e.to_string());
    match auth {
        SwiftAuth::TempAuth { auth_url, user, key } => {
            let resp = http
                .get(auth_url.clone())
                .header("x-auth-user", user)
                .header("x-auth-key", key)
                .send()
                .await
                .map_err(transport)?;
            match (resp.status().is_success(), header(&resp, "x-auth-token"), header(&resp, "x-storage-url")) {
                (true, Some(token), Some(storage_url)) => Ok(Session { token, storage_url }),
                _ => Err(ClientError::Build(format!("Swift TempAuth at {auth_url} answered {}", resp.status()))),
            }
        }
        SwiftAuth::Keystone { auth_url, username, password, project, domain } => {
            let body = json!({ "auth": {
                "identity": { "methods": ["password"], "password": { "user": {
                    "name": username, "domain": { "name": domain }, "password": password } } },
                "scope": { "project": { "name": project, "domain": { "name": domain } } } } });
            let url = format!("{}/auth/tokens", auth_url.as_str().trim_end_matches('/'));
            let resp = http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await
                .map_err(transport)?;
            let status = resp.status();
            let token = header(&resp, "x-subject-token");
            let catalog: serde_json::Value =
                serde_json::from_slice(&resp.bytes().await.map_err(transport)?).unwrap_or_default();
            let storage_url = catalog["token"]["catalog"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["type"] == "object-store")
                .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
                .find(|e| e["interface"] == "public")
                .and_then(|e| e["url"].as_str().map(str::to_owned));
            match (status.is_success(), token, storage_url) {
                (true, Some(token), Some(storage_url)) => Ok(Session { token, storage_url }),
                _ => Err(ClientError::Build(format!(
                    "Keystone at {auth_url} answered {status} without an object-store endpoint"
                ))),
            }
        }
    }
}

/// The URL of a container or object.
#[must_use]
pub fn url(session: &Session, container: &str, object: Option<&str>) -> String {
    let base = session.storage_url.trim_end_matches('/');
    match object {
        Some(o) => format!("{base}/{}/{}", super::url::encode(container, false), super::url::encode(o, true)),
        None => format!("{base}/{}", super::url::encode(container, false)),
    }
}
