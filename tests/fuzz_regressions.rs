//! Replays committed fuzz inputs on stable, without cargo-fuzz: every file under
//! `fuzz/regressions/<target>/` (minimised crashes, fixed since, and inputs seeded from real
//! implementation bugs) and the curated seeds `fuzz/corpus/<target>/seed-*` go through the same
//! `ssec_conform::fuzzing` entry point as the fuzz target (rustls/image-rs pattern).
//!
//! A failing input is named in the failure; reproduce it with
//! `cargo fuzz run <target> fuzz/regressions/<target>/<file>` (see `fuzz/README.md`).

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

fn replay(target: &str, entry: fn(&[u8])) {
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
    replay("sse_c_headers", fuzzing::sse_c_headers);
}

#[test]
fn sigv4_auth() {
    replay("sigv4_auth", fuzzing::sigv4_auth);
}

#[test]
fn aws_chunked() {
    replay("aws_chunked", fuzzing::aws_chunked);
}

#[test]
fn s3_xml() {
    replay("s3_xml", fuzzing::s3_xml);
}

#[test]
fn scenario_load() {
    replay("scenario_load", fuzzing::scenario_load);
}

#[test]
fn server_ops() {
    replay("server_ops", fuzzing::server_ops);
}
