//! Addressing: path-style on IP literals and `localhost`, virtual-hosted style on
//! `<bucket>.localhost`.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// The host parser of the reference server.
#[derive(Debug)]
pub(super) struct LocalHost;

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| &h[1..]);
    }
    host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
}

impl S3Host for LocalHost {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let name = strip_port(host);
        if let Some(bucket) = name.strip_suffix(".localhost").filter(|b| !b.is_empty()) {
            return Ok(VirtualHost::new("localhost").with_bucket(bucket.to_ascii_lowercase()));
        }
        Ok(VirtualHost::new(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_and_buckets_found() {
        assert_eq!(strip_port("127.0.0.1:9000"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:9000"), "::1");
        assert_eq!(strip_port("localhost"), "localhost");
        let vh = LocalHost.parse_host_header("photos.localhost:443").unwrap();
        assert_eq!(vh.bucket(), Some("photos"));
        assert_eq!(LocalHost.parse_host_header("127.0.0.1:1").unwrap().bucket(), None);
    }
}
