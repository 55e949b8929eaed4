// SPDX-License-Identifier: GPL-2.0
/* EPT walk (violation vs misconfig, qualification, large pages, A/D) and
 * the TLB with INVEPT/INVVPID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu/vmx/ept.h"
#include "cpu_vmx_fixture.h"

#define WB (6ull << 3)

struct eptfx {
	struct vfx *f;
	uint64_t *pml4, *pdpt, *pd, *pt;
	uint64_t eptp;
	uint8_t *data;
};

static struct eptfx *mk(const char *model)
{
	struct eptfx *e = calloc(1, sizeof(*e));

	e->f = vfx_create(model);
	e->pml4 = vfx_page(e->f);
	e->pdpt = vfx_page(e->f);
	e->pd = vfx_page(e->f);
	e->pt = vfx_page(e->f);
	e->data = vfx_page(e->f);
	e->pml4[0] = vfx_pa(e->pdpt) | 7;
	e->pdpt[0] = vfx_pa(e->pd) | 7;
	e->pd[0] = vfx_pa(e->pt) | 7;
	e->pt[5] = vfx_pa(e->data) | 7 | WB; /* GPA 0x5000 */
	e->eptp = vfx_pa(e->pml4) | 0x1e;
	return e;
}

static void rm(struct eptfx *e)
{
	vfx_destroy(e->f);
	free(e);
}

static uint32_t tr(struct eptfx *e, uint64_t gpa, unsigned acc, void **hva,
		   struct x86_exit *ex)
{
	return ept_translate(e->f->cpu, e->eptp, gpa, acc, 0x7000 + gpa, true,
			     hva, ex);
}

static void test_4k_and_violations(void **state)
{
	struct eptfx *e = mk("default");
	struct x86_exit ex;
	void *hva;

	assert_int_equal(tr(e, 0x5123, X86_ACC_READ, &hva, &ex), 0);
	assert_ptr_equal(hva, e->data + 0x123);
	/* Not present at the leaf: bits 3-5 clear, GLA valid + translated. */
	assert_int_equal(tr(e, 0x6000, X86_ACC_WRITE, &hva, &ex), 48);
	assert_int_equal(ex.reason, 48);
	assert_int_equal(ex.qualification, 0x2 | 0x80 | 0x100);
	assert_int_equal(ex.gpa, 0x6000);
	assert_true(ex.gla_valid);
	assert_int_equal(ex.gla, 0x7000 + 0x6000);
	/* Not present at PML4 level; paging-structure access: bit 8 clear. */
	assert_int_equal(
	    tr(e, 1ull << 39, X86_ACC_READ | X86_ACC_PTWALK, &hva, &ex), 48);
	assert_int_equal(ex.qualification, 0x1 | 0x80);
	/* No GLA. */
	assert_int_equal(ept_translate(e->f->cpu, e->eptp, 0x6000, X86_ACC_EXEC,
				       0, false, &hva, &ex),
			 48);
	assert_int_equal(ex.qualification, 0x4);
	/* Read-only leaf: write violates; the AND of permissions reported. */
	e->pt[6] = vfx_pa(e->data) | 1 | WB;
	assert_int_equal(tr(e, 0x6000, X86_ACC_WRITE, &hva, &ex), 48);
	assert_int_equal(ex.qualification, 0x2 | 0x8 | 0x180);
	e->pt[7] = vfx_pa(e->data) | 3 | WB;
	assert_int_equal(tr(e, 0x7000, X86_ACC_EXEC, &hva, &ex), 48);
	assert_int_equal(ex.qualification, 0x4 | 0x8 | 0x10 | 0x180);
	/* Upper level withholds W: leaf RWX is not enough. */
	e->pd[1] = vfx_pa(e->pt) | 5; /* GPA 2M.. via same PT, R+X */
	assert_int_equal(tr(e, 0x205000, X86_ACC_WRITE, &hva, &ex), 48);
	assert_int_equal(ex.qualification, 0x2 | 0x8 | 0x20 | 0x180);
	assert_int_equal(tr(e, 0x205000, X86_ACC_READ, &hva, &ex), 0);
	/* GPA beyond MAXPHYADDR. */
	assert_int_equal(tr(e, 1ull << 50, X86_ACC_READ, &hva, &ex), 48);
	rm(e);
}

static void test_misconfig(void **state)
{
	struct eptfx *e = mk("default,-ept-exec-only,-ept-1g");
	struct x86_exit ex;
	void *hva;

	/* W without R. */
	e->pt[6] = vfx_pa(e->data) | 2 | WB;
	assert_int_equal(tr(e, 0x6000, X86_ACC_READ, &hva, &ex), 49);
	assert_int_equal(ex.gpa, 0x6000);
	assert_int_equal(ex.qualification, 0);
	/* W+X without R (KVM's MMIO SPTE). */
	e->pt[6] = vfx_pa(e->data) | 6 | WB;
	assert_int_equal(tr(e, 0x6000, X86_ACC_WRITE, &hva, &ex), 49);
	/* X-only without the capability. */
	e->pt[6] = vfx_pa(e->data) | 4 | WB;
	assert_int_equal(tr(e, 0x6000, X86_ACC_EXEC, &hva, &ex), 49);
	/* Memory types 2, 3, 7. */
	e->pt[6] = vfx_pa(e->data) | 7 | (2ull << 3);
	assert_int_equal(tr(e, 0x6000, X86_ACC_READ, &hva, &ex), 49);
	e->pt[6] = vfx_pa(e->data) | 7 | (3ull << 3);
	assert_int_equal(tr(e, 0x6000, X86_ACC_READ, &hva, &ex), 49);
	e->pt[6] = vfx_pa(e->data) | 7 | (7ull << 3);
	assert_int_equal(tr(e, 0x6000, X86_ACC_READ, &hva, &ex), 49);
	/* Reserved bits: above MAXPHYADDR, 7:3 of a non-leaf, PML4E bit 7. */
	e->pt[6] = vfx_pa(e->data) | 7 | WB | (1ull << 51);
	assert_int_equal(tr(e, 0x6000, X86_ACC_READ, &hva, &ex), 49);
	e->pt[6] = 0;
	e->pd[0] |= 0x8;
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 49);
	e->pd[0] &= ~0x8ull;
	e->pml4[1] = vfx_pa(e->pdpt) | 7 | 0x80;
	assert_int_equal(tr(e, 1ull << 39, X86_ACC_READ, &hva, &ex), 49);
	/* 1G page without the capability. */
	e->pdpt[1] = (1ull << 30) | 7 | WB | 0x80;
	assert_int_equal(tr(e, 1ull << 30, X86_ACC_READ, &hva, &ex), 49);
	/* Priority: a misconfigured leaf under a non-writable directory is
	 * a misconfiguration even for a write. */
	e->pd[1] = vfx_pa(e->pt) | 5;
	e->pt[8] = vfx_pa(e->data) | 7 | (7ull << 3);
	assert_int_equal(tr(e, 0x208000, X86_ACC_WRITE, &hva, &ex), 49);
	/* ... but a not-present entry above it is a violation. */
	e->pd[1] = 0;
	assert_int_equal(tr(e, 0x208000, X86_ACC_WRITE, &hva, &ex), 48);
	rm(e);

	e = mk("default");
	/* X-only with the capability is fine for a fetch. */
	e->pt[6] = vfx_pa(e->data) | 4 | WB;
	assert_int_equal(tr(e, 0x6000, X86_ACC_EXEC, &hva, &ex), 0);
	assert_int_equal(tr(e, 0x6000, X86_ACC_READ, &hva, &ex), 48);
	assert_int_equal(ex.qualification, 0x1 | 0x20 | 0x180);
	rm(e);
}

static void test_large_pages(void **state)
{
	struct eptfx *e = mk("default");
	struct x86_exit ex;
	void *hva;
	uint8_t *big = aligned_alloc(1 << 21, 1 << 21);

	/* 2M leaf at GPA 4M. */
	e->pd[2] = vfx_pa(big) | 7 | WB | 0x80;
	assert_int_equal(tr(e, 0x400000 + 0x12345, X86_ACC_WRITE, &hva, &ex),
			 0);
	assert_ptr_equal(hva, big + 0x12345);
	/* Reserved bits 20:12 of a 2M leaf. */
	e->pd[3] = vfx_pa(big) | 7 | WB | 0x80 | 0x1000;
	assert_int_equal(tr(e, 0x600000, X86_ACC_READ, &hva, &ex), 49);
	/* 1G leaf at GPA 1G: host address = 1G-aligned base + offset. Only
	 * the pointer arithmetic is checked (no access). */
	e->pdpt[1] = (1ull << 30) | 7 | WB | 0x80;
	assert_int_equal(
	    tr(e, (1ull << 30) + 0x1234567, X86_ACC_READ, &hva, &ex), 0);
	assert_int_equal((uint64_t)(uintptr_t)hva, (1ull << 30) + 0x1234567);
	e->pdpt[2] = (2ull << 30) | 7 | WB | 0x80 | 0x200000;
	assert_int_equal(tr(e, 2ull << 30, X86_ACC_READ, &hva, &ex), 49);
	rm(e);

	e = mk("default,-ept-2m");
	e->pd[2] = vfx_pa(big) | 7 | WB | 0x80;
	assert_int_equal(tr(e, 0x400000, X86_ACC_READ, &hva, &ex), 49);
	rm(e);
	free(big);
}

static void test_accessed_dirty(void **state)
{
	struct eptfx *e = mk("default");
	struct x86_exit ex;
	void *hva;

	/* Without A/D in the EPTP nothing is written. */
	assert_int_equal(tr(e, 0x5000, X86_ACC_WRITE, &hva, &ex), 0);
	assert_int_equal(e->pt[5] & 0x300, 0);
	e->eptp |= 0x40;
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 0);
	assert_true(e->pml4[0] & 0x100);
	assert_true(e->pdpt[0] & 0x100);
	assert_true(e->pd[0] & 0x100);
	assert_true(e->pt[5] & 0x100);
	assert_false(e->pt[5] & 0x200);
	/* A write through a cached translation still sets D. */
	assert_int_equal(tr(e, 0x5000, X86_ACC_WRITE, &hva, &ex), 0);
	assert_true(e->pt[5] & 0x200);
	/* Guest paging-structure reads count as writes with A/D on. */
	e->pt[6] = vfx_pa(e->data) | 5 | WB;
	assert_int_equal(
	    tr(e, 0x6000, X86_ACC_READ | X86_ACC_PTWALK, &hva, &ex), 48);
	assert_int_equal(ex.qualification, 0x2 | 0x8 | 0x20 | 0x80);
	/* Entries used before the violation got their A flags. */
	assert_true(e->pt[6] & 0x100);
	assert_false(e->pt[6] & 0x200);
	e->eptp &= ~0x40ull;
	assert_int_equal(
	    tr(e, 0x6000, X86_ACC_READ | X86_ACC_PTWALK, &hva, &ex), 0);
	rm(e);
}

static void test_tlb_invept(void **state)
{
	struct eptfx *e = mk("default");
	struct cpu *cpu = e->f->cpu;
	struct x86_exit ex;
	void *hva;
	uint64_t other = vfx_pa(e->f->pml4) | 0x1e;

	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 0);
	/* Removing the mapping without INVEPT: the stale translation stays. */
	e->pt[5] = 0;
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 0);
	/* A different EPTP does not hit the cached entry. */
	assert_int_equal(ept_translate(cpu, other, 0x5000, X86_ACC_READ, 0,
				       false, &hva, &ex),
			 48); /* the fixture's EPT maps GPA 0-16K only */
	/* INVEPT single-context for the other EPTP keeps ours. */
	assert_int_equal(cpu_invept(cpu, 1, other), VMX_SUCCEED);
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 0);
	assert_int_equal(cpu_invept(cpu, 1, e->eptp), VMX_SUCCEED);
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 48);
	/* Global. */
	e->pt[5] = vfx_pa(e->data) | 7 | WB;
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 0);
	e->pt[5] = 0;
	assert_int_equal(cpu_invept(cpu, 2, 0), VMX_SUCCEED);
	assert_int_equal(tr(e, 0x5000, X86_ACC_READ, &hva, &ex), 48);
	/* Permission upgrades need no INVEPT (misses are not cached). */
	e->pt[5] = vfx_pa(e->data) | 1 | WB;
	assert_int_equal(tr(e, 0x5000, X86_ACC_WRITE, &hva, &ex), 48);
	e->pt[5] = vfx_pa(e->data) | 3 | WB;
	assert_int_equal(tr(e, 0x5000, X86_ACC_WRITE, &hva, &ex), 0);

	/* Bad types and operands: VMfailValid(28) (current VMCS exists). */
	assert_int_equal(cpu_invept(cpu, 0, e->eptp), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(e->f, VM_INSTRUCTION_ERROR), 28);
	assert_int_equal(cpu_invept(cpu, 3, e->eptp), VMX_FAIL_VALID);
	assert_int_equal(cpu_invept(cpu, 1, e->eptp | 0x80), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(e->f, VM_INSTRUCTION_ERROR), 28);
	rm(e);

	e = mk("default,-ept");
	assert_int_equal(cpu_invept(e->f->cpu, 2, 0), VMX_FAULT_UD);
	rm(e);
}

static void test_invvpid(void **state)
{
	struct vfx *f = vfx_create("default");

	assert_int_equal(cpu_invvpid(f->cpu, 0, 5, 0x1000), VMX_SUCCEED);
	assert_int_equal(cpu_invvpid(f->cpu, 1, 5, 0), VMX_SUCCEED);
	assert_int_equal(cpu_invvpid(f->cpu, 2, 0, 0), VMX_SUCCEED);
	assert_int_equal(cpu_invvpid(f->cpu, 3, 5, 0), VMX_SUCCEED);
	assert_int_equal(cpu_invvpid(f->cpu, 4, 5, 0), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), 28);
	assert_int_equal(cpu_invvpid(f->cpu, 1, 0, 0), VMX_FAIL_VALID);
	assert_int_equal(cpu_invvpid(f->cpu, 0, 0, 0x1000), VMX_FAIL_VALID);
	assert_int_equal(cpu_invvpid(f->cpu, 0, 5, 0x0000800000000000ull),
			 VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), 28);
	/* Without a current VMCS failures are VMfailInvalid. */
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(cpu_invvpid(f->cpu, 7, 5, 0), VMX_FAIL_INVALID);
	vfx_destroy(f);

	f = vfx_create("default,-vpid");
	assert_int_equal(cpu_invvpid(f->cpu, 2, 0, 0), VMX_FAULT_UD);
	vfx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_4k_and_violations),
	    cmocka_unit_test(test_misconfig),
	    cmocka_unit_test(test_large_pages),
	    cmocka_unit_test(test_accessed_dirty),
	    cmocka_unit_test(test_tlb_invept),
	    cmocka_unit_test(test_invvpid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
