/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_KVM_X86_CPUID_H
#define KVMINI_KVM_X86_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

struct kvm_vcpu;

/* KVM_GET_SUPPORTED_CPUID: 0 or -E2BIG / -EFAULT; updates ->nent. */
int kvm_dev_ioctl_get_cpuid(struct kvm_cpuid2 *cpuid);
int kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid);
int kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid);
/* CPUID as the guest sees it (from the table KVM_SET_CPUID2 installed). */
void kvm_cpuid(struct kvm_vcpu *vcpu, uint32_t function, uint32_t index,
	       uint32_t out[4]);
/* Processor signature (CPUID.1:EAX) for RDX at reset. */
uint32_t kvm_cpuid_signature(void);

/* CPUID bits kvm/ tests. */
#define CPUID_1_ECX_VMX		 (1u << 5)
#define CPUID_1_ECX_SMX		 (1u << 6)
#define CPUID_1_ECX_MONITOR	 (1u << 3)
#define CPUID_1_ECX_HYPERVISOR	 (1u << 31)
#define CPUID_1_ECX_X2APIC	 (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_EDX_APIC	 (1u << 9)
#define CPUID_80000001_EDX_NX	 (1u << 20)

#endif
