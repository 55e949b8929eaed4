// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU architectural state: reset, the state ioctls (KVM_GET/SET_REGS,
 * SREGS, FPU, MSRS, CPUID2, KVM_INTERRUPT) and the CR/MSR write rules the
 * guest's own MOV-to-CR and WRMSR go through (arch/x86/kvm/x86.c).
 */
#include <errno.h>
#include <string.h>
#include <x86intrin.h>
#include <x86/apicdef.h>

#include "kvm/kvm_host.h"
#include "kvm/smp.h"
#include "kvm/x86/cpuid.h"
#include "kvm/x86/fpu.h"
#include "kvm/x86/kvmclock.h"
#include "kvm/x86/irq/irq.h"
#include "kvm/x86/x86.h"

#define MAX_IO_MSRS 256

static bool is_canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint64_t base,
		    uint32_t limit, uint8_t type, uint8_t sflag)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->s = sflag;
	s->present = 1;
}

void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_segment *sg = a->segments;

	memset(a->regs, 0, sizeof(a->regs));
	a->regs[VCPU_REGS_RDX] = kvm_cpuid_signature();
	a->rip = 0xfff0;
	a->rflags = X86_EFLAGS_FIXED;
	set_seg(&sg[VCPU_SREG_CS], 0xf000, 0xffff0000ull, 0xffff, 0xb, 1);
	set_seg(&sg[VCPU_SREG_DS], 0, 0, 0xffff, 3, 1);
	set_seg(&sg[VCPU_SREG_ES], 0, 0, 0xffff, 3, 1);
	set_seg(&sg[VCPU_SREG_FS], 0, 0, 0xffff, 3, 1);
	set_seg(&sg[VCPU_SREG_GS], 0, 0, 0xffff, 3, 1);
	set_seg(&sg[VCPU_SREG_SS], 0, 0, 0xffff, 3, 1);
	set_seg(&sg[VCPU_SREG_TR], 0, 0, 0xffff, 0xb, 0);
	set_seg(&sg[VCPU_SREG_LDTR], 0, 0, 0xffff, 2, 0);
	a->gdt.base = a->idt.base = 0;
	a->gdt.limit = a->idt.limit = 0xffff;
	a->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD; /* 0x60000010 */
	a->cr2 = a->cr3 = a->cr4 = a->cr8 = 0;
	a->efer = 0;
	memset(a->db, 0, sizeof(a->db));
	a->dr6 = 0xffff0ff0;
	a->dr7 = 0x400;
	a->interruptibility = 0;
	a->halted = false;
	a->exception_pending = false;
	a->pending_irq = -1;
	a->pending_io = PENDING_NONE;
	if (!init_event) {
		a->apic_base = APIC_DEFAULT_PHYS_BASE |
			       MSR_IA32_APICBASE_ENABLE |
			       (vcpu->vcpu_id == 0 ? MSR_IA32_APICBASE_BSP : 0);
		a->pat = 0x0007040600070406ull;
		a->sysenter_cs = a->sysenter_esp = a->sysenter_eip = 0;
		a->star = a->lstar = a->cstar = a->sfmask = 0;
		a->kernel_gs_base = a->tsc_aux = 0;
		/* PEBS and BTS unavailable, as KVM reports. */
		a->misc_enable = (1ull << 11) | (1ull << 12);
		/* The VM's TSC: 0 at KVM_CREATE_VM, equal on all vCPUs. */
		a->tsc_offset = vcpu->kvm->arch.tsc_offset;
		memset(&a->fpu, 0, sizeof(a->fpu));
		a->fpu.fcw = 0x37f;
		a->fpu.mxcsr = 0x1f80;
		kvm_fpu_reset(vcpu);
		memset(a->mtrr, 0, sizeof(a->mtrr));
		a->mtrr_def_type = 0;
	}
	kvm_x86_ops->vcpu_reset(vcpu, init_event);
}

/* ---- control registers --------------------------------------------- */

static uint64_t cr4_reserved_bits(void)
{
	uint64_t fixed1 = 0;

	/* What the CPU supports in CR4, minus VMXE (no nested VMX). */
	if (cpu_rdmsr(host_cpu(0), MSR_IA32_VMX_CR4_FIXED1, &fixed1))
		fixed1 = 0x7ff;
	return ~(fixed1 & ~X86_CR4_VMXE);
}

int kvm_set_cr0(struct kvm_vcpu *vcpu, uint64_t cr0)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	cr0 |= X86_CR0_ET;
	if (cr0 >> 32)
		return 1;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return 1;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return 1;
	if (!(a->cr0 & X86_CR0_PG) && (cr0 & X86_CR0_PG) &&
	    (a->efer & EFER_LME)) {
		if (!(a->cr4 & X86_CR4_PAE) || a->segments[VCPU_SREG_CS].l)
			return 1;
		a->efer |= EFER_LMA;
	}
	if ((a->cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PG))
		a->efer &= ~EFER_LMA;
	if ((a->cr0 ^ cr0) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
	a->cr0 = cr0;
	return 0;
}

int kvm_set_cr3(struct kvm_vcpu *vcpu, uint64_t cr3)
{
	if (is_long_mode(vcpu) && (cr3 >> host_maxphyaddr))
		return 1;
	kvm_x86_ops->set_cr3(vcpu, cr3);
	/* An intercepted MOV to CR3 did not flush anything by itself. */
	kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
	return 0;
}

int kvm_set_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (cr4 & cr4_reserved_bits())
		return 1;
	if (is_long_mode(vcpu) && !(cr4 & X86_CR4_PAE))
		return 1;
	if ((a->cr4 ^ cr4) &
	    (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PCIDE))
		kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
	a->cr4 = cr4;
	return 0;
}

int kvm_set_cr8(struct kvm_vcpu *vcpu, uint64_t cr8)
{
	if (cr8 > 15)
		return 1;
	vcpu->arch.cr8 = cr8;
	return 0;
}

static int kvm_set_efer(struct kvm_vcpu *vcpu, uint64_t efer)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (efer & efer_reserved_bits)
		return 1;
	if (is_paging(vcpu) && ((a->efer ^ efer) & EFER_LME))
		return 1;
	if ((a->efer ^ efer) & EFER_NX)
		kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
	/* LMA is the processor's to set. */
	a->efer = (efer & ~EFER_LMA) | (a->efer & EFER_LMA);
	return 0;
}

/* ---- MSRs -------------------------------------------------------------- */

static uint64_t *mtrr_slot(struct kvm_vcpu *vcpu, uint32_t msr)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (msr >= 0x200 && msr < 0x210) /* variable ranges */
		return &a->mtrr[msr - 0x200];
	switch (msr) { /* fixed ranges */
	case 0x250:
		return &a->mtrr[16];
	case 0x258:
		return &a->mtrr[17];
	case 0x259:
		return &a->mtrr[18];
	}
	if (msr >= 0x268 && msr <= 0x26f)
		return &a->mtrr[19 + msr - 0x268];
	if (msr == MSR_MTRRdefType)
		return &a->mtrr_def_type;
	return NULL;
}

int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t *m;
	int irq = kvm_irq_get_msr(vcpu, msr, data); /* in-kernel LAPIC */

	if (irq <= 0)
		return irq ? 1 : 0;

	if (kvmclock_get_msr(vcpu, msr, data) == 0)
		return 0;
	switch (msr) {
	case MSR_EFER:
		*data = a->efer;
		return 0;
	case MSR_STAR:
		*data = a->star;
		return 0;
	case MSR_LSTAR:
		*data = a->lstar;
		return 0;
	case MSR_CSTAR:
		*data = a->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*data = a->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*data = a->kernel_gs_base;
		return 0;
	case MSR_FS_BASE:
		*data = a->segments[VCPU_SREG_FS].base;
		return 0;
	case MSR_GS_BASE:
		*data = a->segments[VCPU_SREG_GS].base;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*data = a->sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*data = a->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*data = a->sysenter_eip;
		return 0;
	case MSR_IA32_CR_PAT:
		*data = a->pat;
		return 0;
	case MSR_IA32_TSC:
		*data = __rdtsc() + a->tsc_offset;
		return 0;
	case MSR_TSC_AUX:
		*data = a->tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = a->misc_enable;
		return 0;
	case MSR_IA32_APICBASE:
		*data = a->apic_base;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	case MSR_IA32_FEAT_CTL:
		*data = FEAT_CTL_LOCKED;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = 0x100000000ull;
		return 0;
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
		*data = 0;
		return 0;
	case MSR_MTRRcap:
		*data = 0x500 | 8;
		return 0; /* FIX, WC, 8 VCNT */
	}
	m = mtrr_slot(vcpu, msr);
	if (m) {
		*data = *m;
		return 0;
	}
	return 1;
}

int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t *m;
	int irq = kvm_irq_set_msr(vcpu, msr, data, false); /* in-kernel LAPIC */

	if (irq <= 0)
		return irq ? 1 : 0;

	if (kvmclock_set_msr(vcpu, msr, data) == 0)
		return 0;
	switch (msr) {
	case MSR_EFER:
		return kvm_set_efer(vcpu, data);
	case MSR_STAR:
		a->star = data;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!is_canonical(data))
			return 1;
		if (msr == MSR_LSTAR)
			a->lstar = data;
		else if (msr == MSR_CSTAR)
			a->cstar = data;
		else if (msr == MSR_KERNEL_GS_BASE)
			a->kernel_gs_base = data;
		else if (msr == MSR_FS_BASE)
			a->segments[VCPU_SREG_FS].base = data;
		else if (msr == MSR_GS_BASE)
			a->segments[VCPU_SREG_GS].base = data;
		else if (msr == MSR_IA32_SYSENTER_ESP)
			a->sysenter_esp = data;
		else
			a->sysenter_eip = data;
		return 0;
	case MSR_SYSCALL_MASK:
		a->sfmask = data & 0xffffffffull;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		a->sysenter_cs = data & 0xffff;
		return 0;
	case MSR_IA32_CR_PAT:
		for (int i = 0; i < 8; i++) {
			unsigned t = (data >> (8 * i)) & 0xff;

			if (t > 7 || t == 2 || t == 3)
				return 1;
		}
		a->pat = data;
		return 0;
	case MSR_IA32_TSC:
		a->tsc_offset = data - __rdtsc();
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return 1;
		a->tsc_aux = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		a->misc_enable = data;
		return 0;
	case MSR_IA32_APICBASE:
		a->apic_base = data;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		return data ? 1 : 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_MCG_STATUS:
		return 0;
	}
	m = mtrr_slot(vcpu, msr);
	if (m) {
		*m = data;
		return 0;
	}
	return 1;
}

/* ---- KVM_GET/SET_SREGS ------------------------------------------------ */

static int get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	memset(s, 0, sizeof(*s));
	s->cs = a->segments[VCPU_SREG_CS];
	s->ds = a->segments[VCPU_SREG_DS];
	s->es = a->segments[VCPU_SREG_ES];
	s->fs = a->segments[VCPU_SREG_FS];
	s->gs = a->segments[VCPU_SREG_GS];
	s->ss = a->segments[VCPU_SREG_SS];
	s->tr = a->segments[VCPU_SREG_TR];
	s->ldt = a->segments[VCPU_SREG_LDTR];
	s->gdt = a->gdt;
	s->idt = a->idt;
	s->cr0 = a->cr0;
	s->cr2 = a->cr2;
	s->cr3 = a->cr3;
	s->cr4 = a->cr4;
	s->cr8 = a->cr8;
	s->efer = a->efer;
	s->apic_base = a->apic_base;
	if (a->pending_irq >= 0)
		s->interrupt_bitmap[a->pending_irq / 64] |=
		    1ull << (a->pending_irq % 64);
	return 0;
}

/* kvm_is_valid_sregs */
static bool valid_sregs(const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cs.l && s->cs.db)
			return false;
	} else if (s->efer & EFER_LMA) {
		return false;
	}
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if (s->cr0 >> 32 || s->cr8 > 15)
		return false;
	if (s->cr4 & cr4_reserved_bits())
		return false;
	return true;
}

static int set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	int pending = -1;

	if (!valid_sregs(s))
		return -EINVAL;
	if (s->efer & efer_reserved_bits & ~EFER_LMA)
		return -EINVAL;
	for (int i = 0; i < 256; i++)
		if (s->interrupt_bitmap[i / 64] & (1ull << (i % 64))) {
			pending = i;
			break;
		}
	a->segments[VCPU_SREG_CS] = s->cs;
	a->segments[VCPU_SREG_DS] = s->ds;
	a->segments[VCPU_SREG_ES] = s->es;
	a->segments[VCPU_SREG_FS] = s->fs;
	a->segments[VCPU_SREG_GS] = s->gs;
	a->segments[VCPU_SREG_SS] = s->ss;
	a->segments[VCPU_SREG_TR] = s->tr;
	a->segments[VCPU_SREG_LDTR] = s->ldt;
	a->gdt = s->gdt;
	a->idt = s->idt;
	a->cr0 = s->cr0 | X86_CR0_ET;
	a->cr2 = s->cr2;
	a->cr3 = s->cr3;
	a->cr4 = s->cr4;
	a->cr8 = s->cr8;
	a->efer = s->efer;
	a->apic_base = s->apic_base;
	if (pending >= 0)
		a->pending_irq = pending;
	kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
	return 0;
}

/* ---- ioctls ------------------------------------------------------------ */

static int msr_io(struct kvm_vcpu *vcpu, struct kvm_msrs *msrs, bool set)
{
	unsigned i;

	if (msrs->nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	for (i = 0; i < msrs->nmsrs; i++) {
		struct kvm_msr_entry *e = &msrs->entries[i];
		int r = set ? kvm_set_msr(vcpu, e->index, e->data)
			    : kvm_get_msr(vcpu, e->index, (uint64_t *)&e->data);

		if (r)
			break;
	}
	return (int)i;
}

long kvm_x86_vcpu_state_ioctl(struct kvm_vcpu *vcpu, unsigned long req,
			      void *arg)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	switch (req) {
	case KVM_GET_REGS:
	case KVM_SET_REGS:
	case KVM_GET_SREGS:
	case KVM_SET_SREGS:
	case KVM_GET_FPU:
	case KVM_SET_FPU:
	case KVM_GET_MSRS:
	case KVM_SET_MSRS:
	case KVM_SET_CPUID2:
	case KVM_GET_CPUID2:
	case KVM_INTERRUPT:
		if (!arg)
			return -EFAULT; /* copy_from_user of NULL */
		break;
	default:
		return -EINVAL;
	}
	switch (req) {
	case KVM_GET_REGS: {
		struct kvm_regs *r = arg;
		uint64_t *g = a->regs;

		memset(r, 0, sizeof(*r));
		r->rax = g[VCPU_REGS_RAX];
		r->rbx = g[VCPU_REGS_RBX];
		r->rcx = g[VCPU_REGS_RCX];
		r->rdx = g[VCPU_REGS_RDX];
		r->rsi = g[VCPU_REGS_RSI];
		r->rdi = g[VCPU_REGS_RDI];
		r->rsp = g[VCPU_REGS_RSP];
		r->rbp = g[VCPU_REGS_RBP];
		r->r8 = g[VCPU_REGS_R8];
		r->r9 = g[VCPU_REGS_R9];
		r->r10 = g[VCPU_REGS_R10];
		r->r11 = g[VCPU_REGS_R11];
		r->r12 = g[VCPU_REGS_R12];
		r->r13 = g[VCPU_REGS_R13];
		r->r14 = g[VCPU_REGS_R14];
		r->r15 = g[VCPU_REGS_R15];
		r->rip = a->rip;
		r->rflags = a->rflags;
		return 0;
	}
	case KVM_SET_REGS: {
		const struct kvm_regs *r = arg;
		uint64_t *g = a->regs;

		g[VCPU_REGS_RAX] = r->rax;
		g[VCPU_REGS_RBX] = r->rbx;
		g[VCPU_REGS_RCX] = r->rcx;
		g[VCPU_REGS_RDX] = r->rdx;
		g[VCPU_REGS_RSI] = r->rsi;
		g[VCPU_REGS_RDI] = r->rdi;
		g[VCPU_REGS_RSP] = r->rsp;
		g[VCPU_REGS_RBP] = r->rbp;
		g[VCPU_REGS_R8] = r->r8;
		g[VCPU_REGS_R9] = r->r9;
		g[VCPU_REGS_R10] = r->r10;
		g[VCPU_REGS_R11] = r->r11;
		g[VCPU_REGS_R12] = r->r12;
		g[VCPU_REGS_R13] = r->r13;
		g[VCPU_REGS_R14] = r->r14;
		g[VCPU_REGS_R15] = r->r15;
		a->rip = r->rip;
		a->rflags = r->rflags | X86_EFLAGS_FIXED;
		a->exception_pending = false;
		return 0;
	}
	case KVM_GET_SREGS:
		return get_sregs(vcpu, arg);
	case KVM_SET_SREGS:
		return set_sregs(vcpu, arg);
	case KVM_GET_FPU:
		if (kvm_fpu_switchable()) {
			kvm_get_fpu(vcpu, arg);
			return 0;
		}
		/* A CPU without cpu_fxsave: what userspace last set (or the
		 * reset state), not connected to the processor. */
		memcpy(arg, &a->fpu, sizeof(a->fpu));
		return 0;
	case KVM_SET_FPU:
		if (kvm_fpu_switchable())
			kvm_set_fpu(vcpu, arg);
		memcpy(&a->fpu, arg, sizeof(a->fpu));
		return 0;
	case KVM_GET_MSRS:
		return msr_io(vcpu, arg, false);
	case KVM_SET_MSRS:
		return msr_io(vcpu, arg, true);
	case KVM_SET_CPUID2:
		return kvm_vcpu_ioctl_set_cpuid2(vcpu, arg);
	case KVM_GET_CPUID2:
		return kvm_vcpu_ioctl_get_cpuid2(vcpu, arg);
	case KVM_INTERRUPT: {
		const struct kvm_interrupt *irq = arg;

		/* Without an in-kernel irqchip userspace injects vectors. */
		if (irq->irq >= 256)
			return -EINVAL;
		if (a->pending_irq >= 0)
			return -ENXIO; /* one not yet injected: as Linux */
		a->pending_irq = (int)irq->irq;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg)
{
	long r = kvm_irq_vcpu_ioctl(vcpu, req, arg); /* LAPIC, MP state */

	if (r != -ENOTTY)
		return r;
	if (req == KVM_GET_TSC_KHZ)
		return tsc_khz ? (long)tsc_khz : -EIO;
	return kvm_x86_vcpu_state_ioctl(vcpu, req, arg);
}
