/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86diff generator internals, shared by x86diff_gen*.c and x86diff_enc.c
 * only. Symbols are x86diff_-prefixed (these files are linked into every
 * test binary); the short names are static inline wrappers.
 */
#ifndef KVMINI_TESTS_X86DIFF_GEN_H
#define KVMINI_TESTS_X86DIFF_GEN_H

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

static inline uint64_t rnd(struct gen *g)
{
	return x86diff_rand(&g->rng);
}

static inline unsigned below(struct gen *g, unsigned n)
{
	return n ? (unsigned)(rnd(g) % n) : 0;
}

static inline bool chance(struct gen *g, unsigned n)
{
	return below(g, n) == 0;
}

static inline uint32_t range(struct gen *g, uint32_t lo, uint32_t hi)
{
	return lo + below(g, hi - lo);
}

/* Operand widths and registers; compatibility mode has no REX. */
static inline unsigned rnd_width(struct gen *g)
{
	static const unsigned w[] = {1, 2, 4, 8};

	return w[below(g, g->m32 ? 3 : 4)];
}

static inline unsigned rnd_width_nz8(struct gen *g)
{
	static const unsigned w[] = {2, 4, 8, 8};

	return w[below(g, g->m32 ? 2 : 4)];
}

/* A register that may be written: never RSP. */
static inline int rnd_wreg(struct gen *g, uint32_t avoid)
{
	for (;;) {
		int r = (int)below(g, g->m32 ? 8 : 16);

		if (r != RSP && !(avoid & (1u << r)))
			return r;
	}
}

static inline int rnd_reg(struct gen *g)
{
	return (int)below(g, g->m32 ? 8 : 16);
}

static inline bool defined(struct gen *g, uint32_t f)
{
	return !(g->undef & f);
}

/* The instruction writes `wr` flags, of which `undef` become undefined. */
static inline void flags(struct gen *g, uint32_t wr, uint32_t undef)
{
	g->undef = (g->undef & ~wr) | undef;
	g->c->undef_any |= g->undef;
}

/* ---- encoder -------------------------------------------------------- */

/* encoder and operands (x86diff_enc.c) */
uint64_t x86diff_interesting(struct gen *g);
int x86diff_rnd_cc(struct gen *g);
bool x86diff_emit(struct gen *g, const struct enc *e);
bool x86diff_emit_bytes(struct gen *g, const uint8_t *b, unsigned n);
bool x86diff_emit_mov32(struct gen *g, int r, uint32_t v);
bool x86diff_emit_movzx8(struct gen *g, int r);
uint32_t x86diff_pick_off(struct gen *g, uint32_t lo, uint32_t hi);
bool x86diff_gen_mem(struct gen *g, struct mem *m, uint32_t lo, uint32_t hi,
		     uint32_t avoid, uint32_t *used);
bool x86diff_gen_rm(struct gen *g, struct enc *e, bool mem_ok, bool written,
		    uint32_t avoid, uint32_t *used);
void x86diff_maybe_rex(struct gen *g, struct enc *e);

static inline uint64_t interesting(struct gen *g)
{
	return x86diff_interesting(g);
}

static inline int rnd_cc(struct gen *g)
{
	return x86diff_rnd_cc(g);
}

static inline bool emit(struct gen *g, const struct enc *e)
{
	return x86diff_emit(g, e);
}

static inline bool emit_bytes(struct gen *g, const uint8_t *b, unsigned n)
{
	return x86diff_emit_bytes(g, b, n);
}

static inline bool emit_mov32(struct gen *g, int r, uint32_t v)
{
	return x86diff_emit_mov32(g, r, v);
}

static inline bool emit_movzx8(struct gen *g, int r)
{
	return x86diff_emit_movzx8(g, r);
}

static inline uint32_t pick_off(struct gen *g, uint32_t lo, uint32_t hi)
{
	return x86diff_pick_off(g, lo, hi);
}

static inline bool gen_mem(struct gen *g, struct mem *m, uint32_t lo,
			   uint32_t hi, uint32_t avoid, uint32_t *used)
{
	return x86diff_gen_mem(g, m, lo, hi, avoid, used);
}

static inline bool gen_rm(struct gen *g, struct enc *e, bool mem_ok,
			  bool written, uint32_t avoid, uint32_t *used)
{
	return x86diff_gen_rm(g, e, mem_ok, written, avoid, used);
}

static inline void maybe_rex(struct gen *g, struct enc *e)
{
	x86diff_maybe_rex(g, e);
}

static inline struct enc enc0(void)
{
	return (struct enc){.opreg = -1, .rel = -1, .abs_group = -1};
}

static inline void maybe_lock(struct gen *g, struct enc *e)
{
	if (e->rm_mem && chance(g, 4))
		e->pfx[e->npfx++] = 0xf0;
}

/*
 * A REP/REPNE prefix where it means nothing: one-byte opcodes that are not
 * string ops, PAUSE or branches (for those it changes the instruction).
 * With LOCK it is an XACQUIRE/XRELEASE hint, equally without effect.
 */
static inline void maybe_rep_junk(struct gen *g, struct enc *e)
{
	if (e->nop == 1 && e->npfx < 3 && chance(g, 16))
		e->pfx[e->npfx++] = chance(g, 2) ? 0xf2 : 0xf3;
}

static inline void set_imm(struct gen *g, struct enc *e, unsigned sz)
{
	e->imm = interesting(g);
	e->immsz = sz;
}

/* ---- instruction classes ------------------------------------------ */

/* one generator per instruction class: emit one group, or return false
 * (nothing that cannot be rolled back has been done) */
bool x86diff_gen_alu(struct gen *g);
bool x86diff_gen_shift(struct gen *g);
bool x86diff_gen_muldiv(struct gen *g);
bool x86diff_gen_bit(struct gen *g);
bool x86diff_gen_string(struct gen *g);
bool x86diff_gen_cond(struct gen *g);
bool x86diff_gen_xchg(struct gen *g);
bool x86diff_gen_mov(struct gen *g);
bool x86diff_gen_convert(struct gen *g);
bool x86diff_gen_flags(struct gen *g);
bool x86diff_gen_stack(struct gen *g);
bool x86diff_gen_branch(struct gen *g);
bool x86diff_gen_extra(struct gen *g);
bool x86diff_gen_fault(struct gen *g);
bool x86diff_gen_smc(struct gen *g);
bool x86diff_gen_x87(struct gen *g);
bool x86diff_gen_sse(struct gen *g);
bool x86diff_gen_bcd(struct gen *g);
bool x86diff_gen_seg(struct gen *g);
bool x86diff_gen_fxsave(struct gen *g);
uint16_t x86diff_rnd_selector(struct gen *g);

#endif
