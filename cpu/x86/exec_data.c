// SPDX-License-Identifier: GPL-2.0
/*
 * Data movement: MOV forms, MOVZX/MOVSX/MOVSXD, LEA, XCHG, BSWAP, CMOVcc,
 * SETcc, the stack (PUSH/POP/PUSHA/POPA/PUSHF/POPF/ENTER/LEAVE), sign
 * extensions (CBW...CQO), LAHF/SAHF, flag bit instructions, XLAT, NOPs.
 */
#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

unsigned x86_stack_size(struct x86_core *c)
{
	if (c->long64)
		return 8;
	return (c->st->seg[X86_SS].ar & X86_AR_DB) ? 4 : 2;
}

void x86_push(struct x86_core *c, unsigned size, uint64_t v)
{
	unsigned ss = x86_stack_size(c);
	uint64_t sp = (c->st->gpr[X86_RSP] - size) & size_mask(ss);
	mem_write(c, X86_SS, sp, size, v);
	gpr_write(c, X86_RSP, ss, sp);
}

uint64_t x86_pop(struct x86_core *c, unsigned size)
{
	unsigned ss = x86_stack_size(c);
	uint64_t sp = c->st->gpr[X86_RSP] & size_mask(ss);
	uint64_t v = mem_read(c, X86_SS, sp, size);
	gpr_write(c, X86_RSP, ss, sp + size);
	return v;
}

static HANDLER(h_mov)
{
	const struct x86_op *d = &i->op[0], *s = &i->op[1];

	if (d->kind == OPK_REG && d->rk == RK_SEG) {
		if (d->reg == X86_CS)
			x86_ud(c);
		x86_load_seg(c, d->reg, (uint16_t)x86_op_read(c, i, 1));
		if (d->reg == X86_SS) {
			c->st->interruptibility |= X86_INTR_BLOCK_MOV_SS;
			c->shadow_set = true;
		}
		return;
	}
	if (d->kind == OPK_REG && d->rk == RK_GPR && s->kind == OPK_REG &&
	    s->rk == RK_GPR) {
		gpr_write(c, d->reg, d->size, gpr_read(c, s->reg, s->size));
		return;
	}
	x86_op_write(c, i, 0, x86_op_read(c, i, 1));
}

static HANDLER(h_movzx)
{
	x86_op_write(c, i, 0, x86_op_read(c, i, 1) & size_mask(i->op[1].size));
}

static HANDLER(h_movsx)
{
	x86_op_write(c, i, 0, sign_extend(x86_op_read(c, i, 1), i->op[1].size));
}

static HANDLER(h_lea)
{
	const struct x86_op *s = &i->op[1];
	uint64_t ea = (uint64_t)s->disp;
	if (s->base != REG_NONE)
		ea += s->base == REG_RIP ? c->next_rip : c->st->gpr[s->base];
	if (s->index != REG_NONE)
		ea += c->st->gpr[s->index] * s->scale;
	if (i->asz == 4)
		ea = (uint32_t)ea;
	else if (i->asz == 2)
		ea &= 0xffff;
	x86_op_write(c, i, 0, ea);
}

static HANDLER(h_xchg)
{
	const struct x86_op *a = &i->op[0], *b = &i->op[1];
	if (a->kind == OPK_MEM || b->kind == OPK_MEM) {
		unsigned m = a->kind == OPK_MEM ? 0 : 1;
		const struct x86_op *mo = &i->op[m];
		uint64_t v = x86_op_read(c, i, 1 - m);
		void *p = x86_mem_ptr(c, mo->seg, x86_ea(c, i, mo), mo->size);
		uint64_t old;
		if (p) {
			switch (mo->size) {
			case 1:
				old = __atomic_exchange_n((uint8_t *)p, v,
							  __ATOMIC_SEQ_CST);
				break;
			case 2:
				old = __atomic_exchange_n((uint16_t *)p, v,
							  __ATOMIC_SEQ_CST);
				break;
			case 4:
				old = __atomic_exchange_n((uint32_t *)p, v,
							  __ATOMIC_SEQ_CST);
				break;
			default:
				old = __atomic_exchange_n((uint64_t *)p, v,
							  __ATOMIC_SEQ_CST);
			}
		} else {
			uint64_t ea = x86_ea(c, i, mo);
			x86_lin_probe_write(
			    c, seg_lin(c, mo->seg, ea, mo->size, MA_WRITE),
			    mo->size);
			old = x86_op_read(c, i, m);
			x86_op_write(c, i, m, v);
		}
		x86_op_write(c, i, 1 - m, old);
		return;
	}
	{
		uint64_t va = x86_op_read(c, i, 0), vb = x86_op_read(c, i, 1);
		x86_op_write(c, i, 0, vb);
		x86_op_write(c, i, 1, va);
	}
}

static HANDLER(h_bswap)
{
	uint64_t v = x86_op_read(c, i, 0);
	if (i->op[0].size == 8)
		v = __builtin_bswap64(v);
	else if (i->op[0].size == 4)
		v = __builtin_bswap32((uint32_t)v);
	else
		v = 0; /* BSWAP r16 is undefined; Intel gives 0 */
	x86_op_write(c, i, 0, v);
}

static HANDLER(h_cmov)
{
	uint64_t v = x86_op_read(c, i, 1); /* memory read happens anyway */
	if (x86_cond(c->st->rflags, i->cc))
		x86_op_write(c, i, 0, v);
	else if (i->op[0].size == 4)
		x86_op_write(c, i, 0, x86_op_read(c, i, 0)); /* zero-extends */
}

static HANDLER(h_setcc)
{
	x86_op_write(c, i, 0, x86_cond(c->st->rflags, i->cc));
}

/* ---- stack ------------------------------------------------------------ */

static HANDLER(h_push)
{
	const struct x86_op *o = &i->op[0];
	uint64_t v = x86_op_read(c, i, 0);
	unsigned size = i->osz;
	if (o->kind == OPK_IMM)
		v = sign_extend(v, o->size ? o->size : size);
	x86_push(c, size, v);
}

static HANDLER(h_pop)
{
	const struct x86_op *o = &i->op[0];
	unsigned size = i->osz;
	unsigned ssz = x86_stack_size(c);
	uint64_t old = c->st->gpr[X86_RSP];
	uint64_t sp = old & size_mask(ssz);
	uint64_t v = mem_read(c, X86_SS, sp, size);
	uint64_t nsp = (old & ~size_mask(ssz)) | ((sp + size) & size_mask(ssz));

	if (o->kind == OPK_REG && o->rk == RK_SEG) {
		x86_load_seg(c, o->reg, (uint16_t)v);
		c->st->gpr[X86_RSP] = nsp;
		if (o->reg == X86_SS) {
			c->st->interruptibility |= X86_INTR_BLOCK_MOV_SS;
			c->shadow_set = true;
		}
		return;
	}
	if (o->kind == OPK_MEM) {
		/* the address uses RSP after the pop (SDM POP) */
		uint64_t ea;
		c->st->gpr[X86_RSP] = nsp;
		ea = x86_ea(c, i, o);
		c->st->gpr[X86_RSP] = old;
		mem_write(c, o->seg, ea, size, v);
		c->st->gpr[X86_RSP] = nsp;
		return;
	}
	c->st->gpr[X86_RSP] = nsp;
	x86_op_write(c, i, 0, v);
}

static HANDLER(h_pusha)
{
	unsigned size = i->osz;
	uint64_t sp0 = c->st->gpr[X86_RSP];
	unsigned ssz = x86_stack_size(c);
	uint64_t sp = sp0;
	for (unsigned r = 0; r < 8; r++) {
		uint64_t v = r == X86_RSP ? sp0 : c->st->gpr[r];
		sp = (sp - size) & size_mask(ssz);
		mem_write(c, X86_SS, sp, size, v);
	}
	gpr_write(c, X86_RSP, ssz, sp);
}

static HANDLER(h_popa)
{
	unsigned size = i->osz;
	unsigned ssz = x86_stack_size(c);
	uint64_t sp = c->st->gpr[X86_RSP];
	uint64_t v[8];
	for (int r = 7; r >= 0; r--) {
		v[r] = mem_read(c, X86_SS, sp & size_mask(ssz), size);
		sp = (sp + size) & size_mask(ssz);
	}
	for (unsigned r = 0; r < 8; r++)
		if (r != X86_RSP)
			gpr_write(c, r, size, v[r]);
	gpr_write(c, X86_RSP, ssz, sp);
}

static HANDLER(h_enter)
{
	unsigned size = i->osz;
	unsigned ssz = x86_stack_size(c);
	uint64_t alloc = (uint64_t)x86_op_read(c, i, 0) & 0xffff;
	unsigned level = (unsigned)x86_op_read(c, i, 1) & 31;
	uint64_t m = size_mask(ssz);
	uint64_t sp = c->st->gpr[X86_RSP];
	uint64_t bp = c->st->gpr[X86_RBP];
	uint64_t frame;

	sp = (sp - size) & m;
	mem_write(c, X86_SS, sp, size, bp);
	frame = sp;
	if (level) {
		for (unsigned n = 1; n < level; n++) {
			uint64_t v;
			bp = (bp - size) & m;
			v = mem_read(c, X86_SS, bp, size);
			sp = (sp - size) & m;
			mem_write(c, X86_SS, sp, size, v);
		}
		sp = (sp - size) & m;
		mem_write(c, X86_SS, sp, size, frame);
	}
	sp = (sp - alloc) & m;
	/* the final stack pointer must be writable (SDM ENTER) */
	x86_mem_probe_write(c, X86_SS, sp, 1);
	gpr_write(c, X86_RBP, size, frame);
	gpr_write(c, X86_RSP, ssz, sp);
}

static HANDLER(h_leave)
{
	unsigned size = i->osz;
	unsigned ssz = x86_stack_size(c);
	uint64_t sp = c->st->gpr[X86_RBP] & size_mask(ssz);
	uint64_t v = mem_read(c, X86_SS, sp, size);
	gpr_write(c, X86_RSP, ssz, sp + size);
	gpr_write(c, X86_RBP, size, v);
}

static HANDLER(h_pushf)
{
	struct x86_state *st = c->st;
	uint64_t f = st->rflags & ~(F_VM | F_RF);
	if ((st->rflags & F_VM) && ((st->rflags & F_IOPL) >> 12) < 3)
		x86_gp(c, 0);
	x86_push(c, i->osz, f);
}

static HANDLER(h_popf)
{
	struct x86_state *st = c->st;
	unsigned size = i->osz;
	unsigned iopl = (st->rflags & F_IOPL) >> 12;
	uint64_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
	uint64_t v;

	if ((st->rflags & F_VM) && iopl < 3)
		x86_gp(c, 0);
	v = x86_pop(c, size);
	if (!(st->cr0 & CR0_PE)) {
		mask |= F_IOPL | F_IF;
	} else if (st->rflags & F_VM) {
		mask |= F_IF;
	} else {
		if (c->cpl == 0)
			mask |= F_IOPL;
		if (c->cpl <= iopl)
			mask |= F_IF;
	}
	if (size == 2)
		mask &= 0xffff;
	x86_set_rflags(c, v, mask);
	st->rflags &= ~F_RF;
}

/* ---- conversions, flags, misc ----------------------------------------- */

static HANDLER(h_cbw)
{
	unsigned s = i->osz;
	gpr_write(c, X86_RAX, s, sign_extend(c->st->gpr[X86_RAX], s / 2));
}

static HANDLER(h_cwd)
{
	unsigned s = i->osz;
	uint64_t a = c->st->gpr[X86_RAX] & size_mask(s);
	gpr_write(c, X86_RDX, s, (a >> (s * 8 - 1)) ? ~0ull : 0);
}

static HANDLER(h_lahf)
{
	uint64_t f = (c->st->rflags & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2;
	c->st->gpr[X86_RAX] = (c->st->gpr[X86_RAX] & ~0xff00ull) | (f << 8);
}

static HANDLER(h_sahf)
{
	uint64_t m = F_SF | F_ZF | F_AF | F_PF | F_CF;
	uint64_t ah = (c->st->gpr[X86_RAX] >> 8) & 0xff;
	c->st->rflags = (c->st->rflags & ~m) | (ah & m);
}

static HANDLER(h_clc)
{
	c->st->rflags &= ~F_CF;
}
static HANDLER(h_stc)
{
	c->st->rflags |= F_CF;
}
static HANDLER(h_cmc)
{
	c->st->rflags ^= F_CF;
}
static HANDLER(h_cld)
{
	c->st->rflags &= ~F_DF;
}
static HANDLER(h_std)
{
	c->st->rflags |= F_DF;
}
static HANDLER(h_nop)
{
}

static HANDLER(h_xlat)
{
	uint64_t ea = c->st->gpr[X86_RBX] + (c->st->gpr[X86_RAX] & 0xff);
	ea &= size_mask(i->asz);
	gpr_write(c, X86_RAX, 1, mem_read(c, i->seg, ea, 1));
}

static HANDLER(h_movbe)
{
	uint64_t v = x86_op_read(c, i, 1);
	unsigned s = i->op[0].size;
	v = s == 8   ? __builtin_bswap64(v)
	    : s == 4 ? __builtin_bswap32((uint32_t)v)
		     : __builtin_bswap16((uint16_t)v);
	x86_op_write(c, i, 0, v);
}

/* ---- operand-form specialised MOVs ------------------------------------
 * MOV with 32/64-bit general registers, immediates and memory, chosen at
 * decode time (no operand-kind dispatch; same semantics as h_mov).
 */
#define MOV_SPEC(sz)                                                           \
	static HANDLER(h_mov_rr##sz)                                           \
	{                                                                      \
		uint64_t *g = c->st->gpr;                                      \
		g[i->op[0].reg] = g[i->op[1].reg] & size_mask(sz);             \
	}                                                                      \
	static HANDLER(h_mov_ri##sz)                                           \
	{                                                                      \
		c->st->gpr[i->op[0].reg] =                                     \
		    (uint64_t)i->op[1].disp & size_mask(sz);                   \
	}                                                                      \
	static HANDLER(h_mov_rm##sz)                                           \
	{                                                                      \
		const struct x86_op *s = &i->op[1];                            \
		c->st->gpr[i->op[0].reg] =                                     \
		    mem_read(c, s->seg, x86_ea(c, i, s), sz);                  \
	}                                                                      \
	static HANDLER(h_mov_mr##sz)                                           \
	{                                                                      \
		const struct x86_op *d = &i->op[0];                            \
		mem_write(c, d->seg, x86_ea(c, i, d), sz,                      \
			  c->st->gpr[i->op[1].reg] & size_mask(sz));           \
	}
MOV_SPEC(4)
MOV_SPEC(8)

static bool is_gpr(const struct x86_op *o)
{
	return o->kind == OPK_REG && o->rk == RK_GPR && o->reg < 16;
}

/* MOVZX/MOVSX/MOVSXD into a 32/64-bit register (source size at run time) */
static HANDLER(h_movzx_r)
{
	uint64_t *g = c->st->gpr;
	g[i->op[0].reg] = g[i->op[1].reg] & size_mask(i->op[1].size);
}
static HANDLER(h_movzx_m)
{
	const struct x86_op *s = &i->op[1];
	c->st->gpr[i->op[0].reg] =
	    mem_read(c, s->seg, x86_ea(c, i, s), s->size);
}
static HANDLER(h_movsx_r)
{
	uint64_t *g = c->st->gpr;
	g[i->op[0].reg] = sign_extend(g[i->op[1].reg], i->op[1].size) &
			  size_mask(i->op[0].size);
}
static HANDLER(h_movsx_m)
{
	const struct x86_op *s = &i->op[1];
	c->st->gpr[i->op[0].reg] =
	    sign_extend(mem_read(c, s->seg, x86_ea(c, i, s), s->size),
			s->size) &
	    size_mask(i->op[0].size);
}

x86_handler x86_data_specialise(const struct x86_insn *i)
{
	const struct x86_op *d = &i->op[0], *s = &i->op[1];
	bool q = d->size == 8;

	if ((i->fn == h_movzx || i->fn == h_movsx) && i->nops == 2 &&
	    !(i->pfx & PFX_LOCK) && is_gpr(d) &&
	    (d->size == 4 || d->size == 8) &&
	    (s->size == 1 || s->size == 2 || s->size == 4)) {
		bool zx = i->fn == h_movzx;
		if (is_gpr(s))
			return zx ? h_movzx_r : h_movsx_r;
		if (s->kind == OPK_MEM)
			return zx ? h_movzx_m : h_movsx_m;
		return NULL;
	}
	if (i->fn != h_mov || i->nops != 2 || (i->pfx & PFX_LOCK) ||
	    (d->size != 4 && d->size != 8) ||
	    (s->kind != OPK_IMM && s->size != d->size))
		return NULL;
	if (is_gpr(d) && is_gpr(s))
		return q ? h_mov_rr8 : h_mov_rr4;
	if (is_gpr(d) && s->kind == OPK_IMM)
		return q ? h_mov_ri8 : h_mov_ri4;
	if (is_gpr(d) && s->kind == OPK_MEM)
		return q ? h_mov_rm8 : h_mov_rm4;
	if (d->kind == OPK_MEM && is_gpr(s))
		return q ? h_mov_mr8 : h_mov_mr4;
	return NULL;
}

void x86_register_data(x86_handler *t)
{
	static const uint16_t cmov[] = {
	    ZYDIS_MNEMONIC_CMOVO,  ZYDIS_MNEMONIC_CMOVNO,
	    ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
	    ZYDIS_MNEMONIC_CMOVZ,  ZYDIS_MNEMONIC_CMOVNZ,
	    ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
	    ZYDIS_MNEMONIC_CMOVS,  ZYDIS_MNEMONIC_CMOVNS,
	    ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
	    ZYDIS_MNEMONIC_CMOVL,  ZYDIS_MNEMONIC_CMOVNL,
	    ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
	static const uint16_t setcc[] = {
	    ZYDIS_MNEMONIC_SETO,  ZYDIS_MNEMONIC_SETNO,	 ZYDIS_MNEMONIC_SETB,
	    ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_SETZ,	 ZYDIS_MNEMONIC_SETNZ,
	    ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
	    ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,	 ZYDIS_MNEMONIC_SETNP,
	    ZYDIS_MNEMONIC_SETL,  ZYDIS_MNEMONIC_SETNL,	 ZYDIS_MNEMONIC_SETLE,
	    ZYDIS_MNEMONIC_SETNLE};
	for (unsigned n = 0; n < 16; n++) {
		t[cmov[n]] = h_cmov;
		t[setcc[n]] = h_setcc;
	}
	t[ZYDIS_MNEMONIC_MOV] = h_mov;
	t[ZYDIS_MNEMONIC_MOVZX] = h_movzx;
	t[ZYDIS_MNEMONIC_MOVSX] = h_movsx;
	t[ZYDIS_MNEMONIC_MOVSXD] = h_movsx;
	t[ZYDIS_MNEMONIC_LEA] = h_lea;
	t[ZYDIS_MNEMONIC_XCHG] = h_xchg;
	t[ZYDIS_MNEMONIC_BSWAP] = h_bswap;
	t[ZYDIS_MNEMONIC_PUSH] = h_push;
	t[ZYDIS_MNEMONIC_POP] = h_pop;
	t[ZYDIS_MNEMONIC_PUSHA] = h_pusha;
	t[ZYDIS_MNEMONIC_PUSHAD] = h_pusha;
	t[ZYDIS_MNEMONIC_POPA] = h_popa;
	t[ZYDIS_MNEMONIC_POPAD] = h_popa;
	t[ZYDIS_MNEMONIC_ENTER] = h_enter;
	t[ZYDIS_MNEMONIC_LEAVE] = h_leave;
	t[ZYDIS_MNEMONIC_PUSHF] = h_pushf;
	t[ZYDIS_MNEMONIC_PUSHFD] = h_pushf;
	t[ZYDIS_MNEMONIC_PUSHFQ] = h_pushf;
	t[ZYDIS_MNEMONIC_POPF] = h_popf;
	t[ZYDIS_MNEMONIC_POPFD] = h_popf;
	t[ZYDIS_MNEMONIC_POPFQ] = h_popf;
	t[ZYDIS_MNEMONIC_CBW] = h_cbw;
	t[ZYDIS_MNEMONIC_CWDE] = h_cbw;
	t[ZYDIS_MNEMONIC_CDQE] = h_cbw;
	t[ZYDIS_MNEMONIC_CWD] = h_cwd;
	t[ZYDIS_MNEMONIC_CDQ] = h_cwd;
	t[ZYDIS_MNEMONIC_CQO] = h_cwd;
	t[ZYDIS_MNEMONIC_LAHF] = h_lahf;
	t[ZYDIS_MNEMONIC_SAHF] = h_sahf;
	t[ZYDIS_MNEMONIC_CLC] = h_clc;
	t[ZYDIS_MNEMONIC_STC] = h_stc;
	t[ZYDIS_MNEMONIC_CMC] = h_cmc;
	t[ZYDIS_MNEMONIC_CLD] = h_cld;
	t[ZYDIS_MNEMONIC_STD] = h_std;
	t[ZYDIS_MNEMONIC_NOP] = h_nop;
	t[ZYDIS_MNEMONIC_ENDBR32] = h_nop;
	t[ZYDIS_MNEMONIC_ENDBR64] = h_nop;
	t[ZYDIS_MNEMONIC_PREFETCH] = h_nop;
	t[ZYDIS_MNEMONIC_PREFETCHW] = h_nop;
	t[ZYDIS_MNEMONIC_PREFETCHNTA] = h_nop;
	t[ZYDIS_MNEMONIC_PREFETCHT0] = h_nop;
	t[ZYDIS_MNEMONIC_PREFETCHT1] = h_nop;
	t[ZYDIS_MNEMONIC_PREFETCHT2] = h_nop;
	t[ZYDIS_MNEMONIC_LFENCE] = h_nop;
	t[ZYDIS_MNEMONIC_SFENCE] = h_nop;
	t[ZYDIS_MNEMONIC_MFENCE] = h_nop;
	t[ZYDIS_MNEMONIC_XLAT] = h_xlat;
	t[ZYDIS_MNEMONIC_MOVBE] = h_movbe;
}
