#!/usr/bin/env bash
# Runs the SSE-C conformance catalogue as a CI step: the script behind action.yml, usable from any CI.
#
# Settings come from the environment, as for `ssec-conform run` (see `ssec-conform run --help`):
# SSEC_ENDPOINT_URL (none: the embedded reference server), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_SESSION_TOKEN, AWS_REGION, SSEC_PROFILE, SSEC_CA_BUNDLE, SSEC_BASELINE, SSEC_REPORT_DIR
# (default: reports), ... Also read:
#   SSEC_CONFORM      the binary (default: ssec-conform on PATH)
#   SSEC_RUN_ARGS     more arguments for `run`, split on spaces
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT   set by GitHub Actions; the Markdown summary is appended to the
#                     first, `report-dir` and `exit-code` are written to the second
#
# Exit status: 0 when every deviation is one the profile lists (or, with SSEC_BASELINE, when nothing
# regressed), 1 on any other finding, 2 when the run could not happen (bad settings, endpoint down).
set -uo pipefail

# CI systems pass unset inputs as empty variables: an empty setting means "not set".
for name in $(compgen -e); do
    if [[ ( "$name" == SSEC_* || "$name" == AWS_* ) && -z "${!name}" ]]; then
        unset "$name"
    fi
done

bin="${SSEC_CONFORM:-ssec-conform}"
export SSEC_REPORT_DIR="${SSEC_REPORT_DIR:-reports}"
read -r -a extra <<< "${SSEC_RUN_ARGS:-}"

"$bin" run "${extra[@]}"
status=$?

summary="$SSEC_REPORT_DIR/summary.md"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$summary" ]]; then
    cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf 'report-dir=%s\nexit-code=%s\n' "$SSEC_REPORT_DIR" "$status" >> "$GITHUB_OUTPUT"
fi
case "$status" in
    0) echo "ssec-conform: no finding beyond the profile's known deviations; reports in $SSEC_REPORT_DIR" ;;
    1) echo "::error title=SSE-C conformance::findings the profile does not list; see $summary" ;;
    *) echo "::error title=SSE-C conformance::ssec-conform could not run (exit $status)" ;;
esac
exit "$status"
