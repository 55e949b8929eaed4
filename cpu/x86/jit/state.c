// SPDX-License-Identifier: GPL-2.0
/*
 * Emission helpers for the state a block keeps in host registers: guest
 * GPRs in r8-r15 and guest flags in the host's flags, and what moves them
 * back to struct x86_state (see internal.h).
 */
#include <stddef.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/internal.h"
#include "cpu/x86/jit/jit.h"

void jt_spill_regs(struct emit *e, const struct regs *r)
{
	for (unsigned g = 0; g < 16; g++)
		if (r->dirty & (1u << g))
			st64(e, H_RBP, OFF_GPR(g), (unsigned)r->host[g]);
}

void jt_load_regs(struct emit *e, const struct regs *r)
{
	for (unsigned g = 0; g < 16; g++)
		if (r->host[g] >= 0)
			ld64(e, (unsigned)r->host[g], H_RBP, OFF_GPR(g));
}

/* Write back what changed (before a helper or an exit). */
void jt_spill(struct tctx *x)
{
	jt_spill_regs(&x->e, &x->r);
	x->r.dirty = 0;
}

/* After a helper: st->gpr may have changed, so nothing is cached. */
void jt_forget(struct tctx *x)
{
	memset(x->r.host, -1, sizeof(x->r.host));
	memset(x->r.guest, -1, sizeof(x->r.guest));
	x->r.dirty = 0;
}

/* Bring the guest registers in `uses` into host registers. */
void jt_map_regs(struct tctx *x, uint32_t uses)
{
	for (unsigned g = 0; g < 16; g++) {
		unsigned h, best = 0;
		if (!(uses & (1u << g)))
			continue;
		if (x->r.host[g] >= 0) {
			x->stamp[x->r.host[g]] = ++x->clock;
			continue;
		}
		for (h = H_R8; h <= H_R15; h++) {
			int o = x->r.guest[h];
			if (o < 0) {
				best = h;
				break;
			}
			if (uses & (1u << o))
				continue;
			if (!best || x->stamp[h] < x->stamp[best])
				best = h;
		}
		if (x->r.guest[best] >= 0) {
			unsigned o = (unsigned)x->r.guest[best];
			if (x->r.dirty & (1u << o))
				st64(&x->e, H_RBP, OFF_GPR(o), best);
			x->r.dirty &= ~(1u << o);
			x->r.host[o] = -1;
		}
		ld64(&x->e, best, H_RBP, OFF_GPR(g));
		x->r.host[g] = (int8_t)best;
		x->r.guest[best] = (int8_t)g;
		x->stamp[best] = ++x->clock;
	}
	memcpy(x->host, x->r.host, sizeof(x->host));
}

/* The host's flags in hd -> st->rflags. */
void jt_flags_store(struct tctx *x)
{
	struct emit *e = &x->e;
	pushfq(e);
	pop_r(e, H_RCX);
	op_ri32(e, 4, H_RCX, x->hd);
	ld64(e, H_RDX, H_RBP, OFF_RFLAGS);
	op_ri(e, 4, H_RDX, (int32_t) ~(uint32_t)x->hd);
	op_rr(e, 0x09, H_RDX, H_RCX);
	st64(e, H_RBP, OFF_RFLAGS, H_RDX);
	x->hd = 0;
}

/* st->rflags (arithmetic bits) -> host flags. DF, TF, AC stay 0. Only
 * with hd empty (st->rflags current). */
void jt_flags_load(struct tctx *x)
{
	struct emit *e = &x->e;
	ld64(e, H_RCX, H_RBP, OFF_RFLAGS);
	op_ri32(e, 4, H_RCX, A6);
	push_r(e, H_RCX);
	popfq(e);
	x->hv = A6;
}

/* Host flags captured in rdi -> st->rflags (the JCC's two exits). */
void jt_flags_store_from_rdi(struct tctx *x, uint16_t hd)
{
	struct emit *e = &x->e;
	op_ri32(e, 4, H_RDI, hd);
	ld64(e, H_RDX, H_RBP, OFF_RFLAGS);
	op_ri(e, 4, H_RDX, (int32_t) ~(uint32_t)hd);
	op_rr(e, 0x09, H_RDX, H_RDI);
	st64(e, H_RBP, OFF_RFLAGS, H_RDX);
}

/* Make st->rflags current before something that reads it or clobbers
 * the host's flags (a fault point, a helper, an exit, a TLB probe). */
void jt_flags_to_mem(struct tctx *x)
{
	if (x->hd)
		jt_flags_store(x);
	x->hv = 0;
}

/* Make the flags in `need` valid in the host's flags. */
void jt_flags_to_host(struct tctx *x, uint16_t need)
{
	if (!(need & ~x->hv))
		return;
	if (x->hd)
		jt_flags_store(x);
	jt_flags_load(x);
}
