//! The SSE-C validation rules of the behaviour catalogue, as typed errors that carry their AWS answer.
//!
//! Write side (PutObject, CreateMultipartUpload, UploadPart, copy destination), catalogue section B.3:
//! conflict with `x-amz-server-side-encryption` (P9, P10) → algorithm present (P5) and `AES256` (P6) →
//! key present (P4) → key is base64 of 32 bytes (P7, P8) → key MD5 present (P3) → MD5 matches (P2).
//!
//! Read side (GetObject, HeadObject, copy source), section B.4: the object's state is checked by the
//! caller first (G2, G7); then the algorithm (G6), key and MD5 presence, the MD5 (G5), and finally the
//! key is matched against the object, where a key of the wrong length is simply a wrong key (G4: 403).

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use super::headers::{AES256, RawTriple};
use super::key::{CustomerKey, key_md5_b64};

/// Strict standard base64: canonical padding required, no whitespace, no URL-safe alphabet.
const STRICT_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// The `ArgumentName` AWS reports for every SSE-C argument error (catalogue section 0.3).
pub const ARGUMENT_NAME: &str = "x-amz-server-side-encryption";

/// Everything that can be wrong with the SSE-C part of a request, each with its AWS answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseCError {
    /// P9, P10, C6: SSE-C together with `x-amz-server-side-encryption`.
    #[error("Server Side Encryption with Customer provided key is incompatible with the encryption method specified")]
    IncompatibleEncryption {
        /// The `x-amz-server-side-encryption` value sent.
        value: String,
    },
    /// P5: key or MD5 without an algorithm.
    #[error(
        "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."
    )]
    MissingAlgorithm,
    /// P6, G6, C5: an algorithm other than `AES256`.
    #[error("The Encryption request you specified is not valid. Supported value: AES256.")]
    InvalidAlgorithm {
        /// The algorithm value sent.
        value: String,
    },
    /// P4: algorithm without a key.
    #[error(
        "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."
    )]
    MissingKey,
    /// P7, P8: the key is not base64 of exactly 32 bytes.
    #[error("The secret key was invalid for the specified algorithm.")]
    InvalidKey,
    /// P3: no key MD5. AWS was not observed (clients always fill it); this is MinIO's text, which
    /// matches AWS word for word wherever both are known.
    #[error(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."
    )]
    MissingKeyMd5,
    /// P2, G5: the MD5 does not match the key.
    #[error("The calculated MD5 hash of the key did not match the hash that was provided.")]
    KeyMd5Mismatch,
    /// G3, G4, H3, C7: a well-formed key that is not the object's key.
    #[error(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."
    )]
    WrongKey,
    /// G2, H2, C4: an SSE-C object read without SSE-C parameters.
    #[error(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
    )]
    ObjectEncrypted,
    /// G7, C8, P15: SSE-C parameters for an object that is not SSE-C, or copy-source parameters
    /// without a copy.
    #[error("The encryption parameters are not applicable to this object.")]
    NotApplicable,
    /// P11: SSE-C over plain HTTP.
    #[error(
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."
    )]
    InsecureTransport,
    /// M3, M6: a part whose SSE-C state differs from the multipart upload's.
    #[error(
        "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."
    )]
    MultipartEncryptionMismatch,
    /// M4, C10: a valid key that is not the one used originally.
    #[error("The provided encryption parameters did not match the ones used originally.")]
    ParametersMismatch,
}

impl SseCError {
    /// The HTTP status AWS answers with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::WrongKey => 403,
            _ => 400,
        }
    }

    /// The AWS error `Code`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidAlgorithm { .. } => "InvalidEncryptionAlgorithmError",
            Self::WrongKey => "AccessDenied",
            Self::ObjectEncrypted
            | Self::NotApplicable
            | Self::InsecureTransport
            | Self::MultipartEncryptionMismatch
            | Self::ParametersMismatch => "InvalidRequest",
            Self::IncompatibleEncryption { .. }
            | Self::MissingAlgorithm
            | Self::MissingKey
            | Self::InvalidKey
            | Self::MissingKeyMd5
            | Self::KeyMd5Mismatch => "InvalidArgument",
        }
    }

    /// `(ArgumentName, ArgumentValue)` of the error body, if AWS sends them (catalogue B.9): the name for
    /// every argument error, the value only for the algorithm and the conflicting SSE header, never
    /// anything derived from the key.
    #[must_use]
    pub fn argument(&self) -> Option<(&'static str, Option<&str>)> {
        match self {
            Self::IncompatibleEncryption { value } | Self::InvalidAlgorithm { value } => {
                Some((ARGUMENT_NAME, Some(value.as_str())))
            }
            Self::MissingAlgorithm
            | Self::MissingKey
            | Self::InvalidKey
            | Self::MissingKeyMd5
            | Self::KeyMd5Mismatch => Some((ARGUMENT_NAME, None)),
            _ => None,
        }
    }
}

/// A triple that passed validation: a 32-byte key and the MD5 the client sent (which matches it).
#[derive(Debug, Clone)]
pub struct ValidTriple {
    /// The customer key.
    pub key: CustomerKey,
    /// The client's key MD5, echoed in responses.
    pub key_md5: String,
}

/// A triple presented to read an object: the MD5 matched the key bytes, but the key may have any
/// length; `None` means it cannot be the object's key (G4).
#[derive(Debug)]
pub struct ReadTriple {
    /// The key, when it is 32 bytes long.
    pub key: Option<CustomerKey>,
    /// The client's key MD5, echoed in responses.
    pub key_md5: String,
}

fn check_algorithm(raw: &RawTriple) -> Result<(), SseCError> {
    match raw.algorithm.as_deref() {
        None => Err(SseCError::MissingAlgorithm),
        Some(AES256) => Ok(()),
        Some(other) => Err(SseCError::InvalidAlgorithm { value: other.to_owned() }),
    }
}

fn decode_key(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    STRICT_B64.decode(text).ok().map(Zeroizing::new)
}

fn to_customer_key(bytes: &[u8]) -> Option<CustomerKey> {
    let arr: [u8; 32] = bytes.try_into().ok()?;
    let key = CustomerKey::from_bytes(arr);
    let mut arr = arr;
    zeroize::Zeroize::zeroize(&mut arr);
    Some(key)
}

/// Validates the triple of a write. `Ok(None)` means no SSE-C was requested.
///
/// `sse_header` is the value of `x-amz-server-side-encryption`, if sent: with any SSE-C header it is a
/// conflict that wins over every other fault (P9, AWS-observed even with an invalid algorithm).
pub fn validate_write(raw: &RawTriple, sse_header: Option<&str>) -> Result<Option<ValidTriple>, SseCError> {
    if raw.is_absent() {
        return Ok(None);
    }
    if let Some(value) = sse_header {
        return Err(SseCError::IncompatibleEncryption { value: value.to_owned() });
    }
    check_algorithm(raw)?;
    let key_text = raw.key.as_ref().ok_or(SseCError::MissingKey)?;
    let bytes = decode_key(key_text).ok_or(SseCError::InvalidKey)?;
    let key = to_customer_key(&bytes).ok_or(SseCError::InvalidKey)?;
    let md5 = raw.key_md5.as_ref().ok_or(SseCError::MissingKeyMd5)?;
    if key.md5_b64() != *md5 {
        return Err(SseCError::KeyMd5Mismatch);
    }
    Ok(Some(ValidTriple { key, key_md5: md5.clone() }))
}

/// Validates the triple presented to read an SSE-C object; the caller has already established that
/// the object is SSE-C and that the triple is not absent.
///
/// A key that is not base64 at all is answered 400 `InvalidArgument` "secret key was invalid" (P8:
/// AWS not observed; the P7 family is the most defensible answer, and it reveals nothing about the
/// object).
pub fn validate_read(raw: &RawTriple) -> Result<ReadTriple, SseCError> {
    check_algorithm(raw)?;
    let key_text = raw.key.as_ref().ok_or(SseCError::MissingKey)?;
    let md5 = raw.key_md5.as_ref().ok_or(SseCError::MissingKeyMd5)?;
    let bytes = decode_key(key_text).ok_or(SseCError::InvalidKey)?;
    if key_md5_b64(&bytes) != *md5 {
        return Err(SseCError::KeyMd5Mismatch);
    }
    Ok(ReadTriple { key: to_customer_key(&bytes), key_md5: md5.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const K_A: &str = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=";
    const K_A_MD5: &str = "DWygnHRtgiJ77HCm+1rvHw==";

    fn triple(alg: Option<&str>, key: Option<&str>, md5: Option<&str>) -> RawTriple {
        RawTriple {
            algorithm: alg.map(str::to_owned),
            key: key.map(|k| Zeroizing::new(k.to_owned())),
            key_md5: md5.map(str::to_owned),
        }
    }

    #[test]
    fn write_rules_follow_catalogue_order() {
        let ok = validate_write(&triple(Some("AES256"), Some(K_A), Some(K_A_MD5)), None).unwrap();
        assert_eq!(ok.unwrap().key_md5, K_A_MD5);
        let cases: &[(RawTriple, Option<&str>, SseCError)] = &[
            (
                triple(Some("KMS"), Some(K_A), Some(K_A_MD5)),
                Some("AES256"),
                SseCError::IncompatibleEncryption { value: "AES256".into() },
            ),
            (triple(None, Some(K_A), Some(K_A_MD5)), None, SseCError::MissingAlgorithm),
            (
                triple(Some("aes256"), Some(K_A), Some(K_A_MD5)),
                None,
                SseCError::InvalidAlgorithm { value: "aes256".into() },
            ),
            (triple(Some("AES256"), None, Some(K_A_MD5)), None, SseCError::MissingKey),
            (triple(Some("AES256"), Some("c2hvcnQ="), Some("x")), None, SseCError::InvalidKey),
            (triple(Some("AES256"), Some(&format!("{K_A} ")), Some(K_A_MD5)), None, SseCError::InvalidKey),
            (triple(Some("AES256"), Some(K_A), None), None, SseCError::MissingKeyMd5),
            (triple(Some("AES256"), Some(K_A), Some("LZHe5m3jZJdfxjptzJ7/DA==")), None, SseCError::KeyMd5Mismatch),
        ];
        for (raw, sse, want) in cases {
            assert_eq!(validate_write(raw, *sse).unwrap_err(), *want, "{raw:?}");
        }
    }

    #[test]
    fn read_rules_treat_wrong_length_as_wrong_key() {
        let long = base64::engine::general_purpose::STANDARD.encode([1u8; 44]);
        let md5 = key_md5_b64(&[1u8; 44]);
        let read = validate_read(&triple(Some("AES256"), Some(&long), Some(&md5))).unwrap();
        assert!(read.key.is_none());
        let err = validate_write(&triple(Some("AES256"), Some(&long), Some(&md5)), None).unwrap_err();
        assert_eq!((err.status(), err.code()), (400, "InvalidArgument"));
    }

    #[test]
    fn arguments_never_carry_the_key() {
        assert_eq!(SseCError::InvalidKey.argument(), Some((ARGUMENT_NAME, None)));
        assert_eq!(SseCError::WrongKey.argument(), None);
        assert_eq!((SseCError::WrongKey.status(), SseCError::WrongKey.code()), (403, "AccessDenied"));
    }
}
