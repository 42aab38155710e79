//! The reference server's resource limits ([`ssec_conform::server::Limits`]), each answered the AWS
//! way, and slow or greedy clients that must not hurt the others.
//!
//! Every test starts its own in-process server with small limits, and talks to it with the crate's
//! client or over raw TCP/TLS when the request must be malformed, unfinished or slow. The whole file
//! runs in a few seconds.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use ssec_conform::ServerHandle;
use ssec_conform::client::{Auth, Client, Outgoing};
use ssec_conform::server::Limits;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
/// Sends `req` signed, its body in chunked transfer encoding (no declared length), over a new
/// connection to the plain-HTTP listener; returns the response.
async fn send_chunked(server: &ServerHandle, client: &Client, req: &Outgoing) -> Raw {
    let (head, body) = signed_head(client, req, None);
    let mut tcp = TcpStream::connect(addr(server.http_url().unwrap())).await.unwrap();
    let mut bytes = head;
    bytes.extend_from_slice(&chunked(&body));
    exchange(&mut tcp, &bytes).await
}

#[tokio::test]
async fn header_section_over_the_limit_is_refused_not_hung() {
    let limits = Limits { max_header_bytes: 4096, ..Limits::default() };
    let (server, client) = start_with_bucket(limits.clone()).await;

    // A signed request with a head a little over the limit: the AWS answer.
    let mut list = Outgoing::new("GET", Some(BUCKET), None);
    list.query.push(("list-type".into(), "2".into()));
    list.headers.push(("x-amz-meta-pad".into(), "p".repeat(5000)));
    let r = client.send(&list).await.response.unwrap();
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(element(&body, "Code"), Some("RequestHeaderSectionTooLarge"));
    assert_eq!(element(&body, "MaxSizeAllowed"), Some("4096"));

    // Within the limit: served.
    list.headers[0].1 = "p".repeat(1000);
    let r = client.send(&list).await.response.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // Far over it: the HTTP layer stops reading, answers 431 and closes, without waiting for more.
    let host = addr(server.http_url().unwrap());
    let mut tcp = TcpStream::connect(&host).await.unwrap();
    let head = format!("GET /{BUCKET} HTTP/1.1\r\nhost: {host}\r\nx-pad: {}\r\n", "p".repeat(64 * 1024));
    let t = Instant::now();
    tcp.write_all(head.as_bytes()).await.unwrap(); // the head never ends
    let r = tokio::time::timeout(Duration::from_secs(2), read_response(&mut tcp)).await.expect("no hang").unwrap();
    assert_eq!(r.status, 431);
    assert!(closed_within(&mut tcp, Duration::from_secs(2)).await, "connection closed after the 431");
    assert!(t.elapsed() < Duration::from_secs(2));
    server.shutdown().await;
}

#[tokio::test]
async fn xml_body_over_the_limit_is_max_message_length_exceeded() {
    let (server, client) = start_with_bucket(Limits { max_xml_body_bytes: 4096, ..Limits::default() }).await;
    let versioning = |pad: usize| {
        let mut put = Outgoing::new("PUT", Some(BUCKET), None);
        put.query.push(("versioning".into(), String::new()));
        put.body = Bytes::from(format!(
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{}<Status>Enabled</Status></VersioningConfiguration>",
            " ".repeat(pad)
        ));
        put
    };
    let r = client.send(&versioning(0)).await.response.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // Declared too large: refused from the Content-Length, with AWS's message.
    let r = client.send(&versioning(8192)).await.response.unwrap();
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!((r.status, element(&body, "Code")), (400, Some("MaxMessageLengthExceeded")), "{body}");
    assert_eq!(element(&body, "Message"), Some("Your request was too big."));

    // Without a declared length (chunked): a signed payload needs one (411, as AWS); a presigned
    // request may omit it, and s3s stops reading at the limit.
    let r = send_chunked(&server, &client, &versioning(8192)).await;
    assert_eq!((r.status, r.code()), (411, Some("MissingContentLength")), "{}", r.body);
    let mut presigned = versioning(8192);
    presigned.auth = Auth::Presigned(Duration::from_secs(300));
    let r = send_chunked(&server, &client, &presigned).await;
    assert_eq!((r.status, r.code()), (400, Some("MaxMessageLengthExceeded")), "{}", r.body);
    server.shutdown().await;
}

#[tokio::test]
async fn upload_over_the_object_size_is_entity_too_large() {
    const MAX: u64 = 1 << 20;
    let (server, client) = start_with_bucket(Limits { max_object_size: MAX, ..Limits::default() }).await;
    let put = |size: u64| {
        let mut put = Outgoing::new("PUT", Some(BUCKET), Some("obj"));
        put.body = Bytes::from(vec![7u8; usize::try_from(size).unwrap()]);
        put
    };
    let r = client.send(&put(MAX)).await.response.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let r = client.send(&put(MAX + 1)).await.response.unwrap();
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!((r.status, element(&body, "Code")), (400, Some("EntityTooLarge")), "{body}");
    assert_eq!(element(&body, "Message"), Some("Your proposed upload exceeds the maximum allowed size"));
    assert_eq!(element(&body, "ProposedSize"), Some("1048577"));
    assert_eq!(element(&body, "MaxSizeAllowed"), Some("1048576"));

    // A part over the limit.
    let mut create = Outgoing::new("POST", Some(BUCKET), Some("mp"));
    create.query.push(("uploads".into(), String::new()));
    let r = client.send(&create).await.response.unwrap();
    let upload_id = element(&r.body, "UploadId").unwrap().to_owned();
    let mut part = put(MAX + 1);
    part.key = Some("mp".into());
    part.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), upload_id)];
    let r = client.send(&part).await.response.unwrap();
    assert_eq!((r.status, element(&r.body, "Code")), (400, Some("EntityTooLarge")));

    // POST Object over the limit (s3s's form limit).
    let mut post = put(MAX + 1);
    post.method = "POST".into();
    post.auth = Auth::PostForm;
    let r = client.send(&post).await.response.unwrap();
    assert_eq!((r.status, element(&r.body, "Code")), (400, Some("EntityTooLarge")));

    // A presigned upload without a declared length (chunked) is cut off once past the limit.
    let mut presigned = put(MAX + 64 * 1024);
    presigned.auth = Auth::Presigned(Duration::from_secs(300));
    let r = send_chunked(&server, &client, &presigned).await;
    assert_eq!((r.status, r.code()), (400, Some("EntityTooLarge")), "{}", r.body);
    assert_eq!(element(&r.body, "MaxSizeAllowed"), Some("1048576"));

    // Nothing over the limit was stored.
    let r = client.send(&Outgoing::new("HEAD", Some(BUCKET), Some("obj"))).await.response.unwrap();
    assert_eq!(r.header("content-length"), Some("1048576"));
    server.shutdown().await;
}

#[tokio::test]
async fn entity_too_large_is_answered_before_the_body_is_read() {
    let (server, client) = start_with_bucket(Limits::default()).await;
    // 5 GiB + 1 declared (and signed), nothing sent: the answer cannot come from reading the body.
    let mut put = Outgoing::new("PUT", Some(BUCKET), Some("huge"));
    put.headers.push(("content-length".into(), ((5u64 << 30) + 1).to_string()));
    let (head, _) = signed_head(&client, &put, Some((5 << 30) + 1));
    let mut tcp = TcpStream::connect(addr(server.http_url().unwrap())).await.unwrap();
    let t = Instant::now();
    let r = exchange(&mut tcp, &head).await;
    assert!(t.elapsed() < Duration::from_secs(1), "answered in {:?}", t.elapsed());
    assert_eq!((r.status, r.code()), (400, Some("EntityTooLarge")), "{}", r.body);
    assert_eq!(element(&r.body, "ProposedSize"), Some("5368709121"));
    assert_eq!(element(&r.body, "MaxSizeAllowed"), Some("5368709120"));
    assert!(closed_within(&mut tcp, Duration::from_secs(2)).await, "the unread body is not waited for");
    server.shutdown().await;
}

#[tokio::test]
async fn part_numbers_past_the_limit_are_invalid_argument() {
    let (server, client) = start_with_bucket(Limits { max_parts: 3, ..Limits::default() }).await;
    let mut create = Outgoing::new("POST", Some(BUCKET), Some("mp"));
    create.query.push(("uploads".into(), String::new()));
    let r = client.send(&create).await.response.unwrap();
    let upload_id = element(&r.body, "UploadId").unwrap().to_owned();
    let part = |n: &str| {
        let mut part = Outgoing::new("PUT", Some(BUCKET), Some("mp"));
        part.query = vec![("partNumber".into(), n.into()), ("uploadId".into(), upload_id.clone())];
        part.body = Bytes::from_static(b"part");
        part
    };
    let r = client.send(&part("3")).await.response.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for n in ["4", "0", "10001"] {
        let r = client.send(&part(n)).await.response.unwrap();
        let body = String::from_utf8_lossy(&r.body).into_owned();
        assert_eq!((r.status, element(&body, "Code")), (400, Some("InvalidArgument")), "part {n}: {body}");
        assert_eq!(element(&body, "Message"), Some("Part number must be an integer between 1 and 3, inclusive"));
        assert_eq!(element(&body, "ArgumentName"), Some("partNumber"));
        assert_eq!(element(&body, "ArgumentValue"), Some(n));
    }
    server.shutdown().await;

    // AWS's own limit on a default server.
    let (server, client) = start_with_bucket(Limits::default()).await;
    let r = client.send(&create).await.response.unwrap();
    let upload_id = element(&r.body, "UploadId").unwrap().to_owned();
    let mut part = Outgoing::new("PUT", Some(BUCKET), Some("mp"));
    part.query = vec![("partNumber".into(), "10001".into()), ("uploadId".into(), upload_id)];
    let r = client.send(&part).await.response.unwrap();
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(element(&body, "Message"), Some("Part number must be an integer between 1 and 10000, inclusive"));
    server.shutdown().await;
}

#[tokio::test]
async fn excess_connections_are_answered_slow_down() {
    let server = start(Limits { max_connections: 2, ..Limits::default() }).await;
    let host = addr(server.http_url().unwrap());
    // Two kept-alive connections, one per listener: both are served.
    let mut first = TcpStream::connect(&host).await.unwrap();
    assert_eq!(exchange(&mut first, &anonymous_get(&host)).await.status, 403);
    let mut second = tls_connect(&server).await;
    assert_eq!(exchange(&mut second, &anonymous_get("localhost")).await.status, 403);

    // A third, on either listener: 503 SlowDown, then closed.
    let mut third = TcpStream::connect(&host).await.unwrap();
    let r = exchange(&mut third, &anonymous_get(&host)).await;
    assert_eq!((r.status, r.code()), (503, Some("SlowDown")), "{}", r.body);
    assert_eq!(element(&r.body, "Message"), Some("Please reduce your request rate."));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(closed_within(&mut third, Duration::from_secs(2)).await);
    let mut third = tls_connect(&server).await;
    let r = exchange(&mut third, &anonymous_get("localhost")).await;
    assert_eq!((r.status, r.code()), (503, Some("SlowDown")), "{}", r.body);

    // The held connections still work; once one closes, a new connection is served again.
    assert_eq!(exchange(&mut first, &anonymous_get(&host)).await.status, 403);
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let mut again = TcpStream::connect(&host).await.unwrap();
        let status = exchange(&mut again, &anonymous_get(&host)).await.status;
        if status == 403 {
            break;
        }
        assert!(Instant::now() < deadline, "the freed connection slot was never reused (still {status})");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown().await;
}

/// Sends `bytes` one byte per `pace` until the server closes the connection; returns when it did.
async fn slowloris<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, bytes: &[u8], pace: Duration) -> Duration {
    let t = Instant::now();
    for b in bytes {
        if s.write_all(std::slice::from_ref(b)).await.is_err() || s.flush().await.is_err() {
            return t.elapsed();
        }
        if closed_within(s, pace).await {
            return t.elapsed();
        }
    }
    panic!("the server read the whole slow head");
}

#[tokio::test]
async fn slowloris_is_dropped_after_the_header_timeout_and_others_are_served() {
    let timeout = Duration::from_secs(1);
    let (server, client) = start_with_bucket(Limits { header_read_timeout: timeout, ..Limits::default() }).await;
    let host = addr(server.http_url().unwrap());
    let head = format!("GET /{BUCKET} HTTP/1.1\r\nhost: {host}\r\nx-slow: {}\r\n\r\n", "s".repeat(64));

    // Eight plain slowloris clients, one over TLS, and one that never starts its TLS handshake.
    let mut lorises = Vec::new();
    for _ in 0..8 {
        let head = head.clone().into_bytes();
        let mut tcp = TcpStream::connect(&host).await.unwrap();
        lorises.push(tokio::spawn(async move { slowloris(&mut tcp, &head, Duration::from_secs(1)).await }));
    }
    let mut tls = tls_connect(&server).await;
    let tls_head = head.clone().into_bytes();
    lorises.push(tokio::spawn(async move { slowloris(&mut tls, &tls_head, Duration::from_secs(1)).await }));
    let https = addr(server.https_url().unwrap());
    lorises.push(tokio::spawn(async move {
        let t = Instant::now();
        let mut silent = TcpStream::connect(https).await.unwrap();
        assert!(closed_within(&mut silent, Duration::from_secs(3)).await, "silent TLS connection kept");
        t.elapsed()
    }));

    // Meanwhile, normal requests complete quickly.
    let mut list = Outgoing::new("GET", Some(BUCKET), None);
    list.query.push(("list-type".into(), "2".into()));
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        let t = Instant::now();
        let r = client.send(&list).await.response.unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert!(t.elapsed() < Duration::from_secs(1), "a normal request took {:?}", t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for l in lorises {
        let after = l.await.unwrap();
        assert!(after >= timeout - Duration::from_millis(100), "dropped too early: {after:?}");
        assert!(after < timeout * 3, "dropped too late: {after:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_busy_ones_kept() {
    let idle = Duration::from_millis(500);
    let server = start(Limits { idle_timeout: idle, ..Limits::default() }).await;
    let host = addr(server.http_url().unwrap());

    // Requests every 200 ms keep one connection open well past the idle timeout.
    let mut busy = TcpStream::connect(&host).await.unwrap();
    for _ in 0..8 {
        assert_eq!(exchange(&mut busy, &anonymous_get(&host)).await.status, 403);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Left idle, it is closed after about the idle timeout.
    let t = Instant::now();
    assert!(closed_within(&mut busy, Duration::from_secs(3)).await, "idle connection kept");
    let after = t.elapsed();
    assert!(after >= idle - Duration::from_millis(250) && after < idle * 3, "closed after {after:?}");

    // An upload in progress is not idle, however slowly its body arrives.
    let client = http_client(&server);
    create_bucket(&client).await;
    let mut put = Outgoing::new("PUT", Some(BUCKET), Some("slow"));
    put.body = Bytes::from_static(b"fifteen bytes!!");
    let (head, body) = signed_head(&client, &put, Some(put.body.len() as u64));
    let mut slow = TcpStream::connect(&host).await.unwrap();
    slow.write_all(&head).await.unwrap();
    for b in body.iter() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        slow.write_all(std::slice::from_ref(b)).await.unwrap();
    }
    let r = tokio::time::timeout(Duration::from_secs(5), read_response(&mut slow)).await.unwrap().unwrap();
    assert_eq!(r.status, 200, "{}", r.body);

    // A connection that never sends anything is idle too.
    let mut silent = TcpStream::connect(&host).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await, "silent connection kept");
    server.shutdown().await;
}

#[tokio::test]
async fn a_trickled_body_gets_request_timeout_while_others_are_served() {
    let timeout = Duration::from_secs(1);
    let (server, client) = start_with_bucket(Limits { body_read_timeout: timeout, ..Limits::default() }).await;
    let host = addr(server.http_url().unwrap());

    // A PUT declaring 64 bytes, sent one byte every 200 ms: 5 bytes a second, far from 8 KiB.
    let mut put = Outgoing::new("PUT", Some(BUCKET), Some("trickled"));
    put.body = Bytes::from(vec![b't'; 64]);
    let (head, body) = signed_head(&client, &put, Some(64));
    let trickler = tokio::spawn(async move {
        let mut tcp = TcpStream::connect(host).await.unwrap();
        tcp.write_all(&head).await.unwrap();
        let started = Instant::now();
        for b in body.iter() {
            if tcp.write_all(std::slice::from_ref(b)).await.is_err() {
                break;
            }
            if let Ok(r) = tokio::time::timeout(Duration::from_millis(200), read_response(&mut tcp)).await {
                return (r.unwrap(), started.elapsed());
            }
        }
        panic!("the server read the whole trickled body");
    });

    // Meanwhile, normal requests complete quickly.
    let mut list = Outgoing::new("GET", Some(BUCKET), None);
    list.query.push(("list-type".into(), "2".into()));
    while !trickler.is_finished() {
        let t = Instant::now();
        let r = client.send(&list).await.response.unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert!(t.elapsed() < Duration::from_millis(500), "a normal request took {:?}", t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (r, after) = trickler.await.unwrap();
    assert_eq!((r.status, r.code()), (400, Some("RequestTimeout")), "{}", r.body);
    assert_eq!(
        element(&r.body, "Message"),
        Some("Your socket connection to the server was not read from or written to within the timeout period.")
    );
    assert!(after >= timeout - Duration::from_millis(250) && after < timeout * 3, "answered after {after:?}");
    let r = client.send(&Outgoing::new("HEAD", Some(BUCKET), Some("trickled"))).await.response.unwrap();
    assert_eq!(r.status, 404, "nothing of the trickled body was stored");
    server.shutdown().await;
}

#[tokio::test]
async fn bytes_received_count_against_the_limits_not_the_declared_length() {
    const MAX: u64 = 64 << 10;
    let (server, client) = start_with_bucket(Limits { max_object_size: MAX, ..Limits::default() }).await;
    let host = addr(server.http_url().unwrap());
    let declared = vec![b'd'; 60 << 10];
    let send = |key: &'static str, sent: usize| {
        let (mut bytes, chunk_line, end) = understated_chunked_put(BUCKET, key, &declared, sent);
        bytes.extend_from_slice(chunk_line.as_bytes());
        bytes.extend(std::iter::repeat_n(b'd', sent));
        bytes.extend_from_slice(&end);
        let host = host.clone();
        async move { exchange(&mut TcpStream::connect(host).await.unwrap(), &bytes).await }
    };

    // Declared 60 KiB, carrying 72 KiB: past the object size, whatever the head said.
    let r = send("over-the-limit", 72 << 10).await;
    assert_eq!((r.status, r.code()), (400, Some("EntityTooLarge")), "{}", r.body);
    assert_eq!(element(&r.body, "MaxSizeAllowed"), Some("65536"));
    // Declared 60 KiB, carrying 62 KiB: within the object size, past the declared length.
    let r = send("over-the-declaration", 62 << 10).await;
    assert_eq!((r.status, r.code()), (400, Some("IncompleteBody")), "{}", r.body);
    // Declared 60 KiB, framed as if it were far more: refused from the head.
    let r = send("oversized-chunk", 1 << 20).await;
    assert_eq!((r.status, r.code()), (400, Some("IncompleteBody")), "{}", r.body);
    // What it declared: stored.
    let r = send("honest", 60 << 10).await;
    assert_eq!(r.status, 200, "{}", r.body);

    for (key, status) in
        [("over-the-limit", 404), ("over-the-declaration", 404), ("oversized-chunk", 404), ("honest", 200)]
    {
        let r = client.send(&Outgoing::new("HEAD", Some(BUCKET), Some(key))).await.response.unwrap();
        assert_eq!(r.status, status, "{key}");
    }
    server.shutdown().await;
}
