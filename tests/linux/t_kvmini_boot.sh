#!/usr/bin/env bash
# The Linux milestone: `kvmini run --kernel K --initrd I --append ...` boots
# the cached Debian kernel (bzImage, and the PVH vmlinux) to the busybox
# shell, which answers uname -r, /proc/cpuinfo and an md5sum, and the VM
# ends with `reboot -f` (no ACPI needed: keyboard-controller reset or triple
# fault). Runs only with KVMINI_SLOW_TESTS=1, a fetched guest and a kvmini
# that has --kernel; backends from KVMINI_BOOT_BACKENDS (default "soft").
set -u
cd "$(dirname "$0")/../.."
source tests/linux/boot-lib.sh
BUILD=${BUILD:-build}
backends=${KVMINI_BOOT_BACKENDS:-soft}

skip_all() {
	for b in $backends; do
		echo "ok - kvmini_boot_${b}_bzimage # SKIP $1"
		echo "ok - kvmini_boot_${b}_pvh # SKIP $1"
	done
	exit 0
}
[ "${KVMINI_SLOW_TESTS:-0}" = 1 ] || skip_all "set KVMINI_SLOW_TESTS=1 to boot Linux on kvmini"
guest_paths || skip_all "no guest in ${KVMINI_CACHE:-cache}/guest (run scripts/fetch-guest.sh)"
[ -x "$BUILD/kvmini" ] || skip_all "no $BUILD/kvmini"
"$BUILD/kvmini" run --help 2>&1 | grep -q -- '--kernel' ||
	skip_all "kvmini run has no --kernel yet"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
want_md5=$(head -c 65536 /dev/zero | tr '\0' k | md5sum | cut -d' ' -f1)

boot() { # backend, name, kernel
	local ok=1
	guest_session "$out" 540 "$BUILD/kvmini" run --backend "$1" --mem 512M \
		--kernel "$3" --initrd "$INITRD" --append "console=ttyS0 panic=-1"
	[ -n "$MARKER_S" ] || ok=0
	[ "$(guest_answer "$out" uname)" = "$KVER" ] || ok=0
	guest_answer "$out" cpu | grep -qE '^processor[[:space:]]*: 0$' || ok=0
	[ "$(guest_answer "$out" md5 | cut -d' ' -f1)" = "$want_md5" ] || ok=0
	[ "$SESSION_RC" = 0 ] || ok=0
	if [ $ok = 1 ]; then
		echo "ok - kvmini_boot_$1_$2 (marker after ${MARKER_S}s)"
	else
		echo "not ok - kvmini_boot_$1_$2 (marker: ${MARKER_S:-never}, session $SESSION_RC)"
		tail -40 "$out" | sed 's/^/# /'
	fi
}

export GUEST_END="reboot -f"
source tests/linux/boot-lib.sh # re-read the script with GUEST_END
vmlinux=$(dirname "$VMLINUZ")/vmlinux
for b in $backends; do
	boot "$b" bzimage "$VMLINUZ"
	if [ -f "$vmlinux" ]; then
		boot "$b" pvh "$vmlinux"
	else
		echo "ok - kvmini_boot_${b}_pvh # SKIP no $vmlinux"
	fi
done
