#!/usr/bin/env bash
# moto (`moto_server`, in-memory AWS mock) on 127.0.0.1 over HTTPS.
# moto accepts the SSE-C headers but does not implement SSE-C: it is a
# NEGATIVE CONTROL (see README.md, "Observed SSE-C behaviour").
#
#   scripts/endpoints/moto.sh start   # install (pip venv), start, wait until it answers
#   scripts/endpoints/moto.sh stop
#   scripts/endpoints/moto.sh status
#   eval "$(scripts/endpoints/moto.sh env)"
#
# Tunables (environment): SSEC_ENDPOINT_STATE (default /tmp/ssec-endpoints),
# SSEC_MOTO_VERSION (PyPI moto version, default 5.2.5),
# SSEC_MOTO_PORT (default 18443), SSEC_MOTO_TLS (1 = HTTPS with our own test
# CA, the default; 0 = plain HTTP), SSEC_MOTO_HTTP_PORT (unset by default; if
# set with TLS on, the same moto state is ALSO served over plain HTTP on that
# port, by moto_dual.py instead of moto_server; `env` then prints
# SSEC_HTTP_ENDPOINT_URL).
set -euo pipefail

SSEC_NAME=moto
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

VERSION="${SSEC_MOTO_VERSION:-5.2.5}"
PORT="${SSEC_MOTO_PORT:-18443}"
TLS_ON="${SSEC_MOTO_TLS:-1}"
HTTP_PORT="${SSEC_MOTO_HTTP_PORT:-}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# moto checks no signature: any key pair works; use the project's for uniformity.
ACCESS_KEY=ssecconform
SECRET_KEY=ssecconform-secret

DIR="$SSEC_ENDPOINT_STATE/moto"
VENV="$DIR/venv"
TLS="$DIR/tls"
PIDFILE="$DIR/moto.pid"
LOGFILE="$DIR/moto.log"

scheme() { if [[ "$TLS_ON" == 1 ]]; then echo https; else echo http; fi; }

do_env() {
    echo "export SSEC_ENDPOINT_URL=$(scheme)://127.0.0.1:$PORT"
    echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    echo "export AWS_REGION=us-east-1"
    echo "export AWS_DEFAULT_REGION=us-east-1"
    if [[ "$TLS_ON" == 1 ]]; then
        echo "export SSEC_CA_BUNDLE=$TLS/ca.pem"
    else
        echo "unset SSEC_CA_BUNDLE"
    fi
    if [[ "$TLS_ON" == 1 && -n "$HTTP_PORT" ]]; then
        echo "export SSEC_HTTP_ENDPOINT_URL=http://127.0.0.1:$HTTP_PORT"
    fi
}

do_start() {
    mkdir -p "$DIR"
    ssec_port_free "$PORT" || ssec_die "port 127.0.0.1:$PORT is already in use"
    if [[ -n "$HTTP_PORT" ]]; then
        [[ "$TLS_ON" == 1 ]] || ssec_die "SSEC_MOTO_HTTP_PORT needs SSEC_MOTO_TLS=1 (the main port is already plain HTTP)"
        ssec_port_free "$HTTP_PORT" || ssec_die "port 127.0.0.1:$HTTP_PORT is already in use"
    fi

    ssec_venv "$VENV" "moto[server]==$VERSION"
    [[ -x "$VENV/bin/moto_server" ]] || ssec_die "moto_server missing after pip install"

    local -a tlsargs=() curlargs=()
    if [[ "$TLS_ON" == 1 ]]; then
        # Not `--ssl`: that makes an ad-hoc self-signed certificate in memory
        # which no client can be told to trust. -c/-k take our CA-signed one.
        ssec_tls "$TLS"
        tlsargs=(-c "$TLS/server.pem" -k "$TLS/server.key")
        curlargs=(--cacert "$TLS/ca.pem")
    fi

    # MOTO_ALLOW_NONEXISTENT_REGION etc. are not needed; state is in memory only.
    if [[ -n "$HTTP_PORT" ]]; then
        ssec_log "starting moto $VERSION (moto_dual.py: https $PORT + http $HTTP_PORT, one state)"
        ssec_spawn "$PIDFILE" "$LOGFILE" "$VENV/bin/python" "$HERE/moto_dual.py" 127.0.0.1 "$PORT" "$HTTP_PORT" \
            "$TLS/server.pem" "$TLS/server.key"
    else
        ssec_log "starting moto_server $VERSION"
        ssec_spawn "$PIDFILE" "$LOGFILE" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" "${tlsargs[@]}"
    fi

    if ! ssec_wait_http "$(scheme)://127.0.0.1:$PORT/moto-api/" "$PIDFILE" "${curlargs[@]}" ||
        { [[ -n "$HTTP_PORT" ]] && ! ssec_wait_http "http://127.0.0.1:$HTTP_PORT/moto-api/" "$PIDFILE"; }; then
        ssec_log "did not come up within ${SSEC_START_TIMEOUT}s; last log lines:"
        tail -n 30 "$LOGFILE" >&2 || true
        ssec_stop "$PIDFILE" || true
        exit 1
    fi
    ssec_log "up: $(scheme)://127.0.0.1:$PORT (log $LOGFILE)"
    do_env
}

ssec_main "${1:-}" "$PIDFILE"
