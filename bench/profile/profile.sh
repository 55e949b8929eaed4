#!/usr/bin/env bash
# Where kvmini --backend soft spends its time: perf record (cpu-clock
# sampling; this host has no hardware counters) of each bench/loops guest
# and of the Debian Linux boot to the initramfs marker, then the top
# functions by self time. Falls back to valgrind --tool=callgrind when perf
# cannot sample here.
#
#   BUILD=build bash bench/profile/profile.sh [loops] [linux]
#   OUT=/tmp/kvmini-profile TOP=25 SECS=2 BOOT_TIMEOUT=180
#
# Loop sizes: n is chosen for about SECS seconds at ~50 Minsn/s. The Linux
# boot: cache/guest/ (scripts/fetch-guest.sh is run when missing), 512 MiB,
# console=ttyS0; the run is stopped (SIGTERM to kvmini) at the marker line.
# Also printed for the boot: wall time to the marker, kvmini's CPU time
# (user+sys, all threads) at the marker: wall - CPU is time not executing
# (HLT blocked, or waiting for the host CPU on a loaded machine).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
KVMINI=$(realpath "$BUILD/kvmini")
OUT=${OUT:-/tmp/kvmini-profile}
TOP=${TOP:-25}
SECS=${SECS:-2}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
MARKER="kvmini-init: ready"
GUEST_APPEND=${GUEST_APPEND:-}
WHAT=${*:-loops linux}
mkdir -p "$OUT"

tool=perf
if ! perf record -q -e cpu-clock -o "$OUT/probe.data" -- true >/dev/null 2>&1; then
	tool=callgrind
	command -v valgrind >/dev/null || { echo "profile: neither perf nor valgrind works" >&2; exit 1; }
fi
echo "profile: $(date -u '+%F %T UTC'), tool: $tool, load:$(uptime | sed 's/.*load average://')"

# record NAME CMD...: profile CMD into $OUT/NAME.data (or .callgrind)
record() {
	local name=$1
	shift
	if [ $tool = perf ]; then
		perf record -q -F 2000 -e cpu-clock -o "$OUT/$name.data" -- "$@"
	else
		valgrind -q --tool=callgrind --callgrind-out-file="$OUT/$name.callgrind" "$@"
	fi
}
# report NAME: top functions by self time
report() {
	local name=$1
	if [ $tool = perf ]; then
		perf report -i "$OUT/$name.data" --stdio --no-children \
			--sort symbol,dso --percent-limit 0.5 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -"$TOP"
	else
		callgrind_annotate "$OUT/$name.callgrind" 2>/dev/null | head -$((TOP + 20))
	fi
}

if [[ " $WHAT " == *" loops "* ]]; then
	for l in alu mem call; do
		img=$BUILD/bench/loops/loop-$l.elf
		[ -f "$img" ] || { echo "profile: no $img (make)" >&2; continue; }
		# ~50 Minsn/s: alu 16, mem 12, call 2557 instructions per iteration
		case $l in
		alu) n=$((SECS * 3000000)) ;;
		mem) n=$((SECS * 4000000)) ;;
		call) n=$((SECS * 20000)) ;;
		esac
		echo
		echo "== loop-$l (n=$n) =="
		record "loop-$l" "$KVMINI" run --backend soft "$img" -- n=$n >"$OUT/loop-$l.out" 2>&1 </dev/null
		grep -a 'insns=' "$OUT/loop-$l.out"
		report "loop-$l"
	done
fi

if [[ " $WHAT " == *" linux "* ]]; then
	if [ ! -f cache/guest/vmlinuz ] || [ ! -f cache/guest/initrd.cpio.gz ]; then
		bash scripts/fetch-guest.sh || { echo "profile: no guest" >&2; exit 1; }
	fi
	echo
	echo "== linux boot to '$MARKER' (soft, 512M) =="
	con=$OUT/linux.console
	: >"$con"
	t0=$(date +%s%N)
	rm -f "$OUT/linux.pid"
	# sh writes its pid and execs kvmini: that pid is kvmini's
	record linux sh -c 'echo $$ >"$0"; exec "$@"' "$OUT/linux.pid" \
		"$KVMINI" run --backend soft --mem 512M \
		--kernel cache/guest/vmlinuz --initrd cache/guest/initrd.cpio.gz \
		--append "console=ttyS0 panic=-1 $GUEST_APPEND" >"$con" 2>&1 </dev/null &
	rpid=$!
	kpid=""
	for _ in $(seq $((BOOT_TIMEOUT * 10))); do
		[ -z "$kpid" ] && kpid=$(cat "$OUT/linux.pid" 2>/dev/null)
		grep -q "$MARKER" "$con" && break
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	t1=$(date +%s%N)
	if grep -q "$MARKER" "$con"; then
		echo "wall to marker: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", (b - a) / 1e9 }')"
	else
		echo "no marker within ${BOOT_TIMEOUT}s"
	fi
	if [ -n "$kpid" ] && [ -r "/proc/$kpid/stat" ]; then
		# utime+stime of all threads (fields 14, 15), in clock ticks
		cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$kpid/stat")
		echo "kvmini CPU time at marker (user+sys): $cpu s"
		kill -TERM "$kpid"
	fi
	wait "$rpid" 2>/dev/null
	grep -a 'Linux version\|Run /init\|clocksource\|tsc:\|calibrat\|BogoMIPS' "$con" | head -12
	report linux
fi
