#!/usr/bin/env bash
# Interrupt costs on kvmini --backend soft vs --backend kvm, in one run:
#   IPI round trip: guests/ipi_pingpong (2 vCPUs, BSP -> AP IPI 0x50, the
#     AP's handler answers with IPI 0x51), n=0 vs n=N round trips;
#   timer interrupt: guests/lapic_timer, LAPIC periodic timer with the
#     smallest initial count (ticr=1, divide by 16: both KVMs clamp the
#     period to their 200 us minimum), n=M0 vs n=M interrupts.
# Per event = (t(N) - t(0)) / N (the two-N subtraction of bench/pio-exit.sh:
# boot, AP start-up and teardown cancel out), each t the best of R runs,
# for wall time and for host CPU time (user + sys of the whole process:
# what an event costs the host, independent of the timer's period).
#
#   BUILD=build N=2000 M=2000 R=3 bash bench/irq/run.sh
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${N:-2000}
M=${M:-2000}
M0=${M0:-10}
R=${R:-3}
KVMINI=$BUILD/kvmini
PING=$BUILD/guests/ipi_pingpong.elf
TIMER=$BUILD/guests/lapic_timer.elf

die() { echo "bench/irq: $*" >&2; exit 1; }
[ -x "$KVMINI" ] || die "no $KVMINI (make first)"
[ -f "$PING" ] && [ -f "$TIMER" ] || die "no guests in $BUILD/guests (make first)"

# one BACKEND IMAGE CPUS ARGS...: prints "wall_s cpu_s"; status must be 33
one() {
	local be=$1 img=$2 cpus=$3 t rc
	shift 3
	t=$( { TIMEFORMAT='%R %U %S'; time "$KVMINI" run --backend "$be" \
		--irqchip --cpus "$cpus" "$img" -- "$@" >/dev/null 2>&1 \
		</dev/null; echo "rc=$?" >&2; } 2>&1)
	rc=$(echo "$t" | sed -n 's/^rc=//p')
	[ "$rc" = 33 ] || { echo "bench/irq: $be $img $*: status $rc" >&2; echo -1; return; }
	echo "$t" | grep -v '^rc=' | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}
# best BACKEND IMAGE CPUS ARGS...: best wall and best cpu of R runs
best() {
	local bw=-1 bc=-1 r w c
	for _ in $(seq "$R"); do
		r=$(one "$@")
		[ "$r" = -1 ] && { echo -1; return; }
		w=${r% *} c=${r#* }
		if [ "$bw" = -1 ] || awk -v a="$w" -v b="$bw" 'BEGIN{exit !(a<b)}'; then bw=$w; fi
		if [ "$bc" = -1 ] || awk -v a="$c" -v b="$bc" 'BEGIN{exit !(a<b)}'; then bc=$c; fi
	done
	echo "$bw $bc"
}
# per A B COUNT: microseconds per event for wall and cpu
per() {
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " ");
		printf "%.1f %.1f\n", (y[1] - x[1]) * 1e6 / n, (y[2] - x[2]) * 1e6 / n }'
}

backends="soft"
kvm_note=
if "$KVMINI" info --backend kvm >/dev/null 2>&1; then
	backends="soft kvm"
else
	kvm_note="kvm: SKIP, /dev/kvm not usable: $("$KVMINI" info --backend kvm 2>&1 | head -1)"
fi

echo "bench/irq: best of R=$R, host $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"kvm module: $(ls /sys/module | grep '^kvm_' | tr '\n' ' ')"
declare -A res
for be in $backends; do
	a=$(best $be "$PING" 2 n=0)
	b=$(best $be "$PING" 2 n=$N)
	if [ "$a" = -1 ] || [ "$b" = -1 ]; then res[$be.ipi]="- -"; else res[$be.ipi]=$(per "$a" "$b" "$N"); fi
	a=$(best $be "$TIMER" 1 n=$M0 ticr=1)
	b=$(best $be "$TIMER" 1 n=$M ticr=1)
	if [ "$a" = -1 ] || [ "$b" = -1 ]; then res[$be.tmr]="- -"; else res[$be.tmr]=$(per "$a" "$b" "$((M - M0))"); fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
printf '%-34s %12s %12s %10s\n' "us per event (wall / host CPU)" soft kvm soft/kvm
for k in ipi tmr; do
	name="IPI round trip (N=$N)"
	[ $k = tmr ] && name="LAPIC timer interrupt (M=$M)"
	s=${res[soft.$k]} v=${res[kvm.$k]:-"- -"}
	printf '%-34s %12s %12s %10s\n' "$name, wall" "${s% *}" "${v% *}" "$(ratio "${s% *}" "${v% *}")"
	printf '%-34s %12s %12s %10s\n' "$name, host CPU" "${s#* }" "${v#* }" "$(ratio "${s#* }" "${v#* }")"
done
[ -n "$kvm_note" ] && echo "$kvm_note"
exit 0
