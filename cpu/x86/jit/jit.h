/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86-64 JIT of the execution core: 64-bit guest code is translated
 * one basic block at a time into host code that runs the same
 * instructions natively (guest and host are both x86-64), with guest
 * registers cached in host registers, guest flags kept in the host's flags
 * while they are live, and guest memory reached through an inline probe of
 * the soft TLB. Everything it does not translate, and every slow path (TLB
 * miss, page-crossing access, fault), runs the interpreter's handler for
 * that instruction, so the JIT never has a semantics of its own that the
 * differential tester and the guests do not also check.
 *
 * A block is valid while its page generation is unchanged (self-modifying
 * code), and is keyed by linear RIP, guest-physical address and user/
 * supervisor (the TLB set its probes use). Direct exits are patched to jump
 * to the next block (across pages only through a check that this core's
 * TLB still maps the page to the same guest-physical page); each block's
 * prologue checks the instruction budget, its page generation and the kick
 * before running.
 */
#ifndef KVMINI_CPU_X86_JIT_H
#define KVMINI_CPU_X86_JIT_H

#include <stddef.h>
#include <stdio.h>

#include "cpu/x86/core.h"

struct jit;
struct tinsn;

struct jit_block {
	uint64_t rip, gpa;	/* key: linear RIP and guest-physical address */
	uint32_t gen;		/* page generation when translated */
	uint8_t user;		/* CPL 3: the TLB set the probes use */
	uint8_t ninsns;		/* guest instructions (0: interpret instead) */
	uint8_t *code;		/* entry (prologue); NULL: interpret */
	struct jit_block *next; /* same lookup slot */
};

#define JIT_MAX_INSNS  48
#define JIT_TABLE_BITS 18
#define JIT_CODE_SIZE                                                          \
	(128u << 20) /* reserved; pages fill as code is translated */
#define JIT_DATA_SIZE  (32u << 20)
#define JIT_BLOCK_ROOM (16u << 10) /* code one block may need, at most */

/* Offsets generated code uses (rbx = core, rbp = state). */
#define OFF_GPR(g)     ((int32_t)(offsetof(struct x86_state, gpr) + 8 * (g)))
#define OFF_RIP	       ((int32_t)offsetof(struct x86_state, rip))
#define OFF_RFLAGS     ((int32_t)offsetof(struct x86_state, rflags))
#define OFF_SEGBASE(s) ((int32_t)offsetof(struct x86_state, seg[s].base))
#define OFF_INSNS      ((int32_t)offsetof(struct x86_core, ctl.insns_retired))
#define OFF_BUDGET     ((int32_t)offsetof(struct x86_core, jit_budget))
#define OFF_SITE       ((int32_t)offsetof(struct x86_core, jit_exit_site))
#define OFF_FROM       ((int32_t)offsetof(struct x86_core, jit_exit_from))
#define OFF_KICK       ((int32_t)offsetof(struct x86_core, jit_kick))
#define OFF_TLB(u)                                                             \
	((int32_t)(offsetof(struct x86_core, tlb) +                            \
		   (u)*TLB_SIZE * sizeof(struct x86_tlbe)))

#define JIT_JC_SIZE 8192

/* Jump cache for indirect exits (RET, JMP/CALL r/m): what generated code
 * and the dispatcher look up first. */
struct jit_jc {
	uint64_t rip, gpa; /* block's RIP and guest-physical page */
	uint8_t *code;
	const struct jit_block *b;
};

struct jit {
	uint8_t *code, *code_start, *code_cur, *code_end; /* RWX */
	uint8_t *data, *data_cur, *data_end;
	struct jit_block **table;
	void (*enter)(struct x86_core *c, struct x86_state *st,
		      const uint8_t *code);
	uint8_t *leave; /* restores host registers, returns from enter */
	int flush_req;
	bool bmi2; /* the host has SHLX/SHRX: flag-free TLB probes */
	/* KVMINI_PERF_MAP=1: /tmp/perf-PID.map names each block by its guest
	 * RIP, so `perf report` attributes time in translated code */
	FILE *perf_map;
	struct tinsn *ti; /* translation scratch (JIT_MAX_INSNS) */
	struct jit_jc jc[2][JIT_JC_SIZE]; /* [user] */
	struct {
		uint64_t blocks, native_insns, fallback_insns, flushes, chains;
	} stats;
};

/* Reset code and data (no block may be running). */
void jit_flush_now(struct jit *j);

/* Per core; NULL if the host cannot run generated code. */
struct jit *jit_create(void);
void jit_destroy(struct jit *j);
/* Drop every block (safe from any thread: applied at the next lookup). */
void jit_request_flush(struct jit *j);

/*
 * The block at st->rip in 64-bit mode, translated if needed (may raise the
 * fetch's #PF or stop with an EPT exit, as an instruction fetch would), or
 * NULL when the interpreter should run the next instruction.
 */
const struct jit_block *jit_lookup(struct x86_core *c);
/* Run b (and blocks chained to it) with at most c->jit_budget guest
 * instructions. */
void jit_run(struct x86_core *c, const struct jit_block *b);

/* Patch the direct exit `site` taken out of block `from` to jump to b:
 * straight there on the same page, else through a TLB check. */
void jit_chain(struct x86_core *c, uint8_t *site, const struct jit_block *from,
	       const struct jit_block *b);

/* Statistics for benchmarks and tests. */
struct jit_stats {
	uint64_t blocks, native_insns, fallback_insns, flushes, chains;
};
void jit_get_stats(const struct jit *j, struct jit_stats *s);

/* Called by generated code (translate.c, block.c). */
uint64_t jit_exec_insn(struct x86_core *c, uint64_t rip, uint64_t k,
		       const struct jit_block *b);

/* translate.c: translate the block at rip (gpa, host page) into j. */
struct jit_block *jit_translate(struct x86_core *c, struct jit *j, uint64_t rip,
				uint64_t gpa, const uint8_t *page);

#endif
