// SPDX-License-Identifier: GPL-2.0
/*
 * A logical processor of the software CPU: creation, host control
 * registers, and the cross-thread kick.
 */
#include <stdlib.h>

#include <x86/apicdef.h>
#include <x86/vmx.h>

#include "cpu/internal.h"
#include "cpu/vmx/core_glue.h"
#include "cpu/vmx/tlb.h"

/* Host state at "boot": 64-bit paging on, as the OS that runs KVM has it. */
#define HOST_CR0_RESET                                                         \
	(X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |      \
	 X86_CR0_AM | X86_CR0_PG)
#define HOST_CR4_RESET (X86_CR4_PAE | X86_CR4_PGE)
#define PAT_RESET      0x0007040600070406ull

struct cpu *cpu_create(const struct cpu_model *model, unsigned index)
{
	struct cpu *cpu = calloc(1, sizeof(*cpu));

	if (!cpu)
		return NULL;
	cpu->model = *model;
	cpu->index = index;
	cpu->cr0 = HOST_CR0_RESET;
	cpu->cr4 = HOST_CR4_RESET;
	cpu->efer = EFER_SCE | EFER_LME | EFER_LMA;
	if (cpu_has(cpu, CPU_FEAT_NX))
		cpu->efer |= EFER_NX;
	cpu->pat = PAT_RESET;
	/* No local APIC in the silicon: global enable stays clear. */
	cpu->apic_base =
	    APIC_DEFAULT_PHYS_BASE | (index == 0 ? MSR_IA32_APICBASE_BSP : 0);
	/* The firmware locked IA32_FEATURE_CONTROL with VMX enabled. */
	cpu->feature_control = FEAT_CTL_LOCKED;
	if (cpu_has(cpu, CPU_FEAT_VMX))
		cpu->feature_control |= FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
	cpu->dr6 = 0xffff0ff0;
	vmx_caps_init(cpu);
	cpu->tlb = vmx_tlb_create();
	cpu->core = vmx_core_create();
	if (!cpu->tlb || !cpu->core) {
		cpu_destroy(cpu);
		return NULL;
	}
	vmx_core_ctl(cpu)->no_jit = !cpu_has(cpu, CPU_FEAT_JIT);
	return cpu;
}

void cpu_destroy(struct cpu *cpu)
{
	if (!cpu)
		return;
	vmx_core_destroy(cpu->core);
	vmx_tlb_destroy(cpu->tlb);
	free(cpu);
}

const struct cpu_model *cpu_get_model(const struct cpu *cpu)
{
	return &cpu->model;
}

uint64_t cpu_read_cr0(struct cpu *cpu)
{
	return cpu->cr0;
}

uint64_t cpu_read_cr4(struct cpu *cpu)
{
	return cpu->cr4;
}

int cpu_write_cr4(struct cpu *cpu, uint64_t val)
{
	if (val & ~cpu_cr4_supported(cpu))
		return -1;
	/* In VMX operation CR4 must keep obeying CR4_FIXED0 (VMXE). */
	if (cpu->vmx_operation && !(val & X86_CR4_VMXE))
		return -1;
	/* Long mode needs PAE. */
	if ((cpu->efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -1;
	cpu->cr4 = val;
	return 0;
}

void cpu_kick(struct cpu *cpu)
{
	__atomic_store_n(&cpu->kick, 1, __ATOMIC_RELEASE);
}

uint64_t *cpu_gprs(struct cpu *cpu)
{
	return cpu->gpr;
}

uint64_t cpu_read_cr2(struct cpu *cpu)
{
	return cpu->cr2;
}

void cpu_write_cr2(struct cpu *cpu, uint64_t val)
{
	cpu->cr2 = val;
}

uint64_t cpu_read_dr(struct cpu *cpu, unsigned n)
{
	if (n < 4)
		return cpu->dr[n];
	return n == 6 ? cpu->dr6 : 0;
}

void cpu_write_dr(struct cpu *cpu, unsigned n, uint64_t val)
{
	if (n < 4)
		cpu->dr[n] = val;
	else if (n == 6)
		cpu->dr6 = val;
}

const char *cpu_exit_diag(struct cpu *cpu)
{
	return cpu->diag;
}
