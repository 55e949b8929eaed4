#!/usr/bin/env bash
# Installs the Debian packages kvmini needs to build, test and benchmark.
# Safe to run again: installs only what is missing.
set -eu
quiet=0; [ "${1:-}" = --quiet ] && quiet=1
pkgs=(build-essential make gcc clang lld libzydis-dev libcmocka-dev libnuma-dev
      libclang-rt-14-dev
      qemu-system-x86 cpio xz-utils zstd lz4 binutils python3 libseccomp-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { [ $quiet = 1 ] || echo "setup: all packages present"; exit 0; }
echo "setup: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
