#!/usr/bin/env bash
# hardware_setup()'s choices hold at run time: the soft backend with CPU
# models that lack EPT (shadow paging), unrestricted guest, VPID, or all of
# them ("minimal") runs the protected- and long-mode guests exactly as the
# default model does, and refuses a real-mode guest with a clear error when
# there is no unrestricted guest (kvmini has no vm86 real-mode path).
# (Every guest also runs on "default,-vpid" in tests/guest/t_guests.sh.)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
KVMINI=$BUILD/kvmini
GB=$BUILD/guests
[ -x "$KVMINI" ] || { echo "not ok - cpu models: no $KVMINI"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

models="default,-ept default,-unrestricted-guest default,-ept,-vpid minimal"
guests="hello32 hello64 isa32 isa64 exceptions64 paging32 paging64 smc64 cpl3 triple64 lapic_timer pit_rtc"

for m in $models; do
	for g in $guests; do
		img=$GB/$g.elf
		[ -f "$img" ] || { echo "not ok - $g on $m: no $img"; continue; }
		opts=()
		[ -f guests/$g.opts ] && read -r -a opts <guests/$g.opts
		timeout --kill-after=5 120 "$KVMINI" run --backend soft --cpu-model "$m" \
			"${opts[@]}" "$img" >"$tmp/out" 2>"$tmp/err" </dev/null
		rc=$?
		want_rc=$(cat guests/$g.status)
		if [ $rc = "$want_rc" ] && cmp -s "$tmp/out" guests/$g.expected; then
			echo "ok - $g on $m"
		else
			echo "not ok - $g on $m (exit $rc, want $want_rc)"
			diff guests/$g.expected "$tmp/out" | head -10 | sed 's/^/#   /'
			head -5 "$tmp/err" | sed 's/^/#   /'
		fi
	done
done

# Real mode without unrestricted guest: refused, saying why, status 128.
for m in default,-unrestricted-guest default,-ept minimal; do
	timeout --kill-after=5 60 "$KVMINI" run --backend soft --cpu-model "$m" \
		"$GB/hello16.bin" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ $rc = 128 ] && grep -q "needs unrestricted guest" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		echo "ok - real mode refused on $m"
	else
		echo "not ok - real mode on $m: exit $rc"
		head -5 "$tmp/err" | sed 's/^/#   /'
	fi
done
