#!/usr/bin/env bash
# Start-up benchmark on a tiny guest (build/guests/hello64.elf, multiboot):
#   - kvmini --backend soft / kvm with --stats: time from process start to
#     the first guest instruction (vCPU 0's first KVM_RUN), total wall time,
#     peak RSS, guest RAM in RSS, kvmini's own memory (peak - guest);
#   - for every VMM, kvmini and QEMU TCG alike, the wall time from launch
#     (measured here, so exec and dynamic linking count) to the guest's
#     first console line, and the ratio to QEMU TCG. QEMU goes through
#     SeaBIOS and its multiboot option ROM first: that is its real start-up.
#
#   bench/boot/startup.sh [-n RUNS]      (default 5; medians are printed)
#   env: BUILD (kvmini build dir)
set -u
cd "$(dirname "$0")/../.."
runs=5
while getopts n: o; do
	case $o in
	n) runs=$OPTARG ;;
	*) sed -n '2,13p' "$0"; exit 2 ;;
	esac
done
BUILD=${BUILD:-build}
G=$BUILD/guests/hello64.elf
LINE="hello from 64-bit long mode"
[ -x "$BUILD/kvmini" ] && [ -f "$G" ] || { echo "build first: make -j2" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now_us() { local t=${EPOCHREALTIME/,/.}; echo "${t/./}"; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]}'; }
kstat() { sed -n "s/^kvmini: stats: $2  *\([0-9][0-9.]*\) .*/\1/p" "$1" | head -1; }

# first_line CMD...: sets FL_MS (launch to $LINE on stdout, "" if never)
# and leaves the VMM's stderr in $tmp/err. The VMM is stopped afterwards
# if it is still running (QEMU does not end on HLT).
first_line() {
	local t0 l pid
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	FL_MS=""
	t0=$(now_us)
	"$@" </dev/null >"$tmp/fifo" 2>"$tmp/err" &
	pid=$!
	while IFS= read -r -t 30 l; do
		if [[ $l == *"$LINE"* ]]; then
			FL_MS=$(awk -v a="$t0" -v b="$(now_us)" 'BEGIN{printf "%.3f", (b-a)/1000}')
			break
		fi
	done <"$tmp/fifo"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

peers=(kvmini-soft kvmini-kvm qemu-tcg)
declare -A cmd
cmd[kvmini-soft]="$BUILD/kvmini run --stats --backend soft $G"
cmd[kvmini-kvm]="$BUILD/kvmini run --stats --backend kvm $G"
cmd[qemu-tcg]="qemu-system-x86_64 -accel tcg -m 128 -kernel $G -nographic -nodefaults -serial stdio -no-reboot"

echo "# guest: $G; host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs, medians"
printf '%-12s %12s %10s %10s %10s %10s %10s\n' peer launch_line first_insn total_ms peak_KiB guest_KiB own_KiB
declare -A line_ms
for p in "${peers[@]}"; do
	if [ "$p" = kvmini-kvm ] && ! "$BUILD/kvmini" info --backend kvm >/dev/null 2>&1; then
		printf '%-12s %s\n' "$p" "n/a: no usable /dev/kvm"
		continue
	fi
	if [ "$p" = qemu-tcg ] && ! command -v qemu-system-x86_64 >/dev/null; then
		printf '%-12s %s\n' "$p" "n/a: no qemu-system-x86_64"
		continue
	fi
	ls=() fs=() ts=() pk=() gs=() os=()
	for ((i = 0; i < runs; i++)); do
		# shellcheck disable=SC2086
		first_line ${cmd[$p]}
		[ -n "$FL_MS" ] && ls+=("$FL_MS")
		# The stats of a run that was not stopped early (kvmini ends on HLT).
		v=$(kstat "$tmp/err" "time to first guest instruction") && [ -n "$v" ] && fs+=("$v")
		v=$(kstat "$tmp/err" "total wall time") && [ -n "$v" ] && ts+=("$v")
		v=$(kstat "$tmp/err" "peak RSS") && [ -n "$v" ] && pk+=("$v")
		v=$(kstat "$tmp/err" "guest RAM in RSS") && [ -n "$v" ] && gs+=("$v")
		v=$(kstat "$tmp/err" "kvmini's own memory") && [ -n "$v" ] && os+=("$v")
	done
	line_ms[$p]=$(med "${ls[@]+"${ls[@]}"}")
	printf '%-12s %12s %10s %10s %10s %10s %10s\n' "$p" "${line_ms[$p]:-n/a}" \
		"$(med "${fs[@]+"${fs[@]}"}")" "$(med "${ts[@]+"${ts[@]}"}")" \
		"$(med "${pk[@]+"${pk[@]}"}")" "$(med "${gs[@]+"${gs[@]}"}")" \
		"$(med "${os[@]+"${os[@]}"}")"
done
echo "# launch_line: ms from launch to the guest's first console line (ratio to QEMU TCG):"
for p in "${peers[@]}"; do
	[ -n "${line_ms[$p]:-}" ] || continue
	r=""
	[ -n "${line_ms[qemu-tcg]:-}" ] &&
		r=" ($(awk -v a="${line_ms[$p]}" -v b="${line_ms[qemu-tcg]}" 'BEGIN{printf "%.2fx", a/b}') qemu-tcg)"
	echo "#   $p: ${line_ms[$p]} ms$r"
done
echo "# first_insn/total: kvmini --stats, ms from process start (its first constructor)"
