// SPDX-License-Identifier: GPL-2.0
/*
 * Guest paging: no paging, 32-bit (4 MiB pages with CR4.PSE), PAE and
 * 4-level IA-32e walks with A/D updates, U/S, R/W with CR0.WP, NX with
 * EFER.NXE, SMEP and SMAP. Every paging-structure access goes through
 * env->gpa_to_hva with X86_ACC_PTWALK, which is how EPT applies to it.
 *
 * Difference from silicon: PAE PDPTEs are read at each walk instead of
 * being latched at CR3 load.
 */
#include "cpu/x86/core.h"

#define PTE_P  (1ull << 0)
#define PTE_W  (1ull << 1)
#define PTE_U  (1ull << 2)
#define PTE_A  (1ull << 5)
#define PTE_D  (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G  (1ull << 8)
#define PTE_NX (1ull << 63)

#define PFEC_P	  1u
#define PFEC_W	  2u
#define PFEC_U	  4u
#define PFEC_RSVD 8u
#define PFEC_I	  16u

#define PHYS_MASK (((1ull << X86_MAXPHYADDR) - 1) & ~0xfffull)

void *x86_gpa_ptr(struct x86_core *c, uint64_t gpa, unsigned access,
		  uint64_t gla, bool gla_valid)
{
	void *hva = NULL;
	struct x86_exit ex;
	uint64_t key = (gpa & ~0xfffull) | (access & 0xfff);
	struct x86_gpae *ge = &c->gpac[(gpa >> 12) & (GPAC_SIZE - 1)];

	/* page walks and TLB fills ask about the same pages over and over */
	if (ge->key == key)
		return (uint8_t *)ge->hpage + (gpa & 0xfff);
	memset(&ex, 0, sizeof(ex));
	if (c->ops->gpa_to_hva(c->env, gpa, access, gla, gla_valid, &hva,
			       &ex) ||
	    !hva) {
		if (!ex.reason && !hva)
			ex.reason = X86_EXIT_EPT_VIOLATION;
		ex.rip = c->st->seg[X86_CS].base + c->st->rip;
		if (!ex.gpa)
			ex.gpa = gpa;
		*c->exit = ex;
		x86_stop(c);
	}
	ge->key = key;
	ge->hpage = (uint8_t *)hva - (gpa & 0xfff);
	return hva;
}

_Noreturn static void page_fault(struct x86_core *c, uint64_t lin,
				 uint32_t pfec)
{
	c->exc_cr2 = lin;
	x86_raise(c, X86_EXC_PF, true, pfec);
}

/* Read a paging-structure entry; set A (and D) as the walk requires. */
static uint64_t pte_access(struct x86_core *c, uint64_t gpa, bool wide,
			   uint64_t lin, uint64_t set_bits)
{
	void *p = x86_gpa_ptr(c, gpa, X86_ACC_READ | X86_ACC_PTWALK, lin, true);
	uint64_t v = wide ? __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE)
			  : __atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE);
	if ((v & PTE_P) && set_bits && (v & set_bits) != set_bits) {
		p = x86_gpa_ptr(c, gpa,
				X86_ACC_READ | X86_ACC_WRITE | X86_ACC_PTWALK,
				lin, true);
		if (wide)
			__atomic_fetch_or((uint64_t *)p, set_bits,
					  __ATOMIC_ACQ_REL);
		else
			__atomic_fetch_or((uint32_t *)p, (uint32_t)set_bits,
					  __ATOMIC_ACQ_REL);
		/* a write to a page that holds decoded code */
		x86_code_write_slow(c, gpa);
	}
	return v;
}

void x86_translate(struct x86_core *c, uint64_t lin, unsigned kind, bool user,
		   struct x86_walk *w)
{
	struct x86_state *st = c->st;
	unsigned k = kind & 3;
	bool write = k == MA_WRITE, fetch = k == MA_EXEC;
	bool nxe = st->efer & EFER_NXE;
	bool lma = st->efer & EFER_LMA;
	uint32_t pfec = (write ? PFEC_W : 0) | (user ? PFEC_U : 0);
	bool u_ok = true, w_ok = true, nx = false;
	uint64_t pte = 0, base, rsvd;
	unsigned level, shift;
	bool wide;

	if (fetch && ((nxe && (st->cr4 & CR4_PAE)) || (st->cr4 & CR4_SMEP)))
		pfec |= PFEC_I;

	if (!(st->cr0 & CR0_PG) || c->ctl.flat_paging) {
		w->gpa = lma || c->ctl.flat_paging ? lin : (uint32_t)lin;
		w->page_gpa = w->gpa & ~0xfffull;
		w->user = w->write = w->dirty = true;
		w->nx = w->global = false;
		return;
	}

	if (lma) {
		level = 4;
		wide = true;
		base = st->cr3 & PHYS_MASK;
		if (((int64_t)(lin << 16) >> 16) != (int64_t)lin)
			x86_gp(c, 0); /* callers check; defensive */
	} else if (st->cr4 & CR4_PAE) {
		uint64_t pdpte;
		lin = (uint32_t)lin;
		wide = true;
		pdpte = pte_access(
		    c, (st->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8, true,
		    lin, 0);
		if (!(pdpte & PTE_P))
			page_fault(c, lin, pfec);
		if (pdpte & (0x1e6ull | (~PHYS_MASK & ~0xfffull)))
			page_fault(c, lin, pfec | PFEC_P | PFEC_RSVD);
		base = pdpte & PHYS_MASK;
		level = 2;
	} else {
		lin = (uint32_t)lin;
		level = 2;
		wide = false;
		base = st->cr3 & 0xfffff000u;
	}

	for (;;) {
		uint64_t gpa;
		shift = 12 + (wide ? 9 : 10) * (level - 1);
		gpa = base + ((lin >> shift) & (wide ? 0x1ff : 0x3ff)) *
				 (wide ? 8 : 4);
		pte = pte_access(c, gpa, wide, lin, PTE_A);
		if (!(pte & PTE_P))
			page_fault(c, lin, pfec);
		rsvd = 0;
		if (wide) {
			rsvd = ~PHYS_MASK & ~0xfffull & ~PTE_NX;
			if (!nxe)
				rsvd |= PTE_NX;
			if (level == 4 && lma)
				rsvd |= PTE_PS | PTE_G;
			if ((pte & PTE_PS) && (level == 2 || level == 3))
				rsvd |= ((1ull << (shift)) - 1) & ~0x1fffull;
			/* bits 62:52 are ignored/protection keys */
			rsvd &= ~(0x7ffull << 52);
		} else if ((pte & PTE_PS) && level == 2 &&
			   (st->cr4 & CR4_PSE)) {
			rsvd = 1ull << 21; /* PSE-36 with 40-bit limit */
		}
		if (pte & rsvd)
			page_fault(c, lin, pfec | PFEC_P | PFEC_RSVD);
		u_ok &= !!(pte & PTE_U);
		w_ok &= !!(pte & PTE_W);
		if (wide && nxe && (pte & PTE_NX))
			nx = true;
		if (level == 1 ||
		    ((pte & PTE_PS) &&
		     (level == 2 ? (wide || (st->cr4 & CR4_PSE)) : level == 3)))
			break;
		base = pte & (wide ? PHYS_MASK : 0xfffff000u);
		level--;
	}

	/* permission checks (SDM 4.6) */
	if (user) {
		if (!u_ok || (write && !w_ok))
			page_fault(c, lin, pfec | PFEC_P);
	} else {
		if (write && !w_ok && (st->cr0 & CR0_WP))
			page_fault(c, lin, pfec | PFEC_P);
		if (u_ok && fetch && (st->cr4 & CR4_SMEP))
			page_fault(c, lin, pfec | PFEC_P);
		if (u_ok && !fetch && (st->cr4 & CR4_SMAP) &&
		    ((kind & MA_SYS) || c->cpl < 3) &&
		    ((kind & MA_SYS) || !(st->rflags & F_AC)))
			page_fault(c, lin, pfec | PFEC_P);
	}
	if (fetch && nx)
		page_fault(c, lin, pfec | PFEC_P);

	if (write && !(pte & PTE_D)) {
		/* set D on the leaf (A already set) */
		uint64_t gpa =
		    base +
		    ((lin >> shift) & (wide ? 0x1ff : 0x3ff)) * (wide ? 8 : 4);
		pte_access(c, gpa, wide, lin, PTE_A | PTE_D);
		pte |= PTE_D;
	}

	{
		uint64_t frame;
		if (level == 1) {
			frame = pte & (wide ? PHYS_MASK : 0xfffff000u);
		} else if (wide) {
			frame = (pte & PHYS_MASK & ~((1ull << shift) - 1)) |
				(lin & ((1ull << shift) - 1) & ~0xfffull);
		} else {
			/* 4 MiB page, PSE-36: bits 20:13 are PA 39:32 */
			frame = (pte & 0xffc00000u) |
				((pte >> 13) & 0xffull) << 32 |
				(lin & 0x3ff000u);
		}
		w->page_gpa = frame;
		w->gpa = frame | (lin & 0xfff);
	}
	w->user = u_ok;
	w->write = w_ok;
	w->nx = nx;
	w->dirty = !!(pte & PTE_D);
	w->global = (pte & PTE_G) && (st->cr4 & CR4_PGE);
}

void x86_code_write_slow(struct x86_core *c, uint64_t gpa)
{
	uint32_t idx = (gpa >> 12) & (PAGEGEN_SIZE - 1);
	if (__atomic_load_n(&c->has_code[idx], __ATOMIC_RELAXED)) {
		__atomic_store_n(&c->has_code[idx], 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->page_gen[idx], 1, __ATOMIC_RELEASE);
	}
}

void x86_note_code_page(struct x86_core *c, uint64_t gpa)
{
	uint32_t idx = (gpa >> 12) & (PAGEGEN_SIZE - 1);
	/* (the mark is shared; this core's write entries are its own) */
	if (!__atomic_load_n(&c->has_code[idx], __ATOMIC_RELAXED)) {
		__atomic_store_n(&c->has_code[idx], 1, __ATOMIC_RELAXED);
		/* other cores may hold write entries for this page; our own
		 * were dropped below. Skip our own bump unless another core
		 * bumped in between (then the next check flushes). */
		uint64_t e =
		    __atomic_add_fetch(c->code_epoch, 1, __ATOMIC_ACQ_REL);
		if (e == c->seen_epoch + 1)
			c->seen_epoch = e;
	}
	if (c->code_noted[idx])
		return;
	c->code_noted[idx] = 1;
	/* writes to this page must now take the slow path */
	for (unsigned u = 0; u < 2; u++)
		for (unsigned n = 0; n < TLB_SIZE; n++) {
			struct x86_tlbe *e = &c->tlb[u][n];
			if (((e->gpa >> 12) & (PAGEGEN_SIZE - 1)) == idx)
				e->tag_w = 0;
		}
}
