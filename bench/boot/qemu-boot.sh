#!/usr/bin/env bash
# Boot benchmark: wall time from starting the VMM to the guest's
# "kvmini-init: ready" line (the Debian cloud kernel + busybox initramfs of
# scripts/fetch-guest.sh), then to the VMM's exit after the shell has run
# uname / cpuinfo / md5sum and poweroff -f.
#
#   bench/boot/qemu-boot.sh [-n RUNS] [-p PEERS] [-t TIMEOUT]
#     PEERS: comma list of qemu-tcg (default), qemu-tcg-pvh (QEMU's own PVH
#            boot of cache/guest/vmlinux: no decompressor), kvmini-soft,
#            kvmini-kvm, kvmini-soft-pvh, kvmini-kvm-pvh (the vmlinux),
#            qemu-kvm. A peer that fails to reach the marker prints n/a
#            and why (e.g. no usable /dev/kvm).
#   env: KVMINI_CACHE (guest cache), BUILD (kvmini build dir), GUEST_APPEND
#
# Prints one line per run and a summary per peer: median seconds to the
# marker and the ratio to qemu-tcg.
set -u
cd "$(dirname "$0")/../.."
source tests/linux/boot-lib.sh
runs=3 peers=qemu-tcg tmo=600
while getopts n:p:t: o; do
	case $o in
	n) runs=$OPTARG ;;
	p) peers=$OPTARG ;;
	t) tmo=$OPTARG ;;
	*) sed -n '2,15p' "$0"; exit 2 ;;
	esac
done
guest_paths || { echo "no guest in ${KVMINI_CACHE:-cache}/guest: run scripts/fetch-guest.sh" >&2; exit 1; }
BUILD=${BUILD:-build}

# peer_cmd PEER: sets CMD=(...) or prints why not and returns 1
peer_cmd() {
	case $1 in
	qemu-tcg) qemu_cmd tcg; CMD=("${QEMU_CMD[@]}") ;;
	qemu-tcg-pvh)
		local vmlinux
		vmlinux=$(dirname "$VMLINUZ")/vmlinux
		[ -f "$vmlinux" ] || { echo "no $vmlinux (fetch-guest.sh)"; return 1; }
		qemu_cmd tcg
		CMD=()
		local a prev=""
		for a in "${QEMU_CMD[@]}"; do
			[ "$prev" = -kernel ] && a=$vmlinux
			CMD+=("$a") prev=$a
		done ;;
	qemu-kvm)
		[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "no usable /dev/kvm"; return 1; }
		qemu_cmd kvm; CMD=("${QEMU_CMD[@]}") ;;
	kvmini-soft | kvmini-kvm | kvmini-soft-pvh | kvmini-kvm-pvh)
		[ -x "$BUILD/kvmini" ] || { echo "no $BUILD/kvmini"; return 1; }
		local k=$VMLINUZ be=${1#kvmini-}
		if [ "${be%-pvh}" != "$be" ]; then
			be=${be%-pvh} k=$(dirname "$VMLINUZ")/vmlinux
			[ -f "$k" ] || { echo "no $k (fetch-guest.sh)"; return 1; }
		fi
		CMD=("$BUILD/kvmini" run --backend "$be" --mem 512M
			--kernel "$k" --initrd "$INITRD"
			--append "console=ttyS0 panic=-1 ${GUEST_APPEND:-}") ;;
	*) echo "unknown peer $1"; return 1 ;;
	esac
}

echo "# guest: kernel $KVER, $(stat -c %s "$INITRD")-byte initrd; host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %4s %10s %10s  %s\n' peer run marker_s exit_s status
declare -A med
out=$(mktemp)
trap 'rm -f "$out"' EXIT
IFS=, read -r -a plist <<<"$peers"
for p in "${plist[@]}"; do
	if ! why=$(peer_cmd "$p"); then
		printf '%-16s %4s %10s %10s  %s\n' "$p" - n/a n/a "$why"
		continue
	fi
	peer_cmd "$p" >/dev/null
	times=()
	for ((i = 1; i <= runs; i++)); do
		guest_session "$out" "$tmo" "${CMD[@]}"
		case $SESSION_RC in
		0) st=ok ;;
		1) st="no marker; last: $(grep -v -e '^\s*$' -e '^guest_session:' "$out" | tail -1 | tr -d '\r' | cut -c1-70)" ;;
		*) st="marker but the shell did not finish" ;;
		esac
		printf '%-16s %4d %10s %10s  %s\n' "$p" "$i" "${MARKER_S:-n/a}" "$EXIT_S" "$st"
		[ -n "$MARKER_S" ] && times+=("$MARKER_S")
		[ -n "$MARKER_S" ] || break # a peer that cannot boot won't next time
	done
	if [ ${#times[@]} -gt 0 ]; then
		med[$p]=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	fi
done
# Ratios against QEMU TCG booting the same image: *-pvh peers against
# qemu-tcg-pvh, the others against qemu-tcg.
echo "# median seconds to '$KVMINI_MARKER' (ratio to QEMU TCG on the same image):"
for p in "${plist[@]}"; do
	m=${med[$p]:-} base=qemu-tcg
	[ "${p%-pvh}" != "$p" ] && base=qemu-tcg-pvh
	if [ -z "$m" ]; then
		echo "#   $p: n/a"
	elif [ -n "${med[$base]:-}" ]; then
		echo "#   $p: $m s ($(awk -v a="$m" -v b="${med[$base]}" 'BEGIN{printf "%.2fx", a/b}') $base)"
	else
		echo "#   $p: $m s"
	fi
done
