// SPDX-License-Identifier: GPL-2.0
/*
 * VM exit (SDM ch. 27): record the exit information, save the guest state
 * to the VMCS, store the guest MSRs, load the host state. "Host RIP" is
 * the C caller of VMLAUNCH/VMRESUME, which simply returns.
 */
#include <string.h>
#include <x86intrin.h>

#include "cpu/vmx/ept.h"
#include "cpu/vmx/tlb.h"
#include "cpu/vmx/vmx_state.h"

static void record_exit_info(struct vmx_env *env, const struct x86_exit *ex,
			     uint32_t reason)
{
	struct vmcs *v = env->vmcs;
	bool ept_exit = reason == EXIT_REASON_EPT_VIOLATION ||
			reason == EXIT_REASON_EPT_MISCONFIG;

	VMCS(v, VM_EXIT_REASON) = reason;
	VMCS(v, EXIT_QUALIFICATION) = ex->qualification;
	VMCS(v, VM_EXIT_INTR_INFO) = (reason == EXIT_REASON_EXCEPTION_NMI ||
				      reason == EXIT_REASON_EXTERNAL_INTERRUPT)
					 ? ex->intr_info
					 : 0;
	VMCS(v, VM_EXIT_INTR_ERROR_CODE) = ex->intr_error;
	VMCS(v, IDT_VECTORING_INFO_FIELD) = ex->idt_vectoring_info;
	VMCS(v, IDT_VECTORING_ERROR_CODE) = ex->idt_vectoring_error;
	VMCS(v, VM_EXIT_INSTRUCTION_LEN) = ex->insn_len;
	VMCS(v, VMX_INSTRUCTION_INFO) = ex->insn_info;
	VMCS(v, GUEST_LINEAR_ADDRESS) = ex->gla_valid ? ex->gla : 0;
	if (ept_exit)
		VMCS(v, GUEST_PHYSICAL_ADDRESS) = ex->gpa;
	/* Every VM exit clears the entry interruption-information valid bit
	 * (a failed VM entry leaves it, SDM 26.8). */
	if (!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		VMCS(v, VM_ENTRY_INTR_INFO_FIELD) &=
		    ~(uint64_t)INTR_INFO_VALID_MASK;
}

/* With EPT and PAE paging the VMCS holds the PDPTEs (SDM 27.3.4). */
static void save_pdptrs(struct vmx_env *env)
{
	struct x86_state *g = &env->cpu->guest;
	struct x86_exit dummy;
	void *hva;

	if (!env->ept_on || !(g->cr0 & X86_CR0_PG) || !(g->cr4 & X86_CR4_PAE) ||
	    (g->efer & EFER_LMA))
		return;
	for (int i = 0; i < 4; i++) {
		uint64_t gpa = (g->cr3 & 0xffffffe0ull) + 8 * i;
		uint64_t pdpte = 0;

		if (!ept_translate(env->cpu, env->eptp, gpa, X86_ACC_READ, 0,
				   false, &hva, &dummy))
			memcpy(&pdpte, hva, 8);
		env->vmcs->field[VMCS_SLOT_GUEST_PDPTR0 + i] = pdpte;
	}
}

static void save_guest_state(struct vmx_env *env)
{
	struct cpu *cpu = env->cpu;
	struct vmcs *v = env->vmcs;
	struct x86_state *g = &cpu->guest;

	VMCS(v, GUEST_CR0) = g->cr0;
	VMCS(v, GUEST_CR3) = g->cr3;
	VMCS(v, GUEST_CR4) = g->cr4;
	if (env->exit_ctls & VM_EXIT_SAVE_DEBUG_CONTROLS) {
		VMCS(v, GUEST_DR7) = g->dr[7];
		VMCS(v, GUEST_IA32_DEBUGCTL) = g->debugctl;
	}
	VMCS(v, GUEST_RSP) = g->gpr[X86_RSP];
	VMCS(v, GUEST_RIP) = g->rip;
	VMCS(v, GUEST_RFLAGS) = g->rflags;
	for (int s = 0; s < X86_NR_SEGS; s++) {
		GUEST_SEG_SEL(v, s) = g->seg[s].sel;
		GUEST_SEG_BASE(v, s) = g->seg[s].base;
		GUEST_SEG_LIMIT(v, s) = g->seg[s].limit;
		GUEST_SEG_AR(v, s) = g->seg[s].ar;
	}
	VMCS(v, GUEST_GDTR_BASE) = g->gdtr.base;
	VMCS(v, GUEST_GDTR_LIMIT) = g->gdtr.limit;
	VMCS(v, GUEST_IDTR_BASE) = g->idtr.base;
	VMCS(v, GUEST_IDTR_LIMIT) = g->idtr.limit;
	VMCS(v, GUEST_SYSENTER_CS) = g->sysenter_cs & 0xffffffffu;
	VMCS(v, GUEST_SYSENTER_ESP) = g->sysenter_esp;
	VMCS(v, GUEST_SYSENTER_EIP) = g->sysenter_eip;
	if (env->exit_ctls & VM_EXIT_SAVE_IA32_PAT)
		VMCS(v, GUEST_IA32_PAT) = g->pat;
	if (env->exit_ctls & VM_EXIT_SAVE_IA32_EFER)
		VMCS(v, GUEST_IA32_EFER) = g->efer;
	/* VMX_MISC bit 5: "IA-32e mode guest" follows EFER.LMA. */
	if (g->efer & EFER_LMA)
		VMCS(v, VM_ENTRY_CONTROLS) |= VM_ENTRY_IA32E_MODE;
	else
		VMCS(v, VM_ENTRY_CONTROLS) &= ~(uint64_t)VM_ENTRY_IA32E_MODE;
	VMCS(v, GUEST_INTERRUPTIBILITY_INFO) = g->interruptibility;
	VMCS(v, GUEST_ACTIVITY_STATE) = g->activity;
	/* No #DB is left pending across an exit, except the single-step
	 * trap a STI/MOV-SS shadow (or HLT) defers: record it as BS so the
	 * state is valid for the next entry (SDM 26.3.1.5). */
	VMCS(v, GUEST_PENDING_DBG_EXCEPTIONS) =
	    ((g->interruptibility &
	      (X86_INTR_BLOCK_STI | X86_INTR_BLOCK_MOV_SS)) ||
	     g->activity == X86_HLT) &&
		    (g->rflags & (1ull << 8)) && !(g->debugctl & 2)
		? 1ull << 14
		: 0;
	if (env->exit_ctls & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) {
		uint64_t now = __rdtsc(), left = 0;

		if (env->timer_on && now < env->timer_deadline)
			left = (env->timer_deadline - now) >>
			       VMX_MISC_PREEMPTION_TIMER_RATE;
		VMCS(v, VMX_PREEMPTION_TIMER_VALUE) =
		    left > 0xffffffffu ? 0xffffffffu : left;
	}
	save_pdptrs(env);

	/* Registers the VMCS does not hold keep the guest's values. */
	memcpy(cpu->gpr, g->gpr, sizeof(cpu->gpr));
	cpu->cr2 = g->cr2;
	cpu->cr8 = g->cr8;
	for (int i = 0; i < 4; i++)
		cpu->dr[i] = g->dr[i];
	cpu->dr6 = g->dr[6];
	cpu->star = g->star;
	cpu->lstar = g->lstar;
	cpu->cstar = g->cstar;
	cpu->sfmask = g->sfmask;
	cpu->kernel_gs_base = g->kernel_gs_base;
}

static void store_msr_area(struct vmx_env *env)
{
	struct vmcs *v = env->vmcs;
	uint64_t count = VMCS(v, VM_EXIT_MSR_STORE_COUNT);
	uint64_t *area = (uint64_t *)(uintptr_t)VMCS(v, VM_EXIT_MSR_STORE_ADDR);

	for (uint64_t i = 0; i < count; i++) {
		uint64_t val;

		if (vmx_guest_msr_read(env->cpu, (uint32_t)area[2 * i], &val)) {
			v->abort = 1; /* VMX abort: saving guest MSRs failed */
			return;
		}
		area[2 * i + 1] = val;
	}
}

/* SDM 27.5: load host state. */
static void load_host_state(struct vmx_env *env)
{
	struct cpu *cpu = env->cpu;
	struct vmcs *v = env->vmcs;
	uint64_t count = VMCS(v, VM_EXIT_MSR_LOAD_COUNT);
	const uint64_t *area =
	    (const uint64_t *)(uintptr_t)VMCS(v, VM_EXIT_MSR_LOAD_ADDR);

	cpu->cr0 = VMCS(v, HOST_CR0);
	cpu->cr3 = VMCS(v, HOST_CR3);
	cpu->cr4 = VMCS(v, HOST_CR4);
	cpu->debugctl = 0;
	cpu->sysenter_cs = VMCS(v, HOST_IA32_SYSENTER_CS);
	cpu->sysenter_esp = VMCS(v, HOST_IA32_SYSENTER_ESP);
	cpu->sysenter_eip = VMCS(v, HOST_IA32_SYSENTER_EIP);
	cpu->fs_base = VMCS(v, HOST_FS_BASE);
	cpu->gs_base = VMCS(v, HOST_GS_BASE);
	if (env->exit_ctls & VM_EXIT_LOAD_IA32_EFER)
		cpu->efer = VMCS(v, HOST_IA32_EFER);
	else
		cpu->efer |= EFER_LMA | EFER_LME;
	if (env->exit_ctls & VM_EXIT_LOAD_IA32_PAT)
		cpu->pat = VMCS(v, HOST_IA32_PAT);
	cpu->gpr[X86_RSP] = VMCS(v, HOST_RSP);
	for (uint64_t i = 0; i < count; i++)
		if (cpu_wrmsr(cpu, (uint32_t)area[2 * i], area[2 * i + 1])) {
			v->abort = 4; /* VMX abort: loading host MSRs failed */
			break;
		}
}

void vmx_vm_exit(struct vmx_env *env, const struct x86_exit *ex)
{
	env->cpu->vm_exits++;
	record_exit_info(env, ex, ex->reason);
	save_guest_state(env);
	store_msr_area(env);
	load_host_state(env);
	vmx_tlb_exit_context(env->cpu, env->vpid_on);
}

void vmx_entry_fail_exit(struct vmx_env *env, uint32_t reason, uint64_t qual)
{
	struct x86_exit ex;

	env->cpu->vm_exits++;
	memset(&ex, 0, sizeof(ex));
	ex.qualification = qual;
	record_exit_info(env, &ex, reason | VMX_EXIT_REASONS_FAILED_VMENTRY);
	load_host_state(env);
}
