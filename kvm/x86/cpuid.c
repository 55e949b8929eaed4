// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID for guests (arch/x86/kvm/cpuid.c): KVM_GET_SUPPORTED_CPUID reports
 * the host soft CPU's leaves minus what KVM cannot virtualize; KVM_SET_CPUID2
 * installs a vCPU's table; CPUID exits are answered from that table.
 */
#include "kvm/x86/cpuid.h"

#include <errno.h>
#include <string.h>
#include <x86/msr-index.h>
#include <x86/processor-flags.h>

#include "kvm/kvm_host.h"
#include "kvm/smp.h"
#include "kvm/x86/kvmclock.h"

uint32_t kvm_cpuid_signature(void)
{
	uint32_t r[4];

	cpu_cpuid(host_cpu(0), 1, 0, r);
	return r[0];
}

static bool has_subleaves(uint32_t fn)
{
	return fn == 4 || fn == 7 || fn == 0xb || fn == 0xd || fn == 0x1f;
}

static int add_entry(struct kvm_cpuid2 *c, unsigned max, uint32_t fn,
		     uint32_t idx, bool indexed)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t r[4];

	if (c->nent >= max)
		return -E2BIG;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	cpu_cpuid(host_cpu(0), fn, idx, r);
	e->function = fn;
	e->index = idx;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = r[0];
	e->ebx = r[1];
	e->ecx = r[2];
	e->edx = r[3];
	if (fn == 1) {
		/* No nested VMX, SMX or MONITOR/MWAIT for guests; say we are
		 * a hypervisor. The APIC id is userspace's to fill in. */
		e->ecx &=
		    ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_MONITOR);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* The local APIC is KVM's (x86/irq/, KVM_CREATE_IRQCHIP), with
		 * x2APIC and TSC-deadline, whatever the silicon has; as Linux
		 * KVM, userspace clears them if it creates no irqchip. */
		e->edx |= CPUID_1_EDX_APIC;
		e->ecx |= CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE;
		e->ebx &= 0x00ffffffu;
	}
	return 0;
}

static int add_leaf(struct kvm_cpuid2 *c, unsigned max, uint32_t fn)
{
	uint32_t r[4];
	int err;

	if (!has_subleaves(fn))
		return add_entry(c, max, fn, 0, false);
	for (uint32_t i = 0; i < 64; i++) {
		cpu_cpuid(host_cpu(0), fn, i, r);
		if (i > 0) {
			if (fn == 4 && !(r[0] & 0x1f))
				break;
			if ((fn == 0xb || fn == 0x1f) && !(r[2] & 0xff00))
				break;
			if (fn == 7 && i > c->entries[c->nent - i].eax)
				break;
			if (fn == 0xd && i > 1 && !r[0])
				continue;
		}
		err = add_entry(c, max, fn, i, true);
		if (err)
			return err;
	}
	return 0;
}

int kvm_dev_ioctl_get_cpuid(struct kvm_cpuid2 *cpuid)
{
	unsigned max = cpuid->nent;
	uint32_t r[4], limit;
	int err;

	if (max < 1)
		return -E2BIG;
	if (max > KVM_MAX_CPUID_ENTRIES)
		max = KVM_MAX_CPUID_ENTRIES;
	cpuid->nent = 0;
	cpu_cpuid(host_cpu(0), 0, 0, r);
	limit = r[0] > 0x1f ? 0x1f : r[0];
	for (uint32_t fn = 0; fn <= limit; fn++) {
		err = add_leaf(cpuid, max, fn);
		if (err)
			return err;
	}
	/* KVM's own leaves: the signature and the paravirtual features
	 * kvmini implements (kvmclock, stable). */
	if (cpuid->nent + 2 > max)
		return -E2BIG;
	{
		struct kvm_cpuid_entry2 *e = &cpuid->entries[cpuid->nent++];

		memset(e, 0, sizeof(*e));
		e->function = KVM_CPUID_SIGNATURE;
		e->eax = KVM_CPUID_FEATURES;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
		e = &cpuid->entries[cpuid->nent++];
		memset(e, 0, sizeof(*e));
		e->function = KVM_CPUID_FEATURES;
		e->eax = (1u << KVM_FEATURE_CLOCKSOURCE2) |
			 (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	}
	cpu_cpuid(host_cpu(0), 0x80000000, 0, r);
	limit = r[0] > 0x80000008 ? 0x80000008 : r[0];
	for (uint32_t fn = 0x80000000; fn <= limit && r[0] >= 0x80000000;
	     fn++) {
		err = add_leaf(cpuid, max, fn);
		if (err)
			return err;
	}
	return 0;
}

int kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid)
{
	if (cpuid->nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	memcpy(vcpu->arch.cpuid_entries, cpuid->entries,
	       cpuid->nent * sizeof(cpuid->entries[0]));
	vcpu->arch.cpuid_nent = (int)cpuid->nent;
	return 0;
}

int kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid)
{
	if (cpuid->nent < (unsigned)vcpu->arch.cpuid_nent) {
		cpuid->nent = (uint32_t)vcpu->arch.cpuid_nent;
		return -E2BIG;
	}
	memcpy(cpuid->entries, vcpu->arch.cpuid_entries,
	       (size_t)vcpu->arch.cpuid_nent * sizeof(cpuid->entries[0]));
	cpuid->nent = (uint32_t)vcpu->arch.cpuid_nent;
	return 0;
}

static const struct kvm_cpuid_entry2 *find_entry(struct kvm_vcpu *vcpu,
						 uint32_t fn, uint32_t idx)
{
	for (int i = 0; i < vcpu->arch.cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->arch.cpuid_entries[i];

		if (e->function == fn &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == idx))
			return e;
	}
	return NULL;
}

void kvm_cpuid(struct kvm_vcpu *vcpu, uint32_t fn, uint32_t idx,
	       uint32_t out[4])
{
	const struct kvm_cpuid_entry2 *e = find_entry(vcpu, fn, idx);

	/* Intel: a leaf above the maximum returns the highest basic leaf. */
	if (!e) {
		const struct kvm_cpuid_entry2 *max =
		    find_entry(vcpu, fn & 0x80000000u, 0);

		if (max && fn > max->eax) {
			const struct kvm_cpuid_entry2 *basic =
			    find_entry(vcpu, 0, 0);

			if (basic)
				e = find_entry(vcpu, basic->eax, idx);
		}
	}
	if (!e) {
		out[0] = out[1] = out[2] = out[3] = 0;
		return;
	}
	out[0] = e->eax;
	out[1] = e->ebx;
	out[2] = e->ecx;
	out[3] = e->edx;
	/* Leaf 1 EBX[31:24] is the initial APIC id: this vCPU's. */
	if (fn == 1)
		out[1] =
		    (out[1] & 0x00ffffffu) | ((uint32_t)vcpu->vcpu_id << 24);
}
