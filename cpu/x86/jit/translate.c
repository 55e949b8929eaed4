// SPDX-License-Identifier: GPL-2.0
/*
 * Translation of one basic block of 64-bit guest code into host code: the
 * driver of the passes over its instructions (at most JIT_MAX_INSNS, never
 * past the page).
 *   1. decode with Zydis and classify (classify.c): native (re-encoded on
 *      host registers), a branch the block handles itself (Jcc, JMP, CALL,
 *      RET, indirect JMP/CALL), or a call to the interpreter;
 *   2. flag liveness, backwards: which flag writes someone can observe;
 *   3. emit, instruction by instruction: guest registers mapped into
 *      r8-r15 as they are used (state.c), flags left in the host's flags
 *      until something reads st->rflags, memory through the inline soft-TLB
 *      probe (memory.c), exits and helper calls (exits.c); then the exit
 *      stubs and slow-path stubs behind the block.
 */
#include <stddef.h>
#include <stdio.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/internal.h"
#include "cpu/x86/jit/jit.h"

size_t jit_tinsn_size(void);
size_t jit_tinsn_size(void)
{
	return sizeof(struct tinsn);
}

/* ---- the block ----------------------------------------------------------- */

struct jit_block *jit_translate(struct x86_core *c, struct jit *j, uint64_t rip,
				uint64_t gpa, const uint8_t *page)
{
	struct tinsn *ti = j->ti;
	struct tctx x = {.c = c, .j = j};
	struct jit_block *b;
	unsigned n = 0;
	uint64_t r = rip;

	if (j->data_cur + sizeof(*b) + 64 > j->data_end ||
	    j->code_cur + JIT_BLOCK_ROOM > j->code_end)
		return NULL; /* caller flushes and retries */
	b = (struct jit_block *)j->data_cur;
	j->data_cur += (sizeof(*b) + 63) & ~(size_t)63;
	memset(b, 0, sizeof(*b));
	b->rip = rip;
	b->gpa = gpa;
	b->user = c->cpl == 3;
	b->gen = __atomic_load_n(&c->page_gen[(gpa >> 12) & (PAGEGEN_SIZE - 1)],
				 __ATOMIC_ACQUIRE);
	x.b = b;

	/* pass 1 */
	while (n < JIT_MAX_INSNS && (r & ~0xfffull) == (rip & ~0xfffull)) {
		struct tinsn *t = &ti[n];
		unsigned off = (unsigned)(r & 0xfff);
		if (!x86_decode_insn(c, page + off, 0x1000 - off, &t->insn,
				     &t->zi, t->zops))
			break; /* crosses the page, or #UD: interpret */
		t->rip = r;
		jt_classify(t);
		if (t->kind == T_FALLBACK || t->mem >= 0)
			x86_icache_put(c, gpa + (r - rip), &t->insn);
		r += t->zi.length;
		n++;
		if (jt_ends_block(t))
			break;
	}
	if (!n)
		return b; /* code NULL: interpret */
	x86_note_code_page(c, gpa);

	jt_forget(&x);
	/* flag liveness, backwards: live at the end of the block */
	{
		bool live = true;
		for (unsigned k = n; k-- > 0;) {
			struct tinsn *t = &ti[k];
			switch (t->kind) {
			case T_NATIVE:
			case T_RAXRDX:
				if (t->mem >= 0 || t->fread)
					live = true;
				else if (t->fwrite == A6)
					live = false;
				break;
			case T_NOP:
			case T_LEA_RIP:
				break;
			default: /* fallbacks, branches, exits */
				live = true;
			}
			t->live_before = live;
		}
	}

	/* pass 3 */
	x.e.p = j->code_cur;
	x.e.end = j->code_cur + JIT_BLOCK_ROOM;
	x.hv = x.hd = 0;
	b->code = x.e.p;
	b->ninsns = (uint8_t)n;
	{
		struct emit *e = &x.e;
		/* prologue: budget, generation, kick */
		op_mi(e, 5, H_RBX, OFF_BUDGET, (int32_t)n);
		jt_jcc_leave(&x, CC_S);
		mov_ri64(e, H_RAX,
			 (uint64_t)(uintptr_t)&c
			     ->page_gen[(gpa >> 12) & (PAGEGEN_SIZE - 1)]);
		e8(e, 0x81); /* cmp dword [rax], gen */
		e8(e, 0x38);
		e32(e, b->gen);
		jt_jcc_leave(&x, CC_NE);
		ld64(e, H_RAX, H_RBX, OFF_KICK);
		e8(e, 0x83); /* cmp dword [rax], 0 */
		e8(e, 0x38);
		e8(e, 0);
		jt_jcc_leave(&x, CC_NE);
	}
	for (unsigned k = 0; k < n; k++) {
		struct tinsn *t = &ti[k];
		struct emit *e = &x.e;
		bool live_after = k + 1 < n ? ti[k + 1].live_before : true;
		uint64_t rec = t->rip; /* what a helper runs */

		if (t->kind != T_FALLBACK) {
			/* (writing back a register before the instruction
			 * changed it is harmless, so it is dirty from here) */
			jt_map_regs(&x, t->uses);
			x.r.dirty |= t->writes;
			x.stub_regs = x.r;
		}
		switch (t->kind) {
		case T_FALLBACK:
			jt_flags_to_mem(&x);
			jt_call_helper(&x, rec, k, false);
			j->stats.fallback_insns++;
			break;
		case T_NOP:
			break;
		case T_LEA_RIP:
			mov_ri64(
			    e, (unsigned)x.host[jt_greg(t->zops[0].reg.value)],
			    t->target);
			break;
		case T_NATIVE: {
			uint8_t *site = NULL;
			if (t->mem >= 0) {
				jt_emit_ea(&x, t, &t->zops[t->mem]);
				site = jt_probe(&x, t->msize, t->mwrite);
			}
			if (!jt_encode(&x, t, ZYDIS_REGISTER_RAX)) {
				jt_encode_failed(&x, t, k, site);
				break;
			}
			jt_flags_to_host(&x, t->fread);
			if (t->cl_count)
				mov_rr(e, H_RCX, (unsigned)x.host[X86_RCX]);
			jt_emit_bytes(e, t->enc, t->enc_len);
			x.hv |= t->fwrite;
			x.hd |= t->fwrite;
			/* the interpreter leaves all flags in st->rflags: load
			 * the ones the fast path has in the host */
			if (site)
				jt_add_stub(&x, site, rec, k, false, x.hv != 0);
			j->stats.native_insns++;
			break;
		}
		case T_RAXRDX: {
			uint8_t *site = NULL;
			if (t->mem >= 0) {
				jt_emit_ea(&x, t, &t->zops[t->mem]);
				site = jt_probe(&x, t->msize, t->mwrite);
				mov_rr(e, H_RSI, H_RAX);
			}
			jt_flags_to_host(&x, t->fread);
			if (!jt_encode(&x, t, ZYDIS_REGISTER_RSI)) {
				jt_encode_failed(&x, t, k, site);
				break;
			}
			mov_rr(e, H_RAX, (unsigned)x.host[X86_RAX]);
			mov_rr(e, H_RDX, (unsigned)x.host[X86_RDX]);
			jt_emit_bytes(e, t->enc, t->enc_len);
			mov_rr(e, (unsigned)x.host[X86_RAX], H_RAX);
			mov_rr(e, (unsigned)x.host[X86_RDX], H_RDX);
			x.hv |= t->fwrite;
			x.hd |= t->fwrite;
			if (site)
				jt_add_stub(&x, site, rec, k, false, x.hv != 0);
			j->stats.native_insns++;
			break;
		}
		case T_PUSH:
		case T_POP: {
			unsigned sp = (unsigned)x.host[X86_RSP];
			const ZydisDecodedOperand *o = &t->zops[0];
			bool reg = o->type == ZYDIS_OPERAND_TYPE_REGISTER;
			unsigned r =
			    reg ? (unsigned)x.host[jt_greg(o->reg.value)] : 0;
			uint8_t *site;
			if (t->kind == T_PUSH) {
				lea(e, H_RSI, sp, H_RSP, 1, -8);
				site = jt_probe(&x, 8, true);
				if (!reg) {
					mov_ri64(e, H_RCX,
						 (uint64_t)o->imm.value.s);
					r = H_RCX;
				}
				st64(e, H_RAX, 0, r);
				lea(e, sp, sp, H_RSP, 1, -8);
			} else {
				mov_rr(e, H_RSI, sp);
				site = jt_probe(&x, 8, false);
				ld64(e, H_RCX, H_RAX, 0);
				/* POP RSP: the loaded value wins */
				lea(e, sp, sp, H_RSP, 1, 8);
				mov_rr(e, r, H_RCX);
			}
			jt_add_stub(&x, site, rec, k, false, x.hv != 0);
			j->stats.native_insns++;
			break;
		}
		case T_JMP:
			jt_flags_to_mem(&x);
			jt_exit_direct(&x, t->target, k + 1);
			j->stats.native_insns++;
			goto done;
		case T_JCC: {
			struct regs saved;
			uint16_t hd;
			uint8_t *taken;
			jt_flags_to_host(&x, t->fread);
			hd = x.hd;
			if (hd) {
				pushfq(e);
				pop_r(e, H_RDI);
			}
			taken = jcc32(e, t->zi.opcode & 0xf);
			saved = x.r;
			if (hd)
				jt_flags_store_from_rdi(&x, hd);
			jt_exit_direct(&x, t->rip + t->zi.length, k + 1);
			patch32(taken, e->p);
			x.r = saved; /* the other path spills the same */
			if (hd)
				jt_flags_store_from_rdi(&x, hd);
			jt_exit_direct(&x, t->target, k + 1);
			j->stats.native_insns++;
			goto done;
		}
		case T_CALL: {
			unsigned sp = (unsigned)x.host[X86_RSP];
			uint8_t *site;
			jt_flags_to_mem(&x);
			x.probe_hd = 0;
			lea(e, H_RSI, sp, H_RSP, 1, -8);
			site = jt_emit_probe(&x, 8, true);
			mov_ri64(e, H_RCX, t->rip + t->zi.length);
			st64(e, H_RAX, 0, H_RCX);
			lea(e, sp, sp, H_RSP, 1, -8);
			jt_exit_direct(&x, t->target, k + 1);
			jt_add_stub(&x, site, rec, k, true, false);
			j->stats.native_insns++;
			goto done;
		}
		case T_JMP_IND:
		case T_CALL_IND: {
			const ZydisDecodedOperand *o = &t->zops[0];
			uint8_t *site = NULL, *bad, *push = NULL;
			jt_flags_to_mem(&x);
			x.probe_hd = 0;
			if (t->mem >= 0) {
				jt_emit_ea(&x, t, o);
				site = jt_emit_probe(&x, 8, false);
				ld64(e, H_RCX, H_RAX, 0);
			} else {
				mov_rr(e, H_RCX,
				       (unsigned)x.host[jt_greg(o->reg.value)]);
			}
			/* a non-canonical target: #GP, interpreted */
			mov_rr(e, H_RDX, H_RCX);
			shift_ri(e, 4, H_RDX, 16);
			shift_ri(e, 7, H_RDX, 16);
			op_rr(e, 0x39, H_RDX, H_RCX);
			bad = jcc32(e, CC_NE);
			if (t->kind == T_CALL_IND) {
				unsigned sp = (unsigned)x.host[X86_RSP];
				lea(e, H_RSI, sp, H_RSP, 1, -8);
				push = jt_emit_probe(&x, 8, true);
				mov_ri64(e, H_RDX, t->rip + t->zi.length);
				st64(e, H_RAX, 0, H_RDX);
				lea(e, sp, sp, H_RSP, 1, -8);
			}
			jt_spill(&x);
			st64(e, H_RBP, OFF_RIP, H_RCX);
			op_mi(e, 0, H_RBX, OFF_INSNS, (int32_t)(k + 1));
			jt_emit_jc_jump(&x);
			if (site)
				jt_add_stub(&x, site, rec, k, true, false);
			if (push)
				jt_add_stub(&x, push, rec, k, true, false);
			jt_add_stub(&x, bad, rec, k, true, false);
			j->stats.native_insns++;
			goto done;
		}
		case T_RET: {
			unsigned sp = (unsigned)x.host[X86_RSP];
			uint8_t *site, *bad;
			jt_flags_to_mem(&x);
			x.probe_hd = 0;
			mov_rr(e, H_RSI, sp);
			site = jt_emit_probe(&x, 8, false);
			ld64(e, H_RCX, H_RAX, 0);
			/* a non-canonical return address: #GP, interpreted */
			mov_rr(e, H_RDX, H_RCX);
			shift_ri(e, 4, H_RDX, 16);
			shift_ri(e, 7, H_RDX, 16);
			op_rr(e, 0x39, H_RDX, H_RCX);
			bad = jcc32(e, CC_NE);
			lea(e, sp, sp, H_RSP, 1, 8);
			jt_spill(&x);
			st64(e, H_RBP, OFF_RIP, H_RCX);
			op_mi(e, 0, H_RBX, OFF_INSNS, (int32_t)(k + 1));
			jt_emit_jc_jump(&x);
			jt_add_stub(&x, site, rec, k, true, false);
			jt_add_stub(&x, bad, rec, k, true, false);
			j->stats.native_insns++;
			goto done;
		}
		}
		if (!live_after)
			x.hd = 0; /* overwritten before anyone looks */
	}
	/* fell off the end (page end, length limit, or a fallback branch
	 * that was not taken) */
	jt_flags_to_mem(&x);
	jt_exit_direct(&x, r, n);
done:
	jt_emit_exit_stubs(&x);
	for (unsigned s = 0; s < x.nstubs; s++) {
		struct stub *st = &x.stubs[s];
		patch32(st->site, x.e.p);
		x.r = st->regs;
		x.hd = st->hd;
		if (x.hd)
			jt_flags_store(
			    &x); /* the interpreter reads st->rflags */
		jt_call_helper(&x, st->rip, st->k, st->leave);
		if (st->leave)
			continue;
		/* the fast path goes on with the registers it had */
		jt_load_regs(&x.e, &st->regs);
		if (st->load_flags)
			jt_flags_load(&x);
		patch32(jmp32(&x.e), st->resume);
	}
	if (x.e.overflow)
		return NULL;
	if (j->perf_map)
		fprintf(j->perf_map, "%lx %lx guest_%s_%lx\n",
			(unsigned long)(uintptr_t)b->code,
			(unsigned long)(x.e.p - b->code), b->user ? "u" : "k",
			(unsigned long)rip);
	j->code_cur = x.e.p;
	j->stats.blocks++;
	return b;
}
