// SPDX-License-Identifier: GPL-2.0
/*
 * The JIT's block cache and the glue between the run loop and generated
 * code: code and data arenas (bump allocated, reset as a whole when full),
 * the lookup table, the enter/leave trampolines, chaining of direct exits,
 * and jit_exec_insn, through which generated code runs the interpreter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/jit.h"

#define TABLE_SIZE (1u << JIT_TABLE_BITS)

/* What generated code's kick check reads when nobody can kick. */
static const volatile int no_kick;

/* struct tinsn is translate.c's; its size is all block.c needs. */
size_t jit_tinsn_size(void);

static void emit_trampolines(struct jit *j)
{
	struct emit e = {.p = j->code, .end = j->code + 256};
	static const uint8_t saved[] = {H_RBX, H_RBP, H_R12,
					H_R13, H_R14, H_R15};

	/* enter(c = rdi, st = rsi, code = rdx) */
	j->enter = (void (*)(struct x86_core *, struct x86_state *,
			     const uint8_t *))(void *)e.p;
	for (unsigned n = 0; n < 6; n++)
		push_r(&e, saved[n]);
	op_ri(&e, 5, H_RSP, 8); /* keep rsp 16-byte aligned for calls */
	mov_rr(&e, H_RBX, H_RDI);
	mov_rr(&e, H_RBP, H_RSI);
	e8(&e, 0xff); /* jmp rdx */
	e8(&e, 0xe2);
	j->leave = e.p;
	op_ri(&e, 0, H_RSP, 8);
	for (unsigned n = 6; n-- > 0;)
		pop_r(&e, saved[n]);
	e8(&e, 0xc3);
	j->code_start = (uint8_t *)(((uintptr_t)e.p + 63) & ~(uintptr_t)63);
}

struct jit *jit_create(void)
{
	struct jit *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->code = mmap(NULL, JIT_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	j->data = mmap(NULL, JIT_DATA_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	j->table = calloc(TABLE_SIZE, sizeof(*j->table));
	j->ti = aligned_alloc(64, (JIT_MAX_INSNS * jit_tinsn_size() + 63) &
				      ~(size_t)63);
	if (j->code == MAP_FAILED || j->data == MAP_FAILED || !j->table ||
	    !j->ti) {
		if (j->code == MAP_FAILED)
			j->code = NULL;
		if (j->data == MAP_FAILED)
			j->data = NULL;
		jit_destroy(j);
		return NULL;
	}
	j->code_end = j->code + JIT_CODE_SIZE;
	j->bmi2 = __builtin_cpu_supports("bmi2");
	if (getenv("KVMINI_PERF_MAP")) {
		/* opened now: after setup the sandbox allows no open() */
		char path[64];
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
		j->perf_map = fopen(path, "a");
		if (j->perf_map)
			setvbuf(j->perf_map, NULL, _IOLBF, 0);
	}
	j->data_end = j->data + JIT_DATA_SIZE;
	emit_trampolines(j);
	/* (calloc'd table and jump caches are zero already: untouched) */
	j->code_cur = j->code_start;
	j->data_cur = j->data;
	return j;
}

void jit_destroy(struct jit *j)
{
	if (!j)
		return;
	if (getenv("KVMINI_JIT_STATS"))
		fprintf(stderr,
			"jit: %lu blocks, %lu native, %lu fallback, %lu "
			"flushes, %lu chains\n",
			(unsigned long)j->stats.blocks,
			(unsigned long)j->stats.native_insns,
			(unsigned long)j->stats.fallback_insns,
			(unsigned long)j->stats.flushes,
			(unsigned long)j->stats.chains);
	if (j->perf_map)
		fclose(j->perf_map);
	if (j->code)
		munmap(j->code, JIT_CODE_SIZE);
	if (j->data)
		munmap(j->data, JIT_DATA_SIZE);
	free(j->table);
	free(j->ti);
	free(j);
}

void jit_flush_now(struct jit *j)
{
	j->code_cur = j->code_start;
	j->data_cur = j->data;
	memset(j->table, 0, TABLE_SIZE * sizeof(*j->table));
	memset(j->jc, 0, sizeof(j->jc));
	j->stats.flushes++;
}

void jit_request_flush(struct jit *j)
{
	__atomic_store_n(&j->flush_req, 1, __ATOMIC_RELEASE);
}

static unsigned slot(uint64_t rip)
{
	return (unsigned)((rip ^ (rip >> JIT_TABLE_BITS) ^ (rip >> 32)) &
			  (TABLE_SIZE - 1));
}

static void jc_fill(struct jit *j, const struct jit_block *b)
{
	struct jit_jc *e;
	if (!b->code)
		return;
	e = &j->jc[b->user][(b->rip ^ (b->rip >> 12)) & (JIT_JC_SIZE - 1)];
	e->rip = b->rip;
	e->gpa = b->gpa & ~0xfffull;
	e->code = b->code;
	e->b = b;
}

const struct jit_block *jit_lookup(struct x86_core *c)
{
	struct jit *j = c->jit;
	struct x86_state *st = c->st;
	uint64_t rip = st->rip, gpa;
	struct jit_block *b;
	unsigned h;
	uint32_t gen;
	bool user = c->cpl == 3;

	if (((int64_t)(rip << 16) >> 16) != (int64_t)rip)
		return NULL; /* the interpreter raises #GP */
	if (__atomic_load_n(&j->flush_req, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&j->flush_req, 0, __ATOMIC_RELAXED);
		jit_flush_now(j);
		c->jit_epoch++;
	}
	if ((rip & ~0xfffull) != c->fetch_page) {
		/* the fetch translation, exactly as x86_fetch_decode does it
		 * (faults are the fetch's) */
		uint8_t *p = tlb_hit(c, rip, MA_EXEC);
		struct x86_tlbe *e;
		if (!p)
			p = x86_lin_ptr_slow(c, rip, MA_EXEC);
		e = &c->tlb[user][(rip >> 12) & (TLB_SIZE - 1)];
		c->fetch_page = rip & ~0xfffull;
		c->fetch_gpa = e->gpa;
		c->fetch_hva = p - (rip & 0xfff);
	}
	gpa = c->fetch_gpa | (rip & 0xfff);
	gen = __atomic_load_n(&c->page_gen[(gpa >> 12) & (PAGEGEN_SIZE - 1)],
			      __ATOMIC_RELAXED);
	{
		/* the jump cache first: one probe, usually a hit */
		const struct jit_jc *e =
		    &j->jc[user][(rip ^ (rip >> 12)) & (JIT_JC_SIZE - 1)];
		if (e->rip == rip && e->code && e->gpa == (gpa & ~0xfffull) &&
		    e->b->gen == gen)
			return e->b;
	}
	h = slot(rip);
	for (b = j->table[h]; b; b = b->next)
		if (b->rip == rip && b->gpa == gpa && b->user == user &&
		    b->gen == gen) {
			jc_fill(j, b);
			return b->code ? b : NULL;
		}
	b = jit_translate(c, j, rip, gpa, c->fetch_hva);
	if (!b) {
		jit_flush_now(j); /* arenas full: start again */
		c->jit_epoch++;
		b = jit_translate(c, j, rip, gpa, c->fetch_hva);
		if (!b)
			return NULL;
	}
	/* stale translations of this rip leave the slot's list */
	for (struct jit_block **pp = &j->table[h]; *pp;) {
		struct jit_block *o = *pp;
		if (o->rip == rip && o->user == user)
			*pp = o->next;
		else
			pp = &o->next;
	}
	b->next = j->table[h];
	j->table[h] = b;
	jc_fill(j, b);
	return b->code ? b : NULL;
}

void jit_run(struct x86_core *c, const struct jit_block *b)
{
	c->jit_exit_site = NULL;
	c->jit_exit_from = NULL;
	c->jit_cur = b;
	c->jit_kick = c->ctl.kick ? c->ctl.kick : &no_kick;
	c->cur = NULL;
	c->jit->enter(c, c->st, b->code);
}

/* Patch the direct exit `site` (of a block on from's page) to jump to b. */
void jit_chain(struct x86_core *c, uint8_t *site, const struct jit_block *from,
	       const struct jit_block *b)
{
	struct jit *j = c->jit;
	struct emit e;
	int32_t tlbe;
	uint8_t *tramp;

	if (!site || !from || !b->code || from->user != b->user)
		return;
	c->jit->stats.chains++;
	if (!((from->rip ^ b->rip) & ~0xfffull)) {
		patch32(site, b->code); /* same page, same mapping */
		return;
	}
	/* another page: go through a check that this core's TLB still maps
	 * it, for fetch, to the page b was translated from */
	if (j->code_cur + 128 > j->code_end)
		return;
	tramp = j->code_cur;
	e = (struct emit){.p = tramp, .end = tramp + 128};
	tlbe = OFF_TLB(b->user) + (int32_t)(((b->rip >> 12) & (TLB_SIZE - 1)) *
					    sizeof(struct x86_tlbe));
	ld64(&e, H_RAX, H_RBX,
	     tlbe + (int32_t)offsetof(struct x86_tlbe, tag_x));
	mov_ri64(&e, H_RDX, (b->rip & ~0xfffull) | 1);
	op_rr(&e, 0x39, H_RAX, H_RDX);
	{
		uint8_t *f1 = jcc32(&e, CC_NE), *f2;
		ld64(&e, H_RAX, H_RBX,
		     tlbe + (int32_t)offsetof(struct x86_tlbe, gpa));
		mov_ri64(&e, H_RDX, b->gpa & ~0xfffull);
		op_rr(&e, 0x39, H_RAX, H_RDX);
		f2 = jcc32(&e, CC_NE);
		patch32(jmp32(&e), b->code);
		patch32(f1, e.p);
		patch32(f2, e.p);
		mov_mi(&e, H_RBX, OFF_SITE, 0);
		patch32(jmp32(&e), j->leave);
	}
	if (e.overflow)
		return;
	j->code_cur = e.p;
	patch32(site, tramp);
}

/*
 * Run the instruction at rip, the k-th of block b, in the interpreter (a
 * fallback, or the slow path of a native one): decoded through the
 * interpreter's own cache, so a block keeps no copy. Returns nonzero when
 * the block must leave (control went elsewhere, or something the block
 * was translated under changed); bit 31 of k asks to leave anyway.
 */
uint64_t jit_exec_insn(struct x86_core *c, uint64_t rip, uint64_t k,
		       const struct jit_block *b)
{
	struct x86_state *st = c->st;
	const struct x86_insn *i;
	bool must_leave = k >> 31;
	uint64_t next, tlb_gen = c->tlb_gen;

	k &= 0x7fffffff;
	c->jit_exit_site = NULL;
	c->ctl.insns_retired += k;
	st->rip = rip;
	c->cur = i = x86_fetch_decode(c);
	next = rip + i->len;
	c->next_rip = next;
	i->fn(c, i);
	st->rip = c->next_rip;
	if (must_leave || c->next_rip != next || c->recheck || c->shadow_set ||
	    !c->long64 || (c->cpl == 3) != b->user || c->tlb_gen != tlb_gen ||
	    __atomic_load_n(&c->page_gen[(b->gpa >> 12) & (PAGEGEN_SIZE - 1)],
			    __ATOMIC_RELAXED) != b->gen) {
		c->ctl.insns_retired++;
		return 1;
	}
	c->ctl.insns_retired -= k;
	return 0;
}

void jit_get_stats(const struct jit *j, struct jit_stats *s)
{
	s->blocks = j->stats.blocks;
	s->native_insns = j->stats.native_insns;
	s->fallback_insns = j->stats.fallback_insns;
	s->flushes = j->stats.flushes;
	s->chains = j->stats.chains;
}
