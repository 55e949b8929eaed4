// SPDX-License-Identifier: GPL-2.0
/*
 * Arithmetic flags, computed eagerly (simple and exact; the dispatch
 * overhead dominates anyway).
 */
#include "cpu/x86/core.h"

static inline uint64_t szp(uint64_t res, unsigned size)
{
	uint64_t f = 0;
	res &= size_mask(size);
	if (!res)
		f |= F_ZF;
	if (res >> (size * 8 - 1))
		f |= F_SF;
	if (!__builtin_parity((unsigned)(res & 0xff)))
		f |= F_PF;
	return f;
}

uint64_t x86_flags_logic(uint64_t res, unsigned size)
{
	return szp(res, size);
}

uint64_t x86_flags_add(uint64_t a, uint64_t b, uint64_t carry, unsigned size)
{
	uint64_t m = size_mask(size);
	uint64_t res = (a + b + carry) & m;
	unsigned top = size * 8 - 1;
	uint64_t f = szp(res, size);

	a &= m;
	b &= m;
	if (res < a || (carry && res == a))
		f |= F_CF;
	if ((((a ^ res) & (b ^ res)) >> top) & 1)
		f |= F_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= F_AF;
	return f;
}

uint64_t x86_flags_sub(uint64_t a, uint64_t b, uint64_t borrow, unsigned size)
{
	uint64_t m = size_mask(size);
	uint64_t res = (a - b - borrow) & m;
	unsigned top = size * 8 - 1;
	uint64_t f = szp(res, size);

	a &= m;
	b &= m;
	if (a < b || (borrow && a == b))
		f |= F_CF;
	if ((((a ^ b) & (a ^ res)) >> top) & 1)
		f |= F_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= F_AF;
	return f;
}

bool x86_cond(uint64_t fl, unsigned cc)
{
	bool r;
	switch (cc >> 1) {
	case 0: /* O */
		r = fl & F_OF;
		break;
	case 1: /* B/C */
		r = fl & F_CF;
		break;
	case 2: /* Z */
		r = fl & F_ZF;
		break;
	case 3: /* BE */
		r = fl & (F_CF | F_ZF);
		break;
	case 4: /* S */
		r = fl & F_SF;
		break;
	case 5: /* P */
		r = fl & F_PF;
		break;
	case 6: /* L: SF != OF */
		r = !(fl & F_SF) != !(fl & F_OF);
		break;
	default: /* LE */
		r = (fl & F_ZF) || (!(fl & F_SF) != !(fl & F_OF));
		break;
	}
	return (cc & 1) ? !r : r;
}
