// SPDX-License-Identifier: GPL-2.0
/*
 * Segmentation: descriptor reads, segment-register loads with the SDM's
 * checks and error codes (#GP/#NP/#SS/#TS), far JMP/CALL, far RET and
 * IRET in real, protected and long mode. Call gates, task switches and
 * returns to virtual-8086 mode are reported as unimplemented.
 */
#include "cpu/x86/core.h"

#define D_A    (1ull << 40)
#define D_RW   (1ull << 41)
#define D_DC   (1ull << 42) /* direction / conforming */
#define D_CODE (1ull << 43)
#define D_S    (1ull << 44)
#define D_P    (1ull << 47)
#define D_L    (1ull << 53)
#define D_DB   (1ull << 54)

static unsigned d_dpl(uint64_t d)
{
	return (d >> 45) & 3;
}

void x86_desc_to_seg(uint64_t d, uint16_t sel, struct x86_seg *s)
{
	uint32_t limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	s->sel = sel;
	s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000u);
	if (d & (1ull << 55))
		limit = (limit << 12) | 0xfff;
	s->limit = limit;
	s->ar = ((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12);
}

void x86_set_real_seg(struct x86_core *c, unsigned seg, uint16_t sel)
{
	struct x86_seg *s = &c->st->seg[seg];
	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	if (c->st->rflags & F_VM) {
		s->limit = 0xffff;
		s->ar = (seg == X86_CS ? 0xb : 0x3) | X86_AR_S | X86_AR_P |
			(3 << X86_AR_DPL_SHIFT);
	} else {
		/* real mode keeps the cached limit/attributes ("unreal"),
		 * but the segment becomes usable and present */
		s->ar = (s->ar & ~X86_AR_UNUSABLE) | X86_AR_P | X86_AR_S;
		if (seg == X86_CS)
			s->ar = (s->ar & ~0xfu) | 0xb;
		if (!s->limit)
			s->limit = 0xffff;
	}
}

uint64_t x86_read_desc(struct x86_core *c, uint16_t sel, uint64_t *d,
		       uint32_t exc)
{
	struct x86_state *st = c->st;
	uint64_t base, limit, off = sel & 0xfff8u;

	if (sel & 4) {
		if (st->seg[X86_LDTR].ar & X86_AR_UNUSABLE)
			x86_raise(c, exc, true, sel & 0xfffc);
		base = st->seg[X86_LDTR].base;
		limit = st->seg[X86_LDTR].limit;
	} else {
		base = st->gdtr.base;
		limit = st->gdtr.limit;
	}
	if (off + 7 > limit)
		x86_raise(c, exc, true, sel & 0xfffc);
	*d = x86_sys_read(c, base + off, 8);
	return base + off;
}

static void set_accessed(struct x86_core *c, uint64_t addr, uint64_t d)
{
	if (!(d & D_A))
		x86_sys_write(c, addr + 5, 1, ((d >> 40) & 0xff) | 1);
}

static void null_seg(struct x86_core *c, unsigned seg, uint16_t sel)
{
	struct x86_seg *s = &c->st->seg[seg];
	s->sel = sel;
	if (!c->long64 || seg < X86_FS)
		s->base = 0;
	s->limit = 0;
	s->ar = X86_AR_UNUSABLE;
}

void x86_load_seg(struct x86_core *c, unsigned seg, uint16_t sel)
{
	struct x86_state *st = c->st;
	uint64_t d, addr;
	unsigned rpl = sel & 3, dpl;

	if (!(st->cr0 & CR0_PE) || (st->rflags & F_VM)) {
		x86_set_real_seg(c, seg, sel);
		return;
	}
	if (!(sel & 0xfffc)) {
		if (seg == X86_SS) {
			if (!c->long64 || c->cpl == 3 || rpl != c->cpl)
				x86_gp(c, 0);
			null_seg(c, seg, sel);
			st->seg[X86_SS].ar |= (uint32_t)c->cpl
					      << X86_AR_DPL_SHIFT;
			return;
		}
		null_seg(c, seg, sel);
		return;
	}
	addr = x86_read_desc(c, sel, &d, X86_EXC_GP);
	dpl = d_dpl(d);
	if (!(d & D_S))
		x86_gp(c, sel & 0xfffc);
	if (seg == X86_SS) {
		if (rpl != c->cpl || dpl != c->cpl || (d & D_CODE) ||
		    !(d & D_RW))
			x86_gp(c, sel & 0xfffc);
		if (!(d & D_P))
			x86_raise(c, X86_EXC_SS, true, sel & 0xfffc);
	} else {
		if ((d & D_CODE) && !(d & D_RW))
			x86_gp(c, sel & 0xfffc);
		if (!((d & D_CODE) && (d & D_DC)) &&
		    (rpl > dpl || c->cpl > dpl))
			x86_gp(c, sel & 0xfffc);
		if (!(d & D_P))
			x86_raise(c, X86_EXC_NP, true, sel & 0xfffc);
	}
	set_accessed(c, addr, d);
	d |= D_A;
	if (c->long64 && seg >= X86_FS) {
		/* a selector load sets the 32-bit base; keep it as loaded */
	}
	x86_desc_to_seg(d, sel, &st->seg[seg]);
}

static void check_code_target(struct x86_core *c, const struct x86_seg *s,
			      uint64_t off, bool long64)
{
	if (long64) {
		if (((int64_t)(off << 16) >> 16) != (int64_t)off)
			x86_gp(c, 0);
	} else if (off > s->limit) {
		x86_gp(c, 0);
	}
}

_Noreturn void x86_task_switch(struct x86_core *c, uint16_t tss_sel,
			       unsigned source)
{
	struct x86_intercept w = {0};
	x86_exit_prep(c, X86_EXIT_TASK_SWITCH,
		      tss_sel | (uint64_t)(source & 3) << 30);
	if (!c->cur)
		c->exit->insn_len = c->exc_insn_len;
	x86_intercept(c, &w);
	x86_unimplemented(c, "task switch");
}

/* Far JMP/CALL to a TSS or task gate: checks, then the task-switch exit. */
/* Write on the new stack of a call gate: supervisor unless CPL3. */
static void gate_push(struct x86_core *c, const struct x86_seg *ss,
		      uint64_t *sp, uint64_t mask, unsigned size, uint64_t v,
		      unsigned cpl)
{
	*sp = (*sp - size) & mask;
	if (cpl < 3)
		x86_sys_write(c, ss->base + *sp, size, v);
	else
		lin_write(c, ss->base + *sp, size, v);
}

/*
 * Far CALL/JMP through a call gate (SDM CALL, "call gate"): 16/32-bit
 * gates with parameter copying in legacy mode, 64-bit gates in long mode;
 * a CALL to a more privileged non-conforming segment switches to the
 * TSS stack for its DPL.
 */
static void call_gate(struct x86_core *c, uint16_t gsel, uint64_t g,
		      uint64_t gaddr, bool call)
{
	struct x86_state *st = c->st;
	bool lm = st->efer & EFER_LMA;
	unsigned type = (g >> 40) & 0xf;
	unsigned psz = lm ? 8 : (type == 0xc ? 4 : 2);
	unsigned params = lm ? 0 : (g >> 32) & 0x1f;
	uint16_t csel = (uint16_t)(g >> 16);
	uint64_t off = (g & 0xffff) | ((g >> 32) & 0xffff0000ull);
	uint64_t d, caddr;
	unsigned dpl;
	bool inner;
	struct x86_seg ncs, nss = st->seg[X86_SS];
	uint64_t sp = st->gpr[X86_RSP], spmask;
	unsigned new_cpl = c->cpl;

	if (lm) {
		uint64_t hi;
		if ((gsel & 0xfff8u) + 15 >
		    ((gsel & 4) ? st->seg[X86_LDTR].limit : st->gdtr.limit))
			x86_gp(c, gsel & 0xfffc);
		hi = x86_sys_read(c, gaddr + 8, 8);
		if ((hi >> 40) & 0x1f)
			x86_gp(c, gsel & 0xfffc);
		off |= hi << 32;
	}
	if (!type || (type != 0xc && (lm || type != 4)))
		x86_gp(c, gsel & 0xfffc);
	if (!(csel & 0xfffc))
		x86_gp(c, 0);
	caddr = x86_read_desc(c, csel, &d, X86_EXC_GP);
	dpl = d_dpl(d);
	if (!(d & D_S) || !(d & D_CODE) || dpl > c->cpl)
		x86_gp(c, csel & 0xfffc);
	if (lm && (!(d & D_L) || (d & D_DB)))
		x86_gp(c, csel & 0xfffc);
	if (!call && !(d & D_DC) && dpl != c->cpl)
		x86_gp(c, csel & 0xfffc);
	if (!(d & D_P))
		x86_raise(c, X86_EXC_NP, true, csel & 0xfffc);
	inner = call && !(d & D_DC) && dpl < c->cpl;
	if (!lm && psz == 2)
		off &= 0xffff;
	if (inner) {
		const struct x86_seg *tr = &st->seg[X86_TR];
		new_cpl = dpl;
		if (lm) {
			uint64_t pos = 4 + 8u * dpl;
			if (pos + 7 > tr->limit)
				x86_raise(c, X86_EXC_TS, true,
					  tr->sel & 0xfffc);
			sp = x86_sys_read(c, tr->base + pos, 8);
			nss.sel = dpl;
			nss.base = 0;
			nss.limit = 0xffffffffu;
			nss.ar = X86_AR_UNUSABLE | 0x3 | X86_AR_S | X86_AR_P |
				 (dpl << X86_AR_DPL_SHIFT) | X86_AR_DB |
				 X86_AR_G;
		} else {
			bool tss32 =
			    (tr->ar & 0xf) == 0x9 || (tr->ar & 0xf) == 0xb;
			uint64_t pos = tss32 ? 4 + 8u * dpl : 2 + 4u * dpl;
			unsigned w = tss32 ? 4 : 2;
			uint16_t ssel;
			uint64_t ssd;
			if (pos + 2 * w - 1 > tr->limit)
				x86_raise(c, X86_EXC_TS, true,
					  tr->sel & 0xfffc);
			sp = x86_sys_read(c, tr->base + pos, w);
			ssel = x86_sys_read(c, tr->base + pos + w, 2);
			if (!(ssel & 0xfffc))
				x86_raise(c, X86_EXC_TS, true, 0);
			x86_read_desc(c, ssel, &ssd, X86_EXC_TS);
			if ((ssel & 3) != dpl || d_dpl(ssd) != dpl ||
			    !(ssd & D_S) || (ssd & D_CODE) || !(ssd & D_RW))
				x86_raise(c, X86_EXC_TS, true, ssel & 0xfffc);
			if (!(ssd & D_P))
				x86_raise(c, X86_EXC_SS, true, ssel & 0xfffc);
			x86_desc_to_seg(ssd | D_A, ssel, &nss);
		}
	}
	spmask = lm ? ~0ull : (nss.ar & X86_AR_DB) ? 0xffffffffu : 0xffff;
	if (lm && inner)
		sp &= ~0ull; /* RSP from the TSS as is */
	x86_desc_to_seg(d | D_A, (csel & 0xfffc) | new_cpl, &ncs);
	if (!lm && off > ncs.limit)
		x86_gp(c, 0);
	if (lm && ((int64_t)(off << 16) >> 16) != (int64_t)off)
		x86_gp(c, 0);
	if (call) {
		if (inner) {
			uint64_t osp = st->gpr[X86_RSP];
			uint64_t omask =
			    lm ? ~0ull : size_mask(x86_stack_size(c));
			gate_push(c, &nss, &sp, spmask, psz,
				  st->seg[X86_SS].sel, new_cpl);
			gate_push(c, &nss, &sp, spmask, psz, osp, new_cpl);
			for (int k = (int)params - 1; k >= 0; k--) {
				uint64_t v = mem_read(
				    c, X86_SS, (osp + k * psz) & omask, psz);
				gate_push(c, &nss, &sp, spmask, psz, v,
					  new_cpl);
			}
		}
		gate_push(c, &nss, &sp, spmask, psz, st->seg[X86_CS].sel,
			  new_cpl);
		gate_push(c, &nss, &sp, spmask, psz, c->next_rip, new_cpl);
	}
	set_accessed(c, caddr, d);
	if (inner)
		st->seg[X86_SS] = nss;
	st->seg[X86_CS] = ncs;
	if (lm || (nss.ar & X86_AR_DB))
		gpr_write(c, X86_RSP, lm ? 8 : 4, sp);
	else
		gpr_write(c, X86_RSP, 2, sp);
	c->next_rip = off;
	x86_update_mode(c);
}

static void far_to_system(struct x86_core *c, uint16_t sel, uint64_t d,
			  uint64_t addr, bool call)
{
	unsigned type = (d >> 40) & 0xf, dpl = d_dpl(d);
	uint16_t tss = sel;

	if (dpl < c->cpl || dpl < (sel & 3u))
		x86_gp(c, sel & 0xfffc);
	if (!(d & D_P))
		x86_raise(c, X86_EXC_NP, true, sel & 0xfffc);
	if (type == 4 || type == 0xc) {
		call_gate(c, sel, d, addr, call);
		return;
	}
	if ((c->st->efer & EFER_LMA) || (type != 1 && type != 9 && type != 5))
		x86_gp(c, sel & 0xfffc);
	if (type == 5)
		tss = (uint16_t)(d >> 16);
	x86_task_switch(c, tss, call ? 0 : 2);
}

void x86_far_transfer(struct x86_core *c, uint16_t sel, uint64_t off, bool call,
		      unsigned osz)
{
	struct x86_state *st = c->st;
	uint64_t d, addr;
	struct x86_seg ncs;
	unsigned dpl, rpl = sel & 3;
	bool tgt64;

	if (!(st->cr0 & CR0_PE) || (st->rflags & F_VM)) {
		if (osz == 2)
			off &= 0xffff;
		if (off > st->seg[X86_CS].limit)
			x86_gp(c, 0);
		if (call) {
			x86_push(c, osz, st->seg[X86_CS].sel);
			x86_push(c, osz, c->next_rip);
		}
		x86_set_real_seg(c, X86_CS, sel);
		c->next_rip = off;
		return;
	}
	if (!(sel & 0xfffc))
		x86_gp(c, 0);
	addr = x86_read_desc(c, sel, &d, X86_EXC_GP);
	dpl = d_dpl(d);
	if (!(d & D_S)) {
		far_to_system(c, sel, d, addr, call);
		return;
	}
	if (!(d & D_CODE))
		x86_gp(c, sel & 0xfffc);
	if (d & D_DC) {
		if (dpl > c->cpl)
			x86_gp(c, sel & 0xfffc);
	} else if (rpl > c->cpl || dpl != c->cpl) {
		x86_gp(c, sel & 0xfffc);
	}
	if (!(d & D_P))
		x86_raise(c, X86_EXC_NP, true, sel & 0xfffc);
	if ((st->efer & EFER_LMA) && (d & D_L) && (d & D_DB))
		x86_gp(c, sel & 0xfffc);
	x86_desc_to_seg(d | D_A, (sel & 0xfffc) | c->cpl, &ncs);
	tgt64 = (st->efer & EFER_LMA) && (d & D_L);
	if (!tgt64 && osz == 2)
		off &= 0xffff;
	else if (!tgt64)
		off = (uint32_t)off;
	check_code_target(c, &ncs, off, tgt64);
	if (call) {
		x86_push(c, osz, st->seg[X86_CS].sel);
		x86_push(c, osz, c->next_rip);
	}
	set_accessed(c, addr, d);
	st->seg[X86_CS] = ncs;
	c->next_rip = off;
	x86_update_mode(c);
}

/* After a return to an outer level: data segments the new CPL may not
 * use are nulled (SDM RET/IRET). */
static void clear_inner_segs(struct x86_core *c)
{
	static const unsigned segs[] = {X86_ES, X86_DS, X86_FS, X86_GS};
	for (unsigned n = 0; n < 4; n++) {
		struct x86_seg *s = &c->st->seg[segs[n]];
		unsigned dpl = (s->ar >> X86_AR_DPL_SHIFT) & 3;
		bool conf_code = (s->ar & 8) && (s->ar & 4);
		if (s->ar & X86_AR_UNUSABLE)
			continue;
		if (!conf_code && dpl < c->cpl) {
			s->sel = 0;
			s->ar = X86_AR_UNUSABLE;
		}
	}
}

/* Validate the CS selector of a far return/IRET; returns its descriptor. */
static uint64_t ret_cs(struct x86_core *c, uint16_t sel, uint64_t *addr)
{
	uint64_t d;
	unsigned rpl = sel & 3, dpl;

	if (!(sel & 0xfffc))
		x86_gp(c, 0);
	*addr = x86_read_desc(c, sel, &d, X86_EXC_GP);
	dpl = d_dpl(d);
	if (!(d & D_S) || !(d & D_CODE) || rpl < c->cpl)
		x86_gp(c, sel & 0xfffc);
	if ((d & D_DC) ? dpl > rpl : dpl != rpl)
		x86_gp(c, sel & 0xfffc);
	if (!(d & D_P))
		x86_raise(c, X86_EXC_NP, true, sel & 0xfffc);
	if ((c->st->efer & EFER_LMA) && (d & D_L) && (d & D_DB))
		x86_gp(c, sel & 0xfffc);
	return d;
}

/* Validate the SS for a return to privilege `rpl`. */
static void ret_ss(struct x86_core *c, uint16_t sel, unsigned rpl, bool tgt64,
		   struct x86_seg *out)
{
	uint64_t d, addr;

	if (!(sel & 0xfffc)) {
		if (!tgt64 || rpl == 3 || (sel & 3) != rpl)
			x86_gp(c, 0);
		out->sel = sel;
		out->base = 0;
		out->limit = 0xffffffffu;
		out->ar = X86_AR_UNUSABLE | 0x3 | X86_AR_S | X86_AR_P |
			  X86_AR_DB | X86_AR_G | (rpl << X86_AR_DPL_SHIFT);
		return;
	}
	addr = x86_read_desc(c, sel, &d, X86_EXC_GP);
	if ((sel & 3) != rpl || d_dpl(d) != rpl || !(d & D_S) || (d & D_CODE) ||
	    !(d & D_RW))
		x86_gp(c, sel & 0xfffc);
	if (!(d & D_P))
		x86_raise(c, X86_EXC_SS, true, sel & 0xfffc);
	set_accessed(c, addr, d);
	x86_desc_to_seg(d | D_A, sel, out);
}

void x86_far_return(struct x86_core *c, unsigned osz, uint16_t imm)
{
	struct x86_state *st = c->st;
	unsigned ssz = x86_stack_size(c);
	uint64_t m = size_mask(ssz);
	uint64_t sp = st->gpr[X86_RSP];
	uint64_t off = mem_read(c, X86_SS, sp & m, osz);
	uint16_t sel = mem_read(c, X86_SS, (sp + osz) & m, 2);
	uint64_t d, addr;
	struct x86_seg ncs, nss;
	unsigned rpl = sel & 3;
	bool tgt64;

	sp += 2 * osz;
	if (!(st->cr0 & CR0_PE) || (st->rflags & F_VM)) {
		if (off > st->seg[X86_CS].limit)
			x86_gp(c, 0);
		x86_set_real_seg(c, X86_CS, sel);
		gpr_write(c, X86_RSP, ssz, sp + imm);
		c->next_rip = off;
		return;
	}
	d = ret_cs(c, sel, &addr);
	tgt64 = (st->efer & EFER_LMA) && (d & D_L);
	x86_desc_to_seg(d | D_A, sel, &ncs);
	if (!tgt64)
		off &= size_mask(osz > 4 ? 4 : osz);
	check_code_target(c, &ncs, off, tgt64);
	if (rpl == c->cpl) {
		set_accessed(c, addr, d);
		st->seg[X86_CS] = ncs;
		gpr_write(c, X86_RSP, ssz, sp + imm);
		c->next_rip = off;
		x86_update_mode(c);
		return;
	}
	/* return to an outer privilege level: pop SS:RSP too */
	{
		uint64_t nsp = mem_read(c, X86_SS, (sp + imm) & m, osz);
		uint16_t ssel = mem_read(c, X86_SS, (sp + imm + osz) & m, 2);
		ret_ss(c, ssel, rpl, tgt64, &nss);
		set_accessed(c, addr, d);
		st->seg[X86_CS] = ncs;
		st->seg[X86_SS] = nss;
		x86_update_mode(c);
		gpr_write(c, X86_RSP,
			  tgt64			 ? 8
			  : (nss.ar & X86_AR_DB) ? 4
						 : 2,
			  nsp + imm);
		c->next_rip = off;
		clear_inner_segs(c);
	}
}

void x86_iret(struct x86_core *c, unsigned osz)
{
	struct x86_state *st = c->st;
	unsigned ssz = x86_stack_size(c);
	uint64_t m = size_mask(ssz);
	uint64_t sp = st->gpr[X86_RSP];
	uint64_t off, fl, d, addr;
	uint16_t sel;
	uint64_t fmask;
	struct x86_seg ncs, nss;
	unsigned rpl, iopl = (st->rflags & F_IOPL) >> 12;
	bool tgt64;

	c->iret_nmi = st->interruptibility & X86_INTR_BLOCK_NMI;
	if (!(st->cr0 & CR0_PE)) {
		off = mem_read(c, X86_SS, sp & m, osz);
		sel = mem_read(c, X86_SS, (sp + osz) & m, 2);
		fl = mem_read(c, X86_SS, (sp + 2 * osz) & m, osz);
		if (off > st->seg[X86_CS].limit)
			x86_gp(c, 0);
		x86_set_real_seg(c, X86_CS, sel);
		gpr_write(c, X86_RSP, ssz, sp + 3 * osz);
		fmask = F_ARITH | F_TF | F_IF | F_DF | F_IOPL | F_NT | F_AC |
			F_ID | F_RF;
		if (osz == 2)
			fmask &= 0xffff;
		x86_set_rflags(c, fl, fmask);
		c->next_rip = off;
		goto out;
	}
	if (st->rflags & F_VM) {
		if (iopl < 3)
			x86_gp(c, 0);
		off = mem_read(c, X86_SS, sp & m, osz);
		sel = mem_read(c, X86_SS, (sp + osz) & m, 2);
		fl = mem_read(c, X86_SS, (sp + 2 * osz) & m, osz);
		x86_set_real_seg(c, X86_CS, sel);
		gpr_write(c, X86_RSP, ssz, sp + 3 * osz);
		fmask =
		    F_ARITH | F_TF | F_IF | F_DF | F_NT | F_AC | F_ID | F_RF;
		if (osz == 2)
			fmask &= 0xffff;
		x86_set_rflags(c, fl, fmask);
		c->next_rip = off & 0xffff;
		goto out;
	}
	if (st->rflags & F_NT) {
		if (st->efer & EFER_LMA)
			x86_gp(c, 0);
		/* return to the task in the current TSS's back link */
		x86_task_switch(
		    c, (uint16_t)x86_sys_read(c, st->seg[X86_TR].base, 2), 1);
	}
	off = mem_read(c, X86_SS, sp & m, osz);
	sel = mem_read(c, X86_SS, (sp + osz) & m, 2);
	fl = mem_read(c, X86_SS, (sp + 2 * osz) & m, osz);
	if (osz == 2)
		fl = (st->rflags & ~0xffffull) | (fl & 0xffff);
	if ((fl & F_VM) && c->cpl == 0 && !(st->efer & EFER_LMA) && osz == 4)
		x86_unimplemented(c, "IRET to virtual-8086 mode");
	rpl = sel & 3;
	d = ret_cs(c, sel, &addr);
	tgt64 = (st->efer & EFER_LMA) && (d & D_L);
	x86_desc_to_seg(d | D_A, sel, &ncs);
	if (!tgt64)
		off &= size_mask(osz > 4 ? 4 : osz);
	check_code_target(c, &ncs, off, tgt64);

	fmask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID | F_RF;
	if (c->cpl <= iopl)
		fmask |= F_IF;
	if (c->cpl == 0)
		fmask |= F_IOPL | F_VIF | F_VIP;
	if (osz == 2)
		fmask &= 0xffff;

	if (rpl != c->cpl || c->long64) {
		/* 64-bit mode always pops SS:RSP; else only to outer levels */
		uint64_t nsp = mem_read(c, X86_SS, (sp + 3 * osz) & m, osz);
		uint16_t ssel = mem_read(c, X86_SS, (sp + 4 * osz) & m, 2);
		bool outer = rpl != c->cpl;
		ret_ss(c, ssel, rpl, tgt64, &nss);
		set_accessed(c, addr, d);
		st->seg[X86_CS] = ncs;
		st->seg[X86_SS] = nss;
		x86_set_rflags(c, fl, fmask);
		x86_update_mode(c);
		if (tgt64)
			st->gpr[X86_RSP] = nsp;
		else
			gpr_write(c, X86_RSP, (nss.ar & X86_AR_DB) ? 4 : 2,
				  nsp);
		c->next_rip = off;
		if (outer)
			clear_inner_segs(c);
	} else {
		set_accessed(c, addr, d);
		st->seg[X86_CS] = ncs;
		x86_set_rflags(c, fl, fmask);
		gpr_write(c, X86_RSP, ssz, sp + 3 * osz);
		x86_update_mode(c);
		c->next_rip = off;
	}
out:
	st->interruptibility &= ~X86_INTR_BLOCK_NMI;
	c->iret_nmi = false;
}
