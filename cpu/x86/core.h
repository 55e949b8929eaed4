/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the x86 execution core: the per-core caches (soft TLB,
 * decoded-instruction cache), the compact decoded form handlers execute,
 * and the helpers every exec_*.c uses. Not for use outside cpu/x86/.
 */
#ifndef KVMINI_CPU_X86_CORE_H
#define KVMINI_CPU_X86_CORE_H

#include <setjmp.h>
#include <stddef.h>
#include <string.h>

#include "cpu/x86/x86.h"

/* RFLAGS bits. */
#define F_CF	 (1ull << 0)
#define F_FIXED1 (1ull << 1)
#define F_PF	 (1ull << 2)
#define F_AF	 (1ull << 4)
#define F_ZF	 (1ull << 6)
#define F_SF	 (1ull << 7)
#define F_TF	 (1ull << 8)
#define F_IF	 (1ull << 9)
#define F_DF	 (1ull << 10)
#define F_OF	 (1ull << 11)
#define F_IOPL	 (3ull << 12)
#define F_NT	 (1ull << 14)
#define F_RF	 (1ull << 16)
#define F_VM	 (1ull << 17)
#define F_AC	 (1ull << 18)
#define F_VIF	 (1ull << 19)
#define F_VIP	 (1ull << 20)
#define F_ID	 (1ull << 21)
#define F_ARITH	 (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_VME	       (1ull << 0)
#define CR4_PVI	       (1ull << 1)
#define CR4_TSD	       (1ull << 2)
#define CR4_DE	       (1ull << 3)
#define CR4_PSE	       (1ull << 4)
#define CR4_PAE	       (1ull << 5)
#define CR4_MCE	       (1ull << 6)
#define CR4_PGE	       (1ull << 7)
#define CR4_PCE	       (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP       (1ull << 11)
#define CR4_LA57       (1ull << 12)
#define CR4_VMXE       (1ull << 13)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* MAXPHYADDR the core implements (CPUID.80000008:EAX[7:0] must say so). */
#define X86_MAXPHYADDR                                                         \
	48 /* = CPU_MAXPHYADDR: host-physical addresses are process pointers   \
	      (< 2^47) */

/* ---- decoded instructions ------------------------------------------ */

enum x86_opk { OPK_NONE, OPK_REG, OPK_MEM, OPK_IMM, OPK_PTR };

/* Register classes of a decoded register operand. */
enum x86_rk {
	RK_GPR,
	RK_GPR8H,
	RK_SEG,
	RK_CR,
	RK_DR,
	RK_XMM,
	RK_ST,
	RK_MMX,
	RK_OTHER
};

#define REG_NONE 0xff
#define REG_RIP	 16

/* 16 bytes, so an instruction's header and first two operands share one
 * 64-byte cache line (see struct x86_insn). */
struct x86_op {
	uint8_t kind; /* enum x86_opk */
	uint8_t size; /* bytes */
	uint8_t rk;   /* OPK_REG: enum x86_rk */
	uint8_t reg;  /* OPK_REG: number in class */
	/* OPK_MEM */
	uint8_t seg, base, index,
	    scale;    /* base/index: gpr, REG_RIP, REG_NONE */
	int64_t disp; /* OPK_MEM disp; OPK_IMM value (sign-extended);
			 OPK_PTR offset (bits 31:0) | selector << 32 */
};

struct x86_core;
struct x86_insn;
typedef void (*x86_handler)(struct x86_core *c, const struct x86_insn *i);

/* Prefix flags. */
#define PFX_REP	  1u
#define PFX_REPNE 2u
#define PFX_LOCK  4u
#define PFX_SEG	  8u /* explicit segment override in .seg */
#define PFX_REX	  16u

struct x86_insn {
	x86_handler fn;
	uint64_t key;	   /* gpa << 3 | mode; 0 = empty slot */
	uint32_t gen;	   /* page generation when decoded */
	uint16_t mnemonic; /* ZydisMnemonic */
	uint8_t len;
	uint8_t osz;	   /* operand size in bytes: 2, 4, 8 */
	uint8_t asz;	   /* address size in bytes */
	uint8_t nops;	   /* explicit operands */
	uint8_t pfx;	   /* PFX_* */
	uint8_t seg;	   /* segment for string source (DS or override) */
	uint8_t opcode;	   /* last opcode byte */
	uint8_t map;	   /* ZydisOpcodeMap */
	uint8_t modrm_reg; /* ModRM.reg (for /digit groups, CR/DR number) */
	uint8_t cc;	   /* condition code for Jcc/SETcc/CMOVcc */
	struct x86_op op[4];
} __attribute__((aligned(64)));

/* The decode cache is 64-byte aligned: what a hit and a typical handler
 * touch (header, op[0], op[1]) is exactly one cache line. */
_Static_assert(offsetof(struct x86_insn, op[2]) == 64,
	       "x86_insn hot part must fill one cache line");

/* ---- soft TLB ------------------------------------------------------- */

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)

struct x86_tlbe {
	/* linear page address | 1 when valid for that access kind */
	uint64_t tag_r, tag_w, tag_x;
	uintptr_t addend; /* hva = lin + addend */
	uint64_t gpa;	  /* guest-physical page */
	bool global;
} __attribute__((aligned(64))); /* the JIT's probe indexes by shift */

/* Guest-physical page + access kind -> host page, as env->gpa_to_hva
 * answered (EPT included); valid as long as the soft TLB is, and flushed
 * with it. */
#define GPAC_SIZE 256
struct x86_gpae {
	uint64_t key; /* gpa page | X86_ACC_* (never 0 when valid) */
	void *hpage;
};

/* Decode cache: direct mapped, keyed by guest-physical address + mode. */
#define ICACHE_BITS 16
#define ICACHE_SIZE (1u << ICACHE_BITS)
/* Page generations and "has code" marks, indexed by gpa page mod this
 * (aliasing only costs a spurious re-decode). */
#define PAGEGEN_BITS 20
#define PAGEGEN_SIZE (1u << PAGEGEN_BITS)

/* Decoder modes (index into core->dec[]). */
enum x86_dmode {
	DM_REAL,
	DM_PROT16,
	DM_PROT32,
	DM_COMPAT16,
	DM_COMPAT32,
	DM_LONG64,
	DM_NR
};

struct x86_core {
	struct x86_ctl ctl;

	/* current run */
	struct x86_state *st;
	const struct x86_env_ops *ops;
	void *env;
	struct x86_exit *exit;
	jmp_buf jb;
	bool stop;

	/* current instruction */
	uint64_t next_rip;
	const struct x86_insn *cur;
	unsigned cpl;
	enum x86_dmode mode;
	bool long64; /* 64-bit mode (CS.L in IA-32e) */

	/* event delivery state */
	int delivering;		 /* vector being delivered, -1 none */
	uint32_t vectoring_info; /* IDT-vectoring info of it */
	uint32_t vectoring_error;
	bool exc_pending;
	uint8_t exc_vector;
	bool exc_has_error;
	uint32_t exc_error;
	uint8_t exc_type;      /* enum x86_event_type */
	uint64_t exc_ret_rip;  /* RIP pushed (fault: insn, trap/sw: next) */
	uint32_t exc_insn_len; /* software events */
	uint64_t exc_cr2;      /* #PF: linear address, loaded on delivery */
	uint64_t exc_dr6;      /* #DB: DR6 bits ORed in on delivery (an
				  intercepted #DB leaves DR6 alone) */
	bool iret_nmi; /* executing an IRET that unblocks NMIs (exit info
			  bit 12 if it faults) */
	uint32_t sti_shadow_next; /* interruptibility after this insn */
	bool shadow_set;
	bool recheck;	       /* RFLAGS/activity changed: leave the fast
				  stretch (see x86_run) */
	uint64_t budget_limit; /* insns_retired at which to stop, 0 none */

	struct x86_tlbe tlb[2][TLB_SIZE]; /* [user] */
	struct x86_gpae gpac[GPAC_SIZE];
	/* the current code page (a one-entry fetch TLB); reset by every
	 * flush and privilege change */
	uint64_t fetch_page, fetch_gpa;
	uint8_t *fetch_hva;
	/* bumped by every TLB flush and mode change (the JIT's blocks leave
	 * when an instruction they called out to changed it) */
	uint64_t tlb_gen;

	struct x86_insn *icache;
	uint32_t *page_gen;
	uint8_t *has_code;
	/* per core: this core's TLB has no write entry for the page since it
	 * last noted code there (so the TLB scan can be skipped) */
	uint8_t *code_noted;
	/* bumped whenever any core first marks a page as holding code; a
	 * core that sees it change drops its write TLB entries, so its later
	 * writes to that page take the slow (invalidating) path */
	uint64_t *code_epoch;
	uint64_t seen_epoch;
	struct x86_insn scratch; /* page-crossing instructions */

	void *dec; /* ZydisDecoder[DM_NR] */

	/* JIT (cpu/x86/jit/); jit is NULL when the host cannot run it. The
	 * fields below are read and written by generated code. */
	struct jit *jit;
	int64_t jit_budget;	/* insns blocks may still run */
	uint8_t *jit_exit_site; /* direct exit last taken (chaining) */
	const struct jit_block *jit_exit_from; /* ... and its block */
	uint64_t jit_epoch;	      /* bumped when all blocks are dropped */
	const volatile int *jit_kick; /* ctl.kick or a zero */
	const struct jit_block *jit_cur; /* block entered by the dispatcher */
};

/* ---- helpers (core.c, mem.c, paging.c, exception.c) ---------------- */

/* Stop the run with *exit filled (reason set by caller); never returns. */
_Noreturn void x86_stop(struct x86_core *c);
/* Raise an exception; never returns (longjmps to the run loop). */
_Noreturn void x86_raise(struct x86_core *c, uint8_t vec, bool has_err,
			 uint32_t err);
static inline _Noreturn void x86_gp(struct x86_core *c, uint32_t err)
{
	x86_raise(c, X86_EXC_GP, true, err);
}
static inline _Noreturn void x86_ud(struct x86_core *c)
{
	x86_raise(c, X86_EXC_UD, false, 0);
}
/* INT n / INT3 / INTO / INT1: a software event returning after the insn. */
_Noreturn void x86_raise_sw(struct x86_core *c, uint8_t vec, uint8_t type);
_Noreturn void x86_unimplemented(struct x86_core *c, const char *what);

/* Ask env->intercept; if it wants the exit, stop (does not return). */
void x86_intercept(struct x86_core *c, struct x86_intercept *what);
/* Pre-fill c->exit for an instruction exit of `reason`. */
void x86_exit_prep(struct x86_core *c, uint32_t reason, uint64_t qual);

/* Drop write entries if another core marked new code pages. */
static inline void x86_code_epoch_check(struct x86_core *c)
{
	uint64_t e = __atomic_load_n(c->code_epoch, __ATOMIC_ACQUIRE);
	if (__builtin_expect(e != c->seen_epoch, 0)) {
		c->seen_epoch = e;
		for (unsigned u = 0; u < 2; u++)
			for (unsigned n = 0; n < TLB_SIZE; n++)
				c->tlb[u][n].tag_w = 0;
	}
}

/* Recompute cpl/mode/long64 from state; flushes on mode change. */
void x86_update_mode(struct x86_core *c);

/* Memory access kinds for linear accesses. */
#define MA_READ	 0
#define MA_WRITE 1
#define MA_EXEC	 2
#define MA_SYS	 4 /* implicit supervisor access (descriptor tables, TSS) */

/*
 * Host pointer for `size` bytes at linear `lin` that do not cross a page,
 * after paging checks (#PF) and EPT (exit). Slow path of the inline ones.
 */
void *x86_lin_ptr_slow(struct x86_core *c, uint64_t lin, unsigned kind);
uint64_t x86_lin_read_slow(struct x86_core *c, uint64_t lin, unsigned size,
			   unsigned kind);
void x86_lin_write_slow(struct x86_core *c, uint64_t lin, unsigned size,
			uint64_t val, unsigned kind);

static inline void *tlb_hit(struct x86_core *c, uint64_t lin, unsigned kind)
{
	struct x86_tlbe *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
	uint64_t tag = (lin & ~0xfffull) | 1;
	uint64_t t = kind == MA_WRITE  ? e->tag_w
		     : kind == MA_READ ? e->tag_r
				       : e->tag_x;
	if (__builtin_expect(t == tag, 1))
		return (void *)(uintptr_t)(lin + e->addend);
	return NULL;
}

static inline uint64_t ld_le(const void *p, unsigned size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
}

static inline void st_le(void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
	}
}

static inline uint64_t lin_read(struct x86_core *c, uint64_t lin, unsigned size)
{
	if (((lin & 0xfff) + size) <= 0x1000) {
		void *p = tlb_hit(c, lin, MA_READ);
		if (p)
			return ld_le(p, size);
	}
	return x86_lin_read_slow(c, lin, size, MA_READ);
}

static inline void lin_write(struct x86_core *c, uint64_t lin, unsigned size,
			     uint64_t v)
{
	if (((lin & 0xfff) + size) <= 0x1000) {
		void *p = tlb_hit(c, lin, MA_WRITE);
		if (p) {
			st_le(p, size, v);
			return;
		}
	}
	x86_lin_write_slow(c, lin, size, v, MA_WRITE);
}

/* System (implicit supervisor) accesses: GDT/LDT/IDT/TSS. */
uint64_t x86_sys_read(struct x86_core *c, uint64_t lin, unsigned size);
void x86_sys_write(struct x86_core *c, uint64_t lin, unsigned size, uint64_t v);

/* Segmented accesses: segment checks, then linear. */
uint64_t x86_seg_lin(struct x86_core *c, unsigned seg, uint64_t off,
		     unsigned size, unsigned kind);
static inline uint64_t seg_lin(struct x86_core *c, unsigned seg, uint64_t off,
			       unsigned size, unsigned kind)
{
	if (c->long64) {
		uint64_t lin = off;
		if (seg >= X86_FS)
			lin += c->st->seg[seg].base;
		/* canonical check */
		if (__builtin_expect(
			((int64_t)(lin << 16) >> 16) != (int64_t)lin, 0))
			x86_raise(c, seg == X86_SS ? X86_EXC_SS : X86_EXC_GP,
				  true, 0);
		return lin;
	}
	return x86_seg_lin(c, seg, off, size, kind);
}
static inline uint64_t mem_read(struct x86_core *c, unsigned seg, uint64_t off,
				unsigned size)
{
	return lin_read(c, seg_lin(c, seg, off, size, MA_READ), size);
}
static inline void mem_write(struct x86_core *c, unsigned seg, uint64_t off,
			     unsigned size, uint64_t v)
{
	lin_write(c, seg_lin(c, seg, off, size, MA_WRITE), size, v);
}
/* Host pointer for an aligned-within-page RMW (LOCK), or NULL if the
 * access crosses a page (caller falls back to read+write). */
void *x86_mem_ptr(struct x86_core *c, unsigned seg, uint64_t off,
		  unsigned size);
/* Check that a write of `size` at seg:off would succeed (for
 * instructions that must fault before changing anything). */
/* Same for a linear address: a read-modify-write that crosses a page
 * must fault as a write on either page before reading. */
void x86_lin_probe_write(struct x86_core *c, uint64_t lin, unsigned size);
void x86_mem_probe_write(struct x86_core *c, unsigned seg, uint64_t off,
			 unsigned size);

/* paging.c */
struct x86_walk {
	uint64_t gpa;	   /* physical address of lin */
	uint64_t page_gpa; /* 4K page base */
	bool user, write, nx, global, dirty;
};
/* Translate; on failure raise #PF (or stop with an EPT exit). */
void x86_translate(struct x86_core *c, uint64_t lin, unsigned kind,
		   bool user_access, struct x86_walk *w);
void *x86_gpa_ptr(struct x86_core *c, uint64_t gpa, unsigned access,
		  uint64_t gla, bool gla_valid);
void x86_note_code_page(struct x86_core *c, uint64_t gpa);
void x86_code_write_slow(struct x86_core *c, uint64_t gpa);

/* fetch.c / decode.c */
const struct x86_insn *x86_fetch_decode(struct x86_core *c);
/*
 * Decode the instruction at p (avail bytes readable) in the core's current
 * mode into *ins with its handler; zi/zops (ZydisDecodedInstruction and
 * ZydisDecodedOperand[ZYDIS_MAX_OPERAND_COUNT]) get Zydis's own view.
 * False if it does not decode within avail bytes.
 */
/* Put a decoded instruction (of the current mode, not crossing a page) into
 * the decode cache, as a fetch would have (the JIT's fallbacks then hit). */
void x86_icache_put(struct x86_core *c, uint64_t gpa,
		    const struct x86_insn *ins);
struct ZydisDecodedInstruction_;
struct ZydisDecodedOperand_;
bool x86_decode_insn(struct x86_core *c, const uint8_t *p, unsigned avail,
		     struct x86_insn *ins, struct ZydisDecodedInstruction_ *zi,
		     struct ZydisDecodedOperand_ *zops);

/*
 * The decode-cache hit of x86_fetch_decode, inlined into the run loop for
 * 64-bit code on the current fetch page (no canonical or CS-limit check
 * needed: fetch_page was translated from a canonical address in this mode
 * and every mode change resets it). Anything else takes the full path.
 */
static inline const struct x86_insn *x86_fetch_fast(struct x86_core *c,
						    uint64_t lin /* = rip */)
{

	if (__builtin_expect(c->long64 && (lin & ~0xfffull) == c->fetch_page,
			     1)) {
		uint64_t gpa = c->fetch_gpa | (lin & 0xfff);
		uint64_t key = (gpa << 4) | (DM_LONG64 + 1);
		const struct x86_insn *ins =
		    &c->icache[(uint32_t)(gpa ^ (gpa >> ICACHE_BITS)) &
			       (ICACHE_SIZE - 1)];
		if (__builtin_expect(
			ins->key == key &&
			    ins->gen == __atomic_load_n(
					    &c->page_gen[(gpa >> 12) &
							 (PAGEGEN_SIZE - 1)],
					    __ATOMIC_RELAXED),
			1))
			return ins;
	}
	return x86_fetch_decode(c);
}
void x86_decode_init(struct x86_core *c);
x86_handler x86_handler_for(const struct x86_insn *i);

/* Handler tables: each exec_*.c registers its mnemonics. */
void x86_register_alu(x86_handler *t);
void x86_register_data(x86_handler *t);
void x86_register_string(x86_handler *t);
void x86_register_control(x86_handler *t);
void x86_register_system(x86_handler *t);
void x86_register_sse(x86_handler *t);
void x86_register_legacy(x86_handler *t);
void x86_register_fpu(x86_handler *t);
/* Power-on x87/SSE values when the state was never initialised. */
void x86_fpu_ensure(struct x86_state *st);
x86_handler x86_string_handler(uint8_t opcode);
/* A handler specialised for i's operand form (exec_alu.c), or NULL. */
x86_handler x86_alu_specialise(const struct x86_insn *i);
x86_handler x86_data_specialise(const struct x86_insn *i); /* exec_data.c */
x86_handler
x86_control_specialise(const struct x86_insn *i); /* exec_control.c */
/* Zydis names these MOV / RET; decode.c binds them by opcode. */
void x86_h_mov_cr(struct x86_core *c, const struct x86_insn *i);
void x86_h_mov_dr(struct x86_core *c, const struct x86_insn *i);
void x86_h_retf(struct x86_core *c, const struct x86_insn *i);

/* operand helpers (decode.c) */
static inline uint64_t x86_ea(struct x86_core *c, const struct x86_insn *i,
			      const struct x86_op *o);
uint64_t x86_op_read_slow(struct x86_core *c, const struct x86_insn *i,
			  unsigned n);
void x86_op_write_slow(struct x86_core *c, const struct x86_insn *i, unsigned n,
		       uint64_t v);

static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t gpr_read(struct x86_core *c, unsigned reg, unsigned size)
{
	return c->st->gpr[reg] & size_mask(size);
}

static inline void gpr_write(struct x86_core *c, unsigned reg, unsigned size,
			     uint64_t v)
{
	uint64_t *r = &c->st->gpr[reg];
	switch (size) {
	case 1:
		*r = (*r & ~0xffull) | (v & 0xff);
		break;
	case 2:
		*r = (*r & ~0xffffull) | (v & 0xffff);
		break;
	case 4:
		*r = (uint32_t)v;
		break;
	default:
		*r = v;
	}
}

static inline uint64_t x86_ea(struct x86_core *c, const struct x86_insn *i,
			      const struct x86_op *o)
{
	uint64_t ea = (uint64_t)o->disp;
	if (o->base != REG_NONE)
		ea += o->base == REG_RIP ? c->next_rip : c->st->gpr[o->base];
	if (o->index != REG_NONE)
		ea += c->st->gpr[o->index] * o->scale;
	if (i->asz == 4)
		ea = (uint32_t)ea;
	else if (i->asz == 2)
		ea &= 0xffff;
	return ea;
}

static inline uint64_t x86_op_read(struct x86_core *c, const struct x86_insn *i,
				   unsigned n)
{
	const struct x86_op *o = &i->op[n];
	if (o->kind == OPK_REG && o->rk == RK_GPR)
		return gpr_read(c, o->reg, o->size);
	if (o->kind == OPK_IMM)
		return (uint64_t)o->disp;
	if (o->kind == OPK_MEM && o->size && (o->size & (o->size - 1)) == 0 &&
	    o->size <= 8)
		return mem_read(c, o->seg, x86_ea(c, i, o), o->size);
	return x86_op_read_slow(c, i, n);
}

static inline void x86_op_write(struct x86_core *c, const struct x86_insn *i,
				unsigned n, uint64_t v)
{
	const struct x86_op *o = &i->op[n];
	if (o->kind == OPK_REG && o->rk == RK_GPR)
		gpr_write(c, o->reg, o->size, v);
	else if (o->kind == OPK_MEM && (o->size & (o->size - 1)) == 0 &&
		 o->size && o->size <= 8)
		mem_write(c, o->seg, x86_ea(c, i, o), o->size, v);
	else
		x86_op_write_slow(c, i, n, v);
}

/* Write a register with address-size semantics (RSI/RDI/RCX updates). */
static inline void reg_write_asz(struct x86_core *c, unsigned reg, unsigned asz,
				 uint64_t v)
{
	gpr_write(c, reg, asz, v);
}

static inline uint64_t sign_extend(uint64_t v, unsigned size)
{
	switch (size) {
	case 1:
		return (uint64_t)(int64_t)(int8_t)v;
	case 2:
		return (uint64_t)(int64_t)(int16_t)v;
	case 4:
		return (uint64_t)(int64_t)(int32_t)v;
	default:
		return v;
	}
}

/* flags (eager; inline because every ALU instruction needs them). Written
 * branch-free: the data-dependent branches on ZF/PF/CF mispredicted. */
static inline uint64_t szp(uint64_t res, unsigned size)
{
	res &= size_mask(size);
	/* PF: 0x9669 has bit n set when the nibble n has even parity */
	unsigned nib = (unsigned)(res ^ (res >> 4)) & 0xf;
	return ((uint64_t)(res == 0) << 6) | ((res >> (size * 8 - 1)) << 7) |
	       ((uint64_t)((0x9669u >> nib) & 1) << 2);
}

static inline uint64_t x86_flags_logic(uint64_t res, unsigned size)
{
	return szp(res, size);
}

static inline uint64_t x86_flags_add(uint64_t a, uint64_t b, uint64_t carry,
				     unsigned size)
{
	uint64_t m = size_mask(size);
	uint64_t res = (a + b + carry) & m;
	unsigned top = size * 8 - 1;
	uint64_t f = szp(res, size);

	a &= m;
	b &= m;
	f |= (uint64_t)((res < a) | ((carry != 0) & (res == a))); /* CF */
	f |= ((((a ^ res) & (b ^ res)) >> top) & 1) << 11;	  /* OF */
	f |= (a ^ b ^ res) & F_AF;
	return f;
}

static inline uint64_t x86_flags_sub(uint64_t a, uint64_t b, uint64_t borrow,
				     unsigned size)
{
	uint64_t m = size_mask(size);
	uint64_t res = (a - b - borrow) & m;
	unsigned top = size * 8 - 1;
	uint64_t f = szp(res, size);

	a &= m;
	b &= m;
	f |= (uint64_t)((a < b) | ((borrow != 0) & (a == b))); /* CF */
	f |= ((((a ^ b) & (a ^ res)) >> top) & 1) << 11;       /* OF */
	f |= (a ^ b ^ res) & F_AF;
	return f;
}

/* Condition code cc (Jcc/SETcc/CMOVcc encoding) of rflags, branch-free:
 * bit n of m is condition 2n (O, B, Z, BE, S, P, L, LE); odd cc negate. */
static inline bool x86_cond(uint64_t fl, unsigned cc)
{
	unsigned of = (fl >> 11) & 1, cf = fl & 1, zf = (fl >> 6) & 1;
	unsigned sf = (fl >> 7) & 1, pf = (fl >> 2) & 1, lt = sf ^ of;
	unsigned m = of | cf << 1 | zf << 2 | (cf | zf) << 3 | sf << 4 |
		     pf << 5 | lt << 6 | (zf | lt) << 7;
	return ((m >> ((cc >> 1) & 7)) ^ cc) & 1;
}
static inline void set_arith_flags(struct x86_core *c, uint64_t f)
{
	c->st->rflags = (c->st->rflags & ~F_ARITH) | f;
}

/* stack (exec_stack.c) */
unsigned x86_stack_size(struct x86_core *c); /* 2, 4, 8 */
void x86_push(struct x86_core *c, unsigned size, uint64_t v);
uint64_t x86_pop(struct x86_core *c, unsigned size);

/* seg.c */
void x86_load_seg(struct x86_core *c, unsigned seg, uint16_t sel);
/* Read descriptor for sel (GDT/LDT) into lo/hi (hi = second 8 bytes for
 * system descriptors in long mode when want16). Raises #GP(sel) if
 * outside the table. Returns linear address of the descriptor. */
uint64_t x86_read_desc(struct x86_core *c, uint16_t sel, uint64_t *lo,
		       uint32_t exc);
void x86_desc_to_seg(uint64_t d, uint16_t sel, struct x86_seg *s);
void x86_set_real_seg(struct x86_core *c, unsigned seg, uint16_t sel);
void x86_far_transfer(struct x86_core *c, uint16_t sel, uint64_t off, bool call,
		      unsigned osz);
void x86_far_return(struct x86_core *c, unsigned osz, uint16_t pop_extra);
void x86_iret(struct x86_core *c, unsigned osz);

/* Task switches are VM exits (SDM 25.1.2): report one; source is 0 CALL,
 * 1 IRET, 2 JMP, 3 IDT task gate. Does not return. */
_Noreturn void x86_task_switch(struct x86_core *c, uint16_t tss_sel,
			       unsigned source);

/* exception.c */
void x86_deliver_pending(struct x86_core *c);
void x86_deliver_event(struct x86_core *c, uint8_t vec, uint8_t type,
		       bool has_err, uint32_t err, uint64_t ret_rip);

/* exec_system.c */
/* I/O privilege (IOPL, TSS bitmap) then the I/O intercept; returns if the
 * core should carry the access out itself. */
void x86_io_check(struct x86_core *c, const struct x86_insn *i, uint16_t port,
		  unsigned size, bool in, bool string, bool rep);
void x86_write_cr0(struct x86_core *c, uint64_t v);
void x86_write_cr4(struct x86_core *c, uint64_t v);
void x86_write_cr3(struct x86_core *c, uint64_t v);
void x86_set_rflags(struct x86_core *c, uint64_t v, uint64_t mask);
uint64_t x86_rdtsc(struct x86_core *c);

#define HANDLER(name) void name(struct x86_core *c, const struct x86_insn *i)

#endif
