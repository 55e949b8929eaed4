#!/usr/bin/env bash
# Boot benchmark: wall time from starting the VMM to the guest's
# "kvmini-init: ready" line (the Debian cloud kernel + busybox initramfs of
# scripts/fetch-guest.sh), then to the VMM's exit after the shell has run
# uname / cpuinfo / md5sum and poweroff -f.
#
#   bench/boot/qemu-boot.sh [-n RUNS] [-p PEERS] [-t TIMEOUT]
#     PEERS: comma list (default qemu-tcg,kvmini-soft) of qemu-tcg,
#            qemu-tcg-pvh (QEMU's own PVH boot of cache/guest/vmlinux:
#            no decompressor), kvmini-soft,
#            kvmini-kvm, kvmini-soft-pvh, kvmini-kvm-pvh (the vmlinux),
#            qemu-kvm. A peer that fails to reach the marker prints n/a
#            and why (e.g. no usable /dev/kvm).
#   env: KVMINI_CACHE (guest cache), BUILD (kvmini build dir), GUEST_APPEND
#
# Prints one line per run and a summary per peer: median seconds to the
# marker and the ratio to qemu-tcg. kvmini peers run with --stats: their
# lines add the time from process start to the first guest instruction
# (first_ms), peak RSS, guest RAM touched (mincore: includes pages only
# read, which map the zero page), guest RAM in RSS and kvmini's own memory
# (peak minus guest RAM in RSS), in MiB; QEMU's lines add its peak RSS
# (/usr/bin/time; QEMU's guest RAM cannot be told apart there).
set -u
cd "$(dirname "$0")/../.."
source tests/linux/boot-lib.sh
runs=3 peers=qemu-tcg,kvmini-soft tmo=600
while getopts n:p:t: o; do
	case $o in
	n) runs=$OPTARG ;;
	p) peers=$OPTARG ;;
	t) tmo=$OPTARG ;;
	*) sed -n '2,21p' "$0"; exit 2 ;;
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
		CMD=("$BUILD/kvmini" run --stats --backend "$be" --mem 512M
			--kernel "$k" --initrd "$INITRD"
			--append "console=ttyS0 panic=-1 ${GUEST_APPEND:-}") ;;
	*) echo "unknown peer $1"; return 1 ;;
	esac
	# QEMU's peak RSS, beside kvmini's own --stats.
	if [ "${1#qemu}" != "$1" ] && [ -x /usr/bin/time ]; then
		CMD=(/usr/bin/time -f "qemu: peak RSS %M KiB" "${CMD[@]}")
	fi
}

# kstat OUT LABEL: the number after "kvmini: stats: LABEL" in a session log.
kstat() {
	sed -n "s/^kvmini: stats: $2  *\([0-9][0-9.]*\) .*/\1/p" "$1" | head -1
}
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}' || echo -; }
med_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]}'; }

echo "# guest: kernel $KVER, $(stat -c %s "$INITRD")-byte initrd; host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
hdr='%-16s %4s %9s %9s %9s %8s %8s %8s %8s  %s\n'
printf "$hdr" peer run marker_s exit_s first_ms peak_MiB touchMiB guestMiB own_MiB status
declare -A med mfirst mpeak mown
out=$(mktemp)
trap 'rm -f "$out"' EXIT
IFS=, read -r -a plist <<<"$peers"
for p in "${plist[@]}"; do
	if ! why=$(peer_cmd "$p"); then
		printf "$hdr" "$p" - n/a n/a - - - - - "$why"
		continue
	fi
	peer_cmd "$p" >/dev/null
	times=() firsts=() peaks=() owns=()
	for ((i = 1; i <= runs; i++)); do
		guest_session "$out" "$tmo" "${CMD[@]}"
		case $SESSION_RC in
		0) st=ok ;;
		1) st="no marker; last: $(grep -v -e '^\s*$' -e '^guest_session:' "$out" | tail -1 | tr -d '\r' | cut -c1-70)" ;;
		*) st="marker but the shell did not finish" ;;
		esac
		first=$(kstat "$out" "time to first guest instruction")
		peak=$(kstat "$out" "peak RSS")
		[ -n "$peak" ] || peak=$(sed -n 's/^qemu: peak RSS \([0-9]*\) KiB/\1/p' "$out" | head -1)
		touch=$(kstat "$out" "guest RAM touched")
		guest=$(kstat "$out" "guest RAM in RSS")
		own=$(kstat "$out" "kvmini's own memory")
		printf "$hdr" "$p" "$i" "${MARKER_S:-n/a}" "$EXIT_S" "${first:--}" \
			"$(mib "$peak")" "$(mib "$touch")" "$(mib "$guest")" "$(mib "$own")" "$st"
		[ -n "$MARKER_S" ] && times+=("$MARKER_S")
		[ -n "$first" ] && firsts+=("$first")
		[ -n "$peak" ] && peaks+=("$peak")
		[ -n "$own" ] && owns+=("$own")
		[ -n "$MARKER_S" ] || break # a peer that cannot boot won't next time
	done
	if [ ${#times[@]} -gt 0 ]; then
		med[$p]=$(med_of "${times[@]}")
	fi
	[ ${#firsts[@]} -gt 0 ] && mfirst[$p]=$(med_of "${firsts[@]}")
	[ ${#peaks[@]} -gt 0 ] && mpeak[$p]=$(med_of "${peaks[@]}")
	[ ${#owns[@]} -gt 0 ] && mown[$p]=$(med_of "${owns[@]}")
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
echo "# start-up and memory (medians; own = peak RSS - guest RAM in RSS):"
for p in "${plist[@]}"; do
	[ -n "${mpeak[$p]:-}" ] || continue
	line="#   $p: peak RSS $(mib "${mpeak[$p]}") MiB"
	[ -n "${mown[$p]:-}" ] && line+=", own memory $(mib "${mown[$p]}") MiB"
	[ -n "${mfirst[$p]:-}" ] && line+=", first guest instruction after ${mfirst[$p]} ms"
	echo "$line"
done
