//! The memory bound of scenario and profile loading, on stable: the committed `scenario_load` fuzz
//! inputs (regressions and seeds) load within `fuzzing::scenario_heap_limit`, as the fuzz target
//! checks with its counting allocator. One test in its own binary, so that no other test's
//! allocations count.

use std::alloc::System;
use std::path::Path;

use cap::Cap;
use ssec_conform::fuzzing;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn committed_scenario_inputs_load_within_the_heap_bound() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (dir, seeds_only) in
        [(root.join("regressions/scenario_load"), false), (root.join("corpus/scenario_load"), true)]
    {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if path.is_file() && (!seeds_only || name.starts_with("seed-")) {
                inputs.push((name, std::fs::read(&path).expect("read input")));
            }
        }
    }
    assert!(inputs.len() >= 5, "too few committed scenario_load inputs: {}", inputs.len());

    // The peak is process-wide and only grows, so each input is measured against the live heap
    // before it, after everything before it has been freed: a conservative bound per input.
    for (name, data) in &inputs {
        let before = ALLOCATOR.allocated();
        fuzzing::scenario_load(data);
        let peak = ALLOCATOR.max_allocated();
        let limit = before + fuzzing::scenario_heap_limit(data.len());
        assert!(
            peak <= limit,
            "loading {name} ({} bytes) reached {peak} bytes of heap, over the bound of {limit}",
            data.len()
        );
    }
}
