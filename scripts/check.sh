#!/usr/bin/env bash
# make check: build and run every test twice, once plain and once under
# ASan+UBSan (leak checking on), then print one line
# "N passed, N failed[, N skipped]".
#
# The Debian guest (kernel + busybox initramfs) is fetched first with
# scripts/fetch-guest.sh; the Linux boot tests run in the plain build only
# (under ASan the software CPU is several times slower, and the same code
# paths are covered there by the guests in guests/). KVMINI_SLOW_TESTS=0
# turns the Linux boots off; a failed fetch makes them skip, saying why.
set -u
cd "$(dirname "$0")/.."
bash scripts/setup.sh --quiet || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc)
slow=${KVMINI_SLOW_TESTS:-1}
if [ "$slow" = 1 ] && ! bash scripts/fetch-guest.sh >fetch-guest.log 2>&1; then
	echo "== fetching the Debian guest failed; Linux boot tests will skip (see fetch-guest.log):"
	tail -5 fetch-guest.log
fi
P=0 F=0 S=0
for variant in plain asan; do
	if [ $variant = plain ]; then
		b=build flags="" vslow=$slow
	else
		b=build-asan flags="SAN=1 OPT=-O1" vslow=0
		export KVMINI_SLOW_WHY="Linux boots run in the plain build only (the ASan build is several times slower)"
	fi
	echo "== $variant build ($b)"
	if ! make -s -j"$jobs" BUILD=$b $flags all >"$b.log" 2>&1; then
		cat "$b.log"; echo "build ($variant) failed"; F=$((F + 1)); continue
	fi
	echo "== $variant tests"
	# (not `tee /dev/stderr`: when stderr is a file, reopening it truncates it)
	BUILD=$b KVMINI_SLOW_TESTS=$vslow ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/run.sh >"$b-tests.log" 2>&1
	cat "$b-tests.log"
	out=$(tail -1 "$b-tests.log")
	read -r _ p f s <<<"$out"
	P=$((P + ${p:-0})) F=$((F + ${f:-1})) S=$((S + ${s:-0}))
done
if [ $S -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
[ $F -eq 0 ]
