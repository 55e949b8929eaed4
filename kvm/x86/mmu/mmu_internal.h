/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_KVM_X86_MMU_INTERNAL_H
#define KVMINI_KVM_X86_MMU_INTERNAL_H

#include <stdint.h>

struct kmem_cache;

/* One EPT paging-structure page (Linux: struct kvm_mmu_page). */
struct kvm_mmu_page {
	struct kvm_mmu_page *next; /* the VM's list of table pages */
	uint64_t *spt;		   /* the 512 entries */
	int level;		   /* 4 = PML4 ... 1 = PT */
	uint64_t gfn;		   /* first gfn it covers */
};

extern struct kmem_cache *mmu_page_header_cache;

#endif
