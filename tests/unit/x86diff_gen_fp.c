// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff generator: x87 and SSE/SSE2.
 */
#include "x86diff_gen.h"

/* SSE/SSE2 operand shapes */
enum {
	XX,  /* xmm, xmm/m128 (m32/m64 for scalars) */
	XXI, /* ... , imm8 */
	ST,  /* xmm/m, xmm (a store) */
	XG,  /* xmm, r/m32/64 (W selects) */
	XGI, /* xmm, r32/m16, imm8 (pinsrw) */
	GX,  /* r32/64, xmm (W selects) */
	GXM, /* r32/64, xmm/m (W selects) */
	GXI, /* r32, xmm, imm8 (pextrw) */
	SHI, /* xmm, imm8 shift group: /n in reg */
	CMP, /* (u)comis: xmm, xmm/m, sets ZF PF CF */
	NT,  /* m128, xmm: movntps/pd/dq */
};

struct sse_op {
	uint8_t pfx, op, shape;
	uint8_t msize; /* memory operand bytes; SHI: the ModRM.reg digit */
};

static const struct sse_op sse_ops[] = {
    /* moves */
    {0x66, 0x6f, XX, 16},
    {0x66, 0x7f, ST, 16},
    {0xf3, 0x6f, XX, 16},
    {0xf3, 0x7f, ST, 16},
    {0, 0x28, XX, 16},
    {0, 0x29, ST, 16},
    {0, 0x10, XX, 16},
    {0, 0x11, ST, 16},
    {0x66, 0x28, XX, 16},
    {0x66, 0x10, XX, 16},
    {0xf3, 0x10, XX, 4},
    {0xf2, 0x10, XX, 8},
    {0xf3, 0x11, ST, 4},
    {0xf2, 0x11, ST, 8},
    {0xf3, 0x7e, XX, 8},
    {0x66, 0xd6, ST, 8},
    {0x66, 0x6e, XG, 4},
    {0x66, 0x7e, GXM, 4},
    {0, 0x12, XX, 8},
    {0, 0x16, XX, 8},
    {0x66, 0x12, XX, 8},
    {0x66, 0x16, XX, 8},
    {0x66, 0xd7, GX, 0},
    {0, 0x50, GX, 0},
    {0x66, 0x50, GX, 0},
    {0x66, 0xc4, XGI, 2},
    {0x66, 0xc5, GXI, 0},
    /* non-temporal stores (memory only) */
    {0, 0x2b, NT, 16},
    {0x66, 0x2b, NT, 16},
    {0x66, 0xe7, NT, 16},
    /* logic */
    {0x66, 0xeb, XX, 16},
    {0x66, 0xef, XX, 16},
    {0x66, 0xdb, XX, 16},
    {0x66, 0xdf, XX, 16},
    {0, 0x54, XX, 16},
    {0, 0x55, XX, 16},
    {0, 0x56, XX, 16},
    {0, 0x57, XX, 16},
    {0x66, 0x57, XX, 16},
    /* packed integer */
    {0x66, 0xfc, XX, 16},
    {0x66, 0xfd, XX, 16},
    {0x66, 0xfe, XX, 16},
    {0x66, 0xd4, XX, 16},
    {0x66, 0xf8, XX, 16},
    {0x66, 0xf9, XX, 16},
    {0x66, 0xfa, XX, 16},
    {0x66, 0xfb, XX, 16},
    {0x66, 0xec, XX, 16},
    {0x66, 0xed, XX, 16},
    {0x66, 0xdc, XX, 16},
    {0x66, 0xdd, XX, 16},
    {0x66, 0xe8, XX, 16},
    {0x66, 0xe9, XX, 16},
    {0x66, 0xd8, XX, 16},
    {0x66, 0xd9, XX, 16},
    {0x66, 0x74, XX, 16},
    {0x66, 0x75, XX, 16},
    {0x66, 0x76, XX, 16},
    {0x66, 0x64, XX, 16},
    {0x66, 0x65, XX, 16},
    {0x66, 0x66, XX, 16},
    {0x66, 0xda, XX, 16},
    {0x66, 0xde, XX, 16},
    {0x66, 0xea, XX, 16},
    {0x66, 0xee, XX, 16},
    {0x66, 0xe0, XX, 16},
    {0x66, 0xe3, XX, 16},
    {0x66, 0xd5, XX, 16},
    {0x66, 0xe5, XX, 16},
    {0x66, 0xe4, XX, 16},
    {0x66, 0xf4, XX, 16},
    {0x66, 0xf5, XX, 16},
    {0x66, 0xf6, XX, 16},
    {0x66, 0x60, XX, 16},
    {0x66, 0x61, XX, 16},
    {0x66, 0x62, XX, 16},
    {0x66, 0x6c, XX, 16},
    {0x66, 0x68, XX, 16},
    {0x66, 0x69, XX, 16},
    {0x66, 0x6a, XX, 16},
    {0x66, 0x6d, XX, 16},
    {0x66, 0x63, XX, 16},
    {0x66, 0x6b, XX, 16},
    {0x66, 0x67, XX, 16},
    {0x66, 0xd1, XX, 16},
    {0x66, 0xd2, XX, 16},
    {0x66, 0xd3, XX, 16},
    {0x66, 0xe1, XX, 16},
    {0x66, 0xe2, XX, 16},
    {0x66, 0xf1, XX, 16},
    {0x66, 0xf2, XX, 16},
    {0x66, 0xf3, XX, 16},
    {0x66, 0x70, XXI, 16},
    {0xf2, 0x70, XXI, 16},
    {0xf3, 0x70, XXI, 16},
    {0x66, 0x71, SHI, 2},
    {0x66, 0x71, SHI, 4},
    {0x66, 0x71, SHI, 6},
    {0x66, 0x72, SHI, 2},
    {0x66, 0x72, SHI, 4},
    {0x66, 0x72, SHI, 6},
    {0x66, 0x73, SHI, 2},
    {0x66, 0x73, SHI, 3},
    {0x66, 0x73, SHI, 6},
    {0x66, 0x73, SHI, 7},
    /* shuffles */
    {0, 0xc6, XXI, 16},
    {0x66, 0xc6, XXI, 16},
    {0, 0x14, XX, 16},
    {0, 0x15, XX, 16},
    {0x66, 0x14, XX, 16},
    {0x66, 0x15, XX, 16},
    /* FP arithmetic: add mul sub min div max sqrt */
    {0, 0x58, XX, 16},
    {0x66, 0x58, XX, 16},
    {0xf3, 0x58, XX, 4},
    {0xf2, 0x58, XX, 8},
    {0, 0x59, XX, 16},
    {0x66, 0x59, XX, 16},
    {0xf3, 0x59, XX, 4},
    {0xf2, 0x59, XX, 8},
    {0, 0x5c, XX, 16},
    {0x66, 0x5c, XX, 16},
    {0xf3, 0x5c, XX, 4},
    {0xf2, 0x5c, XX, 8},
    {0, 0x5d, XX, 16},
    {0x66, 0x5d, XX, 16},
    {0xf3, 0x5d, XX, 4},
    {0xf2, 0x5d, XX, 8},
    {0, 0x5e, XX, 16},
    {0x66, 0x5e, XX, 16},
    {0xf3, 0x5e, XX, 4},
    {0xf2, 0x5e, XX, 8},
    {0, 0x5f, XX, 16},
    {0x66, 0x5f, XX, 16},
    {0xf3, 0x5f, XX, 4},
    {0xf2, 0x5f, XX, 8},
    {0, 0x51, XX, 16},
    {0x66, 0x51, XX, 16},
    {0xf3, 0x51, XX, 4},
    {0xf2, 0x51, XX, 8},
    {0, 0xc2, XXI, 16},
    {0x66, 0xc2, XXI, 16},
    {0xf3, 0xc2, XXI, 4},
    {0xf2, 0xc2, XXI, 8},
    {0, 0x2e, CMP, 4},
    {0x66, 0x2e, CMP, 8},
    {0, 0x2f, CMP, 4},
    {0x66, 0x2f, CMP, 8},
    /* conversions */
    {0xf3, 0x2a, XG, 4},
    {0xf2, 0x2a, XG, 4},
    {0xf3, 0x2d, GXM, 4},
    {0xf3, 0x2c, GXM, 4},
    {0xf2, 0x2d, GXM, 8},
    {0xf2, 0x2c, GXM, 8},
    {0xf3, 0x5a, XX, 4},
    {0xf2, 0x5a, XX, 8},
    {0, 0x5a, XX, 8},
    {0x66, 0x5a, XX, 16},
    {0, 0x5b, XX, 16},
    {0x66, 0x5b, XX, 16},
    {0xf3, 0x5b, XX, 16},
    {0xf3, 0xe6, XX, 8},
    {0xf2, 0xe6, XX, 16},
    {0x66, 0xe6, XX, 16},
};

bool x86diff_gen_sse(struct gen *g)
{
	const struct sse_op *o =
	    &sse_ops[below(g, sizeof(sse_ops) / sizeof(sse_ops[0]))];
	struct enc e = enc0();
	uint32_t used = 0;
	bool w64 = !g->m32 && chance(g, 2);
	bool mem = false;

	if (o->pfx)
		e.pfx[e.npfx++] = o->pfx;
	e.op[0] = 0x0f;
	e.op[1] = o->op;
	e.nop = 2;
	e.modrm = true;
	e.reg = rnd_reg(g); /* an XMM register unless said otherwise */
	switch (o->shape) {
	case XX:
	case XXI:
	case ST:
	case CMP:
		/* 0F 12/16 register forms are movhlps/movlhps: fine too */
		mem = chance(g, 3);
		e.rm = rnd_reg(g);
		break;
	case XG:
	case XGI:
		mem = chance(g, 3);
		e.rm = rnd_reg(g);
		e.w = o->shape == XG && w64 ? 8 : 4;
		break;
	case GX:
	case GXM:
	case GXI:
		mem = o->shape == GXM && chance(g, 3);
		e.reg = rnd_wreg(g, 0);
		e.rm = rnd_reg(g);
		if (o->op == 0x7e)
			/* movd r/m, xmm: the GPR is the r/m */
			e.reg = rnd_reg(g), e.rm = rnd_wreg(g, 0);
		e.w = o->shape != GXI && w64 ? 8 : 4;
		if (o->op != 0x7e)
			e.wr_reg = e.w;
		else if (!mem)
			e.wr_rm = e.w;
		break;
	case NT:
		mem = true;
		break;
	case SHI:
		e.reg = o->msize;
		e.rm = rnd_reg(g);
		break;
	}
	if (mem) {
		/* legacy SSE wants 16-byte alignment for 128-bit operands */
		bool ok;

		g->align = o->msize == 16 ? 16 : 0;
		ok = gen_mem(g, &e.m, DATA_LO, DATA_HI, 0, &used);
		g->align = 0;
		if (!ok)
			return false;
		e.rm_mem = true;
	}
	if (o->shape == XXI || o->shape == XGI || o->shape == GXI ||
	    o->shape == SHI) {
		e.imm = o->op == 0xc2 ? below(g, 8) : rnd(g);
		e.immsz = 1;
	}
	if ((o->op == 0x12 || o->op == 0x16) && !mem && o->pfx == 0x66)
		return false; /* movlpd/movhpd: memory only */
	maybe_rex(g, &e);
	e.extra66 = false; /* 66 would change the instruction */
	if (!emit(g, &e))
		return false;
	if (o->shape == CMP)
		flags(g, X86DIFF_ARITH, 0);
	return true;
}

/* An x87 instruction with a memory operand: opcode, /digit, size. */
static bool emit_x87_mem(struct gen *g, uint8_t op, int digit, unsigned size)
{
	struct enc e = enc0();
	uint32_t used = 0;

	e.op[0] = op;
	e.nop = 1;
	e.modrm = true;
	e.reg = digit;
	e.rm_mem = true;
	(void)size;
	if (!gen_mem(g, &e.m, DATA_LO, DATA_HI, 0, &used))
		return false;
	maybe_rex(g, &e);
	e.extra66 = false;
	return emit(g, &e);
}

static bool emit2(struct gen *g, uint8_t a, uint8_t b)
{
	return emit_bytes(g, (uint8_t[]){a, b}, 2);
}

/* One x87 operation that keeps the depth d (1..8) */
static bool gen_x87_op(struct gen *g, unsigned d)
{
	static const uint8_t unary[] = {0xe0, 0xe1, 0xfa, 0xfc, 0xe5, 0xe4};
	static const uint8_t arith[] = {0, 1, 4, 5, 6, 7};
	unsigned i = below(g, d);

	switch (below(g, 14)) {
	case 12: /* fcmovcc st0, st(i): B E BE U and their negations */
	{
		static const uint32_t reads[] = {X86DIFF_CF, X86DIFF_ZF,
						 X86DIFF_CF | X86DIFF_ZF,
						 X86DIFF_PF};
		unsigned cc = below(g, 4);

		if (!defined(g, reads[cc]))
			return false;
		return emit2(g, chance(g, 2) ? 0xda : 0xdb,
			     (uint8_t)(0xc0 + 8 * cc + i));
	}
	case 13: /* f2xm1 fsin fcos fprem fprem1 (same depth) */
	{
		static const uint8_t op[] = {0xf0, 0xfe, 0xff, 0xf8, 0xf5};
		unsigned k = below(g, 5);

		if (!(g->classes & (1u << X86DIFF_C_X87EXT)) ||
		    (k >= 3 && d < 2))
			return false;
		return emit2(g, 0xd9, op[k]);
	}
	case 0:
		return emit2(g, 0xd9, unary[below(g, 6)]);
	case 1: /* fop st0, st(i) / fop st(i), st0 */
		return emit2(g, chance(g, 2) ? 0xd8 : 0xdc,
			     (uint8_t)(0xc0 + 8 * arith[below(g, 6)] + i));
	case 2: /* fop st0, m32fp/m64fp/m32int/m16int */
		return emit_x87_mem(
		    g, (uint8_t[]){0xd8, 0xdc, 0xda, 0xde}[below(g, 4)],
		    arith[below(g, 6)], 8);
	case 3: /* fxch */
		return emit2(g, 0xd9, (uint8_t)(0xc8 + i));
	case 4: /* fcom/fucom st(i) -> C0 C2 C3 */
		return emit2(g, chance(g, 2) ? 0xd8 : 0xdd,
			     (uint8_t)((chance(g, 2) ? 0xd0 : 0xe0) + i));
	case 5: /* fcomi/fucomi -> ZF PF CF */
		if (!emit2(g, 0xdb,
			   (uint8_t)((chance(g, 2) ? 0xf0 : 0xe8) + i)))
			return false;
		flags(g, X86DIFF_ARITH, 0);
		return true;
	case 6:
		if (d < 2)
			return false;
		return emit2(g, 0xd9, 0xfd); /* fscale */
	case 7:
		if (chance(g, 2))
			return emit2(g, 0xdf, 0xe0); /* fnstsw ax */
		return emit2(g, 0xdb, 0xe2);	     /* fnclex */
	case 8: { /* fldcw from memory: another rounding mode */
		struct enc e = enc0();
		uint32_t used = 0;

		e.w = 2;
		e.op[0] = 0xc7;
		e.nop = 1;
		e.modrm = true;
		e.reg = 0;
		e.rm_mem = true;
		e.imm = 0x037f | (below(g, 4) << 10);
		e.immsz = 2;
		if (!gen_mem(g, &e.m, DATA_LO, DATA_HI, 0, &used) ||
		    !emit(g, &e))
			return false;
		e.w = 0;
		e.op[0] = 0xd9;
		e.reg = 5;
		e.immsz = 0;
		return emit(g, &e);
	}
	case 9: /* fnstcw m16, fst/fist without pop */
		switch (below(g, 5)) {
		case 0:
			return emit_x87_mem(g, 0xd9, 7, 2);
		case 1:
			return emit_x87_mem(g, 0xd9, 2, 4);
		case 2:
			return emit_x87_mem(g, 0xdd, 2, 8);
		case 3:
			return emit_x87_mem(g, 0xdf, 2, 2);
		default:
			return emit_x87_mem(g, 0xdb, 2, 4);
		}
	case 10: /* fincstp; fdecstp */
		return emit2(g, 0xd9, 0xf7) && emit2(g, 0xd9, 0xf6);
	default: /* fst st(i) (no pop) */
		return emit2(g, 0xdd, (uint8_t)(0xd0 + i));
	}
}

/*
 * x87 groups keep the stack depth: push, operate, pop; or operate on
 * what is there. Overflow/underflow (stack faults) are never provoked.
 */
bool x86diff_gen_x87(struct gen *g)
{
	unsigned d = g->fdepth, nops = below(g, 3);

	if (d < 8 && (d == 0 || chance(g, 2))) {
		/* push */
		switch (below(g, 5)) {
		case 4: /* fptan, fsincos, fxtract: ST0 -> two values */
			if (d == 0 || !(g->classes & (1u << X86DIFF_C_X87EXT)))
				return false;
			if (!emit2(g, 0xd9,
				   (uint8_t[]){0xf2, 0xfb, 0xf4}[below(g, 3)]))
				return false;
			break;
		case 0: /* fld m32/m64/m80 */
			switch (below(g, 3)) {
			case 0:
				if (!emit_x87_mem(g, 0xd9, 0, 4))
					return false;
				break;
			case 1:
				if (!emit_x87_mem(g, 0xdd, 0, 8))
					return false;
				break;
			default:
				if (!emit_x87_mem(g, 0xdb, 5, 10))
					return false;
				break;
			}
			break;
		case 1: /* fild m16/m32/m64 */
			if (!emit_x87_mem(g, chance(g, 2) ? 0xdf : 0xdb,
					  (int[]){0, 5}[below(g, 2)], 8))
				return false;
			break;
		case 2: /* constants */
			if (!emit2(g, 0xd9, (uint8_t)(0xe8 + below(g, 7))))
				return false;
			break;
		default: /* fld st(i) */
			if (d == 0)
				return false;
			if (!emit2(g, 0xd9, (uint8_t)(0xc0 + below(g, d))))
				return false;
			break;
		}
		d++;
		for (unsigned k = 0; k < nops; k++)
			if (!gen_x87_op(g, d))
				return false;
		/* pop */
		bool ext = g->classes & (1u << X86DIFF_C_X87EXT);

		switch (below(g, d >= 2 && ext ? 6 : 5)) {
		case 5: /* fyl2x, fpatan, fyl2xp1: two values -> one */
			return emit2(
			    g, 0xd9,
			    (uint8_t[]){0xf1, 0xf3, 0xf9}[below(g, 3)]);
		case 0: /* fstp m32/m64/m80 */
			switch (below(g, 3)) {
			case 0:
				return emit_x87_mem(g, 0xd9, 3, 4);
			case 1:
				return emit_x87_mem(g, 0xdd, 3, 8);
			default:
				return emit_x87_mem(g, 0xdb, 7, 10);
			}
		case 1: { /* fistp m16/m32/m64, fisttp m16/m32/m64 */
			static const uint8_t op[] = {0xdf, 0xdb, 0xdf,
						     0xdf, 0xdb, 0xdd};
			static const int dig[] = {3, 3, 7, 1, 1, 1};
			unsigned k = below(g, 6);

			return emit_x87_mem(g, op[k], dig[k], 8);
		}
		case 2: /* fstp st(i) */
			return emit2(g, 0xdd, (uint8_t)(0xd8 + below(g, d)));
		case 3: /* fop-p st(i), st0 */
			if (d < 2)
				return emit2(g, 0xdd, 0xd8);
			return emit2(g, 0xde,
				     (uint8_t)(0xc0 +
					       8 * (uint8_t[]){0, 1, 4, 5, 6,
							       7}[below(g, 6)] +
					       1 + below(g, d - 1)));
		default: /* fcomp/fucomp st(i), fcomip/fucomip */
			if (chance(g, 2)) {
				bool u = chance(g, 2); /* fucomp : fcomp */

				return emit2(
				    g, u ? 0xdd : 0xd8,
				    (uint8_t)((u ? 0xe8 : 0xd8) + below(g, d)));
			}
			if (!emit2(g, 0xdf,
				   (uint8_t)((chance(g, 2) ? 0xf0 : 0xe8) +
					     below(g, d))))
				return false;
			flags(g, X86DIFF_ARITH, 0);
			return true;
		}
	}
	if (d == 0)
		return false;
	for (unsigned k = 0; k <= nops; k++)
		if (!gen_x87_op(g, d))
			return false;
	return true;
}

/* mov qword/word [m + off], 0 */
static bool emit_clear(struct gen *g, const struct mem *m, int32_t off,
		       unsigned w)
{
	struct enc e = enc0();

	e.w = w;
	e.op[0] = 0xc7;
	e.nop = 1;
	e.modrm = true;
	e.reg = 0;
	e.rm_mem = true;
	e.m = *m;
	if (e.m.rip)
		e.m.target += (uint32_t)off;
	else
		e.m.disp += off;
	e.imm = 0;
	e.immsz = w == 8 ? 4 : w;
	return emit(g, &e);
}

/*
 * FXSAVE(64) an image; clear FOP/FIP/FDP (whether those are kept is CPU
 * generation dependent: FDP_EXCPTN_ONLY, FCS/FDS deprecation); maybe put
 * new XMM values in it and FXRSTOR(64) it back. Or LDMXCSR/STMXCSR.
 */
bool x86diff_gen_fxsave(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	struct mem m;
	bool ok, w64 = !g->m32 && chance(g, 2);

	g->align = 16;
	ok = gen_mem(g, &m, DATA_LO, DATA_HI - 512, 0, &used);
	g->align = 0;
	if (!ok)
		return false;
	e.op[0] = 0x0f;
	e.op[1] = 0xae;
	e.nop = 2;
	e.modrm = true;
	e.rm_mem = true;
	e.m = m;
	if (chance(g, 4)) {
		/* stmxcsr, or ldmxcsr of a valid value (masked, no DAZ/FZ) */
		if (chance(g, 2)) {
			e.reg = 3;
			return emit(g, &e);
		}
		struct enc v = enc0();

		v.w = 4;
		v.op[0] = 0xc7;
		v.nop = 1;
		v.modrm = true;
		v.rm_mem = true;
		v.m = m;
		v.imm = 0x1f80 | (rnd(g) & 0x603f);
		v.immsz = 4;
		if (!emit(g, &v))
			return false;
		e.reg = 2;
		return emit(g, &e);
	}
	e.w = w64 ? 8 : 4;
	e.reg = 0; /* fxsave */
	if (!emit(g, &e) || !emit_clear(g, &m, 6, 2) ||
	    !emit_clear(g, &m, 8, 8) || !emit_clear(g, &m, 16, 8))
		return false;
	if (chance(g, 2))
		return true;
	/* new XMM contents, then fxrstor */
	for (unsigned n = below(g, 3); n; n--) {
		struct enc v = enc0();
		int32_t off = (int32_t)(160 + 16 * below(g, g->m32 ? 8 : 16) +
					4 * below(g, 4));

		v.w = 4;
		v.op[0] = 0xc7;
		v.nop = 1;
		v.modrm = true;
		v.rm_mem = true;
		v.m = m;
		if (v.m.rip)
			v.m.target += (uint32_t)off;
		else
			v.m.disp += off;
		v.imm = rnd(g);
		v.immsz = 4;
		if (!emit(g, &v))
			return false;
	}
	e.reg = 1; /* fxrstor */
	return emit(g, &e);
}
