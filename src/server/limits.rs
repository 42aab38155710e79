//! Resource limits of the reference server, and the AWS answer to each.
//!
//! | limit                 | default | over the limit                                                      |
//! |-----------------------|---------|---------------------------------------------------------------------|
//! | `max_header_bytes`    | 16 KiB  | 400 `RequestHeaderSectionTooLarge` (`MaxSizeAllowed`); past twice the limit the HTTP layer stops reading, answers 431 and closes |
//! | `max_xml_body_bytes`  | 4 MiB   | 400 `MaxMessageLengthExceeded` on any request but uploads and POST Object: from `Content-Length` before the body is read, or as soon as a body without a length passes it |
//! | `max_parts`           | 10,000  | 400 `InvalidArgument` (`ArgumentName` `partNumber`) on UploadPart and UploadPartCopy |
//! | `min_part_size`       | 5 MiB   | 400 `EntityTooSmall` on CompleteMultipartUpload when a part other than the last is smaller (checked by the handler, not here) |
//! | `max_object_size`     | 5 GiB   | 400 `EntityTooLarge` (`ProposedSize`, `MaxSizeAllowed`) on PutObject and UploadPart, from `Content-Length` (or `x-amz-decoded-content-length`) before the body is read, or as soon as the bytes received pass it; POST Object files too |
//! | `max_connections`     | 512     | 503 `SlowDown` on the excess connection's first request, then closed (at most 64 such answers at once; past them, excess connections are closed unanswered) |
//! | `header_read_timeout` | 30 s    | connection closed, unanswered (a request head, or a TLS handshake, that takes longer) |
//! | `idle_timeout`        | 20 s    | keep-alive connection closed after this long without a request      |
//! | `body_read_timeout`   | 20 s    | 400 `RequestTimeout`, then closed: a request body that delivers less than 8 KiB (and does not end) within this time of the server waiting for it |
//!
//! POST Object forms are authenticated from the fields before the file part, which may total at
//! most 20 KiB (400 `MaxPostPreDataLengthExceededError` past it); an unsigned or badly signed form
//! is answered 403 without its file being read, and a signed form's file is streamed, within
//! `max_object_size` and the policy's maximum.
//!
//! These checks run at the edge, before authentication. Signed requests without a `Content-Length`
//! are refused by s3s (411 `MissingContentLength`, as AWS does), so the cut-off of bodies without a
//! length only matters for presigned requests.
//!
//! The header-read clock of the HTTP layer also starts when a keep-alive connection becomes idle, so
//! an idle connection lasts at most `min(idle_timeout, header_read_timeout)`.

use std::time::Duration;

/// The largest part number S3 accepts.
pub const AWS_MAX_PARTS: u32 = 10_000;
/// The smallest part S3 accepts, but for the last one of an upload: 5 MiB.
pub const AWS_MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest single PUT or part S3 accepts: 5 GiB.
pub const AWS_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// Resource limits of a reference server (see the module documentation for the answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Largest body of a request whose body is an XML (or JSON) document, in bytes.
    pub max_xml_body_bytes: usize,
    /// Largest part number of a multipart upload (at most [`AWS_MAX_PARTS`]).
    pub max_parts: u32,
    /// Largest single PUT, part or POST Object file, in bytes.
    pub max_object_size: u64,
    /// Smallest part, but for the last, that CompleteMultipartUpload accepts, in bytes (AWS: 5 MiB;
    /// smaller values let tests and fuzzers complete uploads of small parts).
    pub min_part_size: u64,
    /// Connections served at once, over both listeners.
    pub max_connections: u32,
    /// Time allowed to send a request's head, or to finish a TLS handshake.
    pub header_read_timeout: Duration,
    /// Time a keep-alive connection may stay idle between requests.
    pub idle_timeout: Duration,
    /// Time a request body may take to deliver each 8 KiB (or its end) once the server waits for it.
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    /// AWS's object and part limits; generous header, XML and connection limits for a test server.
    fn default() -> Self {
        Self {
            max_header_bytes: 16 * 1024,
            max_xml_body_bytes: 4 * 1024 * 1024,
            max_parts: AWS_MAX_PARTS,
            max_object_size: AWS_MAX_OBJECT_SIZE,
            min_part_size: AWS_MIN_PART_SIZE,
            max_connections: 512,
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(20),
            body_read_timeout: Duration::from_secs(20),
        }
    }
}

impl Limits {
    /// Checks that every limit is usable.
    ///
    /// # Errors
    ///
    /// When a limit is zero, `max_parts` exceeds [`AWS_MAX_PARTS`], or `max_header_bytes` is below
    /// 1 KiB (too small for a signed request).
    pub fn validate(&self) -> Result<(), String> {
        ensure(self.max_header_bytes >= 1024, "max header size must be at least 1KiB")?;
        ensure(self.max_xml_body_bytes > 0, "max XML body size must be positive")?;
        if !(1..=AWS_MAX_PARTS).contains(&self.max_parts) {
            return Err(format!("max parts must be between 1 and {AWS_MAX_PARTS}"));
        }
        ensure(self.max_object_size > 0, "max object size must be positive")?;
        ensure(self.max_connections > 0, "max connections must be positive")?;
        ensure(!self.header_read_timeout.is_zero(), "header read timeout must be positive")?;
        ensure(!self.idle_timeout.is_zero(), "idle timeout must be positive")?;
        ensure(!self.body_read_timeout.is_zero(), "body read timeout must be positive")?;
        Ok(())
    }

    /// The size past which the HTTP layer stops reading a request head and answers 431: twice the
    /// limit, so that heads a little over it get the AWS answer from the edge instead.
    #[must_use]
    pub(crate) fn hard_header_bytes(&self) -> usize {
        self.max_header_bytes.saturating_mul(2).max(self.max_header_bytes.saturating_add(8 * 1024))
    }
}

/// `Err(message)` unless `condition` holds.
fn ensure(condition: bool, message: &str) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Limits::default().validate().unwrap();
        assert!(Limits { max_parts: 10_001, ..Limits::default() }.validate().is_err());
        assert!(Limits { max_connections: 0, ..Limits::default() }.validate().is_err());
        assert!(Limits { idle_timeout: Duration::ZERO, ..Limits::default() }.validate().is_err());
    }

    #[test]
    fn hard_header_limit_leaves_room_for_the_aws_answer() {
        let l = Limits { max_header_bytes: 1024, ..Limits::default() };
        assert_eq!(l.hard_header_bytes(), 1024 + 8 * 1024);
        let l = Limits { max_header_bytes: 64 * 1024, ..Limits::default() };
        assert_eq!(l.hard_header_bytes(), 128 * 1024);
    }
}
