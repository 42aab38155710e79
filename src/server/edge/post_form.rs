//! POST Object before s3s reads it: the form fields that precede the file are read (at most
//! [`MAX_FIELDS_BYTES`]) and the request is authenticated from them before a byte of the file is
//! accepted.
//!
//! s3s reads a form's whole file into memory before it checks who sent it, so an unsigned form of
//! any size would be buffered. Here a form without a signature is answered 403 `AccessDenied`, one
//! with an unknown access key 403 `InvalidAccessKeyId`, and one whose policy signature (SigV4, or
//! SigV2) does not verify 403 `SignatureDoesNotMatch`, each without reading the file; fields past the
//! limit get 400 `MaxPostPreDataLengthExceededError`. A form that passes is handed to s3s, which
//! checks the policy (expiration, conditions), with its file streamed past s3s to the handler
//! ([`super::post_file`]) unless the policy sets a minimum file size.

use aws_lc_rs::hmac;
use base64::Engine as _;
use subtle::ConstantTimeEq as _;

use crate::server::error::s3_error;

/// The most bytes of form fields read before the file part.
pub(super) const MAX_FIELDS_BYTES: usize = 20 * 1024;

/// The credentials POST policies must be signed with.
pub(super) struct PostCredentials {
    pub(super) access_key: String,
    pub(super) secret_key: zeroize::Zeroizing<String>,
}

/// The multipart boundary of a `multipart/form-data` content type.
pub(super) fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Where the file part is: the offset of its delimiter (where the fields end) and of its content,
/// once its headers are complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FilePart {
    pub(super) start: usize,
    pub(super) content: usize,
}

/// The file part of the start of a form, if its headers are complete.
pub(super) fn file_part(body: &[u8], boundary: &str) -> Option<FilePart> {
    let delimiter = format!("--{boundary}");
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&body[from..], delimiter.as_bytes()).map(|i| i + from) {
        let headers_start = at + delimiter.len();
        let headers_end = memchr::memmem::find(&body[headers_start..], b"\r\n\r\n")? + headers_start;
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]).to_ascii_lowercase();
        if headers.contains("name=\"file\"") {
            return Some(FilePart { start: at, content: headers_end + 4 });
        }
        from = headers_end;
    }
    None
}

/// Whether s3s may check the form's policy against an empty file, the file itself being streamed
/// past it: unless the policy sets a minimum size (then s3s reads the file, within the policy's
/// maximum). Also the largest file the policy allows.
pub(super) fn streamable(fields_bytes: &[u8], boundary: &str) -> (bool, Option<u64>) {
    let fields = fields(fields_bytes, boundary);
    let policy = fields.iter().find(|(n, _)| n.eq_ignore_ascii_case("policy")).map(|(_, v)| v.as_str());
    let range =
        policy.and_then(|p| s3s::post_policy::PostPolicy::from_base64(p).ok()).and_then(|p| p.content_length_range());
    (range.is_none_or(|(min, _)| min == 0), range.map(|(_, max)| max))
}

/// The fields of the start of a form (name, value), names as sent.
fn fields(body: &[u8], boundary: &str) -> Vec<(String, String)> {
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    text.split(delimiter.as_str())
        .filter_map(|part| {
            let (headers, value) = part.split_once("\r\n\r\n")?;
            let disposition = headers.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
            let name = disposition.split(';').find_map(|p| p.trim().strip_prefix("name="))?.trim_matches('"');
            Some((name.to_owned(), value.strip_suffix("\r\n").unwrap_or(value).to_owned()))
        })
        .collect()
}

fn access_denied() -> s3s::S3Error {
    s3_error(403, "AccessDenied", "Access Denied")
}

fn signature_mismatch() -> s3s::S3Error {
    s3_error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
}

fn unknown_access_key() -> s3s::S3Error {
    s3_error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
}

fn hmac_sign(algorithm: hmac::Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(algorithm, key), data).as_ref().to_vec()
}

/// The SigV4 signature of a policy: `hex(HMAC(signing key of date/region/service, policy))`.
fn sigv4_signature(secret_key: &str, scope: &[&str], policy: &str) -> String {
    let mut key = zeroize::Zeroizing::new(format!("AWS4{secret_key}").into_bytes());
    for part in scope {
        key = zeroize::Zeroizing::new(hmac_sign(hmac::HMAC_SHA256, &key, part.as_bytes()));
    }
    hex::encode(hmac_sign(hmac::HMAC_SHA256, &key, policy.as_bytes()))
}

/// Authenticates a form from the fields that precede its file part.
pub(super) fn authenticate(
    fields_bytes: &[u8],
    boundary: &str,
    credentials: &PostCredentials,
) -> Result<(), s3s::S3Error> {
    let fields = fields(fields_bytes, boundary);
    let field = |name: &str| fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let policy = field("policy").unwrap_or_default();
    let (access_key, expected, given) = if let Some(given) = field("x-amz-signature") {
        // AK/date/region/service/aws4_request
        let credential = field("x-amz-credential").ok_or_else(access_denied)?;
        let mut scope = credential.split('/');
        let access_key = scope.next().unwrap_or_default();
        let scope: Vec<&str> = scope.collect();
        if scope.len() != 4 || scope[3] != "aws4_request" {
            return Err(access_denied());
        }
        (access_key, sigv4_signature(&credentials.secret_key, &scope, policy), given)
    } else if let Some(given) = field("signature") {
        let access_key = field("AWSAccessKeyId").ok_or_else(access_denied)?;
        let mac = hmac_sign(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, credentials.secret_key.as_bytes(), policy.as_bytes());
        (access_key, base64::engine::general_purpose::STANDARD.encode(mac), given)
    } else {
        return Err(access_denied());
    };
    if access_key != credentials.access_key {
        return Err(unknown_access_key());
    }
    if bool::from(expected.as_bytes().ct_eq(given.trim().as_bytes())) { Ok(()) } else { Err(signature_mismatch()) }
}

/// 400 `MaxPostPreDataLengthExceededError`.
pub(super) fn fields_too_large() -> s3s::S3Error {
    s3_error(
        400,
        "MaxPostPreDataLengthExceededError",
        "Your POST request fields preceding the upload file were too large.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in fields {
            out.extend_from_slice(
                format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        out.extend_from_slice(b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nDATA");
        out
    }

    fn credentials() -> PostCredentials {
        PostCredentials { access_key: "AK".into(), secret_key: zeroize::Zeroizing::new("SECRET".into()) }
    }

    #[test]
    fn finds_the_boundary_and_the_file_part() {
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\"").as_deref(), Some("abc"));
        let body = form(&[("key", "k")]);
        let part = file_part(&body, "b").unwrap();
        assert!(body[part.start..].starts_with(b"--b\r\nContent-Disposition: form-data; name=\"file\""));
        assert_eq!(&body[part.content..], b"DATA");
        assert_eq!(file_part(&body[..body.len() - 8], "b"), None);
        assert_eq!(fields(&body[..part.start], "b"), vec![("key".to_owned(), "k".to_owned())]);
    }

    #[test]
    fn authenticates_from_the_fields() {
        let creds = credentials();
        let body = form(&[("key", "k")]);
        assert_eq!(authenticate(&body, "b", &creds).unwrap_err().code().as_str(), "AccessDenied");
        let scope = ["20260101", "us-east-1", "s3", "aws4_request"];
        let good = sigv4_signature("SECRET", &scope, "cG9saWN5");
        let signed = |access: &str, sig: &str| {
            form(&[
                ("policy", "cG9saWN5"),
                ("x-amz-credential", &format!("{access}/20260101/us-east-1/s3/aws4_request")),
                ("x-amz-signature", sig),
            ])
        };
        assert!(authenticate(&signed("AK", &good), "b", &creds).is_ok());
        let bad = authenticate(&signed("AK", &"0".repeat(64)), "b", &creds).unwrap_err();
        assert_eq!(bad.code().as_str(), "SignatureDoesNotMatch");
        let unknown = authenticate(&signed("OTHER", &good), "b", &creds).unwrap_err();
        assert_eq!(unknown.code().as_str(), "InvalidAccessKeyId");
    }
}
