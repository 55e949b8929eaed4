#!/usr/bin/env bash
# Boots the cached Debian kernel + busybox initramfs under QEMU TCG and checks
# that the shell answers: uname -r is the fetched kernel, /proc/cpuinfo is
# readable, md5sum of a file generated in the guest matches the host's.
# Slow (a few seconds to a minute of TCG) and needs scripts/fetch-guest.sh,
# so it only runs with KVMINI_SLOW_TESTS=1 and a fetched guest.
set -u
cd "$(dirname "$0")/../.."
source tests/linux/boot-lib.sh

if [ "${KVMINI_SLOW_TESTS:-0}" != 1 ]; then
	echo "ok - qemu_tcg_boot # SKIP ${KVMINI_SLOW_WHY:-set KVMINI_SLOW_TESTS=1 to boot Linux under QEMU TCG}"
	exit 0
fi
if ! guest_paths; then
	echo "ok - qemu_tcg_boot # SKIP no guest in ${KVMINI_CACHE:-cache}/guest (run scripts/fetch-guest.sh)"
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "ok - qemu_tcg_boot # SKIP qemu-system-x86_64 not installed (scripts/setup.sh)"
	exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
qemu_cmd tcg
# The timeout only bounds a hung boot; nothing is asserted about time.
guest_session "$out" 540 "${QEMU_CMD[@]}"

check() { # name, condition result
	if [ "$2" = 0 ]; then echo "ok - $1"; else
		echo "not ok - $1"
		tail -40 "$out" | sed 's/^/# /'
	fi
}
[ -n "$MARKER_S" ]; check "qemu_tcg_boot reaches '$KVMINI_MARKER'" $?
[ "$(guest_answer "$out" uname)" = "$KVER" ]
check "qemu_tcg_boot uname -r is $KVER" $?
guest_answer "$out" cpu | grep -qE '^processor[[:space:]]*: 0$'
check "qemu_tcg_boot /proc/cpuinfo" $?
want=$(head -c 65536 /dev/zero | tr '\0' k | md5sum | cut -d' ' -f1)
[ "$(guest_answer "$out" md5 | cut -d' ' -f1)" = "$want" ]
check "qemu_tcg_boot md5sum in guest" $?
[ "$SESSION_RC" = 0 ] && grep -q 'reboot: Power down' "$out"
check "qemu_tcg_boot poweroff -f ends the VM" $?
