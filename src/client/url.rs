//! Request URLs: path-style or virtual-hosted addressing, S3 percent-encoding.

/// How buckets are addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Addressing {
    /// `https://host/bucket/key`
    Path,
    /// `https://bucket.host/key`
    VirtualHost,
}

/// Percent-encodes everything but the RFC 3986 unreserved characters (and `/` when `keep_slash`),
/// as SigV4 canonicalisation expects.
#[must_use]
pub(super) fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL of a request.
pub(super) fn build(
    base: &::url::Url,
    addressing: Addressing,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(String, String)],
) -> Result<String, ::url::ParseError> {
    let scheme = base.scheme();
    let host = base.host_str().unwrap_or("localhost");
    let port = base.port().map(|p| format!(":{p}")).unwrap_or_default();
    let base_path = base.path().trim_end_matches('/');
    let key_path = key.map(|k| format!("/{}", encode(k, true))).unwrap_or_default();
    let mut url = match (addressing, bucket) {
        (Addressing::VirtualHost, Some(b)) => format!("{scheme}://{b}.{host}{port}{base_path}{key_path}"),
        (_, Some(b)) => format!("{scheme}://{host}{port}{base_path}/{b}{key_path}"),
        (_, None) => format!("{scheme}://{host}{port}{base_path}/"),
    };
    if key.is_none() && bucket.is_some() && addressing == Addressing::VirtualHost {
        url.push('/');
    }
    if !query.is_empty() {
        let mut pairs: Vec<_> = query.iter().collect();
        pairs.sort();
        let q: Vec<String> = pairs
            .iter()
            .map(
                |(k, v)| {
                    if v.is_empty() { encode(k, false) } else { format!("{}={}", encode(k, false), encode(v, false)) }
                },
            )
            .collect();
        url.push('?');
        url.push_str(&q.join("&"));
    }
    ::url::Url::parse(&url)?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_addressing_styles() {
        let base = ::url::Url::parse("https://127.0.0.1:9443").unwrap();
        let q = vec![("partNumber".to_owned(), "1".to_owned()), ("uploads".to_owned(), String::new())];
        assert_eq!(
            build(&base, Addressing::Path, Some("b"), Some("a b/c"), &q).unwrap(),
            "https://127.0.0.1:9443/b/a%20b/c?partNumber=1&uploads"
        );
        let base = ::url::Url::parse("https://localhost:9443").unwrap();
        assert_eq!(build(&base, Addressing::VirtualHost, Some("b"), None, &[]).unwrap(), "https://b.localhost:9443/");
    }
}
