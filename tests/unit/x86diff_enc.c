// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff: the hand-written x86 encoder and operand choice (registers,
 * in-bounds memory operands with their setup, prefixes). Instructions are
 * encoded here rather than with Zydis's encoder so that the core's
 * Zydis-based decoder is not checked against Zydis's own tables.
 */
#include "x86diff_gen.h"

uint64_t x86diff_interesting(struct gen *g)
{
	static const uint64_t v[] = {
	    0,
	    1,
	    2,
	    0x7f,
	    0x80,
	    0xff,
	    0x100,
	    0x7fff,
	    0x8000,
	    0xffff,
	    0x7fffffff,
	    0x80000000,
	    0xffffffff,
	    0x100000000ull,
	    0x7fffffffffffffffull,
	    0x8000000000000000ull,
	    ~0ull,
	    ~0ull - 1,
	};
	switch (below(g, 4)) {
	case 0:
		return v[below(g, sizeof(v) / sizeof(v[0]))];
	case 1:
		return below(g, 64);
	case 2:
		return -(uint64_t)below(g, 64);
	default:
		return rnd(g);
	}
}

/* ---- flags ---------------------------------------------------------- */

static const uint32_t cc_reads[16] = {
    X86DIFF_OF,
    X86DIFF_OF,
    X86DIFF_CF,
    X86DIFF_CF,
    X86DIFF_ZF,
    X86DIFF_ZF,
    X86DIFF_CF | X86DIFF_ZF,
    X86DIFF_CF | X86DIFF_ZF,
    X86DIFF_SF,
    X86DIFF_SF,
    X86DIFF_PF,
    X86DIFF_PF,
    X86DIFF_SF | X86DIFF_OF,
    X86DIFF_SF | X86DIFF_OF,
    X86DIFF_ZF | X86DIFF_SF | X86DIFF_OF,
    X86DIFF_ZF | X86DIFF_SF | X86DIFF_OF,
};

/* A condition code whose flags are all defined, or -1. */
int x86diff_rnd_cc(struct gen *g)
{
	unsigned start = below(g, 16);

	for (unsigned i = 0; i < 16; i++) {
		unsigned cc = (start + i) & 15;

		if (defined(g, cc_reads[cc]))
			return (int)cc;
	}
	return -1;
}

static bool writes_rsp(int r, unsigned w, bool rex)
{
	return w && r == RSP && (w > 1 || rex);
}

bool x86diff_emit(struct gen *g, const struct enc *e)
{
	uint8_t b[24];
	unsigned n = 0, rex = 0;
	int disp_at = -1;
	struct x86diff_case *c = g->c;

	if (g->c->ninsn >= X86DIFF_MAX_INSNS - 1 ||
	    g->off + 16 + 16 > X86DIFF_CODE_SIZE) {
		g->full = true;
		return false;
	}
	unsigned legacy = n;

	if (e->dead_rex && !g->m32)
		b[n++] = e->dead_rex;
	for (unsigned i = 0; i < e->npfx; i++)
		b[n++] = e->pfx[i];
	/* (a 67 in compatibility mode would mean 16-bit addressing; 32-bit
	 * is the default there) */
	if (e->modrm && e->rm_mem && e->m.addr32 && !g->m32)
		b[n++] = 0x67;
	if (e->w == 2 || (e->extra66 && !g->m32))
		b[n++] = 0x66;
	if (e->dead_rex && !g->m32 && n == legacy + 1)
		n = legacy; /* no legacy prefix follows: it would be live */
	if (e->w == 8 && !e->d64)
		rex |= 8;
	if (e->modrm) {
		if (e->reg & 8)
			rex |= 4;
		if (e->rm_mem) {
			if (e->m.index >= 0 && (e->m.index & 8))
				rex |= 2;
			if (e->m.base >= 0 && (e->m.base & 8))
				rex |= 1;
		} else if (e->rm & 8) {
			rex |= 1;
		}
	}
	if (e->opreg >= 0 && (e->opreg & 8))
		rex |= 1;
	bool has_rex = rex || e->rex;

	if (g->m32) {
		/* 40-4F are INC/DEC there */
		if (rex)
			return false;
		has_rex = false;
	}

	if (writes_rsp(e->reg, e->wr_reg, has_rex) ||
	    (!e->rm_mem && writes_rsp(e->rm, e->wr_rm, has_rex)) ||
	    writes_rsp(e->opreg, e->wr_opreg, has_rex))
		return false;
	if (has_rex)
		b[n++] = (uint8_t)(0x40 | rex);
	for (unsigned i = 0; i < e->nop; i++)
		b[n++] = e->op[i];
	if (e->opreg >= 0)
		b[n - 1] = (uint8_t)(b[n - 1] + (e->opreg & 7));
	if (e->modrm) {
		uint8_t reg = (uint8_t)((e->reg & 7) << 3);

		if (!e->rm_mem) {
			b[n++] = (uint8_t)(0xc0 | reg | (e->rm & 7));
		} else if (e->m.rip) {
			b[n++] = (uint8_t)(reg | 5);
			disp_at = (int)n;
			n += 4;
		} else if (e->m.base < 0) {
			int idx = e->m.index >= 0 ? e->m.index & 7 : 4;

			b[n++] = (uint8_t)(reg | 4);
			b[n++] = (uint8_t)((e->m.scale << 6) | (idx << 3) | 5);
			memcpy(&b[n], &e->m.disp, 4);
			n += 4;
		} else {
			int base = e->m.base & 7;
			bool sib = e->m.index >= 0 || base == 4;
			unsigned mod;

			if (e->m.disp32 || e->m.disp < -128 || e->m.disp > 127)
				mod = 2;
			else if (e->m.disp || base == 5)
				mod = 1;
			else
				mod = 0;
			b[n++] = (uint8_t)((mod << 6) | reg | (sib ? 4 : base));
			if (sib) {
				int idx = e->m.index >= 0 ? e->m.index & 7 : 4;

				b[n++] = (uint8_t)((e->m.scale << 6) |
						   (idx << 3) | base);
			}
			if (mod == 1)
				b[n++] = (uint8_t)e->m.disp;
			if (mod == 2) {
				memcpy(&b[n], &e->m.disp, 4);
				n += 4;
			}
		}
	}
	int rel_at = -1;

	if (e->rel >= 0) {
		rel_at = (int)n;
		n += e->relsz;
	}
	for (unsigned i = 0; i < e->immsz; i++)
		b[n++] = (uint8_t)(e->imm >> (8 * i));
	if (n > 15)
		return false;
	if (disp_at >= 0) {
		/* 32-bit code has no RIP-relative form: the same ModRM is an
		 * absolute disp32 there */
		int64_t d =
		    (int64_t)e->m.target -
		    (g->m32 ? 0 : (int64_t)(X86DIFF_CODE_ADDR + g->off + n));
		int32_t d32 = (int32_t)d;

		memcpy(&b[disp_at], &d32, 4);
	}
	if (rel_at >= 0) {
		if (g->nfix >= MAX_GROUPS)
			return false;
		g->fix[g->nfix++] = (struct fixup){
		    .at = g->off + (uint32_t)rel_at,
		    .next = g->off + n,
		    .size = e->relsz,
		    .group = (unsigned)e->rel,
		};
	}
	if (e->abs_group >= 0) {
		if (g->nfix >= MAX_GROUPS || e->immsz != 4)
			return false;
		g->fix[g->nfix++] = (struct fixup){
		    .at = g->off + n - 4,
		    .size = 4,
		    .group = (unsigned)e->abs_group,
		    .abs = true,
		};
	}
	c->insn_off[c->ninsn++] = (uint16_t)g->off;
	memcpy(&c->code[g->off], b, n);
	g->off += n;
	return true;
}

/* Write a prepared byte string as one instruction. */
bool x86diff_emit_bytes(struct gen *g, const uint8_t *b, unsigned n)
{
	struct x86diff_case *c = g->c;

	if (c->ninsn >= X86DIFF_MAX_INSNS - 1 ||
	    g->off + n + 16 > X86DIFF_CODE_SIZE)
		return false;
	c->insn_off[c->ninsn++] = (uint16_t)g->off;
	memcpy(&c->code[g->off], b, n);
	g->off += n;
	return true;
}

/* mov r32, imm32 (zero-extends): setup that keeps flags. */
bool x86diff_emit_mov32(struct gen *g, int r, uint32_t v)
{
	struct enc e = enc0();

	e.op[0] = 0xb8;
	e.nop = 1;
	e.opreg = r;
	e.wr_opreg = 4;
	e.w = 4;
	e.imm = v;
	e.immsz = 4;
	return emit(g, &e);
}

/* movzx r32, r8 (r's own low byte, or AH.. without REX): 0..255. */
bool x86diff_emit_movzx8(struct gen *g, int r)
{
	struct enc e = enc0();

	e.op[0] = 0x0f;
	e.op[1] = 0xb6;
	e.nop = 2;
	e.w = 4;
	e.modrm = true;
	e.reg = r;
	e.rm = r;
	e.wr_reg = 4;
	return emit(g, &e);
}

/*
 * A memory operand whose effective address is in [DATA+lo, DATA+hi),
 * emitting the setup it needs. Registers in `avoid` are neither used nor
 * clobbered; the ones used are added to *used.
 */
uint32_t x86diff_pick_off(struct gen *g, uint32_t lo, uint32_t hi)
{
	/* often just below a page boundary: the access is split */
	if (chance(g, 5)) {
		uint32_t b = (range(g, lo, hi) + 0x800) & ~0xfffu;
		uint32_t o = b - range(g, 1, 9);

		if (b && o >= lo && o < hi)
			return o;
	}
	return range(g, lo, hi);
}

bool x86diff_gen_mem(struct gen *g, struct mem *m, uint32_t lo, uint32_t hi,
		     uint32_t avoid, uint32_t *used)
{
	unsigned mode = below(g, 8);

	memset(m, 0, sizeof(*m));
	m->base = m->index = -1;
	if (g->align) {
		/* an aligned operand: rip-relative or a plain base */
		uint32_t off = range(g, lo, hi) & ~(g->align - 1);

		if (chance(g, 2)) {
			m->rip = true;
			m->target = X86DIFF_DATA_ADDR + off;
			return true;
		}
		m->base = rnd_wreg(g, avoid);
		*used |= 1u << m->base;
		return emit_mov32(g, m->base,
				  (uint32_t)(X86DIFF_DATA_ADDR + off));
	}
	if (mode == 0) {
		m->rip = true;
		m->addr32 = chance(g, 8);
		m->target = X86DIFF_DATA_ADDR + pick_off(g, lo, hi);
		return true;
	}
	if (mode == 1 && !(avoid & (1u << RSP)) && lo + 0x80 <= STACK_OFF &&
	    hi >= STACK_OFF + 0x80) {
		m->base = RSP;
		m->disp = (int32_t)below(g, 256) - 128;
		*used |= 1u << RSP;
		return true;
	}
	bool idx = chance(g, 2) && hi - lo > 0x900;
	uint32_t span = 0;

	if (idx) {
		m->scale = below(g, 4);
		span = 255u << m->scale;
		do
			m->index = rnd_wreg(g, avoid);
		while (m->index == RSP);
	}
	uint32_t off = idx ? range(g, lo, hi - span) : pick_off(g, lo, hi);

	if (mode == 2) {
		/* [index*s + disp32], no base */
		m->disp = (int32_t)(X86DIFF_DATA_ADDR + off);
	} else {
		do
			m->base = rnd_wreg(g, avoid);
		while (m->base == m->index);
		m->addr32 = chance(g, 8);
		switch (below(g, 4)) {
		case 0:
			m->disp = 0;
			break;
		case 1:
			m->disp = (int32_t)below(g, 256) - 128;
			break;
		case 2:
			m->disp = (int32_t)below(g, 256) - 128;
			m->disp32 = true;
			break;
		default:
			m->disp = (int32_t)below(g, 0x2000) - 0x1000;
			break;
		}
		/* with a 67 prefix the sum wraps at 4 GiB: a large disp and
		 * a "negative" 32-bit base land in the buffer all the same */
		if (m->addr32 && chance(g, 3))
			m->disp = (int32_t)(0x40000000u + below(g, 0x3fffffff));
		if (!emit_mov32(g, m->base,
				(uint32_t)(X86DIFF_DATA_ADDR + off - m->disp)))
			return false;
		*used |= 1u << m->base;
	}
	if (idx) {
		if (!emit_movzx8(g, m->index))
			return false;
		*used |= 1u << m->index;
	}
	return true;
}

/* r/m operand: a register (written or not) or memory in the general range */
bool x86diff_gen_rm(struct gen *g, struct enc *e, bool mem_ok, bool written,
		    uint32_t avoid, uint32_t *used)
{
	e->modrm = true;
	if (mem_ok && chance(g, 3)) {
		e->rm_mem = true;
		/* segment overrides: ignored in 64-bit mode; real (flat)
		 * segments in compatibility mode, where CS is not writable */
		if (chance(g, 10))
			e->pfx[e->npfx++] = (uint8_t[]){
			    0x3e, 0x26, 0x36, 0x2e}[below(g, g->m32 ? 3 : 4)];
		return gen_mem(g, &e->m, DATA_LO, DATA_HI, avoid, used);
	}
	/* a written RSP/SPL is refused by emit(); AH is fine */
	e->rm = written && !chance(g, 4) ? rnd_wreg(g, 0) : rnd_reg(g);
	return true;
}

void x86diff_maybe_rex(struct gen *g, struct enc *e)
{
	if (chance(g, 6))
		e->rex = true;
	if (e->w == 8 && !e->d64 && chance(g, 12))
		e->extra66 = true;
	if (chance(g, 10))
		e->dead_rex = (uint8_t)(0x40 | below(g, 16));
}
