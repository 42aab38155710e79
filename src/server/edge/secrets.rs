//! SSE-C header values on their way into s3s, so that no answer and no log line ever quotes a key.
//!
//! - Both key headers are marked sensitive ([`http::HeaderValue::set_sensitive`]): their `Debug`
//!   output, which s3s uses in its error messages and logs, reads `Sensitive` instead of the value.
//! - s3s refuses a header value that is not visible ASCII (a BOM, a non-breaking space, raw binary)
//!   with its own error, `invalid header: NAME: VALUE`. For the six SSE-C headers the edge replaces
//!   that answer with AWS's answer for the same fault, computed by the catalogue's rules from the
//!   value read lossily: for a key, 400 `InvalidArgument` "The secret key was invalid for the
//!   specified algorithm." with `ArgumentName` `x-amz-server-side-encryption` (P8), as for any key
//!   that is not base64.
//! - s3s refuses a POST form whose policy condition fails with a message that quotes the field's
//!   value. For an SSE-C field (the key, its MD5) the edge replaces that message with one that
//!   names the field only: `Invalid according to Policy: Policy Condition failed on $FIELD`.

use http::HeaderMap;

use crate::server::error::s3_error;
use crate::sse_c::headers::{COPY_SOURCE_KEY, KEY, is_sse_c_header};
use crate::sse_c::rules::validate_write;
use crate::sse_c::{RawTriple, SseCError, TripleKind};

/// Marks the values of both key headers sensitive.
pub(super) fn mark_keys_sensitive(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if name.as_str() == KEY || name.as_str() == COPY_SOURCE_KEY {
            value.set_sensitive(true);
        }
    }
}

/// AWS's answer to a request whose SSE-C triple holds a value s3s cannot parse, if it does.
pub(super) fn unparsable_triple_answer(headers: &HeaderMap) -> Option<s3s::S3Error> {
    [TripleKind::Request, TripleKind::CopySource].into_iter().find_map(|kind| {
        let unparsable =
            kind.names().iter().any(|name| headers.get_all(*name).iter().any(|value| value.to_str().is_err()));
        unparsable.then(|| {
            let lossy = RawTriple::from_headers(headers, kind);
            validate_write(&lossy, None).err().unwrap_or(SseCError::InvalidKey).into()
        })
    })
}

/// Whether an s3s error message is its refusal of an SSE-C header value.
pub(super) fn is_sse_c_parse_error(message: &str) -> bool {
    message.strip_prefix("invalid header: ").is_some_and(|rest| {
        rest.starts_with("x-amz-server-side-encryption-customer-")
            || rest.starts_with("x-amz-copy-source-server-side-encryption-customer-")
    })
}

/// The answer to a POST form refused by s3s because a policy condition on an SSE-C field failed
/// (`message` quotes the field's value), if `message` is that refusal: the same code, naming the field
/// but no value.
pub(super) fn policy_condition_answer(message: &str) -> Option<s3s::S3Error> {
    let field = message.strip_prefix("Policy condition '")?.split_once("' for field '")?.1.split_once("' failed")?.0;
    is_sse_c_header(&field.to_ascii_lowercase()).then(|| {
        s3_error(
            400,
            "InvalidPolicyDocument",
            format!("Invalid according to Policy: Policy Condition failed on ${field}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_as_sensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(KEY, http::HeaderValue::from_static("c2VjcmV0LWtleS1ieXRlcw=="));
        headers.insert(COPY_SOURCE_KEY, http::HeaderValue::from_static("b3RoZXItc2VjcmV0LWtleQ=="));
        mark_keys_sensitive(&mut headers);
        let printed = format!("{headers:?}");
        assert!(!printed.contains("c2VjcmV0") && !printed.contains("b3RoZXIt"), "{printed}");
        assert_eq!(printed.matches("Sensitive").count(), 2, "{printed}");
    }

    #[test]
    fn unparsable_key_is_answered_as_an_invalid_key() {
        let mut headers = HeaderMap::new();
        headers.insert(crate::sse_c::headers::ALGORITHM, http::HeaderValue::from_static("AES256"));
        headers.insert(KEY, http::HeaderValue::from_bytes(b"\xef\xbb\xbfkey").unwrap());
        headers.insert(crate::sse_c::headers::KEY_MD5, http::HeaderValue::from_static("bWQ1"));
        let e = unparsable_triple_answer(&headers).unwrap();
        assert_eq!(e.code().as_str(), "InvalidArgument");
        assert_eq!(e.message(), Some("The secret key was invalid for the specified algorithm."));
        headers.insert(KEY, http::HeaderValue::from_static("a2V5"));
        assert!(unparsable_triple_answer(&headers).is_none());
        assert!(is_sse_c_parse_error("invalid header: x-amz-server-side-encryption-customer-key: Sensitive"));
        assert!(!is_sse_c_parse_error("invalid header: x-amz-date: \"x\""));
    }
}
