// SPDX-License-Identifier: GPL-2.0
/*
 * RDMSR/WRMSR of the host (VMX-root) side. Unknown MSRs #GP (-1), so
 * KVM's kvm_init_msr_list() can probe with rdmsr_safe semantics.
 */
#include <x86intrin.h>

#include <x86/vmx.h>

#include "cpu/internal.h"

/* DEBUGCTL bits the silicon keeps: LBR (0), BTF (1). */
#define DEBUGCTL_SUPPORTED 0x3ull

static bool is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Each PAT entry must be a valid memory type (0, 1, 4, 5, 6, 7). */
static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static uint64_t efer_writable(const struct cpu *cpu)
{
	uint64_t m = EFER_SCE | EFER_LME;

	if (cpu_has(cpu, CPU_FEAT_NX))
		m |= EFER_NX;
	return m;
}

uint64_t cpu_read_tsc(const struct cpu *cpu)
{
	return __rdtsc() + (uint64_t)cpu->tsc_offset;
}

int cpu_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	if (cpu_vmx_cap_msr(cpu, msr, val))
		return 0;
	switch (msr) {
	case MSR_IA32_TSC:
		*val = cpu_read_tsc(cpu);
		return 0;
	case MSR_IA32_APICBASE:
		*val = cpu->apic_base;
		return 0;
	case MSR_IA32_FEAT_CTL:
		*val = cpu->feature_control;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*val = cpu->sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*val = cpu->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = cpu->sysenter_eip;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*val = cpu->debugctl;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = cpu->pat;
		return 0;
	case MSR_EFER:
		*val = cpu->efer;
		return 0;
	case MSR_STAR:
		*val = cpu->star;
		return 0;
	case MSR_LSTAR:
		*val = cpu->lstar;
		return 0;
	case MSR_CSTAR:
		*val = cpu->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*val = cpu->sfmask;
		return 0;
	case MSR_FS_BASE:
		*val = cpu->fs_base;
		return 0;
	case MSR_GS_BASE:
		*val = cpu->gs_base;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*val = cpu->kernel_gs_base;
		return 0;
	}
	return -1;
}

static int set_canonical(uint64_t *dst, uint64_t val)
{
	if (!is_canonical(val))
		return -1;
	*dst = val;
	return 0;
}

int cpu_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	uint64_t dummy;

	/* Capability MSRs are read-only. */
	if (cpu_vmx_cap_msr(cpu, msr, &dummy))
		return -1;
	switch (msr) {
	case MSR_IA32_TSC:
		cpu->tsc_offset = (int64_t)(val - __rdtsc());
		return 0;
	case MSR_IA32_APICBASE:
		/* No local APIC in the silicon: the base is fixed, BSP RO. */
		if ((val &
		     ~(MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_BSP)) !=
		    (cpu->apic_base &
		     ~(MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_BSP)))
			return -1;
		cpu->apic_base = (cpu->apic_base & ~MSR_IA32_APICBASE_ENABLE) |
				 (val & MSR_IA32_APICBASE_ENABLE);
		return 0;
	case MSR_IA32_FEAT_CTL:
		/* The "BIOS" locked it at reset. */
		return -1;
	case MSR_IA32_SYSENTER_CS:
		cpu->sysenter_cs = val & 0xffff;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		return set_canonical(&cpu->sysenter_esp, val);
	case MSR_IA32_SYSENTER_EIP:
		return set_canonical(&cpu->sysenter_eip, val);
	case MSR_IA32_DEBUGCTLMSR:
		if (val & ~DEBUGCTL_SUPPORTED)
			return -1;
		cpu->debugctl = val;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!pat_valid(val))
			return -1;
		cpu->pat = val;
		return 0;
	case MSR_EFER:
		if (val & ~(efer_writable(cpu) | EFER_LMA))
			return -1;
		/* LMA is read-only: it follows LME while paging is on. */
		cpu->efer =
		    (val & efer_writable(cpu)) |
		    ((val & EFER_LME) && (cpu->cr0 & X86_CR0_PG) ? EFER_LMA
								 : 0);
		return 0;
	case MSR_STAR:
		cpu->star = val;
		return 0;
	case MSR_LSTAR:
		return set_canonical(&cpu->lstar, val);
	case MSR_CSTAR:
		return set_canonical(&cpu->cstar, val);
	case MSR_SYSCALL_MASK:
		cpu->sfmask = val & 0xffffffffull;
		return 0;
	case MSR_FS_BASE:
		return set_canonical(&cpu->fs_base, val);
	case MSR_GS_BASE:
		return set_canonical(&cpu->gs_base, val);
	case MSR_KERNEL_GS_BASE:
		return set_canonical(&cpu->kernel_gs_base, val);
	}
	return -1;
}
