// SPDX-License-Identifier: GPL-2.0
/*
 * Control transfer: JMP/Jcc/JCXZ/LOOPcc, near and far CALL/RET, IRET,
 * INT n/INT3/INTO/INT1, UD0/UD1/UD2.
 */
#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

/* Check and set a near branch target (SDM: #GP(0) outside CS limit or
 * non-canonical). */
static void branch(struct x86_core *c, const struct x86_insn *i, uint64_t t)
{
	if (c->long64) {
		if (i->osz == 2)
			t &= 0xffff;
		if (((int64_t)(t << 16) >> 16) != (int64_t)t)
			x86_gp(c, 0);
	} else {
		t &= size_mask(i->osz);
		if (t > c->st->seg[X86_CS].limit)
			x86_gp(c, 0);
	}
	c->next_rip = t;
}

static uint64_t rel_target(struct x86_core *c, const struct x86_insn *i)
{
	return c->next_rip + (uint64_t)i->op[0].disp;
}

static HANDLER(h_jmp)
{
	const struct x86_op *o = &i->op[0];
	if (o->kind == OPK_IMM)
		branch(c, i, rel_target(c, i));
	else
		branch(c, i, x86_op_read(c, i, 0));
}

static HANDLER(h_jcc)
{
	if (x86_cond(c->st->rflags, i->cc))
		branch(c, i, rel_target(c, i));
}

static HANDLER(h_jcxz)
{
	if (!(c->st->gpr[X86_RCX] & size_mask(i->asz)))
		branch(c, i, rel_target(c, i));
}

static void loop(struct x86_core *c, const struct x86_insn *i, int kind)
{
	uint64_t cx = (c->st->gpr[X86_RCX] - 1) & size_mask(i->asz);
	bool zf = c->st->rflags & F_ZF;
	bool take = cx != 0;
	if (kind > 0)
		take = take && zf; /* LOOPE */
	else if (kind < 0)
		take = take && !zf; /* LOOPNE */
	if (take)
		branch(c, i, rel_target(c, i));
	gpr_write(c, X86_RCX, i->asz, cx);
}

static HANDLER(h_loop)
{
	loop(c, i, 0);
}
static HANDLER(h_loope)
{
	loop(c, i, 1);
}
static HANDLER(h_loopne)
{
	loop(c, i, -1);
}

static HANDLER(h_call)
{
	const struct x86_op *o = &i->op[0];
	uint64_t ret = c->next_rip;
	uint64_t t =
	    o->kind == OPK_IMM ? rel_target(c, i) : x86_op_read(c, i, 0);
	branch(c, i, t); /* checks before the push */
	x86_push(c, i->osz, ret);
}

static HANDLER(h_ret)
{
	unsigned ssz = x86_stack_size(c);
	uint64_t sp = c->st->gpr[X86_RSP] & size_mask(ssz);
	uint64_t t = mem_read(c, X86_SS, sp, i->osz);
	uint64_t imm = i->nops ? (uint64_t)i->op[0].disp & 0xffff : 0;
	branch(c, i, t);
	gpr_write(c, X86_RSP, ssz, sp + i->osz + imm);
}

/* far operand: ptr16:16/32 immediate or m16:16/32/64 */
static void far_operand(struct x86_core *c, const struct x86_insn *i,
			uint16_t *sel, uint64_t *off)
{
	const struct x86_op *o = &i->op[0];
	if (o->kind == OPK_PTR) {
		*sel = (uint16_t)((uint64_t)o->disp >> 32);
		*off = (uint32_t)o->disp;
	} else if (o->kind == OPK_MEM) {
		uint64_t ea = x86_ea(c, i, o);
		unsigned osz = o->size > 2 ? o->size - 2 : i->osz;
		*off = mem_read(c, o->seg, ea, osz);
		*sel = mem_read(c, o->seg, (ea + osz) & size_mask(i->asz), 2);
	} else {
		x86_ud(c);
	}
}

static HANDLER(h_jmp_far)
{
	uint16_t sel;
	uint64_t off;
	far_operand(c, i, &sel, &off);
	x86_far_transfer(c, sel, off, false, i->osz);
}

static HANDLER(h_call_far)
{
	uint16_t sel;
	uint64_t off;
	far_operand(c, i, &sel, &off);
	x86_far_transfer(c, sel, off, true, i->osz);
}

static HANDLER(h_jmp_any)
{
	/* Zydis calls both near and far JMP "jmp"; far forms are EA, FF /5 */
	if (i->op[0].kind == OPK_PTR ||
	    (i->opcode == 0xff && i->modrm_reg == 5))
		h_jmp_far(c, i);
	else
		h_jmp(c, i);
}

static HANDLER(h_call_any)
{
	if (i->op[0].kind == OPK_PTR ||
	    (i->opcode == 0xff && i->modrm_reg == 3))
		h_call_far(c, i);
	else
		h_call(c, i);
}

HANDLER(x86_h_retf)
{
	uint16_t imm = i->nops ? (uint16_t)i->op[0].disp : 0;
	x86_far_return(c, i->osz, imm);
}

static HANDLER(h_iret)
{
	x86_iret(c, i->osz);
}

/*
 * INT n in virtual-8086 mode with CR4.VME: the TSS interrupt redirection
 * bitmap may send it to the 8086 handler in the IVT at linear 0 (SDM
 * 20.3.3, methods 5 and 6). KVM's real-mode-as-vm86 relies on this.
 */
static bool vm86_redirect(struct x86_core *c, uint8_t vec)
{
	struct x86_state *st = c->st;
	const struct x86_seg *tr = &st->seg[X86_TR];
	unsigned iopl = (st->rflags & F_IOPL) >> 12;
	uint64_t iomap, ent, sp, fl;
	uint64_t ssb = st->seg[X86_SS].base;

	if (!(st->cr4 & CR4_VME) || tr->limit < 0x67)
		return false;
	iomap = x86_sys_read(c, tr->base + 0x66, 2);
	if (iomap < 32 || iomap - 32 + vec / 8 > tr->limit)
		x86_gp(c, 0);
	if ((x86_sys_read(c, tr->base + iomap - 32 + vec / 8, 1) >> (vec & 7)) &
	    1)
		return false; /* redirection bit set: protected-mode IDT */
	ent = lin_read(c, vec * 4u, 4);
	fl = st->rflags & 0xffff;
	if (iopl < 3)
		fl = (fl & ~F_IF) | ((st->rflags & F_VIF) ? F_IF : 0) | F_IOPL;
	sp = st->gpr[X86_RSP];
	sp = (sp - 2) & 0xffff;
	lin_write(c, ssb + sp, 2, fl);
	sp = (sp - 2) & 0xffff;
	lin_write(c, ssb + sp, 2, st->seg[X86_CS].sel);
	sp = (sp - 2) & 0xffff;
	lin_write(c, ssb + sp, 2, c->next_rip);
	gpr_write(c, X86_RSP, 2, sp);
	x86_set_real_seg(c, X86_CS, ent >> 16);
	c->next_rip = ent & 0xffff;
	st->rflags &= ~(F_TF | F_RF);
	if (iopl == 3)
		st->rflags &= ~F_IF;
	else
		st->rflags &= ~F_VIF;
	return true;
}

static HANDLER(h_int)
{
	struct x86_state *st = c->st;
	uint8_t vec = (uint8_t)i->op[0].disp;
	if (st->rflags & F_VM) {
		if (vm86_redirect(c, vec))
			return;
		if (((st->rflags & F_IOPL) >> 12) < 3)
			x86_gp(c, 0);
	}
	x86_raise_sw(c, vec, X86_EVT_SW_INT);
}

static HANDLER(h_int3)
{
	x86_raise_sw(c, X86_EXC_BP, X86_EVT_SW_EXC);
}

static HANDLER(h_into)
{
	if (c->st->rflags & F_OF)
		x86_raise_sw(c, X86_EXC_OF, X86_EVT_SW_EXC);
}

static HANDLER(h_int1)
{
	x86_raise_sw(c, X86_EXC_DB, X86_EVT_PRIV_SW_EXC);
}

static HANDLER(h_ud)
{
	x86_ud(c);
}

/* Jcc specialised per condition at decode time: the condition folds to a
 * test of one or two RFLAGS bits. */
static inline __attribute__((always_inline)) bool cond_of(uint64_t fl,
							  unsigned cc)
{
	bool r;
	switch (cc >> 1) {
	case 0:
		r = fl & F_OF;
		break;
	case 1:
		r = fl & F_CF;
		break;
	case 2:
		r = fl & F_ZF;
		break;
	case 3:
		r = fl & (F_CF | F_ZF);
		break;
	case 4:
		r = fl & F_SF;
		break;
	case 5:
		r = fl & F_PF;
		break;
	case 6:
		r = !(fl & F_SF) != !(fl & F_OF);
		break;
	default:
		r = (fl & F_ZF) || (!(fl & F_SF) != !(fl & F_OF));
		break;
	}
	return (cc & 1) ? !r : r;
}

#define JCC_SPEC(n)                                                            \
	static HANDLER(h_jcc_##n)                                              \
	{                                                                      \
		if (cond_of(c->st->rflags, n))                                 \
			branch(c, i, rel_target(c, i));                        \
	}
JCC_SPEC(0)
JCC_SPEC(1)
JCC_SPEC(2)
JCC_SPEC(3)
JCC_SPEC(4)
JCC_SPEC(5)
JCC_SPEC(6)
JCC_SPEC(7)
JCC_SPEC(8)
JCC_SPEC(9)
JCC_SPEC(10)
JCC_SPEC(11)
JCC_SPEC(12)
JCC_SPEC(13)
JCC_SPEC(14)
JCC_SPEC(15)

x86_handler x86_control_specialise(const struct x86_insn *i)
{
	static const x86_handler jcc[16] = {
	    h_jcc_0,  h_jcc_1,	h_jcc_2,  h_jcc_3, h_jcc_4,  h_jcc_5,
	    h_jcc_6,  h_jcc_7,	h_jcc_8,  h_jcc_9, h_jcc_10, h_jcc_11,
	    h_jcc_12, h_jcc_13, h_jcc_14, h_jcc_15};

	if (i->fn == h_jcc && i->nops == 1 && i->op[0].kind == OPK_IMM)
		return jcc[i->cc & 15];
	return NULL;
}

void x86_register_control(x86_handler *t)
{
	static const uint16_t jcc[] = {
	    ZYDIS_MNEMONIC_JO,	ZYDIS_MNEMONIC_JNO,  ZYDIS_MNEMONIC_JB,
	    ZYDIS_MNEMONIC_JNB, ZYDIS_MNEMONIC_JZ,   ZYDIS_MNEMONIC_JNZ,
	    ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_JS,
	    ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,   ZYDIS_MNEMONIC_JNP,
	    ZYDIS_MNEMONIC_JL,	ZYDIS_MNEMONIC_JNL,  ZYDIS_MNEMONIC_JLE,
	    ZYDIS_MNEMONIC_JNLE};
	for (unsigned n = 0; n < 16; n++)
		t[jcc[n]] = h_jcc;
	t[ZYDIS_MNEMONIC_JMP] = h_jmp_any;
	t[ZYDIS_MNEMONIC_JCXZ] = h_jcxz;
	t[ZYDIS_MNEMONIC_JECXZ] = h_jcxz;
	t[ZYDIS_MNEMONIC_JRCXZ] = h_jcxz;
	t[ZYDIS_MNEMONIC_LOOP] = h_loop;
	t[ZYDIS_MNEMONIC_LOOPE] = h_loope;
	t[ZYDIS_MNEMONIC_LOOPNE] = h_loopne;
	t[ZYDIS_MNEMONIC_CALL] = h_call_any;
	t[ZYDIS_MNEMONIC_RET] = h_ret;
	t[ZYDIS_MNEMONIC_IRET] = h_iret;
	t[ZYDIS_MNEMONIC_IRETD] = h_iret;
	t[ZYDIS_MNEMONIC_IRETQ] = h_iret;
	t[ZYDIS_MNEMONIC_INT] = h_int;
	t[ZYDIS_MNEMONIC_INT3] = h_int3;
	t[ZYDIS_MNEMONIC_INTO] = h_into;
	t[ZYDIS_MNEMONIC_INT1] = h_int1;
	t[ZYDIS_MNEMONIC_UD0] = h_ud;
	t[ZYDIS_MNEMONIC_UD1] = h_ud;
	t[ZYDIS_MNEMONIC_UD2] = h_ud;
}
