//! Target `scenario_load`: scenario and profile text loads or is refused with a location.

use std::sync::atomic::{AtomicU64, Ordering};

/// Fuzz entry point: the bytes as a scenario file and as a profile file.
pub fn scenario_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_scenario_text(&text);
}

/// The most heap loading `input_len` bytes of scenario or profile text may grow by: 32 MiB plus 4 KiB
/// per input byte. The `scenario_load` fuzz target checks it with a counting allocator, and the
/// stable replay (`tests/scenario_load_memory.rs`) on the committed inputs.
#[must_use]
pub fn scenario_heap_limit(input_len: usize) -> usize {
    (32 << 20) + 4096 * input_len
}

/// Loading never panics, and every refusal says where.
pub fn check_scenario_text(text: &str) {
    if let Err(errors) = crate::scenario::load::parse("fuzz/000-case.yaml", text) {
        assert!(!errors.is_empty(), "a scenario was refused without a message");
        for e in &errors {
            assert!(e.starts_with("fuzz/000-case.yaml:"), "an error does not name the file: {e}");
        }
    }
    let path = profile_scratch_path();
    if std::fs::write(&path, text.as_bytes()).is_ok()
        && let Err(e) = crate::scenario::profile::Profile::load(&path)
    {
        assert!(e.to_string().contains(&path.display().to_string()), "a profile error does not name the file: {e}");
    }
}

fn profile_scratch_path() -> std::path::PathBuf {
    thread_local! {
        static PATH: std::path::PathBuf = {
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            std::env::temp_dir().join(format!("ssec-fuzz-profile-{}-{n}.yaml", std::process::id()))
        };
    }
    PATH.with(Clone::clone)
}
