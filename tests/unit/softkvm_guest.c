// SPDX-License-Identifier: GPL-2.0
/* See softkvm_guest.h. */
#include "softkvm_guest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>

#include "kvm/page_alloc.h"

struct skg *skg_new(const char *model, size_t ram_size)
{
	struct skg *g = calloc(1, sizeof(*g));
	char err[128];

	assert_non_null(g);
	for (int i = 0; i < SKG_MAX_VCPUS; i++)
		g->vcpu[i] = -1;
	assert_int_equal(softkvm_load(model, err, sizeof(err)), 0);
	g->sys = softkvm_open();
	g->vm = softkvm_ioctl(g->sys, KVM_CREATE_VM, 0);
	assert_true(g->vm >= 0);
	g->ram_size = ram_size;
	g->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->ram != MAP_FAILED);
	assert_int_equal(skg_set_mem(g, 0, 0, 0, ram_size, g->ram), 0);
	return g;
}

void skg_free(struct skg *g)
{
	for (int i = 0; i < SKG_MAX_VCPUS; i++)
		if (g->vcpu[i] >= 0)
			softkvm_close(g->vcpu[i]);
	softkvm_close(g->vm);
	softkvm_close(g->sys);
	softkvm_unload();
	munmap(g->ram, g->ram_size);
	free(g);
	assert_int_equal(kvm_pages_live(), 0);
}

int skg_set_mem(struct skg *g, uint32_t slot, uint32_t flags, uint64_t gpa,
		uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .flags = flags,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)hva,
	};

	return softkvm_ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

void skg_load(struct skg *g, uint64_t gpa, const void *p, size_t len)
{
	assert_true(gpa <= g->ram_size && len <= g->ram_size - gpa);
	memcpy(g->ram + gpa, p, len);
}

void skg_vcpu_new(struct skg *g, int i)
{
	assert_true(i >= 0 && i < SKG_MAX_VCPUS && g->vcpu[i] < 0);
	g->vcpu[i] = softkvm_ioctl(g->vm, KVM_CREATE_VCPU, (void *)(long)i);
	assert_true(g->vcpu[i] >= 0);
	g->run[i] = softkvm_run_page(g->vcpu[i]);
	assert_non_null(g->run[i]);
}

void skg_real_mode(struct skg *g, int i, uint64_t rip, uint64_t rsp)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_GET_SREGS, &s), 0);
	s.cs.selector = 0;
	s.cs.base = 0;
	s.cr0 = 0x10; /* ET */
	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_SET_SREGS, &s), 0);
	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_GET_REGS, &r), 0);
	r.rip = rip;
	r.rsp = rsp;
	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_SET_REGS, &r), 0);
}

static const struct kvm_segment flat_data = {.limit = 0xffffffff,
					     .selector = 0x10,
					     .type = 3,
					     .present = 1,
					     .s = 1,
					     .db = 1,
					     .g = 1};

void skg_flat32(struct skg *g, int i)
{
	struct kvm_segment cs = {.limit = 0xffffffff,
				 .selector = 8,
				 .type = 11,
				 .present = 1,
				 .s = 1,
				 .db = 1,
				 .g = 1};
	struct kvm_sregs s;

	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_GET_SREGS, &s), 0);
	s.cs = cs;
	s.ds = s.es = s.ss = flat_data;
	s.cr0 = 0x11; /* PE|ET, paging off */
	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_SET_SREGS, &s), 0);
}

static void put_pte(struct skg *g, uint64_t table, unsigned idx, uint64_t v)
{
	skg_load(g, table + idx * 8u, &v, 8);
}

void skg_long_mode(struct skg *g, int i, uint64_t pml4, uint64_t hi_pd,
		   uint64_t hi_2m)
{
	uint64_t pdpt = pml4 + 0x1000, pd0 = pml4 + 0x2000;
	struct kvm_segment cs = {.limit = 0xffffffff,
				 .selector = 8,
				 .type = 11,
				 .present = 1,
				 .s = 1,
				 .l = 1,
				 .g = 1};
	struct kvm_sregs s;

	put_pte(g, pml4, 0, pdpt | 3);
	put_pte(g, pdpt, 0, pd0 | 3);
	put_pte(g, pd0, 0, 0x83); /* GPA [0, 2M), identity */
	if (hi_2m) {
		assert_true(!(hi_2m & 0x1fffff) && hi_2m < (1ull << 39));
		put_pte(g, pdpt, (unsigned)(hi_2m >> 30), hi_pd | 3);
		put_pte(g, hi_pd, (unsigned)(hi_2m >> 21) & 511, hi_2m | 0x83);
	}
	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_GET_SREGS, &s), 0);
	s.cs = cs;
	s.ds = s.es = s.ss = flat_data;
	s.cr3 = pml4;
	s.cr4 = 0x20;	    /* PAE */
	s.efer = 0x500;	    /* LME|LMA */
	s.cr0 = 0x80000031; /* PG|NE|ET|PE */
	assert_int_equal(softkvm_ioctl(g->vcpu[i], KVM_SET_SREGS, &s), 0);
}

int skg_run(struct skg *g, int i)
{
	return softkvm_ioctl(g->vcpu[i], KVM_RUN, NULL);
}
