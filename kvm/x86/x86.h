/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers private to the x86 arch layer (arch/x86/kvm/x86.h). */
#ifndef KVMINI_KVM_X86_X86_H
#define KVMINI_KVM_X86_X86_H

#include <stdbool.h>
#include <stdint.h>
#include <x86/msr-index.h>
#include <x86/processor-flags.h>

#include "kvm/kvm_host.h"

/* Architectural reset (INIT or power-on) of the vCPU state. */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event);

/* regs.c */
long kvm_x86_vcpu_state_ioctl(struct kvm_vcpu *vcpu, unsigned long req,
			      void *arg);
int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data);
int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data);
/* CR writes as the guest does them (MOV to CR exits); 0 or 1 = #GP. */
int kvm_set_cr0(struct kvm_vcpu *vcpu, uint64_t cr0);
int kvm_set_cr3(struct kvm_vcpu *vcpu, uint64_t cr3);
int kvm_set_cr4(struct kvm_vcpu *vcpu, uint64_t cr4);
int kvm_set_cr8(struct kvm_vcpu *vcpu, uint64_t cr8);

static inline bool is_long_mode(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.efer & EFER_LMA;
}

static inline bool is_protmode(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.cr0 & X86_CR0_PE;
}

static inline bool is_paging(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.cr0 & X86_CR0_PG;
}

/* run.c */
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu);
int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu);
/* Fast PIO: hand an IN/OUT to userspace (KVM_EXIT_IO). */
int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, uint16_t port, bool in);
/* Queue a hardware exception for injection at the next entry. */
void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned vector, bool has_error,
			 uint32_t error_code);
/* Exit to userspace with KVM_EXIT_INTERNAL_ERROR. */
int kvm_internal_error(struct kvm_vcpu *vcpu, uint32_t suberror, int ndata,
		       const uint64_t *data);

#endif
