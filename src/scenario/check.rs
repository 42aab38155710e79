//! The automatic checks run on every response of every scenario, by name: what a profile's
//! `waive:` list names, and what each one's findings are worth.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::grade::{Field, HeaderFault};
use crate::report::model::FindingSeverity;
use crate::sse_c::headers::{ALGORITHM, KEY_MD5};

/// One automatic check, run on every response of every scenario (see `security` for how each is
/// made), named by the property it holds the endpoint to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// No customer key (base64, hex or raw, or any key text the request sent) in any response
    /// header or body.
    KeyNotEchoed,
    /// A successful SSE-C request is answered with `AES256` and the request's key MD5.
    SseCHeadersEchoed,
    /// The ETag of an SSE-C object is not the MD5 of its plaintext.
    EtagNotPlaintextMd5,
    /// A HEAD error has no body on the wire.
    HeadErrorHasNoBody,
    /// An SSE-C object (or version) is never read without its key.
    ReadNeedsKey,
    /// An SSE-C object is never copied without its key.
    CopySourceNeedsKey,
    /// No checksum of an SSE-C plaintext is served without the key, nor in a listing.
    ChecksumNeedsKey,
}

impl Check {
    /// Every check.
    pub const ALL: [Self; 7] = [
        Self::KeyNotEchoed,
        Self::SseCHeadersEchoed,
        Self::EtagNotPlaintextMd5,
        Self::HeadErrorHasNoBody,
        Self::ReadNeedsKey,
        Self::CopySourceNeedsKey,
        Self::ChecksumNeedsKey,
    ];

    /// The kebab-case name profiles and reports use.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::KeyNotEchoed => "key-not-echoed",
            Self::SseCHeadersEchoed => "sse-c-headers-echoed",
            Self::EtagNotPlaintextMd5 => "etag-not-plaintext-md5",
            Self::HeadErrorHasNoBody => "head-error-has-no-body",
            Self::ReadNeedsKey => "read-needs-key",
            Self::CopySourceNeedsKey => "copy-source-needs-key",
            Self::ChecksumNeedsKey => "checksum-needs-key",
        }
    }

    /// How much a finding of this check matters: a missing echo or a HEAD error body breaks
    /// clients; the others expose keys or data.
    #[must_use]
    pub fn severity(self) -> FindingSeverity {
        match self {
            Self::SseCHeadersEchoed | Self::HeadErrorHasNoBody => FindingSeverity::Conformance,
            Self::KeyNotEchoed
            | Self::EtagNotPlaintextMd5
            | Self::ReadNeedsKey
            | Self::CopySourceNeedsKey
            | Self::ChecksumNeedsKey => FindingSeverity::Security,
        }
    }

    /// Whether the check is about every object of an endpoint that fails it (its ETags, its echo
    /// headers) rather than about one request: a profile waives such a check once, and names the
    /// findings of the others scenario by scenario, so that a new leak is never waived unseen.
    #[must_use]
    pub fn pervasive(self) -> bool {
        matches!(self, Self::EtagNotPlaintextMd5 | Self::SseCHeadersEchoed)
    }

    /// The case of the behaviour catalogue the check enforces.
    #[must_use]
    pub fn case(self) -> &'static str {
        match self {
            Self::KeyNotEchoed => "D.1",
            Self::SseCHeadersEchoed => "D.3",
            Self::EtagNotPlaintextMd5 => "D.4",
            Self::HeadErrorHasNoBody => "H2",
            Self::ReadNeedsKey | Self::CopySourceNeedsKey => "D.7",
            Self::ChecksumNeedsKey => "K5",
        }
    }
}

/// The check whose property a scenario's expectation restates, if any: an ETag that must not be
/// the plaintext's MD5, or a missing or other SSE-C echo header. When that check fires on the same
/// answer, the expectation's mismatch belongs to the check's finding, and a waiver of the check
/// covers it too.
#[must_use]
pub fn restated_by(field: &Field) -> Option<Check> {
    match field {
        Field::EtagIsPlaintextMd5 => Some(Check::EtagNotPlaintextMd5),
        Field::Header(name, HeaderFault::Missing | HeaderFault::Differs)
            if name.eq_ignore_ascii_case(ALGORITHM) || name.eq_ignore_ascii_case(KEY_MD5) =>
        {
            Some(Check::SseCHeadersEchoed)
        }
        _ => None,
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One automatic check that failed on one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which check.
    pub check: Check,
    /// What happened, in one line.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_restating_a_check() {
        let header = |name: &str, fault| Field::Header(name.to_owned(), fault);
        assert_eq!(restated_by(&Field::EtagIsPlaintextMd5), Some(Check::EtagNotPlaintextMd5));
        assert_eq!(restated_by(&Field::Etag), None);
        let md5 = "x-amz-server-side-encryption-customer-key-MD5";
        assert_eq!(restated_by(&header(md5, HeaderFault::Missing)), Some(Check::SseCHeadersEchoed));
        assert_eq!(restated_by(&header(ALGORITHM, HeaderFault::Differs)), Some(Check::SseCHeadersEchoed));
        assert_eq!(restated_by(&header(ALGORITHM, HeaderFault::Unexpected)), None, "an echo where none is due");
        assert_eq!(restated_by(&header("content-length", HeaderFault::Missing)), None);
    }

    #[test]
    fn names_are_the_serde_names() {
        for check in Check::ALL {
            assert_eq!(serde_json::to_value(check).unwrap(), serde_json::Value::from(check.name()));
        }
    }
}
