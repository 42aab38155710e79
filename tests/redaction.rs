//! Public types that hold secrets print them redacted in `Debug`: the server's configuration and
//! handle, the runner's target, and Swift credentials and sessions.

mod common;

use ssec_conform::ServerConfig;
use ssec_conform::client::Target;
use ssec_conform::client::swift::{Session, SwiftAuth};

const SECRET: &str = "do-not-print-this-secret";

fn assert_redacted(printed: &str, shown: &str) {
    assert!(!printed.contains(SECRET), "a secret is printed: {printed}");
    assert!(printed.contains("<redacted>"), "no redaction marker: {printed}");
    assert!(printed.contains(shown), "what is not secret is still shown: {printed}");
}

#[tokio::test]
async fn server_config_and_handle_redact_the_secret_key() {
    let config =
        ServerConfig { access_key: "visible-access-key".into(), secret_key: SECRET.into(), ..ServerConfig::default() };
    assert_redacted(&format!("{config:?}"), "visible-access-key");
    assert_redacted(&format!("{config:#?}"), "visible-access-key");
    let server = common::start_with(config).await;
    assert_redacted(&format!("{server:?}"), "visible-access-key");
    server.shutdown().await;
}

#[test]
fn target_redacts_the_secret_key_and_session_token() {
    let target = Target {
        session_token: Some(format!("token-{SECRET}")),
        ..Target::new(url::Url::parse("https://s3.example").unwrap(), "visible-access-key", SECRET)
    };
    assert_redacted(&format!("{target:?}"), "visible-access-key");
}

#[test]
fn swift_credentials_and_sessions_are_redacted() {
    let url = url::Url::parse("https://swift.example/auth/v1.0").unwrap();
    let temp = SwiftAuth::TempAuth { auth_url: url.clone(), user: "account:user".into(), key: SECRET.into() };
    assert_redacted(&format!("{temp:?}"), "account:user");
    let keystone = SwiftAuth::Keystone {
        auth_url: url,
        username: "visible-user".into(),
        password: SECRET.into(),
        project: "p".into(),
        domain: "d".into(),
    };
    assert_redacted(&format!("{keystone:?}"), "visible-user");
    let session = Session { token: SECRET.into(), storage_url: "https://swift.example/v1/AUTH_a".into() };
    assert_redacted(&format!("{session:?}"), "AUTH_a");
}
