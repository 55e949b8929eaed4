// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs reachable through the VM-entry MSR-load and VM-exit
 * MSR-store areas (SDM 26.4, 27.4): those kept in the guest's x86_state.
 */
#include "cpu/vmx/vmx_state.h"

enum {
	MSR_SYSENTER_CS = 0x174,
	MSR_SYSENTER_ESP = 0x175,
	MSR_SYSENTER_EIP = 0x176,
	MSR_DEBUGCTL = 0x1d9,
	MSR_PAT = 0x277,
	MSR_EFER = 0xc0000080,
	MSR_STAR = 0xc0000081,
	MSR_LSTAR = 0xc0000082,
	MSR_CSTAR = 0xc0000083,
	MSR_SFMASK = 0xc0000084,
	MSR_FS_BASE = 0xc0000100,
	MSR_GS_BASE = 0xc0000101,
	MSR_KERNEL_GS_BASE = 0xc0000102,
	MSR_TSC_AUX = 0xc0000103,
};

static uint64_t *guest_msr(struct cpu *cpu, uint32_t msr, bool *canon)
{
	struct x86_state *g = &cpu->guest;

	*canon = true;
	switch (msr) {
	case MSR_SYSENTER_ESP:
		return &g->sysenter_esp;
	case MSR_SYSENTER_EIP:
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
	case MSR_SYSENTER_CS:
		return &g->sysenter_cs;
	case MSR_DEBUGCTL:
		return &g->debugctl;
	case MSR_PAT:
		return &g->pat;
	case MSR_EFER:
		return &g->efer;
	case MSR_STAR:
		return &g->star;
	case MSR_SFMASK:
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
	if (msr == MSR_PAT && !vmx_pat_valid(val))
		return -1;
	if (msr == MSR_EFER) {
		uint64_t ok = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA |
			      (cpu_has(cpu, CPU_FEAT_NX) ? X86_EFER_NX : 0);

		/* LMA is not writable through the list (SDM 26.4). */
		if (val & ~ok)
			return -1;
		val = (val & ~X86_EFER_LMA) | (*p & X86_EFER_LMA);
	}
	if ((msr == MSR_SFMASK || msr == MSR_TSC_AUX) && (val >> 32))
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
