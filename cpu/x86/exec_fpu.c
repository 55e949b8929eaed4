// SPDX-License-Identifier: GPL-2.0
/*
 * x87 FPU, computed on the host's x87 unit (x86-64 host) with the guest's
 * precision and rounding control loaded and exceptions masked; the
 * exception flags and C1 it reports go into the guest FSW, so results and
 * flags are silicon's. Register stack with tags and stack faults (IE|SF,
 * indefinite results), loads/stores of every memory format but BCD, the
 * arithmetic, compare and constant instructions code generators emit,
 * FNINIT/FNSTSW/FNSTCW/FLDCW/FNCLEX/FWAIT, FNSTENV/FLDENV.
 * Not modelled: unmasked exceptions (#MF), FSAVE/FRSTOR, transcendentals.
 */
#include <math.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

#define FSW_C0	      (1u << 8)
#define FSW_C1	      (1u << 9)
#define FSW_C2	      (1u << 10)
#define FSW_C3	      (1u << 14)
#define FSW_TOP_SHIFT 11

static void fpu_check(struct x86_core *c)
{
	if (c->st->cr0 & (CR0_EM | CR0_TS))
		x86_raise(c, X86_EXC_NM, false, 0);
}

static unsigned top(struct x86_core *c)
{
	return (c->st->fpu.fsw >> FSW_TOP_SHIFT) & 7;
}

static void set_top(struct x86_core *c, unsigned t)
{
	struct x86_fpu *f = &c->st->fpu;
	f->fsw = (f->fsw & ~(7u << FSW_TOP_SHIFT)) | ((t & 7) << FSW_TOP_SHIFT);
}

static uint16_t x87_begin(struct x86_core *c)
{
	uint16_t host, g = c->st->fpu.fcw | 0x3f;
	__asm__ volatile("fnstcw %0" : "=m"(host));
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(g));
	return host;
}

/* Fold the host's exception flags (and C1 when `c1`) into the guest FSW. */
static void x87_end(struct x86_core *c, uint16_t host, bool c1)
{
	uint16_t sw;
	__asm__ volatile("fnstsw %0" : "=m"(sw));
	c->st->fpu.fsw |= sw & 0x3f;
	if (c1)
		c->st->fpu.fsw = (c->st->fpu.fsw & ~FSW_C1) | (sw & FSW_C1);
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(host));
}

#define PINL(x) __asm__ volatile("" : "+t"(x))

/* x87_end that also copies the host's condition bits in `cc`. */
static void x87_end_cc(struct x86_core *c, uint16_t host, uint16_t cc)
{
	uint16_t sw;
	__asm__ volatile("fnstsw %0" : "=m"(sw));
	c->st->fpu.fsw = (c->st->fpu.fsw & ~cc) | (sw & cc) | (sw & 0x3f);
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(host));
}

static long double indefinite(void)
{
	uint8_t b[16] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};
	long double v;
	memcpy(&v, b, sizeof(v));
	return v;
}

static long double st_get(struct x86_core *c, unsigned i)
{
	long double v = 0;
	memcpy(&v, c->st->fpu.st[(top(c) + i) & 7], 10);
	return v;
}

static void st_set(struct x86_core *c, unsigned i, long double v)
{
	unsigned r = (top(c) + i) & 7;
	memset(c->st->fpu.st[r], 0, 16);
	memcpy(c->st->fpu.st[r], &v, 10);
	c->st->fpu.ftw |= 1u << r;
}

/* ST(i) for an operation: an empty register is a stack underflow. */
static long double st_use(struct x86_core *c, unsigned i)
{
	unsigned r = (top(c) + i) & 7;
	if (!(c->st->fpu.ftw & (1u << r))) {
		c->st->fpu.fsw = (c->st->fpu.fsw | 0x41) & ~FSW_C1; /* IE SF */
		return indefinite();
	}
	return st_get(c, i);
}

static void push(struct x86_core *c, long double v)
{
	set_top(c, top(c) - 1);
	if (c->st->fpu.ftw & (1u << top(c))) {
		c->st->fpu.fsw |= 0x41 | FSW_C1; /* stack overflow */
		v = indefinite();
	}
	st_set(c, 0, v);
}

static void pop(struct x86_core *c)
{
	c->st->fpu.ftw &= ~(1u << top(c));
	set_top(c, top(c) + 1);
}

static void note_insn(struct x86_core *c, const struct x86_insn *i)
{
	struct x86_fpu *f = &c->st->fpu;
	f->fip = c->st->rip;
	f->fop = ((uint16_t)i->opcode & 7) << 8; /* low bits only; approx. */
	for (unsigned n = 0; n < i->nops; n++)
		if (i->op[n].kind == OPK_MEM)
			f->fdp = x86_ea(c, i, &i->op[n]);
}

#define PINM(x) __asm__ volatile("" : "+m"(x))

/* A memory operand's raw bytes (read before any host FPU switch, since
 * the read may fault). */
struct x87_mem {
	uint8_t b[16];
	unsigned size;
	bool integer;
};

static void read_mem(struct x86_core *c, const struct x86_insn *i,
		     const struct x86_op *o, bool integer, struct x87_mem *m)
{
	uint64_t ea = x86_ea(c, i, o);
	uint64_t lo, hi = 0;
	memset(m, 0, sizeof(*m));
	m->size = o->size;
	m->integer = integer;
	if (o->size != 2 && o->size != 4 && o->size != 8 && o->size != 10)
		x86_unimplemented(c, "x87 memory format");
	if (integer && o->size == 10)
		x86_unimplemented(c, "x87 BCD");
	lo = mem_read(c, o->seg, ea, o->size == 10 ? 8 : o->size);
	if (o->size == 10)
		hi = mem_read(c, o->seg, (ea + 8) & size_mask(i->asz), 2);
	memcpy(m->b, &lo, 8);
	memcpy(m->b + 8, &hi, 2);
}

/* Convert (inside x87_begin/x87_end: SNaN/denormal flags are raised). */
static long double conv_mem(const struct x87_mem *m)
{
	long double v;
	if (m->integer) {
		int64_t x = 0;
		memcpy(&x, m->b, 8);
		x = (int64_t)sign_extend((uint64_t)x, m->size);
		v = (long double)x;
	} else if (m->size == 4) {
		float f;
		memcpy(&f, m->b, 4);
		PINM(f);
		v = f;
	} else if (m->size == 8) {
		double d;
		memcpy(&d, m->b, 8);
		PINM(d);
		v = d;
	} else {
		memcpy(&v, m->b, sizeof(v));
		memset((uint8_t *)&v + 10, 0, sizeof(v) - 10);
	}
	PINL(v);
	return v;
}

static long double load_mem(struct x86_core *c, const struct x86_insn *i,
			    const struct x86_op *o, bool integer)
{
	struct x87_mem m;
	uint16_t h;
	long double v;
	read_mem(c, i, o, integer, &m);
	h = x87_begin(c);
	v = conv_mem(&m);
	x87_end(c, h, false);
	return v;
}

/* Store ST(0) to memory as the host would (rounding, flags, C1). */
static void store_mem(struct x86_core *c, const struct x86_insn *i,
		      const struct x86_op *o, long double v, bool integer,
		      bool trunc)
{
	uint64_t ea = x86_ea(c, i, o);
	uint8_t b[16] = {0};
	uint16_t h;

	if (o->size != 2 && o->size != 4 && o->size != 8 && o->size != 10)
		x86_unimplemented(c, "x87 memory format");
	if (integer && o->size == 10)
		x86_unimplemented(c, "x87 BCD");
	h = x87_begin(c);
	PINL(v);
	if (integer) {
		if (o->size == 2) {
			int16_t x;
			if (trunc)
				__asm__ volatile("fisttps %0"
						 : "=m"(x)
						 : "t"(v)
						 : "st");
			else
				__asm__ volatile("fistps %0"
						 : "=m"(x)
						 : "t"(v)
						 : "st");
			memcpy(b, &x, 2);
		} else if (o->size == 4) {
			int32_t x;
			if (trunc)
				__asm__ volatile("fisttpl %0"
						 : "=m"(x)
						 : "t"(v)
						 : "st");
			else
				__asm__ volatile("fistpl %0"
						 : "=m"(x)
						 : "t"(v)
						 : "st");
			memcpy(b, &x, 4);
		} else {
			int64_t x;
			if (trunc)
				__asm__ volatile("fisttpll %0"
						 : "=m"(x)
						 : "t"(v)
						 : "st");
			else
				__asm__ volatile("fistpll %0"
						 : "=m"(x)
						 : "t"(v)
						 : "st");
			memcpy(b, &x, 8);
		}
	} else if (o->size == 4) {
		float f = (float)v;
		PINM(f);
		memcpy(b, &f, 4);
	} else if (o->size == 8) {
		double d = (double)v;
		PINM(d);
		memcpy(b, &d, 8);
	} else {
		memcpy(b, &v, 10);
	}
	x87_end(c, h, true);
	if (o->size == 10) {
		uint64_t lo, hi = 0;
		memcpy(&lo, b, 8);
		memcpy(&hi, b + 8, 2);
		x86_mem_probe_write(c, o->seg, ea, 10);
		mem_write(c, o->seg, ea, 8, lo);
		mem_write(c, o->seg, (ea + 8) & size_mask(i->asz), 2, hi);
	} else {
		uint64_t u = 0;
		memcpy(&u, b, 8);
		mem_write(c, o->seg, ea, o->size, u);
	}
}

static unsigned st_index(const struct x86_op *o)
{
	return o->kind == OPK_REG && o->rk == RK_ST ? o->reg : 1;
}

/* ---- control ------------------------------------------------------------ */

static HANDLER(h_fninit)
{
	struct x86_fpu *f = &c->st->fpu;
	fpu_check(c);
	f->fcw = 0x37f;
	f->fsw = 0;
	f->ftw = 0;
	f->fop = 0;
	f->fip = f->fdp = 0;
}

static HANDLER(h_fwait)
{
	if ((c->st->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		x86_raise(c, X86_EXC_NM, false, 0);
}

static HANDLER(h_fnstsw)
{
	fpu_check(c);
	x86_op_write(c, i, 0, c->st->fpu.fsw);
}

static HANDLER(h_fnstcw)
{
	fpu_check(c);
	x86_op_write(c, i, 0, c->st->fpu.fcw);
}

static HANDLER(h_fldcw)
{
	fpu_check(c);
	c->st->fpu.fcw = (uint16_t)x86_op_read(c, i, 0) | 0x40;
}

static HANDLER(h_fnclex)
{
	fpu_check(c);
	c->st->fpu.fsw &= 0x7f00;
}

/* FNSTENV/FLDENV, 32-bit protected-mode format (28 bytes). */
static HANDLER(h_fnstenv)
{
	const struct x86_op *o = &i->op[0];
	struct x86_fpu *f = &c->st->fpu;
	uint64_t ea = x86_ea(c, i, o);
	uint16_t tw = 0;
	fpu_check(c);
	for (unsigned r = 0; r < 8; r++)
		if (!(f->ftw & (1u << r)))
			tw |= 3u << (2 * r);
	x86_mem_probe_write(c, o->seg, ea, 28);
	mem_write(c, o->seg, ea, 4, f->fcw);
	mem_write(c, o->seg, ea + 4, 4, f->fsw);
	mem_write(c, o->seg, ea + 8, 4, tw);
	mem_write(c, o->seg, ea + 12, 4, (uint32_t)f->fip);
	mem_write(c, o->seg, ea + 16, 4, (uint32_t)f->fop << 16);
	mem_write(c, o->seg, ea + 20, 4, (uint32_t)f->fdp);
	mem_write(c, o->seg, ea + 24, 4, 0);
	f->fcw |= 0x3f; /* FNSTENV masks all exceptions */
}

static HANDLER(h_fldenv)
{
	const struct x86_op *o = &i->op[0];
	struct x86_fpu *f = &c->st->fpu;
	uint64_t ea = x86_ea(c, i, o);
	uint16_t tw;
	fpu_check(c);
	f->fcw = mem_read(c, o->seg, ea, 2);
	f->fsw = mem_read(c, o->seg, ea + 4, 2);
	tw = mem_read(c, o->seg, ea + 8, 2);
	f->ftw = 0;
	for (unsigned r = 0; r < 8; r++)
		if (((tw >> (2 * r)) & 3) != 3)
			f->ftw |= 1u << r;
}

/* ---- loads and stores ------------------------------------------------- */

static HANDLER(h_fld)
{
	const struct x86_op *o = &i->op[0];
	long double v;
	fpu_check(c);
	note_insn(c, i);
	if (c->st->fpu.ftw & (1u << ((top(c) - 1) & 7))) {
		/* stack overflow: IE|SF|C1, nothing is loaded (no other
		 * flags from converting the operand) */
		if (o->kind == OPK_MEM)
			(void)mem_read(c, o->seg, x86_ea(c, i, o), 1);
		push(c, 0);
		return;
	}
	if (o->kind == OPK_MEM)
		v = load_mem(c, i, o, i->mnemonic == ZYDIS_MNEMONIC_FILD);
	else
		v = st_use(c, st_index(o));
	c->st->fpu.fsw &= ~FSW_C1;
	push(c, v);
}

/* Constants come from the host's x87 so they are rounded per FCW.RC. */
static HANDLER(h_fconst)
{
	long double v;
	uint16_t h;
	fpu_check(c);
	h = x87_begin(c);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_FLD1:
		__asm__ volatile("fld1" : "=t"(v));
		break;
	case ZYDIS_MNEMONIC_FLDZ:
		__asm__ volatile("fldz" : "=t"(v));
		break;
	case ZYDIS_MNEMONIC_FLDPI:
		__asm__ volatile("fldpi" : "=t"(v));
		break;
	case ZYDIS_MNEMONIC_FLDL2E:
		__asm__ volatile("fldl2e" : "=t"(v));
		break;
	case ZYDIS_MNEMONIC_FLDL2T:
		__asm__ volatile("fldl2t" : "=t"(v));
		break;
	case ZYDIS_MNEMONIC_FLDLG2:
		__asm__ volatile("fldlg2" : "=t"(v));
		break;
	default:
		__asm__ volatile("fldln2" : "=t"(v));
		break;
	}
	x87_end(c, h, false);
	c->st->fpu.fsw &= ~FSW_C1;
	push(c, v);
}

static HANDLER(h_fst)
{
	const struct x86_op *o = &i->op[0];
	uint16_t mn = i->mnemonic;
	bool popit = mn == ZYDIS_MNEMONIC_FSTP || mn == ZYDIS_MNEMONIC_FISTP ||
		     mn == ZYDIS_MNEMONIC_FISTTP;
	bool integer = mn == ZYDIS_MNEMONIC_FIST ||
		       mn == ZYDIS_MNEMONIC_FISTP ||
		       mn == ZYDIS_MNEMONIC_FISTTP;
	long double v;
	fpu_check(c);
	note_insn(c, i);
	v = st_use(c, 0);
	if (o->kind == OPK_MEM) {
		store_mem(c, i, o, v, integer, mn == ZYDIS_MNEMONIC_FISTTP);
	} else {
		c->st->fpu.fsw &= ~FSW_C1;
		st_set(c, st_index(o), v);
	}
	if (popit)
		pop(c);
}

static HANDLER(h_fxch)
{
	unsigned n = i->nops ? st_index(&i->op[0]) : 1;
	long double a, b;
	fpu_check(c);
	a = st_use(c, 0);
	b = st_use(c, n);
	c->st->fpu.fsw &= ~FSW_C1;
	st_set(c, 0, b);
	st_set(c, n, a);
}

static HANDLER(h_ffree)
{
	fpu_check(c);
	c->st->fpu.ftw &= ~(1u << ((top(c) + st_index(&i->op[0])) & 7));
}

static HANDLER(h_fincdecstp)
{
	fpu_check(c);
	c->st->fpu.fsw &= ~FSW_C1;
	set_top(c, top(c) + (i->mnemonic == ZYDIS_MNEMONIC_FINCSTP ? 1 : -1));
}

/* ---- arithmetic --------------------------------------------------------- */

enum xop { X_ADD, X_SUB, X_SUBR, X_MUL, X_DIV, X_DIVR };

static uint8_t xop_of[ZYDIS_MNEMONIC_MAX_VALUE + 1];
static uint8_t xop_pop[ZYDIS_MNEMONIC_MAX_VALUE + 1];
static uint8_t xop_int[ZYDIS_MNEMONIC_MAX_VALUE + 1];

static HANDLER(h_farith)
{
	unsigned op = xop_of[i->mnemonic];
	unsigned dst = 0;
	long double a, b, r;
	struct x87_mem m;
	bool mem = false;
	uint16_t h;

	fpu_check(c);
	note_insn(c, i);
	if (i->nops == 1 && i->op[0].kind == OPK_MEM) {
		read_mem(c, i, &i->op[0], xop_int[i->mnemonic], &m);
		mem = true;
		b = 0;
	} else if (i->nops == 2) {
		dst = st_index(&i->op[0]);
		b = st_use(c, st_index(&i->op[1]));
	} else {
		dst = 1;
		b = st_use(c, 0);
	}
	a = st_use(c, dst);
	h = x87_begin(c);
	if (mem)
		b = conv_mem(&m);
	PINL(a);
	PINL(b);
	switch (op) {
	case X_ADD:
		r = a + b;
		break;
	case X_SUB:
		r = a - b;
		break;
	case X_SUBR:
		r = b - a;
		break;
	case X_MUL:
		r = a * b;
		break;
	case X_DIV:
		r = a / b;
		break;
	default:
		r = b / a;
		break;
	}
	PINL(r);
	x87_end(c, h, true);
	st_set(c, dst, r);
	if (xop_pop[i->mnemonic])
		pop(c);
}

static HANDLER(h_funary)
{
	long double v;
	uint16_t h;
	uint16_t mn = i->mnemonic;
	fpu_check(c);
	v = st_use(c, 0);
	if (mn == ZYDIS_MNEMONIC_FCHS || mn == ZYDIS_MNEMONIC_FABS) {
		uint8_t b[16];
		memcpy(b, &v, 16);
		b[9] = mn == ZYDIS_MNEMONIC_FCHS ? b[9] ^ 0x80 : b[9] & 0x7f;
		memcpy(&v, b, 16);
		c->st->fpu.fsw &= ~FSW_C1;
		st_set(c, 0, v);
		return;
	}
	if (mn == ZYDIS_MNEMONIC_FSCALE) {
		long double s = st_use(c, 1);
		h = x87_begin(c);
		PINL(v);
		PINL(s);
		__asm__ volatile("fscale" : "+t"(v) : "u"(s));
	} else {
		h = x87_begin(c);
		PINL(v);
		if (mn == ZYDIS_MNEMONIC_FSQRT)
			__asm__ volatile("fsqrt" : "+t"(v));
		else /* FRNDINT */
			__asm__ volatile("frndint" : "+t"(v));
	}
	PINL(v);
	x87_end(c, h, true);
	st_set(c, 0, v);
}

/*
 * Transcendentals and partial remainders run on the host x87 too (same
 * results, flags and C0-C3 as silicon of the host's family).
 */
static HANDLER(h_ftrans)
{
	uint16_t mn = i->mnemonic, h;
	const uint16_t c0123 = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3;
	long double a, b, r, r2;
	fpu_check(c);
	note_insn(c, i);
	a = st_use(c, 0);
	switch (mn) {
	case ZYDIS_MNEMONIC_FSIN:
	case ZYDIS_MNEMONIC_FCOS:
	case ZYDIS_MNEMONIC_F2XM1:
		h = x87_begin(c);
		PINL(a);
		if (mn == ZYDIS_MNEMONIC_FSIN)
			__asm__ volatile("fsin" : "+t"(a));
		else if (mn == ZYDIS_MNEMONIC_FCOS)
			__asm__ volatile("fcos" : "+t"(a));
		else
			__asm__ volatile("f2xm1" : "+t"(a));
		PINL(a);
		/* F2XM1 leaves C2 alone; FSIN/FCOS report range in C2 */
		x87_end_cc(c, h,
			   mn == ZYDIS_MNEMONIC_F2XM1 ? FSW_C1
						      : FSW_C1 | FSW_C2);
		st_set(c, 0, a);
		return;
	case ZYDIS_MNEMONIC_FSINCOS:
	case ZYDIS_MNEMONIC_FPTAN:
		if (isfinite(a) && fabsl(a) >= 0x1p63L) {
			/* out of range: C2 set, operand unchanged */
			c->st->fpu.fsw |= FSW_C2;
			return;
		}
		h = x87_begin(c);
		PINL(a);
		if (mn == ZYDIS_MNEMONIC_FPTAN)
			__asm__ volatile("fptan" : "=t"(r), "=u"(r2) : "0"(a));
		else
			__asm__ volatile("fsincos"
					 : "=t"(r), "=u"(r2)
					 : "0"(a));
		PINL(r);
		x87_end_cc(c, h, FSW_C1 | FSW_C2);
		st_set(c, 0, r2); /* tan / sin */
		push(c, r);	  /* 1.0 / cos */
		return;
	case ZYDIS_MNEMONIC_FXTRACT:
		h = x87_begin(c);
		PINL(a);
		__asm__ volatile("fxtract" : "=t"(r), "=u"(r2) : "0"(a));
		PINL(r);
		x87_end_cc(c, h, FSW_C1);
		st_set(c, 0, r2); /* exponent */
		push(c, r);	  /* significand */
		return;
	case ZYDIS_MNEMONIC_FPREM:
	case ZYDIS_MNEMONIC_FPREM1:
		b = st_use(c, 1);
		h = x87_begin(c);
		PINL(a);
		if (mn == ZYDIS_MNEMONIC_FPREM)
			__asm__ volatile("fprem" : "+t"(a) : "u"(b));
		else
			__asm__ volatile("fprem1" : "+t"(a) : "u"(b));
		PINL(a);
		x87_end_cc(c, h, c0123);
		st_set(c, 0, a);
		return;
	default: /* FPATAN, FYL2X, FYL2XP1: ST1 op ST0, pop */
		b = st_use(c, 1);
		h = x87_begin(c);
		PINL(a);
		if (mn == ZYDIS_MNEMONIC_FPATAN)
			__asm__ volatile("fpatan"
					 : "=t"(r)
					 : "0"(a), "u"(b)
					 : "st(1)");
		else if (mn == ZYDIS_MNEMONIC_FYL2X)
			__asm__ volatile("fyl2x"
					 : "=t"(r)
					 : "0"(a), "u"(b)
					 : "st(1)");
		else
			__asm__ volatile("fyl2xp1"
					 : "=t"(r)
					 : "0"(a), "u"(b)
					 : "st(1)");
		PINL(r);
		x87_end_cc(c, h, FSW_C1);
		st_set(c, 1, r);
		pop(c);
		return;
	}
}

static HANDLER(h_fcmov)
{
	uint64_t f = c->st->rflags;
	bool t;
	long double v;
	fpu_check(c);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_FCMOVB:
		t = f & F_CF;
		break;
	case ZYDIS_MNEMONIC_FCMOVE:
		t = f & F_ZF;
		break;
	case ZYDIS_MNEMONIC_FCMOVBE:
		t = f & (F_CF | F_ZF);
		break;
	case ZYDIS_MNEMONIC_FCMOVU:
		t = f & F_PF;
		break;
	case ZYDIS_MNEMONIC_FCMOVNB:
		t = !(f & F_CF);
		break;
	case ZYDIS_MNEMONIC_FCMOVNE:
		t = !(f & F_ZF);
		break;
	case ZYDIS_MNEMONIC_FCMOVNBE:
		t = !(f & (F_CF | F_ZF));
		break;
	default: /* FCMOVNU */
		t = !(f & F_PF);
		break;
	}
	/* both registers are checked for underflow either way */
	v = st_use(c, st_index(&i->op[1]));
	(void)st_use(c, 0);
	if (t)
		st_set(c, 0, v);
}

static bool is_snan(long double v)
{
	uint8_t b[16];
	uint64_t mant;
	memcpy(b, &v, 16);
	memcpy(&mant, b, 8);
	return (((b[9] & 0x7f) << 8 | b[8]) == 0x7fff) &&
	       !(mant & (1ull << 62)) && (mant & ((1ull << 62) - 1));
}

/* FCOM/FUCOM (C0 C2 C3) and FCOMI/FUCOMI (ZF PF CF) families. */
static HANDLER(h_fcom)
{
	uint16_t mn = i->mnemonic;
	long double a, b;
	unsigned pops = 0;
	bool eflags =
	    mn == ZYDIS_MNEMONIC_FCOMI || mn == ZYDIS_MNEMONIC_FCOMIP ||
	    mn == ZYDIS_MNEMONIC_FUCOMI || mn == ZYDIS_MNEMONIC_FUCOMIP;
	bool unordered_ok =
	    mn == ZYDIS_MNEMONIC_FUCOM || mn == ZYDIS_MNEMONIC_FUCOMP ||
	    mn == ZYDIS_MNEMONIC_FUCOMPP || mn == ZYDIS_MNEMONIC_FUCOMI ||
	    mn == ZYDIS_MNEMONIC_FUCOMIP;
	bool integer =
	    mn == ZYDIS_MNEMONIC_FICOM || mn == ZYDIS_MNEMONIC_FICOMP;
	bool un;

	fpu_check(c);
	note_insn(c, i);
	if (mn == ZYDIS_MNEMONIC_FCOMP || mn == ZYDIS_MNEMONIC_FUCOMP ||
	    mn == ZYDIS_MNEMONIC_FCOMIP || mn == ZYDIS_MNEMONIC_FUCOMIP ||
	    mn == ZYDIS_MNEMONIC_FICOMP)
		pops = 1;
	if (mn == ZYDIS_MNEMONIC_FCOMPP || mn == ZYDIS_MNEMONIC_FUCOMPP)
		pops = 2;
	a = st_use(c, 0);
	if (mn == ZYDIS_MNEMONIC_FTST)
		b = 0;
	else if (i->nops >= 1 && i->op[i->nops - 1].kind == OPK_MEM)
		b = load_mem(c, i, &i->op[i->nops - 1], integer);
	else if (i->nops >= 1)
		b = st_use(c, st_index(&i->op[i->nops - 1]));
	else
		b = st_use(c, 1);
	un = isnan(a) || isnan(b);
	if (un && (!unordered_ok || is_snan(a) || is_snan(b)))
		c->st->fpu.fsw |= 1; /* IE */
	if ((fpclassify(a) == FP_SUBNORMAL || fpclassify(b) == FP_SUBNORMAL) &&
	    !un)
		c->st->fpu.fsw |= 2; /* DE */
	if (eflags) {
		uint64_t f = un	      ? F_ZF | F_PF | F_CF
			     : a < b  ? F_CF
			     : a == b ? F_ZF
				      : 0;
		set_arith_flags(c, f);
		c->st->fpu.fsw &= ~FSW_C1;
	} else {
		uint16_t cc = un       ? FSW_C0 | FSW_C2 | FSW_C3
			      : a < b  ? FSW_C0
			      : a == b ? FSW_C3
				       : 0;
		c->st->fpu.fsw =
		    (c->st->fpu.fsw & ~(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)) |
		    cc;
	}
	while (pops--)
		pop(c);
}

static HANDLER(h_fxam)
{
	struct x86_fpu *f = &c->st->fpu;
	long double v = st_get(c, 0);
	uint8_t b[16];
	uint16_t cc, exp;
	uint64_t mant;
	fpu_check(c);
	memcpy(b, &v, 16);
	memcpy(&mant, b, 8);
	exp = (uint16_t)((b[9] & 0x7f) << 8 | b[8]);
	if (!(f->ftw & (1u << top(c))))
		cc = FSW_C3 | FSW_C0; /* empty */
	else if (exp == 0x7fff)
		cc = (mant << 1) ? FSW_C0 : FSW_C2 | FSW_C0; /* NaN / inf */
	else if (exp == 0 && !mant)
		cc = FSW_C3; /* zero */
	else if (exp == 0)
		cc = FSW_C3 | FSW_C2; /* denormal */
	else if (!(mant >> 63))
		cc = 0; /* unnormal: unsupported */
	else
		cc = FSW_C2; /* normal */
	if (b[9] & 0x80)
		cc |= FSW_C1;
	f->fsw = (f->fsw & ~(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)) | cc;
}

void x86_register_fpu(x86_handler *t)
{
	static const struct {
		uint16_t mn;
		uint8_t op, pop, integer;
	} ar[] = {
	    {ZYDIS_MNEMONIC_FADD, X_ADD, 0, 0},
	    {ZYDIS_MNEMONIC_FADDP, X_ADD, 1, 0},
	    {ZYDIS_MNEMONIC_FIADD, X_ADD, 0, 1},
	    {ZYDIS_MNEMONIC_FSUB, X_SUB, 0, 0},
	    {ZYDIS_MNEMONIC_FSUBP, X_SUB, 1, 0},
	    {ZYDIS_MNEMONIC_FISUB, X_SUB, 0, 1},
	    {ZYDIS_MNEMONIC_FSUBR, X_SUBR, 0, 0},
	    {ZYDIS_MNEMONIC_FSUBRP, X_SUBR, 1, 0},
	    {ZYDIS_MNEMONIC_FISUBR, X_SUBR, 0, 1},
	    {ZYDIS_MNEMONIC_FMUL, X_MUL, 0, 0},
	    {ZYDIS_MNEMONIC_FMULP, X_MUL, 1, 0},
	    {ZYDIS_MNEMONIC_FIMUL, X_MUL, 0, 1},
	    {ZYDIS_MNEMONIC_FDIV, X_DIV, 0, 0},
	    {ZYDIS_MNEMONIC_FDIVP, X_DIV, 1, 0},
	    {ZYDIS_MNEMONIC_FIDIV, X_DIV, 0, 1},
	    {ZYDIS_MNEMONIC_FDIVR, X_DIVR, 0, 0},
	    {ZYDIS_MNEMONIC_FDIVRP, X_DIVR, 1, 0},
	    {ZYDIS_MNEMONIC_FIDIVR, X_DIVR, 0, 1},
	};
	static const uint16_t coms[] = {
	    ZYDIS_MNEMONIC_FCOM,   ZYDIS_MNEMONIC_FCOMP,
	    ZYDIS_MNEMONIC_FCOMPP, ZYDIS_MNEMONIC_FUCOM,
	    ZYDIS_MNEMONIC_FUCOMP, ZYDIS_MNEMONIC_FUCOMPP,
	    ZYDIS_MNEMONIC_FCOMI,  ZYDIS_MNEMONIC_FCOMIP,
	    ZYDIS_MNEMONIC_FUCOMI, ZYDIS_MNEMONIC_FUCOMIP,
	    ZYDIS_MNEMONIC_FICOM,  ZYDIS_MNEMONIC_FICOMP,
	    ZYDIS_MNEMONIC_FTST};
	static const uint16_t consts[] = {
	    ZYDIS_MNEMONIC_FLD1,   ZYDIS_MNEMONIC_FLDZ,	  ZYDIS_MNEMONIC_FLDPI,
	    ZYDIS_MNEMONIC_FLDL2E, ZYDIS_MNEMONIC_FLDL2T, ZYDIS_MNEMONIC_FLDLG2,
	    ZYDIS_MNEMONIC_FLDLN2};
	unsigned n;

	for (n = 0; n < sizeof(ar) / sizeof(ar[0]); n++) {
		t[ar[n].mn] = h_farith;
		xop_of[ar[n].mn] = ar[n].op;
		xop_pop[ar[n].mn] = ar[n].pop;
		xop_int[ar[n].mn] = ar[n].integer;
	}
	for (n = 0; n < sizeof(coms) / sizeof(coms[0]); n++)
		t[coms[n]] = h_fcom;
	for (n = 0; n < sizeof(consts) / sizeof(consts[0]); n++)
		t[consts[n]] = h_fconst;
	t[ZYDIS_MNEMONIC_FNINIT] = h_fninit;
	t[ZYDIS_MNEMONIC_FWAIT] = h_fwait;
	t[ZYDIS_MNEMONIC_FNSTSW] = h_fnstsw;
	t[ZYDIS_MNEMONIC_FNSTCW] = h_fnstcw;
	t[ZYDIS_MNEMONIC_FLDCW] = h_fldcw;
	t[ZYDIS_MNEMONIC_FNCLEX] = h_fnclex;
	t[ZYDIS_MNEMONIC_FNSTENV] = h_fnstenv;
	t[ZYDIS_MNEMONIC_FLDENV] = h_fldenv;
	t[ZYDIS_MNEMONIC_FLD] = h_fld;
	t[ZYDIS_MNEMONIC_FILD] = h_fld;
	t[ZYDIS_MNEMONIC_FST] = h_fst;
	t[ZYDIS_MNEMONIC_FSTP] = h_fst;
	t[ZYDIS_MNEMONIC_FIST] = h_fst;
	t[ZYDIS_MNEMONIC_FISTP] = h_fst;
	t[ZYDIS_MNEMONIC_FISTTP] = h_fst;
	t[ZYDIS_MNEMONIC_FXCH] = h_fxch;
	t[ZYDIS_MNEMONIC_FFREE] = h_ffree;
	t[ZYDIS_MNEMONIC_FINCSTP] = h_fincdecstp;
	t[ZYDIS_MNEMONIC_FDECSTP] = h_fincdecstp;
	t[ZYDIS_MNEMONIC_FCHS] = h_funary;
	t[ZYDIS_MNEMONIC_FABS] = h_funary;
	t[ZYDIS_MNEMONIC_FSQRT] = h_funary;
	t[ZYDIS_MNEMONIC_FRNDINT] = h_funary;
	t[ZYDIS_MNEMONIC_FSCALE] = h_funary;
	t[ZYDIS_MNEMONIC_FXAM] = h_fxam;
	{
		static const uint16_t tr[] = {
		    ZYDIS_MNEMONIC_FSIN,    ZYDIS_MNEMONIC_FCOS,
		    ZYDIS_MNEMONIC_FSINCOS, ZYDIS_MNEMONIC_FPTAN,
		    ZYDIS_MNEMONIC_FPATAN,  ZYDIS_MNEMONIC_F2XM1,
		    ZYDIS_MNEMONIC_FYL2X,   ZYDIS_MNEMONIC_FYL2XP1,
		    ZYDIS_MNEMONIC_FXTRACT, ZYDIS_MNEMONIC_FPREM,
		    ZYDIS_MNEMONIC_FPREM1};
		static const uint16_t cm[] = {
		    ZYDIS_MNEMONIC_FCMOVB,   ZYDIS_MNEMONIC_FCMOVE,
		    ZYDIS_MNEMONIC_FCMOVBE,  ZYDIS_MNEMONIC_FCMOVU,
		    ZYDIS_MNEMONIC_FCMOVNB,  ZYDIS_MNEMONIC_FCMOVNE,
		    ZYDIS_MNEMONIC_FCMOVNBE, ZYDIS_MNEMONIC_FCMOVNU};
		for (n = 0; n < sizeof(tr) / sizeof(tr[0]); n++)
			t[tr[n]] = h_ftrans;
		for (n = 0; n < sizeof(cm) / sizeof(cm[0]); n++)
			t[cm[n]] = h_fcmov;
	}
}
