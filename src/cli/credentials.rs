//! AWS credentials from the standard environment variables or a `~/.aws/credentials` profile.

use anyhow::Context as _;

/// Access key, secret and optional session token.
pub(super) struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
}

/// The profile named by `--aws-profile` on the command line, else
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, else the profile named by
/// `AWS_PROFILE` or `default`, from `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`.
/// `profile` is the value of `--aws-profile`, which clap also fills from `AWS_PROFILE`: a profile
/// named only by the environment yields to keys in the environment, as in the AWS SDKs.
pub(super) fn resolve(profile: Option<&str>) -> anyhow::Result<Credentials> {
    let named_by_environment = std::env::var("AWS_PROFILE").ok().as_deref() == profile;
    if (profile.is_none() || named_by_environment)
        && let (Ok(access_key), Ok(secret_key)) =
            (std::env::var("AWS_ACCESS_KEY_ID"), std::env::var("AWS_SECRET_ACCESS_KEY"))
    {
        return Ok(Credentials { access_key, secret_key, session_token: std::env::var("AWS_SESSION_TOKEN").ok() });
    }
    let name =
        profile.map(str::to_owned).or_else(|| std::env::var("AWS_PROFILE").ok()).unwrap_or_else(|| "default".into());
    let path = std::env::var("AWS_SHARED_CREDENTIALS_FILE").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".aws/credentials")
    });
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile [{name}] to {}",
            path.display()
        )
    })?;
    parse_ini(&text, &name).with_context(|| {
        format!("{}: profile [{name}] lacks aws_access_key_id or aws_secret_access_key", path.display())
    })
}

fn parse_ini(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_section = false;
    let (mut ak, mut sk, mut tok) = (None, None, None);
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = section.trim() == profile;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().to_owned();
            match k.trim() {
                "aws_access_key_id" => ak = Some(v),
                "aws_secret_access_key" => sk = Some(v),
                "aws_session_token" => tok = Some(v),
                _ => {}
            }
        }
    }
    Some(Credentials { access_key: ak?, secret_key: sk?, session_token: tok })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_profile() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = B\n[other]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=T\n";
        let c = parse_ini(text, "other").unwrap();
        assert_eq!((c.access_key.as_str(), c.secret_key.as_str(), c.session_token.as_deref()), ("C", "D", Some("T")));
        assert!(parse_ini(text, "missing").is_none());
    }
}
