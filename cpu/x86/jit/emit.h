/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small x86-64 emitter for the JIT's glue code: loads and stores of
 * guest state, the soft-TLB probe, exits and helper calls. Guest
 * instructions themselves are re-encoded with Zydis (translate.c); only
 * the handful of fixed forms the glue needs are written out here, so
 * emitting them costs a few stores rather than an encoder call.
 */
#ifndef KVMINI_CPU_X86_JIT_EMIT_H
#define KVMINI_CPU_X86_JIT_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum hreg {
	H_RAX,
	H_RCX,
	H_RDX,
	H_RBX,
	H_RSP,
	H_RBP,
	H_RSI,
	H_RDI,
	H_R8,
	H_R9,
	H_R10,
	H_R11,
	H_R12,
	H_R13,
	H_R14,
	H_R15,
};

struct emit {
	uint8_t *p, *end;
	bool overflow; /* ran past end: the block is discarded */
};

static inline void e8(struct emit *e, uint8_t b)
{
	if (e->p < e->end)
		*e->p++ = b;
	else
		e->overflow = true;
}

static inline void e32(struct emit *e, uint32_t v)
{
	for (unsigned n = 0; n < 4; n++)
		e8(e, (uint8_t)(v >> (8 * n)));
}

static inline void e64(struct emit *e, uint64_t v)
{
	e32(e, (uint32_t)v);
	e32(e, (uint32_t)(v >> 32));
}

static inline void rex(struct emit *e, bool w, unsigned r, unsigned x,
		       unsigned b, bool force)
{
	uint8_t v = 0x40 | (w ? 8 : 0) | ((r >> 3) & 1) << 2 |
		    ((x >> 3) & 1) << 1 | ((b >> 3) & 1);
	if (v != 0x40 || force)
		e8(e, v);
}

/* ModRM (+SIB, +disp) for [base + disp32-or-8]; reg is the /r field. */
static inline void modrm_mem(struct emit *e, unsigned reg, unsigned base,
			     int32_t disp)
{
	bool d8 = disp >= -128 && disp <= 127;
	unsigned mod = d8 ? 1 : 2;
	e8(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == H_RSP)
		e8(e, 0x24); /* SIB: base only */
	if (d8)
		e8(e, (uint8_t)disp);
	else
		e32(e, (uint32_t)disp);
}

/* op r64, [base + disp] (and the reverse direction by opcode choice). */
static inline void op_rm(struct emit *e, uint8_t opc, unsigned reg,
			 unsigned base, int32_t disp)
{
	rex(e, true, reg, 0, base, false);
	e8(e, opc);
	modrm_mem(e, reg, base, disp);
}

static inline void ld64(struct emit *e, unsigned dst, unsigned base,
			int32_t disp)
{
	op_rm(e, 0x8b, dst, base, disp);
}

static inline void st64(struct emit *e, unsigned base, int32_t disp,
			unsigned src)
{
	op_rm(e, 0x89, src, base, disp);
}

/* op r64, r64 (opc is the "r/m, r" form: 01 add, 09 or, 21 and, 29 sub,
 * 31 xor, 39 cmp, 89 mov, 85 test). */
static inline void op_rr(struct emit *e, uint8_t opc, unsigned rm, unsigned reg)
{
	rex(e, true, reg, 0, rm, false);
	e8(e, opc);
	e8(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static inline void mov_rr(struct emit *e, unsigned dst, unsigned src)
{
	op_rr(e, 0x89, dst, src);
}

/* group-1 op r64, imm32 (/n: 0 add, 1 or, 4 and, 5 sub, 7 cmp). */
static inline void op_ri(struct emit *e, unsigned n, unsigned r, int32_t imm)
{
	rex(e, true, 0, 0, r, false);
	e8(e, 0x81);
	e8(e, (uint8_t)(0xc0 | n << 3 | (r & 7)));
	e32(e, (uint32_t)imm);
}

/* group-1 op qword [base + disp], imm32. */
static inline void op_mi(struct emit *e, unsigned n, unsigned base,
			 int32_t disp, int32_t imm)
{
	rex(e, true, 0, 0, base, false);
	e8(e, 0x81);
	modrm_mem(e, n, base, disp);
	e32(e, (uint32_t)imm);
}

/* 32-bit group-1 op r32, imm32 (zero-extends). */
static inline void op_ri32(struct emit *e, unsigned n, unsigned r, int32_t imm)
{
	rex(e, false, 0, 0, r, false);
	e8(e, 0x81);
	e8(e, (uint8_t)(0xc0 | n << 3 | (r & 7)));
	e32(e, (uint32_t)imm);
}

/* shift r64, imm8 (/n: 4 shl, 5 shr, 7 sar). */
static inline void shift_ri(struct emit *e, unsigned n, unsigned r, uint8_t imm)
{
	rex(e, true, 0, 0, r, false);
	e8(e, 0xc1);
	e8(e, (uint8_t)(0xc0 | n << 3 | (r & 7)));
	e8(e, imm);
}

static inline void mov_ri64(struct emit *e, unsigned r, uint64_t imm)
{
	if (imm <= 0xffffffffu) {
		rex(e, false, 0, 0, r, false);
		e8(e, (uint8_t)(0xb8 | (r & 7)));
		e32(e, (uint32_t)imm);
	} else if ((int64_t)imm == (int32_t)imm) {
		rex(e, true, 0, 0, r, false);
		e8(e, 0xc7);
		e8(e, (uint8_t)(0xc0 | (r & 7)));
		e32(e, (uint32_t)imm);
	} else {
		rex(e, true, 0, 0, r, false);
		e8(e, (uint8_t)(0xb8 | (r & 7)));
		e64(e, imm);
	}
}

/* lea dst, [base + index*scale + disp] (index H_RSP = none). */
static inline void lea(struct emit *e, unsigned dst, unsigned base,
		       unsigned index, unsigned scale, int32_t disp)
{
	unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
	bool d8 = disp >= -128 && disp <= 127;
	rex(e, true, dst, index, base, false);
	e8(e, 0x8d);
	e8(e, (uint8_t)((d8 ? 1 : 2) << 6 | (dst & 7) << 3 | 4));
	e8(e, (uint8_t)(ss << 6 | (index & 7) << 3 | (base & 7)));
	if (d8)
		e8(e, (uint8_t)disp);
	else
		e32(e, (uint32_t)disp);
}

/* op r64, [base + index*1 + disp32] (3b cmp, 8b mov, 03 add). */
static inline void op_r_mbi(struct emit *e, uint8_t opc, unsigned r,
			    unsigned base, unsigned index, int32_t disp)
{
	rex(e, true, r, index, base, false);
	e8(e, opc);
	e8(e, (uint8_t)(2 << 6 | (r & 7) << 3 | 4));
	e8(e, (uint8_t)((index & 7) << 3 | (base & 7)));
	e32(e, (uint32_t)disp);
}

/* mov qword [base + disp], imm32 (sign-extended). */
static inline void mov_mi(struct emit *e, unsigned base, int32_t disp,
			  int32_t imm)
{
	rex(e, true, 0, 0, base, false);
	e8(e, 0xc7);
	modrm_mem(e, 0, base, disp);
	e32(e, (uint32_t)imm);
}

static inline void pushfq(struct emit *e)
{
	e8(e, 0x9c);
}
static inline void popfq(struct emit *e)
{
	e8(e, 0x9d);
}
static inline void push_r(struct emit *e, unsigned r)
{
	rex(e, false, 0, 0, r, false);
	e8(e, (uint8_t)(0x50 | (r & 7)));
}
static inline void pop_r(struct emit *e, unsigned r)
{
	rex(e, false, 0, 0, r, false);
	e8(e, (uint8_t)(0x58 | (r & 7)));
}

/* call through rax to an absolute address (helpers live anywhere). */
static inline void call_abs(struct emit *e, const void *fn)
{
	mov_ri64(e, H_RAX, (uint64_t)(uintptr_t)fn);
	e8(e, 0xff);
	e8(e, 0xd0);
}

static inline void test_eax(struct emit *e)
{
	e8(e, 0x85);
	e8(e, 0xc0);
}

/* jcc rel32 / jmp rel32: return the address of the rel32 to patch. */
static inline uint8_t *jcc32(struct emit *e, unsigned cc)
{
	uint8_t *at;
	e8(e, 0x0f);
	e8(e, (uint8_t)(0x80 | cc));
	at = e->p;
	e32(e, 0);
	return at;
}

static inline uint8_t *jmp32(struct emit *e)
{
	uint8_t *at;
	e8(e, 0xe9);
	at = e->p;
	e32(e, 0);
	return at;
}

/* Point a rel32 at `to`. */
static inline void patch32(uint8_t *at, const void *to)
{
	int32_t rel = (int32_t)((const uint8_t *)to - (at + 4));
	memcpy(at, &rel, 4);
}

/* lea r64, [rip + rel32 to `to`] — emitted, then patched by the caller if
 * `to` is not known yet. */
static inline uint8_t *lea_rip(struct emit *e, unsigned r)
{
	uint8_t *at;
	rex(e, true, r, 0, 0, false);
	e8(e, 0x8d);
	e8(e, (uint8_t)((r & 7) << 3 | 5));
	at = e->p;
	e32(e, 0);
	return at;
}

static inline void emit_raw(struct emit *e, const uint8_t *p, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		e8(e, p[k]);
}

/* lea dst, [index * scale] (no base: disp32 0). */
static inline void lea_scaled(struct emit *e, unsigned dst, unsigned index,
			      unsigned scale)
{
	unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
	rex(e, true, dst, index, 0, false);
	e8(e, 0x8d);
	e8(e, (uint8_t)((dst & 7) << 3 | 4));
	e8(e, (uint8_t)(ss << 6 | (index & 7) << 3 | 5));
	e32(e, 0);
}

static inline void not_r(struct emit *e, unsigned r)
{
	rex(e, true, 0, 0, r, false);
	e8(e, 0xf7);
	e8(e, (uint8_t)(0xd0 | (r & 7)));
}

/* Host condition codes. */
enum { CC_NE = 5, CC_S = 8, CC_E = 4 };

#endif
