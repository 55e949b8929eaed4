/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The boundary between the x86 execution core (cpu/x86/: decode, execute,
 * paging, exceptions) and the VMX logic (cpu/vmx/: VMCS, entry, exits,
 * EPT). VM entry loads a struct x86_state from the VMCS guest-state area and
 * calls x86_run(); the core executes until something VMX must decide
 * (an intercepted instruction, an EPT miss, an event) and reports it as a
 * struct x86_exit; VM exit stores the state back.
 *
 * Segment numbering and access-rights format are the VMCS's, so VM entry
 * and exit copy them without translation.
 */
#ifndef KVMINI_CPU_X86_H
#define KVMINI_CPU_X86_H

#include <stdbool.h>
#include <stdint.h>

enum x86_reg {
	X86_RAX,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
};

/* VMCS order (guest ES selector = 0x800, CS = 0x802, ...). */
enum x86_segreg {
	X86_ES,
	X86_CS,
	X86_SS,
	X86_DS,
	X86_FS,
	X86_GS,
	X86_LDTR,
	X86_TR,
	X86_NR_SEGS
};

/* Access rights as in the VMCS (SDM 24.4.1): type 3:0, S 4, DPL 6:5, P 7,
 * AVL 12, L 13, D/B 14, G 15, unusable 16. */
#define X86_AR_TYPE_MASK 0xfu
#define X86_AR_S	 (1u << 4)
#define X86_AR_DPL_SHIFT 5
#define X86_AR_P	 (1u << 7)
#define X86_AR_L	 (1u << 13)
#define X86_AR_DB	 (1u << 14)
#define X86_AR_G	 (1u << 15)
#define X86_AR_UNUSABLE	 (1u << 16)

struct x86_seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit; /* byte granular, already expanded */
	uint32_t ar;
};

struct x86_dtable {
	uint64_t base;
	uint32_t limit;
};

/* Interruptibility state bits (VMCS 0x4824). */
#define X86_INTR_BLOCK_STI    (1u << 0)
#define X86_INTR_BLOCK_MOV_SS (1u << 1)
#define X86_INTR_BLOCK_NMI    (1u << 3)

enum x86_activity { X86_ACTIVE = 0, X86_HLT = 1, X86_SHUTDOWN = 2 };

/*
 * x87/SSE register file (not in the VMCS: like the GPRs it is simply the
 * processor's state and persists across VM entry/exit). Field meanings
 * follow the FXSAVE image. A zeroed struct (inited == false) is given
 * the power-on values (FCW 0x37f, MXCSR 0x1f80) on first use.
 */
struct x86_fpu {
	bool inited;
	uint16_t fcw, fsw, fop;
	uint8_t ftw;	   /* abridged tag: bit n set = R<n> in use */
	uint64_t fip, fdp; /* last x87 instruction / operand pointers */
	uint32_t mxcsr;
	uint8_t st[8][16]; /* physical R0-R7, 80-bit values in bytes 0-9 */
	uint8_t xmm[16][16];
};

struct x86_state {
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
	struct x86_seg seg[X86_NR_SEGS];
	struct x86_dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t dr[8]; /* dr[4], dr[5] unused */
	uint64_t efer;
	uint64_t pat;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
	uint64_t debugctl;
	uint32_t interruptibility;
	enum x86_activity activity;
	struct x86_fpu fpu;
};

/* ---- execution API ------------------------------------------------- */

/*
 * Everything below is the contract between the core and its users: VMX
 * (cpu/vmx/), and standalone users (unit tests, the differential tester).
 * The core never allocates or calls Zydis for an instruction it has already
 * decoded; guest memory is reached only through x86_env_ops.gpa_to_hva.
 */

struct x86_core; /* per-logical-processor caches: soft TLB, decoded code */

/* SDM Appendix C basic exit reasons the core can produce. */
enum x86_exit_reason {
	X86_EXIT_EXCEPTION_NMI = 0,
	X86_EXIT_EXTERNAL_INTERRUPT = 1,
	X86_EXIT_TRIPLE_FAULT = 2,
	X86_EXIT_INTERRUPT_WINDOW = 7,
	X86_EXIT_NMI_WINDOW = 8,
	X86_EXIT_TASK_SWITCH = 9,
	X86_EXIT_CPUID = 10,
	X86_EXIT_GETSEC = 11,
	X86_EXIT_HLT = 12,
	X86_EXIT_INVD = 13,
	X86_EXIT_INVLPG = 14,
	X86_EXIT_RDPMC = 15,
	X86_EXIT_RDTSC = 16,
	X86_EXIT_RSM = 17,
	X86_EXIT_VMCALL = 18,
	X86_EXIT_VMCLEAR = 19,
	X86_EXIT_VMLAUNCH = 20,
	X86_EXIT_VMPTRLD = 21,
	X86_EXIT_VMPTRST = 22,
	X86_EXIT_VMREAD = 23,
	X86_EXIT_VMRESUME = 24,
	X86_EXIT_VMWRITE = 25,
	X86_EXIT_VMXOFF = 26,
	X86_EXIT_VMXON = 27,
	X86_EXIT_CR_ACCESS = 28,
	X86_EXIT_DR_ACCESS = 29,
	X86_EXIT_IO_INSTRUCTION = 30,
	X86_EXIT_MSR_READ = 31,
	X86_EXIT_MSR_WRITE = 32,
	X86_EXIT_MWAIT = 36,
	X86_EXIT_MTF = 37,
	X86_EXIT_MONITOR = 39,
	X86_EXIT_PAUSE = 40,
	X86_EXIT_GDTR_IDTR = 46,
	X86_EXIT_LDTR_TR = 47,
	X86_EXIT_EPT_VIOLATION = 48,
	X86_EXIT_EPT_MISCONFIG = 49,
	X86_EXIT_INVEPT = 50,
	X86_EXIT_RDTSCP = 51,
	X86_EXIT_INVVPID = 53,
	X86_EXIT_WBINVD = 54,
	X86_EXIT_XSETBV = 55,
	X86_EXIT_RDRAND = 57,
	X86_EXIT_INVPCID = 58,
	X86_EXIT_RDSEED = 61,

	/*
	 * Core stops that are not VM exits by themselves; VMX decides what
	 * they become. All are >= X86_STOP_BASE.
	 */
	X86_STOP_BASE = 0x10000,
	X86_STOP_KICK = X86_STOP_BASE, /* *ctl.kick was set: VMX turns this into
					  EXTERNAL_INTERRUPT (or re-enters) */
	X86_STOP_HALTED,	       /* HLT not intercepted: activity = HLT */
	X86_STOP_SHUTDOWN,	       /* (unused today: triple fault is
					  X86_EXIT_TRIPLE_FAULT) */
	X86_STOP_BUDGET,	       /* ctl.insn_budget instructions ran */
	X86_STOP_UNIMPLEMENTED,	       /* exit.rip/.mnemonic name it; the
					  guest state is as before it */
	X86_STOP_INTERNAL,	       /* core bug or bad state; .mnemonic
					  carries a message */
};

/* Interruption types (SDM 24.8.3 / 27.2.2). */
enum x86_event_type {
	X86_EVT_EXT_INT = 0,
	X86_EVT_NMI = 2,
	X86_EVT_HW_EXC = 3,
	X86_EVT_SW_INT = 4,	 /* INT n */
	X86_EVT_PRIV_SW_EXC = 5, /* INT1 (ICEBP) */
	X86_EVT_SW_EXC = 6,	 /* INT3, INTO */
};

/* Interruption-information word layout (VM-exit interruption info,
 * IDT-vectoring info, VM-entry interruption info). */
#define X86_INTR_INFO_VECTOR_MASK 0xffu
#define X86_INTR_INFO_TYPE_SHIFT  8
#define X86_INTR_INFO_ERROR_VALID (1u << 11)
#define X86_INTR_INFO_NMI_UNBLOCK (1u << 12)
#define X86_INTR_INFO_VALID	  (1u << 31)

/* Exception vectors. */
enum {
	X86_EXC_DE = 0,
	X86_EXC_DB = 1,
	X86_EXC_NMI = 2,
	X86_EXC_BP = 3,
	X86_EXC_OF = 4,
	X86_EXC_BR = 5,
	X86_EXC_UD = 6,
	X86_EXC_NM = 7,
	X86_EXC_DF = 8,
	X86_EXC_TS = 10,
	X86_EXC_NP = 11,
	X86_EXC_SS = 12,
	X86_EXC_GP = 13,
	X86_EXC_PF = 14,
	X86_EXC_MF = 16,
	X86_EXC_AC = 17,
	X86_EXC_MC = 18,
	X86_EXC_XM = 19,
};

/*
 * Everything VMX needs to fill the VM-exit information fields. The core
 * fills the fields that apply to .reason, zeroes the rest.
 * Instruction exits happen before the instruction executes: state.rip
 * points at it, and insn_len says how far to advance to skip it.
 */
struct x86_exit {
	uint32_t reason;	/* enum x86_exit_reason */
	uint64_t qualification; /* SDM 27.2.1 */
	uint32_t insn_len;
	uint32_t insn_info; /* VM-exit instruction information */
	uint64_t gla;	    /* guest-linear address (valid if gla_valid) */
	bool gla_valid;
	uint64_t gpa;	    /* guest-physical address (EPT exits) */
	uint32_t intr_info; /* exception exits (X86_INTR_INFO_*) */
	uint32_t intr_error;
	uint32_t idt_vectoring_info; /* exit while delivering an event */
	uint32_t idt_vectoring_error;
	/* diagnostics, any reason: where and what */
	uint64_t rip;	   /* linear CS.base + RIP of the instruction */
	char mnemonic[32]; /* e.g. "vpgatherdd" for X86_STOP_UNIMPLEMENTED */
};

/* Access kinds for gpa_to_hva (bit set). */
#define X86_ACC_READ   1u
#define X86_ACC_WRITE  2u
#define X86_ACC_EXEC   4u
#define X86_ACC_PTWALK 8u  /* guest paging-structure access (walk or A/D) */
#define X86_ACC_USER   16u /* CPL3 access (informational) */

/*
 * What the core asks env->intercept about. The core pre-fills *exit (see
 * x86_env_ops.intercept) with the SDM exit information; these are the
 * inputs VMX needs to decide (bitmaps, masks, exception bitmap + PFEC).
 */
struct x86_intercept {
	uint32_t reason; /* = exit->reason: what this event would be */
	/* X86_EXIT_IO_INSTRUCTION */
	uint16_t port;
	uint8_t io_size; /* 1, 2, 4 */
	bool io_in, io_string, io_rep;
	/* X86_EXIT_MSR_READ / _WRITE */
	uint32_t msr;
	uint64_t msr_value; /* WRMSR: EDX:EAX */
	/* X86_EXIT_CR_ACCESS / _DR_ACCESS (MOV, CLTS, LMSW) */
	uint8_t cr_dr;	/* register number */
	bool write;	/* to CR/DR */
	uint64_t value; /* new value for writes (CR0/CR4 mask test) */
	/* X86_EXIT_EXCEPTION_NMI: the exception about to be delivered */
	uint8_t vector;
	bool has_error;
	uint32_t error_code; /* #PF: for PFEC_MASK/PFEC_MATCH */
};

struct x86_env_ops {
	/*
	 * Guest-physical -> host pointer, for an access of kind `access`
	 * (X86_ACC_*), at guest-linear `gla` when gla_valid. The pointer is
	 * valid up to the end of gpa's 4 KiB page and may be cached by the
	 * core until a flush (x86_flush_*). Return 0 with *hva set, or
	 * nonzero with *exit filled (EPT violation / misconfig); the core
	 * then adds IDT-vectoring info and stops.
	 */
	int (*gpa_to_hva)(void *env, uint64_t gpa, unsigned access,
			  uint64_t gla, bool gla_valid, void **hva,
			  struct x86_exit *exit);
	/*
	 * Is this instruction/event intercepted? *exit is pre-filled with
	 * the exit this would be (reason, qualification, insn_len,
	 * insn_info, intr info...). Return true to stop with it (you may
	 * edit *exit), false to let the core carry it out itself. NULL
	 * means "never intercept". CPUID is always an exit: the core has no
	 * CPUID of its own (a false return on CPUID gives #UD). Also offered:
	 * MOV from CR0/3/4/8 and DR (write=false; VMX answers false for the
	 * ones that never exit), every exception before delivery (exception
	 * bitmap / PFEC), I/O after the IOPL/TSS-bitmap checks, MSR accesses
	 * before the core's own MSRs, and TASK_SWITCH (the core cannot
	 * switch tasks itself: false stops as unimplemented).
	 */
	bool (*intercept)(void *env, const struct x86_intercept *what,
			  struct x86_exit *exit);
};

/*
 * VMX-owned controls the core honours while running (plain data; VMX sets
 * them from the VMCS before x86_run). Zero = bare CPU behaviour.
 */
struct x86_ctl {
	/* CR0/CR4 guest/host masks and read shadows (MOV from CR, SMSW):
	 * reads return shadow bits where the mask is 1. */
	uint64_t cr0_mask, cr0_shadow, cr4_mask, cr4_shadow;
	int64_t tsc_offset; /* RDTSC/RDTSCP/IA32_TSC read: host + offset */
	bool intr_window_exiting; /* stop with INTERRUPT_WINDOW when open */
	bool nmi_window_exiting;
	bool mtf;	      /* MONITOR TRAP FLAG: exit after each insn */
	uint64_t insn_budget; /* 0 = none; else X86_STOP_BUDGET after ~N */
	/* Set by another thread (cpu_kick): the core polls it between
	 * instructions/blocks and stops with X86_STOP_KICK (and leaves it
	 * set; the owner clears it). NULL = no polling. */
	const volatile int *kick;
	/* Test-only: linear == physical, no page walk, even with CR0.PG=1
	 * (lets the differential tester run flat 64-bit CPL3 code without
	 * page tables). */
	bool flat_paging;
	/* Instructions Zydis decodes but the core does not implement: false
	 * (default) stops with X86_STOP_UNIMPLEMENTED so the monitor can
	 * print them; true raises #UD in the guest instead. */
	bool unimplemented_ud;
	/* Interpret only: never translate code (the JIT is on by default
	 * where the host can run it; see cpu/x86/jit/jit.h). */
	bool no_jit;
	/* Counters for benchmarks/diagnostics (the core only adds). */
	uint64_t insns_retired;
};

struct x86_core *x86_core_create(void);
void x86_core_destroy(struct x86_core *core);
struct x86_ctl *x86_core_ctl(struct x86_core *core);

/*
 * Run the guest from *st until something VMX must decide; fill *exit and
 * return exit->reason. *st is always a consistent architectural state on
 * return (instruction boundary; for instruction exits RIP is at the
 * instruction).
 */
uint32_t x86_run(struct x86_state *st, struct x86_core *core,
		 const struct x86_env_ops *ops, void *env,
		 struct x86_exit *exit);

/*
 * Deliver an event now, as VM-entry event injection does (SDM 26.6):
 * through the IVT/IDT, pushing a frame, loading CS:RIP. insn_len is the
 * VM-entry instruction length for software events (RIP is advanced by it
 * before pushing). Returns 0 if delivered, else the exit it caused
 * (EPT violation with IDT-vectoring info, TRIPLE_FAULT, an intercepted
 * nested exception ...) in *exit and its reason. An intercepted exception
 * exits with reason 0 (EXCEPTION_NMI) too: tell it from a delivery by
 * exit->intr_info's valid bit.
 */
struct x86_event {
	uint8_t vector;
	uint8_t type; /* enum x86_event_type */
	bool has_error;
	uint32_t error_code;
	uint32_t insn_len;
};
uint32_t x86_inject_event(struct x86_state *st, struct x86_core *core,
			  const struct x86_env_ops *ops, void *env,
			  const struct x86_event *ev, struct x86_exit *exit);

/* Can a maskable interrupt be taken now (RFLAGS.IF, no STI/MOV-SS
 * shadow)? An NMI (no NMI blocking, no MOV-SS shadow)? */
bool x86_interrupt_window_open(const struct x86_state *st);
bool x86_nmi_window_open(const struct x86_state *st);

/*
 * Cache flushes. The core caches linear->host translations (soft TLB,
 * which includes env->gpa_to_hva results) and decoded instructions.
 *   x86_flush_tlb: all translations (global too if `global`); VMX calls it
 *     on VM entry/exit without VPID, INVEPT, INVVPID, EPT/memslot changes.
 *   x86_flush_tlb_gla: one linear page (INVVPID individual address).
 *   x86_code_written: guest-physical range [gpa, gpa+len) was written by
 *     someone other than a core (a device, the monitor, a loader): drop
 *     decoded code there, for every core (page generations are shared by
 *     all cores of the process, so cores see each other's writes: a core
 *     drops its write TLB entries when another marks new code pages, at
 *     its next instruction-stretch boundary).
 *   x86_flush_code: drop all decoded code.
 */
void x86_flush_tlb(struct x86_core *core, bool global);
void x86_flush_tlb_gla(struct x86_core *core, uint64_t gla);
void x86_code_written(struct x86_core *core, uint64_t gpa, uint64_t len);
void x86_flush_code(struct x86_core *core);

/* "CPUID", "EPT_VIOLATION", "STOP_KICK"... for logs. */
const char *x86_exit_reason_name(uint32_t reason);

/*
 * Convenience for tests and the differential tester: a flat 64-bit long
 * mode state (CS.L, flat segments with base 0, CR0.PE|PG, CR4.PAE,
 * EFER.LME|LMA|SCE|NXE) at privilege `cpl` (0 or 3), RFLAGS = 0x202.
 * Combine with ctl.flat_paging (no page tables) or set CR3 yourself.
 */
void x86_state_init_flat64(struct x86_state *st, unsigned cpl);
/* Real-mode reset-like state: CS:IP = cs:ip, segments base = sel << 4. */
void x86_state_init_real(struct x86_state *st, uint16_t cs, uint16_t ip);

#endif
