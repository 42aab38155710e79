# shellcheck shell=bash
# Shared helpers for scripts/endpoints/*.sh. Sourced, not executed.
#
# Everything lives under $SSEC_ENDPOINT_STATE (default /tmp/ssec-endpoints),
# one sub-directory per endpoint: venv/, data/, tls/, <name>.pid, <name>.log.

SSEC_ENDPOINT_STATE="${SSEC_ENDPOINT_STATE:-/tmp/ssec-endpoints}"
# Python used to create the venvs (any python3 >= 3.9 works for both servers).
SSEC_PYTHON="${SSEC_PYTHON:-python3}"
# Bounded wait for a server to come up.
SSEC_START_TIMEOUT="${SSEC_START_TIMEOUT:-60}"

ssec_log() { printf '[%s] %s\n' "${SSEC_NAME:-endpoint}" "$*" >&2; }
ssec_die() { ssec_log "error: $*"; exit 1; }

# ssec_venv DIR PIP_SPEC... : create DIR (a venv) if missing, then make sure
# the given requirement specs are installed. Idempotent: a second call with
# everything already satisfied only runs one quick `pip install` check.
ssec_venv() {
    local dir="$1"; shift
    if [[ ! -x "$dir/bin/python" ]]; then
        ssec_log "creating venv $dir"
        "$SSEC_PYTHON" -m venv "$dir"
    fi
    # --disable-pip-version-check keeps pip from contacting anything but the index.
    if ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2; then
        ssec_die "pip install $* failed"
    fi
}

# ssec_tls DIR : make a throw-away CA (ca.pem) and a server certificate
# (server.pem / server.key) for localhost + 127.0.0.1 signed by it, unless
# they already exist. A real CA + leaf (rather than one self-signed leaf) is
# what rustls/webpki accepts: it refuses a CA:TRUE certificate as the
# end-entity and wants an explicit subjectAltName.
ssec_tls() {
    local dir="$1"
    if [[ -s "$dir/ca.pem" && -s "$dir/server.pem" && -s "$dir/server.key" ]]; then
        return 0
    fi
    command -v openssl >/dev/null || ssec_die "openssl not found (apt-get install openssl)"
    mkdir -p "$dir"
    ssec_log "generating test CA and server certificate in $dir"
    (
        cd "$dir"
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -days 3650 -subj "/CN=ssec-conform throw-away test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout ca.key -out ca.pem 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
        printf '%s\n' \
            'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature,keyEncipherment' \
            'extendedKeyUsage=serverAuth' \
            'subjectAltName=DNS:localhost,IP:127.0.0.1' > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 3650 -extfile server.ext -out server.pem 2>/dev/null
        rm -f server.csr
        chmod 644 ca.pem server.pem
        openssl verify -CAfile ca.pem server.pem >/dev/null
    ) || ssec_die "certificate generation failed"
}

# ssec_running PIDFILE : true if the pid in PIDFILE is alive.
ssec_running() {
    local pidfile="$1" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    ssec_alive "$pid"
}

# ssec_alive PID : true if PID exists and is not a zombie (a server whose
# starting shell has exited may be left unreaped by an unrelated parent).
ssec_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(sed -e "s/.*) //" -e "s/ .*//" "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != "Z" && -n "$state" ]]
}

# ssec_port_free PORT : true if nothing listens on 127.0.0.1:PORT.
ssec_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ssec_wait_http URL PIDFILE [CURL_ARGS...] : poll URL until it answers with
# any HTTP status (a 403 from an S3 root is fine), at most SSEC_START_TIMEOUT s.
ssec_wait_http() {
    local url="$1" pidfile="$2"; shift 2
    local deadline=$((SECONDS + SSEC_START_TIMEOUT)) code
    while ((SECONDS < deadline)); do
        ssec_running "$pidfile" || return 1
        code="$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" "$url" || true)"
        if [[ "$code" =~ ^[1-5][0-9][0-9]$ ]]; then
            return 0
        fi
        sleep 1
    done
    return 1
}

# ssec_stop PIDFILE : TERM the process group started by us, then KILL after
# SSEC_STOP_TIMEOUT s (default 30: `weed server` needs ~15 s to stop gracefully).
ssec_stop() {
    local pidfile="$1" pid i
    if ! ssec_running "$pidfile"; then
        rm -f "$pidfile"
        ssec_log "not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    ssec_log "stopping pid $pid"
    # The server was started with setsid, so its pid is its process-group id:
    # signal the group (it only holds the processes this script started).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 2 * ${SSEC_STOP_TIMEOUT:-30}; i++)); do
        ssec_alive "$pid" || break
        sleep 0.5
    done
    if ssec_alive "$pid"; then
        ssec_log "pid $pid still alive after ${SSEC_STOP_TIMEOUT:-30} s, sending KILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

# ssec_spawn PIDFILE LOGFILE CMD... : start CMD in its own session (so stop
# can signal the whole group), niced, stdout/stderr to LOGFILE.
ssec_spawn() {
    local pidfile="$1" logfile="$2"; shift 2
    : >"$logfile"
    setsid nice -n "${SSEC_NICE:-10}" "$@" </dev/null >>"$logfile" 2>&1 &
    echo "$!" >"$pidfile"
}

# ssec_all_running PIDFILE... : true if every pid file's process is alive.
ssec_all_running() {
    local pidfile
    for pidfile in "$@"; do
        ssec_running "$pidfile" || return 1
    done
}

# ssec_main ACTION PIDFILE... : the `start | stop | env | status` command line of
# every script. The script defines do_start and do_env, and do_stop when
# stopping is more than ssec_stop on each pid file. The server counts as running
# only when every pid file's process is alive; `start` then only prints the env.
ssec_main() {
    local action="${1:-}" pidfile
    shift || true
    case "$action" in
    start)
        if ssec_all_running "$@"; then
            ssec_log "already running (pid $(cat "$1"))"
            do_env
        else
            do_start
        fi
        ;;
    stop)
        if declare -F do_stop >/dev/null; then
            do_stop
        else
            for pidfile in "$@"; do ssec_stop "$pidfile"; done
        fi
        ;;
    env) do_env ;;
    status)
        if ssec_all_running "$@"; then
            echo "running (pid $(cat "$1"))"
        else
            echo "stopped"
            return 1
        fi
        ;;
    *)
        echo "usage: $0 start|stop|env|status" >&2
        return 2
        ;;
    esac
}
