#!/usr/bin/env bash
# make check: build and run every test twice, once plain and once under
# ASan+UBSan, then print one line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
bash scripts/setup.sh --quiet || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc)
P=0 F=0 S=0
for variant in plain asan; do
	if [ $variant = plain ]; then b=build; flags=""; else b=build-asan; flags="SAN=1 OPT=-O1"; fi
	echo "== $variant build ($b)"
	if ! make -s -j"$jobs" BUILD=$b $flags all >"$b.log" 2>&1; then
		cat "$b.log"; echo "build ($variant) failed"; F=$((F + 1)); continue
	fi
	echo "== $variant tests"
	out=$(BUILD=$b ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/run.sh | tee /dev/stderr | tail -1)
	read -r _ p f s <<<"$out"
	P=$((P + ${p:-0})) F=$((F + ${f:-1})) S=$((S + ${s:-0}))
done
if [ $S -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
[ $F -eq 0 ]
