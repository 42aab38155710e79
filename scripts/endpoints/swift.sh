#!/usr/bin/env bash
# OpenStack Swift "all in one" (Debian bookworm's swift 2.30) on 127.0.0.1,
# plain HTTP, TempAuth. NOT an S3 endpoint: the native Swift API only (no
# s3api in the pipeline). It is here to check what a Swift reader sees of an
# object uploaded with "encryption" metadata headers (see README.md, "Swift").
#
#   scripts/endpoints/swift.sh start   # apt-get install if needed, write configs + rings, start, wait
#   scripts/endpoints/swift.sh stop
#   scripts/endpoints/swift.sh status
#   eval "$(scripts/endpoints/swift.sh env)"
#
# One memcached (TempAuth keeps its tokens there), one account, container and
# object server sharing one "device" directory, and one proxy. No replicators,
# updaters, auditors. No mounts, no xfs: mount_check = false and the device
# is a plain directory under the state dir. All configs, rings and the
# swift.conf (hash path prefix/suffix, storage policy) live in
# $SSEC_ENDPOINT_STATE/swift/etc/swift; data in .../srv/node/d1 (kept across
# stop/start; delete the directory for a clean slate).
#
# Needs root for apt-get (only on first use). Tunables (environment):
# SSEC_ENDPOINT_STATE, SSEC_SWIFT_PROXY_PORT (default 18080),
# SSEC_SWIFT_BASE_PORT (default 16010: object, +1 container, +2 account,
# +3 memcached).
set -euo pipefail

SSEC_NAME=swift
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PROXY_PORT="${SSEC_SWIFT_PROXY_PORT:-18080}"
BASE_PORT="${SSEC_SWIFT_BASE_PORT:-16010}"
OBJECT_PORT="$BASE_PORT"
CONTAINER_PORT=$((BASE_PORT + 1))
ACCOUNT_PORT=$((BASE_PORT + 2))
MEMCACHED_PORT=$((BASE_PORT + 3))
# TempAuth: user_<account>_<user> = <key> [groups]
SWIFT_ACCOUNT=ssec
SWIFT_USER=tester
SWIFT_KEY=testing

DIR="$SSEC_ENDPOINT_STATE/swift"
ETC="$DIR/etc/swift"
DEVICES="$DIR/srv/node"
RUN="$DIR/run"
LOGS="$DIR/log"
# The Debian packages' python; the swift modules are not in any venv/pyenv.
PY=/usr/bin/python3
PACKAGES=(swift-proxy swift-account swift-container swift-object python3-swiftclient memcached)
# Start order; stop goes the other way.
DAEMONS=(memcached account container object proxy)

do_env() {
    echo "export SSEC_SWIFT_AUTH_URL=http://127.0.0.1:$PROXY_PORT/auth/v1.0" \
        "SSEC_SWIFT_USER=$SWIFT_ACCOUNT:$SWIFT_USER SSEC_SWIFT_KEY=$SWIFT_KEY"
}

install_swift() {
    if command -v swift-proxy-server >/dev/null && command -v swift-object-server >/dev/null &&
        command -v swift-container-server >/dev/null && command -v swift-account-server >/dev/null &&
        command -v swift-ring-builder >/dev/null && command -v swift >/dev/null &&
        command -v memcached >/dev/null; then
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || ssec_die "swift packages missing and not root: apt-get install ${PACKAGES[*]}"
    ssec_log "installing ${PACKAGES[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # The packages' postinst scripts try to start their services (through
    # invoke-rc.d); a policy-rc.d that answers 101, as in Docker images,
    # stops that. Without one, systemd/sysvinit may start copies that use
    # /etc/swift: stop them before running this script.
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >&2
}

# Python launcher for the WSGI servers. The swift-*-server scripts always read
# /etc/swift/swift.conf (hash prefix/suffix, storage policies, constraints;
# the path is a constant in swift.common.utils, there is no option or env
# variable); swift_dir in the server configs only moves the rings. So call
# set_swift_dir() first and reload the policies and constraints, then do what
# /usr/bin/swift-<x>-server does. -v equivalent (verbose): log to stderr.
write_launcher() {
    cat >"$DIR/bin/swift-wsgi.py" <<'PY'
import sys

swift_dir, conf_path, app_section = sys.argv[1:4]

from swift.common import utils

utils.set_swift_dir(swift_dir)  # <swift_dir>/swift.conf, not /etc/swift/swift.conf
if utils.SWIFT_CONF_FILE != swift_dir.rstrip("/") + "/swift.conf":
    sys.exit("set_swift_dir did not take: %s" % utils.SWIFT_CONF_FILE)

from swift.common import constraints, storage_policy

constraints.reload_constraints()
storage_policy.reload_storage_policies()

from swift.common.wsgi import run_wsgi

kwargs = {"verbose": True}
if app_section == "object-server":
    from swift.obj import server

    kwargs["global_conf_callback"] = server.global_conf_callback
sys.exit(run_wsgi(conf_path, app_section, **kwargs))
PY
}

write_configs() {
    local user
    user="$(id -un)"
    # The hash prefix/suffix decide where objects live on disk: never change
    # them once there is data, so write swift.conf only once.
    if [[ ! -s "$ETC/swift.conf" ]]; then
        cat >"$ETC/swift.conf" <<CONF
[swift-hash]
swift_hash_path_suffix = ssec-conform-suffix
swift_hash_path_prefix = ssec-conform-prefix

[storage-policy:0]
name = Policy-0
default = yes
CONF
    fi

    local common
    common="bind_ip = 127.0.0.1
workers = 0
user = $user
swift_dir = $ETC
devices = $DEVICES
mount_check = false
recon_cache_path = $DIR/cache
log_level = INFO"

    cat >"$ETC/account-server.conf" <<CONF
[DEFAULT]
bind_port = $ACCOUNT_PORT
$common
log_name = account-server

[pipeline:main]
pipeline = healthcheck account-server

[app:account-server]
use = egg:swift#account

[filter:healthcheck]
use = egg:swift#healthcheck
CONF

    cat >"$ETC/container-server.conf" <<CONF
[DEFAULT]
bind_port = $CONTAINER_PORT
$common
log_name = container-server

[pipeline:main]
pipeline = healthcheck container-server

[app:container-server]
use = egg:swift#container

[filter:healthcheck]
use = egg:swift#healthcheck
CONF

    cat >"$ETC/object-server.conf" <<CONF
[DEFAULT]
bind_port = $OBJECT_PORT
$common
log_name = object-server

[pipeline:main]
pipeline = healthcheck object-server

[app:object-server]
use = egg:swift#object

[filter:healthcheck]
use = egg:swift#healthcheck
CONF

    cat >"$ETC/proxy-server.conf" <<CONF
[DEFAULT]
bind_port = $PROXY_PORT
bind_ip = 127.0.0.1
workers = 0
user = $user
swift_dir = $ETC
log_name = proxy-server
log_level = INFO

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache tempauth proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:tempauth]
use = egg:swift#tempauth
user_${SWIFT_ACCOUNT}_${SWIFT_USER} = $SWIFT_KEY .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging
CONF
}

# build_ring NAME PORT : 2^8 partitions, 1 replica, one device d1 on 127.0.0.1:PORT.
# Rebuilt when missing or when the port in it is not PORT.
build_ring() {
    local name="$1" port="$2" builder="$ETC/$1.builder" rc
    if [[ -s "$ETC/$name.ring.gz" && -s "$builder" ]] &&
        swift-ring-builder "$builder" 2>/dev/null | grep -q "127.0.0.1:$port "; then
        return 0
    fi
    rm -f "$builder" "$ETC/$name.ring.gz"
    {
        swift-ring-builder "$builder" create 8 1 1 &&
            swift-ring-builder "$builder" add "r1z1-127.0.0.1:$port/d1" 1
    } >>"$LOGS/rings.log" 2>&1 || fail "swift-ring-builder $name create/add"
    # rebalance exits 1 for "warning" (e.g. balance), 2 for errors.
    rc=0
    swift-ring-builder "$builder" rebalance >>"$LOGS/rings.log" 2>&1 || rc=$?
    if ((rc > 1)) || [[ ! -s "$ETC/$name.ring.gz" ]]; then
        fail "swift-ring-builder $name rebalance (rc $rc)"
    fi
}

fail() {
    ssec_log "start failed: $*; logs in $LOGS"
    local f
    for f in "$LOGS"/*.log; do
        [[ -s "$f" ]] || continue
        echo "== $f" >&2
        tail -n 15 "$f" >&2 || true
    done
    do_stop
    exit 1
}

# wait_port NAME PORT : bounded wait until 127.0.0.1:PORT accepts connections.
wait_port() {
    local name="$1" port="$2"
    local deadline=$((SECONDS + SSEC_START_TIMEOUT))
    until ! ssec_port_free "$port"; do
        ssec_running "$RUN/$name.pid" || fail "$name exited"
        ((SECONDS < deadline)) || fail "$name: 127.0.0.1:$port not listening within ${SSEC_START_TIMEOUT}s"
        sleep 0.5
    done
}

do_start() {
    # Leftovers of a half-started run.
    do_stop 2>/dev/null
    local p
    for p in "$PROXY_PORT" "$OBJECT_PORT" "$CONTAINER_PORT" "$ACCOUNT_PORT" "$MEMCACHED_PORT"; do
        ssec_port_free "$p" || ssec_die "port 127.0.0.1:$p is already in use"
    done
    install_swift
    mkdir -p "$ETC" "$DEVICES/d1" "$RUN" "$LOGS" "$DIR/cache" "$DIR/bin"
    write_launcher
    write_configs
    build_ring account "$ACCOUNT_PORT"
    build_ring container "$CONTAINER_PORT"
    build_ring object "$OBJECT_PORT"

    ssec_log "starting memcached $(memcached -V | awk '{print $2}') on 127.0.0.1:$MEMCACHED_PORT"
    ssec_spawn "$RUN/memcached.pid" "$LOGS/memcached.log" \
        memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -u "$(id -un)"
    wait_port memcached "$MEMCACHED_PORT"

    local d port
    for d in account container object; do
        case "$d" in
        account) port="$ACCOUNT_PORT" ;;
        container) port="$CONTAINER_PORT" ;;
        object) port="$OBJECT_PORT" ;;
        esac
        ssec_log "starting swift-$d-server on 127.0.0.1:$port"
        ssec_spawn "$RUN/$d.pid" "$LOGS/$d.log" \
            "$PY" "$DIR/bin/swift-wsgi.py" "$ETC" "$ETC/$d-server.conf" "$d-server"
    done
    for d in account container object; do
        case "$d" in
        account) port="$ACCOUNT_PORT" ;;
        container) port="$CONTAINER_PORT" ;;
        object) port="$OBJECT_PORT" ;;
        esac
        wait_port "$d" "$port"
    done

    ssec_log "starting swift-proxy-server $(dpkg-query -W -f '${Version}' swift-proxy 2>/dev/null || true) on 127.0.0.1:$PROXY_PORT"
    ssec_spawn "$RUN/proxy.pid" "$LOGS/proxy.log" \
        "$PY" "$DIR/bin/swift-wsgi.py" "$ETC" "$ETC/proxy-server.conf" proxy-server
    ssec_wait_http "http://127.0.0.1:$PROXY_PORT/healthcheck" "$RUN/proxy.pid" || fail "proxy did not answer"

    # End to end: a token from TempAuth, then the account (autocreated).
    local deadline=$((SECONDS + SSEC_START_TIMEOUT))
    until swift -A "http://127.0.0.1:$PROXY_PORT/auth/v1.0" -U "$SWIFT_ACCOUNT:$SWIFT_USER" \
        -K "$SWIFT_KEY" stat >/dev/null 2>>"$LOGS/start-check.log"; do
        ((SECONDS < deadline)) || fail "swift stat failed (see $LOGS/start-check.log)"
        sleep 1
    done
    ssec_log "up: http://127.0.0.1:$PROXY_PORT/auth/v1.0 (logs $LOGS)"
    do_env
}

do_stop() {
    local i d
    for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
        d="${DAEMONS[i]}"
        SSEC_NAME="swift/$d" ssec_stop "$RUN/$d.pid"
    done
}

ssec_main "${1:-}" "$RUN/proxy.pid"
