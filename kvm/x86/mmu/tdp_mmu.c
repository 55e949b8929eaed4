// SPDX-License-Identifier: GPL-2.0
/*
 * The TDP MMU: 4-level EPT tables built lazily, one EPT violation at a
 * time, from the memslots (gfn -> hva; the hva is the host-physical
 * address on our "silicon"). 2 MiB leaves where the whole aligned range is
 * in one slot with matching host alignment; read-only slots map without
 * W; gfns without a slot get an MMIO SPTE (a deliberate EPT
 * misconfiguration) so later accesses exit straight to MMIO emulation.
 * Callers hold kvm->mmu_lock.
 */
#include <errno.h>
#include <x86/vmx.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/slab.h"
#include "kvm/x86/mmu/mmu.h"
#include "kvm/x86/mmu/mmu_internal.h"

#define PT64_ENT_PER_PAGE 512
#define SPTE_ADDR_MASK	  0x000ffffffffff000ull
#define EPT_LEAF_MT_WB	  (6ull << 3)

static int level_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static struct kvm_mmu_page *tdp_alloc_page(struct kvm *kvm, int level,
					   uint64_t gfn)
{
	struct kvm_mmu_page *sp = kmem_cache_zalloc(mmu_page_header_cache);

	if (!sp)
		return NULL;
	sp->spt = kvm_alloc_pages_node(-1, PAGE_SIZE);
	if (!sp->spt) {
		kmem_cache_free(mmu_page_header_cache, sp);
		return NULL;
	}
	sp->level = level;
	sp->gfn = gfn;
	sp->next = kvm->arch.mmu_pages;
	kvm->arch.mmu_pages = sp;
	kvm->arch.ept_pages++;
	return sp;
}

int kvm_tdp_mmu_init_vm(struct kvm *kvm)
{
	kvm->arch.root = tdp_alloc_page(kvm, 4, 0);
	return kvm->arch.root ? 0 : -ENOMEM;
}

int kvm_identity_pagetable(struct kvm *kvm)
{
	uint32_t *pt;

	if (kvm->arch.identity_pagetable)
		return 0;
	pt = kvm_alloc_pages_node(-1, PAGE_SIZE);
	if (!pt)
		return -ENOMEM;
	/* 1024 PSE PDEs: entry i maps 4 MiB at i << 22, P|RW|US|A|D|PS. */
	for (uint32_t i = 0; i < 1024; i++)
		pt[i] = (i << 22) | 0xe7;
	pthread_mutex_lock(&kvm->mmu_lock);
	if (!kvm->arch.identity_pagetable) {
		kvm->arch.identity_pagetable = pt;
		pt = NULL;
	}
	pthread_mutex_unlock(&kvm->mmu_lock);
	kvm_free_pages(pt, PAGE_SIZE);
	return 0;
}

void kvm_tdp_mmu_destroy_vm(struct kvm *kvm)
{
	kvm_free_pages(kvm->arch.identity_pagetable, PAGE_SIZE);
	kvm->arch.identity_pagetable = NULL;
	struct kvm_mmu_page *sp = kvm->arch.mmu_pages, *next;

	for (; sp; sp = next) {
		next = sp->next;
		kvm_free_pages(sp->spt, PAGE_SIZE);
		kmem_cache_free(mmu_page_header_cache, sp);
	}
	kvm->arch.mmu_pages = kvm->arch.root = NULL;
	kvm->arch.ept_pages = 0;
}

uint64_t kvm_tdp_root_hpa(struct kvm *kvm)
{
	return kvm->arch.root ? (uintptr_t)kvm->arch.root->spt : 0;
}

static bool is_mmio_spte(uint64_t spte)
{
	return (spte & shadow_mmio_mask) == shadow_mmio_value;
}

static bool is_shadow_present_pte(uint64_t spte)
{
	return (spte & VMX_EPT_RWX_MASK) && !is_mmio_spte(spte);
}

/* Can [gfn & ~511, +512) be one 2 MiB leaf for @slot? */
static bool can_map_2m(struct kvm_memory_slot *slot, uint64_t gfn)
{
	uint64_t base = gfn & ~511ull;
	uint64_t hva =
	    slot->userspace_addr + ((base - slot->base_gfn) << PAGE_SHIFT);

	if (!tdp_huge_pages)
		return false;
	if (base < slot->base_gfn || base + 512 > slot->base_gfn + slot->npages)
		return false;
	return !(hva & ((1ull << 21) - 1));
}

int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
		       bool fetch)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot;
	bool identity = false;
	uint64_t *spt;
	int target, level, r = RET_PF_FIXED;
	uint64_t spte, prot;

	pthread_mutex_lock(&kvm->mmu_lock);
	kvm->arch.tdp_faults++;
	slot = gfn_to_memslot(kvm, gfn);
	if (kvm->arch.identity_pagetable &&
	    gfn == kvm->arch.ept_identity_map_addr >> PAGE_SHIFT) {
		/* KVM's own page, in front of any memslot (Linux keeps a
		 * private slot there). The CPU may set A/D bits: writable. */
		target = 1;
		spte =
		    ((uintptr_t)kvm->arch.identity_pagetable & SPTE_ADDR_MASK) |
		    VMX_EPT_READABLE_MASK | VMX_EPT_WRITABLE_MASK |
		    VMX_EPT_EXECUTABLE_MASK | EPT_LEAF_MT_WB | VMX_EPT_IPAT_BIT;
		identity = true;
	} else if (!slot) {
		target = 1;
		spte = shadow_mmio_value; /* MMIO: no memory, ever, until a
					     memslot change zaps it */
		r = RET_PF_EMULATE;
	} else {
		bool ro = slot->flags & KVM_MEM_READONLY;

		bool logging = slot->dirty_bitmap != NULL;

		/* Dirty logging: 4 KiB pages, writable only once written
		 * (and then logged), so every first write faults. */
		uint64_t id_gfn = kvm->arch.ept_identity_map_addr >> PAGE_SHIFT;

		target = !logging && can_map_2m(slot, gfn) &&
				 (!kvm->arch.identity_pagetable ||
				  (id_gfn & ~511ull) != (gfn & ~511ull))
			     ? 2
			     : 1;
		prot = VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
		       (ro || (logging && !write) ? 0 : VMX_EPT_WRITABLE_MASK);
		if (logging && write)
			mark_page_dirty_in_slot(slot, gfn);
		if (write && ro)
			r = RET_PF_EMULATE; /* map for reads, emulate the write
					     */
		{
			uint64_t base = target == 2 ? gfn & ~511ull : gfn;
			uint64_t hva = slot->userspace_addr +
				       ((base - slot->base_gfn) << PAGE_SHIFT);

			/* The slot's memory must really be mapped in this
			 * process, or the CPU would fault on our behalf (Linux:
			 * KVM_RUN fails with -EFAULT on a bad hva). */
			if (!kvm_hva_mapped(hva, target == 2 ? 1ull << 21
							     : PAGE_SIZE)) {
				r = -EFAULT;
				goto out;
			}
			spte = (hva & SPTE_ADDR_MASK) | prot | EPT_LEAF_MT_WB |
			       VMX_EPT_IPAT_BIT |
			       (target == 2 ? VMX_EPT_LARGE_PAGE : 0);
		}
	}

	spt = kvm->arch.root->spt;
	for (level = 4; level > target; level--) {
		uint64_t *sptep = &spt[(gpa >> level_shift(level)) & 511];

		if (level == 2 && (*sptep & VMX_EPT_LARGE_PAGE)) {
			/* Already a 2 MiB leaf over this gfn: nothing to do. */
			goto out;
		}
		if (!is_shadow_present_pte(*sptep)) {
			uint64_t span = 1ull
					<< (level_shift(level) - PAGE_SHIFT);
			struct kvm_mmu_page *child =
			    tdp_alloc_page(kvm, level - 1, gfn & ~(span - 1));

			if (!child) {
				r = -ENOMEM;
				goto out;
			}
			__atomic_store_n(
			    sptep, (uintptr_t)child->spt | VMX_EPT_RWX_MASK,
			    __ATOMIC_RELEASE);
		}
		spt = (uint64_t *)(uintptr_t)(*sptep & SPTE_ADDR_MASK);
	}
	__atomic_store_n(&spt[(gpa >> level_shift(target)) & 511], spte,
			 __ATOMIC_RELEASE);
	if (!slot && !identity)
		kvm->arch.mmio_sptes++;
	else if (target == 2)
		kvm->arch.tdp_maps_2m++;
	else
		kvm->arch.tdp_maps_4k++;
out:
	pthread_mutex_unlock(&kvm->mmu_lock);
	return r;
}

void kvm_tdp_mmu_zap_all(struct kvm *kvm)
{
	/* Leaves go; tables stay (a running vCPU may be walking them). */
	for (struct kvm_mmu_page *sp = kvm->arch.mmu_pages; sp; sp = sp->next)
		for (int i = 0; i < PT64_ENT_PER_PAGE; i++) {
			uint64_t e = sp->spt[i];

			if (sp->level == 1 || (e & VMX_EPT_LARGE_PAGE) ||
			    is_mmio_spte(e))
				__atomic_store_n(&sp->spt[i], 0,
						 __ATOMIC_RELEASE);
		}
}
