// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM ABI served by softkvm_*: numbers and errno as Linux has them.
 * System ioctls, memslots (add, delete, move, flags, overlap, alignment),
 * vCPU creation, register state, MSRs, CPUID, handles.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>
#include <linux/kvm.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"

struct fx {
	int sys, vm;
	void *mem;
	size_t memsz;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];

	if (softkvm_load("default", err, sizeof(err)))
		return -1;
	f->sys = softkvm_open();
	f->vm = softkvm_ioctl(f->sys, KVM_CREATE_VM, 0);
	f->memsz = 4 << 20;
	f->mem = mmap(NULL, f->memsz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*state = f;
	return f->sys >= 0 && f->vm >= 0 && f->mem != MAP_FAILED ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	softkvm_close(f->vm);
	softkvm_close(f->sys);
	softkvm_unload();
	munmap(f->mem, f->memsz);
	free(f);
	return kvm_pages_live() == 0 ? 0 : -1;
}

static int set_mem(struct fx *f, uint32_t slot, uint32_t flags, uint64_t gpa,
		   uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .flags = flags,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = hva,
	};

	return softkvm_ioctl(f->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void test_system_ioctls(void **state)
{
	struct fx *f = *state;

	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_API_VERSION, NULL), 12);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_API_VERSION, (void *)1),
			 -EINVAL);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_VCPU_MMAP_SIZE, NULL),
			 2 * 4096);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_CHECK_EXTENSION,
				       (void *)KVM_CAP_USER_MEMORY),
			 1);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_CHECK_EXTENSION,
				       (void *)KVM_CAP_READONLY_MEM),
			 1);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_CHECK_EXTENSION,
				       (void *)KVM_CAP_IMMEDIATE_EXIT),
			 1);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_CHECK_EXTENSION,
				       (void *)KVM_CAP_NR_MEMSLOTS),
			 KVM_USER_MEM_SLOTS);
	/* Not implemented: answered honestly. */
	assert_int_equal(softkvm_ioctl(f->sys, KVM_CHECK_EXTENSION,
				       (void *)KVM_CAP_SYNC_MMU),
			 0);
	/* Unknown ioctls: system -EINVAL, VM -ENOTTY, as Linux. */
	assert_int_equal(softkvm_ioctl(f->sys, _IO(KVMIO, 0xee), NULL),
			 -EINVAL);
	assert_int_equal(softkvm_ioctl(f->vm, _IO(KVMIO, 0xee), NULL), -ENOTTY);
	/* A VM type other than the default. */
	assert_int_equal(softkvm_ioctl(f->sys, KVM_CREATE_VM, (void *)5),
			 -EINVAL);
	/* Bad handles. */
	assert_int_equal(softkvm_ioctl(-1, KVM_GET_API_VERSION, NULL), -EBADF);
	assert_int_equal(softkvm_ioctl(99999, KVM_GET_API_VERSION, NULL),
			 -EBADF);
	assert_int_equal(softkvm_close(12345), -EBADF);
}

static void test_msr_index_list(void **state)
{
	struct fx *f = *state;
	struct {
		struct kvm_msr_list l;
		uint32_t idx[64];
	} m = {.l.nmsrs = 0};

	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_MSR_INDEX_LIST, &m),
			 -E2BIG);
	assert_true(m.l.nmsrs > 0);
	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_MSR_INDEX_LIST, &m), 0);
	/* EFER is not in the list (sregs); SYSENTER_CS is. */
	bool sysenter = false;
	for (unsigned i = 0; i < m.l.nmsrs; i++)
		sysenter |= m.l.indices[i] == 0x174;
	assert_true(sysenter);
}

static void test_supported_cpuid(void **state)
{
	struct fx *f = *state;
	struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));

	c->nent = 1;
	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_SUPPORTED_CPUID, c),
			 -E2BIG);
	c->nent = 256;
	assert_int_equal(softkvm_ioctl(f->sys, KVM_GET_SUPPORTED_CPUID, c), 0);
	assert_true(c->nent > 2);
	bool kvm_sig = false;

	for (unsigned i = 0; i < c->nent; i++)
		kvm_sig |= c->entries[i].function == 0x40000000 &&
			   !memcmp(&c->entries[i].ebx, "KVMK", 4);
	assert_true(kvm_sig); /* KVM's paravirtual leaves (kvmclock) */
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1) {
			assert_false(c->entries[i].ecx & (1u << 5)); /* VMX */
			assert_true(c->entries[i].ecx & (1u << 31)); /* HV */
			/* KVM's own LAPIC: APIC, x2APIC, TSC deadline. */
			assert_true(c->entries[i].edx & (1u << 9));
			assert_true(c->entries[i].ecx & (1u << 21));
			assert_true(c->entries[i].ecx & (1u << 24));
		}
	free(c);
}

static void test_memslot_errno(void **state)
{
	struct fx *f = *state;
	uint64_t hva = (uintptr_t)f->mem;

	/* Alignment. */
	assert_int_equal(set_mem(f, 0, 0, 0x1000, 0x1001, hva), -EINVAL);
	assert_int_equal(set_mem(f, 0, 0, 0x1001, 0x1000, hva), -EINVAL);
	assert_int_equal(set_mem(f, 0, 0, 0x1000, 0x1000, hva + 1), -EINVAL);
	/* Slot id, address space. */
	assert_int_equal(set_mem(f, KVM_USER_MEM_SLOTS, 0, 0, 0x1000, hva),
			 -EINVAL);
	assert_int_equal(set_mem(f, 1u << 16, 0, 0, 0x1000, hva), -EINVAL);
	/* Flags: unknown bits. */
	assert_int_equal(set_mem(f, 0, 1u << 7, 0, 0x1000, hva), -EINVAL);

	/* Wrap-around. */
	assert_int_equal(set_mem(f, 0, 0, ~0xfffull, 0x2000, hva), -EINVAL);
	/* Deleting an empty slot. */
	assert_int_equal(set_mem(f, 3, 0, 0, 0, 0), -EINVAL);

	/* Create, overlap (-EEXIST), adjacent ok. */
	assert_int_equal(set_mem(f, 0, 0, 0, 0x100000, hva), 0);
	assert_int_equal(set_mem(f, 1, 0, 0xff000, 0x2000, hva + 0x100000),
			 -EEXIST);
	assert_int_equal(set_mem(f, 1, 0, 0x100000, 0x1000, hva + 0x100000), 0);
	/* Same again: no change, success. */
	assert_int_equal(set_mem(f, 1, 0, 0x100000, 0x1000, hva + 0x100000), 0);
	/* Resize or remap an existing slot: -EINVAL. */
	assert_int_equal(set_mem(f, 1, 0, 0x100000, 0x2000, hva + 0x100000),
			 -EINVAL);
	assert_int_equal(set_mem(f, 1, 0, 0x100000, 0x1000, hva + 0x200000),
			 -EINVAL);
	/* Flip read-only: -EINVAL. */
	assert_int_equal(
	    set_mem(f, 1, KVM_MEM_READONLY, 0x100000, 0x1000, hva + 0x100000),
	    -EINVAL);
	/* Move: into the other slot -EEXIST, elsewhere fine. */
	assert_int_equal(set_mem(f, 1, 0, 0x0, 0x1000, hva + 0x100000),
			 -EEXIST);
	assert_int_equal(set_mem(f, 1, 0, 0x300000, 0x1000, hva + 0x100000), 0);
	/* Delete (size 0), then the range is free for a read-only slot. */
	assert_int_equal(set_mem(f, 1, 0, 0x300000, 0, hva + 0x100000), 0);
	assert_int_equal(set_mem(f, 1, 0, 0x300000, 0, 0), -EINVAL);
	assert_int_equal(
	    set_mem(f, 2, KVM_MEM_READONLY, 0x300000, 0x1000, hva + 0x100000),
	    0);
	/* Beyond the guest-physical address width. */
	assert_int_equal(set_mem(f, 4, 0, 1ull << 52, 0x1000, hva + 0x200000),
			 -EINVAL);
	/* Dirty log of a slot that does not log, or of no slot: -ENOENT. */
	{
		uint64_t bm[8];
		struct kvm_dirty_log log = {.slot = 2, .dirty_bitmap = bm};

		assert_int_equal(softkvm_ioctl(f->vm, KVM_GET_DIRTY_LOG, &log),
				 -ENOENT);
		log.slot = 7;
		assert_int_equal(softkvm_ioctl(f->vm, KVM_GET_DIRTY_LOG, &log),
				 -ENOENT);
		log.slot = KVM_USER_MEM_SLOTS;
		assert_int_equal(softkvm_ioctl(f->vm, KVM_GET_DIRTY_LOG, &log),
				 -EINVAL);
	}
	/* NULL argument. */
	assert_int_equal(softkvm_ioctl(f->vm, KVM_SET_USER_MEMORY_REGION, NULL),
			 -EFAULT);
}

static void test_vcpu_create(void **state)
{
	struct fx *f = *state;
	int v0, v1;

	v0 = softkvm_ioctl(f->vm, KVM_CREATE_VCPU, (void *)0);
	assert_true(v0 >= 0);
	assert_int_equal(softkvm_ioctl(f->vm, KVM_CREATE_VCPU, (void *)0),
			 -EEXIST);
	assert_int_equal(softkvm_ioctl(f->vm, KVM_CREATE_VCPU,
				       (void *)(long)KVM_MAX_VCPU_IDS),
			 -EINVAL);
	v1 = softkvm_ioctl(f->vm, KVM_CREATE_VCPU, (void *)7);
	assert_true(v1 >= 0);
	assert_non_null(softkvm_run_page(v0));
	assert_null(softkvm_run_page(f->vm));
	/* vCPU fd unknown ioctl: -EINVAL (x86's kvm_arch_vcpu_ioctl). */
	assert_int_equal(softkvm_ioctl(v0, _IO(KVMIO, 0xee), NULL), -EINVAL);
	assert_int_equal(softkvm_ioctl(v0, KVM_GET_REGS, NULL), -EFAULT);
	/* Closing the VM handle first: the vCPUs keep the VM alive. */
	softkvm_close(v0);
	softkvm_close(v1);
}

static void test_reset_state_and_regs(void **state)
{
	struct fx *f = *state;
	int v = softkvm_ioctl(f->vm, KVM_CREATE_VCPU, (void *)0);
	struct kvm_regs r;
	struct kvm_sregs s;

	assert_true(v >= 0);
	assert_int_equal(softkvm_ioctl(v, KVM_GET_REGS, &r), 0);
	assert_int_equal(r.rip, 0xfff0);
	assert_int_equal(r.rflags, 2);
	assert_true(r.rdx != 0); /* CPUID signature */
	assert_int_equal(softkvm_ioctl(v, KVM_GET_SREGS, &s), 0);
	assert_int_equal(s.cs.selector, 0xf000);
	assert_int_equal(s.cs.base, 0xffff0000);
	assert_int_equal(s.cr0, 0x60000010);
	assert_int_equal(s.tr.type, 11);

	r.rax = 0x1234;
	r.rflags = 0; /* bit 1 is forced */
	assert_int_equal(softkvm_ioctl(v, KVM_SET_REGS, &r), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(softkvm_ioctl(v, KVM_GET_REGS, &r), 0);
	assert_int_equal(r.rax, 0x1234);
	assert_int_equal(r.rflags, 2);

	/* Invalid sregs: EFER.LMA without paging, PG without PE. */
	s.efer = 0x500;
	assert_int_equal(softkvm_ioctl(v, KVM_SET_SREGS, &s), -EINVAL);
	s.efer = 0;
	s.cr0 = 0x80000000;
	assert_int_equal(softkvm_ioctl(v, KVM_SET_SREGS, &s), -EINVAL);
	s.cr0 = 0x11;
	assert_int_equal(softkvm_ioctl(v, KVM_SET_SREGS, &s), 0);

	/* MSRs: the count processed is returned, stopping at a bad one. */
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[3];
	} m = {.h.nmsrs = 3};
	m.e[0].index = 0x174; /* SYSENTER_CS */
	m.e[0].data = 0x10;
	m.e[1].index = 0xc0000081; /* STAR */
	m.e[1].data = 0x23001000000000ull;
	m.e[2].index = 0xdeadbeef;
	assert_int_equal(softkvm_ioctl(v, KVM_SET_MSRS, &m), 2);
	m.e[0].data = m.e[1].data = 0;
	assert_int_equal(softkvm_ioctl(v, KVM_GET_MSRS, &m), 2);
	assert_int_equal(m.e[0].data, 0x10);
	assert_int_equal(m.e[1].data, 0x23001000000000ull);

	/* FPU state round-trips; the reset FCW/MXCSR are architectural. */
	struct kvm_fpu fpu;
	assert_int_equal(softkvm_ioctl(v, KVM_GET_FPU, &fpu), 0);
	assert_int_equal(fpu.fcw, 0x37f);
	assert_int_equal(fpu.mxcsr, 0x1f80);

	/* CPUID2 set/get. */
	struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + 2 * sizeof(c->entries[0]));
	c->nent = 2;
	c->entries[0].function = 0;
	c->entries[0].eax = 1;
	c->entries[1].function = 1;
	c->entries[1].eax = 0x806f0;
	assert_int_equal(softkvm_ioctl(v, KVM_SET_CPUID2, c), 0);
	c->nent = 1;
	assert_int_equal(softkvm_ioctl(v, KVM_GET_CPUID2, c), -E2BIG);
	assert_int_equal(c->nent, 2);
	c->nent = 300;
	assert_int_equal(softkvm_ioctl(v, KVM_SET_CPUID2, c), -E2BIG);
	free(c);

	/* KVM_INTERRUPT: one pending vector at a time. */
	struct kvm_interrupt irq = {.irq = 0x20};
	assert_int_equal(softkvm_ioctl(v, KVM_INTERRUPT, &irq), 0);
	assert_int_equal(softkvm_ioctl(v, KVM_INTERRUPT, &irq), -ENXIO);
	irq.irq = 256;
	assert_int_equal(softkvm_ioctl(v, KVM_INTERRUPT, &irq), -EINVAL);
	softkvm_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_system_ioctls, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_msr_index_list, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_supported_cpuid, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_memslot_errno, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_vcpu_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_state_and_regs, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
