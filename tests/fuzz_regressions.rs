//! Replays committed fuzz inputs on stable, without cargo-fuzz: every file under
//! `fuzz/regressions/<target>/` (minimised crashes, fixed since, and inputs seeded from real
//! implementation bugs) and the curated seeds `fuzz/corpus/<target>/seed-*` go through the same
//! `ssec_conform::fuzzing` entry point as the fuzz target (rustls/image-rs pattern).
//!
//! A failing input is named in the failure; reproduce it with
//! `bash scripts/fuzz.sh run <target> fuzz/regressions/<target>/<file>` (see `fuzz/README.md`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use ssec_conform::fuzzing;

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    if let Ok(dir) = std::fs::read_dir(root.join("regressions").join(target)) {
        files.extend(dir.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()));
    }
    if let Ok(dir) = std::fs::read_dir(root.join("corpus").join(target)) {
        files.extend(
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed-"))),
        );
    }
    files.sort();
    files
}

fn replay(target: &str) {
    let entry = fuzzing::TARGETS
        .iter()
        .find(|t| t.name == target)
        .unwrap_or_else(|| panic!("{target} is not in fuzzing::TARGETS"))
        .entry;
    let files = inputs(target);
    assert!(
        !files.is_empty(),
        "no committed inputs for {target}: fuzz/regressions/{target}/ and fuzz/corpus/{target}/seed-*"
    );
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| entry(&data))) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failed.push(format!("{}: {msg}", file.display()));
        }
    }
    assert!(failed.is_empty(), "{} of {} {target} inputs fail:\n{}", failed.len(), files.len(), failed.join("\n"));
}

#[test]
fn sse_c_headers() {
    replay("sse_c_headers");
}

#[test]
fn sigv4_auth() {
    replay("sigv4_auth");
}

#[test]
fn aws_chunked() {
    replay("aws_chunked");
}

#[test]
fn s3_xml() {
    replay("s3_xml");
}

#[test]
fn scenario_load() {
    replay("scenario_load");
}

#[test]
fn server_ops() {
    replay("server_ops");
}

#[test]
fn server_ops_https() {
    replay("server_ops_https");
}

/// One line of `fuzz/decoded/<target>.txt`: the input's file name, a fingerprint of the case it
/// decodes to, and the start of that case's `Debug`.
fn decoded_line(file: &Path, described: &str) -> String {
    use sha2::Digest as _;
    let fingerprint = hex::encode(&sha2::Sha256::digest(described.as_bytes())[..8]);
    let start: String = described.chars().take(120).collect();
    format!(
        "{}\t{fingerprint}\t{start}",
        file.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")).unwrap_or(file).display()
    )
}

/// Every committed input (regressions and seeds) still decodes to the case it was committed for,
/// as recorded in `fuzz/decoded/<target>.txt`: a change of a case type's layout that would turn a
/// committed crash into some other, harmless case fails here instead of silently. After a
/// deliberate layout change, re-encode the inputs (the seed writer below) and record the new cases
/// with `SSEC_BLESS=1 cargo test --test fuzz_regressions committed_inputs`.
#[test]
fn committed_inputs_still_decode_to_the_cases_they_were_committed_for() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/decoded");
    let bless = std::env::var_os("SSEC_BLESS").is_some();
    let mut stale = Vec::new();
    for target in fuzzing::TARGETS {
        let lines: Vec<String> = inputs(target.name)
            .iter()
            .map(|file| decoded_line(file, &(target.describe)(&std::fs::read(file).expect("read input"))))
            .collect();
        let text = lines.join("\n") + "\n";
        let path = root.join(format!("{}.txt", target.name));
        if bless {
            std::fs::create_dir_all(&root).expect("create fuzz/decoded");
            std::fs::write(&path, &text).expect("write the decoded cases");
            continue;
        }
        let recorded = std::fs::read_to_string(&path).unwrap_or_default();
        let recorded: Vec<&str> = recorded.lines().collect();
        for line in &lines {
            if !recorded.contains(&line.as_str()) {
                let file = line.split('\t').next().unwrap_or_default();
                let was =
                    recorded.iter().find(|r| r.split('\t').next() == Some(file)).copied().unwrap_or("(not recorded)");
                stale.push(format!("  now: {line}\n  was: {was}"));
            }
        }
        for old in &recorded {
            if !lines.iter().any(|l| l.split('\t').next() == old.split('\t').next()) {
                stale.push(format!("  recorded input is gone: {old}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "committed fuzz inputs no longer decode to the cases they were committed for (re-encode them, \
         then `SSEC_BLESS=1 cargo test --test fuzz_regressions committed_inputs`):\n{}",
        stale.join("\n")
    );
}

/// `fuzzing::TARGETS` is the list of fuzz targets; every other list must name the same ones.
#[test]
fn every_list_of_fuzz_targets_matches_the_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let all = sorted(fuzzing::TARGETS.iter().map(|t| t.name.to_owned()).collect());
    let long = sorted(fuzzing::TARGETS.iter().filter(|t| t.long_inputs).map(|t| t.name.to_owned()).collect());

    let cargo = read("fuzz/Cargo.toml");
    let bins = cargo.split("[[bin]]").skip(1).filter_map(|b| quoted_after(b, "name = ")).collect();
    assert_eq!(sorted(bins), all, "fuzz/Cargo.toml [[bin]] names");

    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join("fuzz/fuzz_targets")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("fuzzing::{name}(")), "{} does not call fuzzing::{name}", path.display());
        files.push(name);
    }
    assert_eq!(sorted(files), all, "fuzz/fuzz_targets/*.rs");

    for t in &all {
        assert!(root.join("fuzz/corpus").join(t).is_dir(), "fuzz/corpus/{t}/ is missing");
        assert!(
            root.join("fuzz/dictionaries").join(format!("{t}.dict")).is_file(),
            "fuzz/dictionaries/{t}.dict is missing"
        );
    }

    let workflow = read(".github/workflows/nightly-fuzz.yml");
    let matrix = workflow.lines().find_map(|l| l.trim().strip_prefix("target: [")).expect("workflow matrix");
    let matrix = matrix.trim_end_matches(']').split(',').map(|s| s.trim().to_owned()).collect();
    assert_eq!(sorted(matrix), all, "nightly-fuzz.yml matrix");
    assert!(
        workflow.contains("run: bash scripts/fuzz-ci.sh") && workflow.contains("FUZZ_TARGETS: ${{ matrix.target }}"),
        "the nightly workflow fuzzes with scripts/fuzz-ci.sh, the script CI runs"
    );
    for script in ["scripts/fuzz-ci.sh", "scripts/bench-fuzz-rate.sh"] {
        assert_eq!(long_input_case(&read(script)), long, "{script} targets run with -max_len=8192");
    }

    let readme = read("fuzz/README.md");
    for t in &all {
        assert!(readme.contains(&format!("| `{t}` |")), "fuzz/README.md has no row for `{t}`");
    }
    let this = read("tests/fuzz_regressions.rs");
    for t in &all {
        assert!(this.contains(&format!("replay(\"{t}\")")), "no replay test for {t}");
    }
}

/// The text between quotes after `key` in `text`.
fn quoted_after(text: &str, key: &str) -> Option<String> {
    let rest = &text[text.find(key)? + key.len()..];
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// The targets of the shell `case` pattern that adds `-max_len=8192`, sorted.
fn long_input_case(script: &str) -> Vec<String> {
    let line = script.lines().find(|l| l.contains("-max_len=8192") && l.contains(')')).expect("a -max_len=8192 case");
    let pattern = line[..line.find(')').unwrap()].trim();
    let mut names: Vec<String> = pattern.split('|').map(|s| s.trim().to_owned()).collect();
    names.sort();
    names
}

/// `scripts/fuzz-rustc-wrapper.sh` (what `scripts/fuzz.sh` builds with) compiles a dependency
/// without cargo-fuzz's coverage flags and the code under test with them, every other flag kept.
#[test]
fn the_fuzz_build_instruments_only_the_code_under_test() {
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fuzz-rustc-wrapper.sh");
    let coverage = [
        "-Cpasses=sancov-module",
        "-Cllvm-args=-sanitizer-coverage-level=4",
        "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
        "-Cllvm-args=-sanitizer-coverage-trace-compares",
        "-Cllvm-args=-simplifycfg-branch-fold-threshold=0",
    ];
    let kept = ["--cfg", "fuzzing", "-Zsanitizer=address", "-Cdebug-assertions"];
    // `echo` stands in for rustc: the wrapper's output is the command line rustc would get.
    let compile = |crate_name: &str, source: &str| {
        let out = std::process::Command::new("bash")
            .arg(&wrapper)
            .arg("echo")
            .args(["--crate-name", crate_name, source])
            .args(coverage)
            .args(kept)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().split_whitespace().map(str::to_owned).collect::<Vec<_>>()
    };
    for (crate_name, source) in
        [("ssec_conform", "src/lib.rs"), ("s3s", "s3s/src/lib.rs"), ("server_ops", "fuzz/fuzz_targets/server_ops.rs")]
    {
        let args = compile(crate_name, source);
        for flag in coverage.iter().chain(&kept) {
            assert!(args.iter().any(|a| a == flag), "{crate_name} was compiled without {flag}: {args:?}");
        }
    }
    for (crate_name, source) in [("tokio", "tokio/src/lib.rs"), ("hyper", "hyper/src/lib.rs")] {
        let args = compile(crate_name, source);
        for flag in coverage {
            assert!(!args.iter().any(|a| a == flag), "{crate_name} was compiled with {flag}: {args:?}");
        }
        for flag in kept {
            assert!(args.iter().any(|a| a == flag), "{crate_name} lost {flag}: {args:?}");
        }
    }
}

/// Known interoperability issue F1 (`fuzz/README.md`): s3s 0.14 keeps repeated query parameter
/// names in arrival order when it canonicalises, where SigV4 (and aws-sigv4) sort them by value,
/// so it refuses a correctly signed `?prefix=a&prefix=%7D`. This test passes while the bug is there
/// and fails once an s3s upgrade fixes it, saying which workaround to remove.
#[test]
fn known_issue_f1_s3s_still_refuses_repeated_query_names() {
    let ip = fuzzing::in_process();
    ip.ensure_bucket("known-issues");
    let mut req = ssec_conform::client::Outgoing::new("GET", Some("known-issues"), None);
    req.query = vec![("list-type".into(), "2".into()), ("prefix".into(), "a".into()), ("prefix".into(), "}".into())];
    let reply = ip.send(&req);
    assert_eq!(
        (reply.status, reply.code().as_deref()),
        (403, Some("SignatureDoesNotMatch")),
        "s3s now accepts a correctly signed repeated query name: issue F1 is fixed. Let the sigv4_auth \
         harness send repeated names again (src/fuzzing/sigv4_auth.rs, \"One value per name\"), drop F1 \
         from fuzz/README.md and delete this test. Answer: {}",
        reply.summary()
    );
}

/// Known interoperability issue F2 (`fuzz/README.md`): s3s 0.14 collapses every run of whitespace
/// (tabs included) in a signed header value, where SigV4 collapses spaces only, so it refuses a
/// correctly signed request whose `x-amz-meta-*` value holds a tab. This test passes while the bug
/// is there and fails once an s3s upgrade fixes it, saying which workaround to remove.
#[test]
fn known_issue_f2_s3s_still_refuses_a_tab_in_a_signed_header_value() {
    let ip = fuzzing::in_process();
    ip.ensure_bucket("known-issues");
    let mut req = ssec_conform::client::Outgoing::new("PUT", Some("known-issues"), Some("tab"));
    req.headers.push(("x-amz-meta-note".into(), "a\tb".into()));
    let reply = ip.send(&req);
    assert_eq!(
        (reply.status, reply.code().as_deref()),
        (403, Some("SignatureDoesNotMatch")),
        "s3s now accepts a signed header value with a tab: issue F2 is fixed. Let the sigv4_auth \
         harness send tabs again (src/fuzzing/sigv4_auth.rs, \"No tabs\"), drop F2 from fuzz/README.md \
         and delete this test. Answer: {}",
        reply.summary()
    );
}

// ------------------------------------------------------------------------------------------------
// Seed writer: `cargo test --test fuzz_regressions -- --ignored write_seeds` regenerates the
// hand-made seeds and the catalogue-bug regressions (see fuzz/README.md).
// ------------------------------------------------------------------------------------------------

mod seeds {
    use ssec_conform::fuzzing::{
        self, HeaderMutation as M, KeyPick, ObjPick, Op, OpsCase, RangePick, SizePick, SsePick, XmlCase,
    };

    /// The smallest `u32` that `arbitrary` maps to variant `k` of `n` (`(x * n) >> 32 == k`).
    fn tag(k: u32, n: u32) -> [u8; 4] {
        let x = (u64::from(k) << 32).div_ceil(u64::from(n));
        u32::try_from(x).unwrap().to_le_bytes()
    }

    fn obj(o: ObjPick) -> [u8; 4] {
        tag(o as u32, 3)
    }

    fn sse(out: &mut Vec<u8>, s: &SsePick) {
        match &s.key {
            KeyPick::None => out.extend(tag(0, 5)),
            KeyPick::K0 => out.extend(tag(1, 5)),
            KeyPick::K1 => out.extend(tag(2, 5)),
            KeyPick::K2 => out.extend(tag(3, 5)),
            KeyPick::Raw(k) => {
                out.extend(tag(4, 5));
                out.extend(k);
            }
        }
        out.extend(tag(s.mutation as u32, 16));
    }

    fn size(out: &mut Vec<u8>, s: SizePick) {
        match s {
            SizePick::Zero => out.extend(tag(0, 5)),
            SizePick::Tiny(n) => {
                out.extend(tag(1, 5));
                out.push(n);
            }
            SizePick::Small(n) => {
                out.extend(tag(2, 5));
                out.extend(n.to_le_bytes());
            }
            SizePick::NearSegment { segments, delta } => {
                out.extend(tag(3, 5));
                out.push(segments);
                out.extend(delta.to_le_bytes());
            }
            SizePick::Large(n) => {
                out.extend(tag(4, 5));
                out.extend(n.to_le_bytes());
            }
        }
    }

    /// The number of [`Op`] variants.
    const OPS: u32 = 11;

    /// An `Option<u8>`: a "some" bool, then the value.
    fn option(out: &mut Vec<u8>, v: Option<u8>) {
        match v {
            None => out.push(0),
            Some(v) => out.extend([1, v]),
        }
    }

    /// `arbitrary`'s encoding of an operation list (verified by `encoder_matches_arbitrary`).
    pub(crate) fn encode(ops: &[Op]) -> Vec<u8> {
        let mut out = Vec::new();
        for op in ops {
            // `Vec::arbitrary_take_rest` reads a "keep going" bool before each element.
            out.push(1);
            match op {
                Op::Put { obj: o, size: s, seed, sse: k } => {
                    out.extend(tag(0, OPS));
                    out.extend(obj(*o));
                    size(&mut out, *s);
                    out.push(*seed);
                    sse(&mut out, k);
                }
                Op::Get { obj: o, sse: k, range, version } => {
                    out.extend(tag(1, OPS));
                    out.extend(obj(*o));
                    sse(&mut out, k);
                    match range {
                        None => out.push(0),
                        Some(r) => {
                            out.push(1);
                            match r {
                                RangePick::FromTo(a, b) => {
                                    out.extend(tag(0, 3));
                                    out.extend(a.to_le_bytes());
                                    out.extend(b.to_le_bytes());
                                }
                                RangePick::From(a) => {
                                    out.extend(tag(1, 3));
                                    out.extend(a.to_le_bytes());
                                }
                                RangePick::Suffix(n) => {
                                    out.extend(tag(2, 3));
                                    out.extend(n.to_le_bytes());
                                }
                            }
                        }
                    }
                    option(&mut out, *version);
                }
                Op::Head { obj: o, sse: k, version } => {
                    out.extend(tag(2, OPS));
                    out.extend(obj(*o));
                    sse(&mut out, k);
                    option(&mut out, *version);
                }
                Op::Copy { src, dst, source_sse, dest_sse, replace } => {
                    out.extend(tag(3, OPS));
                    out.extend(obj(*src));
                    out.extend(obj(*dst));
                    sse(&mut out, source_sse);
                    sse(&mut out, dest_sse);
                    out.push(u8::from(*replace));
                }
                Op::CreateUpload { obj: o, sse: k } => {
                    out.extend(tag(4, OPS));
                    out.extend(obj(*o));
                    sse(&mut out, k);
                }
                Op::UploadPart { upload, part, size: s, seed, sse: k } => {
                    out.extend(tag(5, OPS));
                    out.push(*upload);
                    out.push(*part);
                    size(&mut out, *s);
                    out.push(*seed);
                    sse(&mut out, k);
                }
                Op::UploadPartCopy { upload, part, src, source_sse, dest_sse, range } => {
                    out.extend(tag(6, OPS));
                    out.push(*upload);
                    out.push(*part);
                    out.extend(obj(*src));
                    sse(&mut out, source_sse);
                    sse(&mut out, dest_sse);
                    match range {
                        None => out.push(0),
                        Some((a, b)) => {
                            out.push(1);
                            out.extend(a.to_le_bytes());
                            out.extend(b.to_le_bytes());
                        }
                    }
                }
                Op::Complete { upload, parts, sse: k } => {
                    out.extend(tag(7, OPS));
                    out.push(*upload);
                    for p in parts {
                        out.extend([1, *p]); // `Vec::arbitrary`: "keep going", element
                    }
                    out.push(0);
                    sse(&mut out, k);
                }
                Op::Abort { upload } => {
                    out.extend(tag(8, OPS));
                    out.push(*upload);
                }
                Op::Delete { obj: o, version } => {
                    out.extend(tag(9, OPS));
                    out.extend(obj(*o));
                    option(&mut out, *version);
                }
                Op::Versioning { enabled } => {
                    out.extend(tag(10, OPS));
                    out.push(u8::from(*enabled));
                }
            }
        }
        out
    }

    fn k(key: KeyPick, mutation: M) -> SsePick {
        SsePick { key, mutation }
    }

    fn ok(key: KeyPick) -> SsePick {
        k(key, M::Intact)
    }

    fn none() -> SsePick {
        ok(KeyPick::None)
    }

    /// Operation sequences after the real implementation bugs of catalogue section E.
    pub(crate) fn catalogue_bugs() -> Vec<(&'static str, Vec<Op>)> {
        use KeyPick::{K0, K1, K2};
        use ObjPick::{A, B, C};
        let put = |o, s, key| Op::Put { obj: o, size: s, seed: 7, sse: key };
        let get = |o, key, range| Op::Get { obj: o, sse: key, range, version: None };
        vec![
            (
                "silo-82-zero-byte-object-wrong-key",
                vec![
                    put(A, SizePick::Zero, ok(K0)),
                    get(A, ok(K1), None),
                    Op::Head { obj: A, sse: ok(K1), version: None },
                    Op::Copy { src: A, dst: B, source_sse: ok(K1), dest_sse: none(), replace: false },
                    get(A, ok(K0), None),
                ],
            ),
            (
                "minio-6598-head-wrong-key",
                vec![
                    put(A, SizePick::Small(1000), ok(K0)),
                    Op::Head { obj: A, sse: ok(K1), version: None },
                    Op::Head { obj: A, sse: none(), version: None },
                    Op::Head { obj: A, sse: ok(K0), version: None },
                ],
            ),
            (
                "minio-5625-rotation-with-equal-wrong-keys",
                vec![
                    put(A, SizePick::Tiny(40), ok(K0)),
                    Op::Copy { src: A, dst: A, source_sse: ok(K1), dest_sse: ok(K1), replace: false },
                    get(A, ok(K0), None),
                    Op::Copy { src: A, dst: A, source_sse: ok(K0), dest_sse: ok(K2), replace: false },
                    get(A, ok(K2), None),
                ],
            ),
            (
                "minio-6725-part-copy-sse-c-into-plain-upload",
                vec![
                    put(A, SizePick::Small(3000), ok(K0)),
                    Op::CreateUpload { obj: B, sse: none() },
                    Op::UploadPartCopy {
                        upload: 0,
                        part: 0,
                        src: A,
                        source_sse: ok(K0),
                        dest_sse: ok(K0),
                        range: None,
                    },
                    Op::UploadPartCopy {
                        upload: 0,
                        part: 0,
                        src: A,
                        source_sse: none(),
                        dest_sse: none(),
                        range: None,
                    },
                    Op::UploadPartCopy {
                        upload: 0,
                        part: 0,
                        src: A,
                        source_sse: ok(K0),
                        dest_sse: none(),
                        range: Some((10, 20)),
                    },
                    Op::Complete { upload: 0, parts: vec![0], sse: none() },
                ],
            ),
            (
                "ceph-27130-seaweedfs-8215-ranges-across-segments",
                vec![
                    put(A, SizePick::NearSegment { segments: 2, delta: 5 }, ok(K2)),
                    get(A, ok(K2), Some(RangePick::FromTo(262_140, 262_150))),
                    get(A, ok(K2), Some(RangePick::FromTo(262_144, 524_287))),
                    get(A, ok(K2), Some(RangePick::Suffix(10))),
                    get(A, ok(K2), Some(RangePick::From(524_287))),
                    get(A, ok(K1), Some(RangePick::FromTo(0, 10))),
                ],
            ),
            (
                "rustfs-2673-range-on-sse-c-object",
                vec![
                    put(A, SizePick::Small(5000), ok(K0)),
                    get(A, ok(K0), Some(RangePick::FromTo(0, 0))),
                    get(A, ok(K0), Some(RangePick::From(4999))),
                    get(A, ok(K0), Some(RangePick::From(5000))),
                ],
            ),
            (
                "aws-php-1291-parts-without-or-with-other-key",
                vec![
                    Op::CreateUpload { obj: C, sse: ok(K0) },
                    Op::UploadPart { upload: 0, part: 0, size: SizePick::Tiny(9), seed: 1, sse: none() },
                    Op::UploadPart { upload: 0, part: 0, size: SizePick::Tiny(9), seed: 1, sse: ok(K1) },
                    Op::UploadPart {
                        upload: 0,
                        part: 0,
                        size: SizePick::Tiny(9),
                        seed: 1,
                        sse: k(K0, M::Md5OfOtherKey),
                    },
                    Op::UploadPart { upload: 0, part: 0, size: SizePick::Tiny(9), seed: 1, sse: ok(K0) },
                    Op::Complete { upload: 0, parts: vec![0], sse: ok(K1) },
                ],
            ),
            (
                "multipart-complete-then-read",
                vec![
                    Op::CreateUpload { obj: C, sse: ok(K1) },
                    Op::UploadPart { upload: 0, part: 0, size: SizePick::Large(300_000), seed: 3, sse: ok(K1) },
                    Op::Complete { upload: 0, parts: vec![0], sse: none() },
                ],
            ),
            (
                "kafka-connect-389-sse-s3-with-sse-c",
                vec![
                    put(A, SizePick::Tiny(10), k(K0, M::SseS3Too)),
                    get(A, none(), None),
                    Op::CreateUpload { obj: B, sse: k(K0, M::SseS3Too) },
                ],
            ),
            (
                "seaweedfs-2313-floci-1140-read-without-key",
                vec![
                    put(B, SizePick::Small(700), ok(K0)),
                    get(B, none(), None),
                    get(B, k(K0, M::DropKey), None),
                    Op::Copy { src: B, dst: C, source_sse: none(), dest_sse: none(), replace: false },
                    put(A, SizePick::Tiny(20), none()),
                    get(A, ok(K0), None),
                ],
            ),
            (
                "g11-key-per-version-and-delete-markers",
                vec![
                    put(A, SizePick::Small(300), ok(K2)),
                    Op::Versioning { enabled: true },
                    put(A, SizePick::Small(700), ok(K0)),
                    put(A, SizePick::Tiny(30), ok(K1)),
                    Op::Get { obj: A, sse: ok(K1), range: None, version: Some(1) },
                    Op::Get { obj: A, sse: ok(K0), range: None, version: Some(1) },
                    Op::Get { obj: A, sse: ok(K2), range: None, version: Some(0) },
                    Op::Delete { obj: A, version: None },
                    Op::Head { obj: A, sse: ok(K0), version: Some(3) },
                    Op::Versioning { enabled: false },
                    put(A, SizePick::Tiny(9), none()),
                    Op::Delete { obj: A, version: Some(1) },
                ],
            ),
            (
                "g4-key-of-the-wrong-length",
                vec![
                    put(A, SizePick::Small(64), ok(K0)),
                    get(A, k(K0, M::Key33Bytes), None),
                    get(A, k(K0, M::Key31Bytes), None),
                    put(B, SizePick::Tiny(3), k(K0, M::Key33Bytes)),
                ],
            ),
            (
                "aws-cli-6012-destination-key-applied-to-source",
                vec![
                    put(A, SizePick::Small(100), ok(K0)),
                    Op::Copy { src: A, dst: B, source_sse: none(), dest_sse: ok(K0), replace: false },
                    Op::Copy { src: A, dst: B, source_sse: ok(K0), dest_sse: ok(K0), replace: true },
                    get(B, ok(K0), None),
                ],
            ),
            (
                "minio-py-1514-base64-variants",
                vec![
                    put(A, SizePick::Tiny(5), k(K1, M::KeyUrlSafe)),
                    put(A, SizePick::Tiny(5), k(K1, M::KeyUnpadded)),
                    put(A, SizePick::Tiny(5), k(K1, M::KeyWhitespace)),
                    put(A, SizePick::Tiny(5), k(K1, M::Md5OfKeyText)),
                    put(A, SizePick::Tiny(5), k(K1, M::AlgorithmLowercase)),
                    get(A, ok(K1), None),
                ],
            ),
        ]
    }

    pub(crate) fn xml_seeds() -> Vec<(&'static str, u32, &'static str)> {
        // (name, XmlOp variant: 0 Complete, 1 Delete, 2 Versioning, body)
        vec![
            (
                "complete-one-part",
                0,
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
            ),
            (
                "complete-ns-etag",
                0,
                r#"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"9dd4e461268c8034f5c8564e155c67a6"</ETag><PartNumber>1</PartNumber></Part><Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#,
            ),
            (
                "delete-quiet",
                1,
                "<Delete><Quiet>true</Quiet><Object><Key>xml-object</Key></Object><Object><Key>a&amp;b</Key><VersionId>null</VersionId></Object></Delete>",
            ),
            (
                "versioning-enabled",
                2,
                r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#,
            ),
            (
                "versioning-suspended-mfa",
                2,
                "<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>",
            ),
        ]
    }

    pub(crate) fn xml_bytes(op: u32, body: &str) -> Vec<u8> {
        let mut out = tag(op, 3).to_vec();
        if op == 1 {
            out.push(1); // content_md5
        }
        out.extend(tag(0, 2)); // XmlBody::Raw
        for &b in body.as_bytes() {
            out.extend([1, b]); // "keep going", byte
        }
        out
    }

    #[test]
    fn encoder_matches_arbitrary() {
        for (name, ops) in catalogue_bugs() {
            let decoded: OpsCase = fuzzing::decode(&encode(&ops)).unwrap();
            assert_eq!(format!("{:?}", decoded.ops), format!("{ops:?}"), "{name}");
        }
        for (name, op, body) in xml_seeds() {
            let decoded: XmlCase = fuzzing::decode(&xml_bytes(op, body)).unwrap();
            assert_eq!(decoded.body.render(), body.as_bytes(), "{name}");
        }
    }
}

#[test]
#[ignore = "writes fuzz/corpus/*/seed-* and fuzz/regressions/server_ops/*; run on purpose"]
fn write_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let write = |path: PathBuf, data: &[u8]| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
    };
    for (name, ops) in seeds::catalogue_bugs() {
        let bytes = seeds::encode(&ops);
        write(root.join("fuzz/regressions/server_ops").join(name), &bytes);
        write(root.join("fuzz/corpus/server_ops").join(format!("seed-{name}")), &bytes);
    }
    for (name, op, body) in seeds::xml_seeds() {
        write(root.join("fuzz/corpus/s3_xml").join(format!("seed-{name}")), &seeds::xml_bytes(op, body));
    }
    let scenarios = [
        "get-head/003-wrong-key.yaml",
        "copy/002-key-rotation.yaml",
        "multipart/003-part-with-other-key.yaml",
        "headers-invalid/002-md5-mismatch.yaml",
        "attributes/005-zero-byte-wrong-key.yaml",
    ];
    for s in scenarios {
        let src = root.join("scenarios").join(s);
        if let Ok(text) = std::fs::read(&src) {
            let name = s.replace('/', "-");
            write(root.join("fuzz/corpus/scenario_load").join(format!("seed-{name}")), &text);
        }
    }
    for p in ["reference.yaml", "ceph-rgw.yaml"] {
        if let Ok(text) = std::fs::read(root.join("profiles").join(p)) {
            write(root.join("fuzz/corpus/scenario_load").join(format!("seed-profile-{p}")), &text);
        }
    }
}

#[test]
fn sse_c_echo() {
    replay("sse_c_echo");
}

/// The `sse_c_echo` oracle on the forms s3s's header parser refuses: a BOM before a base64 key, a
/// non-breaking space after it, raw key bytes; in both triples.
#[test]
fn sse_c_echo_unparsable_keys() {
    use fuzzing::{EchoCase, EchoOp, KeyForm, check_echo_case};
    let cases = [
        (KeyForm::Base64, b"\xef\xbb\xbf".to_vec(), Vec::new()),
        (KeyForm::Base64, Vec::new(), b"\xc2\xa0".to_vec()),
        (KeyForm::Raw, Vec::new(), Vec::new()),
        (KeyForm::Hex, b"\xff".to_vec(), b"\xfe".to_vec()),
    ];
    for op in [EchoOp::Put, EchoOp::Get, EchoOp::Head, EchoOp::Copy, EchoOp::UploadPart] {
        for copy_source in [false, true] {
            for (form, prefix, suffix) in &cases {
                check_echo_case(&EchoCase {
                    op,
                    copy_source,
                    algorithm: Some(b"AES256".to_vec()),
                    key_index: 0,
                    form: *form,
                    prefix: prefix.clone(),
                    suffix: suffix.clone(),
                    md5: Some(b"DWygnHRtgiJ77HCm+1rvHw==".to_vec()),
                });
            }
        }
    }
}
