#!/usr/bin/env bash
# Run probe_ssec.py against one endpoint script's server, which must be started.
#   scripts/endpoints/probe-ssec.sh seaweedfs|moto
# Installs awscli (for botocore and the `aws` command) into
# $SSEC_ENDPOINT_STATE/awscli/venv on first use.
set -euo pipefail
SSEC_NAME=probe
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
name="${1:?usage: $0 ENDPOINT_SCRIPT_NAME (e.g. seaweedfs, moto)}"
[[ -x "$HERE/$name.sh" ]] || ssec_die "no $HERE/$name.sh"
ssec_venv "$SSEC_ENDPOINT_STATE/awscli/venv" "awscli==${SSEC_AWSCLI_VERSION:-1.45.11}"
eval "$("$HERE/$name.sh" env)"
exec "$SSEC_ENDPOINT_STATE/awscli/venv/bin/python" "$HERE/probe_ssec.py"
