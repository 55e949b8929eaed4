#!/usr/bin/env bash
# make demo: install what is needed, build, and boot a guest.
#   DEMO_BACKEND=auto|kvm|soft   (default auto: /dev/kvm when usable, else our own KVM)
#   DEMO_GUEST=<path>            (default: the 64-bit hello guest)
set -eu
cd "$(dirname "$0")/.."
bash scripts/setup.sh --quiet
make -s -j"$(nproc)" all
guest=${DEMO_GUEST:-build/guests/hello64.elf}
backend=${DEMO_BACKEND:-auto}
echo "== kvmini run --backend $backend $guest"
exec build/kvmini run --backend "$backend" "$guest"
