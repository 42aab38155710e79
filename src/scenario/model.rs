//! The scenario file format: serde types, from which the committed JSON Schema is generated.
//!
//! A scenario is one YAML file under `scenarios/<area>/`. See `scenarios/README.md` for the manual.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::server::checksum::{Algorithm, Kind};

/// One scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scenario {
    /// One sentence: what is sent and what must come back.
    pub title: String,
    /// Case ids of the behaviour catalogue this scenario checks (e.g. `G3`).
    pub cases: Vec<String>,
    /// How strictly the answer is graded.
    pub level: Level,
    /// Capabilities the endpoint needs; a profile lacking one grades the scenario `unsupported`.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Free-form tags for `--tag` selection.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Customer keys, generated fresh for every run unless fixed.
    #[serde(default)]
    pub keys: BTreeMap<String, KeySpec>,
    /// Named plaintexts, generated once per run.
    #[serde(default)]
    pub bodies: BTreeMap<String, BodySpec>,
    /// The requests, in order.
    #[schemars(with = "Vec<Step>")]
    pub steps: Vec<serde_saphyr::Spanned<Step>>,
}

/// Grading level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// AWS was observed or documented: a wrong status or code fails.
    Must,
    /// Expected of a careful implementation: a wrong code is `non-strict`, a wrong status fails.
    Should,
    /// AWS was not observed: the answer is recorded as `info` (security properties still fail).
    Info,
}

/// How a customer key is made.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeySpec {
    /// 32 random bytes.
    Random,
    /// A fixed key, given as base64 of its 32 bytes (for catalogue fixtures).
    #[serde(untagged)]
    Fixed(String),
}

/// A plaintext body.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub enum BodySpec {
    /// That many random bytes; a size like `13`, `1KiB`, `5MiB+1`.
    Random(String),
    /// This exact UTF-8 text.
    Text(String),
    /// Other bodies of the scenario, one after the other (a multipart object's parts).
    Concat(Vec<String>),
}

/// One request and what must come back. Exactly one operation field is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Step {
    /// PutObject.
    pub put: Option<Request>,
    /// GetObject.
    pub get: Option<Request>,
    /// HeadObject.
    pub head: Option<Request>,
    /// DeleteObject.
    pub delete: Option<Request>,
    /// ListObjectsV2 of the scenario's bucket (`query` may add `prefix` etc.).
    pub list: Option<Request>,
    /// CopyObject from `copy-source` to `key`.
    pub copy: Option<Request>,
    /// CreateMultipartUpload; name the upload with `save-upload`.
    pub create_multipart: Option<Request>,
    /// UploadPart of `upload` with number `part`.
    pub upload_part: Option<Request>,
    /// UploadPartCopy of `copy-source` (optionally `copy-source-range`) into `upload` as `part`.
    pub upload_part_copy: Option<Request>,
    /// CompleteMultipartUpload of `upload` with `parts` (default: every part uploaded, ETags as
    /// returned).
    pub complete: Option<Request>,
    /// AbortMultipartUpload of `upload`.
    pub abort: Option<Request>,
    /// ListParts of `upload`.
    pub list_parts: Option<Request>,
    /// POST Object: a browser form upload with a signed policy allowing the SSE-C form fields.
    pub post: Option<Request>,
    /// A request built field by field: any method, path, query and headers.
    pub raw: Option<RawRequest>,
    /// An OpenStack Swift request on the scenario's container (requires `swift`).
    pub swift: Option<SwiftRequest>,
    /// What the answer must be.
    pub expect: Expect,
    /// Remember the response's ETag under this name (`${etag.NAME}`).
    pub save_etag: Option<String>,
    /// Remember the response's `x-amz-version-id` under this name (`${version.NAME}`).
    pub save_version: Option<String>,
    /// Remember the UploadId of a CreateMultipartUpload under this name (`upload: NAME`,
    /// `${upload.NAME}`).
    pub save_upload: Option<String>,
}

impl Step {
    /// The operation and its request, for every operation field set on a step (`raw` has no
    /// [`Request`] and is listed with `None`).
    #[must_use]
    pub fn operations(&self) -> Vec<(&'static str, Option<&Request>)> {
        let fields = [
            &self.put,
            &self.get,
            &self.head,
            &self.delete,
            &self.list,
            &self.copy,
            &self.create_multipart,
            &self.upload_part,
            &self.upload_part_copy,
            &self.complete,
            &self.abort,
            &self.list_parts,
            &self.post,
        ];
        let mut out: Vec<(&'static str, Option<&Request>)> =
            ALL_OPS.iter().zip(fields).filter_map(|(name, r)| r.as_ref().map(|r| (*name, Some(r)))).collect();
        if self.raw.is_some() {
            out.push(("raw", None));
        }
        if self.swift.is_some() {
            out.push(("swift", None));
        }
        out
    }
}

/// The common fields of an S3 object request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Request {
    /// Object key (relative to the scenario's key prefix).
    pub key: Option<String>,
    /// PutObject body: the name of a `bodies` entry, or an inline body.
    pub body: Option<BodyRef>,
    /// The SSE-C triple: a key name, or a faulted triple.
    pub sse_c: Option<SseCSpec>,
    /// `Range` header, e.g. `bytes=0-99` (`${size.BODY}` may be used).
    pub range: Option<String>,
    /// Extra request headers; values may use `${...}` variables.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Query parameters, e.g. `partNumber: "1"`.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Headers added after signing, so they are not covered by the signature (PS3).
    #[serde(default)]
    pub unsigned_headers: BTreeMap<String, String>,
    /// Send over plain HTTP instead of HTTPS.
    #[serde(default)]
    pub plain_http: bool,
    /// Authenticate with a presigned URL valid this many seconds instead of the Authorization header;
    /// the SSE-C headers are signed and sent alongside.
    pub presign: Option<u64>,
    /// Copies: the source object key (relative to the scenario's prefix, in the same bucket).
    pub copy_source: Option<String>,
    /// Copies: the source version id (e.g. `${version.v1}`).
    pub copy_source_version: Option<String>,
    /// Copies: the copy-source SSE-C triple, a key name or a faulted triple.
    pub copy_source_sse_c: Option<SseCSpec>,
    /// UploadPartCopy: `x-amz-copy-source-range`, e.g. `bytes=0-5242879`.
    pub copy_source_range: Option<String>,
    /// Multipart: the upload, as saved by `save-upload`.
    pub upload: Option<String>,
    /// Multipart: the part number.
    pub part: Option<u32>,
    /// CompleteMultipartUpload: the part numbers to list (default: all uploaded, in order).
    pub parts: Option<Vec<u32>>,
    /// PutObject, UploadPart: a flexible checksum of the body, in a header or a trailer.
    pub checksum: Option<ChecksumSpec>,
    /// GetObject, HeadObject: send `x-amz-checksum-mode: ENABLED`.
    #[serde(default)]
    pub checksum_mode: bool,
    /// CreateMultipartUpload, CopyObject: `x-amz-checksum-algorithm`.
    pub checksum_algorithm: Option<Algorithm>,
    /// CreateMultipartUpload: `x-amz-checksum-type` (`FULL_OBJECT` or `COMPOSITE`).
    pub checksum_type: Option<Kind>,
    /// How the signature covers the body (default `signed`; `streaming-unsigned-trailer` when the
    /// checksum is a trailer).
    pub payload: Option<PayloadMode>,
    /// Streaming payloads: bytes of body per chunk, a size like `64KiB` or `256KiB+1` (default 64KiB).
    pub chunk_size: Option<String>,
}

/// A flexible checksum sent with a body.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChecksumSpec {
    /// The algorithm: `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1` or `SHA256`.
    pub algorithm: Algorithm,
    /// Send it as an aws-chunked trailer instead of a header.
    #[serde(default)]
    pub trailer: bool,
    /// Send this value instead of the body's checksum (a wrong checksum); `${...}` variables expand.
    pub value: Option<String>,
}

/// How a request's signature covers its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PayloadMode {
    /// `x-amz-content-sha256` is the body's SHA-256.
    Signed,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked, every chunk signed.
    StreamingSigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned, checksum in a trailer.
    StreamingUnsignedTrailer,
}

/// A body by name or inline.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BodyRef {
    /// A `bodies` entry.
    Named(String),
    /// An inline body.
    Inline(BodySpec),
}

/// The SSE-C headers of a request.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SseCSpec {
    /// The correct triple of a named key.
    Key(String),
    /// A triple built from a key with fields replaced or omitted.
    Custom(CustomTriple),
}

/// A triple with faults: start from `key` (if given), then replace and omit fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CustomTriple {
    /// The key the triple starts from.
    pub key: Option<String>,
    /// Replacement algorithm header value.
    pub algorithm: Option<String>,
    /// Replacement key header value (base64 text as sent).
    pub key_b64: Option<String>,
    /// Replacement key-MD5 header value.
    pub md5: Option<String>,
    /// Headers to leave out.
    #[serde(default)]
    pub omit: Vec<TripleField>,
}

/// A field of an SSE-C triple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TripleField {
    /// `…-customer-algorithm`
    Algorithm,
    /// `…-customer-key`
    Key,
    /// `…-customer-key-MD5`
    Md5,
}

/// A request built field by field.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRequest {
    /// HTTP method.
    pub method: String,
    /// Object key, or none for a bucket request.
    pub key: Option<String>,
    /// Query parameters.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Headers; values may use `${...}` variables.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: Option<BodyRef>,
    /// Sign the request (default true).
    #[serde(default = "yes")]
    pub sign: bool,
    /// Send over plain HTTP instead of HTTPS.
    #[serde(default)]
    pub plain_http: bool,
}

/// An OpenStack Swift request: the scenario's bucket is the container.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SwiftRequest {
    /// HTTP method: `PUT`, `GET`, `HEAD`, `DELETE`.
    pub method: String,
    /// Object name; none for a container request.
    pub object: Option<String>,
    /// Headers (`X-Object-Meta-*`, …); values may use `${...}` variables.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body of a PUT.
    pub body: Option<BodyRef>,
}

fn yes() -> bool {
    true
}

/// The expected answer.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// HTTP status.
    pub status: u16,
    /// The AWS error `Code`.
    pub code: Option<String>,
    /// Codes accepted as `non-strict` (with the right status) for documented non-AWS answers, outside
    /// `--strict` only.
    #[serde(default)]
    pub also_accept: Vec<String>,
    /// The AWS error `Message`, exactly; a different message fails under `--strict` and is
    /// `non-strict` otherwise.
    pub message: Option<String>,
    /// The error body's `ArgumentName`.
    pub argument_name: Option<String>,
    /// The error body's `ArgumentValue`.
    pub argument_value: Option<String>,
    /// Response headers: a string must be equal (after `${...}` expansion), `true` present,
    /// `false` absent. Names are case-insensitive.
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderExpect>,
    /// The response body.
    pub body: Option<BodyExpect>,
    /// The response ETag.
    pub etag: Option<EtagExpect>,
    /// ListObjectsV2: expected `Key` → `Size` entries (sizes as in bodies, e.g. `${size.data}`).
    pub listing: Option<BTreeMap<String, String>>,
    /// XML response body: the text of the first element of each name (e.g. `ObjectSize`,
    /// `PartsCount`, `ETag`), after `${...}` expansion; `~suffix` checks only the end of the text;
    /// `true` the element is present, `false` absent (`Upload: false`: no upload listed).
    #[serde(default)]
    pub xml: BTreeMap<String, XmlExpect>,
}

/// An expectation on an XML element.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum XmlExpect {
    /// Present (`true`) or absent (`false`).
    Present(bool),
    /// Its text equals this (after `${...}` expansion), or ends with it when it starts with `~`.
    Text(String),
}

impl std::fmt::Display for XmlExpect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Present(true) => f.write_str("present"),
            Self::Present(false) => f.write_str("absent"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// A header expectation.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum HeaderExpect {
    /// Present (`true`) or absent (`false`).
    Present(bool),
    /// Equal to this value.
    Equals(String),
}

/// A body expectation.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum BodyExpect {
    /// Equal to the named plaintext.
    Named(String),
    /// A slice of a named plaintext.
    Slice(BodySlice),
}

/// Bytes `from..=to` of a named plaintext (negative `from` counts from the end, as a suffix range).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BodySlice {
    /// The plaintext.
    pub of: String,
    /// First byte offset, or minus the suffix length.
    pub from: String,
    /// Last byte offset, inclusive (defaults to the end).
    pub to: Option<String>,
}

/// ETag relations.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EtagExpect {
    /// Equal to a saved ETag.
    pub equals: Option<String>,
    /// Different from a saved ETag.
    pub differs_from: Option<String>,
    /// Must (true) or must not (false) be the hex MD5 of the named plaintext: `{ md5-of: data, is: false }`.
    pub md5_of: Option<String>,
    /// See `md5-of`.
    #[serde(default = "yes")]
    pub is: bool,
}

/// Every operation a step can name.
pub const ALL_OPS: [&str; 15] = [
    "put",
    "get",
    "head",
    "delete",
    "list",
    "copy",
    "create-multipart",
    "upload-part",
    "upload-part-copy",
    "complete",
    "abort",
    "list-parts",
    "post",
    "raw",
    "swift",
];

/// A feature an endpoint may lack: a scenario `requires` some, a profile lists those its endpoint has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Stores and serves SSE-C objects at all.
    SseC,
    /// Reachable over plain HTTP too, so the refusal of SSE-C without TLS can be observed.
    PlainHttp,
    /// Verifies presigned (query-string SigV4) requests.
    Presign,
    /// CopyObject and UploadPartCopy.
    Copy,
    /// Multipart uploads.
    Multipart,
    /// Versioned buckets.
    Versioning,
    /// POST Object with a SigV4 policy.
    Post,
    /// `BlockedEncryptionTypes` in PutBucketEncryption.
    BlockSseC,
    /// Bucket policies with the SSE-C algorithm condition key.
    BucketPolicy,
    /// The OpenStack Swift API.
    Swift,
}

impl Capability {
    /// Every capability; the reference server has them all.
    pub const ALL: [Self; 10] = [
        Self::SseC,
        Self::PlainHttp,
        Self::Presign,
        Self::Copy,
        Self::Multipart,
        Self::Versioning,
        Self::Post,
        Self::BlockSseC,
        Self::BucketPolicy,
        Self::Swift,
    ];

    /// The name used in scenario and profile files (`sse-c`, `block-sse-c`, …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SseC => "sse-c",
            Self::PlainHttp => "plain-http",
            Self::Presign => "presign",
            Self::Copy => "copy",
            Self::Multipart => "multipart",
            Self::Versioning => "versioning",
            Self::Post => "post",
            Self::BlockSseC => "block-sse-c",
            Self::BucketPolicy => "bucket-policy",
            Self::Swift => "swift",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The tracking slot of one version of an object.
pub fn version_slot(object: &str, version: &str) -> String {
    format!("{object}\0{version}")
}
