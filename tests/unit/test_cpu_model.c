// SPDX-License-Identifier: GPL-2.0
/* CPU models, CPUID and MSRs of cpu/: every model switch is visible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <x86/msr-index.h>
#include <x86/vmx.h>

#include "cpu/cpu.h"

static struct cpu *make(const char *spec)
{
	struct cpu_model m;
	char err[256];

	assert_int_equal(cpu_model_parse(spec, &m, err, sizeof(err)), 0);
	struct cpu *cpu = cpu_create(&m, 0);
	assert_non_null(cpu);
	return cpu;
}

static uint64_t rd(struct cpu *cpu, uint32_t msr)
{
	uint64_t v = 0;

	assert_int_equal(cpu_rdmsr(cpu, msr, &v), 0);
	return v;
}

static void test_parse(void **state)
{
	struct cpu_model m;
	char err[512];

	assert_int_equal(cpu_model_parse("default", &m, err, sizeof(err)), 0);
	for (int f = 0; f < CPU_FEAT_COUNT; f++)
		assert_true(cpu_model_has(&m, f));
	assert_int_equal(
	    cpu_model_parse("default,-ept,-vpid", &m, err, sizeof(err)), 0);
	assert_false(cpu_model_has(&m, CPU_FEAT_EPT));
	assert_false(cpu_model_has(&m, CPU_FEAT_VPID));
	assert_true(cpu_model_has(&m, CPU_FEAT_UG));
	assert_int_equal(cpu_model_parse("minimal,+ept", &m, err, sizeof(err)),
			 0);
	assert_true(cpu_model_has(&m, CPU_FEAT_EPT));
	assert_false(cpu_model_has(&m, CPU_FEAT_VPID));

	assert_int_equal(
	    cpu_model_parse("default,-bogus", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bogus"));
	assert_non_null(strstr(err, "unrestricted-guest"));
	assert_non_null(strstr(err, "preemption-timer"));
	assert_int_equal(cpu_model_parse("pentium", &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "default"));
	assert_int_equal(cpu_model_parse("default,ept", &m, err, sizeof(err)),
			 -1);
	assert_string_equal(cpu_feature_name(CPU_FEAT_UG),
			    "unrestricted-guest");
	assert_string_equal(cpu_feature_name(CPU_FEAT_EPT_4LEVEL),
			    "ept-4level");
	assert_non_null(strstr(cpu_model_help(), "minimal"));
}

static void test_cpuid(void **state)
{
	struct cpu *cpu = make("default");
	uint32_t r[4];
	char vendor[13] = {0};

	cpu_cpuid(cpu, 0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	assert_string_equal(vendor, "GenuineIntel");
	assert_true(r[0] >= 1);
	cpu_cpuid(cpu, 1, 0, r);
	assert_true(r[2] & (1u << 5));	 /* VMX */
	assert_true(r[3] & (1u << 0));	 /* x87 */
	assert_true(r[3] & (1u << 26));	 /* SSE2 */
	assert_true(r[3] & (1u << 23));	 /* MMX */
	assert_true(r[2] & (1u << 13));	 /* CX16: the core implements it */
	assert_false(r[2] & (1u << 26)); /* no XSAVE */
	cpu_cpuid(cpu, 7, 0, r);
	assert_true(r[1] & (1u << 7)); /* SMEP */
	cpu_cpuid(cpu, 0x80000000u, 0, r);
	assert_true(r[0] >= 0x80000008u);
	cpu_cpuid(cpu, 0x80000001u, 0, r);
	assert_true(r[3] & (1u << 20)); /* NX */
	assert_true(r[3] & (1u << 29)); /* LM */
	cpu_cpuid(cpu, 0x80000008u, 0, r);
	assert_int_equal(r[0] & 0xff, 48);
	cpu_destroy(cpu);

	cpu = make("default,-vmx,-nx");
	cpu_cpuid(cpu, 1, 0, r);
	assert_false(r[2] & (1u << 5));
	cpu_cpuid(cpu, 0x80000001u, 0, r);
	assert_false(r[3] & (1u << 20));
	cpu_destroy(cpu);
}

/* Low dword must contain the SDM default-1 bits; KVM's required bits
 * (reference §10.3) must be allowed-1. */
static void test_default_ctls(void **state)
{
	struct cpu *cpu = make("default");
	uint64_t v;

	v = rd(cpu, MSR_IA32_VMX_PINBASED_CTLS);
	assert_int_equal((uint32_t)v, PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR);
	assert_int_equal((v >> 32) & 0x49, 0x49);
	v = rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS);
	assert_int_equal((uint32_t)v, CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR);
	uint32_t need = (1u << 2) | (1u << 3) | (1u << 7) | (1u << 9) |
			(1u << 10) | (1u << 11) | (1u << 15) | (1u << 16) |
			(1u << 19) | (1u << 20) | (1u << 23) | (1u << 24) |
			(1u << 25) | (1u << 28) | (1u << 29) | (1u << 31);
	assert_int_equal((v >> 32) & need, need);
	assert_int_equal((v >> 32) & (uint32_t)v, (uint32_t)v);
	v = rd(cpu, MSR_IA32_VMX_EXIT_CTLS);
	assert_int_equal((uint32_t)v, VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR);
	need = (1u << 2) | (1u << 9) | (1u << 15) | (1u << 19) | (1u << 21);
	assert_int_equal((v >> 32) & need, need);
	v = rd(cpu, MSR_IA32_VMX_ENTRY_CTLS);
	assert_int_equal((uint32_t)v, VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR);
	need = (1u << 2) | (1u << 9) | (1u << 14) | (1u << 15);
	assert_int_equal((v >> 32) & need, need);
	v = rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS2);
	assert_int_equal((uint32_t)v, 0);
	need = (1u << 1) | (1u << 5) | (1u << 7);
	assert_int_equal((v >> 32) & need, need);

	/* TRUE variants: same allowed-1, default-1 bits may be cleared. */
	v = rd(cpu, MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	assert_int_equal((uint32_t)v, 0x04006172u);
	v = rd(cpu, MSR_IA32_VMX_TRUE_EXIT_CTLS);
	assert_int_equal((uint32_t)v, 0x00036dfbu);
	v = rd(cpu, MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	assert_int_equal((uint32_t)v, 0x000011fbu);
	v = rd(cpu, MSR_IA32_VMX_TRUE_PINBASED_CTLS);
	assert_int_equal((uint32_t)v, 0x16);
	cpu_destroy(cpu);
}

static void test_basic_misc_fixed(void **state)
{
	struct cpu *cpu = make("default");
	uint64_t v = rd(cpu, MSR_IA32_VMX_BASIC);

	assert_int_equal(v & (1ull << 31), 0);
	assert_true((v & 0x7fffffff) != 0);
	assert_int_equal((v >> 32) & 0x1fff, 4096);
	assert_int_equal((v >> 48) & 1, 0);
	assert_int_equal((v >> 50) & 0xf, 6);
	assert_true(v & (1ull << 54));
	assert_true(v & (1ull << 55));
	v = rd(cpu, MSR_IA32_VMX_MISC);
	assert_int_equal(v & 0x1f, 5);
	assert_true(v & (1ull << 6));
	assert_int_equal((v >> 16) & 0x1ff, 4);
	assert_int_equal(rd(cpu, MSR_IA32_VMX_CR0_FIXED0), 0x80000021);
	assert_int_equal(rd(cpu, MSR_IA32_VMX_CR4_FIXED0), 0x2000);
	assert_true(rd(cpu, MSR_IA32_VMX_CR4_FIXED1) & 0x2000);
	assert_true(rd(cpu, MSR_IA32_VMX_CR4_FIXED1) & (1u << 20)); /* SMEP */
	assert_true(rd(cpu, MSR_IA32_VMX_CR0_FIXED1) & 0x80000021);
	v = rd(cpu, MSR_IA32_VMX_VMCS_ENUM);
	assert_true(((v >> 1) & 0x1ff) >= 0x17); /* GUEST_SMBASE index 0x14.. */
	assert_int_equal(v & ~0x3feull, 0);
	/* Feature control: locked, VMX outside SMX. */
	assert_int_equal(rd(cpu, MSR_IA32_FEAT_CTL) & 5, 5);
	assert_int_equal(cpu_wrmsr(cpu, MSR_IA32_FEAT_CTL, 5), -1);
	/* Capability MSRs are read-only. */
	assert_int_equal(cpu_wrmsr(cpu, MSR_IA32_VMX_BASIC, 0), -1);
	cpu_destroy(cpu);

	cpu = make("default,-true-ctls");
	v = rd(cpu, MSR_IA32_VMX_BASIC);
	assert_false(v & (1ull << 55));
	assert_int_equal(cpu_rdmsr(cpu, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, &v),
			 -1);
	cpu_destroy(cpu);
}

static void test_switches(void **state)
{
	struct cpu *cpu;
	uint64_t v;

	cpu = make("default");
	v = rd(cpu, MSR_IA32_VMX_EPT_VPID_CAP);
	assert_int_equal(v & 0x6334141ull,
			 0x6334141ull); /* 0,6,8,14,16,17,20,21,25,26 */
	assert_int_equal(v >> 32 & 0xf01, 0xf01);
	cpu_destroy(cpu);

	cpu = make("default,-ept");
	assert_false((rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & 2);
	assert_int_equal((uint32_t)rd(cpu, MSR_IA32_VMX_EPT_VPID_CAP), 0);
	assert_true(rd(cpu, MSR_IA32_VMX_EPT_VPID_CAP) >> 32);
	cpu_destroy(cpu);

	cpu = make("default,-ept-4level");
	v = rd(cpu, MSR_IA32_VMX_EPT_VPID_CAP);
	assert_false(v & (1ull << 6));
	assert_true(v & (1ull << 14));
	cpu_destroy(cpu);

	cpu = make("default,-ept-2m,-ept-1g,-ept-ad,-ept-exec-only");
	v = rd(cpu, MSR_IA32_VMX_EPT_VPID_CAP);
	assert_int_equal(v & ((1 << 16) | (1 << 17) | (1 << 21) | 1), 0);
	cpu_destroy(cpu);

	cpu = make("default,-vpid");
	assert_false((rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & (1u << 5));
	assert_int_equal(rd(cpu, MSR_IA32_VMX_EPT_VPID_CAP) >> 32, 0);
	cpu_destroy(cpu);

	cpu = make("default,-ept,-vpid");
	assert_int_equal(cpu_rdmsr(cpu, MSR_IA32_VMX_EPT_VPID_CAP, &v), -1);
	cpu_destroy(cpu);

	cpu = make("default,-unrestricted-guest");
	assert_false((rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & (1u << 7));
	cpu_destroy(cpu);

	cpu = make("default,-preemption-timer");
	assert_false((rd(cpu, MSR_IA32_VMX_PINBASED_CTLS) >> 32) & (1u << 6));
	assert_false((rd(cpu, MSR_IA32_VMX_EXIT_CTLS) >> 32) & (1u << 22));
	cpu_destroy(cpu);

	cpu = make("default,-io-bitmaps,-msr-bitmaps");
	v = rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS) >> 32;
	assert_false(v & (1u << 25));
	assert_false(v & (1u << 28));
	assert_true(v & (1u << 24));
	cpu_destroy(cpu);

	cpu = make("default,-uncond-io");
	assert_false((rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS) >> 32) & (1u << 24));
	cpu_destroy(cpu);

	cpu = make("default,-vmx");
	assert_int_equal(cpu_rdmsr(cpu, MSR_IA32_VMX_BASIC, &v), -1);
	assert_int_equal(rd(cpu, MSR_IA32_FEAT_CTL) & 4, 0);
	assert_int_equal(cpu_write_cr4(cpu, cpu_read_cr4(cpu) | 0x2000), -1);
	cpu_destroy(cpu);

	cpu = make("novmx");
	assert_int_equal(cpu_rdmsr(cpu, MSR_IA32_VMX_PROCBASED_CTLS, &v), -1);
	assert_true(rd(cpu, 0xc0000080) & (1ull << 11)); /* NX stays */
	cpu_destroy(cpu);

	cpu = make("minimal");
	v = rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS) >> 32;
	assert_true(v & (1u << 24));
	assert_false(v & (1u << 25));
	assert_false((rd(cpu, MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & 0xa2);
	assert_int_equal(cpu_rdmsr(cpu, MSR_IA32_VMX_EPT_VPID_CAP, &v), -1);
	cpu_destroy(cpu);

	cpu = make("default,-nx");
	assert_int_equal(
	    cpu_wrmsr(cpu, 0xc0000080, rd(cpu, 0xc0000080) | (1ull << 11)), -1);
	cpu_destroy(cpu);
}

static void test_msrs(void **state)
{
	struct cpu *cpu = make("default");
	uint64_t v;

	assert_int_equal(cpu_rdmsr(cpu, 0x12345678, &v), -1);
	assert_int_equal(cpu_wrmsr(cpu, 0x12345678, 0), -1);
	assert_true(rd(cpu, 0xc0000080) & (1ull << 11)); /* EFER.NX */
	assert_true(rd(cpu, 0xc0000080) & (1ull << 10)); /* LMA */
	assert_int_equal(rd(cpu, 0x277), 0x0007040600070406ull);
	assert_int_equal(cpu_wrmsr(cpu, 0x277, 0x0202020202020202ull), -1);
	assert_int_equal(cpu_wrmsr(cpu, 0x277, 0x0606060606060606ull), 0);
	assert_int_equal(rd(cpu, 0x277), 0x0606060606060606ull);
	assert_int_equal(cpu_wrmsr(cpu, 0xc0000082, 0x0000800000000000ull), -1);
	assert_int_equal(cpu_wrmsr(cpu, 0xc0000082, 0xffff800000001000ull), 0);
	assert_int_equal(rd(cpu, 0xc0000082), 0xffff800000001000ull);
	assert_int_equal(rd(cpu, 0x1b) & 0xfffff000ull, 0xfee00000ull);
	assert_int_equal(cpu_wrmsr(cpu, 0x10, 1000000), 0);
	v = rd(cpu, 0x10);
	assert_true(v >= 1000000 && v < 1000000 + (1ull << 40));
	cpu_destroy(cpu);
}

static void test_cr4(void **state)
{
	struct cpu *cpu = make("default");
	uint64_t cr4 = cpu_read_cr4(cpu);

	assert_true(cpu_read_cr0(cpu) & 0x80000021);
	assert_int_equal(cpu_write_cr4(cpu, cr4 | (1ull << 30)), -1);
	assert_int_equal(cpu_write_cr4(cpu, cr4 | 0x2000), 0);
	assert_int_equal(cpu_read_cr4(cpu), cr4 | 0x2000);
	assert_int_equal(cpu_write_cr4(cpu, cr4 & ~0x20ull), -1); /* PAE */
	cpu_destroy(cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_cpuid),
	    cmocka_unit_test(test_default_ctls),
	    cmocka_unit_test(test_basic_misc_fixed),
	    cmocka_unit_test(test_switches),
	    cmocka_unit_test(test_msrs),
	    cmocka_unit_test(test_cr4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
