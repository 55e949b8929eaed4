#!/usr/bin/env bash
# Guest instructions per second of kvmini --backend soft, QEMU TCG and
# kvmini --backend kvm on three CPL3 loops (bench/loops/loops.c: alu, mem,
# call), in one run, plus the port-I/O VM-exit round trip.
#
#   BUILD=build bash bench/loops/run.sh            (make bench-loops)
#   PEERS="soft tcg kvm" LOOPS="alu mem call" T=1.5 R=2 bash bench/loops/run.sh
#
# Method (bench/pio-exit.sh's): whole-process wall time of two runs of the
# same image with different n; boot and teardown cancel in the difference.
# rate = (insns(n_hi) - insns(n_lo)) / (t(n_hi) - t(n_lo)), insns as the
# guest prints them (known by construction). n_lo = 1; n_hi is grown until
# the difference is about T seconds, so each peer runs a few seconds per
# loop whatever its speed; each time is the best of R runs.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
KVMINI=$BUILD/kvmini
QEMU=${QEMU:-qemu-system-x86_64}
PEERS=${PEERS:-"soft tcg kvm"}
LOOPS=${LOOPS:-"alu mem call"}
T=${T:-1.5}
R=${R:-2}
PIO=${PIO:-1}
LOOPDIR=$BUILD/bench/loops
PIOELF=$BUILD/guests/bench-pio.elf

die() { echo "loops: $*" >&2; exit 1; }
[ -x "$KVMINI" ] || die "no $KVMINI (make first)"
for l in $LOOPS; do
	[ -f "$LOOPDIR/loop-$l.elf" ] || die "no $LOOPDIR/loop-$l.elf (make)"
done

now() { date +%s%N; }
# run1 PEER IMAGE ARGS: one run; prints "ns insns" ("ns 0" for images that
# print no insns=), or "fail <why>".
run1() {
	local peer=$1 img=$2 args=$3 s e rc out
	s=$(now)
	case $peer in
	soft | kvm)
		out=$(timeout 300 "$KVMINI" run --backend "$peer" "$img" -- $args 2>&1 </dev/null)
		rc=$? ;;
	tcg)
		out=$(timeout 300 "$QEMU" -accel tcg -m 128M -kernel "$img" \
			-append "$args" -device isa-debug-exit,iobase=0xf4,iosize=4 \
			-nographic -display none -no-reboot 2>&1 </dev/null)
		rc=$? ;;
	esac
	e=$(now)
	if [ $rc != 1 ]; then
		echo "fail status $rc: $(echo "$out" | tail -1 | tr -d '\r')"
		return
	fi
	local i
	i=$(echo "$out" | tr -d '\r' | sed -n 's/.*insns=\([0-9]*\).*/\1/p' | tail -1)
	echo "$((e - s)) ${i:-0}"
}
# best PEER IMAGE ARGS: best (lowest time) of R runs.
best() {
	local b="" r
	for _ in $(seq "$R"); do
		r=$(run1 "$@")
		case $r in fail*) echo "$r"; return ;; esac
		if [ -z "$b" ] || [ "${r% *}" -lt "${b% *}" ]; then b=$r; fi
	done
	echo "$b"
}
# measure PEER IMAGE EXTRA N0: prints "rate_per_s n_hi dt_ns dinsns", the
# rate being guest instructions (or, for images printing none, loop
# iterations) per second; or "fail ...". EXTRA is added to the command line.
measure() {
	local peer=$1 img=$2 extra=$3 n=$4 lo hi dt target
	lo=$(best "$peer" "$img" "n=1 $extra")
	case $lo in fail*) echo "$lo"; return ;; esac
	target=$(awk -v t="$T" 'BEGIN { printf "%.0f", t * 1e9 }')
	# grow n by 8x until the difference is >= 0.2 s, then scale to T
	while :; do
		hi=$(run1 "$peer" "$img" "n=$n $extra")
		case $hi in fail*) echo "$hi"; return ;; esac
		dt=$((${hi% *} - ${lo% *}))
		[ $dt -ge 200000000 ] && break
		[ $n -ge 100000000000 ] && break
		n=$((n * 8))
	done
	n=$(awk -v n="$n" -v dt="$dt" -v t="$target" \
		'BEGIN { m = n * t / (dt > 1 ? dt : 1); if (m < n) m = n; printf "%.0f", m }')
	hi=$(best "$peer" "$img" "n=$n $extra")
	case $hi in fail*) echo "$hi"; return ;; esac
	dt=$((${hi% *} - ${lo% *}))
	local di=$((${hi#* } - ${lo#* }))
	[ "${hi#* }" = 0 ] && di=$((n - 1)) # iterations, not instructions
	awk -v d="$di" -v t="$dt" -v n="$n" \
		'BEGIN { if (t <= 0) print "fail no time difference"; else printf "%.6g %.0f %.0f %.0f\n", d / (t / 1e9), n, t, d }'
}

kvm_ok=1 kvm_why=""
if [[ " $PEERS " == *" kvm "* ]]; then
	if ! "$KVMINI" info --backend kvm >/dev/null 2>&1; then
		kvm_ok=0 kvm_why="/dev/kvm is not usable here"
	else
		r=$(run1 kvm "$LOOPDIR/loop-alu.elf" n=1)
		case $r in fail*) kvm_ok=0 kvm_why="loop-alu on kvm: $r" ;; esac
	fi
fi
tcg_ok=1
"$QEMU" -accel help 2>/dev/null | grep -q tcg || tcg_ok=0

echo "loops: $(date -u '+%F %T UTC'), host: $(nproc) CPUs, load:$(uptime | sed 's/.*load average://')"
echo "loops: kvm module: $(ls /sys/module | grep '^kvm' | tr '\n' ' ')qemu: $("$QEMU" --version | head -1)"
echo "loops: rate = d(insns)/d(t) between n=1 and n_hi (diff ~${T}s), best of R=$R"
printf '%-6s %-5s %14s %12s %10s\n' loop peer "n_hi" "d(insns)" "Minsn/s"
declare -A rate
for l in $LOOPS; do
	img=$LOOPDIR/loop-$l.elf
	n0=100000; [ $l = call ] && n0=1000
	for p in $PEERS; do
		rate[$l.$p]=-
		if [ $p = kvm ] && [ $kvm_ok = 0 ]; then
			printf '%-6s %-5s SKIP: %s\n' "$l" "$p" "$kvm_why"; continue
		fi
		if [ $p = tcg ] && [ $tcg_ok = 0 ]; then
			printf '%-6s %-5s SKIP: %s\n' "$l" "$p" "no TCG in $QEMU"; continue
		fi
		m=$(measure "$p" "$img" "" "$n0")
		case $m in
		fail*) printf '%-6s %-5s %s\n' "$l" "$p" "$m"; continue ;;
		esac
		read -r rt nh _ di <<<"$m"
		rate[$l.$p]=$rt
		printf '%-6s %-5s %14s %12s %10.1f\n' "$l" "$p" "$nh" "$di" \
			"$(awk -v r="$rt" 'BEGIN { print r / 1e6 }')"
	done
done

ratio() { # a b -> a/b or -
	if [ "$1" = - ] || [ "$2" = - ]; then echo -; else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; fi
}
echo
printf '%-6s %9s %9s %9s %9s %9s  %s\n' loop "soft M/s" "tcg M/s" "kvm M/s" soft/tcg soft/kvm "target soft >= tcg/4"
for l in $LOOPS; do
	st=$(ratio "${rate[$l.soft]:--}" "${rate[$l.tcg]:--}")
	sk=$(ratio "${rate[$l.soft]:--}" "${rate[$l.kvm]:--}")
	verdict=-
	[ "$st" != - ] && verdict=$(awk -v r="$st" 'BEGIN { print (r >= 0.25) ? "met" : "NOT met" }')
	m() { [ "$1" = - ] && echo - || awk -v r="$1" 'BEGIN { printf "%.1f", r / 1e6 }'; }
	printf '%-6s %9s %9s %9s %9s %9s  %s\n' "$l" "$(m "${rate[$l.soft]:--}")" \
		"$(m "${rate[$l.tcg]:--}")" "$(m "${rate[$l.kvm]:--}")" "$st" "$sk" "$verdict"
done

[ "$PIO" = 1 ] || exit 0
echo
# VM-exit round trip: guests/bench-pio, N one-byte OUTs to an unclaimed
# port, each an exit to the monitor and back. ns/exit = d(t)/d(n).
echo "exit round trip (guests/bench-pio, OUT to port 0x2e0 -> monitor -> guest):"
printf '%-5s %-4s %10s %10s\n' peer cpl n_hi "ns/exit"
if [ ! -f "$PIOELF" ]; then
	echo "SKIP: no $PIOELF (make guests)"
	exit 0
fi
for pc in "soft 3" "soft 0" "kvm 3" "kvm 0"; do
	set -- $pc
	p=$1 cpl=$2
	if [ $p = kvm ] && [ $kvm_ok = 0 ]; then
		printf '%-5s %-4s SKIP: %s\n' $p $cpl "$kvm_why"; continue
	fi
	m=$(measure $p "$PIOELF" "cpl=$cpl" 10000)
	case $m in
	fail*)
		printf '%-5s %-4s %s\n' $p $cpl "$m"
		continue ;;
	esac
	read -r rt nh _ _ <<<"$m"
	printf '%-5s %-4s %10s %10.0f\n' $p $cpl "$nh" "$(awk -v r="$rt" 'BEGIN { print 1e9 / r }')"
done
