#!/usr/bin/env bash
# RUSTC_WRAPPER for cargo-fuzz builds (scripts/fuzz.sh sets it): coverage instrumentation
# (sancov counters, comparison tracing) only for the crates whose behaviour is fuzzed, the
# project, its fuzz targets and s3s (FUZZ_INSTRUMENT="crate_a crate_b" replaces that list; with
# FUZZ_INSTRUMENT=all, scripts/fuzz.sh does not use this wrapper). Every other dependency (tokio,
# hyper, rustls, hashing, ...) is compiled with the same sanitizer and cfg but without counters:
# their edges would only give libFuzzer features no input controls, and collecting them after
# every execution costs time the code under test could use.
set -euo pipefail
rustc="$1"
shift
instrumented="${FUZZ_INSTRUMENT:-ssec_conform s3s}"
crate=""
previous=""
for arg in "$@"; do
    if [[ "$previous" == --crate-name ]]; then
        crate="$arg"
    fi
    previous="$arg"
done
keep=0
if [[ -z "$crate" ]]; then
    keep=1 # a rustc query (-vV, --print), not a crate
else
    for name in $instrumented; do
        [[ "$crate" == "$name" ]] && keep=1
    done
    # The fuzz targets: sources under a fuzz_targets directory.
    for arg in "$@"; do
        [[ "$arg" == */fuzz_targets/*.rs ]] && keep=1
    done
fi
if [[ "$keep" == 1 ]]; then
    exec "$rustc" "$@"
fi
args=()
for arg in "$@"; do
    case "$arg" in
        -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-* | -Cllvm-args=-simplifycfg-branch-fold-threshold=*) ;;
        *) args+=("$arg") ;;
    esac
done
exec "$rustc" "${args[@]}"
