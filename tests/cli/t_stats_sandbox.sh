#!/usr/bin/env bash
# kvmini run --stats (its block is present and self-consistent; no timing
# thresholds) and the seccomp sandbox (on by default: guests run under it,
# a forbidden call ends kvmini with a clear message and status 126;
# --no-sandbox turns it off), on --backend soft and, where usable, kvm.
. "$(dirname "$0")/lib.sh"

G=$BUILD/guests/hello64.elf
[ -f "$G" ] || { skip "stats and sandbox" "no $G (make guests)"; exit 0; }
want="hello from 64-bit long mode"

# kstat FILE LABEL: the number after "kvmini: stats: LABEL" ("" if none).
kstat() {
	sed -n "s/^kvmini: stats: $2  *\([0-9][0-9.]*\) .*/\1/p" "$1" | head -1
}

backends=(soft)
why=$(kvm_unusable)
if [ -z "$why" ]; then backends+=(kvm); else skip "--stats and sandbox on --backend kvm" "$why"; fi

for be in "${backends[@]}"; do
	run_kvmini $T/o $T/e run --backend $be --stats "$G"
	first=$(kstat $T/e "time to first guest instruction")
	total=$(kstat $T/e "total wall time")
	peak=$(kstat $T/e "peak RSS")
	touched=$(kstat $T/e "guest RAM touched")
	inrss=$(kstat $T/e "guest RAM in RSS")
	own=$(kstat $T/e "kvmini's own memory")
	diag=("status $rc" "stderr: $(head -12 $T/e)")
	check "$be: --stats run still runs the guest" \
		$([ $rc = 0 ] && grep -q "$want" $T/o && echo 0) "${diag[@]}"
	check "$be: --stats block on stderr, not on the console" \
		$(grep -q "^kvmini: stats: backend $be, 128 MiB guest RAM, 1 vCPU(s), exit status 0$" $T/e &&
			! grep -q "kvmini: stats" $T/o && echo 0) "${diag[@]}"
	check "$be: every figure is there" \
		$([ -n "$first" ] && [ -n "$total" ] && [ -n "$peak" ] && [ -n "$touched" ] &&
			[ -n "$inrss" ] && [ -n "$own" ] && echo 0) "${diag[@]}"
	[ -n "$first" ] && [ -n "$total" ] && [ -n "$peak" ] && [ -n "$touched" ] &&
		[ -n "$inrss" ] && [ -n "$own" ] || continue
	check "$be: 0 < time to first guest instruction <= total" \
		$(awk -v f="$first" -v t="$total" 'BEGIN{exit !(f > 0 && f <= t)}' && echo 0) "${diag[@]}"
	# The guest wrote its stack, page tables and image: some pages, far
	# from all of its 128 MiB.
	check "$be: 0 < guest RAM in RSS <= touched < 128 MiB" \
		$([ "$inrss" -gt 0 ] && [ "$inrss" -le "$touched" ] && [ "$touched" -lt 131072 ] && echo 0) "${diag[@]}"
	check "$be: own memory = peak RSS - guest RAM in RSS, > 0" \
		$([ "$own" -gt 0 ] && [ $((peak - inrss)) = "$own" ] && echo 0) "${diag[@]}"
done

# A vCPU that never ran still gets a block, saying so.
printf 'not an image' >$T/bad.img
run_kvmini $T/o $T/e run --backend soft --stats $T/bad.img
check "--stats after a failed load: n/a, status 126" \
	$([ $rc = 126 ] && grep -q "^kvmini: stats: time to first guest instruction *n/a" $T/e &&
		grep -q "exit status 126" $T/e && echo 0) "status $rc" "$(cat $T/e)"

for be in "${backends[@]}"; do
	# The guests themselves run sandboxed in every other test; here the
	# filter must be really there: a socket() after setup, from a thread
	# started after it (so clone passes and the filter is inherited), is fatal.
	KVMINI_SANDBOX_PROBE=1 run_kvmini $T/o $T/e run --backend $be "$G"
	check "$be: sandbox on by default: socket() in a new thread after setup ends kvmini (126) naming the call" \
		$([ $rc = 126 ] && grep -q "kvmini: sandbox: .*forbids: socket (nr 41)" $T/e &&
			! grep -q "$want" $T/o && echo 0) "status $rc" "$(cat $T/e)"
	KVMINI_SANDBOX_PROBE=1 run_kvmini $T/o $T/e run --backend $be --no-sandbox "$G"
	check "$be: --no-sandbox: the socket() succeeds and the guest runs" \
		$([ $rc = 0 ] && grep -q 'socket() in a new thread succeeded (--no-sandbox)' $T/e &&
			grep -q "$want" $T/o && echo 0) "status $rc" "$(cat $T/e)"
	run_kvmini $T/o $T/e run --backend $be --no-sandbox --stats "$G"
	check "$be: --no-sandbox --stats runs the guest" \
		$([ $rc = 0 ] && grep -q "$want" $T/o && grep -q "kvmini: stats: peak RSS" $T/e && echo 0) \
		"status $rc" "$(cat $T/e)"
done

# An interrupt-driven SMP guest (vCPU threads, the irqchip's timer
# thread, pthread_kill at the stop) under the filter.
S=$BUILD/guests/smp_boot.elf
if [ -f "$S" ] && [ -f guests/smp_boot.opts ] && [ -f guests/smp_boot.status ]; then
	# shellcheck disable=SC2046
	run_kvmini $T/o $T/e run --backend soft $(cat guests/smp_boot.opts) "$S"
	check "soft: smp_boot runs sandboxed" \
		$([ $rc = "$(cat guests/smp_boot.status)" ] && ! grep -q "kvmini: sandbox" $T/e && echo 0) \
		"status $rc (want $(cat guests/smp_boot.status))" "$(head -5 $T/e)"
else
	skip "soft: smp_boot runs sandboxed" "no smp_boot guest"
fi
