// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff generator: flags and stack instructions, forward branches,
 * calls and returns, and the rest (popcnt/lzcnt/tzcnt/movbe/enter/leave,
 * fences, BCD).
 */
#include "x86diff_gen.h"

/* and r/m, imm: mask undefined flags out of a saved flags image */
static bool emit_and_mask(struct gen *g, int r, unsigned w, uint32_t mask)
{
	struct enc e = enc0();

	e.w = w;
	e.op[0] = w == 1 ? 0x80 : 0x81;
	e.nop = 1;
	e.modrm = true;
	e.reg = 4;
	e.rm = r;
	e.wr_rm = w;
	e.imm = mask;
	e.immsz = w == 1 ? 1 : 4;
	if (!emit(g, &e))
		return false;
	flags(g, X86DIFF_ARITH, X86DIFF_AF);
	return true;
}

static bool gen_push_src(struct gen *g, bool w16, uint32_t *used)
{
	struct enc e = enc0();

	e.w = w16 ? 2 : 8;
	e.d64 = true;
	switch (below(g, 4)) {
	case 0:
		e.op[0] = 0x50;
		e.nop = 1;
		e.opreg = rnd_reg(g);
		break;
	case 1:
		e.op[0] = chance(g, 2) ? 0x6a : 0x68;
		e.nop = 1;
		set_imm(g, &e, e.op[0] == 0x6a ? 1 : (w16 ? 2 : 4));
		break;
	default:
		e.op[0] = 0xff;
		e.nop = 1;
		e.reg = 6;
		if (!gen_rm(g, &e, true, false, 0, used))
			return false;
		break;
	}
	maybe_rex(g, &e);
	return emit(g, &e);
}

static bool gen_pop_dst(struct gen *g, bool w16, uint32_t *used)
{
	struct enc e = enc0();

	e.w = w16 ? 2 : 8;
	e.d64 = true;
	if (chance(g, 2)) {
		e.op[0] = 0x58;
		e.nop = 1;
		e.opreg = rnd_wreg(g, 0);
		e.wr_opreg = e.w;
	} else {
		e.op[0] = 0x8f;
		e.nop = 1;
		e.reg = 0;
		/* pop [rsp+d] computes the address after the increment */
		if (!gen_rm(g, &e, true, true, 0, used))
			return false;
		e.wr_rm = e.w;
	}
	maybe_rex(g, &e);
	return emit(g, &e);
}

bool x86diff_gen_stack(struct gen *g)
{
	uint32_t used = 0;
	bool w16 = chance(g, 6);

	if (g->m32 && chance(g, 6)) {
		/* pushad; popad (ESP's slot is skipped): 16-bit with 66 */
		uint8_t p = w16 ? 0x66 : 0;

		return (p ? emit_bytes(g, (uint8_t[]){p, 0x60}, 2)
			  : emit_bytes(g, (uint8_t[]){0x60}, 1)) &&
		       (p ? emit_bytes(g, (uint8_t[]){p, 0x61}, 2)
			  : emit_bytes(g, (uint8_t[]){0x61}, 1));
	}
	if (!g->m32 && chance(g, 10)) {
		/* push fs / push gs (selector 0); pop r. Not in 32-bit code:
		 * there the SDM allows a 16-bit write leaving the upper half
		 * of the slot alone (recent Intel does) or zero-extension */
		if (!emit_bytes(
			g, (uint8_t[]){0x0f, chance(g, 2) ? 0xa0 : 0xa8}, 2))
			return false;
		return gen_pop_dst(g, false, &used);
	}
	if (chance(g, 8)) {
		/* push rsp; pop r */
		struct enc e = enc0();

		e.op[0] = 0x54;
		e.nop = 1;
		if (!emit(g, &e))
			return false;
		return gen_pop_dst(g, false, &used);
	}
	return gen_push_src(g, w16, &used) && gen_pop_dst(g, w16, &used);
}

bool x86diff_gen_flags(struct gen *g)
{
	struct enc e = enc0();
	uint32_t lahf_flags = X86DIFF_ARITH & ~X86DIFF_OF;
	uint32_t used = 0;

	e.nop = 1;
	switch (below(g, 6)) {
	case 0: /* lahf [; and ah, ~undef] */
		e.op[0] = 0x9f;
		if (!emit(g, &e))
			return false;
		if (g->undef & lahf_flags)
			return emit_and_mask(g, 4, 1,
					     ~g->undef & lahf_flags & 0xff);
		return true;
	case 1: /* sahf */
		e.op[0] = 0x9e;
		if (!emit(g, &e))
			return false;
		flags(g, lahf_flags, 0);
		return true;
	case 2: { /* pushfq [; and qword [rsp], ~undef]; pop r */
		int r = rnd_wreg(g, 0);

		e.op[0] = 0x9c;
		if (!emit(g, &e))
			return false;
		if (g->undef) {
			/* the image stays in memory: mask it there */
			e = enc0();
			e.w = g->m32 ? 4 : 8;
			e.op[0] = 0x81;
			e.nop = 1;
			e.modrm = true;
			e.reg = 4;
			e.rm_mem = true;
			e.m.base = RSP;
			e.m.index = -1;
			e.imm = ~g->undef;
			e.immsz = 4;
			if (!emit(g, &e))
				return false;
			flags(g, X86DIFF_ARITH, X86DIFF_AF);
		}
		e = enc0();
		e.op[0] = 0x58;
		e.nop = 1;
		e.opreg = r;
		e.wr_opreg = 8;
		return emit(g, &e);
	}
	case 3: /* push x; and qword [rsp], safe; popfq */
		if (!gen_push_src(g, false, &used))
			return false;
		e.w = g->m32 ? 4 : 8;
		e.op[0] = 0x81;
		e.modrm = true;
		e.reg = 4;
		e.rm_mem = true;
		e.m.base = RSP;
		e.m.index = -1;
		e.imm = X86DIFF_ARITH | X86DIFF_DF | X86DIFF_IF | X86DIFF_IOPL |
			(chance(g, 2) ? X86DIFF_ID : 0);
		e.immsz = 4;
		if (!emit(g, &e))
			return false;
		e = enc0();
		e.op[0] = 0x9d;
		e.nop = 1;
		if (!emit(g, &e))
			return false;
		g->undef = 0;
		return true;
	case 4: /* clc stc cmc */
		e.op[0] = (uint8_t[]){0xf8, 0xf9, 0xf5}[below(g, 3)];
		if (e.op[0] == 0xf5 && !defined(g, X86DIFF_CF))
			return false;
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_CF, 0);
		return true;
	default: /* cld std */
		e.op[0] = chance(g, 2) ? 0xfc : 0xfd;
		return emit(g, &e);
	}
}

/* Bytes that are jumped over, never executed. */
static bool emit_junk(struct gen *g, unsigned n)
{
	if (g->off + n + 32 > X86DIFF_CODE_SIZE)
		return false;
	for (unsigned i = 0; i < n; i++)
		g->c->code[g->off++] = (uint8_t)rnd(g);
	return true;
}

static bool emit_pop_reg(struct gen *g)
{
	struct enc e = enc0();

	e.op[0] = 0x58;
	e.nop = 1;
	e.opreg = rnd_wreg(g, 0);
	e.wr_opreg = 8;
	e.d64 = true;
	e.w = 8;
	return emit(g, &e);
}

/* call/ret/indirect jumps; the stack is balanced within the group */
static bool gen_branch_indirect(struct gen *g, unsigned left)
{
	struct enc e = enc0();
	unsigned junk = below(g, 7), kind = below(g, 6);
	uint32_t fix = 0;
	int r = rnd_wreg(g, 0);

	e.nop = 1;
	switch (kind) {
	case 0: /* call rel32 L; junk; L: pop r -- r = L */
		e.op[0] = 0xe8;
		e.imm = junk;
		e.immsz = 4;
		if (!emit(g, &e) || !emit_junk(g, junk))
			return false;
		return emit_pop_reg(g);
	case 1: /* mov r, L; call r; junk; L: pop r2 */
	case 2: /* push L; jmp [rsp]; junk; L: pop r2 */
		if (kind == 1) {
			if (!emit_mov32(g, r, 0))
				return false;
		} else {
			e.op[0] = 0x68;
			e.immsz = 4;
			e.d64 = true;
			if (!emit(g, &e))
				return false;
		}
		fix = g->off - 4;
		e = enc0();
		e.op[0] = 0xff;
		e.nop = 1;
		e.modrm = true;
		if (kind == 1) {
			e.reg = 2;
			e.rm = r;
		} else {
			e.reg = 4;
			e.rm_mem = true;
			e.m.base = RSP;
			e.m.index = -1;
		}
		maybe_rex(g, &e);
		if (!emit(g, &e) || !emit_junk(g, junk))
			return false;
		uint32_t l = (uint32_t)(X86DIFF_CODE_ADDR + g->off);

		memcpy(&g->c->code[fix], &l, 4);
		return emit_pop_reg(g);
	default: {
		/* to a later group: push T; ret | push x; push T; ret 8 |
		 * mov r, T; jmp r */
		int t = (int)(g->group + 1 + below(g, left));

		if (kind == 5) {
			if (!emit_mov32(g, r, 0))
				return false;
			g->fix[g->nfix++] = (struct fixup){.at = g->off - 4,
							   .size = 4,
							   .group = (unsigned)t,
							   .abs = true};
			e.op[0] = 0xff;
			e.modrm = true;
			e.reg = 4;
			e.rm = r;
			maybe_rex(g, &e);
		} else {
			bool imm = kind == 4;

			if (imm) {
				e.op[0] = 0x6a;
				e.imm = rnd(g);
				e.immsz = 1;
				if (!emit(g, &e))
					return false;
				e = enc0();
				e.nop = 1;
			}
			e.op[0] = 0x68;
			e.immsz = 4;
			e.abs_group = t;
			if (!emit(g, &e))
				return false;
			e = enc0();
			e.nop = 1;
			e.op[0] = imm ? 0xc2 : 0xc3;
			e.imm = g->m32 ? 4 : 8;
			e.immsz = imm ? 2 : 0;
		}
		if (!emit(g, &e))
			return false;
		g->pending[t] |= g->undef;
		return true;
	}
	}
}

bool x86diff_gen_branch(struct gen *g)
{
	struct enc e = enc0();
	unsigned left = g->ngroups - g->group; /* groups after this one + 1 */
	bool near = chance(g, 2);
	unsigned kind = below(g, 10);

	if (left < 1)
		return false;
	if (kind >= 8)
		return g->nfix < MAX_GROUPS - 1 && gen_branch_indirect(g, left);
	e.rel =
	    (int)(g->group + 1 + below(g, near ? (left < 3 ? left : 3) : left));
	e.relsz = 4;
	e.nop = 1;
	if (kind < 4) {
		int cc = rnd_cc(g);

		if (cc < 0)
			return false;
		if (near) {
			e.op[0] = (uint8_t)(0x70 + cc);
			e.relsz = 1;
		} else {
			e.op[0] = 0x0f;
			e.op[1] = (uint8_t)(0x80 + cc);
			e.nop = 2;
		}
	} else if (kind < 6) {
		e.op[0] = near ? 0xeb : 0xe9;
		e.relsz = near ? 1 : 4;
	} else {
		/* jrcxz / loop / loope / loopne: rel8 only */
		static const uint8_t op[] = {0xe3, 0xe2, 0xe1, 0xe0};
		unsigned k = below(g, 4);

		if (k >= 2 && !defined(g, X86DIFF_ZF))
			return false;
		if (!near)
			e.rel =
			    (int)(g->group + 1 + below(g, left < 3 ? left : 3));
		e.op[0] = op[k];
		e.relsz = 1;
		if (chance(g, 4))
			e.pfx[e.npfx++] = 0x67;
	}
	if (!emit(g, &e))
		return false;
	g->pending[e.rel] |= g->undef;
	return true;
}

/* popcnt lzcnt tzcnt (F3 0F B8/BD/BC), movbe (0F 38 F0/F1), enter/leave */
bool x86diff_gen_extra(struct gen *g)
{
	struct enc e = enc0();
	uint32_t used = 0;
	unsigned w = rnd_width_nz8(g), kind = below(g, 6);

	e.w = w;
	e.modrm = true;
	e.reg = rnd_wreg(g, 0);
	e.wr_reg = w;
	e.op[0] = 0x0f;
	e.nop = 2;
	switch (kind) {
	case 5: { /* no architectural effect: fences, pause, endbr,
		     prefetch (never faults), clflush/clflushopt */
		static const uint8_t b[][4] = {
		    {0x0f, 0xae, 0xe8},	      {0x0f, 0xae, 0xf0},
		    {0x0f, 0xae, 0xf8},	      {0xf3, 0x90},
		    {0xf3, 0x0f, 0x1e, 0xfa}, {0xf3, 0x0f, 0x1e, 0xfb},
		};
		static const uint8_t n[] = {3, 3, 3, 2, 4, 4};
		unsigned k = below(g, 9);

		if (k < 6)
			return emit_bytes(g, b[k], n[k]);
		e = enc0();
		e.op[0] = 0x0f;
		e.nop = 2;
		e.modrm = true;
		e.rm_mem = true;
		if (k == 6) {
			e.op[1] = 0x18;
			e.reg = (int)below(g, 4);
			if (chance(g, 4)) {
				/* anywhere, even unmapped */
				e.m.base = e.m.index = -1;
				e.m.disp = (int32_t)rnd(g);
				return emit(g, &e);
			}
		} else {
			e.op[1] = 0xae;
			e.reg = 7;
			if (k == 8)
				e.pfx[e.npfx++] = 0x66; /* clflushopt */
		}
		if (!gen_mem(g, &e.m, DATA_LO, DATA_HI, 0, &used))
			return false;
		return emit(g, &e);
	}
	case 0: /* popcnt: ZF defined, OF SF AF CF PF cleared */
	case 1: /* lzcnt: CF ZF defined */
	case 2: /* tzcnt */
		e.pfx[e.npfx++] = 0xf3;
		e.op[1] = (uint8_t[]){0xb8, 0xbd, 0xbc}[kind];
		if (!gen_rm(g, &e, true, false, 0, &used))
			return false;
		maybe_rex(g, &e);
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH,
		      kind ? X86DIFF_OF | X86DIFF_SF | X86DIFF_AF | X86DIFF_PF
			   : 0);
		return true;
	case 3: { /* movbe r, m / movbe m, r */
		bool store = chance(g, 2);

		e.op[1] = 0x38;
		e.op[2] = store ? 0xf1 : 0xf0;
		e.nop = 3;
		e.rm_mem = true;
		if (store) {
			e.reg = rnd_reg(g);
			e.wr_reg = 0;
		}
		if (!gen_mem(g, &e.m, DATA_LO, DATA_HI, 0, &used))
			return false;
		maybe_rex(g, &e);
		e.extra66 = false;
		return emit(g, &e);
	}
	default: { /* [mov ebp, frame;] enter n, level; leave */
		unsigned level = below(g, 4);

		if (level > 1 &&
		    !emit_mov32(g, RBP,
				(uint32_t)(X86DIFF_DATA_ADDR +
					   range(g, 0x1000, 0x3000))))
			return false;
		e = enc0();
		e.op[0] = 0xc8;
		e.nop = 1;
		e.imm = (below(g, 64) & ~7u) | ((uint64_t)level << 16);
		e.immsz = 3;
		if (!emit(g, &e))
			return false;
		e = enc0();
		e.op[0] = 0xc9;
		e.nop = 1;
		return emit(g, &e);
	}
	}
}

bool x86diff_gen_bcd(struct gen *g)
{
	uint32_t szp = X86DIFF_SF | X86DIFF_ZF | X86DIFF_PF;
	unsigned k = below(g, 6);

	if (!g->m32)
		return false; /* #UD in 64-bit mode */
	switch (k) {
	case 0: /* aaa, aas: read AF; write AF CF */
	case 1:
		if (!defined(g, X86DIFF_AF) ||
		    !emit_bytes(g, (uint8_t[]){k ? 0x3f : 0x37}, 1))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_OF | szp);
		return true;
	case 2: /* daa, das: read CF AF; OF undefined */
	case 3:
		if (!defined(g, X86DIFF_AF | X86DIFF_CF) ||
		    !emit_bytes(g, (uint8_t[]){k == 2 ? 0x27 : 0x2f}, 1))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_OF);
		return true;
	default: { /* aam ib, aad ib (aam 0 is #DE) */
		uint8_t imm = chance(g, 2) ? 10 : (uint8_t)rnd(g);

		if (k == 4 && !imm && !chance(g, 4))
			imm = 7;
		if (!emit_bytes(g, (uint8_t[]){k == 4 ? 0xd4 : 0xd5, imm}, 2))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_OF | X86DIFF_AF | X86DIFF_CF);
		return true;
	}
	}
}
