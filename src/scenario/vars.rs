//! `${...}` variables in scenario strings.
//!
//! | variable | value |
//! |---|---|
//! | `${K.b64}` | key `K` as base64 (the `…-customer-key` header) |
//! | `${K.md5}` | base64 MD5 of key `K` (the `…-customer-key-MD5` header) |
//! | `${K.hex}` | key `K` as hex |
//! | `${K.b64-double}` | the base64 text of `K`, base64-encoded again (what a client that double-encodes sends) |
//! | `${K.md5-double}` | base64 MD5 of the base64 text of `K` (the MD5 matching `b64-double`) |
//! | `${size.B}` | byte length of body `B` |
//! | `${crc32.B}`, `${crc32c.B}`, `${crc64nvme.B}`, `${sha1.B}`, `${sha256.B}` | base64 checksum of body `B` |
//! | `${etag.E}` | the ETag saved as `E` by an earlier step (with quotes) |
//! | `${etag-unquoted.E}` | the same ETag without its quotes (as GetObjectAttributes writes it) |
//! | `${version.V}` | the version id saved as `V` by an earlier step |
//! | `${upload.U}` | the upload id saved as `U` by an earlier step |
//! | `${bucket}` | the scenario's bucket |

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use bytes::Bytes;

use super::model::{Algorithm, Scenario};
use crate::sse_c::{CustomerKey, key_md5_b64};

const KEY_FIELDS: [&str; 5] = ["b64", "md5", "hex", "b64-double", "md5-double"];

/// The variable names referenced by `text`, without `${` `}`.
#[must_use]
pub fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    out
}

/// Checks that a variable can be resolved in `scenario`, with the names `saved` so far (as
/// `etag.E`, `version.V`, `upload.U`).
pub fn check(var: &str, scenario: &Scenario, saved: &BTreeSet<String>) -> Result<(), String> {
    if var == "bucket" || var == "prefix" {
        return Ok(());
    }
    let (head, field) = var.split_once('.').ok_or_else(|| format!("unknown variable `${{{var}}}`"))?;
    match head {
        "size" if scenario.bodies.contains_key(field) => Ok(()),
        "size" => Err(format!("`${{{var}}}`: body `{field}` is not defined in `bodies`")),
        alg if Algorithm::parse(alg).is_some() && scenario.bodies.contains_key(field) => Ok(()),
        alg if Algorithm::parse(alg).is_some() => {
            Err(format!("`${{{var}}}`: body `{field}` is not defined in `bodies`"))
        }
        "etag" | "version" | "upload" if saved.contains(var) => Ok(()),
        "etag" | "version" | "upload" => Err(format!("`${{{var}}}`: `{field}` is not saved by an earlier step")),
        "etag-unquoted" if saved.contains(&format!("etag.{field}")) => Ok(()),
        "etag-unquoted" => Err(format!("`${{{var}}}`: `{field}` is not saved by an earlier step")),
        key if scenario.keys.contains_key(key) && KEY_FIELDS.contains(&field) => Ok(()),
        key if scenario.keys.contains_key(key) => {
            Err(format!("`${{{var}}}`: a key has fields {}", KEY_FIELDS.join(", ")))
        }
        _ => Err(format!(
            "`${{{var}}}`: `{head}` is not a key, `size`, a checksum algorithm, `etag`, `version` or `upload`"
        )),
    }
}

/// Values for expansion during a run.
#[derive(Debug, Default)]
pub struct Vars {
    /// Generated keys.
    pub keys: BTreeMap<String, CustomerKey>,
    /// Body sizes.
    pub sizes: BTreeMap<String, u64>,
    /// The plaintexts, for `${crc32.B}` and the other checksums.
    pub bodies: BTreeMap<String, Bytes>,
    /// Saved ETags.
    pub etags: BTreeMap<String, String>,
    /// Saved version ids.
    pub versions: BTreeMap<String, String>,
    /// Saved upload ids.
    pub uploads: BTreeMap<String, String>,
    /// ETags of the parts uploaded so far, per saved upload name.
    pub part_etags: BTreeMap<String, BTreeMap<u32, String>>,
    /// Checksums the parts' answers carried (`ChecksumCRC32` → value), per saved upload name.
    pub part_checksums: BTreeMap<String, BTreeMap<u32, Vec<(String, String)>>>,
    /// The scenario's bucket.
    pub bucket: String,
    /// The prefix of the scenario's object keys (empty unless sharing a bucket).
    pub prefix: String,
}

impl Vars {
    fn resolve(&self, var: &str) -> Option<String> {
        match var {
            "bucket" => return Some(self.bucket.clone()),
            "prefix" => return Some(self.prefix.clone()),
            _ => {}
        }
        let (head, field) = var.split_once('.')?;
        match head {
            "size" => self.sizes.get(field).map(u64::to_string),
            "etag" => self.etags.get(field).cloned(),
            "etag-unquoted" => self.etags.get(field).map(|e| e.trim_matches('"').to_owned()),
            "version" => self.versions.get(field).cloned(),
            "upload" => self.uploads.get(field).cloned(),
            key => {
                if let Some(a) = Algorithm::parse(key) {
                    return self.bodies.get(field).map(|b| a.compute(b));
                }
                let k = self.keys.get(key)?;
                let b64 = k.to_base64();
                Some(match field {
                    "b64" => b64.to_string(),
                    "md5" => k.md5_b64(),
                    "hex" => hex::encode(k.expose()),
                    "b64-double" => B64.encode(b64.as_bytes()),
                    "md5-double" => key_md5_b64(b64.as_bytes()),
                    _ => return None,
                })
            }
        }
    }

    /// Replaces every `${...}` in `text`.
    pub fn expand(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("unclosed `${{` in `{text}`"))?;
            let var = &after[..end];
            out.push_str(&self.resolve(var).ok_or_else(|| format!("`${{{var}}}` has no value yet"))?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_keys_and_sizes() {
        let mut v = Vars::default();
        v.keys.insert("a".into(), CustomerKey::from_bytes([0; 32]));
        v.sizes.insert("d".into(), 42);
        assert_eq!(references("x ${a.md5} y ${size.d}"), vec!["a.md5", "size.d"]);
        assert_eq!(v.expand("bytes=0-${size.d}").unwrap(), "bytes=0-42");
        assert_eq!(v.expand("${a.hex}").unwrap(), "0".repeat(64));
        assert!(v.expand("${etag.x}").is_err());
        assert!(v.expand("${etag-unquoted.x}").is_err());
        v.etags.insert("p".into(), "\"abc\"".into());
        assert_eq!(v.expand("${etag.p} ${etag-unquoted.p}").unwrap(), "\"abc\" abc");
    }
}
