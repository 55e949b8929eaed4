#!/usr/bin/env bash
# Exit cost: a guest loop of N one-byte OUTs to an unclaimed port, each a VM
# exit the monitor handles, under kvmini --backend kvm and QEMU -accel kvm,
# in one run (plus kvmini --backend soft for scale). ns/exit = (t(N) - t(0)) / N, so boot and teardown cancel out;
# each time is the best of R runs (the machine is shared).
#
#   BUILD=build N=20000 R=3 CPLS="3 0" bash bench/pio-exit.sh
#
# Guest: guests/bench-pio (the guests engineer's, CPL3) when it runs to the
# exit port, else bench/guests/pio.S (ours: multiboot ELF32, switches to long
# mode itself, loop at CPL 3 or 0). Needs a usable /dev/kvm.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-20000}
R=${R:-3}
CPLS=${CPLS:-"3 0"}
KVMINI=$BUILD/kvmini
QEMU=${QEMU:-qemu-system-x86_64}
OURS=$BUILD/bench/pio.elf
THEIRS=$BUILD/guests/bench-pio.elf

die() { echo "pio-exit: $*" >&2; exit 1; }
[ -x "$KVMINI" ] || die "no $KVMINI (make first)"
[ -f "$OURS" ] || die "no $OURS (make $OURS)"
"$KVMINI" info --backend kvm >/dev/null 2>&1 || die "/dev/kvm is not usable here"

now() { date +%s%N; }
# run_kvmini IMAGE ARGS: prints elapsed ns; status must be 1 (exit port 0).
KBACKEND=kvm
run_kvmini() {
	local img=$1 s e rc
	shift
	s=$(now)
	"$KVMINI" run --backend $KBACKEND "$img" -- "$@" >/dev/null 2>&1 </dev/null
	rc=$? e=$(now)
	[ $rc = 1 ] || { echo "kvmini: status $rc for $img $*" >&2; echo -1; return; }
	echo $((e - s))
}
run_qemu() {
	local img=$1 s e rc
	shift
	s=$(now)
	timeout 600 "$QEMU" -accel kvm -m 128M -kernel "$img" -append "$*" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -nographic \
		-no-reboot >/dev/null 2>&1 </dev/null
	rc=$? e=$(now)
	[ $rc = 1 ] || { echo "qemu: status $rc for $img $*" >&2; echo -1; return; }
	echo $((e - s))
}
best() { # fn img args...: best of R
	local b=-1 t
	for _ in $(seq "$R"); do
		t=$("$@")
		[ "$t" = -1 ] && { echo -1; return; }
		if [ $b = -1 ] || [ "$t" -lt $b ]; then b=$t; fi
	done
	echo $b
}
per_exit() { # t0 tN -> ns per exit
	awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.0f", (b - a) / n }'
}

guests=("$OURS")
if [ -f "$THEIRS" ] && [ "$(run_kvmini "$THEIRS" n=10)" != -1 ]; then
	guests=("$THEIRS" "$OURS")
fi
qemu_ok=1
"$QEMU" -accel help 2>/dev/null | grep -q kvm || qemu_ok=0

echo "pio-exit: N=$N writes, best of R=$R, host kvm module: $(ls /sys/module | grep '^kvm_' | tr '\n' ' ')"
printf '%-26s %-5s %12s %12s %8s %12s\n' guest cpl "kvmini ns" "qemu ns" "kvmini/qemu" "soft ns"
for g in "${guests[@]}"; do
	for cpl in $CPLS; do
		[ "$g" = "$THEIRS" ] && [ "$cpl" != 3 ] && continue
		args0="n=0 cpl=$cpl" argsN="n=$N cpl=$cpl"
		k0=$(best run_kvmini "$g" $args0)
		kN=$(best run_kvmini "$g" $argsN)
		k=-; [ "$k0" != -1 ] && [ "$kN" != -1 ] && k=$(per_exit "$k0" "$kN")
		q=-
		if [ $qemu_ok = 1 ]; then
			q0=$(best run_qemu "$g" $args0)
			qN=$(best run_qemu "$g" $argsN)
			[ "$q0" != -1 ] && [ "$qN" != -1 ] && q=$(per_exit "$q0" "$qN")
		fi
		ratio=-
		[ "$k" != - ] && [ "$q" != - ] && ratio=$(awk -v a="$k" -v b="$q" 'BEGIN { printf "%.2f", a / b }')
		# kvmini's own KVM on its software CPU, for scale.
		sft=-
		KBACKEND=soft
		s0=$(best run_kvmini "$g" $args0)
		sN=$(best run_kvmini "$g" $argsN)
		KBACKEND=kvm
		[ "$s0" != -1 ] && [ "$sN" != -1 ] && sft=$(per_exit "$s0" "$sN")
		printf '%-26s %-5s %12s %12s %8s %12s\n' "${g#$BUILD/}" "$cpl" "$k" "$q" "$ratio" "$sft"
	done
done
