/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's x87/SSE state (Linux: vcpu->arch.guest_fpu): a copy of the
 * CPU's register file per vCPU, loaded into the host CPU before VM entry
 * and saved after the exit, so vCPUs sharing a soft CPU keep their own.
 */
#ifndef KVMINI_KVM_X86_FPU_H
#define KVMINI_KVM_X86_FPU_H

#include <linux/kvm.h>
#include <stdbool.h>

struct kvm_vcpu;

/* Whether KVM can move FPU state in and out of the CPU (always now). */
bool kvm_fpu_switchable(void);
void kvm_fpu_reset(struct kvm_vcpu *vcpu);
/* Called with the vCPU's host CPU held. */
void kvm_load_guest_fpu(struct kvm_vcpu *vcpu);
void kvm_put_guest_fpu(struct kvm_vcpu *vcpu);
void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *fpu);
void kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu);

#endif
