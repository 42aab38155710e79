#!/usr/bin/env bash
# Probe the SSE-C behaviour of one endpoint script's server (which must be started).
#   scripts/endpoints/probe-ssec.sh NAME        # botocore matrix + raw HTTP/1.1 headers (probe_ssec.py)
#   scripts/endpoints/probe-ssec.sh NAME cli    # the same basics with literal `aws s3api` commands
# NAME is seaweedfs, moto or ceph-rgw. Installs awscli into
# $SSEC_ENDPOINT_STATE/awscli/venv on first use. Creates one new bucket per run.
set -euo pipefail
SSEC_NAME=probe
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
name="${1:?usage: $0 NAME [cli]   (NAME: seaweedfs, moto, ceph-rgw)}"
mode="${2:-matrix}"
[[ -x "$HERE/$name.sh" ]] || ssec_die "no $HERE/$name.sh"
VENV="$SSEC_ENDPOINT_STATE/awscli/venv"
ssec_venv "$VENV" "awscli==${SSEC_AWSCLI_VERSION:-1.45.11}"
eval "$("$HERE/$name.sh" env)"

if [[ "$mode" != cli ]]; then
    exec "$VENV/bin/python" "$HERE/probe_ssec.py"
fi

K1=pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=
M1=DWygnHRtgiJ77HCm+1rvHw==
K2=6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4=
M2=arxBvwY2V4SiOne6yppVPQ==
B="ssec-cli-$(date +%s)-$RANDOM"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "hello sse-c via aws cli" >"$tmp/in"
args=(--endpoint-url "$SSEC_ENDPOINT_URL")
[[ -n "${SSEC_CA_BUNDLE:-}" ]] && args+=(--ca-bundle "$SSEC_CA_BUNDLE")
run() { # run LABEL aws-args... : print the HTTP status and error line the CLI saw
    local label="$1"; shift
    local out rc status
    out="$("$VENV/bin/aws" "${args[@]}" --debug "$@" 2>&1)" && rc=0 || rc=$?
    status="$(grep -oE '"[A-Z]+ [^"]*" [0-9]{3}' <<<"$out" | grep -oE '[0-9]{3}$' | head -1 || true)"
    local msg=""
    ((rc == 0)) || msg="$(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2} |^\s*$|^(b?[\x27"]|Traceback|  )' <<<"$out" | tail -1 || true)"
    printf '%-34s rc=%-3s http=%-4s %s\n' "$label" "$rc" "${status:-?}" "$msg"
}
# awscli >= 1.37 sends aws-chunked bodies with a trailing CRC by default; Ceph
# RGW 16.2 answers that with 411 and the CLI then crashes ("argument of type
# 'NoneType' is not iterable"). Send plain bodies unless told otherwise.
export AWS_REQUEST_CHECKSUM_CALCULATION="${AWS_REQUEST_CHECKSUM_CALCULATION:-when_required}"
echo "# $SSEC_ENDPOINT_URL bucket $B (AWS_REQUEST_CHECKSUM_CALCULATION=$AWS_REQUEST_CHECKSUM_CALCULATION)"
run create-bucket s3api create-bucket --bucket "$B"
run "put-object K1" s3api put-object --bucket "$B" --key o --body "$tmp/in" \
    --sse-customer-algorithm AES256 --sse-customer-key "$K1" --sse-customer-key-md5 "$M1"
run "get-object K1" s3api get-object --bucket "$B" --key o \
    --sse-customer-algorithm AES256 --sse-customer-key "$K1" --sse-customer-key-md5 "$M1" "$tmp/out"
cmp -s "$tmp/in" "$tmp/out" && echo "  body round-trips" || echo "  BODY DIFFERS"
run "get-object K2 (wrong)" s3api get-object --bucket "$B" --key o \
    --sse-customer-algorithm AES256 --sse-customer-key "$K2" --sse-customer-key-md5 "$M2" "$tmp/out2"
run "get-object no key" s3api get-object --bucket "$B" --key o "$tmp/out3"
run "head-object K1" s3api head-object --bucket "$B" --key o \
    --sse-customer-algorithm AES256 --sse-customer-key "$K1" --sse-customer-key-md5 "$M1"
run "head-object no key" s3api head-object --bucket "$B" --key o
