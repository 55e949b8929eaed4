// SPDX-License-Identifier: GPL-2.0
/*
 * See fpu.h. Each vCPU keeps its x87/SSE state as an FXSAVE image
 * (vcpu->arch.fxsave; Linux: guest_fpu) and moves it in and out of the
 * host CPU around every VM entry with cpu_set_fxsave/cpu_get_fxsave
 * (cpu/cpu.h), as Linux does with FXRSTOR/FXSAVE, so vCPUs sharing a soft
 * CPU do not share registers. The image's layout is architectural (SDM
 * vol. 1 10.5.1), not the CPU's: KVM_GET/SET_FPU convert from it.
 */
#include "kvm/x86/fpu.h"

#include <string.h>

#include "cpu/cpu.h"
#include "kvm/kvm_host.h"
#include "kvm/smp.h"

_Static_assert(sizeof(((struct kvm_vcpu_arch *)0)->fxsave) == CPU_FXSAVE_SIZE,
	       "vcpu->arch.fxsave must hold an FXSAVE image");

/* Offsets in the FXSAVE64 image (SDM vol. 1 table 10-2). */
enum {
	FX_FCW = 0,
	FX_FSW = 2,
	FX_FTW = 4,
	FX_FOP = 6,
	FX_FIP = 8,
	FX_FDP = 16,
	FX_MXCSR = 24,
	FX_ST = 32,
	FX_XMM = 160,
};

bool kvm_fpu_switchable(void)
{
	return true;
}

void kvm_fpu_reset(struct kvm_vcpu *vcpu)
{
	cpu_fxsave_reset_image(vcpu->arch.fxsave);
}

void kvm_load_guest_fpu(struct kvm_vcpu *vcpu)
{
	cpu_set_fxsave(host_cpu(vcpu->cpu), vcpu->arch.fxsave);
}

void kvm_put_guest_fpu(struct kvm_vcpu *vcpu)
{
	cpu_get_fxsave(host_cpu(vcpu->cpu), vcpu->arch.fxsave);
}

/* struct kvm_fpu is the FXSAVE image's content in another order: fpr[i]
 * is ST(i), as in the image. */
void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *k)
{
	const uint8_t *fx = vcpu->arch.fxsave;

	memset(k, 0, sizeof(*k));
	memcpy(&k->fcw, fx + FX_FCW, 2);
	memcpy(&k->fsw, fx + FX_FSW, 2);
	k->ftwx = fx[FX_FTW];
	memcpy(&k->last_opcode, fx + FX_FOP, 2);
	memcpy(&k->last_ip, fx + FX_FIP, 8);
	memcpy(&k->last_dp, fx + FX_FDP, 8);
	memcpy(&k->mxcsr, fx + FX_MXCSR, 4);
	memcpy(k->fpr, fx + FX_ST, sizeof(k->fpr));
	memcpy(k->xmm, fx + FX_XMM, sizeof(k->xmm));
}

void kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *k)
{
	uint8_t *fx = vcpu->arch.fxsave;

	/* MXCSR_MASK and the reserved tail are the CPU's; keep them. */
	memcpy(fx + FX_FCW, &k->fcw, 2);
	memcpy(fx + FX_FSW, &k->fsw, 2);
	fx[FX_FTW] = k->ftwx;
	fx[FX_FTW + 1] = 0;
	memcpy(fx + FX_FOP, &k->last_opcode, 2);
	memcpy(fx + FX_FIP, &k->last_ip, 8);
	memcpy(fx + FX_FDP, &k->last_dp, 8);
	memcpy(fx + FX_MXCSR, &k->mxcsr, 4);
	memcpy(fx + FX_ST, k->fpr, sizeof(k->fpr));
	memcpy(fx + FX_XMM, k->xmm, sizeof(k->xmm));
}
