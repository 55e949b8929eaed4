// SPDX-License-Identifier: GPL-2.0
/* VMX operation and VMCS access rules of cpu/vmx (SDM ch. 30, 24.11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x86/msr-index.h>
#include <x86/vmx.h>

#include "cpu/cpu.h"
#include "cpu/vmx/vmcs.h"

struct fx {
	struct cpu *cpu;
	uint32_t rev;
	void *vmxon, *vmcs, *vmcs2;
};

static void *page(uint32_t rev)
{
	void *p = aligned_alloc(4096, 4096);

	memset(p, 0, 4096);
	memcpy(p, &rev, 4);
	return p;
}

static struct cpu *make(const char *spec)
{
	struct cpu_model m;
	char err[256];

	assert_int_equal(cpu_model_parse(spec, &m, err, sizeof(err)), 0);
	return cpu_create(&m, 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint64_t basic;

	f->cpu = make("default");
	cpu_rdmsr(f->cpu, MSR_IA32_VMX_BASIC, &basic);
	f->rev = (uint32_t)basic & 0x7fffffff;
	f->vmxon = page(f->rev);
	f->vmcs = page(f->rev);
	f->vmcs2 = page(f->rev);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cpu_destroy(f->cpu);
	free(f->vmxon);
	free(f->vmcs);
	free(f->vmcs2);
	free(f);
	return 0;
}

static void on(struct fx *f)
{
	assert_int_equal(cpu_write_cr4(f->cpu, cpu_read_cr4(f->cpu) | 0x2000),
			 0);
	assert_int_equal(cpu_vmxon(f->cpu, f->vmxon), VMX_SUCCEED);
}

static uint64_t err_field(struct fx *f)
{
	uint64_t e = 0;

	assert_int_equal(cpu_vmread(f->cpu, VM_INSTRUCTION_ERROR, &e),
			 VMX_SUCCEED);
	return e;
}

static void test_vmxon(void **state)
{
	struct fx *f = *state;
	void *p;

	/* CR4.VMXE = 0 -> #UD. */
	assert_int_equal(cpu_vmxon(f->cpu, f->vmxon), VMX_FAULT_UD);
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_FAULT_UD);
	assert_int_equal(cpu_vmxoff(f->cpu), VMX_FAULT_UD);
	assert_int_equal(cpu_write_cr4(f->cpu, cpu_read_cr4(f->cpu) | 0x2000),
			 0);
	/* Misaligned, NULL, wrong revision -> VMfailInvalid. */
	assert_int_equal(cpu_vmxon(f->cpu, (char *)f->vmxon + 8),
			 VMX_FAIL_INVALID);
	assert_int_equal(cpu_vmxon(f->cpu, NULL), VMX_FAIL_INVALID);
	p = page(f->rev ^ 1);
	assert_int_equal(cpu_vmxon(f->cpu, p), VMX_FAIL_INVALID);
	free(p);
	assert_int_equal(cpu_vmxon(f->cpu, f->vmxon), VMX_SUCCEED);
	/* CR4.VMXE cannot be cleared in VMX operation. */
	assert_int_equal(
	    cpu_write_cr4(f->cpu, cpu_read_cr4(f->cpu) & ~0x2000ull), -1);
	/* In root: no current VMCS -> VMfailInvalid; with one -> error 15. */
	assert_int_equal(cpu_vmxon(f->cpu, f->vmxon), VMX_FAIL_INVALID);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(cpu_vmxon(f->cpu, f->vmxon), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 15);
	assert_int_equal(cpu_vmxoff(f->cpu), VMX_SUCCEED);
	assert_int_equal(
	    cpu_write_cr4(f->cpu, cpu_read_cr4(f->cpu) & ~0x2000ull), 0);
}

static void test_vmxon_no_vmx(void **state)
{
	struct cpu *cpu = make("default,-vmx");
	void *p = page(VMCS_REVISION_ID);

	assert_int_equal(cpu_vmxon(cpu, p), VMX_FAULT_UD);
	cpu_destroy(cpu);
	free(p);
}

static void test_vmclear_vmptrld(void **state)
{
	struct fx *f = *state;
	void *bad, *cur;

	on(f);
	/* No current VMCS: failures are VMfailInvalid. */
	assert_int_equal(cpu_vmclear(f->cpu, (char *)f->vmcs + 1),
			 VMX_FAIL_INVALID);
	assert_int_equal(cpu_vmptrst(f->cpu, &cur), VMX_SUCCEED);
	assert_ptr_equal(cur, (void *)UINTPTR_MAX);
	assert_int_equal(cpu_vmread(f->cpu, GUEST_RIP, &(uint64_t){0}),
			 VMX_FAIL_INVALID);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(cpu_vmptrst(f->cpu, &cur), VMX_SUCCEED);
	assert_ptr_equal(cur, f->vmcs);

	assert_int_equal(cpu_vmclear(f->cpu, (char *)f->vmcs + 0x10),
			 VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 2);
	assert_int_equal(cpu_vmclear(f->cpu, f->vmxon), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 3);
	assert_int_equal(cpu_vmptrld(f->cpu, (char *)f->vmcs2 + 0x800),
			 VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 9);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmxon), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 10);
	bad = page(f->rev + 1);
	assert_int_equal(cpu_vmptrld(f->cpu, bad), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 11);
	/* Shadow-VMCS indicator (bit 31): not supported -> 11. */
	uint32_t sh = f->rev | 0x80000000u;
	memcpy(bad, &sh, 4);
	assert_int_equal(cpu_vmptrld(f->cpu, bad), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 11);
	free(bad);
	/* VMCLEAR of the current VMCS invalidates the current pointer. */
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(cpu_vmptrst(f->cpu, &cur), VMX_SUCCEED);
	assert_ptr_equal(cur, (void *)UINTPTR_MAX);
	cpu_vmxoff(f->cpu);
}

static void test_fields(void **state)
{
	struct fx *f = *state;
	uint64_t v;

	on(f);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
	/* Natural width: all 64 bits. */
	assert_int_equal(cpu_vmwrite(f->cpu, GUEST_RIP, 0xffffffff81000000ull),
			 VMX_SUCCEED);
	assert_int_equal(cpu_vmread(f->cpu, GUEST_RIP, &v), VMX_SUCCEED);
	assert_int_equal(v, 0xffffffff81000000ull);
	/* 16-bit and 32-bit fields truncate. */
	assert_int_equal(cpu_vmwrite(f->cpu, GUEST_CS_SELECTOR, 0x12345678),
			 VMX_SUCCEED);
	cpu_vmread(f->cpu, GUEST_CS_SELECTOR, &v);
	assert_int_equal(v, 0x5678);
	assert_int_equal(
	    cpu_vmwrite(f->cpu, GUEST_CS_LIMIT, 0xaaaabbbbccccddddull),
	    VMX_SUCCEED);
	cpu_vmread(f->cpu, GUEST_CS_LIMIT, &v);
	assert_int_equal(v, 0xccccdddd);
	/* 64-bit: full and high halves. */
	assert_int_equal(
	    cpu_vmwrite(f->cpu, EPT_POINTER, 0x1122334455667788ull),
	    VMX_SUCCEED);
	cpu_vmread(f->cpu, EPT_POINTER + 1, &v);
	assert_int_equal(v, 0x11223344);
	assert_int_equal(
	    cpu_vmwrite(f->cpu, EPT_POINTER + 1, 0xdeadbeefcafeull),
	    VMX_SUCCEED);
	cpu_vmread(f->cpu, EPT_POINTER, &v);
	assert_int_equal(v, 0xbeefcafe55667788ull);
	/* High access of a non-64-bit field is unsupported (12). */
	assert_int_equal(cpu_vmread(f->cpu, GUEST_RIP + 1, &v), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 12);
	assert_int_equal(cpu_vmwrite(f->cpu, GUEST_CS_LIMIT + 1, 0),
			 VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 12);
	/* Unknown index, reserved bit 12, bits above 15. */
	assert_int_equal(cpu_vmread(f->cpu, 0x6830, &v), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 12);
	assert_int_equal(cpu_vmread(f->cpu, GUEST_RIP | 0x1000, &v),
			 VMX_FAIL_VALID);
	assert_int_equal(cpu_vmread(f->cpu, GUEST_RIP | (1ull << 32), &v),
			 VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 12);
	/* Read-only exit-information fields: 13 on write, readable. */
	assert_int_equal(cpu_vmwrite(f->cpu, VM_EXIT_REASON, 1),
			 VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 13);
	assert_int_equal(cpu_vmwrite(f->cpu, EXIT_QUALIFICATION, 1),
			 VMX_FAIL_VALID);
	assert_int_equal(cpu_vmwrite(f->cpu, GUEST_PHYSICAL_ADDRESS + 1, 1),
			 VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 13);
	assert_int_equal(cpu_vmread(f->cpu, VM_EXIT_REASON, &v), VMX_SUCCEED);
	/* Values stay in the region: another VMCS is independent. */
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs2), VMX_SUCCEED);
	cpu_vmread(f->cpu, GUEST_RIP, &v);
	assert_int_equal(v, 0);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
	cpu_vmread(f->cpu, GUEST_RIP, &v);
	assert_int_equal(v, 0xffffffff81000000ull);
	cpu_vmxoff(f->cpu);
}

/* Every field of the table is readable and writable (or RO) by encoding. */
static void test_all_fields(void **state)
{
	static const struct {
		uint32_t enc;
	} all[] = {
#define VMCS_FIELD(name, enc) {enc},
#include <x86/vmcs_fields.h>
#undef VMCS_FIELD
	};
	struct fx *f = *state;
	uint64_t v;

	on(f);
	cpu_vmptrld(f->cpu, f->vmcs);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		uint32_t e = all[i].enc;
		enum vmx_result r =
		    cpu_vmwrite(f->cpu, e, 0x0123456789abcdefull);

		assert_int_equal(cpu_vmread(f->cpu, e, &v), VMX_SUCCEED);
		if (((e >> 10) & 3) == 1) {
			assert_int_equal(r, VMX_FAIL_VALID);
			continue;
		}
		assert_int_equal(r, VMX_SUCCEED);
		switch ((e >> 13) & 3) {
		case 0:
			assert_int_equal(v, 0xcdef);
			break;
		case 2:
			assert_int_equal(v, 0x89abcdef);
			break;
		default:
			assert_int_equal(v, 0x0123456789abcdefull);
		}
	}
	cpu_vmxoff(f->cpu);
}

static void test_launch_state(void **state)
{
	struct fx *f = *state;

	on(f);
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_FAIL_INVALID);
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
	/* Clear VMCS: VMRESUME fails with 5. */
	assert_int_equal(cpu_vmresume(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 5);
	/* Launched VMCS: VMLAUNCH fails with 4, VMCLEAR makes it clear. */
	((struct vmcs *)f->vmcs)->launch_state = VMCS_LAUNCH_LAUNCHED;
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(err_field(f), 4);
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(((struct vmcs *)f->vmcs)->launch_state,
			 VMCS_LAUNCH_CLEAR);
	cpu_vmxoff(f->cpu);
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_FAULT_UD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_vmxon, setup, teardown),
	    cmocka_unit_test(test_vmxon_no_vmx),
	    cmocka_unit_test_setup_teardown(test_vmclear_vmptrld, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_launch_state, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
