//! TempAuth v1 for the Swift front: the account's credentials are checked in constant time, tokens
//! expire, and only HTTPS carries either unless the operator allows plain HTTP.
//!
//! Neither the secret nor a token is kept: the secret as its SHA-256 digest, each token as its
//! digest and expiry. A presented secret is compared digest to digest in constant time; a presented
//! token is looked up by its digest, so the time a lookup takes says nothing about a valid token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::HeaderMap;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

/// The credentials, the tokens issued and their lifetime.
pub(super) struct TempAuth {
    access_key: String,
    secret_digest: [u8; 32],
    token_ttl: Duration,
    allow_over_http: bool,
    /// Token digest → when the token expires.
    tokens: Mutex<HashMap<[u8; 32], Instant>>,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Credentials or token sent over plain HTTP without the operator's opt-in.
    PlainHttp,
    /// Wrong credentials, or a token that is unknown, expired or revoked.
    Unauthorized,
}

/// A token just issued.
pub(super) struct Issued {
    /// The `X-Auth-Token` value.
    pub token: String,
    /// Its lifetime in whole seconds (`X-Auth-Token-Expires`).
    pub expires_in_secs: u64,
}

fn digest(text: &str) -> [u8; 32] {
    sha2::Sha256::digest(text.as_bytes()).into()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl TempAuth {
    /// TempAuth for the server's credentials and Swift settings.
    pub(super) fn new(config: &crate::server::ServerConfig) -> Self {
        Self {
            access_key: config.access_key.clone(),
            secret_digest: digest(&config.secret_key),
            token_ttl: config.swift_token_ttl,
            allow_over_http: config.allow_swift_over_http,
            tokens: Mutex::default(),
        }
    }

    /// The account name (`AUTH_<account>` in storage URLs).
    pub(super) fn account(&self) -> &str {
        &self.access_key
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Instant>> {
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answers `GET /auth/v1.0`: `X-Auth-User: <any account>:<access key>` (or the bare access key)
    /// with `X-Auth-Key: <secret>` gets a new token.
    pub(super) fn issue(&self, headers: &HeaderMap, secure: bool) -> Result<Issued, Refusal> {
        if !secure && !self.allow_over_http {
            return Err(Refusal::PlainHttp);
        }
        let user = header(headers, "x-auth-user").unwrap_or_default();
        let user_ok = user == self.access_key || user.rsplit_once(':').is_some_and(|(_, u)| u == self.access_key);
        let key = header(headers, "x-auth-key").unwrap_or_default();
        let key_ok: bool = digest(key).ct_eq(&self.secret_digest).into();
        if !(user_ok & key_ok) {
            return Err(Refusal::Unauthorized);
        }
        let token = format!("AUTH_tk{}", crate::server::store::random_id());
        let now = Instant::now();
        let mut tokens = self.tokens();
        tokens.retain(|_, expires| *expires > now);
        tokens.insert(digest(&token), now + self.token_ttl);
        Ok(Issued { token, expires_in_secs: self.token_ttl.as_secs() })
    }

    /// Checks a request's `X-Auth-Token`. A token presented over plain HTTP without the operator's
    /// opt-in is revoked: it has travelled in clear text.
    pub(super) fn check(&self, headers: &HeaderMap, secure: bool) -> Result<(), Refusal> {
        let presented = header(headers, "x-auth-token").map(digest);
        let mut tokens = self.tokens();
        if !secure && !self.allow_over_http {
            if let Some(d) = presented {
                tokens.remove(&d);
            }
            return Err(Refusal::PlainHttp);
        }
        let d = presented.ok_or(Refusal::Unauthorized)?;
        match tokens.get(&d) {
            Some(expires) if *expires > Instant::now() => Ok(()),
            Some(_) => {
                tokens.remove(&d);
                Err(Refusal::Unauthorized)
            }
            None => Err(Refusal::Unauthorized),
        }
    }
}
