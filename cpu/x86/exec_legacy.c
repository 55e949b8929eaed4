// SPDX-License-Identifier: GPL-2.0
/*
 * Legacy-mode leftovers: far-pointer loads (LDS/LES/LSS/LFS/LGS), BCD
 * adjust (AAA/AAS/DAA/DAS/AAM/AAD), BOUND, ARPL, and the cache-line
 * flushes (CLFLUSH/CLFLUSHOPT/CLWB: a permission-checked no-op here).
 * Undefined BCD flags: SF/ZF/PF from AL, OF cleared.
 */
#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

static HANDLER(h_lfp)
{
	static const struct {
		uint16_t mn;
		uint8_t seg;
	} map[] = {
	    {ZYDIS_MNEMONIC_LDS, X86_DS}, {ZYDIS_MNEMONIC_LES, X86_ES},
	    {ZYDIS_MNEMONIC_LSS, X86_SS}, {ZYDIS_MNEMONIC_LFS, X86_FS},
	    {ZYDIS_MNEMONIC_LGS, X86_GS},
	};
	const struct x86_op *m = &i->op[1];
	unsigned osz = i->op[0].size, seg = X86_DS;
	uint64_t ea, off;
	uint16_t sel;

	if (m->kind != OPK_MEM)
		x86_ud(c);
	for (unsigned n = 0; n < 5; n++)
		if (map[n].mn == i->mnemonic)
			seg = map[n].seg;
	ea = x86_ea(c, i, m);
	off = mem_read(c, m->seg, ea, osz);
	sel = mem_read(c, m->seg, (ea + osz) & size_mask(i->asz), 2);
	x86_load_seg(c, seg, sel);
	x86_op_write(c, i, 0, off);
	if (seg == X86_SS) {
		c->st->interruptibility |= X86_INTR_BLOCK_MOV_SS;
		c->shadow_set = true;
	}
}

static void bcd_flags(struct x86_core *c, bool af, bool cf)
{
	uint64_t f = x86_flags_logic(c->st->gpr[X86_RAX] & 0xff, 1);
	if (af)
		f |= F_AF;
	if (cf)
		f |= F_CF;
	set_arith_flags(c, f);
}

static HANDLER(h_aaa_aas)
{
	uint64_t *rax = &c->st->gpr[X86_RAX];
	uint16_t ax = (uint16_t)*rax;
	bool adj = (ax & 0xf) > 9 || (c->st->rflags & F_AF);
	/* SDM: AAA adds 106H to AX; AAS subtracts 6 from AX, then 1 from AH */
	if (adj) {
		if (i->mnemonic == ZYDIS_MNEMONIC_AAA)
			ax += 0x106;
		else
			ax = (uint16_t)(((uint16_t)(ax - 6) & 0xff) |
					((((uint16_t)(ax - 6) >> 8) - 1) & 0xff)
					    << 8);
	}
	ax &= 0xff0f;
	*rax = (*rax & ~0xffffull) | ax;
	bcd_flags(c, adj, adj);
}

static HANDLER(h_daa_das)
{
	uint64_t *ax = &c->st->gpr[X86_RAX];
	unsigned al = *ax & 0xff, old = al;
	bool ocf = c->st->rflags & F_CF, cf = false, af = false;
	bool daa = i->mnemonic == ZYDIS_MNEMONIC_DAA;

	if ((al & 0xf) > 9 || (c->st->rflags & F_AF)) {
		cf = ocf || (daa ? al + 6 > 0xff : al < 6);
		al = (daa ? al + 6 : al - 6) & 0xff;
		af = true;
	}
	if (old > 0x99 || ocf) {
		al = (daa ? al + 0x60 : al - 0x60) & 0xff;
		cf = true;
	}
	*ax = (*ax & ~0xffull) | al;
	bcd_flags(c, af, cf);
}

static HANDLER(h_aam)
{
	uint64_t *ax = &c->st->gpr[X86_RAX];
	unsigned imm = (unsigned)i->op[0].disp & 0xff, al = *ax & 0xff;
	if (!imm)
		x86_raise(c, X86_EXC_DE, false, 0);
	*ax = (*ax & ~0xffffull) | ((al / imm) << 8) | (al % imm);
	bcd_flags(c, false, false);
}

static HANDLER(h_aad)
{
	uint64_t *ax = &c->st->gpr[X86_RAX];
	unsigned imm = (unsigned)i->op[0].disp & 0xff;
	unsigned al = ((*ax & 0xff) + ((*ax >> 8) & 0xff) * imm) & 0xff;
	*ax = (*ax & ~0xffffull) | al;
	bcd_flags(c, false, false);
}

static HANDLER(h_bound)
{
	const struct x86_op *m = &i->op[1];
	unsigned size = i->op[0].size;
	int64_t idx = (int64_t)sign_extend(x86_op_read(c, i, 0), size);
	uint64_t ea;
	int64_t lo, hi;

	if (m->kind != OPK_MEM)
		x86_ud(c);
	ea = x86_ea(c, i, m);
	lo = (int64_t)sign_extend(mem_read(c, m->seg, ea, size), size);
	hi = (int64_t)sign_extend(
	    mem_read(c, m->seg, (ea + size) & size_mask(i->asz), size), size);
	if (idx < lo || idx > hi)
		x86_raise(c, X86_EXC_BR, false, 0);
}

static HANDLER(h_arpl)
{
	uint16_t d, s;
	if (!(c->st->cr0 & CR0_PE) || (c->st->rflags & F_VM))
		x86_ud(c);
	d = (uint16_t)x86_op_read(c, i, 0);
	s = (uint16_t)x86_op_read(c, i, 1);
	if ((d & 3) < (s & 3)) {
		x86_op_write(c, i, 0, (d & ~3u) | (s & 3));
		c->st->rflags |= F_ZF;
	} else {
		c->st->rflags &= ~F_ZF;
	}
}

static HANDLER(h_clflush)
{
	const struct x86_op *m = &i->op[0];
	/* no caches to flush; the access is checked like a byte load */
	(void)mem_read(c, m->seg, x86_ea(c, i, m), 1);
}

void x86_register_legacy(x86_handler *t)
{
	t[ZYDIS_MNEMONIC_LDS] = h_lfp;
	t[ZYDIS_MNEMONIC_LES] = h_lfp;
	t[ZYDIS_MNEMONIC_LSS] = h_lfp;
	t[ZYDIS_MNEMONIC_LFS] = h_lfp;
	t[ZYDIS_MNEMONIC_LGS] = h_lfp;
	t[ZYDIS_MNEMONIC_AAA] = h_aaa_aas;
	t[ZYDIS_MNEMONIC_AAS] = h_aaa_aas;
	t[ZYDIS_MNEMONIC_DAA] = h_daa_das;
	t[ZYDIS_MNEMONIC_DAS] = h_daa_das;
	t[ZYDIS_MNEMONIC_AAM] = h_aam;
	t[ZYDIS_MNEMONIC_AAD] = h_aad;
	t[ZYDIS_MNEMONIC_BOUND] = h_bound;
	t[ZYDIS_MNEMONIC_ARPL] = h_arpl;
	t[ZYDIS_MNEMONIC_CLFLUSH] = h_clflush;
	t[ZYDIS_MNEMONIC_CLFLUSHOPT] = h_clflush;
	t[ZYDIS_MNEMONIC_CLWB] = h_clflush;
}
