#!/usr/bin/env bash
# The isa guests' expected constants, checked on real silicon: guests/isa.c
# built with -DISA_HOST is an ordinary 64-bit program running the same
# checks natively at CPL3 (everything but the #DE-through-the-IDT part),
# as a 64-bit and as a 32-bit program; and guests/isa64x.c's extensions.
set -u
cd "$(dirname "$0")/../.."
if [ "$(uname -m)" != x86_64 ] || ! command -v gcc >/dev/null; then
	echo "ok - isa constants on the host CPU # SKIP needs gcc on x86_64"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# report LABEL BUILD-CMD...: build, run, one TAP line
report() {
	local label=$1
	shift
	if ! "$@" >"$tmp/log" 2>&1; then
		echo "not ok - isa constants on the host CPU, $label: build failed"
		sed 's/^/#   /' "$tmp/log" | head -20
		return
	fi
	"$tmp/isa" >"$tmp/out" 2>&1
	local rc=$?
	if [ $rc = 126 ] || grep -q 'Exec format error' "$tmp/out"; then
		echo "ok - isa constants on the host CPU, $label # SKIP the kernel cannot run it"
		return
	fi
	if [ $rc = 0 ] &&
	   grep -qE '^isa(64x)?: all [0-9]+ checks passed$' "$tmp/out"; then
		echo "ok - isa constants on the host CPU, $label ($(tail -1 "$tmp/out"))"
	else
		echo "not ok - isa constants on the host CPU, $label"
		grep -v ' ok$' "$tmp/out" | sed 's/^/#   /' | head -30
	fi
	rm -f "$tmp/isa"
}

# no red zone: the checks push/pop flags inside inline asm
report 64-bit gcc -O2 -mno-red-zone -fno-pie -no-pie -DISA_HOST \
	-o "$tmp/isa" guests/isa.c
# 32-bit without a 32-bit libc: the guest runtime's printf, INT 0x80 I/O.
# Skipped where the kernel runs no 32-bit programs.
report 32-bit gcc -m32 -march=i686 -O2 -ffreestanding -fno-pie -no-pie \
	-static -nostdlib -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -DISA_HOST -DISA_HOST_NOLIBC \
	-DRT_HOST_PUTC -Iguests/rt -o "$tmp/isa" guests/isa.c \
	guests/rt/console.c guests/rt/lib.c tests/guest/isa_host.c
# the extensions guest, 64-bit, needs the host to have them
if grep -qw popcnt /proc/cpuinfo && grep -qw movbe /proc/cpuinfo &&
   grep -qw abm /proc/cpuinfo && grep -qw cx16 /proc/cpuinfo; then
	report isa64x gcc -O2 -ffreestanding -fno-pie -no-pie -static \
		-nostdlib -mgeneral-regs-only -mno-red-zone \
		-fno-stack-protector -DRT_HOST_PUTC -Iguests/rt -o "$tmp/isa" \
		guests/isa64x.c guests/rt/console.c guests/rt/lib.c \
		tests/guest/isa_host.c
else
	echo "ok - isa constants on the host CPU, isa64x # SKIP host lacks popcnt/movbe/abm/cx16"
fi
