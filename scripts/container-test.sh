#!/usr/bin/env bash
# Builds the container image (Containerfile) with podman and proves it works: exports the image's
# filesystem, then runs the binary in it (chroot, as the image's unprivileged user, nothing from the
# host) on the whole catalogue against the embedded reference server, plus `list` and `man`. Then,
# where this machine lets podman run containers, the same through `podman run`.
#
#   scripts/container-test.sh [BINARY]      (default: target/release/ssec-conform, built if missing)
#
# Needs root (chroot) and podman. Prints the image and binary sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-target/release/ssec-conform}"
[[ -x "$bin" ]] || cargo build --release --locked
image="localhost/ssec-conform:test"
work="$(mktemp -d)"
container=""
cleanup() {
    [[ -n "$container" ]] && podman rm -f "$container" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

scripts/container-context.sh "$bin" "$work/context"
podman build --quiet -t "$image" -f Containerfile "$work/context" >/dev/null

container="$(podman create "$image")"
mkdir "$work/rootfs"
podman export "$container" | tar -x -C "$work/rootfs"
podman rm "$container" >/dev/null
container=""

user="$(podman image inspect --format '{{.Config.User}}' "$image")"
entrypoint="$(podman image inspect --format '{{index .Config.Entrypoint 0}}' "$image")"
[[ "$user" == 10001:10001 ]] || { echo "image user is '$user', expected 10001:10001" >&2; exit 1; }

# Runs the image's entrypoint in its filesystem, as its user, with only the variables given first.
chroot_bin="$(command -v chroot)"
in_image() {
    local vars=()
    while [[ "${1:-}" == *=* ]]; do vars+=("$1"); shift; done
    timeout 300 env -i "${vars[@]}" "$chroot_bin" --userspec="$user" "$work/rootfs" "$entrypoint" "$@"
}

in_image --version
listing="$(in_image list | tail -1)"
echo "image list: $listing"
# chroot starts in /, which the image's user cannot write: reports go to the image's /work.
in_image SSEC_REPORT_DIR=/work/reports SSEC_JOBS=2 run
total="$(echo "$listing" | awk '{ print $1 }')"
python3 - "$work/rootfs/work/reports/report.json" "$total" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
assert len(report["scenarios"]) == total, (len(report["scenarios"]), total)
assert report["counts"].get("pass") == total, report["counts"]
print(f"image run: {total} scenarios, all pass")
PY
# Read the whole page before searching it: `grep -q` would stop reading at the first match and
# leave the writer with a broken pipe.
man_page="$(in_image man)"
grep -q '^\.TH' <<<"$man_page" || {
    echo "man page missing from the image" >&2
    exit 1
}

if podman run --rm "$image" --version >/dev/null 2>"$work/podman-run.err"; then
    podman run --rm -e SSEC_JOBS=2 "$image" run --filter get-head >/dev/null
    echo "podman run: ok"
else
    echo "podman run is not possible on this machine ($(head -1 "$work/podman-run.err")); checked through chroot only"
fi

echo "image size: $(podman image inspect --format '{{.Size}}' "$image") bytes;" \
    "binary: $(stat -c %s "$work/rootfs$entrypoint") bytes (stripped), $(stat -c %s "$bin") bytes (as built)"
podman rmi "$image" >/dev/null
