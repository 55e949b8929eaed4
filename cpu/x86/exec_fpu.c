// SPDX-License-Identifier: GPL-2.0
/*
 * x87 FPU, computed in the host's 80-bit long double (x86-64 host): the
 * register stack, control/status/tag words, loads/stores of every memory
 * format but BCD, the arithmetic, compare and constant instructions code
 * generators emit, FNINIT/FNSTSW/FNSTCW/FLDCW/FNCLEX/FWAIT, FNSTENV/FLDENV.
 * Not modelled: stack-fault detection (overflow/underflow are not
 * signalled), precision control, unmasked exceptions (#MF), FSAVE/FRSTOR,
 * transcendental instructions.
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

static void push(struct x86_core *c, long double v)
{
	set_top(c, top(c) - 1);
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

/* Load a memory operand of an x87 instruction as long double. */
static long double load_mem(struct x86_core *c, const struct x86_insn *i,
			    const struct x86_op *o, bool integer)
{
	uint64_t ea = x86_ea(c, i, o);
	if (integer) {
		uint64_t v = mem_read(c, o->seg, ea, o->size);
		return (long double)(int64_t)sign_extend(v, o->size);
	}
	switch (o->size) {
	case 4: {
		uint32_t v = mem_read(c, o->seg, ea, 4);
		float f;
		memcpy(&f, &v, 4);
		return f;
	}
	case 8: {
		uint64_t v = mem_read(c, o->seg, ea, 8);
		double d;
		memcpy(&d, &v, 8);
		return d;
	}
	case 10: {
		uint8_t b[16] = {0};
		long double v;
		uint64_t lo = mem_read(c, o->seg, ea, 8);
		uint64_t hi =
		    mem_read(c, o->seg, (ea + 8) & size_mask(i->asz), 2);
		memcpy(b, &lo, 8);
		memcpy(b + 8, &hi, 2);
		memcpy(&v, b, sizeof(v));
		return v;
	}
	default:
		x86_unimplemented(c, "x87 memory format");
	}
}

static int64_t to_int(struct x86_core *c, long double v, unsigned size,
		      bool trunc)
{
	long double r, lim = size == 2	 ? 32768.0L
			     : size == 4 ? 2147483648.0L
					 : 9223372036854775808.0L;
	unsigned rc = (c->st->fpu.fcw >> 10) & 3;
	if (isnan(v))
		return size == 2   ? INT16_MIN
		       : size == 4 ? INT32_MIN
				   : INT64_MIN;
	if (trunc || rc == 3)
		r = truncl(v);
	else if (rc == 1)
		r = floorl(v);
	else if (rc == 2)
		r = ceill(v);
	else
		r = nearbyintl(v); /* host default: to nearest even */
	if (r >= lim || r < -lim) {
		c->st->fpu.fsw |= 1; /* IE */
		return size == 2   ? INT16_MIN
		       : size == 4 ? INT32_MIN
				   : INT64_MIN;
	}
	return (int64_t)r;
}

static void store_mem(struct x86_core *c, const struct x86_insn *i,
		      const struct x86_op *o, long double v, bool integer,
		      bool trunc)
{
	uint64_t ea = x86_ea(c, i, o);
	if (integer) {
		mem_write(c, o->seg, ea, o->size,
			  (uint64_t)to_int(c, v, o->size, trunc));
		return;
	}
	switch (o->size) {
	case 4: {
		float f = (float)v;
		uint32_t u;
		memcpy(&u, &f, 4);
		mem_write(c, o->seg, ea, 4, u);
		return;
	}
	case 8: {
		double d = (double)v;
		uint64_t u;
		memcpy(&u, &d, 8);
		mem_write(c, o->seg, ea, 8, u);
		return;
	}
	case 10: {
		uint8_t b[16] = {0};
		uint64_t lo = 0, hi = 0;
		memcpy(b, &v, 10);
		memcpy(&lo, b, 8);
		memcpy(&hi, b + 8, 2);
		x86_mem_probe_write(c, o->seg, ea, 10);
		mem_write(c, o->seg, ea, 8, lo);
		mem_write(c, o->seg, (ea + 8) & size_mask(i->asz), 2, hi);
		return;
	}
	default:
		x86_unimplemented(c, "x87 memory format");
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
	if (o->kind == OPK_MEM)
		v = load_mem(c, i, o, i->mnemonic == ZYDIS_MNEMONIC_FILD);
	else
		v = st_get(c, st_index(o));
	push(c, v);
}

static HANDLER(h_fconst)
{
	long double v;
	fpu_check(c);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_FLD1:
		v = 1.0L;
		break;
	case ZYDIS_MNEMONIC_FLDZ:
		v = 0.0L;
		break;
	case ZYDIS_MNEMONIC_FLDPI:
		v = 3.14159265358979323846264338327950288L;
		break;
	case ZYDIS_MNEMONIC_FLDL2E:
		v = 1.44269504088896340735992468100189214L;
		break;
	case ZYDIS_MNEMONIC_FLDL2T:
		v = 3.32192809488736234787031942948939018L;
		break;
	case ZYDIS_MNEMONIC_FLDLG2:
		v = 0.301029995663981195213738894724493027L;
		break;
	default: /* FLDLN2 */
		v = 0.693147180559945309417232121458176568L;
		break;
	}
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
	v = st_get(c, 0);
	if (o->kind == OPK_MEM)
		store_mem(c, i, o, v, integer, mn == ZYDIS_MNEMONIC_FISTTP);
	else
		st_set(c, st_index(o), v);
	if (popit)
		pop(c);
}

static HANDLER(h_fxch)
{
	unsigned n = i->nops ? st_index(&i->op[0]) : 1;
	long double a, b;
	fpu_check(c);
	a = st_get(c, 0);
	b = st_get(c, n);
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

	fpu_check(c);
	note_insn(c, i);
	if (i->nops == 1 && i->op[0].kind == OPK_MEM) {
		b = load_mem(c, i, &i->op[0], xop_int[i->mnemonic]);
	} else if (i->nops == 2) {
		dst = st_index(&i->op[0]);
		b = st_get(c, st_index(&i->op[1]));
	} else {
		dst = 1;
		b = st_get(c, 0);
	}
	a = st_get(c, dst);
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
		if (b == 0 && !isnan(a))
			c->st->fpu.fsw |= 4; /* ZE */
		r = a / b;
		break;
	default:
		if (a == 0 && !isnan(b))
			c->st->fpu.fsw |= 4;
		r = b / a;
		break;
	}
	st_set(c, dst, r);
	if (xop_pop[i->mnemonic])
		pop(c);
}

static HANDLER(h_funary)
{
	long double v;
	fpu_check(c);
	v = st_get(c, 0);
	switch (i->mnemonic) {
	case ZYDIS_MNEMONIC_FCHS:
		v = -v;
		break;
	case ZYDIS_MNEMONIC_FABS:
		v = fabsl(v);
		break;
	case ZYDIS_MNEMONIC_FSQRT:
		v = sqrtl(v);
		break;
	case ZYDIS_MNEMONIC_FRNDINT:
		v = (long double)to_int(c, v, 8, false);
		break;
	default: /* FSCALE */
		v = ldexpl(v, (int)truncl(st_get(c, 1)));
		break;
	}
	st_set(c, 0, v);
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
	bool integer =
	    mn == ZYDIS_MNEMONIC_FICOM || mn == ZYDIS_MNEMONIC_FICOMP;

	fpu_check(c);
	note_insn(c, i);
	if (mn == ZYDIS_MNEMONIC_FCOMP || mn == ZYDIS_MNEMONIC_FUCOMP ||
	    mn == ZYDIS_MNEMONIC_FCOMIP || mn == ZYDIS_MNEMONIC_FUCOMIP ||
	    mn == ZYDIS_MNEMONIC_FICOMP)
		pops = 1;
	if (mn == ZYDIS_MNEMONIC_FCOMPP || mn == ZYDIS_MNEMONIC_FUCOMPP)
		pops = 2;
	a = st_get(c, 0);
	if (mn == ZYDIS_MNEMONIC_FTST)
		b = 0;
	else if (i->nops >= 1 && i->op[i->nops - 1].kind == OPK_MEM)
		b = load_mem(c, i, &i->op[i->nops - 1], integer);
	else if (i->nops >= 1)
		b = st_get(c, st_index(&i->op[i->nops - 1]));
	else
		b = st_get(c, 1);
	if (eflags) {
		uint64_t f = isnan(a) || isnan(b) ? F_ZF | F_PF | F_CF
			     : a < b		  ? F_CF
			     : a == b		  ? F_ZF
						  : 0;
		set_arith_flags(c, f);
	} else {
		uint16_t cc = isnan(a) || isnan(b) ? FSW_C0 | FSW_C2 | FSW_C3
			      : a < b		   ? FSW_C0
			      : a == b		   ? FSW_C3
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
	uint16_t cc;
	fpu_check(c);
	if (!(f->ftw & (1u << top(c))))
		cc = FSW_C3 | FSW_C0; /* empty */
	else if (isnan(v))
		cc = FSW_C0;
	else if (isinf(v))
		cc = FSW_C2 | FSW_C0;
	else if (v == 0)
		cc = FSW_C3;
	else if (fpclassify(v) == FP_SUBNORMAL)
		cc = FSW_C3 | FSW_C2;
	else
		cc = FSW_C2;
	if (signbit(v))
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
}
