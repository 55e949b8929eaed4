// SPDX-License-Identifier: GPL-2.0
/* See fpu.h. FXSAVE image offsets per SDM vol. 1 10.5.1 (64-bit format). */
#include "kvm/x86/fpu.h"

#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/smp.h"

/* Referenced weakly: older cpu/ trees do not have them. */
void cpu_fxsave(struct cpu *cpu, void *area);
void cpu_fxrstor(struct cpu *cpu, const void *area);
#pragma weak cpu_fxsave
#pragma weak cpu_fxrstor

#define FX_FCW	      0
#define FX_FSW	      2
#define FX_FTW	      4
#define FX_FOP	      6
#define FX_FIP	      8
#define FX_FDP	      16
#define FX_MXCSR      24
#define FX_MXCSR_MASK 28
#define FX_ST	      32
#define FX_XMM	      160

bool kvm_fpu_switchable(void)
{
	return cpu_fxsave && cpu_fxrstor;
}

static void put16(uint8_t *p, unsigned off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void put32(uint8_t *p, unsigned off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

void kvm_fpu_reset(struct kvm_vcpu *vcpu)
{
	uint8_t *fx = vcpu->arch.fxsave;

	memset(fx, 0, sizeof(vcpu->arch.fxsave));
	put16(fx, FX_FCW, 0x37f);
	put32(fx, FX_MXCSR, 0x1f80);
	put32(fx, FX_MXCSR_MASK, 0xffff);
}

void kvm_load_guest_fpu(struct kvm_vcpu *vcpu)
{
	if (kvm_fpu_switchable())
		cpu_fxrstor(host_cpu(vcpu->cpu), vcpu->arch.fxsave);
}

void kvm_put_guest_fpu(struct kvm_vcpu *vcpu)
{
	if (kvm_fpu_switchable())
		cpu_fxsave(host_cpu(vcpu->cpu), vcpu->arch.fxsave);
}

void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *f)
{
	const uint8_t *fx = vcpu->arch.fxsave;

	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, fx + FX_FCW, 2);
	memcpy(&f->fsw, fx + FX_FSW, 2);
	f->ftwx = fx[FX_FTW];
	memcpy(&f->last_opcode, fx + FX_FOP, 2);
	memcpy(&f->last_ip, fx + FX_FIP, 8);
	memcpy(&f->last_dp, fx + FX_FDP, 8);
	memcpy(&f->mxcsr, fx + FX_MXCSR, 4);
	memcpy(f->fpr, fx + FX_ST, sizeof(f->fpr));
	memcpy(f->xmm, fx + FX_XMM, sizeof(f->xmm));
}

void kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *f)
{
	uint8_t *fx = vcpu->arch.fxsave;

	memcpy(fx + FX_FCW, &f->fcw, 2);
	memcpy(fx + FX_FSW, &f->fsw, 2);
	fx[FX_FTW] = f->ftwx;
	memcpy(fx + FX_FOP, &f->last_opcode, 2);
	memcpy(fx + FX_FIP, &f->last_ip, 8);
	memcpy(fx + FX_FDP, &f->last_dp, 8);
	memcpy(fx + FX_MXCSR, &f->mxcsr, 4);
	memcpy(fx + FX_ST, f->fpr, sizeof(f->fpr));
	memcpy(fx + FX_XMM, f->xmm, sizeof(f->xmm));
}
