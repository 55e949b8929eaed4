#!/usr/bin/env bash
# kvmini info on both backends, and --backend soft never pretending.
. "$(dirname "$0")/lib.sh"

why=$(kvm_unusable)
if [ -n "$why" ]; then
	skip "info --backend kvm" "$why"
else
	run_kvmini $T/o $T/e info --backend kvm
	check "info --backend kvm: API version, caps, mmap size, vendor module" \
		$([ $rc = 0 ] && grep -q "KVM_GET_API_VERSION: 12" $T/o && grep -q "KVM_CAP_USER_MEMORY" $T/o &&
			grep -q "KVM_CAP_MAX_VCPUS" $T/o && grep -q "KVM_CAP_IMMEDIATE_EXIT" $T/o &&
			grep -q "KVM_GET_VCPU_MMAP_SIZE" $T/o && grep -q "vendor module: kvm_" $T/o && echo 0) \
		"rc=$rc" "$(head -5 $T/o)" "$(cat $T/e)"
fi

run_kvmini $T/o $T/e info --backend soft
if [ $rc = 0 ]; then
	check "info --backend soft prints the init chain" $([ -s $T/o ] && echo 0) "empty report"
else
	check "info --backend soft fails plainly (status 126, 'backend soft:')" \
		$([ $rc = 126 ] && grep -q "backend soft:" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
fi
run_kvmini $T/o $T/e info --backend soft --cpu-model no-such-model-xyz
check "info with an unknown CPU model fails with a reason" \
	$([ $rc = 126 ] && grep -q "backend soft" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"

# A flat guest on the soft backend: either it really runs (same output as on
# kvm) or kvmini says plainly why not. Never a silent success.
hex2bin baf803b041eeb00aeef4 >$T/a.bin
run_kvmini $T/o $T/e run --backend soft $T/a.bin
if [ $rc = 0 ]; then
	check "run --backend soft: flat guest prints A" $([ "$(cat $T/o)" = A ] && echo 0) "stdout: $(cat $T/o)"
else
	check "run --backend soft: a failure is reported, status 126/128" \
		$([ $rc = 126 -o $rc = 128 ] && grep -q "kvmini:" $T/e && [ ! -s $T/o ] && echo 0) "rc=$rc" "$(cat $T/e)"
fi
# auto picks kvm when usable, and soft (with a note) when /dev/kvm is missing.
KVMINI_DEV_KVM=/nonexistent run_kvmini $T/o $T/e run $T/a.bin
check "auto without /dev/kvm falls back to soft and says so" \
	$(grep -q "backend soft" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
