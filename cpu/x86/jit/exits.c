// SPDX-License-Identifier: GPL-2.0
/*
 * How control leaves a block: direct exits (chained later by the
 * dispatcher), indirect ones through the jump cache, and calls into the
 * interpreter (fallbacks and slow paths).
 */
#include <stddef.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/internal.h"
#include "cpu/x86/jit/jit.h"

void jt_jmp_leave(struct tctx *x)
{
	patch32(jmp32(&x->e), x->j->leave);
}

void jt_jcc_leave(struct tctx *x, unsigned cc)
{
	patch32(jcc32(&x->e, cc), x->j->leave);
}

/* A direct exit to `target` after n instructions: chainable. */
/*
 * A direct exit to `target` after n instructions: its jmp first goes to a
 * stub (after the block) that tells the dispatcher which exit of which
 * block this was, so it can patch the jmp to go straight to the next
 * block; once patched, the exit costs no more than the jmp.
 */
void jt_exit_direct(struct tctx *x, uint64_t target, unsigned n)
{
	struct emit *e = &x->e;

	jt_spill(x);
	mov_ri64(e, H_RAX, target);
	st64(e, H_RBP, OFF_RIP, H_RAX);
	op_mi(e, 0, H_RBX, OFF_INSNS, (int32_t)n);
	if (x->nexits < JIT_MAX_INSNS * 2)
		x->exits[x->nexits++] = jmp32(e);
	else
		patch32(jmp32(e), x->j->leave); /* (cannot happen) */
}

void jt_emit_exit_stubs(struct tctx *x)
{
	struct emit *e = &x->e;
	for (unsigned k = 0; k < x->nexits; k++) {
		uint8_t *lea_at;
		patch32(x->exits[k], e->p);
		lea_at = lea_rip(e, H_RAX);
		patch32(lea_at, x->exits[k]);
		st64(e, H_RBX, OFF_SITE, H_RAX);
		mov_ri64(e, H_RAX, (uint64_t)(uintptr_t)x->b);
		st64(e, H_RBX, OFF_FROM, H_RAX);
		jt_jmp_leave(x);
	}
}

/*
 * Leave for the block at rcx (an indirect target) through the jump cache:
 * taken only if the cache has a block for that RIP and this core's TLB
 * still maps its page, for fetch, to the guest-physical page the block was
 * translated from. st->rip must already be rcx.
 */
void jt_emit_jc_jump(struct tctx *x)
{
	struct emit *e = &x->e;
	int32_t tlb = OFF_TLB(x->b->user);

	mov_rr(e, H_RAX, H_RCX);
	shift_ri(e, 5, H_RAX, 12);
	op_rr(e, 0x31, H_RAX, H_RCX);
	op_ri32(e, 4, H_RAX, JIT_JC_SIZE - 1);
	shift_ri(e, 4, H_RAX, 5);
	mov_ri64(e, H_RDX, (uint64_t)(uintptr_t)&x->j->jc[x->b->user][0]);
	op_rr(e, 0x01, H_RAX, H_RDX);
	op_rm(e, 0x3b, H_RCX, H_RAX, 0); /* cmp rcx, [rax].rip */
	jt_jcc_leave(x, CC_NE);
	mov_rr(e, H_RDX, H_RCX);
	shift_ri(e, 5, H_RDX, 12);
	op_ri32(e, 4, H_RDX, TLB_SIZE - 1);
	shift_ri(e, 4, H_RDX, 6);
	mov_rr(e, H_RSI, H_RCX);
	op_ri(e, 4, H_RSI, (int32_t)0xfffff000);
	op_ri(e, 1, H_RSI, 1);
	op_r_mbi(e, 0x3b, H_RSI, H_RBX, H_RDX,
		 tlb + (int32_t)offsetof(struct x86_tlbe, tag_x));
	jt_jcc_leave(x, CC_NE);
	op_r_mbi(e, 0x8b, H_RSI, H_RBX, H_RDX,
		 tlb + (int32_t)offsetof(struct x86_tlbe, gpa));
	op_rm(e, 0x3b, H_RSI, H_RAX, 8); /* cmp rsi, [rax].gpa */
	jt_jcc_leave(x, CC_NE);
	e8(e, 0xff); /* jmp [rax + 16] (.code) */
	e8(e, 0x60);
	e8(e, 16);
}

/* Call the interpreter for the instruction at rip (k before it). */
void jt_call_helper(struct tctx *x, uint64_t rip, unsigned k, bool leave)
{
	struct emit *e = &x->e;
	jt_spill(x);
	mov_rr(e, H_RDI, H_RBX);
	mov_ri64(e, H_RSI, rip);
	mov_ri64(e, H_RCX, (uint64_t)(uintptr_t)x->b);
	mov_ri64(e, H_RDX, k | (leave ? 1u << 31 : 0));
	call_abs(e, (const void *)jit_exec_insn);
	if (leave) {
		jt_jmp_leave(x);
		return;
	}
	jt_forget(x);
	test_eax(e);
	jt_jcc_leave(x, CC_NE);
}
