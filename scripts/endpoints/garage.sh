#!/usr/bin/env bash
# Garage (single-node `garage server`) on 127.0.0.1: its own plain-HTTP S3 API
# plus an HTTPS front (tls_front.py) in front of it.
#
#   scripts/endpoints/garage.sh start   # build (cargo install, first use), fresh 1-node cluster, wait
#   scripts/endpoints/garage.sh stop    # stops garage and the TLS front, deletes the cluster's data
#   scripts/endpoints/garage.sh status
#   eval "$(scripts/endpoints/garage.sh env)"
#
# Tunables (environment): SSEC_ENDPOINT_STATE (default /tmp/ssec-endpoints),
# SSEC_GARAGE_VERSION (crates.io garage version, default 2.5.0),
# SSEC_GARAGE_PORT (HTTPS front, default 18390), SSEC_GARAGE_HTTP_PORT (Garage's
# own plain-HTTP S3 API, default 18391), SSEC_GARAGE_RPC_PORT (default 18392),
# SSEC_GARAGE_ADMIN_PORT (default 18393), SSEC_GARAGE_JOBS (cargo build jobs, default 1).
set -euo pipefail

SSEC_NAME=garage
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

VERSION="${SSEC_GARAGE_VERSION:-2.5.0}"
PORT="${SSEC_GARAGE_PORT:-18390}"
HTTP_PORT="${SSEC_GARAGE_HTTP_PORT:-18391}"
RPC_PORT="${SSEC_GARAGE_RPC_PORT:-18392}"
ADMIN_PORT="${SSEC_GARAGE_ADMIN_PORT:-18393}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ACCESS_KEY=ssecconform
SECRET_KEY=ssecconform-secret

DIR="$SSEC_ENDPOINT_STATE/garage"
INSTALL="$DIR/install"
GARAGE="$INSTALL/bin/garage"
TLS="$DIR/tls"
CLUSTER="$DIR/cluster"
CONF="$CLUSTER/garage.toml"
PIDFILE="$DIR/garage.pid"
LOGFILE="$DIR/garage.log"
FRONT_PIDFILE="$DIR/tls-front.pid"
FRONT_LOGFILE="$DIR/tls-front.log"

do_env() {
    echo "export SSEC_ENDPOINT_URL=https://127.0.0.1:$PORT"
    echo "export SSEC_HTTP_ENDPOINT_URL=http://127.0.0.1:$HTTP_PORT"
    echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    echo "export AWS_REGION=us-east-1"
    echo "export AWS_DEFAULT_REGION=us-east-1"
    echo "export SSEC_CA_BUNDLE=$TLS/ca.pem"
}

# The garage binary, built from crates.io on first use (about an hour on 2 busy cores, niced).
install_garage() {
    # A cargo-installed garage says `garage cargo:2.5.0 [features: ...]`.
    if [[ -x "$GARAGE" ]] && "$GARAGE" --version 2>/dev/null | grep -qE "[v:]$VERSION( |$)"; then
        return 0
    fi
    ssec_log "cargo install garage $VERSION into $INSTALL (long: it builds ~290 crates)"
    CARGO_TARGET_DIR="$DIR/build" nice -n "${SSEC_NICE:-10}" \
        cargo install garage --version "=$VERSION" --locked --root "$INSTALL" -j "${SSEC_GARAGE_JOBS:-1}" >&2 ||
        ssec_die "cargo install garage failed"
}

cli() { "$GARAGE" -c "$CONF" "$@"; }

# Polls `garage status` (the RPC port) until the daemon answers, bounded.
wait_rpc() {
    local deadline=$((SECONDS + SSEC_START_TIMEOUT))
    until cli status >/dev/null 2>&1; do
        ssec_running "$PIDFILE" || return 1
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
}

write_config() {
    mkdir -p "$CLUSTER/meta" "$CLUSTER/data"
    # A fresh secret per cluster: only this script's CLI calls use it.
    cat >"$CONF" <<TOML
metadata_dir = "$CLUSTER/meta"
data_dir = "$CLUSTER/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$RPC_PORT"
rpc_public_addr = "127.0.0.1:$RPC_PORT"
rpc_secret = "$(openssl rand -hex 32)"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$HTTP_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$ADMIN_PORT"
admin_token = "$(openssl rand -hex 32)"
TOML
    chmod 600 "$CONF"
}

do_stop() {
    ssec_stop "$FRONT_PIDFILE"
    ssec_stop "$PIDFILE"
    rm -rf "$CLUSTER"
}

fail_start() {
    ssec_log "$1; last log lines:"
    tail -n 30 "$LOGFILE" "$FRONT_LOGFILE" >&2 || true
    do_stop || true
    exit 1
}

do_start() {
    mkdir -p "$DIR"
    do_stop 2>/dev/null || true
    local p
    for p in "$PORT" "$HTTP_PORT" "$RPC_PORT" "$ADMIN_PORT"; do
        ssec_port_free "$p" || ssec_die "port 127.0.0.1:$p is already in use"
    done
    install_garage
    ssec_tls "$TLS"
    write_config

    ssec_log "starting $("$GARAGE" --version 2>/dev/null | head -1)"
    ssec_spawn "$PIDFILE" "$LOGFILE" env RUST_LOG=garage=info "$GARAGE" -c "$CONF" server
    wait_rpc || fail_start "garage did not answer on RPC within ${SSEC_START_TIMEOUT}s"

    # Single-node layout: this node holds everything.
    local node
    node="$(cli node id -q 2>/dev/null | head -1)"
    node="${node%%@*}"
    [[ -n "$node" ]] || fail_start "no node id"
    cli layout assign -z dc1 -c 1G "$node" >/dev/null || fail_start "layout assign failed"
    cli layout apply --version 1 >/dev/null || fail_start "layout apply failed"

    # The project's fixed credentials, allowed to create buckets (each scenario makes its own).
    cli key import --yes -n ssec-conform "$ACCESS_KEY" "$SECRET_KEY" >/dev/null || fail_start "key import failed"
    cli key allow --create-bucket "$ACCESS_KEY" >/dev/null || fail_start "key allow failed"

    ssec_spawn "$FRONT_PIDFILE" "$FRONT_LOGFILE" "${SSEC_PYTHON}" "$HERE/tls_front.py" "$PORT" "$HTTP_PORT" \
        "$TLS/server.pem" "$TLS/server.key"
    ssec_wait_http "http://127.0.0.1:$HTTP_PORT/" "$PIDFILE" || fail_start "S3 API did not answer"
    ssec_wait_http "https://127.0.0.1:$PORT/" "$FRONT_PIDFILE" --cacert "$TLS/ca.pem" ||
        fail_start "TLS front did not answer"
    ssec_log "up: https://127.0.0.1:$PORT -> http://127.0.0.1:$HTTP_PORT (CA $TLS/ca.pem, log $LOGFILE)"
    do_env
}

ssec_main "${1:-}" "$PIDFILE" "$FRONT_PIDFILE"
