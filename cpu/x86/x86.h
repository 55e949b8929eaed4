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
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* VMCS order (guest ES selector = 0x800, CS = 0x802, ...). */
enum x86_segreg {
	X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_LDTR, X86_TR,
	X86_NR_SEGS
};

/* Access rights as in the VMCS (SDM 24.4.1): type 3:0, S 4, DPL 6:5, P 7,
 * AVL 12, L 13, D/B 14, G 15, unusable 16. */
#define X86_AR_TYPE_MASK 0xfu
#define X86_AR_S (1u << 4)
#define X86_AR_DPL_SHIFT 5
#define X86_AR_P (1u << 7)
#define X86_AR_L (1u << 13)
#define X86_AR_DB (1u << 14)
#define X86_AR_G (1u << 15)
#define X86_AR_UNUSABLE (1u << 16)

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
#define X86_INTR_BLOCK_STI (1u << 0)
#define X86_INTR_BLOCK_MOV_SS (1u << 1)
#define X86_INTR_BLOCK_NMI (1u << 3)

enum x86_activity { X86_ACTIVE = 0, X86_HLT = 1, X86_SHUTDOWN = 2 };

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
};

#endif
