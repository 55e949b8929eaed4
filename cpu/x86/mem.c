// SPDX-License-Identifier: GPL-2.0
/*
 * Linear and segmented memory accesses: segment limit/type checks, the
 * soft TLB (linear page -> host pointer, separately tagged for read,
 * write and fetch, one set per privilege), page-crossing accesses.
 */
#include "cpu/x86/core.h"

void *x86_lin_ptr_slow(struct x86_core *c, uint64_t lin, unsigned kind)
{
	struct x86_state *st = c->st;
	unsigned k = kind & 3;
	bool user = c->cpl == 3 && !(kind & MA_SYS);
	struct x86_walk w;
	unsigned acc;
	uint8_t *hva;
	struct x86_tlbe *e;
	uint64_t page;

	if (!(st->efer & EFER_LMA) && !c->ctl.flat_paging)
		lin = (uint32_t)lin;
	x86_translate(c, lin, kind, user, &w);
	acc = k == MA_WRITE  ? X86_ACC_WRITE
	      : k == MA_EXEC ? X86_ACC_EXEC
			     : X86_ACC_READ;
	if (user)
		acc |= X86_ACC_USER;
	hva = x86_gpa_ptr(c, w.gpa, acc, lin, true);
	if (k == MA_WRITE)
		x86_code_write_slow(c, w.gpa);

	/* SMAP decisions depend on RFLAGS.AC: never cache those. */
	if (!user && w.user && k != MA_EXEC && (st->cr4 & CR4_SMAP))
		return hva;
	page = lin & ~0xfffull;
	e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
	if (((e->tag_r | e->tag_w | e->tag_x) & ~1ull) != page ||
	    e->gpa != w.page_gpa ||
	    e->addend != (uintptr_t)(hva - (lin & 0xfff)) - page) {
		e->tag_r = e->tag_w = e->tag_x = 0;
	}
	e->addend = (uintptr_t)(hva - (lin & 0xfff)) - page;
	e->gpa = w.page_gpa;
	e->global = w.global;
	if (k == MA_WRITE) {
		e->tag_w = page | 1;
		/* a write entry now exists: the next code noted here must
		 * scan the TLB again */
		c->code_noted[(w.page_gpa >> 12) & (PAGEGEN_SIZE - 1)] = 0;
	} else if (k == MA_EXEC) {
		e->tag_x = page | 1;
	} else {
		e->tag_r = page | 1;
	}
	return hva;
}

uint64_t x86_lin_read_slow(struct x86_core *c, uint64_t lin, unsigned size,
			   unsigned kind)
{
	unsigned first = 0x1000 - (lin & 0xfff);
	uint8_t buf[8];
	uint8_t *p;

	if (first >= size) {
		p = x86_lin_ptr_slow(c, lin, kind);
		return ld_le(p, size);
	}
	p = x86_lin_ptr_slow(c, lin, kind);
	memcpy(buf, p, first);
	p = x86_lin_ptr_slow(c, lin + first, kind);
	memcpy(buf + first, p, size - first);
	return ld_le(buf, size);
}

void x86_lin_write_slow(struct x86_core *c, uint64_t lin, unsigned size,
			uint64_t val, unsigned kind)
{
	unsigned first = 0x1000 - (lin & 0xfff);
	uint8_t buf[8];
	uint8_t *p, *q;

	if (first >= size) {
		p = x86_lin_ptr_slow(c, lin, kind);
		st_le(p, size, val);
		return;
	}
	/* translate both pages before writing either */
	p = x86_lin_ptr_slow(c, lin, kind);
	q = x86_lin_ptr_slow(c, lin + first, kind);
	st_le(buf, size, val);
	memcpy(p, buf, first);
	memcpy(q, buf + first, size - first);
}

uint64_t x86_sys_read(struct x86_core *c, uint64_t lin, unsigned size)
{
	if (!(c->st->efer & EFER_LMA))
		lin = (uint32_t)lin;
	if (((lin & 0xfff) + size) <= 0x1000) {
		struct x86_tlbe *e = &c->tlb[0][(lin >> 12) & (TLB_SIZE - 1)];
		if (e->tag_r == ((lin & ~0xfffull) | 1))
			return ld_le((void *)(uintptr_t)(lin + e->addend),
				     size);
	}
	return x86_lin_read_slow(c, lin, size, MA_READ | MA_SYS);
}

void x86_sys_write(struct x86_core *c, uint64_t lin, unsigned size, uint64_t v)
{
	if (!(c->st->efer & EFER_LMA))
		lin = (uint32_t)lin;
	x86_lin_write_slow(c, lin, size, v, MA_WRITE | MA_SYS);
}

uint64_t x86_seg_lin(struct x86_core *c, unsigned seg, uint64_t off,
		     unsigned size, unsigned kind)
{
	const struct x86_seg *s = &c->st->seg[seg];
	uint32_t ar = s->ar;
	unsigned type = ar & 0xf;
	unsigned exc = seg == X86_SS ? X86_EXC_SS : X86_EXC_GP;
	uint64_t last = off + size - 1;

	if (c->long64) /* FS/GS handled inline; here for completeness */
		return off + (seg >= X86_FS ? s->base : 0);
	if (c->mode != DM_REAL || (c->st->rflags & F_VM)) {
		if (ar & X86_AR_UNUSABLE)
			x86_raise(c, exc, true, 0);
		if (kind == MA_WRITE && ((type & 8) || !(type & 2)))
			x86_raise(c, exc, true, 0);
		if (kind == MA_READ && (type & 8) && !(type & 2))
			x86_raise(c, exc, true, 0);
	}
	if (!(type & 8) && (type & 4)) {
		/* expand-down data segment */
		uint64_t upper = (ar & X86_AR_DB) ? 0xffffffffu : 0xffff;
		if (off <= s->limit || last > upper)
			x86_raise(c, exc, true, 0);
	} else if (last > s->limit) {
		x86_raise(c, exc, true, 0);
	}
	return (uint32_t)(s->base + off);
}

void *x86_mem_ptr(struct x86_core *c, unsigned seg, uint64_t off, unsigned size)
{
	uint64_t lin = seg_lin(c, seg, off, size, MA_WRITE);
	void *p;

	if ((lin & 0xfff) + size > 0x1000)
		return NULL;
	p = tlb_hit(c, lin, MA_WRITE);
	return p ? p : x86_lin_ptr_slow(c, lin, MA_WRITE);
}

void x86_lin_probe_write(struct x86_core *c, uint64_t lin, unsigned size)
{
	unsigned first = 0x1000 - (lin & 0xfff);
	if (!tlb_hit(c, lin, MA_WRITE))
		x86_lin_ptr_slow(c, lin, MA_WRITE);
	if (first < size)
		x86_lin_ptr_slow(c, lin + first, MA_WRITE);
}

void x86_mem_probe_write(struct x86_core *c, unsigned seg, uint64_t off,
			 unsigned size)
{
	uint64_t lin = seg_lin(c, seg, off, size, MA_WRITE);
	unsigned first = 0x1000 - (lin & 0xfff);

	if (!tlb_hit(c, lin, MA_WRITE))
		x86_lin_ptr_slow(c, lin, MA_WRITE);
	if (first < size)
		x86_lin_ptr_slow(c, lin + first, MA_WRITE);
}
