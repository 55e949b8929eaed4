// SPDX-License-Identifier: GPL-2.0
/*
 * MMU module state (kvm_mmu_module_init, the MMIO SPTE mask, TDP on/off)
 * and kvm_mmu_page_fault: the decision between mapping memory and
 * emulating an access (MMIO, writes to read-only slots).
 */
#include "kvm/x86/mmu/mmu.h"

#include <errno.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/slab.h"
#include "kvm/x86/emulate.h"
#include "kvm/x86/mmu/mmu_internal.h"
#include "kvm/x86/x86.h"

uint64_t shadow_mmio_value, shadow_mmio_mask;
bool tdp_enabled, tdp_huge_pages;
struct kmem_cache *mmu_page_header_cache;

void kvm_mmu_set_mmio_spte_mask(uint64_t mask, uint64_t value)
{
	shadow_mmio_mask = mask;
	shadow_mmio_value = value;
	kvm_report_note("mmio_spte", "mask %#llx value %#llx",
			(unsigned long long)mask, (unsigned long long)value);
}

void kvm_enable_tdp(bool huge_pages)
{
	tdp_enabled = true;
	tdp_huge_pages = huge_pages;
}

void kvm_disable_tdp(void)
{
	tdp_enabled = false;
	tdp_huge_pages = false;
}

int kvm_mmu_module_init(void)
{
	kvm_report_begin("kvm_mmu_module_init");
	mmu_page_header_cache = kmem_cache_create(
	    "kvm_mmu_page_header", sizeof(struct kvm_mmu_page),
	    __alignof__(struct kvm_mmu_page));
	if (!mmu_page_header_cache) {
		kvm_report_end(-ENOMEM, "kmem_cache_create failed");
		return -ENOMEM;
	}
	kvm_report_end(0, "cache kvm_mmu_page_header (%zu bytes/object)",
		       mmu_page_header_cache->size);
	return 0;
}

void kvm_mmu_module_exit(void)
{
	kmem_cache_destroy(mmu_page_header_cache);
	mmu_page_header_cache = NULL;
	kvm_disable_tdp();
}

int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
		       bool fetch, bool mmio_spte)
{
	int r = RET_PF_EMULATE;

	if (gpa >> host_maxphyaddr) {
		uint64_t d[1] = {gpa};

		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 1,
					  d);
	}
	if (!mmio_spte)
		r = kvm_tdp_page_fault(vcpu, gpa, write, fetch);
	if (r == RET_PF_FIXED || r == RET_PF_RETRY)
		return 1;
	if (r < 0)
		return r;
	/* Nothing to map, or a write to read-only memory: emulate. */
	return kvm_emulate_mmio(vcpu, gpa, write, fetch);
}
