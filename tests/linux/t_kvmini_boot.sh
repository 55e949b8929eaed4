#!/usr/bin/env bash
# The Linux milestone: `kvmini run --kernel K --initrd I --append ...` boots
# the cached Debian kernel to the busybox shell, which answers uname -r,
# /proc/cpuinfo and an md5sum; the guest's `poweroff -f` (ACPI S5) ends
# kvmini with status 0. Boots: bzImage with 1 vCPU, bzImage with 2 vCPUs
# (both online in /proc/cpuinfo), and the PVH vmlinux.
# Runs with KVMINI_SLOW_TESTS=1 and a fetched guest (scripts/check.sh does
# both for the plain build); backends from KVMINI_BOOT_BACKENDS (default
# "soft kvm"). The kvm boots need hardware virtualization: they skip, saying
# why, where /dev/kvm is missing or is kvm_pvm (CPL0 emulated by the host,
# far too slow and incomplete for a kernel: see guests/*.pvm).
set -u
cd "$(dirname "$0")/../.."
source tests/linux/boot-lib.sh
BUILD=${BUILD:-build}
backends=${KVMINI_BOOT_BACKENDS:-soft kvm}
names="bzimage smp2 pvh"

skip_all() {
	for b in $backends; do
		for n in $names; do echo "ok - kvmini_boot_${b}_$n # SKIP $1"; done
	done
	exit 0
}
[ "${KVMINI_SLOW_TESTS:-0}" = 1 ] || skip_all "${KVMINI_SLOW_WHY:-set KVMINI_SLOW_TESTS=1 to boot Linux on kvmini}"
guest_paths || skip_all "no guest in ${KVMINI_CACHE:-cache}/guest (run scripts/fetch-guest.sh)"
[ -x "$BUILD/kvmini" ] || skip_all "no $BUILD/kvmini"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
want_md5=$(head -c 65536 /dev/zero | tr '\0' k | md5sum | cut -d' ' -f1)

boot() { # backend, name, kernel, cpus
	local ok=1 why=""
	guest_session "$out" 900 "$BUILD/kvmini" run --backend "$1" --mem 512M --cpus "$4" \
		--kernel "$3" --initrd "$INITRD" --append "console=ttyS0 panic=-1"
	[ -n "$MARKER_S" ] || { ok=0; why="$why no-marker"; }
	[ "$(guest_answer "$out" uname)" = "$KVER" ] || { ok=0; why="$why uname"; }
	guest_answer "$out" cpu | grep -qE '^processor[[:space:]]*: 0$' || { ok=0; why="$why cpuinfo"; }
	[ "$(guest_answer "$out" ncpu)" = "$4" ] || { ok=0; why="$why ncpu!=$4"; }
	[ "$(guest_answer "$out" md5 | cut -d' ' -f1)" = "$want_md5" ] || { ok=0; why="$why md5"; }
	[ "$SESSION_RC" = 0 ] || { ok=0; why="$why session=$SESSION_RC"; }
	[ "$VMM_RC" = 0 ] || { ok=0; why="$why exit-status=$VMM_RC"; }
	if [ $ok = 1 ]; then
		echo "ok - kvmini_boot_$1_$2 (marker after ${MARKER_S}s, exit after ${EXIT_S}s)"
	else
		echo "not ok - kvmini_boot_$1_$2 (${why# }; marker: ${MARKER_S:-never})"
		tail -40 "$out" | sed 's/^/# /'
	fi
}

# Why --backend kvm cannot boot a kernel on this host, or "" when it can.
kvm_unusable() {
	local dev=${KVMINI_DEV_KVM:-/dev/kvm}
	[ -e "$dev" ] || { echo "no $dev on this host"; return; }
	[ -r "$dev" ] && [ -w "$dev" ] || { echo "$dev not accessible"; return; }
	if [ -d /sys/module/kvm_pvm ]; then
		echo "host /dev/kvm is kvm_pvm (no hardware VMX): guest CPL0 is emulated by the host at ~1-2 M instr/s and stops on CMPXCHG16B/XRSTOR"
	fi
}

vmlinux=$(dirname "$VMLINUZ")/vmlinux
for b in $backends; do
	if [ "$b" = kvm ]; then
		why=$(kvm_unusable)
		if [ -n "$why" ]; then
			for n in $names; do echo "ok - kvmini_boot_kvm_$n # SKIP $why"; done
			continue
		fi
	fi
	boot "$b" bzimage "$VMLINUZ" 1
	boot "$b" smp2 "$VMLINUZ" 2
	if [ -f "$vmlinux" ]; then
		boot "$b" pvh "$vmlinux" 1
	else
		echo "ok - kvmini_boot_${b}_pvh # SKIP no $vmlinux"
	fi
done
