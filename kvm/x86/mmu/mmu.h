/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMU (arch/x86/kvm/mmu/): module-wide caches and masks, and the TDP
 * MMU that builds EPT tables lazily from the memslots.
 */
#ifndef KVMINI_KVM_X86_MMU_H
#define KVMINI_KVM_X86_MMU_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct kvm_vcpu;

/* kvm_mmu_module_init: caches; kvm_mmu_module_exit frees them. */
int kvm_mmu_module_init(void);
void kvm_mmu_module_exit(void);

/* Value/mask of an SPTE that marks MMIO (kvm_set_mmio_spte_mask). */
extern uint64_t shadow_mmio_value, shadow_mmio_mask;
void kvm_mmu_set_mmio_spte_mask(uint64_t mask, uint64_t value);

/* Whether the TDP MMU may use 2 MiB leaves (vendor says so at setup). */
extern bool tdp_enabled, tdp_huge_pages;
void kvm_enable_tdp(bool huge_pages);
void kvm_disable_tdp(void);

/* Result of a TDP page fault. */
enum {
	RET_PF_FIXED = 0,   /* mapped: re-enter the guest */
	RET_PF_EMULATE = 1, /* no memory behind it (MMIO) or a write to a
			       read-only slot: emulate the instruction */
	RET_PF_RETRY = 2,
};

/* Build the EPT root for a VM; 0 or -ENOMEM. */
int kvm_tdp_mmu_init_vm(struct kvm *kvm);
void kvm_tdp_mmu_destroy_vm(struct kvm *kvm);
/* An EPT violation (or misconfig, @mmio_spte) at @gpa: map it or
 * emulate the access. Returns as an exit handler does (1/0/<0). */
int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
		       bool fetch, bool mmio_spte);
/* Handle an EPT violation at @gpa (error code bits of the access). */
int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
		       bool fetch);
/* Drop every leaf (memslot delete/move); tables stay for reuse. */
void kvm_tdp_mmu_zap_all(struct kvm *kvm);
/* The identity page table for paging-off guests without unrestricted
 * guest (allocated on first use); 0 or -ENOMEM. */
int kvm_identity_pagetable(struct kvm *kvm);
/* Host address of the EPT root table (for the EPTP). */
uint64_t kvm_tdp_root_hpa(struct kvm *kvm);

#endif
