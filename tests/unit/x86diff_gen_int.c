// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff generator: integer data instructions (ALU, shifts, multiply and
 * divide, bit operations, strings, cmov/setcc, exchanges, moves,
 * conversions), with the flags the SDM leaves undefined tracked.
 */
#include "x86diff_gen.h"

bool x86diff_gen_alu(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned op = below(g, 12), w = rnd_width(g);
	unsigned wsz = w == 8 ? 4 : w; /* immediate size of the full form */
	bool cmp;

	e.w = w;
	if (op < 8) {
		/* add or adc sbb and sub xor cmp */
		if ((op == 2 || op == 3) && !defined(g, X86DIFF_CF))
			return false;
		cmp = op == 7;
		switch (below(g, 4)) {
		case 0: /* r/m, r */
			e.op[0] = (uint8_t)(op * 8 + (w == 1 ? 0 : 1));
			e.nop = 1;
			e.reg = rnd_reg(g);
			if (!gen_rm(g, &e, true, !cmp, 0, &used))
				return false;
			e.wr_rm = cmp ? 0 : w;
			if (!cmp)
				maybe_lock(g, &e);
			break;
		case 1: /* r, r/m */
			e.op[0] = (uint8_t)(op * 8 + (w == 1 ? 2 : 3));
			e.nop = 1;
			e.reg = cmp ? rnd_reg(g) : rnd_wreg(g, 0);
			e.wr_reg = cmp ? 0 : w;
			if (!gen_rm(g, &e, true, false, 0, &used))
				return false;
			break;
		case 2: /* rAX, imm */
			e.op[0] = (uint8_t)(op * 8 + (w == 1 ? 4 : 5));
			e.nop = 1;
			set_imm(g, &e, wsz);
			break;
		default: /* 80/81/83 /op */
			e.op[0] = w == 1 ? 0x80 : (chance(g, 2) ? 0x83 : 0x81);
			e.nop = 1;
			e.reg = (int)op;
			if (!gen_rm(g, &e, true, !cmp, 0, &used))
				return false;
			e.wr_rm = cmp ? 0 : w;
			set_imm(g, &e, e.op[0] == 0x81 ? wsz : 1);
			if (!cmp)
				maybe_lock(g, &e);
			break;
		}
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH,
		      (op == 1 || op == 4 || op == 6) ? X86DIFF_AF : 0);
		return true;
	}
	switch (op) {
	case 8: /* test */
		switch (below(g, 3)) {
		case 0:
			e.op[0] = w == 1 ? 0x84 : 0x85;
			e.nop = 1;
			e.reg = rnd_reg(g);
			if (!gen_rm(g, &e, true, false, 0, &used))
				return false;
			break;
		case 1:
			e.op[0] = w == 1 ? 0xa8 : 0xa9;
			e.nop = 1;
			set_imm(g, &e, wsz);
			break;
		default:
			e.op[0] = w == 1 ? 0xf6 : 0xf7;
			e.nop = 1;
			e.reg = 0;
			if (!gen_rm(g, &e, true, false, 0, &used))
				return false;
			set_imm(g, &e, wsz);
			break;
		}
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_AF);
		return true;
	case 9: /* inc, dec */
	case 10:
		if (g->m32 && w != 1 && chance(g, 2)) {
			/* the one-byte forms 40+r / 48+r (REX in 64-bit) */
			e.op[0] = chance(g, 2) ? 0x40 : 0x48;
			e.nop = 1;
			e.opreg = rnd_wreg(g, 0);
			e.wr_opreg = w;
			if (!emit(g, &e))
				return false;
			flags(g, X86DIFF_ARITH & ~X86DIFF_CF, 0);
			return true;
		}
		e.op[0] = w == 1 ? 0xfe : 0xff;
		e.nop = 1;
		e.reg = (int)below(g, 2);
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		e.wr_rm = w;
		maybe_lock(g, &e);
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH & ~X86DIFF_CF, 0);
		return true;
	default: /* not, neg */
		e.op[0] = w == 1 ? 0xf6 : 0xf7;
		e.nop = 1;
		e.reg = 2 + (int)below(g, 2);
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		e.wr_rm = w;
		maybe_lock(g, &e);
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		if (e.reg == 3)
			flags(g, X86DIFF_ARITH, 0);
		return true;
	}
}

static uint8_t rnd_count(struct gen *g, unsigned w)
{
	static const uint8_t v[] = {0,	1,  2,	7,  8,	9,  15, 16,
				    17, 31, 32, 33, 63, 64, 255};

	(void)w;
	return chance(g, 2) ? v[below(g, sizeof(v))] : (uint8_t)rnd(g);
}

bool x86diff_gen_shift(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned w = rnd_width(g), bits = w * 8;
	unsigned mask = w == 8 ? 63 : 31;
	unsigned form = below(g, 3); /* imm, 1, CL */
	uint8_t count;

	e.w = w;
	if (below(g, 4) == 0 && w != 1) {
		/* shld / shrd */
		bool shrd = chance(g, 2);

		do
			count = rnd_count(g, w);
		while (w == 2 && (count & 31) > 16);
		e.op[0] = 0x0f;
		e.nop = 2;
		e.reg = rnd_reg(g);
		if (form == 2) {
			e.op[1] = shrd ? 0xad : 0xa5;
			if (!gen_rm(g, &e, true, true, 1u << RCX, &used))
				return false;
			if (!e.rm_mem && e.rm == RCX)
				return false;
			struct enc s = enc0();

			s.op[0] = 0xb1; /* mov cl, imm8 */
			s.nop = 1;
			s.w = 1;
			s.imm = count;
			s.immsz = 1;
			if (!emit(g, &s))
				return false;
		} else {
			e.op[1] = shrd ? 0xac : 0xa4;
			if (!gen_rm(g, &e, true, true, 0, &used))
				return false;
			e.imm = count;
			e.immsz = 1;
		}
		e.wr_rm = w;
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		count &= mask;
		if (count)
			flags(g, X86DIFF_ARITH,
			      X86DIFF_AF | (count == 1 ? 0 : X86DIFF_OF));
		return true;
	}
	static const int ops[] = {0, 1, 2, 3, 4, 5, 7};
	int op = ops[below(g, 7)];

	if ((op == 2 || op == 3) && !defined(g, X86DIFF_CF))
		return false;
	e.reg = op;
	e.nop = 1;
	if (form == 2) {
		/* CL count: set CL first, keeping RCX's other bits. */
		count = rnd_count(g, w);
		if (!gen_rm(g, &e, true, true, 1u << RCX, &used))
			return false;
		struct enc s = enc0();

		s.op[0] = 0xb1;
		s.nop = 1;
		s.w = 1;
		s.imm = count;
		s.immsz = 1;
		if (!emit(g, &s))
			return false;
		e.op[0] = w == 1 ? 0xd2 : 0xd3;
	} else {
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		if (form == 1) {
			count = 1;
			e.op[0] = w == 1 ? 0xd0 : 0xd1;
		} else {
			count = rnd_count(g, w);
			e.op[0] = w == 1 ? 0xc0 : 0xc1;
			e.imm = count;
			e.immsz = 1;
		}
	}
	e.wr_rm = w;
	maybe_rex(g, &e);
	maybe_rep_junk(g, &e);
	if (!emit(g, &e))
		return false;
	count &= mask;
	if (!count)
		return true;
	uint32_t un = count == 1 ? 0 : X86DIFF_OF;

	if (op <= 3) {
		/* rotates write CF and OF only */
		flags(g, X86DIFF_CF | X86DIFF_OF, un);
	} else {
		un |= X86DIFF_AF;
		if (op != 7 && count >= bits)
			un |= X86DIFF_CF;
		flags(g, X86DIFF_ARITH, un);
	}
	return true;
}

bool x86diff_gen_muldiv(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned kind = below(g, 5), w;

	if (kind == 1 || kind == 2) {
		/* imul r, r/m [, imm] */
		w = rnd_width_nz8(g);
		e.w = w;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		if (kind == 1) {
			e.op[0] = 0x0f;
			e.op[1] = 0xaf;
			e.nop = 2;
		} else if (chance(g, 2)) {
			e.op[0] = 0x6b;
			e.nop = 1;
			set_imm(g, &e, 1);
		} else {
			e.op[0] = 0x69;
			e.nop = 1;
			set_imm(g, &e, w == 8 ? 4 : w);
		}
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH,
		      X86DIFF_SF | X86DIFF_ZF | X86DIFF_AF | X86DIFF_PF);
		return true;
	}
	w = rnd_width(g);
	e.w = w;
	e.op[0] = w == 1 ? 0xf6 : 0xf7;
	e.nop = 1;
	if (kind == 0) {
		e.reg = 4 + (int)below(g, 2); /* mul, imul */
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		maybe_rex(g, &e);
		maybe_rep_junk(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH,
		      X86DIFF_SF | X86DIFF_ZF | X86DIFF_AF | X86DIFF_PF);
		return true;
	}
	/* div / idiv: mostly prepared so that only a zero divisor or
	 * INT_MIN/-1 faults; sometimes raw so that #DE is common. */
	bool sign = chance(g, 2);

	e.reg = sign ? 7 : 6;
	if (!chance(g, 6)) {
		struct enc s = enc0();

		s.w = w;
		if (sign) {
			s.op[0] = w == 1 ? 0x98 : 0x99; /* cbw / cwd.. */
			s.nop = 1;
			if (w == 1)
				s.w = 2;
		} else if (w == 1) {
			s.op[0] = 0xb4; /* mov ah, 0 */
			s.nop = 1;
			s.imm = 0;
			s.immsz = 1;
		} else {
			s.op[0] = 0xba; /* mov edx/dx, 0 */
			s.nop = 1;
			s.imm = 0;
			s.immsz = w == 2 ? 2 : 4;
			if (w == 8)
				s.w = 4;
		}
		if (!emit(g, &s))
			return false;
		/* an unprepared divisor register would be the prepared one */
		if (!gen_rm(g, &e, true, false, (1u << RDX) | (1u << RAX),
			    &used))
			return false;
		if (!e.rm_mem && e.rm == RDX)
			e.rm = RBX;
	} else if (!gen_rm(g, &e, true, false, 0, &used)) {
		return false;
	}
	maybe_rex(g, &e);
	maybe_rep_junk(g, &e);
	if (!emit(g, &e))
		return false;
	flags(g, X86DIFF_ARITH, X86DIFF_ARITH);
	return true;
}

bool x86diff_gen_bit(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned w = rnd_width_nz8(g), kind = below(g, 4);

	e.w = w;
	e.op[0] = 0x0f;
	e.nop = 2;
	if (kind == 3) {
		/* bsf/bsr dst, src; cmovz dst, src2 (dst is undefined when
		 * src is zero) */
		e.op[1] = chance(g, 2) ? 0xbc : 0xbd;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		maybe_rex(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_ARITH & ~X86DIFF_ZF);
		struct enc f = enc0();

		f.w = w;
		f.op[0] = 0x0f;
		f.op[1] = 0x44;
		f.nop = 2;
		f.modrm = true;
		f.reg = e.reg;
		f.wr_reg = w;
		f.rex = e.rex;
		f.rm = rnd_reg(g);
		return emit(g, &f);
	}
	/* bt bts btr btc */
	static const uint8_t rop[] = {0xa3, 0xab, 0xb3, 0xbb};
	unsigned which = below(g, 4);

	if (kind == 0) {
		e.op[1] = 0xba;
		e.reg = 4 + (int)which;
		if (!gen_rm(g, &e, true, which != 0, 0, &used))
			return false;
		e.imm = rnd_count(g, w);
		e.immsz = 1;
	} else if (chance(g, 2)) {
		/* register bit base: offset is taken mod the width */
		e.op[1] = rop[which];
		e.reg = rnd_reg(g);
		e.rm = which ? rnd_wreg(g, 0) : rnd_reg(g);
		e.modrm = true;
	} else {
		/* memory bit string: the offset register is signed and may
		 * reach +-4 KiB; keep the base near the buffer's middle. */
		e.op[1] = rop[which];
		e.modrm = true;
		e.rm_mem = true;
		int offreg = rnd_wreg(g, 0);

		if (!gen_mem(g, &e.m, 0x1100, 0x2c00, 1u << offreg, &used))
			return false;
		e.reg = offreg;
		if (w != 2) {
			/* movsx offreg, offreg16: +-32 Ki bits */
			struct enc s = enc0();

			s.w = w;
			s.op[0] = 0x0f;
			s.op[1] = 0xbf;
			s.nop = 2;
			s.modrm = true;
			s.reg = offreg;
			s.rm = offreg;
			s.wr_reg = w;
			if (!emit(g, &s))
				return false;
		}
	}
	if (which)
		e.wr_rm = w;
	maybe_lock(g, &e);
	if (which == 0 && e.npfx && e.pfx[e.npfx - 1] == 0xf0)
		e.npfx--;
	maybe_rex(g, &e);
	if (!emit(g, &e))
		return false;
	flags(g, X86DIFF_ARITH & ~X86DIFF_ZF,
	      X86DIFF_OF | X86DIFF_SF | X86DIFF_AF | X86DIFF_PF);
	return true;
}

bool x86diff_gen_string(struct gen *g)
{
	static const uint8_t ops[] = {0xa4, 0xaa, 0xac, 0xae, 0xa6};
	unsigned which = below(g, 5), w = rnd_width(g);
	unsigned rep = below(g, 3); /* none, f3, f2 (cmp only) */
	bool cmp = which >= 3, a32 = !g->m32 && chance(g, 6);
	uint32_t n = chance(g, 4)   ? 0
		     : chance(g, 3) ? below(g, 300)
				    : below(g, 17);

	if (chance(g, 12))
		n = below(g, 6000 / w); /* over several pages */
	uint32_t span = (n + 1) * w + 16;
	uint32_t lo = DATA_LO + span, hi = DATA_HI - span;
	uint32_t si = pick_off(g, lo, hi), di = pick_off(g, lo, hi);
	struct enc e = enc0();

	if (which == 0 && chance(g, 3)) {
		/* overlapping movs: element by element, not memmove */
		uint32_t d = si + below(g, 49) - 24;

		if (d >= lo && d < hi)
			di = d;
	}
	if (which == 4 && chance(g, 2)) {
		/* equal runs, so that repe/repne cmps go on for a while */
		memmove(&g->c->data[di - span], &g->c->data[si - span],
			2 * span);
		if (chance(g, 3))
			g->c->data[di - span + below(g, 2 * span)] ^=
			    (uint8_t)(1u << below(g, 8));
	}

	if (rep == 2 && !cmp)
		rep = 1;
	if (chance(g, 4)) {
		struct enc d = enc0();

		d.op[0] = chance(g, 2) ? 0xfc : 0xfd; /* cld / std */
		d.nop = 1;
		if (!emit(g, &d))
			return false;
	}
	if (which != 1 &&
	    !emit_mov32(g, RSI, (uint32_t)(X86DIFF_DATA_ADDR + si)))
		return false;
	if (which != 2 &&
	    !emit_mov32(g, RDI, (uint32_t)(X86DIFF_DATA_ADDR + di)))
		return false;
	if (rep && !emit_mov32(g, RCX, n))
		return false;
	if (a32)
		e.pfx[e.npfx++] = 0x67;
	if (rep)
		e.pfx[e.npfx++] = rep == 1 ? 0xf3 : 0xf2;
	e.w = w;
	e.op[0] = (uint8_t)(ops[which] + (w == 1 ? 0 : 1));
	e.nop = 1;
	maybe_rex(g, &e);
	if (!emit(g, &e))
		return false;
	/* A zero-count rep compare writes no flags: on that path the old
	 * (defined or not) flags survive, so only add. */
	if (cmp)
		flags(g, rep && n == 0 ? 0 : X86DIFF_ARITH, 0);
	return true;
}

bool x86diff_gen_cond(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	int cc = rnd_cc(g);

	if (cc < 0)
		return false;
	e.op[0] = 0x0f;
	e.nop = 2;
	if (chance(g, 2)) {
		unsigned w = rnd_width_nz8(g);

		e.w = w;
		e.op[1] = (uint8_t)(0x40 + cc);
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
	} else {
		e.w = 1;
		e.op[1] = (uint8_t)(0x90 + cc);
		e.reg = 0;
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		e.wr_rm = 1;
	}
	maybe_rex(g, &e);
	return emit(g, &e);
}

bool x86diff_gen_xchg(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned w = rnd_width(g), kind = below(g, 5);

	e.w = w;
	e.reg = rnd_wreg(g, 0);
	if (kind == 4) {
		/* cmpxchg8b / cmpxchg16b m; often with edx:eax = m so that
		 * the compare succeeds */
		bool b16 = chance(g, 2);
		unsigned half = b16 ? 8 : 4;
		bool ok;

		e.w = b16 ? 8 : 4;
		e.op[0] = 0x0f;
		e.op[1] = 0xc7;
		e.nop = 2;
		e.modrm = true;
		e.reg = 1;
		e.rm_mem = true;
		g->align = b16 ? 16 : 0;
		ok = gen_mem(g, &e.m, DATA_LO, DATA_HI - 16,
			     (1u << RAX) | (1u << RDX), &used);
		g->align = 0;
		if (!ok)
			return false;
		if (chance(g, 2)) {
			for (int i = 0; i < 2; i++) {
				struct enc l = enc0();

				l.w = e.w;
				l.op[0] = 0x8b;
				l.nop = 1;
				l.modrm = true;
				l.reg = i ? RDX : RAX;
				l.wr_reg = e.w;
				l.rm_mem = true;
				l.m = e.m;
				if (i && l.m.rip)
					l.m.target += half;
				else if (i)
					l.m.disp += (int32_t)half;
				if (!emit(g, &l))
					return false;
			}
		}
		maybe_lock(g, &e);
		maybe_rex(g, &e);
		e.extra66 = false;
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ZF, 0);
		return true;
	}
	switch (kind) {
	case 0: /* xchg r/m, r */
		e.op[0] = w == 1 ? 0x86 : 0x87;
		e.nop = 1;
		e.wr_reg = w;
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		e.wr_rm = w;
		break;
	case 1: /* xchg rAX, r (90+r; 90 itself is NOP) */
		if (w == 1)
			w = e.w = 4;
		e.op[0] = 0x90;
		e.nop = 1;
		e.opreg = e.reg;
		e.wr_opreg = w;
		break;
	case 2: /* cmpxchg r/m, r */
	case 3: /* xadd r/m, r */
		e.op[0] = 0x0f;
		e.op[1] =
		    (uint8_t)((kind == 2 ? 0xb0 : 0xc0) + (w == 1 ? 0 : 1));
		e.nop = 2;
		e.wr_reg = kind == 3 ? w : 0;
		if (!gen_rm(g, &e, true, true, 1u << RAX, &used))
			return false;
		e.wr_rm = w;
		if (kind == 2 && chance(g, 2)) {
			/* mov rAX, dest: the compare succeeds */
			struct enc l = e;

			l.op[0] = w == 1 ? 0x8a : 0x8b;
			l.nop = 1;
			l.reg = RAX;
			l.wr_reg = w;
			l.wr_rm = 0;
			l.npfx = 0;
			l.dead_rex = 0;
			if (!emit(g, &l))
				return false;
		}
		maybe_lock(g, &e);
		break;
	}
	maybe_rex(g, &e);
	if (!emit(g, &e))
		return false;
	if (kind >= 2)
		flags(g, X86DIFF_ARITH, 0);
	return true;
}

bool x86diff_gen_mov(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned w = rnd_width(g);

	e.w = w;
	switch (below(g, 11)) {
	case 10: /* mov r/m, sreg: the selectors are Linux's */
		e.op[0] = 0x8c;
		e.nop = 1;
		e.reg = (int)below(g, 6);
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		if (w == 1)
			e.w = w = 4;
		e.wr_rm = w;
		break;
	case 0: /* mov r/m, r */
		e.op[0] = w == 1 ? 0x88 : 0x89;
		e.nop = 1;
		e.reg = rnd_reg(g);
		if (!gen_rm(g, &e, true, true, 0, &used))
			return false;
		e.wr_rm = w;
		break;
	case 1: /* mov r, r/m */
		e.op[0] = w == 1 ? 0x8a : 0x8b;
		e.nop = 1;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		break;
	case 2: /* mov r/m, imm ; mov r, imm (B0/B8, imm64 with W) */
		if (chance(g, 2)) {
			e.op[0] = w == 1 ? 0xc6 : 0xc7;
			e.nop = 1;
			e.reg = 0;
			if (!gen_rm(g, &e, true, true, 0, &used))
				return false;
			e.wr_rm = w;
			set_imm(g, &e, w == 8 ? 4 : w);
		} else {
			e.op[0] = w == 1 ? 0xb0 : 0xb8;
			e.nop = 1;
			e.opreg = rnd_wreg(g, 0);
			e.wr_opreg = w;
			set_imm(g, &e, w);
		}
		break;
	case 3: /* movzx / movsx from 8 or 16 bits */
		if (w == 1)
			w = e.w = 4;
		e.op[0] = 0x0f;
		e.op[1] = (uint8_t)((chance(g, 2) ? 0xb6 : 0xbe) +
				    (chance(g, 2) ? 1 : 0));
		e.nop = 2;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		break;
	case 4: /* movsxd r64, r/m32 */
		e.w = 8;
		e.op[0] = 0x63;
		e.nop = 1;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = 8;
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		break;
	case 5: { /* lea: any registers, nothing is accessed */
		if (w == 1)
			w = e.w = g->m32 ? 4 : 8;
		e.op[0] = 0x8d;
		e.nop = 1;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		e.modrm = true;
		e.rm_mem = true;
		e.m.rip = chance(g, 5);
		e.m.addr32 = chance(g, 5);
		e.m.target = rnd(g) & 0xffffffff;
		e.m.base = chance(g, 6) ? -1 : rnd_reg(g);
		e.m.index = chance(g, 3) ? -1 : rnd_reg(g);
		if (e.m.index == RSP)
			e.m.index = -1;
		e.m.scale = below(g, 4);
		e.m.disp = (int32_t)interesting(g);
		e.m.disp32 = chance(g, 2);
		if (e.m.rip) {
			e.m.base = e.m.index = -1;
			e.m.target = X86DIFF_CODE_ADDR + g->off +
				     (uint32_t)e.m.disp % 0x100000;
		}
		break;
	}
	case 6: /* bswap r32/r64 (16-bit form is undefined) */
		e.w = w = chance(g, 2) ? 4 : 8;
		e.op[0] = 0x0f;
		e.op[1] = 0xc8;
		e.nop = 2;
		e.opreg = rnd_wreg(g, 0);
		e.wr_opreg = w;
		break;
	case 7: { /* xlat: al = [rbx + al] */
		if (!emit_mov32(g, RBX,
				(uint32_t)(X86DIFF_DATA_ADDR +
					   range(g, DATA_LO, DATA_HI - 256))))
			return false;
		e.w = chance(g, 2) ? 8 : 4;
		e.op[0] = 0xd7;
		e.nop = 1;
		break;
	}
	case 8: /* movabs al/ax/eax/rax <-> moffs64 */
		e.op[0] =
		    (uint8_t)((chance(g, 2) ? 0xa0 : 0xa2) + (w == 1 ? 0 : 1));
		e.nop = 1;
		e.imm = X86DIFF_DATA_ADDR + range(g, DATA_LO, DATA_HI);
		e.immsz = g->m32 ? 4 : 8;
		break;
	default: /* nop, nop r/m (no access) */
		if (chance(g, 2)) {
			e.op[0] = 0x90;
			e.nop = 1;
			e.w = 4;
		} else {
			e.w = w == 1 ? 4 : w;
			e.op[0] = 0x0f;
			e.op[1] = 0x1f;
			e.nop = 2;
			e.reg = 0;
			e.modrm = true;
			e.rm_mem = chance(g, 2);
			e.rm = rnd_reg(g);
			e.m.base = rnd_reg(g);
			e.m.index = -1;
			e.m.disp = (int32_t)rnd(g);
		}
		break;
	}
	maybe_rex(g, &e);
	return emit(g, &e);
}

bool x86diff_gen_convert(struct gen *g)
{
	struct enc e = enc0();

	e.w = (unsigned[]){2, 4, 8}[below(g, 3)];
	e.op[0] = chance(g, 2) ? 0x98 : 0x99;
	e.nop = 1;
	maybe_rex(g, &e);
	return emit(g, &e);
}
