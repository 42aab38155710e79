#!/usr/bin/env bash
# Stages the build context of the container image (Containerfile): the ssec-conform binary, the C
# libraries it links (found with ldd, copied from this machine), an /etc/passwd naming the
# unprivileged user it runs as, and an empty /work owned by that user. No base image is needed.
#
#   scripts/container-context.sh target/release/ssec-conform target/container
#   podman build -t ssec-conform -f Containerfile target/container
set -euo pipefail

bin="${1:?usage: container-context.sh BINARY CONTEXT_DIR}"
context="${2:?usage: container-context.sh BINARY CONTEXT_DIR}"
uid=10001

rm -rf "$context"
rootfs="$context/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp" "$context/work"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$bin" "$rootfs/usr/local/bin/ssec-conform"
strip "$rootfs/usr/local/bin/ssec-conform" 2>/dev/null || true

# Every shared library the binary loads, the dynamic loader included, at the same path as here.
ldd "$bin" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
done

printf 'root:x:0:0:root:/root:/sbin/nologin\nssec:x:%d:%d:ssec-conform:/work:/sbin/nologin\n' "$uid" "$uid" \
    > "$rootfs/etc/passwd"
printf 'root:x:0:\nssec:x:%d:\n' "$uid" > "$rootfs/etc/group"
# Name resolution from /etc/hosts, then DNS (the container runtime provides both files).
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
echo "staged $(find "$rootfs" -type f | wc -l) files in $context"
