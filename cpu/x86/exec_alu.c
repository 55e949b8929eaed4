// SPDX-License-Identifier: GPL-2.0
/*
 * Integer arithmetic and logic: ADD..CMP, TEST, INC/DEC/NEG/NOT, shifts
 * and rotates, MUL/IMUL/DIV/IDIV, bit tests and scans, and the LOCKed
 * read-modify-write path (a CAS loop on the host pointer, atomic against
 * other host threads).
 *
 * Undefined flags (documented here, checked against Intel where known):
 *  - AND/OR/XOR/TEST: AF cleared.
 *  - shifts/rotates by more than 1: OF computed with the 1-bit formula;
 *    AF cleared for shifts; CF = 0 when an 8/16-bit SHL/SHR count exceeds
 *    the width.
 *  - MUL/IMUL: SF/ZF/PF from the low half of the result, AF cleared.
 *  - DIV/IDIV, BT*, BSF/BSR: undefined flags left unchanged.
 *  - BSF/BSR with a zero source leave the destination unchanged.
 */
#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

enum aluop { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP };

static inline __attribute__((always_inline)) uint64_t
alu(struct x86_core *c, unsigned op, uint64_t a, uint64_t b, unsigned size,
    uint64_t *f)
{
	uint64_t cf = c->st->rflags & F_CF;
	uint64_t r;
	switch (op) {
	case A_ADD:
		r = a + b;
		*f = x86_flags_add(a, b, 0, size);
		break;
	case A_ADC:
		r = a + b + cf;
		*f = x86_flags_add(a, b, cf, size);
		break;
	case A_SUB:
	case A_CMP:
		r = a - b;
		*f = x86_flags_sub(a, b, 0, size);
		break;
	case A_SBB:
		r = a - b - cf;
		*f = x86_flags_sub(a, b, cf, size);
		break;
	case A_AND:
		r = a & b;
		*f = x86_flags_logic(r, size);
		break;
	case A_OR:
		r = a | b;
		*f = x86_flags_logic(r, size);
		break;
	default:
		r = a ^ b;
		*f = x86_flags_logic(r, size);
		break;
	}
	return r & size_mask(size);
}

static bool cas(void *p, unsigned size, uint64_t *old, uint64_t nv)
{
	switch (size) {
	case 1: {
		uint8_t o = *old;
		bool ok = __atomic_compare_exchange_n((uint8_t *)p, &o, nv, 0,
						      __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST);
		*old = o;
		return ok;
	}
	case 2: {
		uint16_t o = *old;
		bool ok = __atomic_compare_exchange_n((uint16_t *)p, &o, nv, 0,
						      __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST);
		*old = o;
		return ok;
	}
	case 4: {
		uint32_t o = *old;
		bool ok = __atomic_compare_exchange_n((uint32_t *)p, &o, nv, 0,
						      __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST);
		*old = o;
		return ok;
	}
	default:
		return __atomic_compare_exchange_n((uint64_t *)p, old, nv, 0,
						   __ATOMIC_SEQ_CST,
						   __ATOMIC_SEQ_CST);
	}
}

/*
 * Read-modify-write of operand 0 with fn(c, old, arg, &flags); one
 * translation for memory, atomic with LOCK. Returns the old value.
 */
typedef uint64_t (*rmw_fn)(struct x86_core *c, uint64_t old, uint64_t arg,
			   unsigned size, uint64_t *f, const void *ctx);

static uint64_t rmw(struct x86_core *c, const struct x86_insn *i, rmw_fn fn,
		    uint64_t arg, uint64_t fmask, const void *ctx)
{
	const struct x86_op *o = &i->op[0];
	unsigned size = o->size;
	uint64_t a, r, f = 0;

	if (o->kind != OPK_MEM) {
		if (i->pfx & PFX_LOCK)
			x86_ud(c);
		a = x86_op_read(c, i, 0);
		r = fn(c, a, arg, size, &f, ctx);
		x86_op_write(c, i, 0, r);
	} else {
		uint64_t ea = x86_ea(c, i, o);
		uint64_t lin = seg_lin(c, o->seg, ea, size, MA_WRITE);
		void *p = NULL;
		if ((lin & 0xfff) + size <= 0x1000) {
			p = tlb_hit(c, lin, MA_WRITE);
			if (!p)
				p = x86_lin_ptr_slow(c, lin, MA_WRITE);
		}
		if (p && (i->pfx & PFX_LOCK)) {
			a = ld_le(p, size);
			do {
				r = fn(c, a, arg, size, &f, ctx);
			} while (!cas(p, size, &a, r));
		} else if (p) {
			a = ld_le(p, size);
			r = fn(c, a, arg, size, &f, ctx);
			st_le(p, size, r);
		} else {
			x86_lin_probe_write(c, lin, size);
			a = lin_read(c, lin, size);
			r = fn(c, a, arg, size, &f, ctx);
			lin_write(c, lin, size, r);
		}
	}
	c->st->rflags = (c->st->rflags & ~fmask) | (f & fmask);
	return a;
}

static uint64_t fn_alu(struct x86_core *c, uint64_t a, uint64_t b,
		       unsigned size, uint64_t *f, const void *ctx)
{
	return alu(c, (unsigned)(uintptr_t)ctx, a, b, size, f);
}

static inline __attribute__((always_inline)) void
alu2(struct x86_core *c, const struct x86_insn *i, unsigned op)
{
	const struct x86_op *d = &i->op[0];
	uint64_t b = x86_op_read(c, i, 1) & size_mask(d->size);

	if (d->kind == OPK_REG && d->rk == RK_GPR) {
		/* fast path: register destination */
		uint64_t f, a = gpr_read(c, d->reg, d->size);
		uint64_t r = alu(c, op, a, b, d->size, &f);
		if (op != A_CMP)
			gpr_write(c, d->reg, d->size, r);
		set_arith_flags(c, f);
		return;
	}
	if (op == A_CMP) {
		uint64_t f, a = x86_op_read(c, i, 0);
		alu(c, op, a, b, d->size, &f);
		set_arith_flags(c, f);
		return;
	}
	rmw(c, i, fn_alu, b, F_ARITH, (const void *)(uintptr_t)op);
}

static HANDLER(h_add)
{
	alu2(c, i, A_ADD);
}
static HANDLER(h_or)
{
	alu2(c, i, A_OR);
}
static HANDLER(h_adc)
{
	alu2(c, i, A_ADC);
}
static HANDLER(h_sbb)
{
	alu2(c, i, A_SBB);
}
static HANDLER(h_and)
{
	alu2(c, i, A_AND);
}
static HANDLER(h_sub)
{
	alu2(c, i, A_SUB);
}
static HANDLER(h_xor)
{
	alu2(c, i, A_XOR);
}
static HANDLER(h_cmp)
{
	alu2(c, i, A_CMP);
}

static HANDLER(h_test)
{
	unsigned size = i->op[0].size;
	uint64_t r = x86_op_read(c, i, 0) & x86_op_read(c, i, 1);
	set_arith_flags(c, x86_flags_logic(r, size));
}

static uint64_t fn_inc(struct x86_core *c, uint64_t a, uint64_t d,
		       unsigned size, uint64_t *f, const void *ctx)
{
	if (d)
		*f = x86_flags_add(a, 1, 0, size);
	else
		*f = x86_flags_sub(a, 1, 0, size);
	return (d ? a + 1 : a - 1) & size_mask(size);
}

static HANDLER(h_inc)
{
	rmw(c, i, fn_inc, 1, F_ARITH & ~F_CF, NULL);
}
static HANDLER(h_dec)
{
	rmw(c, i, fn_inc, 0, F_ARITH & ~F_CF, NULL);
}

static uint64_t fn_neg(struct x86_core *c, uint64_t a, uint64_t d,
		       unsigned size, uint64_t *f, const void *ctx)
{
	*f = x86_flags_sub(0, a, 0, size);
	return (0 - a) & size_mask(size);
}

static uint64_t fn_not(struct x86_core *c, uint64_t a, uint64_t d,
		       unsigned size, uint64_t *f, const void *ctx)
{
	return ~a & size_mask(size);
}

static HANDLER(h_neg)
{
	rmw(c, i, fn_neg, 0, F_ARITH, NULL);
}
static HANDLER(h_not)
{
	rmw(c, i, fn_not, 0, 0, NULL);
}

/* ---- shifts and rotates --------------------------------------------- */

enum shop { S_ROL, S_ROR, S_RCL, S_RCR, S_SHL, S_SHR, S_SAL, S_SAR };

static inline __attribute__((always_inline)) uint64_t
shift(struct x86_core *c, unsigned op, uint64_t a, unsigned cnt, unsigned size,
      uint64_t *fout, uint64_t *fmask)
{
	unsigned bits = size * 8;
	uint64_t m = size_mask(size);
	uint64_t msb = 1ull << (bits - 1);
	uint64_t fl = c->st->rflags;
	uint64_t r = a, f = 0, cf;

	a &= m;
	cnt &= size == 8 ? 0x3f : 0x1f;
	*fmask = 0;
	if (!cnt)
		return a;
	switch (op) {
	case S_ROL: {
		unsigned n = cnt % bits;
		r = n ? ((a << n) | (a >> (bits - n))) & m : a;
		cf = r & 1;
		f = (cf ? F_CF : 0) | ((!!(r & msb) ^ cf) ? F_OF : 0);
		*fmask = F_CF | F_OF;
		break;
	}
	case S_ROR: {
		unsigned n = cnt % bits;
		r = n ? ((a >> n) | (a << (bits - n))) & m : a;
		cf = !!(r & msb);
		f = (cf ? F_CF : 0) |
		    ((!!(r & msb) ^ !!(r & (msb >> 1))) ? F_OF : 0);
		*fmask = F_CF | F_OF;
		break;
	}
	case S_RCL:
	case S_RCR: {
		unsigned n = cnt % (bits + 1);
		unsigned __int128 v =
		    a | ((unsigned __int128)(fl & F_CF) << bits);
		unsigned __int128 vm = ((unsigned __int128)1 << (bits + 1)) - 1;
		if (op == S_RCL)
			v = ((v << n) | (v >> (bits + 1 - n))) & vm;
		else
			v = ((v >> n) | (v << (bits + 1 - n))) & vm;
		if (!n)
			v = a | ((unsigned __int128)(fl & F_CF) << bits);
		r = (uint64_t)v & m;
		cf = (uint64_t)(v >> bits) & 1;
		if (op == S_RCL)
			f = (cf ? F_CF : 0) | ((!!(r & msb) ^ cf) ? F_OF : 0);
		else
			f = (cf ? F_CF : 0) |
			    ((!!(r & msb) ^ !!(r & (msb >> 1))) ? F_OF : 0);
		*fmask = F_CF | F_OF;
		break;
	}
	case S_SHL:
	case S_SAL:
		r = cnt < 64 ? (a << cnt) & m : 0;
		cf = cnt <= bits ? (a >> (bits - cnt)) & 1 : 0;
		f = x86_flags_logic(r, size) | (cf ? F_CF : 0) |
		    ((!!(r & msb) ^ cf) ? F_OF : 0);
		*fmask = F_ARITH;
		break;
	case S_SHR:
		r = cnt < 64 ? a >> cnt : 0;
		cf = cnt <= bits ? (a >> (cnt - 1)) & 1 : 0;
		f = x86_flags_logic(r, size) | (cf ? F_CF : 0) |
		    ((a & msb) ? F_OF : 0);
		*fmask = F_ARITH;
		break;
	default: { /* SAR */
		int64_t s = (int64_t)sign_extend(a, size);
		unsigned n = cnt < bits ? cnt : bits - 1;
		r = (uint64_t)(s >> n) & m;
		cf = cnt < bits ? ((uint64_t)(s >> (cnt - 1)) & 1)
				: ((uint64_t)s >> 63);
		f = x86_flags_logic(r, size) | (cf ? F_CF : 0);
		*fmask = F_ARITH;
		break;
	}
	}
	*fout = f;
	return r;
}

struct shctx {
	unsigned op;
	uint64_t fmask;
};

static uint64_t fn_shift(struct x86_core *c, uint64_t a, uint64_t cnt,
			 unsigned size, uint64_t *f, const void *ctx)
{
	struct shctx *s = (struct shctx *)ctx;
	return shift(c, s->op, a, (unsigned)cnt, size, f, &s->fmask);
}

static void do_shift(struct x86_core *c, const struct x86_insn *i, unsigned op)
{
	unsigned cnt = i->nops > 1 ? (unsigned)x86_op_read(c, i, 1) : 1;
	const struct x86_op *d = &i->op[0];
	struct shctx s = {op, 0};
	uint64_t f = 0;

	if (d->kind == OPK_REG && d->rk == RK_GPR) {
		uint64_t r = shift(c, op, gpr_read(c, d->reg, d->size), cnt,
				   d->size, &f, &s.fmask);
		gpr_write(c, d->reg, d->size, r);
		c->st->rflags = (c->st->rflags & ~s.fmask) | (f & s.fmask);
		return;
	}
	if (!(cnt & (d->size == 8 ? 0x3f : 0x1f))) {
		/* nothing changes, but silicon still checks the write */
		if (d->kind == OPK_MEM)
			x86_mem_probe_write(c, d->seg, x86_ea(c, i, d),
					    d->size);
		return;
	}
	/* rmw applies fmask after fn ran, so compute it first */
	{
		uint64_t dummy;
		shift(c, op, 1, cnt, d->size, &dummy, &s.fmask);
	}
	rmw(c, i, fn_shift, cnt, s.fmask, &s);
}

static HANDLER(h_rol)
{
	do_shift(c, i, S_ROL);
}
static HANDLER(h_ror)
{
	do_shift(c, i, S_ROR);
}
static HANDLER(h_rcl)
{
	do_shift(c, i, S_RCL);
}
static HANDLER(h_rcr)
{
	do_shift(c, i, S_RCR);
}
static HANDLER(h_shl)
{
	do_shift(c, i, S_SHL);
}
static HANDLER(h_shr)
{
	do_shift(c, i, S_SHR);
}
static HANDLER(h_sar)
{
	do_shift(c, i, S_SAR);
}

/* SHLD/SHRD: op0 = dest, op1 = source register, op2 = count. */
static void do_shxd(struct x86_core *c, const struct x86_insn *i, bool left)
{
	const struct x86_op *d = &i->op[0];
	unsigned size = d->size, bits = size * 8;
	uint64_t m = size_mask(size), msb = 1ull << (bits - 1);
	uint64_t src = x86_op_read(c, i, 1) & m;
	unsigned cnt =
	    (unsigned)x86_op_read(c, i, 2) & (size == 8 ? 0x3f : 0x1f);
	uint64_t a, r, cf, f;
	uint64_t ea = 0, lin = 0;

	if (!cnt) {
		if (d->kind == OPK_REG)
			x86_op_write(c, i, 0, x86_op_read(c, i, 0));
		else
			x86_mem_probe_write(c, d->seg, x86_ea(c, i, d), size);
		return;
	}
	if (d->kind == OPK_MEM) {
		ea = x86_ea(c, i, d);
		lin = seg_lin(c, d->seg, ea, size, MA_WRITE);
		x86_lin_probe_write(c, lin, size);
		a = lin_read(c, lin, size);
	} else {
		a = x86_op_read(c, i, 0);
	}
	/* work in a 128-bit window: dest:src (left) or src:dest (right);
	 * a 16-bit count above 16 is undefined (we shift the window). */
	if (left) {
		unsigned __int128 v = ((unsigned __int128)a << bits) | src;
		if (size == 2 && cnt > 16)
			v = ((unsigned __int128)src << 32) |
			    ((unsigned __int128)a << 16) | src;
		r = (uint64_t)((v << cnt) >> bits) & m;
		if (size == 2 && cnt > 16)
			r = (uint64_t)((v << cnt) >> 32) & m;
		cf = (a >> (bits - (cnt > bits ? bits : cnt))) & 1;
	} else {
		unsigned __int128 v = ((unsigned __int128)src << bits) | a;
		r = (uint64_t)(v >> cnt) & m;
		cf = (a >> ((cnt > bits ? bits : cnt) - 1)) & 1;
	}
	f = x86_flags_logic(r, size) | (cf ? F_CF : 0) |
	    (((r ^ a) & msb) ? F_OF : 0);
	if (d->kind == OPK_MEM)
		lin_write(c, lin, size, r);
	else
		x86_op_write(c, i, 0, r);
	set_arith_flags(c, f);
}

static HANDLER(h_shld)
{
	do_shxd(c, i, true);
}
static HANDLER(h_shrd)
{
	do_shxd(c, i, false);
}

/* ---- multiply and divide --------------------------------------------- */

static void mul_flags(struct x86_core *c, uint64_t lo, unsigned size, bool ovf)
{
	uint64_t f = x86_flags_logic(lo, size);
	if (ovf)
		f |= F_CF | F_OF;
	set_arith_flags(c, f);
}

static void write_pair(struct x86_core *c, unsigned size, uint64_t lo,
		       uint64_t hi)
{
	if (size == 1) {
		gpr_write(c, X86_RAX, 2, (lo & 0xff) | ((hi & 0xff) << 8));
	} else {
		gpr_write(c, X86_RAX, size, lo);
		gpr_write(c, X86_RDX, size, hi);
	}
}

static HANDLER(h_mul)
{
	unsigned size = i->op[0].size, bits = size * 8;
	uint64_t m = size_mask(size);
	unsigned __int128 p = (unsigned __int128)(c->st->gpr[X86_RAX] & m) *
			      (x86_op_read(c, i, 0) & m);
	uint64_t lo = (uint64_t)p & m;
	uint64_t hi = (uint64_t)(p >> bits) & m;
	write_pair(c, size, lo, hi);
	mul_flags(c, lo, size, hi != 0);
}

static HANDLER(h_imul)
{
	unsigned size = i->op[0].size, bits = size * 8;
	uint64_t m = size_mask(size);

	if (i->nops == 1) {
		__int128 p =
		    (__int128)(int64_t)sign_extend(c->st->gpr[X86_RAX], size) *
		    (int64_t)sign_extend(x86_op_read(c, i, 0), size);
		uint64_t lo = (uint64_t)p & m;
		uint64_t hi = (uint64_t)(p >> bits) & m;
		write_pair(c, size, lo, hi);
		mul_flags(c, lo, size,
			  (__int128)(int64_t)sign_extend(lo, size) != p);
	} else {
		unsigned s1 = i->nops == 3 ? 1 : 0, s2 = i->nops == 3 ? 2 : 1;
		__int128 p = (__int128)(int64_t)sign_extend(
				 x86_op_read(c, i, s1), size) *
			     (int64_t)sign_extend(x86_op_read(c, i, s2), size);
		uint64_t lo = (uint64_t)p & m;
		x86_op_write(c, i, 0, lo);
		mul_flags(c, lo, size,
			  (__int128)(int64_t)sign_extend(lo, size) != p);
	}
}

static HANDLER(h_div)
{
	unsigned size = i->op[0].size, bits = size * 8;
	uint64_t m = size_mask(size);
	uint64_t d = x86_op_read(c, i, 0) & m;
	unsigned __int128 n;
	unsigned __int128 q;

	if (!d)
		x86_raise(c, X86_EXC_DE, false, 0);
	if (size == 1)
		n = c->st->gpr[X86_RAX] & 0xffff;
	else
		n = ((unsigned __int128)(c->st->gpr[X86_RDX] & m) << bits) |
		    (c->st->gpr[X86_RAX] & m);
	q = n / d;
	if (q > m)
		x86_raise(c, X86_EXC_DE, false, 0);
	write_pair(c, size, (uint64_t)q, (uint64_t)(n % d));
}

static HANDLER(h_idiv)
{
	unsigned size = i->op[0].size, bits = size * 8;
	uint64_t m = size_mask(size);
	int64_t d = (int64_t)sign_extend(x86_op_read(c, i, 0), size);
	__int128 n, q, r;

	if (!d)
		x86_raise(c, X86_EXC_DE, false, 0);
	if (size == 1) {
		n = (int16_t)(c->st->gpr[X86_RAX] & 0xffff);
	} else {
		unsigned __int128 u =
		    ((unsigned __int128)(c->st->gpr[X86_RDX] & m) << bits) |
		    (c->st->gpr[X86_RAX] & m);
		/* sign-extend the 2*bits-wide dividend */
		unsigned sh = 128 - 2 * bits;
		n = sh ? ((__int128)(u << sh)) >> sh : (__int128)u;
	}
	/* 128-bit INT_MIN / -1 cannot be represented: #DE either way */
	if (d == -1 && size == 8 &&
	    n == (__int128)((unsigned __int128)1 << 127))
		x86_raise(c, X86_EXC_DE, false, 0);
	q = n / d;
	r = n % d;
	if (q > (__int128)(m >> 1) || q < -(__int128)(m >> 1) - 1)
		x86_raise(c, X86_EXC_DE, false, 0);
	write_pair(c, size, (uint64_t)q & m, (uint64_t)r & m);
}

/* ---- bit operations --------------------------------------------------- */

enum btop { B_BT, B_BTS, B_BTR, B_BTC };

static void do_bt(struct x86_core *c, const struct x86_insn *i, unsigned op)
{
	const struct x86_op *d = &i->op[0];
	unsigned size = d->size, bits = size * 8;
	uint64_t off = x86_op_read(c, i, 1);
	uint64_t v, bit, nv;

	if (d->kind == OPK_MEM && i->op[1].kind == OPK_REG) {
		/* bit string: signed offset addresses beyond the operand */
		int64_t so = (int64_t)sign_extend(off, i->op[1].size);
		int64_t words = so >> (size == 8 ? 6 : size == 4 ? 5 : 4);
		uint64_t ea =
		    x86_ea(c, i, d) + (uint64_t)(words * (int64_t)size);
		uint64_t lin;
		void *p = NULL;
		if (i->asz == 4)
			ea = (uint32_t)ea;
		else if (i->asz == 2)
			ea &= 0xffff;
		bit = (uint64_t)so & (bits - 1);
		if (op == B_BT) {
			v = mem_read(c, d->seg, ea, size);
			nv = v;
		} else {
			lin = seg_lin(c, d->seg, ea, size, MA_WRITE);
			if ((i->pfx & PFX_LOCK) &&
			    (lin & 0xfff) + size <= 0x1000) {
				p = tlb_hit(c, lin, MA_WRITE);
				if (!p)
					p = x86_lin_ptr_slow(c, lin, MA_WRITE);
			}
			if (!p)
				x86_lin_probe_write(c, lin, size);
			v = p ? ld_le(p, size) : lin_read(c, lin, size);
			for (;;) {
				nv = op == B_BTS   ? v | (1ull << bit)
				     : op == B_BTR ? v & ~(1ull << bit)
						   : v ^ (1ull << bit);
				if (!p || cas(p, size, &v, nv))
					break;
			}
			if (!p)
				lin_write(c, lin, size, nv);
		}
	} else {
		bit = off & (bits - 1);
		if (op == B_BT) {
			v = x86_op_read(c, i, 0);
		} else {
			if (d->kind == OPK_REG && (i->pfx & PFX_LOCK))
				x86_ud(c);
			if (d->kind == OPK_MEM) {
				uint64_t ea = x86_ea(c, i, d);
				uint64_t lin =
				    seg_lin(c, d->seg, ea, size, MA_WRITE);
				void *p = NULL;
				if ((i->pfx & PFX_LOCK) &&
				    (lin & 0xfff) + size <= 0x1000) {
					p = tlb_hit(c, lin, MA_WRITE);
					if (!p)
						p = x86_lin_ptr_slow(c, lin,
								     MA_WRITE);
				}
				if (!p)
					x86_lin_probe_write(c, lin, size);
				v = p ? ld_le(p, size) : lin_read(c, lin, size);
				for (;;) {
					nv = op == B_BTS   ? v | (1ull << bit)
					     : op == B_BTR ? v & ~(1ull << bit)
							   : v ^ (1ull << bit);
					if (!p || cas(p, size, &v, nv))
						break;
				}
				if (!p)
					lin_write(c, lin, size, nv);
			} else {
				v = x86_op_read(c, i, 0);
				nv = op == B_BTS   ? v | (1ull << bit)
				     : op == B_BTR ? v & ~(1ull << bit)
						   : v ^ (1ull << bit);
				x86_op_write(c, i, 0, nv);
			}
		}
	}
	if ((v >> bit) & 1)
		c->st->rflags |= F_CF;
	else
		c->st->rflags &= ~F_CF;
}

static HANDLER(h_bt)
{
	do_bt(c, i, B_BT);
}
static HANDLER(h_bts)
{
	do_bt(c, i, B_BTS);
}
static HANDLER(h_btr)
{
	do_bt(c, i, B_BTR);
}
static HANDLER(h_btc)
{
	do_bt(c, i, B_BTC);
}

static HANDLER(h_bsf)
{
	unsigned size = i->op[0].size;
	uint64_t v = x86_op_read(c, i, 1) & size_mask(size);
	if (!v) {
		c->st->rflags |= F_ZF;
		return;
	}
	c->st->rflags &= ~F_ZF;
	x86_op_write(c, i, 0, (uint64_t)__builtin_ctzll(v));
}

static HANDLER(h_bsr)
{
	unsigned size = i->op[0].size;
	uint64_t v = x86_op_read(c, i, 1) & size_mask(size);
	if (!v) {
		c->st->rflags |= F_ZF;
		return;
	}
	c->st->rflags &= ~F_ZF;
	x86_op_write(c, i, 0, (uint64_t)(63 - __builtin_clzll(v)));
}

static HANDLER(h_tzcnt)
{
	unsigned size = i->op[0].size;
	uint64_t v = x86_op_read(c, i, 1) & size_mask(size);
	uint64_t r = v ? (uint64_t)__builtin_ctzll(v) : size * 8;
	uint64_t f = c->st->rflags & ~(F_CF | F_ZF);
	if (!v)
		f |= F_CF;
	if (!r)
		f |= F_ZF;
	c->st->rflags = f;
	x86_op_write(c, i, 0, r);
}

static HANDLER(h_lzcnt)
{
	unsigned size = i->op[0].size;
	uint64_t v = x86_op_read(c, i, 1) & size_mask(size);
	uint64_t r =
	    v ? (uint64_t)(__builtin_clzll(v) - (64 - size * 8)) : size * 8;
	uint64_t f = c->st->rflags & ~(F_CF | F_ZF);
	if (!v)
		f |= F_CF;
	if (!r)
		f |= F_ZF;
	c->st->rflags = f;
	x86_op_write(c, i, 0, r);
}

static HANDLER(h_popcnt)
{
	unsigned size = i->op[0].size;
	uint64_t v = x86_op_read(c, i, 1) & size_mask(size);
	c->st->rflags &= ~F_ARITH;
	if (!v)
		c->st->rflags |= F_ZF;
	x86_op_write(c, i, 0, (uint64_t)__builtin_popcountll(v));
}

/* ---- XADD, CMPXCHG, CMPXCHG8B/16B ------------------------------------ */

static uint64_t fn_xadd(struct x86_core *c, uint64_t a, uint64_t b,
			unsigned size, uint64_t *f, const void *ctx)
{
	*f = x86_flags_add(a, b, 0, size);
	return (a + b) & size_mask(size);
}

static HANDLER(h_xadd)
{
	unsigned size = i->op[0].size;
	uint64_t b = x86_op_read(c, i, 1) & size_mask(size);
	uint64_t old;

	if (i->op[0].kind == OPK_REG) {
		/* SRC := DEST, then DEST := sum (same register: the sum) */
		if (i->pfx & PFX_LOCK)
			x86_ud(c);
		old = x86_op_read(c, i, 0);
		x86_op_write(c, i, 1, old);
		x86_op_write(c, i, 0, old + b);
		set_arith_flags(c, x86_flags_add(old, b, 0, size));
		return;
	}
	old = rmw(c, i, fn_xadd, b, F_ARITH, NULL);
	x86_op_write(c, i, 1, old);
}

static HANDLER(h_cmpxchg)
{
	const struct x86_op *d = &i->op[0];
	unsigned size = d->size;
	uint64_t m = size_mask(size);
	uint64_t acc = c->st->gpr[X86_RAX] & m;
	uint64_t src = x86_op_read(c, i, 1) & m;
	uint64_t old;

	if (d->kind == OPK_MEM) {
		uint64_t lin =
		    seg_lin(c, d->seg, x86_ea(c, i, d), size, MA_WRITE);
		void *p = NULL;
		if ((lin & 0xfff) + size <= 0x1000) {
			p = tlb_hit(c, lin, MA_WRITE);
			if (!p)
				p = x86_lin_ptr_slow(c, lin, MA_WRITE);
		}
		if (p && (i->pfx & PFX_LOCK)) {
			old = acc;
			cas(p, size, &old, src);
		} else {
			if (!p)
				x86_lin_probe_write(c, lin, size);
			old = p ? ld_le(p, size) : lin_read(c, lin, size);
			/* the destination is written either way */
			if (p)
				st_le(p, size, old == acc ? src : old);
			else
				lin_write(c, lin, size, old == acc ? src : old);
		}
	} else {
		if (i->pfx & PFX_LOCK)
			x86_ud(c);
		old = x86_op_read(c, i, 0);
		/* silicon leaves a register destination alone on mismatch */
		if (old == acc)
			x86_op_write(c, i, 0, src);
	}
	set_arith_flags(c, x86_flags_sub(acc, old, 0, size));
	if (old != acc)
		gpr_write(c, X86_RAX, size, old);
}

static HANDLER(h_cmpxchgnb)
{
	const struct x86_op *d = &i->op[0];
	bool wide = i->mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B;
	unsigned half = wide ? 8 : 4;
	uint64_t m = size_mask(half);
	uint64_t ea, lin;
	void *p = NULL;
	uint64_t lo, hi;
	bool eq;

	if (d->kind != OPK_MEM)
		x86_ud(c);
	ea = x86_ea(c, i, d);
	if (wide && (ea & 15))
		x86_gp(c, 0);
	lin = seg_lin(c, d->seg, ea, half * 2, MA_WRITE);
	if ((lin & 0xfff) + half * 2 <= 0x1000) {
		p = tlb_hit(c, lin, MA_WRITE);
		if (!p)
			p = x86_lin_ptr_slow(c, lin, MA_WRITE);
	}
	if (wide) {
		uint64_t elo = c->st->gpr[X86_RAX], ehi = c->st->gpr[X86_RDX];
		uint64_t nlo = c->st->gpr[X86_RBX], nhi = c->st->gpr[X86_RCX];
		if (p && !((uintptr_t)p & 15)) {
			/* no libatomic: the host instruction itself */
			__asm__ volatile("lock cmpxchg16b %1\n\tsete %0"
					 : "=q"(eq),
					   "+m"(*(volatile char(*)[16])p),
					   "+a"(elo), "+d"(ehi)
					 : "b"(nlo), "c"(nhi)
					 : "memory", "cc");
			lo = elo;
			hi = ehi;
		} else {
			x86_lin_probe_write(c, lin, 16);
			lo = lin_read(c, lin, 8);
			hi = lin_read(c, lin + 8, 8);
			eq = lo == elo && hi == ehi;
			if (eq) {
				lin_write(c, lin, 8, nlo);
				lin_write(c, lin + 8, 8, nhi);
			}
		}
	} else {
		uint64_t exp = (c->st->gpr[X86_RAX] & m) |
			       ((c->st->gpr[X86_RDX] & m) << 32);
		uint64_t nv = (c->st->gpr[X86_RBX] & m) |
			      ((c->st->gpr[X86_RCX] & m) << 32);
		uint64_t cur;
		if (p) {
			cur = exp;
			eq = cas(p, 8, &cur, nv);
		} else {
			x86_lin_probe_write(c, lin, 8);
			cur = lin_read(c, lin, 8);
			eq = cur == exp;
			lin_write(c, lin, 8, eq ? nv : cur);
		}
		lo = (uint32_t)cur;
		hi = cur >> 32;
	}
	if (eq) {
		c->st->rflags |= F_ZF;
	} else {
		c->st->rflags &= ~F_ZF;
		gpr_write(c, X86_RAX, half, lo);
		gpr_write(c, X86_RDX, half, hi);
	}
}

/* ---- operand-form specialised handlers --------------------------------
 *
 * The common register/register and register/immediate forms of the binary
 * ALU ops with 32/64-bit operands, chosen at decode time: no operand-kind
 * dispatch, and the size is a constant so the flag formulas fold. Same
 * results as alu2()'s register-destination path.
 */
#define ALU_SPEC(name, aop, sz)                                                \
	static HANDLER(h_##name##_rr##sz)                                      \
	{                                                                      \
		uint64_t *g = c->st->gpr, f;                                   \
		uint64_t b = g[i->op[1].reg] & size_mask(sz);                  \
		uint64_t r =                                                   \
		    alu(c, aop, g[i->op[0].reg] & size_mask(sz), b, sz, &f);   \
		if (aop != A_CMP)                                              \
			g[i->op[0].reg] = r;                                   \
		set_arith_flags(c, f);                                         \
	}                                                                      \
	static HANDLER(h_##name##_ri##sz)                                      \
	{                                                                      \
		uint64_t *g = c->st->gpr, f;                                   \
		uint64_t b = (uint64_t)i->op[1].disp & size_mask(sz);          \
		uint64_t r =                                                   \
		    alu(c, aop, g[i->op[0].reg] & size_mask(sz), b, sz, &f);   \
		if (aop != A_CMP)                                              \
			g[i->op[0].reg] = r;                                   \
		set_arith_flags(c, f);                                         \
	}
/* reg, mem: the memory read is the only access (no RMW, no LOCK) */
#define ALU_SPEC_RM(name, aop, sz)                                             \
	static HANDLER(h_##name##_rm##sz)                                      \
	{                                                                      \
		const struct x86_op *s = &i->op[1];                            \
		uint64_t b = mem_read(c, s->seg, x86_ea(c, i, s), sz), f;      \
		uint64_t *g = c->st->gpr;                                      \
		uint64_t r =                                                   \
		    alu(c, aop, g[i->op[0].reg] & size_mask(sz), b, sz, &f);   \
		if (aop != A_CMP)                                              \
			g[i->op[0].reg] = r;                                   \
		set_arith_flags(c, f);                                         \
	}
#define ALU_SPEC_OP(name, aop)                                                 \
	ALU_SPEC(name, aop, 4)                                                 \
	ALU_SPEC(name, aop, 8)                                                 \
	ALU_SPEC_RM(name, aop, 4) ALU_SPEC_RM(name, aop, 8)
ALU_SPEC_OP(add, A_ADD)
ALU_SPEC_OP(or, A_OR)
ALU_SPEC_OP(adc, A_ADC)
ALU_SPEC_OP(sbb, A_SBB)
ALU_SPEC_OP(and, A_AND)
ALU_SPEC_OP(sub, A_SUB)
ALU_SPEC_OP(xor, A_XOR)
ALU_SPEC_OP(cmp, A_CMP)

#define TEST_SPEC(sz)                                                          \
	static HANDLER(h_test_rr##sz)                                          \
	{                                                                      \
		uint64_t *g = c->st->gpr;                                      \
		set_arith_flags(                                               \
		    c,                                                         \
		    x86_flags_logic(g[i->op[0].reg] & g[i->op[1].reg], sz));   \
	}                                                                      \
	static HANDLER(h_test_ri##sz)                                          \
	{                                                                      \
		uint64_t *g = c->st->gpr;                                      \
		set_arith_flags(                                               \
		    c, x86_flags_logic(                                        \
			   g[i->op[0].reg] & (uint64_t)i->op[1].disp, sz));    \
	}
TEST_SPEC(4)
TEST_SPEC(8)

/* INC/DEC of a 32/64-bit register (CF unchanged). */
#define INCDEC_SPEC(sz)                                                        \
	static HANDLER(h_inc_r##sz)                                            \
	{                                                                      \
		uint64_t *g = c->st->gpr, a = g[i->op[0].reg] & size_mask(sz); \
		uint64_t f = x86_flags_add(a, 1, 0, sz) & ~F_CF;               \
		g[i->op[0].reg] = (a + 1) & size_mask(sz);                     \
		c->st->rflags = (c->st->rflags & ~(F_ARITH & ~F_CF)) | f;      \
	}                                                                      \
	static HANDLER(h_dec_r##sz)                                            \
	{                                                                      \
		uint64_t *g = c->st->gpr, a = g[i->op[0].reg] & size_mask(sz); \
		uint64_t f = x86_flags_sub(a, 1, 0, sz) & ~F_CF;               \
		g[i->op[0].reg] = (a - 1) & size_mask(sz);                     \
		c->st->rflags = (c->st->rflags & ~(F_ARITH & ~F_CF)) | f;      \
	}
INCDEC_SPEC(4)
INCDEC_SPEC(8)

/* SHL/SHR/SAR of a 32/64-bit register by an immediate (do_shift's
 * register path with the operation and size constant). */
#define SHIFT_SPEC(name, sop, sz)                                              \
	static HANDLER(h_##name##_ri##sz)                                      \
	{                                                                      \
		uint64_t *g = c->st->gpr, f = 0, fm = 0;                       \
		uint64_t r = shift(c, sop, g[i->op[0].reg] & size_mask(sz),    \
				   (unsigned)i->op[1].disp, sz, &f, &fm);      \
		g[i->op[0].reg] = r & size_mask(sz);                           \
		c->st->rflags = (c->st->rflags & ~fm) | (f & fm);              \
	}
SHIFT_SPEC(shl, S_SHL, 4)
SHIFT_SPEC(shl, S_SHL, 8)
SHIFT_SPEC(shr, S_SHR, 4)
SHIFT_SPEC(shr, S_SHR, 8)
SHIFT_SPEC(sar, S_SAR, 4)
SHIFT_SPEC(sar, S_SAR, 8)

/* IMUL r64, r/m64 [, imm]: the overflow test by the compiler's builtin
 * instead of a 128-bit product (same CF/OF: the product does not fit). */
static HANDLER(h_imul_q)
{
	unsigned s1 = i->nops == 3 ? 1 : 0;
	int64_t a = (int64_t)x86_op_read(c, i, s1);
	int64_t b = (int64_t)x86_op_read(c, i, s1 + 1);
	int64_t r;
	bool ovf = __builtin_mul_overflow(a, b, &r);

	c->st->gpr[i->op[0].reg] = (uint64_t)r;
	set_arith_flags(c, x86_flags_logic((uint64_t)r, 8) |
			       (ovf ? F_CF | F_OF : 0));
}

#define SPEC_ROW(name)                                                         \
	{                                                                      \
		h_##name,                                                      \
		{                                                              \
			{h_##name##_rr4, h_##name##_ri4, h_##name##_rm4},      \
			{                                                      \
				h_##name##_rr8, h_##name##_ri8, h_##name##_rm8 \
			}                                                      \
		}                                                              \
	}
#define h_test_rm4 NULL /* TEST has no reg, r/m form */
#define h_test_rm8 NULL

x86_handler x86_alu_specialise(const struct x86_insn *i)
{
	static const struct {
		x86_handler gen;
		x86_handler spec[2][3]; /* [size 8][reg, imm, mem] */
	} tab[] = {SPEC_ROW(add), SPEC_ROW(or),	 SPEC_ROW(adc),
		   SPEC_ROW(sbb), SPEC_ROW(and), SPEC_ROW(sub),
		   SPEC_ROW(xor), SPEC_ROW(cmp), SPEC_ROW(test)};
	const struct x86_op *d = &i->op[0], *s = &i->op[1];

	if (i->pfx & PFX_LOCK)
		return NULL; /* #UD on a register destination: generic path */
	if (d->kind != OPK_REG || d->rk != RK_GPR || d->reg >= 16 ||
	    (d->size != 4 && d->size != 8))
		return NULL;
	if (i->nops == 1) {
		if (i->fn == h_inc)
			return d->size == 8 ? h_inc_r8 : h_inc_r4;
		if (i->fn == h_dec)
			return d->size == 8 ? h_dec_r8 : h_dec_r4;
		return NULL;
	}
	if (i->fn == h_imul && (i->nops == 2 || i->nops == 3) && d->size == 8)
		return h_imul_q;
	if (i->nops != 2)
		return NULL;
	if (s->kind == OPK_IMM) {
		bool q = d->size == 8;
		if (i->fn == h_shl)
			return q ? h_shl_ri8 : h_shl_ri4;
		if (i->fn == h_shr)
			return q ? h_shr_ri8 : h_shr_ri4;
		if (i->fn == h_sar)
			return q ? h_sar_ri8 : h_sar_ri4;
	}
	if (!(s->kind == OPK_IMM ||
	      (s->kind == OPK_REG && s->rk == RK_GPR && s->reg < 16 &&
	       s->size == d->size) ||
	      (s->kind == OPK_MEM && s->size == d->size)))
		return NULL;
	for (unsigned n = 0; n < sizeof(tab) / sizeof(tab[0]); n++)
		if (tab[n].gen == i->fn)
			return tab[n]
			    .spec[d->size == 8][s->kind == OPK_IMM   ? 1
						: s->kind == OPK_MEM ? 2
								     : 0];
	return NULL;
}

void x86_register_alu(x86_handler *t)
{
	t[ZYDIS_MNEMONIC_ADD] = h_add;
	t[ZYDIS_MNEMONIC_OR] = h_or;
	t[ZYDIS_MNEMONIC_ADC] = h_adc;
	t[ZYDIS_MNEMONIC_SBB] = h_sbb;
	t[ZYDIS_MNEMONIC_AND] = h_and;
	t[ZYDIS_MNEMONIC_SUB] = h_sub;
	t[ZYDIS_MNEMONIC_XOR] = h_xor;
	t[ZYDIS_MNEMONIC_CMP] = h_cmp;
	t[ZYDIS_MNEMONIC_TEST] = h_test;
	t[ZYDIS_MNEMONIC_INC] = h_inc;
	t[ZYDIS_MNEMONIC_DEC] = h_dec;
	t[ZYDIS_MNEMONIC_NEG] = h_neg;
	t[ZYDIS_MNEMONIC_NOT] = h_not;
	t[ZYDIS_MNEMONIC_ROL] = h_rol;
	t[ZYDIS_MNEMONIC_ROR] = h_ror;
	t[ZYDIS_MNEMONIC_RCL] = h_rcl;
	t[ZYDIS_MNEMONIC_RCR] = h_rcr;
	t[ZYDIS_MNEMONIC_SHL] = h_shl;
	t[ZYDIS_MNEMONIC_SHR] = h_shr;
	t[ZYDIS_MNEMONIC_SAR] = h_sar;
	t[ZYDIS_MNEMONIC_SHLD] = h_shld;
	t[ZYDIS_MNEMONIC_SHRD] = h_shrd;
	t[ZYDIS_MNEMONIC_MUL] = h_mul;
	t[ZYDIS_MNEMONIC_IMUL] = h_imul;
	t[ZYDIS_MNEMONIC_DIV] = h_div;
	t[ZYDIS_MNEMONIC_IDIV] = h_idiv;
	t[ZYDIS_MNEMONIC_BT] = h_bt;
	t[ZYDIS_MNEMONIC_BTS] = h_bts;
	t[ZYDIS_MNEMONIC_BTR] = h_btr;
	t[ZYDIS_MNEMONIC_BTC] = h_btc;
	t[ZYDIS_MNEMONIC_BSF] = h_bsf;
	t[ZYDIS_MNEMONIC_BSR] = h_bsr;
	t[ZYDIS_MNEMONIC_TZCNT] = h_tzcnt;
	t[ZYDIS_MNEMONIC_LZCNT] = h_lzcnt;
	t[ZYDIS_MNEMONIC_POPCNT] = h_popcnt;
	t[ZYDIS_MNEMONIC_XADD] = h_xadd;
	t[ZYDIS_MNEMONIC_CMPXCHG] = h_cmpxchg;
	t[ZYDIS_MNEMONIC_CMPXCHG8B] = h_cmpxchgnb;
	t[ZYDIS_MNEMONIC_CMPXCHG16B] = h_cmpxchgnb;
}
