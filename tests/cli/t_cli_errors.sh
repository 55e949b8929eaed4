#!/usr/bin/env bash
# kvmini's command line: clear errors and the documented exit statuses.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$KVMINI" ]; then
	nok "kvmini binary built" "no $KVMINI"
	exit 0
fi

run_kvmini $T/o $T/e --help
check "kvmini --help exits 0 and documents exit statuses" \
	$([ $rc = 0 ] && grep -q 'exit status' $T/o && grep -q 126 $T/o && echo 0)
run_kvmini $T/o $T/e run --help
check "kvmini run --help lists every option" \
	$([ $rc = 0 ] && for o in --backend --mem --cpus --cpu-model --trace --load-addr --flat --initrd --kernel --append --irqchip; do grep -q -- "$o" $T/o || exit; done && echo 0)
run_kvmini $T/o $T/e run --kernel a.bin --append x -- y
check "--append and -- args together are refused" $([ $rc = 2 ] && grep -q "append" $T/e && echo 0) "rc=$rc"
run_kvmini $T/o $T/e run --kernel a.bin b.bin
check "--kernel and IMAGE together are refused" $([ $rc = 2 ] && echo 0) "rc=$rc"
run_kvmini $T/o $T/e frobnicate
check "unknown command: status 2" $([ $rc = 2 ] && grep -q "unknown command" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
run_kvmini $T/o $T/e run
check "run without IMAGE: status 2" $([ $rc = 2 ] && grep -q "no IMAGE" $T/e && echo 0) "rc=$rc"

printf '\xf4' >$T/h.bin
for bad in "--mem 0" "--mem 12Q" "--mem 100G" "--mem -5" "--mem 512K" "--cpus 0" "--cpus 65" "--cpus x" \
	"--backend xen" "--load-addr zz" "--bogus" "--mem"; do
	run_kvmini $T/o $T/e run $bad $T/h.bin
	opt=${bad%% *}
	check "bad value '$bad': status 2 naming $opt" \
		$([ $rc = 2 ] && grep -q -- "$opt" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
done
run_kvmini $T/o $T/e run --backend kvm --cpu-model default $T/h.bin
check "--cpu-model with --backend kvm is refused" $([ $rc = 2 ] && grep -q "soft only" $T/e && echo 0) "rc=$rc"

# Image problems are found before any backend runs: use a backend-agnostic
# path by forcing kvm at a missing device only where the message matters.
export KVMINI_DEV_KVM=/nonexistent/kvm
run_kvmini $T/o $T/e run --backend kvm $T/h.bin
check "/dev/kvm missing: status 126, suggests --backend soft" \
	$([ $rc = 126 ] && grep -q "/nonexistent/kvm" $T/e && grep -q -- "--backend soft" $T/e && echo 0) \
	"rc=$rc" "$(cat $T/e)"
run_kvmini $T/o $T/e info --backend kvm
check "info --backend kvm with /dev/kvm missing: 126, suggests --backend soft" \
	$([ $rc = 126 ] && grep -q -- "--backend soft" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
unset KVMINI_DEV_KVM
printf 'not a kvm device' >$T/fake
KVMINI_DEV_KVM=$T/fake run_kvmini $T/o $T/e run --backend kvm $T/h.bin
check "a non-KVM device file is refused clearly" \
	$([ $rc = 126 ] && grep -q "not a KVM device" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"

# Images are checked before any backend is opened: these hold everywhere.
B="--backend soft"
run_kvmini $T/o $T/e run $B $T/nope.elf
check "missing image: 126, names the file" \
	$([ $rc = 126 ] && grep -q "nope.elf" $T/e && grep -q "No such file" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
printf '\xf4' >$T/locked.bin
chmod 000 $T/locked.bin
if [ -r $T/locked.bin ]; then
	skip "unreadable image" "running as root: permissions do not stop reads"
else
	run_kvmini $T/o $T/e run $B $T/locked.bin
	check "unreadable image: 126, Permission denied" \
		$([ $rc = 126 ] && grep -q "Permission denied" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
fi
run_kvmini $T/o $T/e run $B $T
check "directory as image: 126, not a regular file" \
	$([ $rc = 126 ] && grep -q "not a regular file" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
: >$T/empty.bin
run_kvmini $T/o $T/e run $B $T/empty.bin
check "empty image" $([ $rc = 126 ] && grep -q "empty" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
printf 'hello, I am not a kernel' >$T/junk.img
run_kvmini $T/o $T/e run $B $T/junk.img
check "unknown format names the known formats" \
	$([ $rc = 126 ] && grep -q "unknown image format" $T/e && grep -q multiboot $T/e &&
		grep -q ELF32 $T/e && grep -q ELF64 $T/e && grep -q -- "--flat" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
head -c $((2 << 20)) /dev/zero >$T/big.bin
run_kvmini $T/o $T/e run $B --mem 1M $T/big.bin
check "image larger than --mem: 126, says so" \
	$([ $rc = 126 ] && grep -q "larger than guest memory" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
run_kvmini $T/o $T/e run $B --load-addr 0x1000 $T/junk.img
check "--load-addr without --flat" $([ $rc = 126 ] && grep -q -- "--flat" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
run_kvmini $T/o $T/e run $B --load-addr 0x100000 $T/h.bin
check "flat load address above 1 MiB" $([ $rc = 126 ] && grep -q "1 MiB" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
