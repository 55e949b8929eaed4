#!/usr/bin/env bash
# Runs every test of one build and prints TAP-ish lines, then a summary:
#   unit tests: $BUILD/tests/test_* (cmocka, TAP output)
#   script tests: tests/*/t_*.sh, each printing "ok - name", "not ok - name",
#   or "ok - name # SKIP why"; they find the build through $BUILD.
# A test binary or script that dies without reporting counts as one failure.
# Prints "RESULT passed failed skipped" as its last line for scripts/check.sh.
set -u
cd "$(dirname "$0")/.."
export BUILD="${BUILD:-build}"
export CMOCKA_MESSAGE_OUTPUT=TAP
pass=0 fail=0 skip=0
failed_names=()

tally() { # name-prefix, file with output
	local p f s
	# cmocka's TAP writes skips as "not ok N # SKIP"; scripts write "ok - x # SKIP why".
	p=$(grep -E '^ok [0-9 -]' "$2" | grep -cvE '# *SKIP')
	s=$(grep -cE '^(not )?ok .*# *SKIP' "$2")
	f=$(grep -E '^not ok' "$2" | grep -cvE '# *SKIP')
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	while IFS= read -r l; do failed_names+=("$1: $l"); done < <(grep -E '^not ok' "$2" | grep -vE '# *SKIP')
	grep -E '^(not )?ok .*# *SKIP' "$2" | sed "s|^|  [$1] |"
}

run_one() { # name, command...
	local name=$1 out rc
	shift
	out=$(mktemp)
	timeout --kill-after=10 "${TEST_TIMEOUT:-600}" "$@" >"$out" 2>&1
	rc=$?
	if [ "${VERBOSE:-0}" = 1 ]; then cat "$out"; fi
	tally "$name" "$out"
	local nfail
	nfail=$(grep -E '^not ok' "$out" | grep -cvE '# *SKIP')
	if [ $rc -ne 0 ] && [ "$nfail" -eq 0 ]; then
		fail=$((fail + 1))
		failed_names+=("$name: exited $rc without reporting a failure")
		echo "---- $name (exit $rc) ----"; tail -30 "$out"
	elif [ "$nfail" -gt 0 ]; then
		echo "---- $name ----"; grep -vE '^ok ' "$out" | tail -60
	fi
	rm -f "$out"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in tests/*/t_*.sh; do
	[ -f "$t" ] || continue
	run_one "$t" bash "$t"
done

for n in "${failed_names[@]+"${failed_names[@]}"}"; do echo "FAILED $n"; done
echo "RESULT $pass $fail $skip"
