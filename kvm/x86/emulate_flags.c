// SPDX-License-Identifier: GPL-2.0
/* See emulate_flags.h. */
#include "kvm/x86/emulate_flags.h"

#define FL_CF	  0x001ull
#define FL_PF	  0x004ull
#define FL_AF	  0x010ull
#define FL_ZF	  0x040ull
#define FL_SF	  0x080ull
#define FL_OF	  0x800ull
#define FL_STATUS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

bool emul_op_writes(enum emul_op op)
{
	return op != EMUL_CMP && op != EMUL_TEST && op != EMUL_BT;
}

/* SF, ZF, PF of a result; CF/OF/AF given. */
static uint64_t szp(uint64_t r, uint64_t sign, uint64_t mask)
{
	uint64_t f = 0;

	if (r & sign)
		f |= FL_SF;
	if (!(r & mask))
		f |= FL_ZF;
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= FL_PF;
	return f;
}

uint64_t emul_alu(enum emul_op op, uint64_t dst, uint64_t src, int bytes,
		  uint64_t *rflags)
{
	int bits = bytes * 8;
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
	uint64_t sign = 1ull << (bits - 1);
	uint64_t cin = (*rflags & FL_CF) ? 1 : 0;
	uint64_t r, f = 0, keep = FL_STATUS;
	bool carry;

	dst &= mask;
	src &= mask;
	switch (op) {
	case EMUL_INC:
		src = 1;
		cin = 0;
		keep = FL_CF; /* INC/DEC leave CF alone */
		/* fallthrough */
	case EMUL_ADD:
	case EMUL_ADC:
		if (op != EMUL_ADC)
			cin = 0;
		r = (dst + src + cin) & mask;
		carry = r < dst || (cin && r == dst);
		if (carry && op != EMUL_INC)
			f |= FL_CF;
		if ((dst ^ r) & (src ^ r) & sign)
			f |= FL_OF;
		f |= (dst ^ src ^ r) & FL_AF;
		break;
	case EMUL_NEG:
		src = dst;
		dst = 0;
		cin = 0;
		/* fallthrough */
	case EMUL_DEC:
		if (op == EMUL_DEC) {
			src = 1;
			cin = 0;
			keep = FL_CF;
		}
		/* fallthrough */
	case EMUL_SUB:
	case EMUL_SBB:
	case EMUL_CMP:
		if (op != EMUL_SBB)
			cin = 0;
		r = (dst - src - cin) & mask;
		carry = dst < src || (cin && dst == src);
		if (carry && op != EMUL_DEC)
			f |= FL_CF;
		if ((dst ^ src) & (dst ^ r) & sign)
			f |= FL_OF;
		f |= (dst ^ src ^ r) & FL_AF;
		break;
	case EMUL_OR:
		r = dst | src;
		break;
	case EMUL_AND:
	case EMUL_TEST:
		r = dst & src;
		break;
	case EMUL_XOR:
		r = dst ^ src;
		break;
	case EMUL_NOT:
		return ~dst & mask; /* no flags */
	default: {
		/* BT*: CF = the bit; the other flags unchanged here (ZF is
		 * kept on Intel, the rest are undefined). */
		uint64_t bit = 1ull << (src & (uint64_t)(bits - 1));

		*rflags = (*rflags & ~FL_CF) | ((dst & bit) ? FL_CF : 0);
		if (op == EMUL_BTS)
			return dst | bit;
		if (op == EMUL_BTR)
			return dst & ~bit;
		if (op == EMUL_BTC)
			return dst ^ bit;
		return dst;
	}
	}
	f |= szp(r, sign, mask);
	if (keep == FL_CF)
		*rflags = (*rflags & ~(FL_STATUS & ~FL_CF)) | f;
	else
		*rflags = (*rflags & ~FL_STATUS) | f;
	return r;
}
