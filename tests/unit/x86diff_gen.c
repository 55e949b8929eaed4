// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff generator: random valid 64-bit CPL3 instruction sequences.
 *
 * Instructions are encoded by hand here (not with Zydis's encoder) so that
 * the core's Zydis-based decoder is not checked against Zydis's own tables.
 *
 * The sequence is a list of groups: one instruction under test plus the
 * setup it needs to stay defined and in bounds (a base register pointing
 * into the data buffer, a masked index, a known shift count, ...). Forward
 * branches only target group boundaries, so setup is never skipped.
 *
 * Flags the SDM leaves undefined are tracked along every path: no
 * instruction may consume an undefined flag, and the ones still undefined
 * at the end are masked out of the comparison.
 */
#include <string.h>

#include "x86diff.h"

#define MAX_GROUPS 64
#define DATA_LO	   0x100u
#define DATA_HI	   (X86DIFF_DATA_SIZE - 0x300u)
#define STACK_OFF  ((uint32_t)(X86DIFF_STACK_TOP - X86DIFF_DATA_ADDR))

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

struct mem {
	int base, index; /* -1: none */
	unsigned scale;
	bool rip, addr32, disp32;
	int32_t disp;
	uint64_t target; /* rip-relative target address */
};

/* One instruction to encode. */
struct enc {
	uint8_t pfx[3]; /* legacy prefixes (lock, rep, segment) */
	unsigned npfx;
	unsigned w;	  /* operand size: 2 -> 0x66, 8 -> REX.W (unless d64) */
	bool d64;	  /* default 64-bit operand size (push/pop) */
	bool rex;	  /* emit a REX even if no bit is needed */
	bool extra66;	  /* 0x66 together with REX.W: W wins */
	uint8_t dead_rex; /* a REX before a legacy prefix: ignored */
	uint8_t op[3];
	unsigned nop;
	bool modrm;
	int reg; /* modrm.reg: register or /digit */
	bool rm_mem;
	int rm; /* register when !rm_mem */
	struct mem m;
	int opreg; /* register encoded in the opcode's low bits, or -1 */
	uint64_t imm;
	unsigned immsz;
	/* Register operands written, with their widths (for the RSP rule). */
	unsigned wr_reg, wr_rm, wr_opreg; /* 0: not written, else width */
	int rel;			  /* >=0: branch to this group */
	unsigned relsz;
	int abs_group; /* >=0: the imm32 is this group's address */
};

struct fixup {
	uint32_t at, next;
	unsigned size, group;
	bool abs; /* imm32 = linear address of the group, not rel */
};

struct gen {
	struct x86diff_case *c;
	uint64_t rng;
	uint32_t classes;
	uint32_t off;
	uint32_t undef;
	unsigned group, ngroups;
	uint32_t pending[MAX_GROUPS + 1];
	uint32_t group_off[MAX_GROUPS + 1];
	struct fixup fix[MAX_GROUPS];
	unsigned nfix;
	bool full;
	uint32_t align;	 /* gen_mem: operand alignment (0: any) */
	bool m32;	 /* compatibility mode: 32-bit code, no REX */
	bool smc;	 /* the code is writable: self-modifying code */
	unsigned fdepth; /* x87 stack depth at group boundaries */
};

static uint64_t rnd(struct gen *g)
{
	return x86diff_rand(&g->rng);
}

static unsigned below(struct gen *g, unsigned n)
{
	return n ? (unsigned)(rnd(g) % n) : 0;
}

static bool chance(struct gen *g, unsigned n)
{
	return below(g, n) == 0;
}

static uint32_t range(struct gen *g, uint32_t lo, uint32_t hi)
{
	return lo + below(g, hi - lo);
}

/* Operand widths and registers; compatibility mode has no REX. */
static unsigned rnd_width(struct gen *g)
{
	static const unsigned w[] = {1, 2, 4, 8};

	return w[below(g, g->m32 ? 3 : 4)];
}

static unsigned rnd_width_nz8(struct gen *g)
{
	static const unsigned w[] = {2, 4, 8, 8};

	return w[below(g, g->m32 ? 2 : 4)];
}

/* A register that may be written: never RSP. */
static int rnd_wreg(struct gen *g, uint32_t avoid)
{
	for (;;) {
		int r = (int)below(g, g->m32 ? 8 : 16);

		if (r != RSP && !(avoid & (1u << r)))
			return r;
	}
}

static int rnd_reg(struct gen *g)
{
	return (int)below(g, g->m32 ? 8 : 16);
}

static uint64_t interesting(struct gen *g)
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

static bool defined(struct gen *g, uint32_t f)
{
	return !(g->undef & f);
}

/* A condition code whose flags are all defined, or -1. */
static int rnd_cc(struct gen *g)
{
	unsigned start = below(g, 16);

	for (unsigned i = 0; i < 16; i++) {
		unsigned cc = (start + i) & 15;

		if (defined(g, cc_reads[cc]))
			return (int)cc;
	}
	return -1;
}

/* The instruction writes `wr` flags, of which `undef` become undefined. */
static void flags(struct gen *g, uint32_t wr, uint32_t undef)
{
	g->undef = (g->undef & ~wr) | undef;
	g->c->undef_any |= g->undef;
}

/* ---- encoder -------------------------------------------------------- */

static bool writes_rsp(int r, unsigned w, bool rex)
{
	return w && r == RSP && (w > 1 || rex);
}

static bool emit(struct gen *g, const struct enc *e)
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
static bool emit_bytes(struct gen *g, const uint8_t *b, unsigned n)
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

static struct enc enc0(void)
{
	return (struct enc){.opreg = -1, .rel = -1, .abs_group = -1};
}

/* mov r32, imm32 (zero-extends): setup that keeps flags. */
static bool emit_mov32(struct gen *g, int r, uint32_t v)
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
static bool emit_movzx8(struct gen *g, int r)
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
static uint32_t pick_off(struct gen *g, uint32_t lo, uint32_t hi)
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

static bool gen_mem(struct gen *g, struct mem *m, uint32_t lo, uint32_t hi,
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
static bool gen_rm(struct gen *g, struct enc *e, bool mem_ok, bool written,
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

static void maybe_lock(struct gen *g, struct enc *e)
{
	if (e->rm_mem && chance(g, 4))
		e->pfx[e->npfx++] = 0xf0;
}

static void maybe_rex(struct gen *g, struct enc *e)
{
	if (chance(g, 6))
		e->rex = true;
	if (e->w == 8 && !e->d64 && chance(g, 12))
		e->extra66 = true;
	if (chance(g, 10))
		e->dead_rex = (uint8_t)(0x40 | below(g, 16));
}

static void set_imm(struct gen *g, struct enc *e, unsigned sz)
{
	e->imm = interesting(g);
	e->immsz = sz;
}

/* ---- instruction classes ------------------------------------------ */

static bool gen_alu(struct gen *g)
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

static bool gen_shift(struct gen *g)
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

static bool gen_muldiv(struct gen *g)
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
	if (!emit(g, &e))
		return false;
	flags(g, X86DIFF_ARITH, X86DIFF_ARITH);
	return true;
}

static bool gen_bit(struct gen *g)
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

static bool gen_string(struct gen *g)
{
	static const uint8_t ops[] = {0xa4, 0xaa, 0xac, 0xae, 0xa6};
	unsigned which = below(g, 5), w = rnd_width(g);
	unsigned rep = below(g, 3); /* none, f3, f2 (cmp only) */
	bool cmp = which >= 3, a32 = !g->m32 && chance(g, 6);
	uint32_t n = chance(g, 4)   ? 0
		     : chance(g, 3) ? below(g, 300)
				    : below(g, 17);
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

static bool gen_cond(struct gen *g)
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

static bool gen_xchg(struct gen *g)
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

static bool gen_mov(struct gen *g)
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

static bool gen_convert(struct gen *g)
{
	struct enc e = enc0();

	e.w = (unsigned[]){2, 4, 8}[below(g, 3)];
	e.op[0] = chance(g, 2) ? 0x98 : 0x99;
	e.nop = 1;
	maybe_rex(g, &e);
	return emit(g, &e);
}

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

static bool gen_stack(struct gen *g)
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

static bool gen_flags(struct gen *g)
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

static bool gen_branch(struct gen *g)
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
static bool gen_extra(struct gen *g)
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

/*
 * The last group: an instruction that faults. The native run sees the
 * vector, error code and CR2 in the signal frame; the core must raise the
 * same exception at the same instruction with the same state (memory
 * included: a split store that faults writes nothing).
 */
static bool gen_fault(struct gen *g)
{
	static const uint8_t invalid64[] = {0x06, 0x07, 0x0e, 0x16, 0x17,
					    0x1e, 0x1f, 0x27, 0x2f, 0x37,
					    0x3f, 0x60, 0x61, 0xce, 0xd6};
	static const struct {
		uint8_t b[4];
		unsigned n;
	} priv[] = {
	    {{0xf4}, 1},		   /* hlt */
	    {{0xfa}, 1},		   /* cli (IOPL 0) */
	    {{0xfb}, 1},		   /* sti */
	    {{0xec}, 1},		   /* in al, dx */
	    {{0xef}, 1},		   /* out dx, eax */
	    {{0xe4, 0x60}, 2},		   /* in al, 0x60 */
	    {{0x6c}, 1},		   /* insb */
	    {{0x0f, 0x32}, 2},		   /* rdmsr */
	    {{0x0f, 0x30}, 2},		   /* wrmsr */
	    {{0x0f, 0x20, 0xc0}, 3},	   /* mov rax, cr0 */
	    {{0x0f, 0x22, 0xd8}, 3},	   /* mov cr3, rax */
	    {{0x0f, 0x21, 0xf8}, 3},	   /* mov rax, dr7 */
	    {{0x0f, 0x06}, 2},		   /* clts */
	    {{0x0f, 0x09}, 2},		   /* wbinvd */
	    {{0x0f, 0x08}, 2},		   /* invd */
	    {{0x0f, 0x01, 0x14, 0x24}, 4}, /* lgdt [rsp] */
	    {{0x0f, 0x01, 0x1c, 0x24}, 4}, /* lidt [rsp] */
	    {{0x0f, 0x01, 0x3c, 0x24}, 4}, /* invlpg [rsp] */
	    {{0x0f, 0x01, 0xf0}, 3},	   /* lmsw ax */
	    {{0x0f, 0x00, 0xd8}, 3},	   /* ltr ax */
	    {{0x0f, 0x00, 0xd0}, 3},	   /* lldt ax */
	    {{0x0f, 0x01, 0xf8}, 3},	   /* swapgs */
	};
	struct enc e = enc0();
	unsigned w = rnd_width(g);
	uint32_t end = (uint32_t)(X86DIFF_DATA_ADDR + X86DIFF_DATA_SIZE);

	if (g->group + 1 != g->ngroups)
		return false;
	switch (below(g, 10)) {
	case 0:	  /* load that runs off the end of the data */
	case 1: { /* store / read-modify-write that does */
		unsigned k = below(g, 3);

		e.w = w;
		e.nop = 1;
		e.modrm = true;
		e.rm_mem = true;
		e.m.base = e.m.index = -1;
		e.m.disp = (int32_t)(end - below(g, w));
		e.reg = rnd_wreg(g, 0);
		if (k == 0) {
			e.op[0] = w == 1 ? 0x8a : 0x8b;
			e.wr_reg = w;
		} else {
			e.op[0] = k == 1 ? (w == 1 ? 0x88 : 0x89)
					 : (w == 1 ? 0x00 : 0x01);
		}
		maybe_rex(g, &e);
		return emit(g, &e);
	}
	case 2: { /* rep stos / movs that runs off the end */
		unsigned k = range(g, 1, 8);
		struct enc d = enc0();

		d.op[0] = 0xfc; /* cld */
		d.nop = 1;
		if (!emit(g, &d) ||
		    !emit_mov32(g, RDI, end - k * w + below(g, w)) ||
		    !emit_mov32(g, RSI,
				(uint32_t)(X86DIFF_DATA_ADDR + 0x1000)) ||
		    !emit_mov32(g, RCX, k + range(g, 1, 8)))
			return false;
		e.pfx[e.npfx++] = 0xf3;
		e.w = w;
		e.op[0] = (uint8_t)((chance(g, 2) ? 0xaa : 0xa4) + (w > 1));
		e.nop = 1;
		maybe_rex(g, &e);
		return emit(g, &e);
	}
	case 3: /* store into the read-only code */
		if (g->smc)
			return false;
		e.w = w;
		e.op[0] = w == 1 ? 0x88 : 0x89;
		e.nop = 1;
		e.modrm = true;
		e.reg = rnd_reg(g);
		e.rm_mem = true;
		e.m.rip = chance(g, 2);
		e.m.base = e.m.index = -1;
		e.m.target =
		    X86DIFF_CODE_ADDR + below(g, X86DIFF_CODE_SIZE - 8);
		e.m.disp = (int32_t)e.m.target;
		if (chance(g, 2)) {
			/* a shift/rotate whose masked count is 0 changes
			 * nothing, yet is checked as a write */
			static const int ops[] = {0, 1, 2, 3, 4, 5, 7};

			e.op[0] = w == 1 ? 0xc0 : 0xc1;
			e.reg = ops[below(g, 7)];
			e.imm = chance(g, 2) ? 0 : (w == 8 ? 64 : 32);
			e.immsz = 1;
		}
		return emit(g, &e);
	case 4: { /* jump into the NX data */
		int r = rnd_wreg(g, 0);

		if (!emit_mov32(g, r,
				(uint32_t)(X86DIFF_DATA_ADDR +
					   range(g, DATA_LO, DATA_HI))))
			return false;
		e.op[0] = 0xff;
		e.nop = 1;
		e.modrm = true;
		e.reg = chance(g, 2) ? 2 : 4; /* call / jmp */
		e.rm = r;
		return emit(g, &e);
	}
	case 5: { /* non-canonical address: #GP(0), or #SS(0) via rbp/rsp */
		bool ss = chance(g, 3);

		if (g->m32)
			return false;
		int r = ss ? RBP : rnd_wreg(g, 1u << RBP);

		e.w = 8;
		e.op[0] = 0xb8;
		e.nop = 1;
		e.opreg = r;
		e.wr_opreg = 8;
		e.imm = (chance(g, 2) ? 0x8000000000000000ull
				      : 0x0000800000000000ull) |
			(rnd(g) & 0xfffff);
		e.immsz = 8;
		if (!emit(g, &e))
			return false;
		e = enc0();
		e.w = w;
		e.op[0] = w == 1 ? 0x8a : 0x8b;
		e.nop = 1;
		e.modrm = true;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		e.rm_mem = true;
		e.m.base = r;
		e.m.index = -1;
		e.m.disp = (int32_t)below(g, 64);
		return emit(g, &e);
	}
	case 6: { /* #UD: ud2, ud1, opcodes invalid in 64-bit mode, LOCK
		     on a register destination */
		uint8_t b[4];
		unsigned n = 0;

		switch (below(g, 4)) {
		case 0:
			b[n++] = 0x0f;
			b[n++] = 0x0b;
			break;
		case 1:
			b[n++] = 0x0f;
			b[n++] = 0xb9;
			b[n++] = 0xc0 | (uint8_t)below(g, 64);
			break;
		case 2:
			if (g->m32)
				return false; /* valid there */
			b[n++] = invalid64[below(g, sizeof(invalid64))];
			break;
		default:
			b[n++] = 0xf0;
			b[n++] = 0x01;
			b[n++] = 0xc0 | (uint8_t)below(g, 64);
			break;
		}
		return emit_bytes(g, b, n);
	}
	case 7: { /* privileged: #GP(0); int n: #GP(n*8+2) */
		if (chance(g, 3)) {
			uint8_t n;

			do
				n = (uint8_t)range(g, 5, 256);
			while (n == 0x80);
			return emit_bytes(g, (uint8_t[]){0xcd, n}, 2);
		}
		unsigned k = below(g, sizeof(priv) / sizeof(priv[0]));

		return emit_bytes(g, priv[k].b, priv[k].n);
	}
	case 8: /* int3 in the middle */
		return emit_bytes(g, (uint8_t[]){0xcc}, 1);
	default: {	    /* #DE: divide by zero, or INT_MIN / -1 */
		if (g->m32) /* mov ecx, 0|-1; mov eax, 1<<31; cdq; idiv ecx */
			return emit_mov32(g, RCX, chance(g, 2) ? 0 : ~0u) &&
			       emit_mov32(g, RAX, 0x80000000u) &&
			       emit_bytes(g, (uint8_t[]){0x99}, 1) &&
			       emit_bytes(g, (uint8_t[]){0xf7, 0xf9}, 2);
		if (chance(g, 2))
			return emit_mov32(g, RCX, 0) &&
			       emit_bytes(g, (uint8_t[]){0x48, 0xf7, 0xf1}, 3);
		return emit_bytes(
			   g,
			   (uint8_t[]){0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80},
			   10) &&
		       emit_bytes(g, (uint8_t[]){0x48, 0x99}, 2) &&
		       emit_bytes(g,
				  (uint8_t[]){0x48, 0xc7, 0xc1, 0xff, 0xff,
					      0xff, 0xff},
				  7) &&
		       emit_bytes(g, (uint8_t[]){0x48, 0xf7, 0xf9}, 3);
	}
	}
}

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

static bool gen_sse(struct gen *g)
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

/*
 * Self-modifying code: a store into an instruction of the same group that
 * has not run yet (often the very next one, which silicon has already
 * fetched and must notice), then that instruction.
 */
static bool gen_smc(struct gen *g)
{
	struct enc e = enc0();
	int r = rnd_wreg(g, 0);
	uint32_t at;

	if (!g->smc)
		return false;
	switch (below(g, 3)) {
	case 0: { /* patch the immediate of the next mov r32, imm32 */
		unsigned sz = (unsigned[]){1, 2, 4}[below(g, 3)];
		unsigned skip = below(g, 5 - sz); /* byte within imm32 */

		e.w = sz;
		e.op[0] = sz == 1 ? 0xc6 : 0xc7;
		e.nop = 1;
		e.modrm = true;
		e.reg = 0;
		e.rm_mem = true;
		e.m.rip = true;
		e.imm = rnd(g);
		e.immsz = sz;
		/* store length: [66] op modrm disp32 imm */
		at = g->off + (sz == 2) + 2 + 4 + sz;
		/* mov r32, imm32 is [REX] B8+r imm32 */
		e.m.target = X86DIFF_CODE_ADDR + at + 1 + (r >= 8) + skip;
		if (!emit(g, &e) || g->off != at)
			return false;
		return emit_mov32(g, r, (uint32_t)rnd(g));
	}
	case 1: { /* turn the next add r/m32, r32 into sub/xor/or/and */
		static const uint8_t ops[] = {0x29, 0x31, 0x09, 0x21, 0x11};
		uint8_t op = ops[below(g, 4 + defined(g, X86DIFF_CF))];

		e.w = 1;
		e.op[0] = 0xc6;
		e.nop = 1;
		e.modrm = true;
		e.reg = 0;
		e.rm_mem = true;
		e.m.rip = true;
		e.imm = op;
		e.immsz = 1;
		at = g->off + 2 + 4 + 1;
		e.m.target = X86DIFF_CODE_ADDR + at;
		if (!emit(g, &e) || g->off != at)
			return false;
		e = enc0();
		e.w = 4;
		e.op[0] = 0x01;
		e.nop = 1;
		e.modrm = true;
		/* no REX: the patched byte is the opcode */
		e.reg = (int)below(g, 8);
		e.rm = r & 7;
		e.wr_rm = 4;
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_AF);
		return true;
	}
	default: { /* rep stosb NOPs over the next 1..3 instructions */
		unsigned n = 1 + below(g, 3), len = 0;
		uint32_t fix;

		if (!emit_mov32(g, RDI, 0))
			return false;
		fix = g->off - 4;
		if (!emit_bytes(g, (uint8_t[]){0xb0, 0x90}, 2) || /* mov al */
		    !emit_bytes(g, (uint8_t[]){0xfc}, 1) ||	  /* cld */
		    !emit_mov32(g, RCX, 0))
			return false;
		uint32_t cnt = g->off - 4;

		if (!emit_bytes(g, (uint8_t[]){0xf3, 0xaa}, 2))
			return false;
		uint32_t start = g->off;

		for (unsigned i = 0; i < n; i++)
			if (!emit_mov32(g,
					rnd_wreg(g, (1u << RDI) | (1u << RCX)),
					(uint32_t)rnd(g)))
				return false;
		len = g->off - start;
		uint32_t a = (uint32_t)(X86DIFF_CODE_ADDR + start);

		memcpy(&g->c->code[fix], &a, 4);
		memcpy(&g->c->code[cnt], &len, 4);
		return true;
	}
	}
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

	switch (below(g, 12)) {
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
static bool gen_x87(struct gen *g)
{
	unsigned d = g->fdepth, nops = below(g, 3);

	if (d < 8 && (d == 0 || chance(g, 2))) {
		/* push */
		switch (below(g, 4)) {
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
		switch (below(g, 5)) {
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

static bool gen_bcd(struct gen *g)
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

static bool (*const class_gen[X86DIFF_C_COUNT])(struct gen *) = {
    [X86DIFF_C_BCD] = gen_bcd,	       [X86DIFF_C_X87] = gen_x87,
    [X86DIFF_C_SMC] = gen_smc,	       [X86DIFF_C_SSE] = gen_sse,
    [X86DIFF_C_EXTRA] = gen_extra,     [X86DIFF_C_FAULT] = gen_fault,
    [X86DIFF_C_ALU] = gen_alu,	       [X86DIFF_C_SHIFT] = gen_shift,
    [X86DIFF_C_MULDIV] = gen_muldiv,   [X86DIFF_C_BIT] = gen_bit,
    [X86DIFF_C_STRING] = gen_string,   [X86DIFF_C_COND] = gen_cond,
    [X86DIFF_C_XCHG] = gen_xchg,       [X86DIFF_C_MOV] = gen_mov,
    [X86DIFF_C_CONVERT] = gen_convert, [X86DIFF_C_FLAGS] = gen_flags,
    [X86DIFF_C_STACK] = gen_stack,     [X86DIFF_C_BRANCH] = gen_branch,
};

static const char *const class_names[X86DIFF_C_COUNT] = {
    "alu", "shift",   "muldiv", "bit",	 "string",   "cond",  "xchg",
    "mov", "convert", "flags",	"stack", "branch",   "extra", "fault",
    "smc", "x87",     "sse",	"bcd",	 "compat32",
};

const char *x86diff_class_name(enum x86diff_class c)
{
	return c < X86DIFF_C_COUNT ? class_names[c] : "?";
}

int x86diff_parse_classes(const char *list, uint32_t *mask)
{
	*mask = 0;
	while (*list) {
		size_t n = strcspn(list, ",");
		unsigned i;

		if (n == 3 && !strncmp(list, "all", 3)) {
			*mask |= X86DIFF_ALL_CLASSES;
		} else {
			for (i = 0; i < X86DIFF_C_COUNT; i++)
				if (strlen(class_names[i]) == n &&
				    !strncmp(list, class_names[i], n))
					break;
			if (i == X86DIFF_C_COUNT)
				return -1;
			*mask |= 1u << i;
		}
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* ---- cases ---------------------------------------------------------- */

/* A valid 80-bit value: no pseudo-NaN/-infinity/-denormal, no unnormal */
void x86diff_rand_ext(uint64_t *rng, uint8_t out[10])
{
	static const struct {
		uint16_t se;
		uint64_t m;
	} v[] = {
	    {0x0000, 0},
	    {0x8000, 0},
	    {0x3fff, 0x8000000000000000ull}, /* 1 */
	    {0xbfff, 0xc000000000000000ull}, /* -1.5 */
	    {0x4000, 0xc90fdaa22168c235ull}, /* pi */
	    {0x7fff, 0x8000000000000000ull}, /* inf */
	    {0xffff, 0x8000000000000000ull},
	    {0x7fff, 0xc000000000000000ull}, /* qnan */
	    {0x7fff, 0xa000000000000000ull}, /* snan */
	    {0x0000, 0x0000000000000001ull}, /* denormal */
	    {0x0001, 0x8000000000000000ull}, /* smallest normal */
	    {0x7ffe, 0xffffffffffffffffull}, /* largest */
	    {0x403e, 0x8000000000000000ull}, /* 2^63 */
	    {0x401d, 0xffffffff00000000ull}, /* 2^31 - 1 ish */
	};
	uint64_t r = x86diff_rand(rng), m;
	uint16_t se;

	if (r % 3 == 0) {
		unsigned k = (unsigned)(r >> 8) % (sizeof(v) / sizeof(v[0]));

		se = v[k].se;
		m = v[k].m;
	} else {
		/* a normal number of moderate magnitude */
		se = (uint16_t)(0x3fff - 40 + (r >> 8) % 80) |
		     (uint16_t)((r >> 20) & 1) << 15;
		m = x86diff_rand(rng) | 0x8000000000000000ull;
	}
	memcpy(out, &m, 8);
	memcpy(out + 8, &se, 2);
}

static void init_state(struct x86diff_case *c, uint64_t *rng)
{
	struct gen g = {.rng = *rng};

	for (unsigned i = 0; i < 16; i++)
		c->init.gpr[i] = interesting(&g);
	c->init.gpr[RSP] = X86DIFF_STACK_TOP;
	c->init.rip = X86DIFF_CODE_ADDR;
	c->init.rflags = 0x202 | (rnd(&g) & (X86DIFF_ARITH | X86DIFF_DF));
	for (unsigned i = 0; i < X86DIFF_DATA_SIZE; i += 8) {
		uint64_t v = chance(&g, 4) ? interesting(&g) : rnd(&g);

		memcpy(&c->data[i], &v, 8);
	}
	/* XMM lanes: floats and doubles worth having (signed zeros,
	 * infinities, quiet/signalling NaNs, denormals) or random bits */
	static const uint32_t f32[] = {
	    0,		0x80000000, 0x3f800000, 0xbfc00000, 0x7f800000,
	    0xff800000, 0x7fc00000, 0x7fa00000, 0x00000001, 0x007fffff,
	    0x00800000, 0x7f7fffff, 0x4f000000, 0xcf000000, 0x3effffff};
	static const uint64_t f64[] = {0,
				       0x8000000000000000ull,
				       0x3ff0000000000000ull,
				       0x7ff0000000000000ull,
				       0xfff8000000000000ull,
				       0x7ff4000000000000ull,
				       0x0000000000000001ull,
				       0x000fffffffffffffull,
				       0x41e0000000000000ull,
				       0xc3e0000000000000ull,
				       0x3fdfffffffffffffull,
				       0x7fefffffffffffffull};
	for (unsigned i = 0; i < 16; i++)
		for (unsigned l = 0; l < 16; l += 8) {
			uint64_t v;

			switch (below(&g, 4)) {
			case 0: {
				uint32_t a = f32[below(&g, 15)],
					 b = f32[below(&g, 15)];

				v = a | (uint64_t)b << 32;
				break;
			}
			case 1:
				v = f64[below(&g, 12)];
				break;
			case 2:
				v = interesting(&g);
				break;
			default:
				v = rnd(&g);
				break;
			}
			memcpy(&c->init.xmm[i][l], &v, 8);
		}
	/* all exceptions masked, no DAZ/FTZ; a random rounding mode and
	 * random sticky flags */
	c->init.mxcsr = 0x1f80 | (uint32_t)(rnd(&g) & 0x603f);
	/* x87: 0-5 values on the stack, masked exceptions, extended
	 * precision, a random rounding mode */
	unsigned depth = below(&g, 6), top = (8 - depth) & 7;

	c->init.fcw = (uint16_t)(0x037f | (below(&g, 4) << 10));
	c->init.fsw = (uint16_t)(top << 11);
	c->init.ftw = 0;
	for (unsigned i = 0; i < 8; i++) {
		if (i < depth)
			c->init.ftw |= (uint8_t)(1u << ((top + i) & 7));
		x86diff_rand_ext(&g.rng, c->init.st[i]);
	}
	*rng = g.rng;
}

static uint64_t seed_mix(uint64_t seed)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ull;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z ? z : 1;
}

static bool gen_try(struct x86diff_case *c, uint64_t seed, uint64_t attempt,
		    uint32_t classes, unsigned min_groups, unsigned max_groups)
{
	struct gen g = {.c = c, .classes = classes};
	unsigned ncls = 0, cls[X86DIFF_C_COUNT];

	g.rng = seed_mix(seed ^ (attempt << 48));
	memset(c->code, 0xcc, sizeof(c->code));
	c->ninsn = 0;
	memset(c->group_start, 0, sizeof(c->group_start));
	c->classes = 0;
	c->seed = seed;
	c->name = NULL;
	init_state(c, &g.rng);
	uint32_t compat = 1u << X86DIFF_C_COMPAT;

	uint32_t smc = 1u << X86DIFF_C_SMC;

	g.fdepth = (unsigned)__builtin_popcount(c->init.ftw);

	g.smc = (classes & smc) && (classes == smc || chance(&g, 2));
	c->smc = g.smc;
	g.m32 = ((classes & compat) && (classes == compat || chance(&g, 2))) ||
		(classes & ~compat) == 1u << X86DIFF_C_BCD;
	c->compat = g.m32;
	if (g.m32)
		c->classes |= compat;
	classes &= ~compat;
	if (!classes)
		classes = X86DIFF_ALL_CLASSES & ~compat;
	for (unsigned i = 0; i < X86DIFF_C_COUNT; i++)
		if (classes & (1u << i))
			cls[ncls++] = i;
	if (!ncls)
		return false;
	if (max_groups > MAX_GROUPS)
		max_groups = MAX_GROUPS;
	if (min_groups < 1)
		min_groups = 1;
	if (min_groups > max_groups)
		min_groups = max_groups;
	g.ngroups = min_groups + below(&g, max_groups - min_groups + 1);
	/* sometimes start just before a page end: instructions straddle */
	c->entry = chance(&g, 4) ? 0x1000 - range(&g, 1, 40) : 0;
	c->init.rip = X86DIFF_CODE_ADDR + c->entry;
	g.off = c->entry;
	g.undef = 0;
	c->undef_any = 0;
	for (g.group = 0; g.group < g.ngroups && !g.full; g.group++) {
		g.undef |= g.pending[g.group];
		c->undef_any |= g.undef;
		g.group_off[g.group] = g.off;
		if (c->ninsn < X86DIFF_MAX_INSNS)
			c->group_start[c->ninsn] = true;
		for (unsigned tries = 0;; tries++) {
			struct gen save = g;
			uint32_t ninsn = c->ninsn;
			unsigned k = cls[below(&g, ncls)];

			if (g.group + 1 == g.ngroups &&
			    (classes & (1u << X86DIFF_C_FAULT)) &&
			    chance(&g, 2))
				k = X86DIFF_C_FAULT;

			if (tries > 30) {
				k = X86DIFF_C_MOV;
				if (!(classes & (1u << k)))
					break;
			}
			if (class_gen[k](&g)) {
				c->classes |= 1u << k;
				break;
			}
			/* roll back, keep the random stream moving */
			uint64_t rng = g.rng;
			bool full = g.full;

			g = save;
			g.rng = rng;
			g.full = full;
			c->ninsn = ninsn;
			if (g.full || tries > 40)
				break;
		}
	}
	/* groups never generated (buffer full) end at the marker too */
	for (unsigned i = g.group; i <= g.ngroups; i++) {
		g.undef |= g.pending[i];
		g.group_off[i] = g.off;
	}
	c->len = g.off;
	c->undef_flags = g.undef;
	for (unsigned i = 0; i < g.nfix; i++) {
		const struct fixup *f = &g.fix[i];
		int64_t d = (int64_t)g.group_off[f->group] - f->next;

		if (f->abs) {
			uint32_t a = (uint32_t)(X86DIFF_CODE_ADDR +
						g.group_off[f->group]);

			memcpy(&c->code[f->at], &a, 4);
		} else if (f->size == 1) {
			if (d > 127)
				return false;
			c->code[f->at] = (uint8_t)d;
		} else {
			int32_t d32 = (int32_t)d;

			memcpy(&c->code[f->at], &d32, 4);
		}
	}
	return true;
}

void x86diff_gen(struct x86diff_case *c, uint64_t seed, uint32_t classes,
		 unsigned min_groups, unsigned max_groups)
{
	for (uint64_t attempt = 0;; attempt++)
		if (gen_try(c, seed, attempt, classes, min_groups,
			    max_groups) ||
		    attempt > 1000)
			break;
}

void x86diff_from_bytes(struct x86diff_case *c, const struct x86diff_fixed *f,
			uint64_t seed)
{
	uint64_t rng = seed_mix(seed);
	uint32_t len =
	    f->len < X86DIFF_CODE_SIZE - 16 ? f->len : X86DIFF_CODE_SIZE - 16;
	unsigned n = 0;

	memset(c->code, 0xcc, sizeof(c->code));
	init_state(c, &rng);
	/* every other seed runs the bytes across a page boundary */
	c->entry = (seed & 1) && len > 1 ? 0x1000 - len / 2 : 0;
	c->init.rip = X86DIFF_CODE_ADDR + c->entry;
	memcpy(c->code + c->entry, f->bytes, len);
	c->len = c->entry + len;
	c->seed = seed;
	c->name = f->name;
	c->compat = (f->classes >> X86DIFF_C_COMPAT) & 1;
	c->smc = (f->classes >> X86DIFF_C_SMC) & 1;
	c->undef_flags = f->undef_flags;
	c->undef_any = f->undef_flags;
	c->classes = f->classes;
	for (uint32_t off = c->entry; off < c->len && n < X86DIFF_MAX_INSNS;) {
		char buf[8];
		unsigned l =
		    x86diff_disasm(&c->code[off], c->len - off,
				   X86DIFF_CODE_ADDR + off, buf, sizeof(buf));

		c->group_start[n] = true;
		c->insn_off[n++] = (uint16_t)off;
		off += l ? l : 1;
	}
	c->ninsn = n;
	if (f->setup)
		f->setup(c);
}
