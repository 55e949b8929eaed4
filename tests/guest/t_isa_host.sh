#!/usr/bin/env bash
# The isa guests' expected constants, checked on real silicon: guests/isa.c
# built with -DISA_HOST is an ordinary 64-bit program running the same
# checks natively at CPL3 (everything but the #DE-through-the-IDT part).
set -u
cd "$(dirname "$0")/../.."
if [ "$(uname -m)" != x86_64 ] || ! command -v gcc >/dev/null; then
	echo "ok - isa constants on the host CPU # SKIP needs gcc on x86_64"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# no red zone: the checks push/pop flags inside inline asm
if ! gcc -O2 -mno-red-zone -fno-pie -no-pie -DISA_HOST -o "$tmp/isa" \
	guests/isa.c >"$tmp/log" 2>&1; then
	echo "not ok - isa constants on the host CPU: build failed"
	sed 's/^/#   /' "$tmp/log" | head -20
	exit 0
fi
if "$tmp/isa" >"$tmp/out" 2>&1 && grep -q '^isa: all [0-9]* checks passed$' "$tmp/out"; then
	echo "ok - isa constants on the host CPU ($(tail -1 "$tmp/out"))"
else
	echo "not ok - isa constants on the host CPU"
	grep -v ' ok$' "$tmp/out" | sed 's/^/#   /' | head -30
fi
