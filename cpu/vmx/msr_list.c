// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs reachable through the VM-entry MSR-load and VM-exit
 * MSR-store areas (SDM 26.4, 27.4): those kept in the guest's x86_state.
 */
#include <x86/msr-index.h>

#include "cpu/vmx/vmx_state.h"

static uint64_t *guest_msr(struct cpu *cpu, uint32_t msr, bool *canon)
{
	struct x86_state *g = &cpu->guest;

	*canon = true;
	switch (msr) {
	case MSR_IA32_SYSENTER_ESP:
		return &g->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:
		return &g->sysenter_eip;
	case MSR_LSTAR:
		return &g->lstar;
	case MSR_CSTAR:
		return &g->cstar;
	case MSR_FS_BASE:
		return &g->seg[X86_FS].base;
	case MSR_GS_BASE:
		return &g->seg[X86_GS].base;
	case MSR_KERNEL_GS_BASE:
		return &g->kernel_gs_base;
	}
	*canon = false;
	switch (msr) {
	case MSR_IA32_SYSENTER_CS:
		return &g->sysenter_cs;
	case MSR_IA32_DEBUGCTLMSR:
		return &g->debugctl;
	case MSR_IA32_CR_PAT:
		return &g->pat;
	case MSR_EFER:
		return &g->efer;
	case MSR_STAR:
		return &g->star;
	case MSR_SYSCALL_MASK:
		return &g->sfmask;
	case MSR_TSC_AUX:
		return &g->tsc_aux;
	}
	return NULL;
}

int vmx_guest_msr_write(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	bool canon;
	uint64_t *p = guest_msr(cpu, msr, &canon);

	if (!p || (canon && !vmx_canonical(val)))
		return -1;
	if (msr == MSR_IA32_CR_PAT && !vmx_pat_valid(val))
		return -1;
	if (msr == MSR_EFER) {
		uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA |
			      (cpu_has(cpu, CPU_FEAT_NX) ? EFER_NX : 0);

		/* LMA is not writable through the list (SDM 26.4). */
		if (val & ~ok)
			return -1;
		val = (val & ~EFER_LMA) | (*p & EFER_LMA);
	}
	if ((msr == MSR_SYSCALL_MASK || msr == MSR_TSC_AUX) && (val >> 32))
		return -1;
	*p = val;
	return 0;
}

int vmx_guest_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	bool canon;
	uint64_t *p = guest_msr(cpu, msr, &canon);

	if (!p)
		return -1;
	*val = *p;
	return 0;
}
