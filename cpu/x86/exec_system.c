// SPDX-License-Identifier: GPL-2.0
/*
 * System instructions: control/debug registers, descriptor tables, MSRs,
 * I/O, CPUID/RDTSC/HLT and the other instructions VMX may intercept,
 * SYSCALL/SYSRET/SYSENTER/SYSEXIT, SWAPGS, CLI/STI. Every instruction VMX
 * can intercept is offered to env->intercept first (after the checks the
 * SDM says take priority over the VM exit: CPL, CR4 bits, #UD).
 */
#include <x86intrin.h>

#include <Zydis/Zydis.h>
#include <x86/msr-index.h>

#include "cpu/x86/core.h"

static bool canonical(uint64_t v)
{
	return ((int64_t)(v << 16) >> 16) == (int64_t)v;
}

static void need_cpl0(struct x86_core *c)
{
	if (c->cpl)
		x86_gp(c, 0);
}

/* Offer an instruction exit with no extra decision inputs. */
static void icpt(struct x86_core *c, uint32_t reason, uint64_t qual)
{
	struct x86_intercept w = {0};
	x86_exit_prep(c, reason, qual);
	x86_intercept(c, &w);
}

void x86_set_rflags(struct x86_core *c, uint64_t v, uint64_t mask)
{
	struct x86_state *st = c->st;
	c->recheck = true; /* TF or IF may have changed */
	st->rflags = (st->rflags & ~mask) | (v & mask) | F_FIXED1;
	st->rflags &= ~(F_FIXED1 << 2 | 1ull << 5 | 1ull << 15 | ~0x3fffffull);
	st->rflags |= F_FIXED1;
}

uint64_t x86_rdtsc(struct x86_core *c)
{
	return __rdtsc() + (uint64_t)c->ctl.tsc_offset;
}

/* ---- control registers --------------------------------------------- */

#define CR4_SUPPORTED                                                          \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE |  \
	 CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP |          \
	 CR4_SMEP | CR4_SMAP)

void x86_write_cr0(struct x86_core *c, uint64_t v)
{
	struct x86_state *st = c->st;
	uint64_t old = st->cr0;

	if (v >> 32)
		x86_gp(c, 0);
	if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		x86_gp(c, 0);
	if ((v & CR0_PG) && !(old & CR0_PG) && (st->efer & EFER_LME)) {
		if (!(st->cr4 & CR4_PAE) || (st->seg[X86_CS].ar & X86_AR_L))
			x86_gp(c, 0);
		st->efer |= EFER_LMA;
	}
	if (!(v & CR0_PG) && (old & CR0_PG) && (st->efer & EFER_LMA)) {
		if (c->long64)
			x86_gp(c, 0);
		st->efer &= ~EFER_LMA;
	}
	st->cr0 = v | CR0_ET;
	if ((old ^ st->cr0) & (CR0_PG | CR0_WP | CR0_PE))
		x86_flush_tlb(c, true);
	x86_update_mode(c);
}

void x86_write_cr4(struct x86_core *c, uint64_t v)
{
	struct x86_state *st = c->st;
	uint64_t old = st->cr4;

	if (v & ~CR4_SUPPORTED)
		x86_gp(c, 0);
	if ((st->efer & EFER_LMA) && !(v & CR4_PAE))
		x86_gp(c, 0);
	st->cr4 = v;
	if ((old ^ v) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_SMAP))
		x86_flush_tlb(c, true);
}

void x86_write_cr3(struct x86_core *c, uint64_t v)
{
	struct x86_state *st = c->st;
	if ((st->efer & EFER_LMA) && (v >> X86_MAXPHYADDR))
		x86_gp(c, 0);
	st->cr3 = (st->efer & EFER_LMA) ? v : (uint32_t)v;
	x86_flush_tlb(c, false);
}

static uint64_t read_cr(struct x86_core *c, unsigned n)
{
	struct x86_state *st = c->st;
	struct x86_ctl *k = &c->ctl;
	switch (n) {
	case 0:
		return (st->cr0 & ~k->cr0_mask) | (k->cr0_shadow & k->cr0_mask);
	case 2:
		return st->cr2;
	case 3:
		return st->cr3;
	case 4:
		return (st->cr4 & ~k->cr4_mask) | (k->cr4_shadow & k->cr4_mask);
	default:
		return st->cr8;
	}
}

HANDLER(x86_h_mov_cr)
{
	const struct x86_op *d = &i->op[0], *s = &i->op[1];
	bool to_cr = d->kind == OPK_REG && d->rk == RK_CR;
	unsigned cr = to_cr ? d->reg : s->reg;
	unsigned gpr = to_cr ? s->reg : d->reg;
	struct x86_intercept w = {0};
	uint64_t v = 0;

	if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8)
		x86_ud(c);
	need_cpl0(c);
	if (to_cr) {
		v = c->st->gpr[gpr];
		if (!c->long64)
			v = (uint32_t)v;
	}
	x86_exit_prep(c, X86_EXIT_CR_ACCESS,
		      cr | (to_cr ? 0 : 1u << 4) | (uint64_t)gpr << 8);
	w.cr_dr = cr;
	w.write = to_cr;
	w.value = v;
	x86_intercept(c, &w);
	if (!to_cr) {
		gpr_write(c, gpr, c->long64 ? 8 : 4, read_cr(c, cr));
		return;
	}
	switch (cr) {
	case 0:
		x86_write_cr0(c, v);
		break;
	case 2:
		c->st->cr2 = v;
		break;
	case 3:
		x86_write_cr3(c, v);
		break;
	case 4:
		x86_write_cr4(c, v);
		break;
	default:
		if (v & ~0xfull)
			x86_gp(c, 0);
		c->st->cr8 = v;
	}
}

HANDLER(x86_h_mov_dr)
{
	const struct x86_op *d = &i->op[0], *s = &i->op[1];
	bool to_dr = d->kind == OPK_REG && d->rk == RK_DR;
	unsigned dr = to_dr ? d->reg : s->reg;
	unsigned gpr = to_dr ? s->reg : d->reg;
	struct x86_intercept w = {0};

	if (dr > 7)
		x86_ud(c);
	if (dr == 4 || dr == 5) {
		if (c->st->cr4 & CR4_DE)
			x86_ud(c);
		dr += 2;
	}
	need_cpl0(c);
	if (c->st->dr[7] & (1u << 13)) {
		/* general detect: #DB (fault) with DR6.BD, GD cleared */
		c->exc_dr6 = 1u << 13;
		c->st->dr[7] &= ~(1ull << 13);
		x86_raise(c, X86_EXC_DB, false, 0);
	}
	x86_exit_prep(c, X86_EXIT_DR_ACCESS,
		      (dr & 7) | (to_dr ? 0 : 1u << 4) | (uint64_t)gpr << 8);
	w.cr_dr = dr;
	w.write = to_dr;
	w.value = to_dr ? c->st->gpr[gpr] : 0;
	x86_intercept(c, &w);
	if (to_dr) {
		uint64_t v =
		    c->long64 ? c->st->gpr[gpr] : (uint32_t)c->st->gpr[gpr];
		if ((dr == 6 || dr == 7) && (v >> 32))
			x86_gp(c, 0);
		if (dr == 6)
			v = (v & 0x1e00f) | 0xffff0ff0;
		else if (dr == 7)
			v = (v & ~0xd800ull) | 0x400;
		c->st->dr[dr] = v; /* exec breakpoints: see core.c */
		c->recheck = true;
	} else {
		gpr_write(c, gpr, c->long64 ? 8 : 4, c->st->dr[dr]);
	}
}

static HANDLER(h_clts)
{
	struct x86_intercept w = {0};
	need_cpl0(c);
	x86_exit_prep(c, X86_EXIT_CR_ACCESS, 0 | 2u << 4);
	w.cr_dr = 0;
	w.write = true;
	w.value = c->st->cr0 & ~CR0_TS;
	x86_intercept(c, &w);
	c->st->cr0 &= ~CR0_TS;
}

static HANDLER(h_lmsw)
{
	struct x86_intercept w = {0};
	const struct x86_op *o = &i->op[0];
	uint16_t v = (uint16_t)x86_op_read(c, i, 0);
	uint64_t q = 3u << 4 | (uint64_t)v << 16;
	uint64_t ncr0;

	need_cpl0(c);
	if (o->kind == OPK_MEM)
		q |= 1u << 6;
	else
		q |= (uint64_t)o->reg << 8;
	/* LMSW can set but not clear PE; it touches only PE/MP/EM/TS */
	ncr0 = (c->st->cr0 & ~0xeull) | (v & 0xf) | (c->st->cr0 & CR0_PE);
	x86_exit_prep(c, X86_EXIT_CR_ACCESS, q);
	w.cr_dr = 0;
	w.write = true;
	w.value = ncr0;
	x86_intercept(c, &w);
	x86_write_cr0(c, ncr0);
}

static void umip_check(struct x86_core *c)
{
	if ((c->st->cr4 & CR4_UMIP) && c->cpl > 0)
		x86_gp(c, 0);
}

static HANDLER(h_smsw)
{
	umip_check(c);
	x86_op_write(c, i, 0, read_cr(c, 0) & size_mask(i->op[0].size));
}

/* ---- descriptor tables ---------------------------------------------- */

static void dt_exit(struct x86_core *c, const struct x86_insn *i,
		    uint32_t reason)
{
	icpt(c, reason, 0);
}

static HANDLER(h_lgdt_lidt)
{
	const struct x86_op *o = &i->op[0];
	bool idt = i->mnemonic == ZYDIS_MNEMONIC_LIDT;
	uint64_t ea, base;
	uint16_t limit;

	if (o->kind != OPK_MEM)
		x86_ud(c);
	need_cpl0(c);
	dt_exit(c, i, X86_EXIT_GDTR_IDTR);
	ea = x86_ea(c, i, o);
	limit = mem_read(c, o->seg, ea, 2);
	base = mem_read(c, o->seg, (ea + 2) & size_mask(i->asz),
			c->long64 ? 8 : 4);
	if (!c->long64 && i->osz == 2)
		base &= 0xffffff;
	if (c->long64 && !canonical(base))
		x86_gp(c, 0);
	if (idt) {
		c->st->idtr.base = base;
		c->st->idtr.limit = limit;
	} else {
		c->st->gdtr.base = base;
		c->st->gdtr.limit = limit;
	}
}

static HANDLER(h_sgdt_sidt)
{
	const struct x86_op *o = &i->op[0];
	bool idt = i->mnemonic == ZYDIS_MNEMONIC_SIDT;
	const struct x86_dtable *t = idt ? &c->st->idtr : &c->st->gdtr;
	uint64_t ea;

	if (o->kind != OPK_MEM)
		x86_ud(c);
	umip_check(c);
	dt_exit(c, i, X86_EXIT_GDTR_IDTR);
	ea = x86_ea(c, i, o);
	x86_mem_probe_write(c, o->seg, ea, c->long64 ? 10 : 6);
	mem_write(c, o->seg, ea, 2, t->limit);
	mem_write(c, o->seg, (ea + 2) & size_mask(i->asz), c->long64 ? 8 : 4,
		  t->base);
}

/* LDT/TSS descriptor (16 bytes in long mode) into a segment register. */
static void load_sys_seg(struct x86_core *c, unsigned seg, uint16_t sel)
{
	struct x86_state *st = c->st;
	uint64_t d, addr;
	unsigned type;
	struct x86_seg s;

	if (!(st->cr0 & CR0_PE) || (st->rflags & F_VM))
		x86_ud(c);
	if (!(sel & 0xfffc)) {
		if (seg == X86_TR)
			x86_gp(c, 0);
		st->seg[X86_LDTR].sel = sel;
		st->seg[X86_LDTR].ar = X86_AR_UNUSABLE;
		st->seg[X86_LDTR].base = 0;
		st->seg[X86_LDTR].limit = 0;
		return;
	}
	if (sel & 4)
		x86_gp(c, sel & 0xfffc);
	addr = x86_read_desc(c, sel, &d, X86_EXC_GP);
	type = (d >> 40) & 0xf;
	if (d & (1ull << 44))
		x86_gp(c, sel & 0xfffc);
	if (seg == X86_LDTR ? type != 2 : (type != 1 && type != 9))
		x86_gp(c, sel & 0xfffc);
	if (!(d & (1ull << 47)))
		x86_raise(c, X86_EXC_NP, true, sel & 0xfffc);
	x86_desc_to_seg(d, sel, &s);
	if (st->efer & EFER_LMA) {
		uint64_t hi;
		if ((sel & 0xfff8u) + 15 > st->gdtr.limit)
			x86_gp(c, sel & 0xfffc);
		hi = x86_sys_read(c, addr + 8, 8);
		if ((hi >> 40) & 0x1f)
			x86_gp(c, sel & 0xfffc);
		s.base |= (hi & 0xffffffffu) << 32;
		if (!canonical(s.base))
			x86_gp(c, sel & 0xfffc);
	}
	if (seg == X86_TR) {
		/* mark busy */
		x86_sys_write(c, addr + 5, 1, ((d >> 40) & 0xff) | 2);
		s.ar |= 2;
	}
	st->seg[seg] = s;
}

static HANDLER(h_lldt)
{
	need_cpl0(c);
	dt_exit(c, i, X86_EXIT_LDTR_TR);
	load_sys_seg(c, X86_LDTR, (uint16_t)x86_op_read(c, i, 0));
}

static HANDLER(h_ltr)
{
	need_cpl0(c);
	dt_exit(c, i, X86_EXIT_LDTR_TR);
	load_sys_seg(c, X86_TR, (uint16_t)x86_op_read(c, i, 0));
}

static HANDLER(h_sldt_str)
{
	bool tr = i->mnemonic == ZYDIS_MNEMONIC_STR;
	if (!(c->st->cr0 & CR0_PE) || (c->st->rflags & F_VM))
		x86_ud(c);
	umip_check(c);
	dt_exit(c, i, X86_EXIT_LDTR_TR);
	x86_op_write(c, i, 0, c->st->seg[tr ? X86_TR : X86_LDTR].sel);
}

/* LAR/LSL/VERR/VERW: descriptor probes that set ZF instead of faulting. */
static bool probe_desc(struct x86_core *c, uint16_t sel, uint64_t *d,
		       bool sys_ok)
{
	struct x86_state *st = c->st;
	uint64_t base, limit, off = sel & 0xfff8u;
	unsigned dpl, type;

	if (!(sel & 0xfffc))
		return false;
	if (sel & 4) {
		if (st->seg[X86_LDTR].ar & X86_AR_UNUSABLE)
			return false;
		base = st->seg[X86_LDTR].base;
		limit = st->seg[X86_LDTR].limit;
	} else {
		base = st->gdtr.base;
		limit = st->gdtr.limit;
	}
	if (off + 7 > limit)
		return false;
	*d = x86_sys_read(c, base + off, 8);
	dpl = (*d >> 45) & 3;
	type = (*d >> 40) & 0xf;
	if (!(*d & (1ull << 44))) {
		if (!sys_ok)
			return false;
		/* LDT, available/busy TSS (plus call gates for LAR) */
		if (!(type == 2 || type == 9 || type == 11 ||
		      (!(st->efer & EFER_LMA) && (type == 1 || type == 3))))
			return false;
	} else if ((type & 0xc) == 0xc) {
		return true; /* conforming code: no privilege check */
	}
	return !(dpl < c->cpl || dpl < (sel & 3u));
}

static void set_zf(struct x86_core *c, bool z)
{
	if (z)
		c->st->rflags |= F_ZF;
	else
		c->st->rflags &= ~F_ZF;
}

static HANDLER(h_lar)
{
	uint64_t d;
	bool ok;
	if (!(c->st->cr0 & CR0_PE) || (c->st->rflags & F_VM))
		x86_ud(c);
	ok = probe_desc(c, (uint16_t)x86_op_read(c, i, 1), &d, true);
	set_zf(c, ok);
	if (ok)
		x86_op_write(c, i, 0, (d >> 32) & 0x00f0ff00u);
}

static HANDLER(h_lsl)
{
	uint64_t d;
	bool ok;
	if (!(c->st->cr0 & CR0_PE) || (c->st->rflags & F_VM))
		x86_ud(c);
	ok = probe_desc(c, (uint16_t)x86_op_read(c, i, 1), &d, true);
	set_zf(c, ok);
	if (ok) {
		struct x86_seg s;
		x86_desc_to_seg(d, 0, &s);
		x86_op_write(c, i, 0, s.limit);
	}
}

static HANDLER(h_verr_verw)
{
	uint64_t d;
	bool w = i->mnemonic == ZYDIS_MNEMONIC_VERW;
	bool ok;
	if (!(c->st->cr0 & CR0_PE) || (c->st->rflags & F_VM))
		x86_ud(c);
	ok = probe_desc(c, (uint16_t)x86_op_read(c, i, 0), &d, false);
	if (ok) {
		bool code = d & (1ull << 43), rw = d & (1ull << 41);
		ok = w ? (!code && rw) : (!code || rw);
	}
	set_zf(c, ok);
}

/* ---- MSRs -------------------------------------------------------------- */

static bool msr_read(struct x86_core *c, uint32_t msr, uint64_t *v)
{
	struct x86_state *st = c->st;
	switch (msr) {
	case MSR_IA32_TSC:
		*v = x86_rdtsc(c);
		return true;
	case MSR_IA32_SYSENTER_CS:
		*v = st->sysenter_cs;
		return true;
	case MSR_IA32_SYSENTER_ESP:
		*v = st->sysenter_esp;
		return true;
	case MSR_IA32_SYSENTER_EIP:
		*v = st->sysenter_eip;
		return true;
	case MSR_IA32_DEBUGCTLMSR:
		*v = st->debugctl;
		return true;
	case MSR_IA32_CR_PAT:
		*v = st->pat;
		return true;
	case MSR_EFER:
		*v = st->efer;
		return true;
	case MSR_STAR:
		*v = st->star;
		return true;
	case MSR_LSTAR:
		*v = st->lstar;
		return true;
	case MSR_CSTAR:
		*v = st->cstar;
		return true;
	case MSR_SYSCALL_MASK:
		*v = st->sfmask;
		return true;
	case MSR_FS_BASE:
		*v = st->seg[X86_FS].base;
		return true;
	case MSR_GS_BASE:
		*v = st->seg[X86_GS].base;
		return true;
	case MSR_KERNEL_GS_BASE:
		*v = st->kernel_gs_base;
		return true;
	case MSR_TSC_AUX:
		*v = st->tsc_aux;
		return true;
	default:
		return false;
	}
}

static bool pat_valid(uint64_t v)
{
	for (unsigned n = 0; n < 8; n++) {
		unsigned t = (v >> (8 * n)) & 0xff;
		if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7)
			return false;
	}
	return true;
}

static bool msr_write(struct x86_core *c, uint32_t msr, uint64_t v)
{
	struct x86_state *st = c->st;
	switch (msr) {
	case MSR_IA32_TSC:
		c->ctl.tsc_offset = (int64_t)(v - __rdtsc());
		return true;
	case MSR_IA32_SYSENTER_CS:
		st->sysenter_cs = v & 0xffff;
		return true;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!canonical(v))
			return false;
		if (msr == MSR_IA32_SYSENTER_ESP)
			st->sysenter_esp = v;
		else
			st->sysenter_eip = v;
		return true;
	case MSR_IA32_DEBUGCTLMSR:
		if (v & ~0x3ull) /* only LBR/BTF are accepted (ignored) */
			return false;
		st->debugctl = v;
		return true;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(v))
			return false;
		st->pat = v;
		return true;
	case MSR_EFER: {
		uint64_t ok = EFER_SCE | EFER_LME | EFER_NXE;
		if (v & ~(ok | EFER_LMA))
			return false;
		/* LME cannot change while paging is on */
		if ((st->cr0 & CR0_PG) && ((v ^ st->efer) & EFER_LME))
			return false;
		st->efer = (v & ok) | (st->efer & EFER_LMA);
		x86_flush_tlb(c, true);
		return true;
	}
	case MSR_STAR:
		st->star = v;
		return true;
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!canonical(v))
			return false;
		if (msr == MSR_LSTAR)
			st->lstar = v;
		else
			st->cstar = v;
		return true;
	case MSR_SYSCALL_MASK:
		st->sfmask = v & 0xffffffffu;
		return true;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!canonical(v))
			return false;
		if (msr == MSR_FS_BASE)
			st->seg[X86_FS].base = v;
		else if (msr == MSR_GS_BASE)
			st->seg[X86_GS].base = v;
		else
			st->kernel_gs_base = v;
		return true;
	case MSR_TSC_AUX:
		if (v >> 32)
			return false;
		st->tsc_aux = v;
		return true;
	default:
		return false;
	}
}

static HANDLER(h_rdmsr)
{
	uint32_t msr = (uint32_t)c->st->gpr[X86_RCX];
	struct x86_intercept w = {0};
	uint64_t v;

	need_cpl0(c);
	x86_exit_prep(c, X86_EXIT_MSR_READ, 0);
	w.msr = msr;
	x86_intercept(c, &w);
	if (!msr_read(c, msr, &v))
		x86_gp(c, 0);
	gpr_write(c, X86_RAX, 4, v);
	gpr_write(c, X86_RDX, 4, v >> 32);
}

static HANDLER(h_wrmsr)
{
	uint32_t msr = (uint32_t)c->st->gpr[X86_RCX];
	uint64_t v =
	    (uint32_t)c->st->gpr[X86_RAX] | (c->st->gpr[X86_RDX] << 32);
	struct x86_intercept w = {0};

	need_cpl0(c);
	x86_exit_prep(c, X86_EXIT_MSR_WRITE, 0);
	w.msr = msr;
	w.msr_value = v;
	x86_intercept(c, &w);
	if (!msr_write(c, msr, v))
		x86_gp(c, 0);
}

/* ---- simple intercepted instructions ---------------------------------- */

static HANDLER(h_cpuid)
{
	icpt(c, X86_EXIT_CPUID, 0);
	/* no CPUID of our own: VMX always exits on it */
	x86_ud(c);
}

static HANDLER(h_hlt)
{
	need_cpl0(c);
	icpt(c, X86_EXIT_HLT, 0);
	c->st->activity = X86_HLT;
	c->recheck = true;
}

static HANDLER(h_rdtsc)
{
	uint64_t t;
	if ((c->st->cr4 & CR4_TSD) && c->cpl)
		x86_gp(c, 0);
	icpt(c, X86_EXIT_RDTSC, 0);
	t = x86_rdtsc(c);
	gpr_write(c, X86_RAX, 4, t);
	gpr_write(c, X86_RDX, 4, t >> 32);
}

static HANDLER(h_rdtscp)
{
	uint64_t t;
	if ((c->st->cr4 & CR4_TSD) && c->cpl)
		x86_gp(c, 0);
	icpt(c, X86_EXIT_RDTSCP, 0);
	t = x86_rdtsc(c);
	gpr_write(c, X86_RAX, 4, t);
	gpr_write(c, X86_RDX, 4, t >> 32);
	gpr_write(c, X86_RCX, 4, c->st->tsc_aux);
}

static HANDLER(h_rdpmc)
{
	if (!(c->st->cr4 & CR4_PCE) && c->cpl)
		x86_gp(c, 0);
	icpt(c, X86_EXIT_RDPMC, 0);
	x86_gp(c, 0); /* no performance counters */
}

static HANDLER(h_invlpg)
{
	const struct x86_op *o = &i->op[0];
	uint64_t lin;
	need_cpl0(c);
	if (o->kind != OPK_MEM)
		x86_ud(c);
	lin = x86_ea(c, i, o);
	if (c->long64) {
		if (o->seg >= X86_FS)
			lin += c->st->seg[o->seg].base;
	} else {
		lin = (uint32_t)(lin + c->st->seg[o->seg].base);
	}
	icpt(c, X86_EXIT_INVLPG, lin);
	x86_flush_tlb_gla(c, lin);
}

static HANDLER(h_wbinvd)
{
	need_cpl0(c);
	icpt(c, X86_EXIT_WBINVD, 0);
}

static HANDLER(h_invd)
{
	need_cpl0(c);
	icpt(c, X86_EXIT_INVD, 0);
}

static HANDLER(h_pause)
{
	icpt(c, X86_EXIT_PAUSE, 0);
}

static HANDLER(h_monitor_mwait)
{
	icpt(c,
	     i->mnemonic == ZYDIS_MNEMONIC_MWAIT ? X86_EXIT_MWAIT
						 : X86_EXIT_MONITOR,
	     0);
	x86_ud(c); /* not advertised */
}

static HANDLER(h_xsetbv)
{
	icpt(c, X86_EXIT_XSETBV, 0);
	x86_ud(c); /* no XSAVE */
}

static HANDLER(h_vmx_insn)
{
	static const struct {
		uint16_t mn;
		uint32_t reason;
	} map[] = {
	    {ZYDIS_MNEMONIC_VMCALL, X86_EXIT_VMCALL},
	    {ZYDIS_MNEMONIC_VMCLEAR, X86_EXIT_VMCLEAR},
	    {ZYDIS_MNEMONIC_VMLAUNCH, X86_EXIT_VMLAUNCH},
	    {ZYDIS_MNEMONIC_VMPTRLD, X86_EXIT_VMPTRLD},
	    {ZYDIS_MNEMONIC_VMPTRST, X86_EXIT_VMPTRST},
	    {ZYDIS_MNEMONIC_VMREAD, X86_EXIT_VMREAD},
	    {ZYDIS_MNEMONIC_VMRESUME, X86_EXIT_VMRESUME},
	    {ZYDIS_MNEMONIC_VMWRITE, X86_EXIT_VMWRITE},
	    {ZYDIS_MNEMONIC_VMXOFF, X86_EXIT_VMXOFF},
	    {ZYDIS_MNEMONIC_VMXON, X86_EXIT_VMXON},
	    {ZYDIS_MNEMONIC_INVEPT, X86_EXIT_INVEPT},
	    {ZYDIS_MNEMONIC_INVVPID, X86_EXIT_INVVPID},
	    {ZYDIS_MNEMONIC_GETSEC, X86_EXIT_GETSEC},
	    {ZYDIS_MNEMONIC_RDRAND, X86_EXIT_RDRAND},
	    {ZYDIS_MNEMONIC_RDSEED, X86_EXIT_RDSEED},
	    {ZYDIS_MNEMONIC_INVPCID, X86_EXIT_INVPCID},
	};
	for (unsigned n = 0; n < sizeof(map) / sizeof(map[0]); n++)
		if (map[n].mn == i->mnemonic) {
			icpt(c, map[n].reason, 0);
			break;
		}
	x86_ud(c);
}

/* ---- I/O ------------------------------------------------------------- */

void x86_io_check(struct x86_core *c, const struct x86_insn *i, uint16_t port,
		  unsigned size, bool in, bool string, bool rep)
{
	struct x86_state *st = c->st;
	struct x86_intercept w = {0};
	unsigned iopl = (st->rflags & F_IOPL) >> 12;
	uint64_t q;

	if ((st->cr0 & CR0_PE) && (c->cpl > iopl || (st->rflags & F_VM))) {
		/* I/O permission bitmap in the TSS */
		const struct x86_seg *tr = &st->seg[X86_TR];
		unsigned type = tr->ar & 0xf;
		uint64_t base, bits;
		if ((type != 9 && type != 11) || tr->limit < 0x67)
			x86_gp(c, 0);
		base = x86_sys_read(c, tr->base + 0x66, 2);
		if (base + port / 8 + 1 > tr->limit)
			x86_gp(c, 0);
		bits = x86_sys_read(c, tr->base + base + port / 8, 2);
		if ((bits >> (port & 7)) & ((1u << size) - 1))
			x86_gp(c, 0);
	}
	q = (size - 1) | (in ? 8 : 0) | (string ? 16 : 0) | (rep ? 32 : 0) |
	    ((uint64_t)port << 16);
	if (!string && (i->opcode & 0xf8) == 0xe0)
		q |= 64; /* immediate port operand */
	x86_exit_prep(c, X86_EXIT_IO_INSTRUCTION, q);
	if (string) {
		unsigned seg = in ? X86_ES : i->seg;
		uint64_t off =
		    st->gpr[in ? X86_RDI : X86_RSI] & size_mask(i->asz);
		c->exit->gla =
		    (c->long64 && seg < X86_FS) ? off : st->seg[seg].base + off;
		if (!c->long64)
			c->exit->gla = (uint32_t)c->exit->gla;
		c->exit->gla_valid = true;
		c->exit->insn_info = (uint32_t)(i->asz == 2   ? 0
						: i->asz == 4 ? 1
							      : 2)
					 << 7 |
				     (uint32_t)seg << 15;
	}
	w.port = port;
	w.io_size = size;
	w.io_in = in;
	w.io_string = string;
	w.io_rep = rep;
	x86_intercept(c, &w);
}

static HANDLER(h_in)
{
	unsigned size = i->op[0].size;
	uint16_t port = (uint16_t)x86_op_read(c, i, 1);
	x86_io_check(c, i, port, size, true, false, false);
	/* not intercepted: nothing is connected, reads float high */
	gpr_write(c, X86_RAX, size, ~0ull);
}

static HANDLER(h_out)
{
	unsigned size = i->op[1].size;
	uint16_t port = (uint16_t)x86_op_read(c, i, 0);
	x86_io_check(c, i, port, size, false, false, false);
}

/* ---- interrupt flag ------------------------------------------------------ */

static void if_priv(struct x86_core *c)
{
	struct x86_state *st = c->st;
	unsigned iopl = (st->rflags & F_IOPL) >> 12;
	if ((st->cr0 & CR0_PE) && (c->cpl > iopl || (st->rflags & F_VM)))
		x86_gp(c, 0); /* VME/PVI virtual IF is not implemented */
}

static HANDLER(h_cli)
{
	if_priv(c);
	c->st->rflags &= ~F_IF;
}

static HANDLER(h_sti)
{
	if_priv(c);
	if (!(c->st->rflags & F_IF)) {
		c->st->rflags |= F_IF;
		c->st->interruptibility |= X86_INTR_BLOCK_STI;
		c->shadow_set = true;
	}
}

static HANDLER(h_clac_stac)
{
	need_cpl0(c);
	if (i->mnemonic == ZYDIS_MNEMONIC_STAC)
		c->st->rflags |= F_AC;
	else
		c->st->rflags &= ~F_AC;
}

/* ---- fast system calls ------------------------------------------------- */

static void flat_code(struct x86_seg *s, uint16_t sel, unsigned dpl, bool l)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->ar = 0xb | X86_AR_S | X86_AR_P | (dpl << X86_AR_DPL_SHIFT) |
		X86_AR_G | (l ? X86_AR_L : X86_AR_DB);
}

static void flat_stack(struct x86_seg *s, uint16_t sel, unsigned dpl)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->ar = 0x3 | X86_AR_S | X86_AR_P | (dpl << X86_AR_DPL_SHIFT) |
		X86_AR_G | X86_AR_DB;
}

static HANDLER(h_syscall)
{
	struct x86_state *st = c->st;
	uint16_t sel = (st->star >> 32) & 0xfffc;

	if (!(st->efer & EFER_SCE) || !(st->cr0 & CR0_PE))
		x86_ud(c);
	if (st->efer & EFER_LMA) {
		st->gpr[X86_RCX] = c->next_rip;
		st->gpr[X86_R11] = st->rflags & ~F_RF;
		c->next_rip = c->long64 ? st->lstar : st->cstar;
		st->rflags &= ~(st->sfmask | F_RF);
		flat_code(&st->seg[X86_CS], sel, 0, true);
	} else {
		st->gpr[X86_RCX] = (uint32_t)c->next_rip;
		c->next_rip = (uint32_t)st->star;
		st->rflags &= ~(F_VM | F_IF | F_RF);
		flat_code(&st->seg[X86_CS], sel, 0, false);
	}
	st->rflags |= F_FIXED1;
	flat_stack(&st->seg[X86_SS], sel + 8, 0);
	x86_update_mode(c);
}

static HANDLER(h_sysret)
{
	struct x86_state *st = c->st;
	uint16_t sel = (st->star >> 48) & 0xfffc;
	bool to64 = i->osz == 8;

	if (!(st->efer & EFER_SCE) || !c->long64)
		x86_ud(c);
	need_cpl0(c);
	if (to64) {
		if (!canonical(st->gpr[X86_RCX]))
			x86_gp(c, 0);
		c->next_rip = st->gpr[X86_RCX];
		flat_code(&st->seg[X86_CS], (sel + 16) | 3, 3, true);
	} else {
		c->next_rip = (uint32_t)st->gpr[X86_RCX];
		flat_code(&st->seg[X86_CS], sel | 3, 3, false);
	}
	x86_set_rflags(c, st->gpr[X86_R11], ~0ull);
	st->rflags &= ~(F_RF | F_VM);
	/* SS selector changes; its cached attributes become flat DPL 3 */
	flat_stack(&st->seg[X86_SS], (sel + 8) | 3, 3);
	x86_update_mode(c);
}

static HANDLER(h_sysenter)
{
	struct x86_state *st = c->st;
	uint16_t sel = st->sysenter_cs & 0xfffc;
	bool lm = st->efer & EFER_LMA;

	if (!(st->cr0 & CR0_PE) || !sel)
		x86_gp(c, 0);
	st->rflags &= ~(F_VM | F_IF | F_RF);
	flat_code(&st->seg[X86_CS], sel, 0, lm);
	flat_stack(&st->seg[X86_SS], sel + 8, 0);
	st->gpr[X86_RSP] = lm ? st->sysenter_esp : (uint32_t)st->sysenter_esp;
	c->next_rip = lm ? st->sysenter_eip : (uint32_t)st->sysenter_eip;
	x86_update_mode(c);
}

static HANDLER(h_sysexit)
{
	struct x86_state *st = c->st;
	uint16_t sel = st->sysenter_cs & 0xfffc;
	bool to64 = i->osz == 8;

	if (!(st->cr0 & CR0_PE) || !sel)
		x86_gp(c, 0);
	need_cpl0(c);
	if (to64) {
		if (!canonical(st->gpr[X86_RDX]) ||
		    !canonical(st->gpr[X86_RCX]))
			x86_gp(c, 0);
		flat_code(&st->seg[X86_CS], (sel + 32) | 3, 3, true);
		flat_stack(&st->seg[X86_SS], (sel + 40) | 3, 3);
		st->gpr[X86_RSP] = st->gpr[X86_RCX];
		c->next_rip = st->gpr[X86_RDX];
	} else {
		flat_code(&st->seg[X86_CS], (sel + 16) | 3, 3, false);
		flat_stack(&st->seg[X86_SS], (sel + 24) | 3, 3);
		st->gpr[X86_RSP] = (uint32_t)st->gpr[X86_RCX];
		c->next_rip = (uint32_t)st->gpr[X86_RDX];
	}
	x86_update_mode(c);
}

static HANDLER(h_swapgs)
{
	struct x86_state *st = c->st;
	uint64_t t;
	if (!c->long64)
		x86_ud(c);
	need_cpl0(c);
	t = st->seg[X86_GS].base;
	st->seg[X86_GS].base = st->kernel_gs_base;
	st->kernel_gs_base = t;
}

static HANDLER(h_fence)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void x86_register_system(x86_handler *t)
{
	t[ZYDIS_MNEMONIC_CPUID] = h_cpuid;
	t[ZYDIS_MNEMONIC_HLT] = h_hlt;
	t[ZYDIS_MNEMONIC_RDTSC] = h_rdtsc;
	t[ZYDIS_MNEMONIC_RDTSCP] = h_rdtscp;
	t[ZYDIS_MNEMONIC_RDPMC] = h_rdpmc;
	t[ZYDIS_MNEMONIC_RDMSR] = h_rdmsr;
	t[ZYDIS_MNEMONIC_WRMSR] = h_wrmsr;
	t[ZYDIS_MNEMONIC_INVLPG] = h_invlpg;
	t[ZYDIS_MNEMONIC_WBINVD] = h_wbinvd;
	t[ZYDIS_MNEMONIC_INVD] = h_invd;
	t[ZYDIS_MNEMONIC_PAUSE] = h_pause;
	t[ZYDIS_MNEMONIC_MONITOR] = h_monitor_mwait;
	t[ZYDIS_MNEMONIC_MWAIT] = h_monitor_mwait;
	t[ZYDIS_MNEMONIC_XSETBV] = h_xsetbv;
	t[ZYDIS_MNEMONIC_VMCALL] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMCLEAR] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMLAUNCH] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMPTRLD] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMPTRST] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMREAD] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMRESUME] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMWRITE] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMXOFF] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_VMXON] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_INVEPT] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_INVVPID] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_GETSEC] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_RDRAND] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_RDSEED] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_INVPCID] = h_vmx_insn;
	t[ZYDIS_MNEMONIC_CLTS] = h_clts;
	t[ZYDIS_MNEMONIC_LMSW] = h_lmsw;
	t[ZYDIS_MNEMONIC_SMSW] = h_smsw;
	t[ZYDIS_MNEMONIC_LGDT] = h_lgdt_lidt;
	t[ZYDIS_MNEMONIC_LIDT] = h_lgdt_lidt;
	t[ZYDIS_MNEMONIC_SGDT] = h_sgdt_sidt;
	t[ZYDIS_MNEMONIC_SIDT] = h_sgdt_sidt;
	t[ZYDIS_MNEMONIC_LLDT] = h_lldt;
	t[ZYDIS_MNEMONIC_LTR] = h_ltr;
	t[ZYDIS_MNEMONIC_SLDT] = h_sldt_str;
	t[ZYDIS_MNEMONIC_STR] = h_sldt_str;
	t[ZYDIS_MNEMONIC_LAR] = h_lar;
	t[ZYDIS_MNEMONIC_LSL] = h_lsl;
	t[ZYDIS_MNEMONIC_VERR] = h_verr_verw;
	t[ZYDIS_MNEMONIC_VERW] = h_verr_verw;
	t[ZYDIS_MNEMONIC_IN] = h_in;
	t[ZYDIS_MNEMONIC_OUT] = h_out;
	t[ZYDIS_MNEMONIC_CLI] = h_cli;
	t[ZYDIS_MNEMONIC_STI] = h_sti;
	t[ZYDIS_MNEMONIC_CLAC] = h_clac_stac;
	t[ZYDIS_MNEMONIC_STAC] = h_clac_stac;
	t[ZYDIS_MNEMONIC_SYSCALL] = h_syscall;
	t[ZYDIS_MNEMONIC_SYSRET] = h_sysret;
	t[ZYDIS_MNEMONIC_SYSENTER] = h_sysenter;
	t[ZYDIS_MNEMONIC_SYSEXIT] = h_sysexit;
	t[ZYDIS_MNEMONIC_SWAPGS] = h_swapgs;
	t[ZYDIS_MNEMONIC_MFENCE] = h_fence;
}
