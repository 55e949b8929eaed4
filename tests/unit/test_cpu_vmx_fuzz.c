// SPDX-License-Identifier: GPL-2.0
/*
 * Fixed-seed robustness run: start from a valid VMCS, mutate a few fields
 * (never the host pointers KVM owns), VMLAUNCH. Every outcome must be one
 * the SDM allows (VMfailValid 7/8, a failed-entry exit 33/34, or a VM
 * exit with a known reason) and nothing may crash or hang (the
 * preemption timer bounds every run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu/vmx/core_glue.h"
#include "cpu_vmx_fixture.h"

#define ITERATIONS 3000

static const uint32_t fields[] = {
#define VMCS_FIELD(name, enc) enc,
#include <x86/vmcs_fields.h>
#undef VMCS_FIELD
};

/* Host-physical pointers are KVM's to get right; not fuzzed. */
static bool is_pointer(uint32_t enc)
{
	switch (enc) {
	case IO_BITMAP_A:
	case IO_BITMAP_B:
	case MSR_BITMAP:
	case VM_EXIT_MSR_STORE_ADDR:
	case VM_EXIT_MSR_LOAD_ADDR:
	case VM_ENTRY_MSR_LOAD_ADDR:
	case VM_EXIT_MSR_STORE_COUNT:
	case VM_EXIT_MSR_LOAD_COUNT:
	case VM_ENTRY_MSR_LOAD_COUNT:
	case EPT_POINTER:
		return true;
	}
	return false;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t mutate(uint64_t v)
{
	switch (next() % 4) {
	case 0:
		return v ^ (1ull << (next() % 64));
	case 1:
		return v ^ (1ull << (next() % 20));
	case 2:
		return next();
	default:
		return next() & 0xffff;
	}
}

static bool known_reason(uint64_t r)
{
	if (r == 0x80000021u || r == 0x80000022u)
		return true;
	if (r == CPU_EXIT_REASON_UNIMPLEMENTED || r == CPU_EXIT_REASON_INTERNAL)
		return true;
	return r <= 64;
}

static void test_fuzz_entry(void **state)
{
	struct vfx *f = vfx_create("default");
	uint8_t *base = malloc(4096);
	uint8_t *io_a = vfx_page(f), *io_b = vfx_page(f), *msr = vfx_page(f);
	/* mov al, 1; out 0x80, al; cpuid; hlt */
	static const uint8_t prog[] = {0xb0, 0x01, 0xe6, 0x80,
				       0x0f, 0xa2, 0xf4};
	unsigned outcomes[4] = {0};

	memcpy(f->mem[1], prog, sizeof(prog));
	memset(io_a, 0xff, 4096);
	memset(io_b, 0xff, 4096);
	memset(msr, 0xff, 4096);
	vfx_wr(f, IO_BITMAP_A, vfx_pa(io_a));
	vfx_wr(f, IO_BITMAP_B, vfx_pa(io_b));
	vfx_wr(f, MSR_BITMAP, vfx_pa(msr));
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL,
	       vfx_rd(f, PIN_BASED_VM_EXEC_CONTROL) |
		   PIN_BASED_VMX_PREEMPTION_TIMER);
	vfx_wr(f, VMX_PREEMPTION_TIMER_VALUE, 2000);
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	memcpy(base, f->vmcs, 4096);

	for (int i = 0; i < ITERATIONS; i++) {
		unsigned n = 1 + next() % 3;
		uint64_t reason;
		enum vmx_result r;

		memcpy(f->vmcs, base, 4096);
		assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
		for (unsigned k = 0; k < n; k++) {
			uint32_t enc = fields[next() % (sizeof(fields) /
							sizeof(fields[0]))];
			uint64_t v;

			if (is_pointer(enc) || ((enc >> 10) & 3) == 1)
				continue;
			cpu_vmread(f->cpu, enc, &v);
			cpu_vmwrite(f->cpu, enc, mutate(v));
		}
		/* The timer must stay armed so that no run can hang. */
		vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL,
		       vfx_rd(f, PIN_BASED_VM_EXEC_CONTROL) |
			   PIN_BASED_VMX_PREEMPTION_TIMER);
		if (vfx_rd(f, VMX_PREEMPTION_TIMER_VALUE) > 100000)
			vfx_wr(f, VMX_PREEMPTION_TIMER_VALUE, 100000);
		/* ... and the guest memory stays what EPT maps. */
		memcpy(f->mem[1], prog, sizeof(prog));

		r = cpu_vmlaunch(f->cpu);
		if (r == VMX_FAIL_VALID) {
			uint64_t err = vfx_rd(f, VM_INSTRUCTION_ERROR);

			assert_true(err == 7 || err == 8);
			outcomes[0]++;
			continue;
		}
		assert_int_equal(r, VMX_SUCCEED);
		reason = vfx_rd(f, VM_EXIT_REASON);
		if (!known_reason(reason))
			fail_msg("iteration %d: exit reason %#llx", i,
				 (unsigned long long)reason);
		outcomes[reason >> 31 ? 1 : 2]++;
		assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	}
	/* The run covered all three kinds of outcome. */
	assert_true(outcomes[0] > 0);
	assert_true(outcomes[1] > 0);
	assert_true(outcomes[2] > 0);
	free(base);
	vfx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fuzz_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
