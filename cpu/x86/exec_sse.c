// SPDX-License-Identifier: GPL-2.0
/*
 * SSE/SSE2 (legacy encodings, XMM registers; no MMX forms): moves, logic,
 * packed integer arithmetic/compare/shift/shuffle/pack, scalar and packed
 * single/double arithmetic, compares and conversions, MXCSR, FXSAVE and
 * FXRSTOR. Floating point runs on the host's SSE unit with the guest's
 * rounding mode; exception flags are accumulated into MXCSR, unmasked
 * SIMD exceptions (#XM) are not raised (see FEATURES.md).
 */
#include <immintrin.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

typedef union {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t d[4];
	uint64_t q[2];
	int8_t sb[16];
	int16_t sw[8];
	int32_t sd[4];
	int64_t sq[2];
	float f[4];
	double fd[2];
} v128;

void x86_fpu_ensure(struct x86_state *st)
{
	struct x86_fpu *f = &st->fpu;
	if (f->inited)
		return;
	memset(f, 0, sizeof(*f));
	f->inited = true;
	f->fcw = 0x37f;
	f->mxcsr = 0x1f80;
}

/* #UD without CR4.OSFXSR or with CR0.EM; #NM with CR0.TS. */
static void sse_check(struct x86_core *c)
{
	if ((c->st->cr0 & CR0_EM) || !(c->st->cr4 & CR4_OSFXSR))
		x86_ud(c);
	if (c->st->cr0 & CR0_TS)
		x86_raise(c, X86_EXC_NM, false, 0);
}

/*
 * MMX registers alias the x87 mantissas: an MMX instruction makes the x87
 * stack "all valid, TOP 0"; writes set the exponent bits to all ones.
 */
static bool has_mmx(const struct x86_insn *i)
{
	for (unsigned n = 0; n < i->nops; n++)
		if (i->op[n].kind == OPK_REG && i->op[n].rk == RK_MMX)
			return true;
	return false;
}

static void mmx_enter(struct x86_core *c)
{
	struct x86_fpu *f = &c->st->fpu;
	if (c->st->cr0 & CR0_EM)
		x86_ud(c);
	if (c->st->cr0 & CR0_TS)
		x86_raise(c, X86_EXC_NM, false, 0);
	f->fsw &= ~(7u << 11);
	f->ftw = 0xff;
}

/* The gate for every SSE/MMX handler. Returns true for an MMX form. */
static bool vec_check(struct x86_core *c, const struct x86_insn *i)
{
	if (has_mmx(i)) {
		mmx_enter(c);
		return true;
	}
	sse_check(c);
	return false;
}

static bool needs_alignment(uint16_t mn)
{
	switch (mn) {
	case ZYDIS_MNEMONIC_MOVUPS:
	case ZYDIS_MNEMONIC_MOVUPD:
	case ZYDIS_MNEMONIC_MOVDQU:
	case ZYDIS_MNEMONIC_LDDQU:
		return false;
	default:
		return true;
	}
}

static uint8_t *xmm(struct x86_core *c, unsigned r)
{
	return c->st->fpu.xmm[r & 15];
}

/* Read operand n as up to 16 bytes (zero-extended). */
static void vread(struct x86_core *c, const struct x86_insn *i, unsigned n,
		  v128 *v)
{
	const struct x86_op *o = &i->op[n];
	memset(v, 0, sizeof(*v));
	switch (o->kind) {
	case OPK_REG:
		if (o->rk == RK_XMM) {
			memcpy(v, xmm(c, o->reg), 16);
			return;
		}
		if (o->rk == RK_GPR) {
			v->q[0] = gpr_read(c, o->reg, o->size);
			return;
		}
		if (o->rk == RK_MMX) {
			memcpy(&v->q[0], c->st->fpu.st[o->reg & 7], 8);
			return;
		}
		x86_unimplemented(c, "vector operand");
	case OPK_MEM: {
		uint64_t ea = x86_ea(c, i, o);
		unsigned size = o->size;
		if (size == 16) {
			if ((ea + c->st->seg[o->seg].base) & 15 &&
			    needs_alignment(i->mnemonic))
				x86_gp(c, 0);
			v->q[0] = mem_read(c, o->seg, ea, 8);
			v->q[1] = mem_read(c, o->seg,
					   (ea + 8) & size_mask(i->asz), 8);
		} else if (size == 1 || size == 2 || size == 4 || size == 8) {
			v->q[0] = mem_read(c, o->seg, ea, size);
		} else {
			x86_unimplemented(c, "SSE memory operand size");
		}
		return;
	}
	case OPK_IMM:
		v->q[0] = (uint64_t)o->disp;
		return;
	default:
		x86_unimplemented(c, "SSE operand");
	}
}

/* Write `size` bytes of v to operand n (XMM: only those bytes). */
static void vwrite(struct x86_core *c, const struct x86_insn *i, unsigned n,
		   const v128 *v, unsigned size)
{
	const struct x86_op *o = &i->op[n];
	switch (o->kind) {
	case OPK_REG:
		if (o->rk == RK_XMM) {
			memcpy(xmm(c, o->reg), v, size);
			return;
		}
		if (o->rk == RK_GPR) {
			gpr_write(c, o->reg, o->size, v->q[0]);
			return;
		}
		if (o->rk == RK_MMX) {
			uint8_t *r = c->st->fpu.st[o->reg & 7];
			memcpy(r, &v->q[0], 8);
			r[8] = r[9] = 0xff;
			return;
		}
		x86_unimplemented(c, "vector operand");
	case OPK_MEM: {
		uint64_t ea = x86_ea(c, i, o);
		if (size == 16) {
			if ((ea + c->st->seg[o->seg].base) & 15 &&
			    needs_alignment(i->mnemonic))
				x86_gp(c, 0);
			x86_mem_probe_write(c, o->seg, ea, 16);
			mem_write(c, o->seg, ea, 8, v->q[0]);
			mem_write(c, o->seg, (ea + 8) & size_mask(i->asz), 8,
				  v->q[1]);
		} else {
			mem_write(c, o->seg, ea, size, v->q[0]);
		}
		return;
	}
	default:
		x86_unimplemented(c, "SSE operand");
	}
}

static bool is_xmm(const struct x86_op *o)
{
	return o->kind == OPK_REG && o->rk == RK_XMM;
}

/* ---- moves -------------------------------------------------------------- */

static HANDLER(h_mov128)
{
	v128 v;
	sse_check(c);
	vread(c, i, 1, &v);
	vwrite(c, i, 0, &v, 16);
}

/* MOVD/MOVQ: to XMM zero-extends; from XMM stores the low 4/8 bytes. */
static HANDLER(h_movdq)
{
	v128 v;
	unsigned size = i->mnemonic == ZYDIS_MNEMONIC_MOVD ? 4 : 8;
	if (vec_check(c, i)) {
		/* MMX: MOVD zero-extends into the 64-bit register */
		vread(c, i, 1, &v);
		if (size == 4)
			v.q[0] &= 0xffffffffu;
		vwrite(c, i, 0, &v, i->op[0].kind == OPK_MEM ? size : 8);
		return;
	}
	vread(c, i, 1, &v);
	if (size == 4)
		v.q[0] &= 0xffffffffu;
	v.q[1] = 0;
	if (is_xmm(&i->op[0]))
		vwrite(c, i, 0, &v, 16);
	else
		vwrite(c, i, 0, &v, size);
}

/* MOVSS/MOVSD (SSE): memory source zeroes the rest, register merges. */
static void movs_scalar(struct x86_core *c, const struct x86_insn *i,
			unsigned size)
{
	v128 v;
	sse_check(c);
	vread(c, i, 1, &v);
	if (is_xmm(&i->op[0]) && i->op[1].kind == OPK_MEM)
		vwrite(c, i, 0, &v, 16);
	else
		vwrite(c, i, 0, &v, size);
}

static HANDLER(h_movss)
{
	movs_scalar(c, i, 4);
}
static HANDLER(h_movsd_sse)
{
	movs_scalar(c, i, 8);
}

/* MOVLPS/MOVLPD/MOVHPS/MOVHPD/MOVHLPS/MOVLHPS */
static HANDLER(h_movlh)
{
	v128 d, s;
	bool high = i->mnemonic == ZYDIS_MNEMONIC_MOVHPS ||
		    i->mnemonic == ZYDIS_MNEMONIC_MOVHPD;
	sse_check(c);
	vread(c, i, 1, &s);
	if (!is_xmm(&i->op[0])) { /* store */
		v128 o = {0};
		o.q[0] = high ? s.q[1] : s.q[0];
		vwrite(c, i, 0, &o, 8);
		return;
	}
	vread(c, i, 0, &d);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_MOVHLPS:
		d.q[0] = s.q[1];
		break;
	case ZYDIS_MNEMONIC_MOVLHPS:
		d.q[1] = s.q[0];
		break;
	default:
		if (high)
			d.q[1] = s.q[0];
		else
			d.q[0] = s.q[0];
	}
	vwrite(c, i, 0, &d, 16);
}

static HANDLER(h_movmsk)
{
	v128 s;
	uint64_t m = 0;
	unsigned nb = vec_check(c, i) ? 8 : 16;
	vread(c, i, 1, &s);
	if (i->mnemonic == ZYDIS_MNEMONIC_PMOVMSKB) {
		for (unsigned n = 0; n < nb; n++)
			m |= (uint64_t)(s.b[n] >> 7) << n;
	} else if (i->mnemonic == ZYDIS_MNEMONIC_MOVMSKPS) {
		for (unsigned n = 0; n < 4; n++)
			m |= (uint64_t)(s.d[n] >> 31) << n;
	} else {
		for (unsigned n = 0; n < 2; n++)
			m |= (s.q[n] >> 63) << n;
	}
	gpr_write(c, i->op[0].reg, i->op[0].size, m);
}

static HANDLER(h_emms)
{
	if (c->st->cr0 & CR0_EM)
		x86_ud(c);
	if (c->st->cr0 & CR0_TS)
		x86_raise(c, X86_EXC_NM, false, 0);
	c->st->fpu.ftw = 0;
}

static HANDLER(h_movntq)
{
	v128 v;
	vec_check(c, i);
	vread(c, i, 1, &v);
	vwrite(c, i, 0, &v, 8);
}

static HANDLER(h_movnti)
{
	x86_op_write(c, i, 0, x86_op_read(c, i, 1));
}

/* ---- packed integer ------------------------------------------------------ */

enum pop {
	P_AND,
	P_ANDN,
	P_OR,
	P_XOR,
	P_ADDB,
	P_ADDW,
	P_ADDD,
	P_ADDQ,
	P_SUBB,
	P_SUBW,
	P_SUBD,
	P_SUBQ,
	P_ADDUSB,
	P_ADDUSW,
	P_SUBUSB,
	P_SUBUSW,
	P_ADDSB,
	P_ADDSW,
	P_SUBSB,
	P_SUBSW,
	P_CMPEQB,
	P_CMPEQW,
	P_CMPEQD,
	P_CMPGTB,
	P_CMPGTW,
	P_CMPGTD,
	P_MINUB,
	P_MAXUB,
	P_MINSW,
	P_MAXSW,
	P_AVGB,
	P_AVGW,
	P_MULLW,
	P_MULHW,
	P_MULHUW,
	P_MULUDQ,
	P_MADDWD,
	P_SADBW,
	P_UNPCKLBW,
	P_UNPCKLWD,
	P_UNPCKLDQ,
	P_UNPCKLQDQ,
	P_UNPCKHBW,
	P_UNPCKHWD,
	P_UNPCKHDQ,
	P_UNPCKHQDQ,
	P_PACKSSWB,
	P_PACKSSDW,
	P_PACKUSWB,
	P_NR
};

static int sat(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void pint(v128 *d, const v128 *s, unsigned op)
{
	v128 r = *d;
	unsigned n;
	switch (op) {
	case P_AND:
		r.q[0] &= s->q[0], r.q[1] &= s->q[1];
		break;
	case P_ANDN:
		r.q[0] = ~d->q[0] & s->q[0], r.q[1] = ~d->q[1] & s->q[1];
		break;
	case P_OR:
		r.q[0] |= s->q[0], r.q[1] |= s->q[1];
		break;
	case P_XOR:
		r.q[0] ^= s->q[0], r.q[1] ^= s->q[1];
		break;
	case P_ADDB:
		for (n = 0; n < 16; n++)
			r.b[n] = d->b[n] + s->b[n];
		break;
	case P_ADDW:
		for (n = 0; n < 8; n++)
			r.w[n] = d->w[n] + s->w[n];
		break;
	case P_ADDD:
		for (n = 0; n < 4; n++)
			r.d[n] = d->d[n] + s->d[n];
		break;
	case P_ADDQ:
		for (n = 0; n < 2; n++)
			r.q[n] = d->q[n] + s->q[n];
		break;
	case P_SUBB:
		for (n = 0; n < 16; n++)
			r.b[n] = d->b[n] - s->b[n];
		break;
	case P_SUBW:
		for (n = 0; n < 8; n++)
			r.w[n] = d->w[n] - s->w[n];
		break;
	case P_SUBD:
		for (n = 0; n < 4; n++)
			r.d[n] = d->d[n] - s->d[n];
		break;
	case P_SUBQ:
		for (n = 0; n < 2; n++)
			r.q[n] = d->q[n] - s->q[n];
		break;
	case P_ADDUSB:
		for (n = 0; n < 16; n++)
			r.b[n] = sat(d->b[n] + s->b[n], 0, 255);
		break;
	case P_ADDUSW:
		for (n = 0; n < 8; n++)
			r.w[n] = sat(d->w[n] + s->w[n], 0, 65535);
		break;
	case P_SUBUSB:
		for (n = 0; n < 16; n++)
			r.b[n] = sat(d->b[n] - s->b[n], 0, 255);
		break;
	case P_SUBUSW:
		for (n = 0; n < 8; n++)
			r.w[n] = sat(d->w[n] - s->w[n], 0, 65535);
		break;
	case P_ADDSB:
		for (n = 0; n < 16; n++)
			r.sb[n] = sat(d->sb[n] + s->sb[n], -128, 127);
		break;
	case P_ADDSW:
		for (n = 0; n < 8; n++)
			r.sw[n] = sat(d->sw[n] + s->sw[n], -32768, 32767);
		break;
	case P_SUBSB:
		for (n = 0; n < 16; n++)
			r.sb[n] = sat(d->sb[n] - s->sb[n], -128, 127);
		break;
	case P_SUBSW:
		for (n = 0; n < 8; n++)
			r.sw[n] = sat(d->sw[n] - s->sw[n], -32768, 32767);
		break;
	case P_CMPEQB:
		for (n = 0; n < 16; n++)
			r.b[n] = d->b[n] == s->b[n] ? 0xff : 0;
		break;
	case P_CMPEQW:
		for (n = 0; n < 8; n++)
			r.w[n] = d->w[n] == s->w[n] ? 0xffff : 0;
		break;
	case P_CMPEQD:
		for (n = 0; n < 4; n++)
			r.d[n] = d->d[n] == s->d[n] ? ~0u : 0;
		break;
	case P_CMPGTB:
		for (n = 0; n < 16; n++)
			r.b[n] = d->sb[n] > s->sb[n] ? 0xff : 0;
		break;
	case P_CMPGTW:
		for (n = 0; n < 8; n++)
			r.w[n] = d->sw[n] > s->sw[n] ? 0xffff : 0;
		break;
	case P_CMPGTD:
		for (n = 0; n < 4; n++)
			r.d[n] = d->sd[n] > s->sd[n] ? ~0u : 0;
		break;
	case P_MINUB:
		for (n = 0; n < 16; n++)
			r.b[n] = d->b[n] < s->b[n] ? d->b[n] : s->b[n];
		break;
	case P_MAXUB:
		for (n = 0; n < 16; n++)
			r.b[n] = d->b[n] > s->b[n] ? d->b[n] : s->b[n];
		break;
	case P_MINSW:
		for (n = 0; n < 8; n++)
			r.sw[n] = d->sw[n] < s->sw[n] ? d->sw[n] : s->sw[n];
		break;
	case P_MAXSW:
		for (n = 0; n < 8; n++)
			r.sw[n] = d->sw[n] > s->sw[n] ? d->sw[n] : s->sw[n];
		break;
	case P_AVGB:
		for (n = 0; n < 16; n++)
			r.b[n] = (d->b[n] + s->b[n] + 1) >> 1;
		break;
	case P_AVGW:
		for (n = 0; n < 8; n++)
			r.w[n] = (d->w[n] + s->w[n] + 1) >> 1;
		break;
	case P_MULLW:
		for (n = 0; n < 8; n++)
			r.w[n] = (uint16_t)(d->sw[n] * s->sw[n]);
		break;
	case P_MULHW:
		for (n = 0; n < 8; n++)
			r.w[n] = (uint16_t)((d->sw[n] * s->sw[n]) >> 16);
		break;
	case P_MULHUW:
		for (n = 0; n < 8; n++)
			r.w[n] =
			    (uint16_t)(((uint32_t)d->w[n] * s->w[n]) >> 16);
		break;
	case P_MULUDQ:
		r.q[0] = (uint64_t)d->d[0] * s->d[0];
		r.q[1] = (uint64_t)d->d[2] * s->d[2];
		break;
	case P_MADDWD:
		/* int64: -32768 * -32768 * 2 overflows int */
		for (n = 0; n < 4; n++)
			r.d[n] =
			    (uint32_t)((int64_t)d->sw[2 * n] * s->sw[2 * n] +
				       (int64_t)d->sw[2 * n + 1] *
					   s->sw[2 * n + 1]);
		break;
	case P_SADBW:
		for (n = 0; n < 2; n++) {
			unsigned sum = 0;
			for (unsigned k = 0; k < 8; k++) {
				int x = d->b[8 * n + k] - s->b[8 * n + k];
				sum += x < 0 ? -x : x;
			}
			r.q[n] = sum;
		}
		break;
	case P_UNPCKLBW:
		for (n = 0; n < 8; n++)
			r.b[2 * n] = d->b[n], r.b[2 * n + 1] = s->b[n];
		break;
	case P_UNPCKHBW:
		for (n = 0; n < 8; n++)
			r.b[2 * n] = d->b[n + 8], r.b[2 * n + 1] = s->b[n + 8];
		break;
	case P_UNPCKLWD:
		for (n = 0; n < 4; n++)
			r.w[2 * n] = d->w[n], r.w[2 * n + 1] = s->w[n];
		break;
	case P_UNPCKHWD:
		for (n = 0; n < 4; n++)
			r.w[2 * n] = d->w[n + 4], r.w[2 * n + 1] = s->w[n + 4];
		break;
	case P_UNPCKLDQ:
		r.d[0] = d->d[0], r.d[1] = s->d[0], r.d[2] = d->d[1],
		r.d[3] = s->d[1];
		break;
	case P_UNPCKHDQ:
		r.d[0] = d->d[2], r.d[1] = s->d[2], r.d[2] = d->d[3],
		r.d[3] = s->d[3];
		break;
	case P_UNPCKLQDQ:
		r.q[0] = d->q[0], r.q[1] = s->q[0];
		break;
	case P_UNPCKHQDQ:
		r.q[0] = d->q[1], r.q[1] = s->q[1];
		break;
	case P_PACKSSWB:
		for (n = 0; n < 8; n++) {
			r.sb[n] = sat(d->sw[n], -128, 127);
			r.sb[n + 8] = sat(s->sw[n], -128, 127);
		}
		break;
	case P_PACKUSWB:
		for (n = 0; n < 8; n++) {
			r.b[n] = sat(d->sw[n], 0, 255);
			r.b[n + 8] = sat(s->sw[n], 0, 255);
		}
		break;
	case P_PACKSSDW:
		for (n = 0; n < 4; n++) {
			r.sw[n] = sat(d->sd[n] < -32768	 ? -32768
				      : d->sd[n] > 32767 ? 32767
							 : d->sd[n],
				      -32768, 32767);
			r.sw[n + 4] = sat(s->sd[n] < -32768  ? -32768
					  : s->sd[n] > 32767 ? 32767
							     : s->sd[n],
					  -32768, 32767);
		}
		break;
	}
	*d = r;
}

static uint8_t pint_op[ZYDIS_MNEMONIC_MAX_VALUE + 1];

static HANDLER(h_pint)
{
	v128 d, s;
	unsigned op = pint_op[i->mnemonic];
	if (!vec_check(c, i)) {
		vread(c, i, 0, &d);
		vread(c, i, 1, &s);
		pint(&d, &s, op);
		vwrite(c, i, 0, &d, 16);
		return;
	}
	/* MMX: 64-bit lanes; high unpacks take the upper halves and packs
	 * put the second source in the upper half */
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	switch (op) {
	case P_UNPCKHBW:
	case P_UNPCKHWD:
	case P_UNPCKHDQ:
		d.q[0] >>= 32;
		s.q[0] >>= 32;
		op = op == P_UNPCKHBW	? P_UNPCKLBW
		     : op == P_UNPCKHWD ? P_UNPCKLWD
					: P_UNPCKLDQ;
		break;
	case P_PACKSSWB:
	case P_PACKSSDW:
	case P_PACKUSWB:
		d.q[1] = s.q[0];
		s = d;
		break;
	case P_UNPCKLQDQ:
	case P_UNPCKHQDQ:
		x86_ud(c);
	default:
		break;
	}
	pint(&d, &s, op);
	vwrite(c, i, 0, &d, 8);
}

/* PSLL/PSRL/PSRA W/D/Q by xmm/m128 or imm8; PSLLDQ/PSRLDQ by bytes. */
static HANDLER(h_pshift)
{
	v128 d, s;
	uint64_t cnt;
	unsigned n;
	uint16_t mn = i->mnemonic;

	bool mmx = vec_check(c, i);
	if (mmx && (mn == ZYDIS_MNEMONIC_PSLLDQ || mn == ZYDIS_MNEMONIC_PSRLDQ))
		x86_ud(c);
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	cnt = i->op[1].kind == OPK_IMM ? (s.q[0] & 0xff) : s.q[0];
	switch (mn) {
	case ZYDIS_MNEMONIC_PSLLW:
		for (n = 0; n < 8; n++)
			d.w[n] = cnt > 15 ? 0 : d.w[n] << cnt;
		break;
	case ZYDIS_MNEMONIC_PSLLD:
		for (n = 0; n < 4; n++)
			d.d[n] = cnt > 31 ? 0 : d.d[n] << cnt;
		break;
	case ZYDIS_MNEMONIC_PSLLQ:
		for (n = 0; n < 2; n++)
			d.q[n] = cnt > 63 ? 0 : d.q[n] << cnt;
		break;
	case ZYDIS_MNEMONIC_PSRLW:
		for (n = 0; n < 8; n++)
			d.w[n] = cnt > 15 ? 0 : d.w[n] >> cnt;
		break;
	case ZYDIS_MNEMONIC_PSRLD:
		for (n = 0; n < 4; n++)
			d.d[n] = cnt > 31 ? 0 : d.d[n] >> cnt;
		break;
	case ZYDIS_MNEMONIC_PSRLQ:
		for (n = 0; n < 2; n++)
			d.q[n] = cnt > 63 ? 0 : d.q[n] >> cnt;
		break;
	case ZYDIS_MNEMONIC_PSRAW:
		for (n = 0; n < 8; n++)
			d.sw[n] = d.sw[n] >> (cnt > 15 ? 15 : cnt);
		break;
	case ZYDIS_MNEMONIC_PSRAD:
		for (n = 0; n < 4; n++)
			d.sd[n] = d.sd[n] >> (cnt > 31 ? 31 : cnt);
		break;
	case ZYDIS_MNEMONIC_PSLLDQ: {
		v128 r = {0};
		if (cnt < 16)
			memcpy(&r.b[cnt], d.b, 16 - cnt);
		d = r;
		break;
	}
	default: { /* PSRLDQ */
		v128 r = {0};
		if (cnt < 16)
			memcpy(r.b, &d.b[cnt], 16 - cnt);
		d = r;
		break;
	}
	}
	vwrite(c, i, 0, &d, mmx ? 8 : 16);
}

static HANDLER(h_pshuf)
{
	v128 s, r;
	unsigned imm = (unsigned)i->op[2].disp & 0xff, n;
	if (vec_check(c, i) || i->mnemonic == ZYDIS_MNEMONIC_PSHUFW) {
		vread(c, i, 1, &s);
		r = s;
		for (n = 0; n < 4; n++)
			r.w[n] = s.w[(imm >> (2 * n)) & 3];
		vwrite(c, i, 0, &r, 8);
		return;
	}
	vread(c, i, 1, &s);
	r = s;
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_PSHUFD:
		for (n = 0; n < 4; n++)
			r.d[n] = s.d[(imm >> (2 * n)) & 3];
		break;
	case ZYDIS_MNEMONIC_PSHUFLW:
		for (n = 0; n < 4; n++)
			r.w[n] = s.w[(imm >> (2 * n)) & 3];
		break;
	default: /* PSHUFHW */
		for (n = 0; n < 4; n++)
			r.w[4 + n] = s.w[4 + ((imm >> (2 * n)) & 3)];
		break;
	}
	vwrite(c, i, 0, &r, 16);
}

static HANDLER(h_shufp)
{
	v128 d, s, r;
	unsigned imm = (unsigned)i->op[2].disp & 0xff;
	sse_check(c);
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	if (i->mnemonic == ZYDIS_MNEMONIC_SHUFPS) {
		r.d[0] = d.d[imm & 3];
		r.d[1] = d.d[(imm >> 2) & 3];
		r.d[2] = s.d[(imm >> 4) & 3];
		r.d[3] = s.d[(imm >> 6) & 3];
	} else {
		r.q[0] = d.q[imm & 1];
		r.q[1] = s.q[(imm >> 1) & 1];
	}
	vwrite(c, i, 0, &r, 16);
}

static HANDLER(h_pinsrw)
{
	v128 d;
	unsigned imm = (unsigned)i->op[2].disp & 7;
	uint16_t v = (uint16_t)x86_op_read(c, i, 1);
	bool mmx = vec_check(c, i);
	vread(c, i, 0, &d);
	d.w[mmx ? imm & 3 : imm] = v;
	vwrite(c, i, 0, &d, mmx ? 8 : 16);
}

static HANDLER(h_pextrw)
{
	v128 s;
	unsigned imm = (unsigned)i->op[2].disp & 7;
	if (vec_check(c, i))
		imm &= 3;
	vread(c, i, 1, &s);
	gpr_write(c, i->op[0].reg, i->op[0].size, s.w[imm]);
}

/* ---- floating point ------------------------------------------------------ */

/*
 * Floating point runs on the host's SSE unit (the host is x86-64, so
 * SSE2 is baseline) with the guest's MXCSR control bits (RC, DAZ, FTZ)
 * loaded and every exception masked; the flags it raises are ORed into
 * the guest MXCSR. Results, NaN propagation and flags are the silicon's.
 * The empty asm statements pin operands between the MXCSR switches.
 */
#define PIN(x)	__asm__ volatile("" : "+x"(x))
#define PINR(x) __asm__ volatile("" : "+r"(x))

static uint32_t fp_begin(struct x86_core *c)
{
	uint32_t host = _mm_getcsr();
	_mm_setcsr((c->st->fpu.mxcsr & ~0x3fu) | 0x1f80u);
	return host;
}

static void fp_end(struct x86_core *c, uint32_t host)
{
	c->st->fpu.mxcsr |= _mm_getcsr() & 0x3fu;
	_mm_setcsr(host);
}

enum fop { F_ADD, F_SUB, F_MUL, F_DIV, F_MIN, F_MAX, F_SQRT };

static uint8_t fp_op[ZYDIS_MNEMONIC_MAX_VALUE + 1];
/* shape: 0 = PS, 1 = PD, 2 = SS, 3 = SD */
static uint8_t fp_shape[ZYDIS_MNEMONIC_MAX_VALUE + 1];

static __m128 ops_ps(unsigned op, __m128 a, __m128 b)
{
	switch (op) {
	case F_ADD:
		return _mm_add_ps(a, b);
	case F_SUB:
		return _mm_sub_ps(a, b);
	case F_MUL:
		return _mm_mul_ps(a, b);
	case F_DIV:
		return _mm_div_ps(a, b);
	case F_MIN:
		return _mm_min_ps(a, b);
	case F_MAX:
		return _mm_max_ps(a, b);
	default:
		return _mm_sqrt_ps(b);
	}
}

static __m128 ops_ss(unsigned op, __m128 a, __m128 b)
{
	switch (op) {
	case F_ADD:
		return _mm_add_ss(a, b);
	case F_SUB:
		return _mm_sub_ss(a, b);
	case F_MUL:
		return _mm_mul_ss(a, b);
	case F_DIV:
		return _mm_div_ss(a, b);
	case F_MIN:
		return _mm_min_ss(a, b);
	case F_MAX:
		return _mm_max_ss(a, b);
	default:
		return _mm_move_ss(a, _mm_sqrt_ss(b));
	}
}

static __m128d ops_pd(unsigned op, __m128d a, __m128d b)
{
	switch (op) {
	case F_ADD:
		return _mm_add_pd(a, b);
	case F_SUB:
		return _mm_sub_pd(a, b);
	case F_MUL:
		return _mm_mul_pd(a, b);
	case F_DIV:
		return _mm_div_pd(a, b);
	case F_MIN:
		return _mm_min_pd(a, b);
	case F_MAX:
		return _mm_max_pd(a, b);
	default:
		return _mm_sqrt_pd(b);
	}
}

static __m128d ops_sd(unsigned op, __m128d a, __m128d b)
{
	switch (op) {
	case F_ADD:
		return _mm_add_sd(a, b);
	case F_SUB:
		return _mm_sub_sd(a, b);
	case F_MUL:
		return _mm_mul_sd(a, b);
	case F_DIV:
		return _mm_div_sd(a, b);
	case F_MIN:
		return _mm_min_sd(a, b);
	case F_MAX:
		return _mm_max_sd(a, b);
	default:
		return _mm_sqrt_sd(a, b);
	}
}

static HANDLER(h_fparith)
{
	v128 d, s;
	unsigned op = fp_op[i->mnemonic], shape = fp_shape[i->mnemonic];
	uint32_t host;
	sse_check(c);
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	if (shape == 0 || shape == 2) {
		__m128 a = _mm_loadu_ps(d.f), b = _mm_loadu_ps(s.f), r;
		host = fp_begin(c);
		PIN(a);
		PIN(b);
		r = shape == 0 ? ops_ps(op, a, b) : ops_ss(op, a, b);
		PIN(r);
		fp_end(c, host);
		_mm_storeu_ps(d.f, r);
	} else {
		__m128d a = _mm_loadu_pd(d.fd), b = _mm_loadu_pd(s.fd), r;
		host = fp_begin(c);
		PIN(a);
		PIN(b);
		r = shape == 1 ? ops_pd(op, a, b) : ops_sd(op, a, b);
		PIN(r);
		fp_end(c, host);
		_mm_storeu_pd(d.fd, r);
	}
	vwrite(c, i, 0, &d, 16);
}

static __m128 cmp_ps(unsigned p, __m128 a, __m128 b, bool scalar)
{
	switch (p & 7) {
	case 0:
		return scalar ? _mm_cmpeq_ss(a, b) : _mm_cmpeq_ps(a, b);
	case 1:
		return scalar ? _mm_cmplt_ss(a, b) : _mm_cmplt_ps(a, b);
	case 2:
		return scalar ? _mm_cmple_ss(a, b) : _mm_cmple_ps(a, b);
	case 3:
		return scalar ? _mm_cmpunord_ss(a, b) : _mm_cmpunord_ps(a, b);
	case 4:
		return scalar ? _mm_cmpneq_ss(a, b) : _mm_cmpneq_ps(a, b);
	case 5:
		return scalar ? _mm_cmpnlt_ss(a, b) : _mm_cmpnlt_ps(a, b);
	case 6:
		return scalar ? _mm_cmpnle_ss(a, b) : _mm_cmpnle_ps(a, b);
	default:
		return scalar ? _mm_cmpord_ss(a, b) : _mm_cmpord_ps(a, b);
	}
}

static __m128d cmp_pd(unsigned p, __m128d a, __m128d b, bool scalar)
{
	switch (p & 7) {
	case 0:
		return scalar ? _mm_cmpeq_sd(a, b) : _mm_cmpeq_pd(a, b);
	case 1:
		return scalar ? _mm_cmplt_sd(a, b) : _mm_cmplt_pd(a, b);
	case 2:
		return scalar ? _mm_cmple_sd(a, b) : _mm_cmple_pd(a, b);
	case 3:
		return scalar ? _mm_cmpunord_sd(a, b) : _mm_cmpunord_pd(a, b);
	case 4:
		return scalar ? _mm_cmpneq_sd(a, b) : _mm_cmpneq_pd(a, b);
	case 5:
		return scalar ? _mm_cmpnlt_sd(a, b) : _mm_cmpnlt_pd(a, b);
	case 6:
		return scalar ? _mm_cmpnle_sd(a, b) : _mm_cmpnle_pd(a, b);
	default:
		return scalar ? _mm_cmpord_sd(a, b) : _mm_cmpord_pd(a, b);
	}
}

static HANDLER(h_fpcmp)
{
	v128 d, s;
	unsigned shape = fp_shape[i->mnemonic];
	unsigned pred = (unsigned)i->op[2].disp;
	uint32_t host;
	sse_check(c);
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	if (shape == 0 || shape == 2) {
		__m128 a = _mm_loadu_ps(d.f), b = _mm_loadu_ps(s.f), r;
		host = fp_begin(c);
		PIN(a);
		PIN(b);
		r = cmp_ps(pred, a, b, shape == 2);
		PIN(r);
		fp_end(c, host);
		_mm_storeu_ps(d.f, r);
	} else {
		__m128d a = _mm_loadu_pd(d.fd), b = _mm_loadu_pd(s.fd), r;
		host = fp_begin(c);
		PIN(a);
		PIN(b);
		r = cmp_pd(pred, a, b, shape == 3);
		PIN(r);
		fp_end(c, host);
		_mm_storeu_pd(d.fd, r);
	}
	vwrite(c, i, 0, &d, 16);
}

static HANDLER(h_comis)
{
	v128 d, s;
	uint8_t z, p, cf;
	uint32_t host;
	__m128 a, b;
	sse_check(c);
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	a = _mm_loadu_ps(d.f);
	b = _mm_loadu_ps(s.f);
	host = fp_begin(c);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_COMISS:
		__asm__ volatile(
		    "comiss %3, %4\n\tsetz %0\n\tsetp %1\n\tsetc %2"
		    : "=q"(z), "=q"(p), "=q"(cf)
		    : "x"(b), "x"(a)
		    : "cc");
		break;
	case ZYDIS_MNEMONIC_UCOMISS:
		__asm__ volatile(
		    "ucomiss %3, %4\n\tsetz %0\n\tsetp %1\n\tsetc %2"
		    : "=q"(z), "=q"(p), "=q"(cf)
		    : "x"(b), "x"(a)
		    : "cc");
		break;
	case ZYDIS_MNEMONIC_COMISD:
		__asm__ volatile(
		    "comisd %3, %4\n\tsetz %0\n\tsetp %1\n\tsetc %2"
		    : "=q"(z), "=q"(p), "=q"(cf)
		    : "x"(b), "x"(a)
		    : "cc");
		break;
	default:
		__asm__ volatile(
		    "ucomisd %3, %4\n\tsetz %0\n\tsetp %1\n\tsetc %2"
		    : "=q"(z), "=q"(p), "=q"(cf)
		    : "x"(b), "x"(a)
		    : "cc");
	}
	fp_end(c, host);
	set_arith_flags(c, (z ? F_ZF : 0) | (p ? F_PF : 0) | (cf ? F_CF : 0));
}

static HANDLER(h_cvt)
{
	v128 d, s;
	uint16_t mn = i->mnemonic;
	uint32_t host;
	bool to_gpr = !is_xmm(&i->op[0]);
	__m128 a, b, r = _mm_setzero_ps();
	int64_t iv = 0, ir = 0;

	sse_check(c);
	vread(c, i, 1, &s);
	if (!to_gpr)
		vread(c, i, 0, &d);
	else
		memset(&d, 0, sizeof(d));
	a = _mm_loadu_ps(d.f);
	b = _mm_loadu_ps(s.f);
	iv = i->op[1].size == 8 ? (int64_t)s.q[0] : (int64_t)(int32_t)s.d[0];
	host = fp_begin(c);
	PIN(a);
	PIN(b);
	PINR(iv);
	switch (mn) {
	case ZYDIS_MNEMONIC_CVTSI2SS:
		r = i->op[1].size == 8 ? _mm_cvtsi64_ss(a, iv)
				       : _mm_cvtsi32_ss(a, (int)iv);
		break;
	case ZYDIS_MNEMONIC_CVTSI2SD:
		r = _mm_castpd_ps(
		    i->op[1].size == 8
			? _mm_cvtsi64_sd(_mm_castps_pd(a), iv)
			: _mm_cvtsi32_sd(_mm_castps_pd(a), (int)iv));
		break;
	case ZYDIS_MNEMONIC_CVTSS2SD:
		r = _mm_castpd_ps(_mm_cvtss_sd(_mm_castps_pd(a), b));
		break;
	case ZYDIS_MNEMONIC_CVTSD2SS:
		r = _mm_cvtsd_ss(a, _mm_castps_pd(b));
		break;
	case ZYDIS_MNEMONIC_CVTPS2PD:
		r = _mm_castpd_ps(_mm_cvtps_pd(b));
		break;
	case ZYDIS_MNEMONIC_CVTPD2PS:
		r = _mm_cvtpd_ps(_mm_castps_pd(b));
		break;
	case ZYDIS_MNEMONIC_CVTDQ2PS:
		r = _mm_cvtepi32_ps(_mm_castps_si128(b));
		break;
	case ZYDIS_MNEMONIC_CVTDQ2PD:
		r = _mm_castpd_ps(_mm_cvtepi32_pd(_mm_castps_si128(b)));
		break;
	case ZYDIS_MNEMONIC_CVTPS2DQ:
		r = _mm_castsi128_ps(_mm_cvtps_epi32(b));
		break;
	case ZYDIS_MNEMONIC_CVTTPS2DQ:
		r = _mm_castsi128_ps(_mm_cvttps_epi32(b));
		break;
	case ZYDIS_MNEMONIC_CVTPD2DQ:
		r = _mm_castsi128_ps(_mm_cvtpd_epi32(_mm_castps_pd(b)));
		break;
	case ZYDIS_MNEMONIC_CVTTPD2DQ:
		r = _mm_castsi128_ps(_mm_cvttpd_epi32(_mm_castps_pd(b)));
		break;
	case ZYDIS_MNEMONIC_CVTSS2SI:
		ir = i->op[0].size == 8 ? _mm_cvtss_si64(b)
					: (uint32_t)_mm_cvtss_si32(b);
		break;
	case ZYDIS_MNEMONIC_CVTTSS2SI:
		ir = i->op[0].size == 8 ? _mm_cvttss_si64(b)
					: (uint32_t)_mm_cvttss_si32(b);
		break;
	case ZYDIS_MNEMONIC_CVTSD2SI:
		ir = i->op[0].size == 8
			 ? _mm_cvtsd_si64(_mm_castps_pd(b))
			 : (uint32_t)_mm_cvtsd_si32(_mm_castps_pd(b));
		break;
	case ZYDIS_MNEMONIC_CVTTSD2SI:
		ir = i->op[0].size == 8
			 ? _mm_cvttsd_si64(_mm_castps_pd(b))
			 : (uint32_t)_mm_cvttsd_si32(_mm_castps_pd(b));
		break;
	default:
		fp_end(c, host);
		x86_unimplemented(c, ZydisMnemonicGetString(mn));
	}
	PIN(r);
	PINR(ir);
	fp_end(c, host);
	if (to_gpr) {
		gpr_write(c, i->op[0].reg, i->op[0].size, (uint64_t)ir);
		return;
	}
	_mm_storeu_ps(d.f, r);
	vwrite(c, i, 0, &d, 16);
}

static HANDLER(h_unpckp)
{
	v128 d, s, r;
	sse_check(c);
	vread(c, i, 0, &d);
	vread(c, i, 1, &s);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_UNPCKLPS:
		r.d[0] = d.d[0], r.d[1] = s.d[0], r.d[2] = d.d[1],
		r.d[3] = s.d[1];
		break;
	case ZYDIS_MNEMONIC_UNPCKHPS:
		r.d[0] = d.d[2], r.d[1] = s.d[2], r.d[2] = d.d[3],
		r.d[3] = s.d[3];
		break;
	case ZYDIS_MNEMONIC_UNPCKLPD:
		r.q[0] = d.q[0], r.q[1] = s.q[0];
		break;
	default:
		r.q[0] = d.q[1], r.q[1] = s.q[1];
	}
	vwrite(c, i, 0, &r, 16);
}

/* ---- MXCSR, FXSAVE/FXRSTOR ---------------------------------------------- */

#define MXCSR_MASK 0xffffu

static HANDLER(h_ldmxcsr)
{
	uint32_t v;
	sse_check(c);
	v = (uint32_t)x86_op_read(c, i, 0);
	if (v & ~MXCSR_MASK)
		x86_gp(c, 0);
	c->st->fpu.mxcsr = v;
}

static HANDLER(h_stmxcsr)
{
	sse_check(c);
	x86_op_write(c, i, 0, c->st->fpu.mxcsr);
}

static HANDLER(h_fxsave)
{
	const struct x86_op *o = &i->op[0];
	struct x86_fpu *f = &c->st->fpu;
	uint64_t ea = x86_ea(c, i, o), lin = ea + c->st->seg[o->seg].base;
	bool w64 = i->mnemonic == ZYDIS_MNEMONIC_FXSAVE64;
	uint8_t img[512];
	unsigned nx = c->long64 ? 16 : 8;

	if (c->st->cr0 & (CR0_TS | CR0_EM))
		x86_raise(c, (c->st->cr0 & CR0_EM) ? X86_EXC_UD : X86_EXC_NM,
			  false, 0);
	if (lin & 15)
		x86_gp(c, 0);
	memset(img, 0, sizeof(img));
	memcpy(img + 0, &f->fcw, 2);
	memcpy(img + 2, &f->fsw, 2);
	img[4] = f->ftw;
	memcpy(img + 6, &f->fop, 2);
	if (w64) {
		memcpy(img + 8, &f->fip, 8);
		memcpy(img + 16, &f->fdp, 8);
	} else {
		memcpy(img + 8, &f->fip, 4);
		memcpy(img + 16, &f->fdp, 4);
	}
	if (c->st->cr4 & CR4_OSFXSR) {
		uint32_t mask = MXCSR_MASK;
		memcpy(img + 24, &f->mxcsr, 4);
		memcpy(img + 28, &mask, 4);
		memcpy(img + 160, f->xmm, nx * 16);
	}
	/* ST0..ST7 in stack order */
	for (unsigned n = 0; n < 8; n++) {
		unsigned top = (f->fsw >> 11) & 7;
		memcpy(img + 32 + 16 * n, f->st[(top + n) & 7], 10);
	}
	/* bytes past the XMM area (416-511: reserved and software-available)
	 * are left alone, as silicon does */
	x86_mem_probe_write(c, o->seg, ea, 512);
	for (unsigned n = 0; n < 160 + nx * 16; n += 8) {
		uint64_t q;
		memcpy(&q, img + n, 8);
		mem_write(c, o->seg, (ea + n) & size_mask(i->asz), 8, q);
	}
}

static HANDLER(h_fxrstor)
{
	const struct x86_op *o = &i->op[0];
	struct x86_fpu *f = &c->st->fpu;
	uint64_t ea = x86_ea(c, i, o), lin = ea + c->st->seg[o->seg].base;
	bool w64 = i->mnemonic == ZYDIS_MNEMONIC_FXRSTOR64;
	uint8_t img[512];
	unsigned nx = c->long64 ? 16 : 8;
	uint32_t mxcsr;

	if (c->st->cr0 & (CR0_TS | CR0_EM))
		x86_raise(c, (c->st->cr0 & CR0_EM) ? X86_EXC_UD : X86_EXC_NM,
			  false, 0);
	if (lin & 15)
		x86_gp(c, 0);
	for (unsigned n = 0; n < 512; n += 8) {
		uint64_t q =
		    mem_read(c, o->seg, (ea + n) & size_mask(i->asz), 8);
		memcpy(img + n, &q, 8);
	}
	memcpy(&mxcsr, img + 24, 4);
	if ((c->st->cr4 & CR4_OSFXSR) && (mxcsr & ~MXCSR_MASK))
		x86_gp(c, 0);
	memcpy(&f->fcw, img + 0, 2);
	memcpy(&f->fsw, img + 2, 2);
	f->ftw = img[4];
	memcpy(&f->fop, img + 6, 2);
	f->fip = f->fdp = 0;
	memcpy(&f->fip, img + 8, w64 ? 8 : 4);
	memcpy(&f->fdp, img + 16, w64 ? 8 : 4);
	for (unsigned n = 0; n < 8; n++) {
		unsigned top = (f->fsw >> 11) & 7;
		memset(f->st[(top + n) & 7], 0, 16);
		memcpy(f->st[(top + n) & 7], img + 32 + 16 * n, 10);
	}
	if (c->st->cr4 & CR4_OSFXSR) {
		f->mxcsr = mxcsr;
		memcpy(f->xmm, img + 160, nx * 16);
	}
}

void x86_register_sse(x86_handler *t)
{
	static const struct {
		uint16_t mn;
		uint8_t op;
	} pints[] = {
	    {ZYDIS_MNEMONIC_PAND, P_AND},
	    {ZYDIS_MNEMONIC_ANDPS, P_AND},
	    {ZYDIS_MNEMONIC_ANDPD, P_AND},
	    {ZYDIS_MNEMONIC_PANDN, P_ANDN},
	    {ZYDIS_MNEMONIC_ANDNPS, P_ANDN},
	    {ZYDIS_MNEMONIC_ANDNPD, P_ANDN},
	    {ZYDIS_MNEMONIC_POR, P_OR},
	    {ZYDIS_MNEMONIC_ORPS, P_OR},
	    {ZYDIS_MNEMONIC_ORPD, P_OR},
	    {ZYDIS_MNEMONIC_PXOR, P_XOR},
	    {ZYDIS_MNEMONIC_XORPS, P_XOR},
	    {ZYDIS_MNEMONIC_XORPD, P_XOR},
	    {ZYDIS_MNEMONIC_PADDB, P_ADDB},
	    {ZYDIS_MNEMONIC_PADDW, P_ADDW},
	    {ZYDIS_MNEMONIC_PADDD, P_ADDD},
	    {ZYDIS_MNEMONIC_PADDQ, P_ADDQ},
	    {ZYDIS_MNEMONIC_PSUBB, P_SUBB},
	    {ZYDIS_MNEMONIC_PSUBW, P_SUBW},
	    {ZYDIS_MNEMONIC_PSUBD, P_SUBD},
	    {ZYDIS_MNEMONIC_PSUBQ, P_SUBQ},
	    {ZYDIS_MNEMONIC_PADDUSB, P_ADDUSB},
	    {ZYDIS_MNEMONIC_PADDUSW, P_ADDUSW},
	    {ZYDIS_MNEMONIC_PSUBUSB, P_SUBUSB},
	    {ZYDIS_MNEMONIC_PSUBUSW, P_SUBUSW},
	    {ZYDIS_MNEMONIC_PADDSB, P_ADDSB},
	    {ZYDIS_MNEMONIC_PADDSW, P_ADDSW},
	    {ZYDIS_MNEMONIC_PSUBSB, P_SUBSB},
	    {ZYDIS_MNEMONIC_PSUBSW, P_SUBSW},
	    {ZYDIS_MNEMONIC_PCMPEQB, P_CMPEQB},
	    {ZYDIS_MNEMONIC_PCMPEQW, P_CMPEQW},
	    {ZYDIS_MNEMONIC_PCMPEQD, P_CMPEQD},
	    {ZYDIS_MNEMONIC_PCMPGTB, P_CMPGTB},
	    {ZYDIS_MNEMONIC_PCMPGTW, P_CMPGTW},
	    {ZYDIS_MNEMONIC_PCMPGTD, P_CMPGTD},
	    {ZYDIS_MNEMONIC_PMINUB, P_MINUB},
	    {ZYDIS_MNEMONIC_PMAXUB, P_MAXUB},
	    {ZYDIS_MNEMONIC_PMINSW, P_MINSW},
	    {ZYDIS_MNEMONIC_PMAXSW, P_MAXSW},
	    {ZYDIS_MNEMONIC_PAVGB, P_AVGB},
	    {ZYDIS_MNEMONIC_PAVGW, P_AVGW},
	    {ZYDIS_MNEMONIC_PMULLW, P_MULLW},
	    {ZYDIS_MNEMONIC_PMULHW, P_MULHW},
	    {ZYDIS_MNEMONIC_PMULHUW, P_MULHUW},
	    {ZYDIS_MNEMONIC_PMULUDQ, P_MULUDQ},
	    {ZYDIS_MNEMONIC_PMADDWD, P_MADDWD},
	    {ZYDIS_MNEMONIC_PSADBW, P_SADBW},
	    {ZYDIS_MNEMONIC_PUNPCKLBW, P_UNPCKLBW},
	    {ZYDIS_MNEMONIC_PUNPCKLWD, P_UNPCKLWD},
	    {ZYDIS_MNEMONIC_PUNPCKLDQ, P_UNPCKLDQ},
	    {ZYDIS_MNEMONIC_PUNPCKLQDQ, P_UNPCKLQDQ},
	    {ZYDIS_MNEMONIC_PUNPCKHBW, P_UNPCKHBW},
	    {ZYDIS_MNEMONIC_PUNPCKHWD, P_UNPCKHWD},
	    {ZYDIS_MNEMONIC_PUNPCKHDQ, P_UNPCKHDQ},
	    {ZYDIS_MNEMONIC_PUNPCKHQDQ, P_UNPCKHQDQ},
	    {ZYDIS_MNEMONIC_PACKSSWB, P_PACKSSWB},
	    {ZYDIS_MNEMONIC_PACKSSDW, P_PACKSSDW},
	    {ZYDIS_MNEMONIC_PACKUSWB, P_PACKUSWB},
	};
	static const struct {
		uint16_t mn;
		uint8_t op, shape;
	} fps[] = {
	    {ZYDIS_MNEMONIC_ADDPS, F_ADD, 0},
	    {ZYDIS_MNEMONIC_ADDPD, F_ADD, 1},
	    {ZYDIS_MNEMONIC_ADDSS, F_ADD, 2},
	    {ZYDIS_MNEMONIC_ADDSD, F_ADD, 3},
	    {ZYDIS_MNEMONIC_SUBPS, F_SUB, 0},
	    {ZYDIS_MNEMONIC_SUBPD, F_SUB, 1},
	    {ZYDIS_MNEMONIC_SUBSS, F_SUB, 2},
	    {ZYDIS_MNEMONIC_SUBSD, F_SUB, 3},
	    {ZYDIS_MNEMONIC_MULPS, F_MUL, 0},
	    {ZYDIS_MNEMONIC_MULPD, F_MUL, 1},
	    {ZYDIS_MNEMONIC_MULSS, F_MUL, 2},
	    {ZYDIS_MNEMONIC_MULSD, F_MUL, 3},
	    {ZYDIS_MNEMONIC_DIVPS, F_DIV, 0},
	    {ZYDIS_MNEMONIC_DIVPD, F_DIV, 1},
	    {ZYDIS_MNEMONIC_DIVSS, F_DIV, 2},
	    {ZYDIS_MNEMONIC_DIVSD, F_DIV, 3},
	    {ZYDIS_MNEMONIC_MINPS, F_MIN, 0},
	    {ZYDIS_MNEMONIC_MINPD, F_MIN, 1},
	    {ZYDIS_MNEMONIC_MINSS, F_MIN, 2},
	    {ZYDIS_MNEMONIC_MINSD, F_MIN, 3},
	    {ZYDIS_MNEMONIC_MAXPS, F_MAX, 0},
	    {ZYDIS_MNEMONIC_MAXPD, F_MAX, 1},
	    {ZYDIS_MNEMONIC_MAXSS, F_MAX, 2},
	    {ZYDIS_MNEMONIC_MAXSD, F_MAX, 3},
	    {ZYDIS_MNEMONIC_SQRTPS, F_SQRT, 0},
	    {ZYDIS_MNEMONIC_SQRTPD, F_SQRT, 1},
	    {ZYDIS_MNEMONIC_SQRTSS, F_SQRT, 2},
	    {ZYDIS_MNEMONIC_SQRTSD, F_SQRT, 3},
	};
	static const uint16_t cmps[4] = {
	    ZYDIS_MNEMONIC_CMPPS, ZYDIS_MNEMONIC_CMPPD, ZYDIS_MNEMONIC_CMPSS,
	    ZYDIS_MNEMONIC_CMPSD};
	static const uint16_t mov128[] = {
	    ZYDIS_MNEMONIC_MOVAPS,  ZYDIS_MNEMONIC_MOVAPD,
	    ZYDIS_MNEMONIC_MOVDQA,  ZYDIS_MNEMONIC_MOVUPS,
	    ZYDIS_MNEMONIC_MOVUPD,  ZYDIS_MNEMONIC_MOVDQU,
	    ZYDIS_MNEMONIC_LDDQU,   ZYDIS_MNEMONIC_MOVNTPS,
	    ZYDIS_MNEMONIC_MOVNTPD, ZYDIS_MNEMONIC_MOVNTDQ,
	    ZYDIS_MNEMONIC_MOVNTDQA};
	static const uint16_t shifts[] = {
	    ZYDIS_MNEMONIC_PSLLW, ZYDIS_MNEMONIC_PSLLD, ZYDIS_MNEMONIC_PSLLQ,
	    ZYDIS_MNEMONIC_PSRLW, ZYDIS_MNEMONIC_PSRLD, ZYDIS_MNEMONIC_PSRLQ,
	    ZYDIS_MNEMONIC_PSRAW, ZYDIS_MNEMONIC_PSRAD, ZYDIS_MNEMONIC_PSLLDQ,
	    ZYDIS_MNEMONIC_PSRLDQ};
	static const uint16_t cvts[] = {
	    ZYDIS_MNEMONIC_CVTSI2SS, ZYDIS_MNEMONIC_CVTSI2SD,
	    ZYDIS_MNEMONIC_CVTSS2SD, ZYDIS_MNEMONIC_CVTSD2SS,
	    ZYDIS_MNEMONIC_CVTPS2PD, ZYDIS_MNEMONIC_CVTPD2PS,
	    ZYDIS_MNEMONIC_CVTDQ2PS, ZYDIS_MNEMONIC_CVTDQ2PD,
	    ZYDIS_MNEMONIC_CVTSS2SI, ZYDIS_MNEMONIC_CVTTSS2SI,
	    ZYDIS_MNEMONIC_CVTSD2SI, ZYDIS_MNEMONIC_CVTTSD2SI,
	    ZYDIS_MNEMONIC_CVTPS2DQ, ZYDIS_MNEMONIC_CVTTPS2DQ,
	    ZYDIS_MNEMONIC_CVTPD2DQ, ZYDIS_MNEMONIC_CVTTPD2DQ};
	unsigned n;

	for (n = 0; n < sizeof(pints) / sizeof(pints[0]); n++) {
		t[pints[n].mn] = h_pint;
		pint_op[pints[n].mn] = pints[n].op;
	}
	for (n = 0; n < sizeof(fps) / sizeof(fps[0]); n++) {
		t[fps[n].mn] = h_fparith;
		fp_op[fps[n].mn] = fps[n].op;
		fp_shape[fps[n].mn] = fps[n].shape;
	}
	for (n = 0; n < 4; n++) {
		t[cmps[n]] = h_fpcmp;
		fp_shape[cmps[n]] = n;
	}
	for (n = 0; n < sizeof(mov128) / sizeof(mov128[0]); n++)
		t[mov128[n]] = h_mov128;
	for (n = 0; n < sizeof(shifts) / sizeof(shifts[0]); n++)
		t[shifts[n]] = h_pshift;
	for (n = 0; n < sizeof(cvts) / sizeof(cvts[0]); n++)
		t[cvts[n]] = h_cvt;
	t[ZYDIS_MNEMONIC_MOVD] = h_movdq;
	t[ZYDIS_MNEMONIC_MOVQ] = h_movdq;
	t[ZYDIS_MNEMONIC_MOVSS] = h_movss;
	t[ZYDIS_MNEMONIC_MOVSD] = h_movsd_sse; /* string MOVSD: by opcode */
	t[ZYDIS_MNEMONIC_MOVLPS] = h_movlh;
	t[ZYDIS_MNEMONIC_MOVLPD] = h_movlh;
	t[ZYDIS_MNEMONIC_MOVHPS] = h_movlh;
	t[ZYDIS_MNEMONIC_MOVHPD] = h_movlh;
	t[ZYDIS_MNEMONIC_MOVHLPS] = h_movlh;
	t[ZYDIS_MNEMONIC_MOVLHPS] = h_movlh;
	t[ZYDIS_MNEMONIC_MOVMSKPS] = h_movmsk;
	t[ZYDIS_MNEMONIC_MOVMSKPD] = h_movmsk;
	t[ZYDIS_MNEMONIC_PMOVMSKB] = h_movmsk;
	t[ZYDIS_MNEMONIC_MOVNTI] = h_movnti;
	t[ZYDIS_MNEMONIC_EMMS] = h_emms;
	t[ZYDIS_MNEMONIC_MOVNTQ] = h_movntq;
	t[ZYDIS_MNEMONIC_PSHUFW] = h_pshuf;
	t[ZYDIS_MNEMONIC_PSHUFD] = h_pshuf;
	t[ZYDIS_MNEMONIC_PSHUFLW] = h_pshuf;
	t[ZYDIS_MNEMONIC_PSHUFHW] = h_pshuf;
	t[ZYDIS_MNEMONIC_SHUFPS] = h_shufp;
	t[ZYDIS_MNEMONIC_SHUFPD] = h_shufp;
	t[ZYDIS_MNEMONIC_PINSRW] = h_pinsrw;
	t[ZYDIS_MNEMONIC_PEXTRW] = h_pextrw;
	t[ZYDIS_MNEMONIC_COMISS] = h_comis;
	t[ZYDIS_MNEMONIC_UCOMISS] = h_comis;
	t[ZYDIS_MNEMONIC_COMISD] = h_comis;
	t[ZYDIS_MNEMONIC_UCOMISD] = h_comis;
	t[ZYDIS_MNEMONIC_UNPCKLPS] = h_unpckp;
	t[ZYDIS_MNEMONIC_UNPCKHPS] = h_unpckp;
	t[ZYDIS_MNEMONIC_UNPCKLPD] = h_unpckp;
	t[ZYDIS_MNEMONIC_UNPCKHPD] = h_unpckp;
	t[ZYDIS_MNEMONIC_LDMXCSR] = h_ldmxcsr;
	t[ZYDIS_MNEMONIC_STMXCSR] = h_stmxcsr;
	t[ZYDIS_MNEMONIC_FXSAVE] = h_fxsave;
	t[ZYDIS_MNEMONIC_FXSAVE64] = h_fxsave;
	t[ZYDIS_MNEMONIC_FXRSTOR] = h_fxrstor;
	t[ZYDIS_MNEMONIC_FXRSTOR64] = h_fxrstor;
}
