#!/usr/bin/env bash
# `cargo fuzz` with coverage instrumentation on the code under test only (the project, its fuzz
# targets and s3s; see scripts/fuzz-rustc-wrapper.sh), built in fuzz/target/focused. libFuzzer
# then spends its time on features an input can change, not on tokio's or hyper's edges: about
# 1.5 times the executions per second of a plain `cargo fuzz` build for server_ops.
#
#   bash scripts/fuzz.sh run server_ops fuzz/corpus/server_ops -- -max_total_time=60
#   FUZZ_INSTRUMENT=all bash scripts/fuzz.sh ...   every crate instrumented (plain cargo fuzz)
#
# On the stable toolchain cargo-fuzz's nightly flags are unlocked with RUSTC_BOOTSTRAP=1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export RUSTC_BOOTSTRAP=1
if [[ $# == 0 ]]; then
    exec cargo fuzz --help
fi
command="$1"
shift
if [[ "${FUZZ_INSTRUMENT:-}" == all ]]; then
    exec cargo fuzz "$command" "$@"
fi
export RUSTC_WRAPPER="$root/scripts/fuzz-rustc-wrapper.sh"
case "$command" in
    build | run | tmin | cmin | check | coverage) exec cargo fuzz "$command" --target-dir "$root/fuzz/target/focused" "$@" ;;
    *) exec cargo fuzz "$command" "$@" ;;
esac
