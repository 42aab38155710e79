//! Bodies the server must not buffer, sent to `ssec-conform serve` as a child process so that its
//! peak RSS can be read (`VmHWM`); the tests stream them and never hold them in memory.
//!
//! - POST Object authenticates the form before it accepts the file: an unsigned 1 GiB form is
//!   answered 403 `AccessDenied` quickly; a signed 256 MiB form is streamed to the store.
//! - An aws-chunked upload counts the bytes it receives, not the length it declared: one declaring
//!   10 bytes and carrying 512 MiB is refused without the rest being held.
//!
//! Either way the server's peak RSS stays under 64 MiB.

mod common;

use std::time::{Duration, Instant};

use common::{ServeProcess, client_for, read_response, understated_chunked_put};
use ssec_conform::client::{Client, Outgoing, Trust};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

/// `ssec-conform serve` on fresh loopback ports and the directory of its data.
struct Serve {
    process: ServeProcess,
    http: String,
    _dir: tempfile::TempDir,
}

async fn serve() -> Serve {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let process = ServeProcess::start(&path.join("data"), &path.join("ca.pem"), &path.join("serve.log"));
    Serve { http: process.http.clone(), process, _dir: dir }
}

impl Serve {
    /// A client of the plain-HTTP listener, with the bucket `bucket` created.
    async fn client_with_bucket(&self) -> Client {
        let client = client_for(&format!("http://{}", self.http), Trust::WebPki);
        let created = client.send(&Outgoing::new("PUT", Some("bucket"), None)).await.response.unwrap();
        assert_eq!(created.status, 200);
        client
    }
}

/// A process's peak resident set size, in bytes (`VmHWM`).
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib * 1024
}

#[tokio::test]
async fn an_unsigned_gigabyte_form_is_refused_before_its_file_is_read() {
    const FILE: u64 = 1 << 30;
    let server = serve().await;
    let boundary = "gigabyte-form";
    let fields = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nhuge\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let closing = format!("\r\n--{boundary}--\r\n");
    let length = fields.len() as u64 + FILE + closing.len() as u64;
    let head = format!(
        "POST /bucket HTTP/1.1\r\nhost: {}\r\ncontent-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {length}\r\n\r\n",
        server.http
    );
    let stream = TcpStream::connect(&server.http).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // The form is written 1 MiB at a time until the server stops reading.
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(fields.as_bytes()).await?;
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..FILE / (1 << 20) {
            writer.write_all(&chunk).await?;
        }
        writer.write_all(closing.as_bytes()).await
    });
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(60), read_response(&mut reader)).await;
    let elapsed = started.elapsed();
    sender.abort();
    assert_peak_under_64_mib(&server);
    let r = answer.expect("answered within 60 s").expect("an answer");
    assert_eq!((r.status, r.code()), (403, Some("AccessDenied")), "{}", r.body);
    assert!(elapsed < Duration::from_secs(5), "answered after {elapsed:?}");
}

fn assert_peak_under_64_mib(server: &Serve) {
    let peak = peak_rss(server.process.child.id());
    eprintln!("server peak RSS: {:.1} MiB", peak as f64 / f64::from(1 << 20));
    assert!(peak < 64 << 20, "the server's peak RSS was {} MiB", peak >> 20);
}

#[tokio::test]
async fn an_understated_chunked_upload_is_refused_without_being_held() {
    const SENT: usize = 512 << 20;
    let server = serve().await;
    server.client_with_bucket().await; // for the bucket the upload goes to
    let (head, chunk_line, end) = understated_chunked_put("bucket", "understated", b"ten bytes!", SENT);
    let stream = TcpStream::connect(&server.http).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        writer.write_all(&head).await?;
        writer.write_all(chunk_line.as_bytes()).await?;
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..SENT / (1 << 20) {
            writer.write_all(&chunk).await?;
        }
        writer.write_all(&end).await
    });
    let answer = tokio::time::timeout(Duration::from_secs(60), read_response(&mut reader)).await;
    sender.abort();
    assert_peak_under_64_mib(&server);
    let r = answer.expect("answered within 60 s").expect("an answer");
    assert_eq!((r.status, r.code()), (400, Some("IncompleteBody")), "{}", r.body);
}

#[tokio::test]
async fn a_signed_form_is_streamed_to_the_store() {
    const FILE: usize = 256 << 20;
    let server = serve().await;
    let client = server.client_with_bucket().await;
    // The form our client signs for an empty file, with 512 MiB streamed where the file goes.
    let mut post = Outgoing::new("POST", Some("bucket"), Some("posted"));
    post.auth = ssec_conform::client::Auth::PostForm;
    let form = client.prepare(&post).unwrap();
    let (parts, empty_form) = form.into_parts();
    let file_part = empty_form.windows(11).position(|w| w == b"name=\"file\"").expect("a file part");
    let file_at = file_part + empty_form[file_part..].windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let (fields, closing) = (empty_form.slice(..file_at), empty_form.slice(file_at..));
    let mut head = format!("POST {} HTTP/1.1\r\n", parts.uri.path()).into_bytes();
    head.extend_from_slice(format!("host: {}\r\n", server.http).as_bytes());
    for (name, value) in parts.headers.iter().filter(|(n, _)| *n != http::header::CONTENT_LENGTH) {
        head.extend_from_slice(format!("{name}: {}\r\n", value.to_str().unwrap()).as_bytes());
    }
    head.extend_from_slice(format!("content-length: {}\r\n\r\n", empty_form.len() + FILE).as_bytes());
    let stream = TcpStream::connect(&server.http).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        writer.write_all(&head).await?;
        writer.write_all(&fields).await?;
        let chunk = vec![b'p'; 1 << 20];
        for _ in 0..FILE / (1 << 20) {
            writer.write_all(&chunk).await?;
        }
        writer.write_all(&closing).await?;
        // Kept open until the answer is read: dropping it would half-close the connection.
        Ok::<_, std::io::Error>(writer)
    });
    let answer = tokio::time::timeout(Duration::from_secs(120), read_response(&mut reader)).await;
    let sent = sender.await.unwrap();
    assert_peak_under_64_mib(&server);
    let r = answer.expect("answered within 120 s").expect("an answer");
    assert_eq!(r.status, 204, "{}", r.body);
    let _writer = sent.expect("the whole form was sent");
    let head = client.send(&Outgoing::new("HEAD", Some("bucket"), Some("posted"))).await.response.unwrap();
    assert_eq!(head.header("content-length"), Some(FILE.to_string().as_str()));
}
