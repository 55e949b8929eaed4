/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmclock (Documentation/virt/kvm/x86/msr.rst): the paravirtual clock a
 * Linux guest prefers on KVM. The guest names a page with
 * MSR_KVM_SYSTEM_TIME_NEW; KVM fills a pvclock_vcpu_time_info there that
 * turns the guest TSC into nanoseconds since KVM_CREATE_VM, so reading the
 * clock costs no exit (unlike the ACPI PM timer, a PIO exit per read).
 */
#ifndef KVMINI_KVM_X86_KVMCLOCK_H
#define KVMINI_KVM_X86_KVMCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct kvm_vcpu;

#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

#define KVM_CPUID_SIGNATURE		   0x40000000
#define KVM_CPUID_FEATURES		   0x40000001
#define KVM_FEATURE_CLOCKSOURCE2	   3
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24

void kvmclock_init_vm(struct kvm *kvm);
/* 0 (handled), 1 (#GP), -1 (not a kvmclock MSR). */
int kvmclock_set_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data);
int kvmclock_get_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data);

#endif
