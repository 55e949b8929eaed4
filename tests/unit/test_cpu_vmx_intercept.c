// SPDX-License-Identifier: GPL-2.0
/* The intercept decisions of cpu/vmx (SDM 25.1), without running code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu/vmx/vmx_state.h"
#include "cpu_vmx_fixture.h"

static struct vfx *f;
static struct vmx_env env;

static int setup(void **state)
{
	f = vfx_create("default");
	return 0;
}

static int teardown(void **state)
{
	vfx_destroy(f);
	return 0;
}

static bool ask(struct x86_intercept *w, uint64_t qual)
{
	struct x86_exit ex = {.reason = w->reason, .qualification = qual};

	vmx_env_init(&env, f->cpu, f->vmcs);
	return vmx_intercept(&env, w, &ex);
}

static void test_unconditional(void **state)
{
	static const uint32_t always[] = {9,  10, 11, 13, 18, 19, 20, 21, 22,
					  23, 24, 25, 26, 27, 50, 53, 55};
	uint64_t proc = vfx_rd(f, CPU_BASED_VM_EXEC_CONTROL);

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		struct x86_intercept w = {.reason = always[i]};

		assert_true(ask(&w, 0));
	}
	struct x86_intercept w = {.reason = X86_EXIT_HLT};
	assert_true(ask(&w, 0));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc & ~CPU_BASED_HLT_EXITING);
	assert_false(ask(&w, 0));
	w.reason = X86_EXIT_RDTSC;
	assert_false(ask(&w, 0));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_RDTSC_EXITING);
	assert_true(ask(&w, 0));
	w.reason = X86_EXIT_WBINVD;
	assert_false(ask(&w, 0));
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL,
	       vfx_rd(f, SECONDARY_VM_EXEC_CONTROL) |
		   SECONDARY_EXEC_WBINVD_EXITING);
	assert_true(ask(&w, 0));
	w.reason = X86_EXIT_RDRAND; /* control not offered: never exits */
	assert_false(ask(&w, 0));
}

static void test_cr_access(void **state)
{
	struct x86_intercept w = {.reason = X86_EXIT_CR_ACCESS, .write = true};
	uint64_t proc = vfx_rd(f, CPU_BASED_VM_EXEC_CONTROL);

	vfx_wr(f, CR0_GUEST_HOST_MASK, 0x80000021u); /* PG NE PE host-owned */
	vfx_wr(f, CR0_READ_SHADOW, 0x80000031u);
	w.cr_dr = 0;
	w.value = 0x80000033u; /* only MP changes: guest-owned */
	assert_false(ask(&w, 0));
	w.value = 0x80000011u; /* NE cleared: exits */
	assert_true(ask(&w, 0));
	/* CLTS exits iff TS is host-owned and set in the shadow. */
	assert_false(ask(&w, 2 << 4));
	vfx_wr(f, CR0_GUEST_HOST_MASK, 0x80000029u);
	assert_false(ask(&w, 2 << 4));
	vfx_wr(f, CR0_READ_SHADOW, 0x80000039u);
	assert_true(ask(&w, 2 << 4));
	/* LMSW: PE can be set but not cleared; MP/EM/TS compared. */
	vfx_wr(f, CR0_GUEST_HOST_MASK, 0x1);
	vfx_wr(f, CR0_READ_SHADOW, 0x0);
	assert_true(ask(&w, (3 << 4) | (0x1ull << 16)));
	assert_false(ask(&w, (3 << 4) | (0xeull << 16)));
	vfx_wr(f, CR0_READ_SHADOW, 0x1);
	assert_false(ask(&w, (3 << 4) | (0x0ull << 16))); /* cannot clear PE */
	/* CR4 against its mask/shadow. */
	w.cr_dr = 4;
	vfx_wr(f, CR4_GUEST_HOST_MASK, 0x2000);
	vfx_wr(f, CR4_READ_SHADOW, 0);
	w.value = 0x20;
	assert_false(ask(&w, 4));
	w.value = 0x2020;
	assert_true(ask(&w, 4));
	/* CR3 loads: exit unless the value is a CR3-target value. */
	w.cr_dr = 3;
	w.value = 0x5000;
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_CR3_LOAD_EXITING);
	assert_true(ask(&w, 3));
	vfx_wr(f, CR3_TARGET_VALUE1, 0x5000);
	vfx_wr(f, CR3_TARGET_COUNT, 2);
	assert_false(ask(&w, 3));
	vfx_wr(f, CR3_TARGET_COUNT, 1);
	assert_true(ask(&w, 3));
	/* CR3 stores, CR8 loads and stores. */
	w.write = false;
	assert_false(ask(&w, (1 << 4) | 3));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL,
	       proc | CPU_BASED_CR3_STORE_EXITING |
		   CPU_BASED_CR8_STORE_EXITING);
	assert_true(ask(&w, (1 << 4) | 3));
	w.cr_dr = 8;
	assert_true(ask(&w, (1 << 4) | 8));
	w.write = true;
	assert_false(ask(&w, 8));
	/* MOV from CR0/CR4 never exits (read shadows). */
	w.write = false;
	w.cr_dr = 0;
	assert_false(ask(&w, 1 << 4));
}

static void test_io_msr(void **state)
{
	uint8_t *a = vfx_page(f), *b = vfx_page(f), *m = vfx_page(f);
	uint64_t proc = vfx_rd(f, CPU_BASED_VM_EXEC_CONTROL);
	struct x86_intercept w = {.reason = X86_EXIT_IO_INSTRUCTION};

	/* Unconditional I/O exiting (the fixture's default). */
	w.port = 0x80;
	w.io_size = 1;
	assert_true(ask(&w, 0));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL,
	       proc & ~(uint64_t)CPU_BASED_UNCOND_IO_EXITING);
	assert_false(ask(&w, 0));
	/* Bitmaps override unconditional exiting. */
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_USE_IO_BITMAPS);
	vfx_wr(f, IO_BITMAP_A, vfx_pa(a));
	vfx_wr(f, IO_BITMAP_B, vfx_pa(b));
	assert_false(ask(&w, 0));
	a[0x83 / 8] |= 1 << (0x83 % 8);
	w.io_size = 4; /* 0x80..0x83 touches a set bit */
	assert_true(ask(&w, 0));
	w.io_size = 2;
	assert_false(ask(&w, 0));
	w.port = 0x7fff; /* spans A and B */
	b[0] |= 1;
	assert_true(ask(&w, 0));
	w.port = 0xffff; /* wraps: always exits */
	assert_true(ask(&w, 0));

	/* MSRs: without bitmaps everything exits. */
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc);
	struct x86_intercept r = {.reason = X86_EXIT_MSR_READ, .msr = 0x10};
	assert_true(ask(&r, 0));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_USE_MSR_BITMAPS);
	vfx_wr(f, MSR_BITMAP, vfx_pa(m));
	assert_false(ask(&r, 0));
	m[0x10 / 8] |= 1 << (0x10 % 8); /* read-low */
	assert_true(ask(&r, 0));
	r.msr = 0xc0000080;
	assert_false(ask(&r, 0));
	m[1024 + 0x80 / 8] |= 1 << (0x80 % 8); /* read-high */
	assert_true(ask(&r, 0));
	struct x86_intercept wr = {.reason = X86_EXIT_MSR_WRITE, .msr = 0x10};
	assert_false(ask(&wr, 0));
	m[2048 + 0x10 / 8] |= 1 << (0x10 % 8); /* write-low */
	assert_true(ask(&wr, 0));
	wr.msr = 0xc0000080;
	assert_false(ask(&wr, 0));
	m[3072 + 0x80 / 8] |= 1 << (0x80 % 8); /* write-high */
	assert_true(ask(&wr, 0));
	/* Outside both ranges: always exits. */
	r.msr = 0x40000000;
	assert_true(ask(&r, 0));
}

static void test_exceptions(void **state)
{
	struct x86_intercept w = {.reason = X86_EXIT_EXCEPTION_NMI};
	struct x86_exit ex = {.reason = 0};

	vmx_env_init(&env, f->cpu, f->vmcs);
	/* #GP: by the bitmap. */
	w.vector = 13;
	ex.intr_info = 0x80000b0d;
	assert_false(vmx_intercept(&env, &w, &ex));
	vfx_wr(f, EXCEPTION_BITMAP, 1u << 13);
	vmx_env_init(&env, f->cpu, f->vmcs);
	assert_true(vmx_intercept(&env, &w, &ex));
	/* #PF: bit 14 XNOR ((PFEC & mask) == match). */
	w.vector = 14;
	w.has_error = true;
	w.error_code = 0x3; /* present write */
	ex.intr_info = 0x80000b0e;
	vfx_wr(f, EXCEPTION_BITMAP, 1u << 14);
	vfx_wr(f, PAGE_FAULT_ERROR_CODE_MASK, 0x1);
	vfx_wr(f, PAGE_FAULT_ERROR_CODE_MATCH, 0x1);
	vmx_env_init(&env, f->cpu, f->vmcs);
	assert_true(vmx_intercept(&env, &w, &ex));
	w.error_code = 0x2; /* not present: no match */
	assert_false(vmx_intercept(&env, &w, &ex));
	vfx_wr(f, EXCEPTION_BITMAP, 0);
	vmx_env_init(&env, f->cpu, f->vmcs);
	assert_true(vmx_intercept(&env, &w, &ex));
	/* NMI: pin-based NMI exiting, not the bitmap. */
	w.vector = 2;
	w.has_error = false;
	ex.intr_info = 0x80000202;
	assert_true(vmx_intercept(&env, &w, &ex));
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL,
	       vfx_rd(f, PIN_BASED_VM_EXEC_CONTROL) & ~PIN_BASED_NMI_EXITING);
	vmx_env_init(&env, f->cpu, f->vmcs);
	assert_false(vmx_intercept(&env, &w, &ex));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_unconditional),
	    T(test_cr_access),
	    T(test_io_msr),
	    T(test_exceptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
