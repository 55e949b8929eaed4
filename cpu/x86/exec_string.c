// SPDX-License-Identifier: GPL-2.0
/*
 * String instructions MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS with REP, REPE,
 * REPNE and DF. Registers are updated per element, so a fault leaves a
 * restartable state; long REP runs yield every REP_CHUNK elements by
 * re-executing the instruction (the run loop gets to poll kicks).
 */
#include "cpu/x86/core.h"

#define REP_CHUNK 4096u

enum strop { SO_MOVS, SO_CMPS, SO_STOS, SO_LODS, SO_SCAS, SO_INS, SO_OUTS };

/* Flat addressing: linear address == offset for this segment. */
static bool seg_flat(struct x86_core *c, unsigned seg)
{
	const struct x86_seg *s = &c->st->seg[seg];
	if (c->long64)
		return seg < X86_FS || !s->base;
	return !s->base && s->limit == 0xffffffffu &&
	       !(s->ar & X86_AR_UNUSABLE) && (s->ar & 0xe) == 0x2;
}

static uint8_t *page_ptr(struct x86_core *c, uint64_t lin, unsigned kind)
{
	uint8_t *p = tlb_hit(c, lin, kind);
	return p ? p : x86_lin_ptr_slow(c, lin, kind);
}

/*
 * REP MOVS/STOS with DF=0 on flat segments: whole runs within one source
 * and one destination page at a time (memcpy/memset speed). Stops early
 * (returning false) for anything unusual; the element loop then carries
 * on exactly. Registers are updated per run, so a fault on the next run
 * leaves a restartable state, as the element loop would.
 */
static bool rep_fast(struct x86_core *c, const struct x86_insn *i, unsigned op,
		     unsigned size)
{
	struct x86_state *st = c->st;
	unsigned asz = i->asz;
	uint64_t am = size_mask(asz);
	uint64_t done = 0;

	if ((st->rflags & F_DF) || asz == 2 || !seg_flat(c, X86_ES) ||
	    (op == SO_MOVS && !seg_flat(c, i->seg)))
		return false;
	while (st->gpr[X86_RCX] & am) {
		uint64_t cnt = st->gpr[X86_RCX] & am;
		uint64_t di = st->gpr[X86_RDI] & am, si = st->gpr[X86_RSI] & am;
		uint64_t n = (0x1000 - (di & 0xfff)) / size;
		uint8_t *pd, *ps = NULL;

		if (op == SO_MOVS) {
			uint64_t ns = (0x1000 - (si & 0xfff)) / size;
			if (ns < n)
				n = ns;
		}
		if (n > cnt)
			n = cnt;
		if (!n ||
		    (c->long64 && (((int64_t)(di << 16) >> 16) != (int64_t)di ||
				   ((int64_t)(si << 16) >> 16) != (int64_t)si)))
			return false; /* element straddles a page: slow path */
		if (op == SO_MOVS)
			ps = page_ptr(c, si, MA_READ);
		pd = page_ptr(c, di, MA_WRITE);
		if (op == SO_STOS) {
			uint64_t v = st->gpr[X86_RAX];
			if (size == 1) {
				memset(pd, (int)(v & 0xff), n);
			} else {
				for (uint64_t k = 0; k < n; k++)
					st_le(pd + k * size, size, v);
			}
		} else if (ps + n * size <= pd || pd + n * size <= ps) {
			memcpy(pd, ps, n * size);
		} else if (size == 1) {
			for (uint64_t k = 0; k < n; k++)
				pd[k] = ps[k]; /* overlap: forward, bytewise */
		} else {
			return false; /* overlapping wider elements: exact loop
				       */
		}
		gpr_write(c, X86_RDI, asz, di + n * size);
		if (op == SO_MOVS)
			gpr_write(c, X86_RSI, asz, si + n * size);
		gpr_write(c, X86_RCX, asz, cnt - n);
		done += n;
		if (done >= REP_CHUNK * 16 && (st->gpr[X86_RCX] & am)) {
			c->next_rip = st->rip; /* yield to the run loop */
			return true;
		}
	}
	return true;
}

static void string_op(struct x86_core *c, const struct x86_insn *i, unsigned op,
		      unsigned size)
{
	struct x86_state *st = c->st;
	unsigned asz = i->asz;
	uint64_t am = size_mask(asz);
	int64_t delta = (st->rflags & F_DF) ? -(int64_t)size : (int64_t)size;
	bool rep = i->pfx & (PFX_REP | PFX_REPNE);
	/* single-stepping traps after every iteration (SDM 17.3.1.2) */
	unsigned chunk = (st->rflags & F_TF) ? 1 : REP_CHUNK;
	/*
	 * CMPS/SCAS flags are committed when the instruction ends or yields:
	 * a fault in the middle of a REP run leaves RFLAGS as they were
	 * before it (what silicon shows; the registers do advance).
	 */
	uint64_t fl = st->rflags;
	unsigned n = 0;

	if (rep && chunk > 1 && (op == SO_MOVS || op == SO_STOS) &&
	    rep_fast(c, i, op, size))
		return;
	if (op == SO_INS || op == SO_OUTS) {
		/* privilege and intercept checks for the whole instruction */
		x86_io_check(c, i, (uint16_t)st->gpr[X86_RDX], size,
			     op == SO_INS, true, rep);
	}
	for (;;) {
		uint64_t si = st->gpr[X86_RSI] & am, di = st->gpr[X86_RDI] & am;
		uint64_t a, b;

		if (rep && !(st->gpr[X86_RCX] & am))
			break;
		switch (op) {
		case SO_MOVS:
			a = mem_read(c, i->seg, si, size);
			mem_write(c, X86_ES, di, size, a);
			gpr_write(c, X86_RSI, asz, si + delta);
			gpr_write(c, X86_RDI, asz, di + delta);
			break;
		case SO_STOS:
			mem_write(c, X86_ES, di, size, st->gpr[X86_RAX]);
			gpr_write(c, X86_RDI, asz, di + delta);
			break;
		case SO_LODS:
			a = mem_read(c, i->seg, si, size);
			gpr_write(c, X86_RAX, size, a);
			gpr_write(c, X86_RSI, asz, si + delta);
			break;
		case SO_CMPS:
			a = mem_read(c, i->seg, si, size);
			b = mem_read(c, X86_ES, di, size);
			fl = (fl & ~F_ARITH) | x86_flags_sub(a, b, 0, size);
			gpr_write(c, X86_RSI, asz, si + delta);
			gpr_write(c, X86_RDI, asz, di + delta);
			break;
		case SO_SCAS:
			b = mem_read(c, X86_ES, di, size);
			fl = (fl & ~F_ARITH) |
			     x86_flags_sub(st->gpr[X86_RAX], b, 0, size);
			gpr_write(c, X86_RDI, asz, di + delta);
			break;
		case SO_INS:
			/* no port is connected when not intercepted */
			x86_mem_probe_write(c, X86_ES, di, size);
			mem_write(c, X86_ES, di, size, ~0ull);
			gpr_write(c, X86_RDI, asz, di + delta);
			break;
		default: /* SO_OUTS: discarded when not intercepted */
			(void)mem_read(c, i->seg, si, size);
			gpr_write(c, X86_RSI, asz, si + delta);
			break;
		}
		if (!rep)
			break;
		gpr_write(c, X86_RCX, asz, st->gpr[X86_RCX] - 1);
		if (op == SO_CMPS || op == SO_SCAS) {
			bool zf = fl & F_ZF;
			if ((i->pfx & PFX_REPNE) ? zf : !zf)
				break;
		}
		if (!(st->gpr[X86_RCX] & am))
			break;
		if (++n == chunk) {
			c->next_rip = st->rip; /* continue next time round */
			break;
		}
	}
	if (op == SO_CMPS || op == SO_SCAS)
		st->rflags = fl;
}

#define STR_HANDLER(name, op, sz)                                              \
	static HANDLER(name)                                                   \
	{                                                                      \
		string_op(c, i, op, sz ? sz : i->osz);                         \
	}
STR_HANDLER(h_movsb, SO_MOVS, 1)
STR_HANDLER(h_movs, SO_MOVS, 0)
STR_HANDLER(h_cmpsb, SO_CMPS, 1)
STR_HANDLER(h_cmps, SO_CMPS, 0)
STR_HANDLER(h_stosb, SO_STOS, 1)
STR_HANDLER(h_stos, SO_STOS, 0)
STR_HANDLER(h_lodsb, SO_LODS, 1)
STR_HANDLER(h_lods, SO_LODS, 0)
STR_HANDLER(h_scasb, SO_SCAS, 1)
STR_HANDLER(h_scas, SO_SCAS, 0)
STR_HANDLER(h_insb, SO_INS, 1)
STR_HANDLER(h_outsb, SO_OUTS, 1)

static HANDLER(h_ins_any)
{
	string_op(c, i, SO_INS, i->osz > 4 ? 4 : i->osz);
}

static HANDLER(h_outs_any)
{
	string_op(c, i, SO_OUTS, i->osz > 4 ? 4 : i->osz);
}

x86_handler x86_string_handler(uint8_t opcode)
{
	switch (opcode) {
	case 0xa4:
		return h_movsb;
	case 0xa5:
		return h_movs;
	case 0xa6:
		return h_cmpsb;
	case 0xa7:
		return h_cmps;
	case 0xaa:
		return h_stosb;
	case 0xab:
		return h_stos;
	case 0xac:
		return h_lodsb;
	case 0xad:
		return h_lods;
	case 0xae:
		return h_scasb;
	case 0xaf:
		return h_scas;
	case 0x6c:
		return h_insb;
	case 0x6d:
		return h_ins_any;
	case 0x6e:
		return h_outsb;
	default:
		return h_outs_any;
	}
}

void x86_register_string(x86_handler *t)
{
	(void)t; /* string opcodes are bound by opcode in decode.c */
}
