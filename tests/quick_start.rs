//! The README's quick start for storage vendors, run command by command against a reference server
//! standing in for the vendor's endpoint. It accepts SSE-C over plain HTTP (an operator opt-out),
//! so the first run has a security finding to draft a profile from.

mod common;

use std::path::Path;
use std::process::Command;

/// The first `sh` block of the README section `## Quick start for storage vendors`.
fn quick_start() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("## Quick start for storage vendors").nth(1).expect("the section");
    let block = section.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("its sh block");
    block.lines().map(str::to_owned).collect()
}

#[test]
fn every_command_of_the_vendor_quick_start_works() {
    let (_rt, server, dir) = common::accepting_sse_c_over_http();
    let (access_key, secret_key) = server.credentials();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ssec-conform")).parent().unwrap().to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());

    let lines = quick_start();
    let (exports, commands): (Vec<&String>, Vec<&String>) = lines.iter().partition(|l| l.starts_with("export "));
    // The placeholders a vendor replaces, replaced by the stand-in's values.
    let exports = exports
        .iter()
        .map(|l| {
            l.replace("https://s3.example.com", server.https_url().unwrap())
                .replace("http://s3.example.com", server.http_url().unwrap())
                .replace("AWS_ACCESS_KEY_ID=...", &format!("AWS_ACCESS_KEY_ID={access_key}"))
                .replace("AWS_SECRET_ACCESS_KEY=...", &format!("AWS_SECRET_ACCESS_KEY={secret_key}"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!exports.contains("..."), "every placeholder is known: {exports}");
    let expected_codes = [1, 0, 0, 0];
    assert_eq!(commands.len(), expected_codes.len(), "{commands:?}");
    let mut last = String::new();
    for (command, code) in commands.iter().zip(expected_codes) {
        let out = Command::new("bash")
            .env_clear()
            .env("PATH", &path)
            .current_dir(dir.path())
            .arg("-c")
            .arg(format!("{exports}\n{command}"))
            .output()
            .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(code), "`{command}`\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        last = stdout;
    }
    assert!(dir.path().join("my-s3.yaml").is_file());
    let verdict = last.trim_end().lines().last().unwrap_or_default();
    assert!(verdict.starts_with("passed with ") && verdict.contains(" known findings ("), "{last}");
}
