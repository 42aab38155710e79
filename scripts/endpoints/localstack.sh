#!/usr/bin/env bash
# LocalStack (community `localstack-core`, S3 only) as a host process on 127.0.0.1,
# without Docker. One port serves both HTTPS (our test CA) and plain HTTP.
#
#   scripts/endpoints/localstack.sh start   # install (Python 3.12 venv), start, wait until S3 is ready
#   scripts/endpoints/localstack.sh stop
#   scripts/endpoints/localstack.sh status
#   eval "$(scripts/endpoints/localstack.sh env)"
#
# Tunables (environment): SSEC_ENDPOINT_STATE (default /tmp/ssec-endpoints),
# SSEC_LOCALSTACK_VERSION (PyPI localstack-core version, default 2026.3.0),
# SSEC_LOCALSTACK_PORT (default 18566),
# SSEC_LOCALSTACK_PYTHON (a Python >= 3.13; default: pyenv's 3.13, else python3.13).
set -euo pipefail

SSEC_NAME=localstack
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

VERSION="${SSEC_LOCALSTACK_VERSION:-2026.3.0}"
PORT="${SSEC_LOCALSTACK_PORT:-18566}"
# LocalStack checks no signature by default; the project's pair keeps all scripts alike.
ACCESS_KEY=ssecconform
SECRET_KEY=ssecconform-secret

DIR="$SSEC_ENDPOINT_STATE/localstack"
VENV="$DIR/venv"
TLS="$DIR/tls"
PIDFILE="$DIR/localstack.pid"
LOGFILE="$DIR/localstack.log"

do_env() {
    echo "export SSEC_ENDPOINT_URL=https://127.0.0.1:$PORT"
    echo "export SSEC_HTTP_ENDPOINT_URL=http://127.0.0.1:$PORT"
    echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    echo "export AWS_REGION=us-east-1"
    echo "export AWS_DEFAULT_REGION=us-east-1"
    echo "export SSEC_CA_BUNDLE=$TLS/ca.pem"
}

# localstack-core 2026.3.0 says Requires-Python >= 3.10, but its runtime imports
# `warnings.deprecated` (new in 3.13): under 3.12 the runtime fails with "No component plugins
# found". The other scripts' venvs use python3.
python313() {
    local candidate
    for candidate in "${SSEC_LOCALSTACK_PYTHON:-}" "$(pyenv root 2>/dev/null)/versions/3.13"*/bin/python3.13 python3.13; do
        [[ -n "$candidate" ]] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    ssec_die "no Python >= 3.13 found (set SSEC_LOCALSTACK_PYTHON)"
}

do_start() {
    mkdir -p "$DIR"
    ssec_port_free "$PORT" || ssec_die "port 127.0.0.1:$PORT is already in use"

    # cbor2 6 moved `cbor2._decoder`, which localstack-core 2026.3.0's request parser imports
    # (without the pin the runtime fails to load, again as "No component plugins found").
    # service_identity: the gateway's Twisted server needs it for TLS and nothing pulls it in.
    SSEC_PYTHON="$(python313)" ssec_venv "$VENV" "localstack-core[runtime]==$VERSION" "cbor2<6" service_identity
    ssec_tls "$TLS"
    # LocalStack takes one PEM with the key and the certificate (CUSTOM_SSL_CERT_PATH) and
    # splits it into .key/.crt next to it.
    cat "$TLS/server.key" "$TLS/server.pem" >"$TLS/localstack.pem"
    chmod 600 "$TLS/localstack.pem"

    # Host mode: everything under FILESYSTEM_ROOT, nothing in ~/.localstack, no network calls
    # (certificate download, analytics), no DNS server, S3 only, state in memory.
    # GATEWAY_SERVER=hypercorn: the default Twisted server ignores the host of GATEWAY_LISTEN and
    # binds 0.0.0.0; hypercorn binds 127.0.0.1 and serves HTTPS and HTTP on the one port.
    rm -rf "$DIR/filesystem"
    ssec_log "starting localstack-core $VERSION (S3 only)"
    ssec_spawn "$PIDFILE" "$LOGFILE" env \
        GATEWAY_LISTEN="127.0.0.1:$PORT" \
        GATEWAY_SERVER=hypercorn SERVICES=s3 EAGER_SERVICE_LOADING=1 \
        FILESYSTEM_ROOT="$DIR/filesystem" CONFIG_DIR="$DIR/config" \
        CUSTOM_SSL_CERT_PATH="$TLS/localstack.pem" SKIP_SSL_CERT_DOWNLOAD=1 \
        DISABLE_EVENTS=1 DNS_ADDRESS=0 \
        "$VENV/bin/python" -m localstack.runtime.main

    # /_localstack/health answers before S3 is loaded; wait until it says s3 is running.
    local deadline=$((SECONDS + SSEC_START_TIMEOUT))
    until curl -s -m 3 --cacert "$TLS/ca.pem" "https://127.0.0.1:$PORT/_localstack/health" |
        grep -q '"s3": *"\(running\|available\)"'; do
        if ! ssec_running "$PIDFILE" || ((SECONDS >= deadline)); then
            ssec_log "S3 not running (process exited, or ${SSEC_START_TIMEOUT}s passed); last log lines:"
            tail -n 30 "$LOGFILE" >&2 || true
            ssec_stop "$PIDFILE" || true
            exit 1
        fi
        sleep 1
    done
    ssec_wait_http "http://127.0.0.1:$PORT/_localstack/health" "$PIDFILE" ||
        ssec_die "plain HTTP on port $PORT does not answer"
    ssec_log "up: https://127.0.0.1:$PORT and http://127.0.0.1:$PORT (log $LOGFILE)"
    do_env
}

ssec_main "${1:-}" "$PIDFILE"
