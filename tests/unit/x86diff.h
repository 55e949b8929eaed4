/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86diff: differential testing of the software CPU (cpu/x86/) against the
 * host CPU. A case is a short sequence of random, valid CPL3 instructions
 * with a random initial register/flag/memory state; it runs natively in a
 * forked child and on the core, and the architecturally defined results are
 * compared.
 *
 * Shared by tests/unit/test_x86_diff*.c and tests/fuzz/. These helpers are
 * linked into every unit-test binary, so every symbol is prefixed x86diff_
 * and nothing runs unless called.
 */
#ifndef KVMINI_TESTS_X86DIFF_H
#define KVMINI_TESTS_X86DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The same linear addresses are used natively and on the core. */
#define X86DIFF_CODE_ADDR ((uint64_t)0x10000000)
#define X86DIFF_CODE_SIZE 0x2000u
#define X86DIFF_DATA_ADDR ((uint64_t)0x20000000)
#define X86DIFF_DATA_SIZE 0x4000u
/* The sequence's stack lives at the top of the data buffer (compared). */
#define X86DIFF_STACK_TOP (X86DIFF_DATA_ADDR + X86DIFF_DATA_SIZE - 0x200)

/* RFLAGS bits. */
#define X86DIFF_CF   (1u << 0)
#define X86DIFF_PF   (1u << 2)
#define X86DIFF_AF   (1u << 4)
#define X86DIFF_ZF   (1u << 6)
#define X86DIFF_SF   (1u << 7)
#define X86DIFF_TF   (1u << 8)
#define X86DIFF_IF   (1u << 9)
#define X86DIFF_DF   (1u << 10)
#define X86DIFF_OF   (1u << 11)
#define X86DIFF_IOPL (3u << 12)
#define X86DIFF_AC   (1u << 18)
#define X86DIFF_ID   (1u << 21)
#define X86DIFF_ARITH                                                          \
	(X86DIFF_CF | X86DIFF_PF | X86DIFF_AF | X86DIFF_ZF | X86DIFF_SF |      \
	 X86DIFF_OF)
/* What a CPL3 sequence can observe or change (not TF/RF/NT/VM/VIF/VIP). */
#define X86DIFF_CMP_FLAGS                                                      \
	(X86DIFF_ARITH | X86DIFF_IF | X86DIFF_DF | X86DIFF_IOPL | X86DIFF_AC | \
	 X86DIFF_ID)

/* Instruction classes; a run can be restricted to a subset. */
enum x86diff_class {
	X86DIFF_C_ALU, /* add adc sub sbb and or xor cmp test inc dec neg not */
	X86DIFF_C_SHIFT,   /* shl shr sar rol ror rcl rcr shld shrd */
	X86DIFF_C_MULDIV,  /* mul imul(1/2/3) div idiv */
	X86DIFF_C_BIT,	   /* bt bts btr btc bsf bsr */
	X86DIFF_C_STRING,  /* movs stos lods scas cmps, rep/repe/repne */
	X86DIFF_C_COND,	   /* cmovcc setcc */
	X86DIFF_C_XCHG,	   /* xchg cmpxchg xadd (lock on memory) */
	X86DIFF_C_MOV,	   /* mov movzx movsx movsxd lea bswap xlat */
	X86DIFF_C_CONVERT, /* cbw cwde cdqe cwd cdq cqo */
	X86DIFF_C_FLAGS,   /* lahf sahf pushf popf clc stc cmc cld std */
	X86DIFF_C_STACK,   /* push/pop pairs */
	X86DIFF_C_BRANCH, /* jcc jmp jrcxz loop(cc) call ret jmp r/m, forward */
	X86DIFF_C_EXTRA,  /* popcnt lzcnt tzcnt movbe enter/leave */
	X86DIFF_C_FAULT,  /* a last instruction that faults: #PF #GP #SS #UD
			     #DE #BP, compared with vector, error code, CR2 */
	X86DIFF_C_SMC,	  /* self-modifying code: stores into the instructions
			     about to run (the code is writable in such cases) */
	X86DIFF_C_X87,	  /* x87: loads/stores (m32/m64/m80, integers),
			     arithmetic, compares, constants, FPU control;
			     the stack depth is unchanged across each group */
	X86DIFF_C_X87EXT, /* x87 groups that also use f2xm1 fyl2x(p1) fptan
			     fpatan fxtract fprem(1) fsin fcos fsincos */
	X86DIFF_C_SSE,	  /* SSE/SSE2: moves, packed integer, logic, shuffles,
			     PS/PD/SS/SD arithmetic, compares, (U)COMIS,
			     conversions; XMM0-15 and MXCSR compared */
	X86DIFF_C_FXSAVE, /* fxsave(64)/fxrstor(64) round trips, ldmxcsr,
			     stmxcsr (FIP/FDP/FOP cleared: generation
			     dependent) */
	X86DIFF_C_SEG,	  /* lar lsl verr verw, mov ds/es/ss (Linux's GDT) */
	X86DIFF_C_BCD,	  /* aaa aas daa das aam aad: 32-bit code only (so
			     only in compat32 cases). AAA/AAS with AL > 0xf9
			     differ between CPU generations: the host decides */
	X86DIFF_C_COMPAT, /* a mode, not instructions: about half the cases
			     run as 32-bit compatibility-mode code (CS.L=0,
			     no REX, 40-4F = inc/dec, pusha/popa) */
	X86DIFF_C_COUNT
};
#define X86DIFF_ALL_CLASSES ((1u << X86DIFF_C_COUNT) - 1)

const char *x86diff_class_name(enum x86diff_class c);
/* "alu,shift,..." -> mask; returns -1 on an unknown name. */
int x86diff_parse_classes(const char *list, uint32_t *mask);

struct x86diff_regs {
	uint64_t gpr[16]; /* enum x86_reg order: rax rcx rdx rbx rsp ... */
	uint64_t rip;
	uint64_t rflags;
	uint8_t xmm[16][16];
	uint32_t mxcsr;	   /* all exceptions masked; RC and flags vary */
	uint16_t fcw, fsw; /* x87: exceptions masked, PC extended */
	uint8_t ftw;	   /* abridged tag, bit n = physical R<n> valid */
	uint8_t st[8][10]; /* ST(0)..ST(7), stack order as in FXSAVE */
};

#define X86DIFF_MAX_INSNS 160

struct x86diff_case {
	uint64_t seed;
	uint8_t code[X86DIFF_CODE_SIZE];
	uint32_t entry; /* code offset of the first instruction */
	uint32_t len;	/* code offset of the end marker */
	uint32_t ninsn; /* instruction start offsets, for disassembly */
	uint16_t insn_off[X86DIFF_MAX_INSNS];
	/* insn starts a group (a point where a prefix of the case is itself
	 * a valid case: setup and fix-ups are never cut off) */
	bool group_start[X86DIFF_MAX_INSNS];
	uint32_t undef_flags; /* flags undefined at the end, on any path */
	uint32_t undef_any;   /* ... or at any point (a fault mid-way) */
	uint32_t classes;     /* classes used */
	struct x86diff_regs init;
	uint8_t data[X86DIFF_DATA_SIZE];
	const char *name; /* hand-written and regression cases */
	bool compat;	  /* 32-bit compatibility-mode code (CS 0x23) */
	bool smc;	  /* the code pages are writable */
};

/* How a run ended. */
enum x86diff_end {
	X86DIFF_END_MARKER, /* reached the end marker, rip = marker */
	X86DIFF_END_FAULT,  /* exception `vector`, rip = faulting insn */
	X86DIFF_END_ERROR,  /* the harness failed: see `msg` */
};

struct x86diff_result {
	enum x86diff_end end;
	int vector;
	uint32_t error; /* error code (#GP #SS #PF ...) */
	uint64_t cr2;	/* #PF: faulting linear address */
	struct x86diff_regs regs;
	uint8_t data[X86DIFF_DATA_SIZE];
	char msg[160];
};

/* Generator. max_groups is the number of generated units (an instruction
 * plus the setup it needs to stay in bounds). */
void x86diff_gen(struct x86diff_case *c, uint64_t seed, uint32_t classes,
		 unsigned min_groups, unsigned max_groups);

/* A hand-assembled case: bytes, the flags left undefined, a name. Initial
 * state comes from `seed`; `setup` may adjust it (may be NULL). */
struct x86diff_fixed {
	const char *name;
	const uint8_t *bytes;
	uint32_t len;
	uint32_t undef_flags;
	uint32_t classes; /* with the compat32 bit: 32-bit code */
	void (*setup)(struct x86diff_case *c);
};
void x86diff_from_bytes(struct x86diff_case *c, const struct x86diff_fixed *f,
			uint64_t seed);
extern const struct x86diff_fixed x86diff_fixed_cases[];
extern const size_t x86diff_nr_fixed_cases;

/*
 * The classes this host can run natively (CPUID features: popcnt, lzcnt,
 * movbe, clflushopt for `extra`, SSE3's fisttp for `x87`; a 32-bit user
 * code segment for `compat32`; Intel for `bcd`, whose AAA/AAS vary).
 * Writes what is missing to `why` (may be NULL).
 */
uint32_t x86diff_host_classes(char *why, size_t whylen);

/* Native run in a forked child. Returns 0, or -1 if the fork itself failed. */
int x86diff_run_native(const struct x86diff_case *c, struct x86diff_result *r);

/* Compare two results with the case's undefined flags masked.
 * Returns true when equal; otherwise writes a description to `out`. */
bool x86diff_compare(const struct x86diff_case *c,
		     const struct x86diff_result *want,
		     const struct x86diff_result *got, FILE *out);

/* FSW bits left out of the comparison (0; fuzz-cpu -F, for triage). */
extern uint16_t x86diff_fsw_ignore;

void x86diff_print_case(const struct x86diff_case *c, FILE *out);
void x86diff_print_result(const char *who, const struct x86diff_result *r,
			  FILE *out);
/* Disassemble one instruction; returns its length, 0 if undecodable. */
unsigned x86diff_disasm(const uint8_t *p, size_t len, uint64_t addr, char *buf,
			size_t bufsz);
/* ... as 32-bit code when m32 */
unsigned x86diff_disasm_mode(const uint8_t *p, size_t len, uint64_t addr,
			     char *buf, size_t bufsz, bool m32);

/* Small deterministic PRNG (xorshift64*). */
static inline uint64_t x86diff_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A random valid 80-bit extended value (x87). */
void x86diff_rand_ext(uint64_t *rng, uint8_t out[10]);

#endif
