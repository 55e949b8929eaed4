// SPDX-License-Identifier: GPL-2.0
/*
 * See fpu.h. The silicon keeps its x87/SSE register file in the struct
 * x86_fpu that cpu_fpu() (cpu/cpu.h) hands out for exactly this purpose
 * ("KVM_GET_FPU/KVM_SET_FPU read and write it"); its layout is defined in
 * cpu/x86/x86.h, the one cpu/ header besides cpu/cpu.h that kvm/ includes,
 * here only. Each vCPU keeps its own copy (Linux: guest_fpu) and swaps it
 * into the host CPU around every VM entry, so vCPUs sharing a soft CPU do
 * not share registers.
 */
#include "kvm/x86/fpu.h"

#include <string.h>

#include "cpu/x86/x86.h"
#include "kvm/kvm_host.h"
#include "kvm/smp.h"

_Static_assert(sizeof(struct x86_fpu) <=
		   sizeof(((struct kvm_vcpu_arch *)0)->fxsave),
	       "vcpu->arch.fxsave too small for struct x86_fpu");

static struct x86_fpu *guest_fpu(struct kvm_vcpu *vcpu)
{
	return (struct x86_fpu *)(void *)vcpu->arch.fxsave;
}

bool kvm_fpu_switchable(void)
{
	return true;
}

void kvm_fpu_reset(struct kvm_vcpu *vcpu)
{
	/* inited = false: the power-on state (FCW 0x37f, MXCSR 0x1f80) is
	 * applied on first use, by the CPU or by kvm_get_fpu below. */
	memset(vcpu->arch.fxsave, 0, sizeof(vcpu->arch.fxsave));
}

void kvm_load_guest_fpu(struct kvm_vcpu *vcpu)
{
	memcpy(cpu_fpu(host_cpu(vcpu->cpu)), guest_fpu(vcpu),
	       sizeof(struct x86_fpu));
}

void kvm_put_guest_fpu(struct kvm_vcpu *vcpu)
{
	memcpy(guest_fpu(vcpu), cpu_fpu(host_cpu(vcpu->cpu)),
	       sizeof(struct x86_fpu));
}

static void power_on(struct x86_fpu *f)
{
	if (f->inited)
		return;
	memset(f, 0, sizeof(*f));
	f->fcw = 0x37f;
	f->mxcsr = 0x1f80;
	f->inited = true;
}

/* struct kvm_fpu is the FXSAVE image: fpr[i] is ST(i), the register TOP+i;
 * x86_fpu keeps the physical R0-R7. */
void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *k)
{
	struct x86_fpu f = *guest_fpu(vcpu);
	unsigned top;

	power_on(&f);
	top = (f.fsw >> 11) & 7;
	memset(k, 0, sizeof(*k));
	k->fcw = f.fcw;
	k->fsw = f.fsw;
	k->ftwx = f.ftw;
	k->last_opcode = f.fop;
	k->last_ip = f.fip;
	k->last_dp = f.fdp;
	k->mxcsr = f.mxcsr;
	for (unsigned i = 0; i < 8; i++)
		memcpy(k->fpr[i], f.st[(top + i) & 7], 16);
	memcpy(k->xmm, f.xmm, sizeof(k->xmm));
}

void kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *k)
{
	struct x86_fpu *f = guest_fpu(vcpu);
	unsigned top = (k->fsw >> 11) & 7;

	memset(f, 0, sizeof(*f));
	f->inited = true;
	f->fcw = k->fcw;
	f->fsw = k->fsw;
	f->ftw = k->ftwx;
	f->fop = k->last_opcode;
	f->fip = k->last_ip;
	f->fdp = k->last_dp;
	f->mxcsr = k->mxcsr;
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->st[(top + i) & 7], k->fpr[i], 16);
	memcpy(f->xmm, k->xmm, sizeof(f->xmm));
}
