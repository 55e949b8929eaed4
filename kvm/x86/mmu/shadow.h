/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow paging for CPU models without EPT (vmx-reference.md §8.1): the
 * processor walks tables KVM builds from the guest's own page tables.
 * kvmini's shadow MMU behaves like a software TLB: a shadow entry is made
 * on a #PF exit after walking the guest tables in software (setting the
 * guest's A/D bits), and shadow entries are dropped whenever the guest
 * would have to flush its TLB (MOV to CR3, INVLPG, paging-mode changes) or
 * memslots change. Guest page-table writes therefore need no write
 * protection: architecturally, a guest that weakens a mapping must flush.
 */
#ifndef KVMINI_KVM_X86_SHADOW_H
#define KVMINI_KVM_X86_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

int kvm_shadow_mmu_create(struct kvm_vcpu *vcpu);
void kvm_shadow_mmu_destroy(struct kvm_vcpu *vcpu);
/* Drop every shadow entry (the guest's TLB flush). */
void kvm_shadow_mmu_zap(struct kvm_vcpu *vcpu);
/* Root to load as the processor's CR3 for the guest's current mode. */
uint64_t kvm_shadow_mmu_root(struct kvm_vcpu *vcpu);
/* A #PF the processor took at @gva with @error_code: map it, reflect it
 * to the guest, or emulate MMIO. Exit-handler convention (1/0/<0). */
int kvm_shadow_page_fault(struct kvm_vcpu *vcpu, uint64_t gva,
			  uint32_t error_code);
void kvm_shadow_invlpg(struct kvm_vcpu *vcpu, uint64_t gva);

#endif
