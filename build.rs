//! Embeds the scenario catalogue (`scenarios/`) and the endpoint profiles (`profiles/`) in the
//! library, so an installed binary runs them from any directory. Generates `$OUT_DIR/catalogue.rs`:
//! one `include_str!` per file, sorted by path, so cargo rebuilds when any file changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut out = String::new();
    for (name, dir) in [("SCENARIO_FILES", "scenarios"), ("PROFILE_FILES", "profiles")] {
        // A directory here makes cargo rerun this script when anything below it changes.
        println!("cargo:rerun-if-changed={dir}");
        let mut files = Vec::new();
        collect(&root.join(dir), &mut files);
        files.sort();
        writeln!(out, "pub(crate) static {name}: &[EmbeddedFile] = &[").expect("write to a String");
        for file in files {
            let relative = file.strip_prefix(&root).expect("collected under the root");
            let catalogue_path =
                relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            writeln!(
                out,
                "    EmbeddedFile {{ path: {catalogue_path:?}, text: include_str!({:?}) }},",
                file.display().to_string()
            )
            .expect("write to a String");
        }
        out.push_str("];\n");
    }
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalogue.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

/// Every regular file below `dir` (YAML, and the manual and schemas that help editing them).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "md" || e == "json") {
            files.push(path);
        }
    }
}
