#!/usr/bin/env bash
# Fuzz smoke test for CI: builds every cargo-fuzz target under fuzz/ and runs each for
# FUZZ_SECONDS (default 20) on its corpus with its dictionary, then prints executions and
# executions per second per target. Exits non-zero when a target crashes (the input is left in
# fuzz/artifacts/<target>/) or does not build.
#
# Builds go through scripts/fuzz.sh (coverage on the code under test only, in fuzz/target/focused).
# cargo-fuzz needs nightly flags; on the stable toolchain they are unlocked with RUSTC_BOOTSTRAP=1.
# cargo-fuzz itself is installed on first use.
#
#   FUZZ_SECONDS=20        seconds per target
#   FUZZ_TARGETS="a b"     only these targets (default: all, from `cargo fuzz list`)
#   FUZZ_SANITIZER=address cargo-fuzz sanitizer (address, none, ...)
#   FUZZ_JOBS=1            libFuzzer -fork jobs per target (1: in-process)
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-ci: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
echo "fuzz-ci: building fuzz targets ($(cargo fuzz --version), sanitizer $sanitizer)"
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    for t in $targets; do bash scripts/fuzz.sh build --sanitizer "$sanitizer" "$t"; done
else
    bash scripts/fuzz.sh build --sanitizer "$sanitizer"
fi
logs="fuzz/target/fuzz-ci"
mkdir -p "$logs"

failed=()
summary=()
for t in $targets; do
    corpus="fuzz/corpus/$t"
    mkdir -p "$corpus"
    args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=60 -rss_limit_mb=4096)
    if [[ -f "fuzz/dictionaries/$t.dict" ]]; then
        args+=(-dict="fuzz/dictionaries/$t.dict")
    fi
    case "$t" in
        # Structured inputs: let them be long from the start instead of growing the limit slowly.
        server_ops | server_ops_https | sigv4_auth | aws_chunked | s3_xml) args+=(-max_len=8192 -len_control=0) ;;
    esac
    if [[ "${FUZZ_JOBS:-1}" != 1 ]]; then
        args+=(-fork="$FUZZ_JOBS")
    fi
    log="$logs/$t.log"
    echo "fuzz-ci: $t for ${seconds}s (log: $log)"
    status=0
    bash scripts/fuzz.sh run --sanitizer "$sanitizer" "$t" "$corpus" -- "${args[@]}" >"$log" 2>&1 || status=$?
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)"
    units="$(find "$corpus" -type f | wc -l | tr -d ' ')"
    if [[ "$status" != 0 ]]; then
        failed+=("$t")
        summary+=("$(printf '%-15s %12s %10s %8s  FAILED (exit %s)' "$t" "${execs:-?}" "${rate:-?}" "$units" "$status")")
        echo "----- $t: last lines of $log -----"
        grep -E 'panicked|ERROR|SUMMARY|Test unit written|assert' "$log" | head -n 20 || true
        tail -n 30 "$log"
        echo "-----"
        echo "reproduce: bash scripts/fuzz.sh run $t fuzz/artifacts/$t/<crash-file>"
    else
        summary+=("$(printf '%-15s %12s %10s %8s  ok' "$t" "${execs:-?}" "${rate:-?}" "$units")")
    fi
done

echo
printf '%-15s %12s %10s %8s  %s\n' target executions exec/s corpus result
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "fuzz-ci: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz-ci: all targets ran ${seconds}s without a crash"
