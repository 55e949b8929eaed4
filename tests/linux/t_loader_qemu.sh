#!/usr/bin/env bash
# End-to-end check of vmm/boot/linux.c before kvmini's own CPU can run Linux:
# linux_load() places the Debian kernel, initrd, command line, zero page (or
# PVH start_info), GDT and page tables in a buffer; loaddump writes them out;
# a multiboot stub under QEMU TCG copies them to guest memory, applies the
# loader's entry state and jumps. The kernel must boot from our zero page to
# the busybox shell, report our e820 map and command line, and run commands.
# Needs KVMINI_SLOW_TESTS=1 and scripts/fetch-guest.sh's cache.
set -u
cd "$(dirname "$0")/../.."
source tests/linux/boot-lib.sh
BUILD=${BUILD:-build}

skip_all() {
	echo "ok - loader_qemu_bzimage # SKIP $1"
	echo "ok - loader_qemu_pvh # SKIP $1"
	exit 0
}
[ "${KVMINI_SLOW_TESTS:-0}" = 1 ] || skip_all "${KVMINI_SLOW_WHY:-set KVMINI_SLOW_TESTS=1 to boot Linux under QEMU TCG}"
guest_paths || skip_all "no guest in ${KVMINI_CACHE:-cache}/guest (run scripts/fetch-guest.sh)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d=tests/linux/loader-check
if ! gcc -m32 -nostdlib -static -Wl,-Ttext=0x10000000 -Wl,--build-id=none \
	-Wl,-e,_start "$d/trampoline.S" -o "$work/tramp.elf" 2>"$work/cc.log" ||
	! gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I. -Iinclude \
		"$d/loaddump.c" vmm/boot/linux.c vmm/boot/pvh.c -o "$work/loaddump" 2>>"$work/cc.log"; then
	echo "not ok - loader_qemu_build"
	sed 's/^/# /' "$work/cc.log"
	exit 0
fi

# boot_via_loader NAME KERNEL: 448 MiB for the loader inside a 512 MiB QEMU,
# so our initrd (placed at the top) stays clear of SeaBIOS's ACPI tables.
boot_via_loader() {
	local name=$1 kernel=$2 cmdline="console=ttyS0 panic=-1 kvmini.loader=$1" ok=1
	local out=$work/$name.out
	if ! "$work/loaddump" "$kernel" "$INITRD" "$cmdline" 448 "$work/$name.dump" \
		>"$work/$name.map" 2>&1; then
		echo "not ok - loader_qemu_$name loaddump"
		sed 's/^/# /' "$work/$name.map"
		return
	fi
	guest_session "$out" 540 qemu-system-x86_64 -accel tcg -m 512 \
		-kernel "$work/tramp.elf" -initrd "$work/$name.dump" \
		-nographic -nodefaults -serial stdio -no-reboot
	[ -n "$MARKER_S" ] || ok=0
	[ "$(guest_answer "$out" uname)" = "$KVER" ] || ok=0
	want=$(head -c 65536 /dev/zero | tr '\0' k | md5sum | cut -d' ' -f1)
	[ "$(guest_answer "$out" md5 | cut -d' ' -f1)" = "$want" ] || ok=0
	[ "$SESSION_RC" = 0 ] || ok=0
	grep -q "Command line: $cmdline\$" "$out" || ok=0
	if [ "$name" = bzimage ]; then
		# the kernel's view of the e820 map is exactly the loader's
		diff <(sed -n 's/^e820 //p' "$work/$name.map" | while read -r a t; do
			printf '%016x-%016x %s\n' "${a%-*}" "$((${a#*-}))" \
				"$([ "$t" = 1 ] && echo usable || echo reserved)"; done) \
			<(sed -n 's/.*BIOS-e820: \[mem 0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\] \(.*\)/\1-\2 \3/p' "$out" | tr -d '\r') \
			>"$work/e820.diff" || ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok - loader_qemu_$name boots to the shell (marker after ${MARKER_S}s under TCG)"
	else
		echo "not ok - loader_qemu_$name"
		cat "$work/$name.map" "$work/e820.diff" 2>/dev/null | sed 's/^/# /'
		tail -30 "$out" | sed 's/^/# /'
	fi
}

boot_via_loader bzimage "$VMLINUZ"
if [ -f "$(dirname "$VMLINUZ")/vmlinux" ]; then
	boot_via_loader pvh "$(dirname "$VMLINUZ")/vmlinux"
else
	echo "ok - loader_qemu_pvh # SKIP no vmlinux in the cache (fetch-guest.sh extracts it when it has the decompressor)"
fi
