//! Generated differential cases: one stored object and one probe request with mutated SSE-C
//! parameters, as a proptest strategy (so divergences shrink to a minimal request).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD, URL_SAFE};
use proptest::prelude::*;

use crate::scenario::model::{
    BodyRef, BodySpec, CustomTriple, Expect, KeySpec, Level, Request, Scenario, SseCSpec, Step, TripleField,
};

/// How the algorithm header is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alg {
    /// Correct: `AES256`.
    Aes256,
    /// Left out.
    Absent,
    /// Another value (`KMS`, `aes256`, `AES128`, empty, …).
    Other(&'static str),
}

/// How the key header is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// The object's key.
    Right,
    /// A different valid 32-byte key.
    Wrong,
    /// Left out.
    Absent,
    /// Random bytes of another length, base64.
    Length(Vec<u8>),
    /// The right key in a broken encoding (URL-safe alphabet, no padding, inner `=`, garbage).
    Broken(u8),
    /// The base64 text of the right key, base64-encoded again.
    DoubleEncoded,
}

/// How the key-MD5 header is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Md5 {
    /// MD5 of the key bytes actually sent (a consistent pair).
    Matching,
    /// Left out.
    Absent,
    /// MD5 of the other key.
    OfOtherKey,
    /// Not base64 of 16 bytes.
    Garbage,
}

/// One SSE-C triple, mutated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triple {
    /// Algorithm header.
    pub alg: Alg,
    /// Key header.
    pub key: Key,
    /// Key-MD5 header.
    pub md5: Md5,
}

/// The probe's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// PutObject over the object.
    Put,
    /// GetObject.
    Get,
    /// HeadObject.
    Head,
    /// CopyObject from the object to a new key.
    Copy,
}

/// A generated case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The object's key (`right`), fixed so that a generated scenario is self-contained.
    pub right: [u8; 32],
    /// Another valid key (`wrong`).
    pub wrong: [u8; 32],
    /// Whether the object under test is SSE-C (with the `right` key).
    pub sse_c_object: bool,
    /// Its size in bytes.
    pub size: u32,
    /// The probe operation.
    pub op: Op,
    /// The probe's SSE-C triple (destination for a copy), if any.
    pub triple: Option<Triple>,
    /// The copy-source triple of a copy, if any.
    pub source_triple: Option<Triple>,
    /// A `Range` header (GET/HEAD), as `(first, last)` offsets, `last` may be past the end.
    pub range: Option<(u32, Option<u32>)>,
    /// `x-amz-server-side-encryption` sent alongside.
    pub sse_header: Option<&'static str>,
    /// Sent over plain HTTP.
    pub plain_http: bool,
}

fn alg() -> impl Strategy<Value = Alg> {
    prop_oneof![
        6 => Just(Alg::Aes256),
        1 => Just(Alg::Absent),
        1 => prop::sample::select(vec!["KMS", "aes256", "AES128", "", "AES-256", "aws:kms"]).prop_map(Alg::Other),
    ]
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        6 => Just(Key::Right),
        2 => Just(Key::Wrong),
        1 => Just(Key::Absent),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_filter("not 32 bytes", |v| v.len() != 32).prop_map(Key::Length),
        1 => (0u8..4).prop_map(Key::Broken),
        1 => Just(Key::DoubleEncoded),
    ]
}

fn md5() -> impl Strategy<Value = Md5> {
    prop_oneof![6 => Just(Md5::Matching), 1 => Just(Md5::Absent), 1 => Just(Md5::OfOtherKey), 1 => Just(Md5::Garbage)]
}

fn triple() -> impl Strategy<Value = Triple> {
    (alg(), key(), md5()).prop_map(|(alg, key, md5)| Triple { alg, key, md5 })
}

fn size() -> impl Strategy<Value = u32> {
    let seg = 256 * 1024;
    prop_oneof![Just(0u32), 1u32..64, Just(seg - 1), Just(seg), Just(seg + 1), 64u32..600_000]
}

/// The strategy of all cases; simpler values (correct headers, small sizes) shrink first. Plain-HTTP
/// probes are generated only when the endpoint has a plain-HTTP URL.
pub fn cases(plain_http: bool) -> impl Strategy<Value = Case> {
    (
        any::<[u8; 32]>(),
        any::<[u8; 32]>().prop_filter("distinct keys", |k| k != &[0u8; 32]),
        any::<bool>(),
        size(),
        prop_oneof![Just(Op::Get), Just(Op::Head), Just(Op::Put), Just(Op::Copy)],
        prop::option::weighted(0.9, triple()),
        prop::option::weighted(0.7, triple()),
        prop::option::weighted(0.3, (0u32..700_000, prop::option::of(0u32..700_000))),
        prop::option::weighted(0.05, prop::sample::select(vec!["AES256", "aws:kms"])),
        prop::bool::weighted(if plain_http { 0.05 } else { 0.0 }),
    )
        .prop_map(|(right, wrong, sse_c_object, size, op, triple, source, range, sse_header, plain_http)| Case {
            right,
            wrong: if wrong == right { [1; 32] } else { wrong },
            sse_c_object,
            size,
            op,
            triple,
            source_triple: (op == Op::Copy).then_some(source).flatten(),
            range: matches!(op, Op::Get | Op::Head).then_some(range).flatten(),
            sse_header,
            plain_http,
        })
}

impl Case {
    /// The header values of a mutated triple, as literals (keys are fixed per case).
    fn custom(&self, t: &Triple) -> CustomTriple {
        let right_b64 = B64.encode(self.right);
        let md5_of = |bytes: &[u8]| crate::sse_c::key_md5_b64(bytes);
        let (key_b64, sent_bytes): (Option<String>, Vec<u8>) = match &t.key {
            Key::Right => (Some(right_b64.clone()), self.right.to_vec()),
            Key::Wrong => (Some(B64.encode(self.wrong)), self.wrong.to_vec()),
            Key::Absent => (None, self.right.to_vec()),
            Key::Length(bytes) => (Some(B64.encode(bytes)), bytes.clone()),
            Key::Broken(variant) => {
                let text = match variant % 4 {
                    0 => URL_SAFE.encode(self.right),
                    1 => STANDARD_NO_PAD.encode(self.right),
                    2 => {
                        let mut s = right_b64.clone();
                        s.replace_range(10..11, "=");
                        s
                    }
                    _ => "not base64 at all!".to_owned(),
                };
                (Some(text), self.right.to_vec())
            }
            Key::DoubleEncoded => (Some(B64.encode(right_b64.as_bytes())), right_b64.clone().into_bytes()),
        };
        let mut c = CustomTriple { key_b64, ..CustomTriple::default() };
        if t.key == Key::Absent {
            c.omit.push(TripleField::Key);
        }
        match &t.alg {
            Alg::Aes256 => c.algorithm = Some(crate::sse_c::headers::AES256.to_owned()),
            Alg::Absent => c.omit.push(TripleField::Algorithm),
            Alg::Other(v) => c.algorithm = Some((*v).to_owned()),
        }
        match &t.md5 {
            Md5::Matching => c.md5 = Some(md5_of(&sent_bytes)),
            Md5::Absent => c.omit.push(TripleField::Md5),
            Md5::OfOtherKey => c.md5 = Some(md5_of(if t.key == Key::Wrong { &self.right } else { &self.wrong })),
            Md5::Garbage => c.md5 = Some("AAAA".into()),
        }
        c
    }

    /// The case as a scenario: set-up PUT, then the probe, expecting `expect` from the probe.
    #[must_use]
    pub fn to_scenario(&self, title: String, cases: Vec<String>, expect: Expect) -> Scenario {
        let setup = Request {
            key: Some("obj".into()),
            body: Some(BodyRef::Named("data".into())),
            sse_c: self.sse_c_object.then(|| SseCSpec::Key("right".into())),
            ..Request::default()
        };
        let mut probe = Request {
            key: Some(if self.op == Op::Copy { "copy".into() } else { "obj".into() }),
            sse_c: self.triple.as_ref().map(|t| SseCSpec::Custom(self.custom(t))),
            plain_http: self.plain_http,
            ..Request::default()
        };
        if let Some((first, last)) = self.range {
            probe.range = Some(format!("bytes={first}-{}", last.map(|l| l.to_string()).unwrap_or_default()));
        }
        if let Some(v) = self.sse_header {
            probe.headers.insert(crate::sse_c::headers::SERVER_SIDE_ENCRYPTION.into(), v.into());
        }
        let mut step = Step { expect, ..Step::default() };
        match self.op {
            Op::Put => {
                probe.body = Some(BodyRef::Inline(BodySpec::Text("overwrite".into())));
                step.put = Some(probe);
            }
            Op::Get => step.get = Some(probe),
            Op::Head => step.head = Some(probe),
            Op::Copy => {
                probe.copy_source = Some("obj".into());
                probe.copy_source_sse_c = self.source_triple.as_ref().map(|t| SseCSpec::Custom(self.custom(t)));
                step.copy = Some(probe);
            }
        }
        let setup_step =
            Step { put: Some(setup), expect: Expect { status: 200, ..Expect::default() }, ..Step::default() };
        Scenario {
            title,
            cases,
            level: Level::Should,
            requires: vec![crate::scenario::model::Capability::SseC],
            tags: vec!["fuzz".into()],
            keys: BTreeMap::from([
                ("right".into(), KeySpec::Fixed(B64.encode(self.right))),
                ("wrong".into(), KeySpec::Fixed(B64.encode(self.wrong))),
            ]),
            bodies: BTreeMap::from([("data".into(), BodySpec::Random(self.size.to_string()))]),
            steps: vec![spanned(setup_step), spanned(step)],
        }
    }

    /// Catalogue cases the probe most likely exercises, for the generated scenario's `cases`.
    #[must_use]
    pub fn catalogue_cases(&self) -> Vec<String> {
        let mut ids = Vec::new();
        if self.plain_http {
            ids.push("P11");
        }
        if self.sse_header.is_some() {
            ids.push("P9");
        }
        let t = self.triple.as_ref();
        match (self.op, self.sse_c_object, t) {
            (Op::Put, _, Some(t)) => ids.push(match (&t.alg, &t.key, &t.md5) {
                (Alg::Absent, ..) => "P5",
                (Alg::Other(_), ..) => "P6",
                (_, Key::Absent, _) => "P4",
                (_, Key::Length(_) | Key::Broken(_) | Key::DoubleEncoded, _) => "P7",
                (_, _, Md5::Absent) => "P3",
                (_, _, Md5::OfOtherKey | Md5::Garbage) => "P2",
                _ => "P1",
            }),
            (Op::Get | Op::Head, true, None) => ids.push("G2"),
            (Op::Get | Op::Head, false, Some(_)) => ids.push("G7"),
            (Op::Get | Op::Head, true, Some(t)) => ids.push(match (&t.key, &self.range) {
                (Key::Wrong | Key::Length(_), _) => "G3",
                (_, Some(_)) => "G9",
                _ => "G1",
            }),
            (Op::Copy, true, _) if self.source_triple.is_none() => ids.push("C4"),
            (Op::Copy, ..) => ids.push("C1"),
            _ => ids.push("B"),
        }
        ids.into_iter().map(str::to_owned).collect()
    }
}

fn spanned(step: Step) -> serde_saphyr::Spanned<Step> {
    serde_saphyr::Spanned {
        value: step,
        referenced: serde_saphyr::Location::UNKNOWN,
        defined: serde_saphyr::Location::UNKNOWN,
    }
}
