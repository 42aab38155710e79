//! HEAD requests on a connection of their own, read from the wire.
//!
//! An HTTP client stops reading after the head of a HEAD response, so a body an endpoint wrongly
//! sends after it would go unseen. Here the request is written by hand, its response head parsed,
//! and the same request sent again on the same connection: whatever arrives before the second
//! status line (or before the endpoint closes the connection) is the first response's body. An
//! endpoint that does neither (it keeps the connection but leaves the second request unanswered)
//! has sent whatever arrived within [`BODY_GRACE`] of the last byte.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use super::{ClientError, Response, Trust};

/// The largest response head read.
const MAX_HEAD: usize = 64 << 10;

/// What starts a response: the end of the previous response's body when it had one.
const STATUS_LINE_START: &[u8] = b"HTTP/1.";

/// How long the connection may stay silent after the response head before what arrived is taken
/// as the whole body: a body wrongly sent after a HEAD response follows its head at once.
const BODY_GRACE: Duration = Duration::from_secs(1);

/// Sends a HEAD request and reads its answer from the wire, keeping whatever body follows the head
/// (at most `limit` bytes); the whole exchange takes at most `timeout`.
pub(super) async fn head(
    prepared: &http::Request<Bytes>,
    trust: &Trust,
    timeout: Duration,
    limit: u64,
) -> Result<Response, ClientError> {
    tokio::time::timeout(timeout, exchange(prepared, trust, limit)).await.unwrap_or(Err(ClientError::Timeout(timeout)))
}

async fn exchange(prepared: &http::Request<Bytes>, trust: &Trust, limit: u64) -> Result<Response, ClientError> {
    let uri = prepared.uri();
    let host = uri.host().ok_or_else(|| ClientError::Build(format!("no host in {uri}")))?;
    let tls = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let transport = |e: std::io::Error| ClientError::Transport(e.to_string());
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await.map_err(transport)?;
    tcp.set_nodelay(true).map_err(transport)?;
    let request = serialize(prepared);
    if !tls {
        return read_head_and_body(tcp, &request, limit).await;
    }
    let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|e| ClientError::Build(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(super::tls::client_config(trust)?);
    let stream = connector.connect(name, tcp).await.map_err(transport)?;
    read_head_and_body(stream, &request, limit).await
}

/// The request as HTTP/1.1 bytes, with the `Host` the signature covers.
fn serialize(prepared: &http::Request<Bytes>) -> Vec<u8> {
    let uri = prepared.uri();
    let target = uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str);
    let mut out = format!("{} {target} HTTP/1.1\r\n", prepared.method()).into_bytes();
    if !prepared.headers().contains_key(http::header::HOST)
        && let Some(authority) = uri.authority()
    {
        out.extend_from_slice(format!("host: {authority}\r\n").as_bytes());
    }
    for (name, value) in prepared.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

async fn read_head_and_body<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
    limit: u64,
) -> Result<Response, ClientError> {
    let transport = |e: std::io::Error| ClientError::Transport(e.to_string());
    stream.write_all(request).await.map_err(transport)?;
    stream.flush().await.map_err(transport)?;
    let mut buf = BytesMut::with_capacity(8 << 10);
    let (status, headers, head_len) = loop {
        if stream.read_buf(&mut buf).await.map_err(transport)? == 0 {
            return Err(ClientError::Transport("connection closed before a complete response head".into()));
        }
        if let Some(head) = parse_head(&buf)? {
            break head;
        }
        if buf.len() > MAX_HEAD {
            return Err(ClientError::Transport(format!("response head longer than {MAX_HEAD} bytes")));
        }
    };
    let mut rest = buf.split_off(head_len);
    // The second request makes an endpoint that sent no body answer at once; one that closes the
    // connection instead ends the body with end of file.
    let _ = stream.write_all(request).await;
    let _ = stream.flush().await;
    loop {
        if let Some(end) = memchr::memmem::find(&rest, STATUS_LINE_START) {
            rest.truncate(end);
            break;
        }
        if rest.len() as u64 > limit {
            return Err(ClientError::TooLarge { limit, announced: None });
        }
        match tokio::time::timeout(BODY_GRACE, stream.read_buf(&mut rest)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(_)) => {}
        }
    }
    Ok(Response { status, headers, body: rest.freeze() })
}

/// A response head: status, headers (names lower-case) and its length in bytes.
type Head = (u16, Vec<(String, String)>, usize);

/// The complete response head at the start of `buf`, or `None` while it is incomplete.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, ClientError> {
    let mut slots = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut slots);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let headers = response
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                .collect();
            Ok(Some((response.code.unwrap_or(0), headers, len)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(ClientError::Transport(format!("bad response head: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a test peer treats the connection after its first answer.
    #[derive(Debug, Clone, Copy)]
    enum AfterAnswer {
        /// Answers every request on it.
        KeepAnswering,
        /// Closes it.
        Close,
        /// Keeps it open and answers nothing more.
        Ignore,
    }

    /// A peer that answers requests with `answer`, recording nothing.
    async fn answering(answer: &'static [u8], after: AfterAnswer) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 || s.write_all(answer).await.is_err() {
                    break;
                }
                match after {
                    AfterAnswer::KeepAnswering => {}
                    AfterAnswer::Close => break,
                    AfterAnswer::Ignore => std::future::pending::<()>().await,
                }
            }
        });
        addr
    }

    async fn head_of(addr: std::net::SocketAddr) -> Response {
        let req = http::Request::head(format!("http://{addr}/b/k")).body(Bytes::new()).unwrap();
        head(&req, &Trust::WebPki, Duration::from_secs(5), 1 << 20).await.unwrap()
    }

    #[tokio::test]
    async fn a_body_after_a_head_error_is_read_whether_the_peer_answers_again_closes_or_goes_silent() {
        let answer = b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\n<Error/>\n";
        for after in [AfterAnswer::KeepAnswering, AfterAnswer::Close, AfterAnswer::Ignore] {
            let resp = head_of(answering(answer, after).await).await;
            assert_eq!((resp.status, &resp.body[..]), (404, &b"<Error/>\n"[..]), "{after:?}");
            assert_eq!(resp.header("content-length"), Some("9"));
        }
    }

    #[tokio::test]
    async fn a_head_answer_without_body_reads_empty_though_it_announces_a_length() {
        let answer = b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\n";
        for after in [AfterAnswer::KeepAnswering, AfterAnswer::Close, AfterAnswer::Ignore] {
            let started = std::time::Instant::now();
            let resp = head_of(answering(answer, after).await).await;
            assert_eq!((resp.status, resp.body.len()), (404, 0), "{after:?}");
            // An endpoint leaving the second request unanswered costs the grace, not the timeout.
            assert!(started.elapsed() < BODY_GRACE * 3, "{after:?}: {:?}", started.elapsed());
        }
    }
}
