/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of one translation (the .c files of cpu/x86/jit): the
 * per-instruction record pass 1 fills, the translation context pass 3 emits
 * with, and the helpers the emission is built from. Not for use outside
 * cpu/x86/jit/.
 */
#ifndef KVMINI_CPU_X86_JIT_INTERNAL_H
#define KVMINI_CPU_X86_JIT_INTERNAL_H

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/jit.h"

#define A6 0x8d5u /* CF PF AF ZF SF OF */

enum tkind {
	T_FALLBACK,
	T_NATIVE,
	T_NOP,
	T_LEA_RIP,
	T_JCC,
	T_JMP,
	T_CALL,
	T_RET,
	T_PUSH,	    /* PUSH r64 / imm */
	T_POP,	    /* POP r64 */
	T_RAXRDX,   /* MUL, IMUL r/m, CQO...: hidden RAX/RDX through rax/rdx */
	T_JMP_IND,  /* JMP r/m64 (near) */
	T_CALL_IND, /* CALL r/m64 (near) */
};

struct tinsn {
	struct x86_insn insn; /* the interpreter's form (fallback, stubs) */
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
	uint64_t rip;
	uint64_t target;  /* JCC/JMP/CALL; LEA_RIP value */
	uint32_t uses;	  /* guest GPRs read or written (bitmap) */
	uint32_t writes;  /* guest GPRs written */
	uint16_t fread;	  /* arithmetic flags read */
	uint16_t fwrite;  /* arithmetic flags written */
	int8_t mem;	  /* operand index of the memory access, -1 none */
	uint8_t kind;	  /* enum tkind */
	uint8_t msize;	  /* bytes */
	bool mwrite;	  /* the access writes (probe the write tag) */
	bool live_before; /* guest flags observable before this insn */
	bool cl_count;	  /* shift/rotate by CL: host cl = guest cl */
	uint8_t enc_len;
	uint8_t enc[15];
};

_Static_assert(sizeof(struct x86_tlbe) == 64, "probe indexes by << 6");

/*
 * Where the guest's arithmetic flags are, per flag: hv = valid in the
 * host's flags, hd = only there (st->rflags is stale for them; hd <= hv).
 * A partial writer (INC, DEC, rotates) adds to both without loading the
 * rest; a reader needs its flags in hv (else st->rflags is loaded).
 */

/*
 * Guest registers live in r8-r15 while a block uses them: loaded on first
 * use, written back (when changed) before anything that reads st->gpr —
 * a helper, an exit — and evicted least-recently-used when an
 * instruction needs a register and all eight hold others.
 */
struct regs {
	int8_t host[16];  /* guest GPR -> host register, -1 in memory */
	int8_t guest[16]; /* host register -> guest GPR, -1 free */
	uint32_t dirty;	  /* guest GPRs whose host copy is newer */
};

struct stub {
	uint8_t *site;	  /* rel32 of the jne to the stub */
	uint8_t *resume;  /* where the fast path continues */
	uint64_t rip;	  /* of the instruction the stub runs */
	unsigned k;	  /* instructions before this one in the block */
	bool leave;	  /* the instruction always leaves the block */
	bool load_flags;  /* the fast path has guest flags in host flags */
	struct regs regs; /* registers as they were before the instruction */
	uint16_t hd;	  /* flags only in the host's when it jumped here */
};

struct tctx {
	struct x86_core *c;
	struct jit *j;
	struct jit_block *b;
	struct emit e;
	struct regs r;
	int8_t host[16];	   /* = r.host while encoding */
	unsigned stamp[16], clock; /* LRU of host registers */
	uint16_t hv, hd;
	struct regs stub_regs; /* registers before the current instruction */
	uint16_t probe_hd;     /* hd at the last probe (0: flags saved) */
	struct stub stubs[JIT_MAX_INSNS];
	uint8_t *exits[JIT_MAX_INSNS * 2]; /* rel32s of direct exits */
	unsigned nexits;
	unsigned nstubs;
};

/* classify.c */
int jt_greg(ZydisRegister r);
ZydisRegister jt_hreg_as(ZydisRegister r, unsigned h);
void jt_classify(struct tinsn *t);
bool jt_ends_block(const struct tinsn *t);

/* state.c */
void jt_spill_regs(struct emit *e, const struct regs *r);
void jt_load_regs(struct emit *e, const struct regs *r);
void jt_spill(struct tctx *x);
void jt_forget(struct tctx *x);
void jt_map_regs(struct tctx *x, uint32_t uses);
void jt_flags_store(struct tctx *x);
void jt_flags_load(struct tctx *x);
void jt_flags_store_from_rdi(struct tctx *x, uint16_t hd);
void jt_flags_to_mem(struct tctx *x);
void jt_flags_to_host(struct tctx *x, uint16_t need);

/* exits.c */
void jt_jmp_leave(struct tctx *x);
void jt_jcc_leave(struct tctx *x, unsigned cc);
void jt_exit_direct(struct tctx *x, uint64_t target, unsigned n);
void jt_emit_exit_stubs(struct tctx *x);
void jt_emit_jc_jump(struct tctx *x);
void jt_call_helper(struct tctx *x, uint64_t rip, unsigned k, bool leave);

/* memory.c */
void jt_emit_ea(struct tctx *x, const struct tinsn *t,
		const ZydisDecodedOperand *o);
uint8_t *jt_emit_probe(struct tctx *x, unsigned size, bool write);
uint8_t *jt_probe(struct tctx *x, unsigned size, bool write);
void jt_add_stub(struct tctx *x, uint8_t *site, uint64_t rip, unsigned k,
		 bool leave, bool load_flags);
bool jt_encode(struct tctx *x, struct tinsn *t, ZydisRegister mbase);
void jt_emit_bytes(struct emit *e, const uint8_t *p, unsigned n);
void jt_encode_failed(struct tctx *x, const struct tinsn *t, unsigned k,
		      uint8_t *site);

#endif
