#!/usr/bin/env bash
# Ceph RADOS Gateway (radosgw, Debian bookworm's Ceph 16.2 "pacific") on a
# throw-away single-node cluster bound to 127.0.0.1, S3 over HTTPS.
#
#   scripts/endpoints/ceph-rgw.sh start   # apt-get install if needed, build a fresh cluster, start
#   scripts/endpoints/ceph-rgw.sh stop    # stop all three daemons and DELETE the cluster
#   scripts/endpoints/ceph-rgw.sh status
#   eval "$(scripts/endpoints/ceph-rgw.sh env)"
#
# The cluster is one ceph-mon, one ceph-osd with the in-memory "memstore"
# object store and one radosgw (beast frontend). No ceph-mgr (health shows
# HEALTH_WARN "no active mgr"; RGW does not need it), cephx disabled, all
# state under $SSEC_ENDPOINT_STATE/ceph-rgw, which `stop` removes: objects do
# not survive a stop/start.
#
# Needs root for apt-get (only on first use). Tunables (environment):
# SSEC_ENDPOINT_STATE, SSEC_CEPH_RGW_PORT (HTTPS S3 port, default 18480),
# SSEC_CEPH_RGW_HTTP_PORT (unset by default; if set, RGW ALSO serves plain
# HTTP there, to check that SSE-C over HTTP is refused),
# SSEC_CEPH_MON_PORT (default 13300; OSD uses 16800-16899).
set -euo pipefail

SSEC_NAME=ceph-rgw
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

RGW_PORT="${SSEC_CEPH_RGW_PORT:-18480}"
HTTP_PORT="${SSEC_CEPH_RGW_HTTP_PORT:-}"
MON_PORT="${SSEC_CEPH_MON_PORT:-13300}"
ACCESS_KEY=ssecconform
SECRET_KEY=ssecconform-secret

DIR="$SSEC_ENDPOINT_STATE/ceph-rgw"
CLUSTER="$DIR/cluster"   # wiped by stop
TLS="$DIR/tls"           # kept, so SSEC_CA_BUNDLE stays valid across restarts
CONF="$CLUSTER/ceph.conf"
LOGFILE="$DIR/ceph-rgw.log"   # this script's own progress log; daemon logs in cluster/log/

do_env() {
    echo "export SSEC_ENDPOINT_URL=https://127.0.0.1:$RGW_PORT"
    echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
    echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
    echo "export AWS_REGION=us-east-1"
    echo "export AWS_DEFAULT_REGION=us-east-1"
    echo "export SSEC_CA_BUNDLE=$TLS/ca.pem"
    if [[ -n "$HTTP_PORT" ]]; then
        echo "export SSEC_HTTP_ENDPOINT_URL=http://127.0.0.1:$HTTP_PORT"
    fi
}

install_ceph() {
    if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null &&
        command -v ceph-osd >/dev/null && command -v radosgw-admin >/dev/null; then
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || ssec_die "ceph packages missing and not root: apt-get install ceph-mon ceph-osd radosgw ceph-common"
    ssec_log "installing ceph-mon ceph-osd radosgw ceph-common (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >&2; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends ceph-mon ceph-osd radosgw ceph-common >&2
    fi
}

# ceph CLI with a bounded wait (it otherwise retries the mon for 5 minutes).
ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@"; }

wait_until() { # wait_until DESCRIPTION PIDFILE COMMAND...
    local what="$1" pidfile="$2"; shift 2
    local deadline=$((SECONDS + SSEC_START_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ! ssec_running "$pidfile" || ((SECONDS >= deadline)); then
            ssec_log "$what: not ready within ${SSEC_START_TIMEOUT}s"
            return 1
        fi
        sleep 1
    done
}

osd_up() { ceph_cli osd stat 2>/dev/null | grep -q '1 up'; }

fail() {
    ssec_log "start failed: $*; daemon logs in $CLUSTER/log"
    tail -n 20 "$CLUSTER"/log/*.log >&2 2>/dev/null || true
    do_stop
    exit 1
}

do_start() {
    # A half-started or crashed cluster: start from scratch.
    [[ -d "$CLUSTER" ]] && do_stop
    local p
    for p in "$RGW_PORT" $HTTP_PORT "$MON_PORT"; do
        ssec_port_free "$p" || ssec_die "port 127.0.0.1:$p is already in use"
    done
    install_ceph
    ssec_tls "$TLS"
    mkdir -p "$CLUSTER"/{mon,osd/ceph-0,rgw,run,log}
    : >"$LOGFILE"

    local fsid frontends
    fsid="$(cat /proc/sys/kernel/random/uuid)"
    frontends="beast ssl_endpoint=127.0.0.1:$RGW_PORT ssl_certificate=$TLS/server.pem ssl_private_key=$TLS/server.key"
    if [[ -n "$HTTP_PORT" ]]; then
        frontends="$frontends endpoint=127.0.0.1:$HTTP_PORT"
    fi
    cat >"$CONF" <<CONF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$MON_PORT]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_port_min = 16800
ms_bind_port_max = 16899
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# radosgw defaults to a "secure" mon connection, which auth "none" cannot do.
ms_mon_client_mode = crc
run_dir = $CLUSTER/run
admin_socket = $CLUSTER/run/\$cluster-\$name.asok
log_file = $CLUSTER/log/\$cluster-\$name.log
log_to_stderr = false
err_to_stderr = true
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
[mon]
mon_data = $CLUSTER/mon/\$cluster-\$id
[osd]
osd_data = $CLUSTER/osd/\$cluster-\$id
osd_objectstore = memstore
memstore_device_bytes = 2147483648
[client.rgw.a]
rgw_data = $CLUSTER/rgw
rgw_frontends = $frontends
rgw_thread_pool_size = 32
CONF

    ssec_log "creating mon"
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$CLUSTER/monmap" >>"$LOGFILE" 2>&1 ||
        fail "monmaptool"
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$CLUSTER/monmap" >>"$LOGFILE" 2>&1 || fail "ceph-mon --mkfs"
    ssec_spawn "$CLUSTER/mon.pid" "$CLUSTER/log/mon.out" ceph-mon -f -c "$CONF" -i a
    wait_until "ceph-mon" "$CLUSTER/mon.pid" ceph_cli -s || fail "ceph-mon did not come up"

    ssec_log "creating osd.0 (memstore)"
    ceph_cli osd create >>"$LOGFILE" 2>&1 || fail "ceph osd create"
    timeout 60 ceph-osd -c "$CONF" -i 0 --mkfs >>"$LOGFILE" 2>&1 || fail "ceph-osd --mkfs"
    ssec_spawn "$CLUSTER/osd.pid" "$CLUSTER/log/osd.out" ceph-osd -f -c "$CONF" -i 0
    wait_until "ceph-osd" "$CLUSTER/osd.pid" osd_up || fail "ceph-osd did not come up"

    ssec_log "starting radosgw $(radosgw --version 2>/dev/null | awk '{print $3}')"
    ssec_spawn "$CLUSTER/rgw.pid" "$CLUSTER/log/rgw.out" radosgw -f -c "$CONF" -n client.rgw.a
    ssec_wait_http "https://127.0.0.1:$RGW_PORT/" "$CLUSTER/rgw.pid" --cacert "$TLS/ca.pem" ||
        fail "radosgw did not answer"

    timeout 60 radosgw-admin -c "$CONF" -n client.admin user create --uid="$ACCESS_KEY" \
        --display-name="$ACCESS_KEY" --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" \
        >>"$LOGFILE" 2>&1 || fail "radosgw-admin user create"
    ssec_log "up: https://127.0.0.1:$RGW_PORT (CA $TLS/ca.pem, logs $CLUSTER/log)"
    do_env
}

do_stop() {
    local d
    for d in rgw osd mon; do
        SSEC_NAME="ceph-rgw/$d" ssec_stop "$CLUSTER/$d.pid"
    done
    rm -rf "$CLUSTER"
}

ssec_main "${1:-}" "$CLUSTER/rgw.pid"
