//! Requests written and responses read byte by byte over a raw TCP or TLS connection: for a
//! request that must be malformed, unfinished, slow or carry bytes no client library sends.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ssec_conform::ServerHandle;
use ssec_conform::client::{Client, Outgoing};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::{BUCKET, element};

/// The `host:port` of a URL.
pub(crate) fn addr(url: &str) -> String {
    url.split_once("://").map_or(url, |(_, rest)| rest).trim_end_matches('/').to_owned()
}

/// A response read off a raw connection.
#[derive(Debug)]
pub(crate) struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    /// The value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }

    /// The S3 error code of the body.
    pub(crate) fn code(&self) -> Option<&str> {
        element(&self.body, "Code")
    }
}

/// Reads one response (head and `Content-Length` body).
pub(crate) async fn read_response<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Raw> {
    read_response_of(s, false).await
}

/// Reads one response; the answer to a HEAD has no body whatever its `Content-Length`.
pub(crate) async fn read_response_of<S: AsyncRead + Unpin>(s: &mut S, head_request: bool) -> std::io::Result<Raw> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before a response"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let declared = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok());
    let length: usize = if head_request { 0 } else { declared.unwrap_or(0) };
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Raw { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Whether the peer closes the connection (EOF or reset) within `within`.
pub(crate) async fn closed_within<S: AsyncRead + Unpin>(s: &mut S, within: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// The head of a signed request, as the crate's client would send it; `length` is the
/// `Content-Length` to declare (`None`: chunked transfer encoding).
pub(crate) fn signed_head(client: &Client, req: &Outgoing, length: Option<u64>) -> (Vec<u8>, Bytes) {
    let prepared = client.prepare(req).unwrap();
    let uri = prepared.uri();
    let mut head = format!("{} {} HTTP/1.1\r\n", prepared.method(), uri.path_and_query().unwrap()).into_bytes();
    if !prepared.headers().contains_key("host") {
        head.extend_from_slice(format!("host: {}\r\n", uri.authority().unwrap()).as_bytes());
    }
    for (n, v) in prepared.headers().iter().filter(|(n, _)| *n != http::header::CONTENT_LENGTH) {
        head.extend_from_slice(format!("{n}: ").as_bytes());
        head.extend_from_slice(v.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    match length {
        Some(l) => head.extend_from_slice(format!("content-length: {l}\r\n").as_bytes()),
        None => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    head.extend_from_slice(b"\r\n");
    (head, prepared.into_body())
}

/// A request head with one more header, unsigned, whose value may be any bytes.
pub(crate) fn with_raw_header(mut head: Vec<u8>, name: &str, value: &[u8]) -> Vec<u8> {
    head.truncate(head.len() - 2);
    head.extend_from_slice(format!("{name}: ").as_bytes());
    head.extend_from_slice(value);
    head.extend_from_slice(b"\r\n\r\n");
    head
}

/// `body` in chunked transfer encoding (64 KiB chunks and the closing empty chunk).
pub(crate) fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A TLS connection to the reference server's HTTPS listener, trusting its certificate.
pub(crate) async fn tls_connect(server: &ServerHandle) -> TlsStream<TcpStream> {
    tls_connect_to(&addr(server.https_url().expect("https listener")), server.ca_pem()).await
}

/// A TLS connection to `host:port`, as `localhost`, trusting only the certificates of `ca_pem`.
pub(crate) async fn tls_connect_to(authority: &str, ca_pem: &str) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(authority).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// An anonymous request any connection can make (answered 403, but answered).
pub(crate) fn anonymous_get(host: &str) -> Vec<u8> {
    format!("GET /{BUCKET} HTTP/1.1\r\nhost: {host}\r\n\r\n").into_bytes()
}

/// Writes `bytes` and reads the one response they get (within 5 s).
pub(crate) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, bytes: &[u8]) -> Raw {
    s.write_all(bytes).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), read_response(s)).await.expect("answered in time").unwrap()
}

/// An aws-chunked PutObject of `bucket/key` whose signed head declares `declared` as the object,
/// followed by one unsigned chunk of `sent` bytes instead (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`
/// signs the head and not the chunks): returns the head (its `Content-Length` counts the chunk
/// framing), the line that opens the chunk, and what follows the chunk's data.
pub(crate) fn understated_chunked_put(
    bucket: &str,
    key: &str,
    declared: &[u8],
    sent: usize,
) -> (Vec<u8>, String, Bytes) {
    use ssec_conform::fuzzing::{ChunkMode, TrailerPick, encode_chunked};
    let upload = encode_chunked(bucket, key, declared, &[], ChunkMode::UnsignedTrailer, TrailerPick::Crc32c);
    let (parts, declared_body) = upload.request.into_parts();
    // The last (empty) chunk and the trailer follow the data.
    let end_at = declared_body.windows(3).position(|w| w == b"\r\n0").unwrap();
    let end = declared_body.slice(end_at..);
    let chunk_line = format!("{sent:x}\r\n");
    let length = chunk_line.len() + sent + end.len();
    let mut head = format!("PUT {} HTTP/1.1\r\n", parts.uri.path()).into_bytes();
    for (name, value) in parts.headers.iter().filter(|(n, _)| *n != http::header::CONTENT_LENGTH) {
        head.extend_from_slice(format!("{name}: {}\r\n", value.to_str().unwrap()).as_bytes());
    }
    head.extend_from_slice(format!("content-length: {length}\r\n\r\n").as_bytes());
    (head, chunk_line, end)
}
