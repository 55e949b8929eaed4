// SPDX-License-Identifier: GPL-2.0
/*
 * Arithmetic flags, computed eagerly (simple and exact; the dispatch
 * overhead dominates anyway).
 */
#include "cpu/x86/core.h"

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
