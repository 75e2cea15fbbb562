#!/bin/sh
# Make a local Debian 12 + Python base image for building docker/relay.Dockerfile on a machine
# that cannot pull from a registry (docker/README.md, "Building without a registry").
#   sudo docker/local-base-image.sh [amd64|arm64]     -> localhost/debian-python:bookworm[-arm64]
# Needs root, debootstrap and podman (arm64 on an amd64 host: qemu-user-static + binfmt).
# It is Debian's Python 3.11, not the official python:3.12-slim layout: for smoke tests.
set -eu
arch="${1:-$(dpkg --print-architecture)}"
native="$(dpkg --print-architecture)"
tag="localhost/debian-python:bookworm"
[ "$arch" = "$native" ] || tag="$tag-$arch"
# The Debian mirror apt already uses (deb822 "URIs:" or one-line "deb URL bookworm ...").
mirror="${DEBIAN_MIRROR:-$(sed -n -e 's/^URIs: *\([^ ]*debian\/*\)$/\1/p' \
    -e 's/^deb \(http[^ ]*debian\/*\) bookworm .*/\1/p' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n 1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d /var/tmp/zk-rootfs-XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --arch="$arch" --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$rootfs" "$mirror" >&2
tar -C "$rootfs" -c . | podman import --arch "$arch" - "$tag" >&2
echo "$tag"
