/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to cpu/ (outside cpu/x86/): the logical-processor object and
 * the helpers model.c, cpuid.c, msr.c and vmx/ share.
 */
#ifndef KVMINI_CPU_INTERNAL_H
#define KVMINI_CPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <x86/msr-index.h>
#include <x86/processor-flags.h>

#include "cpu/cpu.h"
#include "cpu/x86/x86.h"

struct vmcs;
struct vmx_tlb;

/* Physical/linear address width the silicon reports (CPUID 0x80000008). */
#define CPU_MAXPHYADDR 48
#define CPU_PA_MASK    ((1ull << CPU_MAXPHYADDR) - 1)

/* CR0 bits the silicon implements (also IA32_VMX_CR0_FIXED1). */
#define CPU_CR0_SUPPORTED 0xe005003full
/* CR4 bits the silicon implements (cpu/x86/FEATURES.md): VME..OSXMMEXCPT,
 * UMIP, SMEP, SMAP; plus VMXE with VMX. */
#define CPU_CR4_SUPPORTED_BASE (0xfffull | (1ull << 20) | (1ull << 21))

struct cpu {
	struct cpu_model model;
	unsigned index;

	/* Host (VMX-root) state the seam exposes. */
	uint64_t cr0, cr3, cr4;
	uint64_t efer, pat, apic_base, feature_control, debugctl;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask, fs_base, gs_base, kernel_gs_base;
	int64_t tsc_offset; /* IA32_TSC = host TSC + tsc_offset */
	/* Registers shared by root and non-root operation (cpu_gprs ...). */
	uint64_t gpr[16];
	uint64_t cr2, cr8;
	uint64_t dr[4], dr6;

	/* VMX operation (SDM 23.x). */
	bool vmx_operation;
	struct vmcs *vmxon_region;
	struct vmcs *current_vmcs; /* NULL = invalid current-VMCS pointer */

	/* Non-root execution. */
	struct x86_state guest;
	struct x86_core *core; /* NULL until cpu/x86 provides x86_run */
	struct vmx_tlb *tlb;
	uint64_t vm_entries, vm_exits; /* cpu_get_stats() */
	char diag[96];		       /* cpu_exit_diag() */
	/* IA32_VMX_* MSRs 0x480..0x490, computed once from the model. */
	uint64_t vmx_cap[17];
	uint32_t vmx_cap_present; /* bit (msr - 0x480) */
	volatile int kick;	  /* cpu_kick(); polled by the core */
};

/* model.c */
uint64_t cpu_cr4_supported(const struct cpu *cpu);

/* vmx/caps.c: compute the VMX capability MSRs from the model. */
void vmx_caps_init(struct cpu *cpu);

/* The VMX capability MSR msr, if this CPU has it. */
static inline bool cpu_vmx_cap_msr(const struct cpu *cpu, uint32_t msr,
				   uint64_t *val)
{
	uint32_t i = msr - 0x480u;

	if (i > 16 || !(cpu->vmx_cap_present & (1u << i)))
		return false;
	*val = cpu->vmx_cap[i];
	return true;
}
/* Host TSC as IA32_TSC reads it. */
uint64_t cpu_read_tsc(const struct cpu *cpu);

static inline bool cpu_has(const struct cpu *cpu, enum cpu_feature f)
{
	return (cpu->model.features >> f) & 1;
}

/* Allowed-0 (low dword) / allowed-1 (high dword) check of a control word. */
static inline bool vmx_control_ok(uint64_t cap, uint32_t val)
{
	uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);

	return (val & must1) == must1 && (val & ~may1) == 0;
}

#endif
