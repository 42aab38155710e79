//! Entry points of the fuzz targets (`fuzz/fuzz_targets/*.rs`), shared with the stable replay of
//! committed crash inputs (`tests/fuzz_regressions.rs`) and the property tests (`tests/properties.rs`).
//!
//! **Not a stable interface**: everything here exists for testing and may change at any time. It is
//! compiled only with the `fuzzing` feature, which the fuzz crate enables and which the test targets
//! get through the crate's dev-dependency on itself.
//!
//! Each target is `pub fn <target>(data: &[u8])`: it decodes the bytes with [`arbitrary`] into a
//! structured case, and hands it to `check_<target>`, which panics when an oracle fails. The oracles:
//!
//! - [`sse_c_headers`]: `validate_write`/`validate_read` agree with [`model_write`]/[`model_read`], an
//!   independent rewrite of the catalogue order (section B.3/B.4), own strict base64 included; errors
//!   carry the catalogue status and code and never the key.
//! - [`sigv4_auth`]: the s3s service of the reference server, called in-process, never panics, never
//!   answers 5xx (but 501 `NotImplemented`, s3s's answer to unsupported signing variants), accepts what
//!   our client signed, and refuses (non-2xx) any signed request with one byte changed, and any
//!   garbage signature.
//! - [`aws_chunked`]: an aws-chunked body built by [`encode_chunked`] (chunk and trailer signatures
//!   from aws-sigv4, independent of s3s) round-trips exactly; a corrupted one is refused or stores
//!   exactly the intended data.
//! - [`s3_xml`]: CompleteMultipartUpload, DeleteObjects and PutBucketVersioning bodies never panic
//!   and never get a 5xx.
//! - [`scenario_load`]: scenario and profile text is loaded or refused with a located message, never
//!   a panic (memory is bounded by the fuzz target's allocator).
//! - [`server_ops`]: a sequence of S3 operations against a started [`crate::ReferenceServer`], with a
//!   model of what each object holds and under which key: no 5xx, the right key reads back exactly
//!   what was stored, a wrong or missing key never gets a 2xx nor plaintext, no key in any response.
//! - [`sse_c_echo`]: arbitrary bytes around a fixed key in the SSE-C header values, answered by the
//!   server's answer path (the edge's rewrite included): no 5xx, no form of the key in the answer.
#![cfg(feature = "fuzzing")]

mod aws_chunked;
mod harness;
mod model;
mod s3_xml;
mod scenario_load;
mod server_ops;
mod sigv4_auth;
mod sse_c_echo;
mod sse_c_headers;

pub use self::aws_chunked::*;
pub use self::harness::*;
pub use self::model::*;
pub use self::s3_xml::*;
pub use self::scenario_load::*;
pub use self::server_ops::*;
pub use self::sigv4_auth::*;
pub use self::sse_c_echo::*;
pub use self::sse_c_headers::*;

/// One cargo-fuzz target of `fuzz/`.
#[derive(Debug, Clone, Copy)]
pub struct FuzzTarget {
    /// Its name: the binary in `fuzz/Cargo.toml`, `fuzz/fuzz_targets/<name>.rs`, and the folders
    /// `fuzz/corpus/<name>/`, `fuzz/regressions/<name>/` and `fuzz/dictionaries/<name>.dict`.
    pub name: &'static str,
    /// The entry point the target and the stable replay call.
    pub entry: fn(&[u8]),
    /// What an input decodes to (see [`describe_as`]), for the check that committed inputs still
    /// decode to the cases they were committed for.
    pub describe: fn(&[u8]) -> String,
    /// Structured inputs that are useful long from the start: run with `-max_len=8192 -len_control=0`.
    pub long_inputs: bool,
}

/// Every fuzz target. The other lists of targets (`fuzz/Cargo.toml`, `scripts/fuzz-ci.sh`, the
/// nightly workflow, `fuzz/README.md`, the replay tests) are checked against this one by
/// `tests/fuzz_regressions.rs`.
pub const TARGETS: &[FuzzTarget] = &[
    FuzzTarget { name: "sse_c_headers", entry: sse_c_headers, describe: describe_as::<HeaderCase>, long_inputs: false },
    FuzzTarget { name: "sigv4_auth", entry: sigv4_auth, describe: describe_as::<AuthCase>, long_inputs: true },
    FuzzTarget { name: "aws_chunked", entry: aws_chunked, describe: describe_as::<ChunkedCase>, long_inputs: true },
    FuzzTarget { name: "s3_xml", entry: s3_xml, describe: describe_as::<XmlCase>, long_inputs: true },
    FuzzTarget { name: "scenario_load", entry: scenario_load, describe: describe_text, long_inputs: false },
    FuzzTarget { name: "server_ops", entry: server_ops, describe: describe_as::<OpsCase>, long_inputs: true },
    FuzzTarget { name: "sse_c_echo", entry: sse_c_echo, describe: describe_as::<EchoCase>, long_inputs: false },
    FuzzTarget {
        name: "server_ops_https",
        entry: server_ops_https,
        describe: describe_as::<OpsCase>,
        long_inputs: true,
    },
];
