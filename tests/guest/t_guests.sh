#!/usr/bin/env bash
# Every test guest (guests/NAME.expected) on every backend this host has:
#   kvmini --backend kvm   when /dev/kvm is usable, else SKIP
#   kvmini --backend soft  (SKIP only while kvmini says the soft backend
#                           is not implemented / not built in)
#   QEMU TCG               when qemu-system-x86_64 is installed, else SKIP
#   kvmini --backend soft --cpu-model M, for each M in $GUEST_SOFT_MODELS
#                          (default "default,-vpid default,-jit")
# Each run must print exactly guests/NAME.expected on the serial port and
# exit with guests/NAME.status; when kvm and soft both ran they must also
# agree with each other. QEMU may differ where QEMU's machine differs from
# kvmini's contract: guests/NAME.qemu.expected / NAME.qemu.status then
# hold what QEMU does. guests/NAME.args is the guest command line,
# guests/NAME.qemu-cpu a QEMU -cpu model when the default lacks a feature,
# guests/NAME.qemu-skip why a guest cannot be compared with QEMU at all,
# guests/NAME.stdin the bytes the guest receives on its UART,
# guests/NAME.opts extra `kvmini run` options (their --cpus N becomes
# QEMU's -smp N), NAME.qemu-mem QEMU's -m.
# A run that kvmini refuses with "unknown option" for the first of
# NAME.opts is a SKIP (the guest waits for that monitor feature).
#
# Hosts whose /dev/kvm is kvm_pvm (paging-based, no VMX) cannot run some
# guests at all (the same failure under QEMU -accel kvm): guests/NAME.pvm
# holds a regex matching that failure (line 1) and the reason (line 2); a
# kvm run that fails with exactly that signature on such a host, after
# printing a correct prefix of NAME.expected (lines matching the regex
# aside), is a SKIP.
# Any other failure is a failure.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
KVMINI=$BUILD/kvmini
GB=$BUILD/guests
TMO=${GUEST_TIMEOUT:-120}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

show() { sed 's/^/#   /' "$1" | head -${2:-20}; }

# Extra soft-backend CPU models every guest must also pass on
# (space-separated; e.g. "default,-vpid default,-ept").
SOFT_MODELS=${GUEST_SOFT_MODELS-default,-vpid default,-jit}

kvm_ok=0
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then kvm_ok=1; fi
pvm=0
[ -d /sys/module/kvm_pvm ] && pvm=1
have_qemu=0
command -v qemu-system-x86_64 >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 && have_qemu=1

names=()
for e in guests/*.expected; do
	n=$(basename "$e" .expected)
	case $n in *.qemu) continue ;; esac
	names+=("$n")
done

image_of() {
	if [ -f "$GB/$1.elf" ]; then echo "$GB/$1.elf"
	elif [ -f "$GB/$1.bin" ]; then echo "$GB/$1.bin"
	fi
}

# check NAME LABEL OUT RC EXPECTED_FILE STATUS_FILE -> 0 when it matches
check() {
	local n=$1 label=$2 out=$3 rc=$4 exp=$5 st=$6 want
	want=$(cat "$st")
	if cmp -s "$out" "$exp" && [ "$rc" = "$want" ]; then
		echo "ok - $n on $label"
		return 0
	fi
	echo "not ok - $n on $label (exit $rc, want $want)"
	diff "$exp" "$out" >"$tmp/diff" 2>&1
	show "$tmp/diff"
	[ -s "$tmp/$n.$label.err" ] && show "$tmp/$n.$label.err" 10
	return 1
}

for n in "${names[@]}"; do
	img=$(image_of "$n")
	if [ -z "$img" ]; then
		echo "not ok - $n: no image in $GB (guests not built?)"
		continue
	fi
	args=()
	[ -f "guests/$n.args" ] && args=(-- $(cat "guests/$n.args"))
	opts=()
	[ -f "guests/$n.opts" ] && opts=($(cat "guests/$n.opts"))
	input=/dev/null
	[ -f "guests/$n.stdin" ] && input=guests/$n.stdin
	ran=()

	for be in kvm soft; do
		if [ ! -x "$KVMINI" ]; then
			echo "not ok - $n on $be: $KVMINI not built"
			continue
		fi
		if [ $be = kvm ] && [ $kvm_ok = 0 ]; then
			echo "ok - $n on kvm # SKIP /dev/kvm not available"
			continue
		fi
		out=$tmp/$n.$be.out err=$tmp/$n.$be.err
		timeout --kill-after=5 "$TMO" "$KVMINI" run --backend $be \
			"${opts[@]}" "$img" \
			"${args[@]}" <"$input" >"$out" 2>"$err"
		rc=$?
		if [ $rc = 2 ] && [ ${#opts[@]} -gt 0 ] &&
		   grep -q "unknown option '${opts[0]}'" "$err"; then
			echo "ok - $n on $be # SKIP kvmini has no ${opts[0]} yet: $(head -1 "$err")"
			continue
		fi
		if [ $be = soft ] && [ $rc = 126 ] &&
		   grep -qE 'not implemented|not built into this binary yet' "$err"; then
			echo "ok - $n on soft # SKIP soft backend cannot run guests yet: $(head -1 "$err")"
			continue
		fi
		re=
		[ -f "guests/$n.pvm" ] && re=$(sed -n 1p "guests/$n.pvm")
		if [ $be = kvm ] && [ $pvm = 1 ] && [ -n "$re" ] &&
		   ! { cmp -s "$out" "guests/$n.expected" && [ "$rc" = "$(cat "guests/$n.status")" ]; } &&
		   cat "$out" "$err" | grep -qE "$re" &&
		   { grep -vE "$re" "$out" >"$tmp/prefix" || true; } &&
		   head -c "$(stat -c %s "$tmp/prefix")" "guests/$n.expected" | cmp -s - "$tmp/prefix"; then
			echo "ok - $n on kvm # SKIP host kvm_pvm: $(sed -n 2p "guests/$n.pvm")"
			continue
		fi
		check "$n" $be "$out" $rc "guests/$n.expected" "guests/$n.status"
		ran+=("$be:$rc")
	done

	# the soft backend on other CPU models (hardware_setup()'s other
	# branches): same expected output
	for model in $SOFT_MODELS; do
		[ -x "$KVMINI" ] || continue
		out=$tmp/$n.model.out
		timeout --kill-after=5 "$TMO" "$KVMINI" run --backend soft \
			--cpu-model "$model" "${opts[@]}" "$img" "${args[@]}" <"$input" \
			>"$out" 2>"$tmp/$n.soft:$model.err"
		rc=$?
		if [ $rc = 2 ] && [ ${#opts[@]} -gt 0 ] &&
		   grep -q "unknown option '${opts[0]}'" "$tmp/$n.soft:$model.err"; then
			echo "ok - $n on soft:$model # SKIP kvmini has no ${opts[0]} yet"
			continue
		fi
		check "$n" "soft:$model" "$out" $rc "guests/$n.expected" \
			"guests/$n.status"
	done

	if [ ${#ran[@]} = 2 ]; then
		if cmp -s "$tmp/$n.kvm.out" "$tmp/$n.soft.out" && [ "${ran[0]#kvm:}" = "${ran[1]#soft:}" ]; then
			echo "ok - $n: kvm and soft agree"
		else
			echo "not ok - $n: kvm and soft differ (${ran[*]})"
			diff "$tmp/$n.kvm.out" "$tmp/$n.soft.out" >"$tmp/diff" 2>&1
			show "$tmp/diff"
		fi
	fi

	if [ $have_qemu = 0 ]; then
		echo "ok - $n on qemu-tcg # SKIP qemu-system-x86_64 or python3 not installed"
		continue
	fi
	if [ -f "guests/$n.qemu-skip" ]; then
		echo "ok - $n on qemu-tcg # SKIP $(head -1 "guests/$n.qemu-skip")"
		continue
	fi
	qargs=()
	[ -f "guests/$n.args" ] && qargs=(--append "$(cat "guests/$n.args")")
	[ -f "guests/$n.qemu-cpu" ] && qargs+=(--cpu "$(cat "guests/$n.qemu-cpu")")
	[ -f "guests/$n.stdin" ] && qargs+=(--stdin "guests/$n.stdin")
	[ -f "guests/$n.qemu-mem" ] && qargs+=(--mem "$(cat "guests/$n.qemu-mem")")
	smp=$(sed -n 's/.*--cpus[ =]\([0-9]*\).*/\1/p' "guests/$n.opts" 2>/dev/null)
	[ -n "$smp" ] && qargs+=(--smp "$smp")
	exp=guests/$n.expected st=guests/$n.status
	[ -f "guests/$n.qemu.expected" ] && exp=guests/$n.qemu.expected
	[ -f "guests/$n.qemu.status" ] && st=guests/$n.qemu.status
	python3 tests/guest/qemu_run.py --timeout "$TMO" "${qargs[@]}" "$img" \
		>"$tmp/$n.qemu-tcg.out" 2>"$tmp/$n.qemu-tcg.err"
	check "$n" qemu-tcg "$tmp/$n.qemu-tcg.out" $? "$exp" "$st"
done
