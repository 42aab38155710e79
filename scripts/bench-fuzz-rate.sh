#!/usr/bin/env bash
# Benchmark of the cargo-fuzz targets: runs each for SECONDS on a scratch copy of its committed seeds
# (the corpus under fuzz/ is left alone), in one process (one core), and prints executions per
# second. Builds once with scripts/fuzz.sh, without a sanitizer unless FUZZ_SANITIZER says otherwise.
#
#   SECONDS_PER_TARGET=10 FUZZ_TARGETS="server_ops" bash scripts/bench-fuzz-rate.sh
#   EMPTY_CORPUS=1 ...      start from an empty corpus instead of the seeds
#   FUZZ_INSTRUMENT=all ... every crate instrumented, as a plain `cargo fuzz` build
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
seconds="${SECONDS_PER_TARGET:-10}"
sanitizer="${FUZZ_SANITIZER:-none}"
bash scripts/fuzz.sh build --sanitizer "$sanitizer" >/dev/null
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-18s %12s %10s\n' target executions exec/s
for t in $targets; do
    corpus="$work/$t"
    mkdir -p "$corpus"
    if [[ -z "${EMPTY_CORPUS:-}" ]]; then
        cp fuzz/corpus/"$t"/seed-* "$corpus"/ 2>/dev/null || true
    fi
    args=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 -dict="fuzz/dictionaries/$t.dict")
    case "$t" in
        server_ops | server_ops_https | sigv4_auth | aws_chunked | s3_xml) args+=(-max_len=8192 -len_control=0) ;;
    esac
    bash scripts/fuzz.sh run --sanitizer "$sanitizer" "$t" "$corpus" -- "${args[@]}" >"$work/$t.log" 2>&1 || true
    printf '%-18s %12s %10s\n' "$t" \
        "$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -n1)" \
        "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log" | tail -n1)"
done
