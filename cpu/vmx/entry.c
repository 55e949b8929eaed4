// SPDX-License-Identifier: GPL-2.0
/*
 * VM entry (SDM ch. 26): run the checks (entry_checks.c), load the
 * VM-entry MSR-load area (failure: exit 34 | bit 31), load the guest
 * state, inject the pending event, then run the guest until a VM exit.
 */
#include <string.h>
#include <x86intrin.h>

#include "cpu/vmx/core_glue.h"
#include "cpu/vmx/tlb.h"
#include "cpu/vmx/vmx_state.h"

/* 26.4: the VM-entry MSR-load area; 0 or the 1-based failing entry. */
static uint32_t load_msr_area(struct vmx_env *env)
{
	struct vmcs *v = env->vmcs;
	uint64_t count = VMCS(v, VM_ENTRY_MSR_LOAD_COUNT);
	const uint64_t *area =
	    (const uint64_t *)(uintptr_t)VMCS(v, VM_ENTRY_MSR_LOAD_ADDR);

	for (uint64_t i = 0; i < count; i++) {
		uint64_t idx = area[2 * i], val = area[2 * i + 1];

		if ((idx >> 32) || (idx >> 8) == 0x8 /* x2APIC */ ||
		    vmx_guest_msr_write(env->cpu, (uint32_t)idx, val))
			return (uint32_t)i + 1;
	}
	return 0;
}

/* 26.3.2: load guest state into the processor (cpu->guest). */
static void load_guest_state(struct vmx_env *env)
{
	struct cpu *cpu = env->cpu;
	struct vmcs *v = env->vmcs;
	struct x86_state *g = &cpu->guest;
	bool ia32e = env->entry_ctls & VM_ENTRY_IA32E_MODE;

	memcpy(g->gpr, cpu->gpr, sizeof(g->gpr));
	g->gpr[X86_RSP] = VMCS(v, GUEST_RSP);
	g->rip = VMCS(v, GUEST_RIP);
	g->rflags = VMCS(v, GUEST_RFLAGS);
	for (int s = 0; s < X86_NR_SEGS; s++) {
		g->seg[s].sel = (uint16_t)GUEST_SEG_SEL(v, s);
		g->seg[s].base = GUEST_SEG_BASE(v, s);
		g->seg[s].limit = (uint32_t)GUEST_SEG_LIMIT(v, s);
		g->seg[s].ar = (uint32_t)GUEST_SEG_AR(v, s);
	}
	/* Unusable segments other than FS/GS/LDTR/TR keep only their AR;
	 * bases above 4G were already rejected for usable CS/SS/DS/ES. */
	g->gdtr.base = VMCS(v, GUEST_GDTR_BASE);
	g->gdtr.limit = (uint32_t)VMCS(v, GUEST_GDTR_LIMIT);
	g->idtr.base = VMCS(v, GUEST_IDTR_BASE);
	g->idtr.limit = (uint32_t)VMCS(v, GUEST_IDTR_LIMIT);
	g->cr0 = VMCS(v, GUEST_CR0) | X86_CR0_ET; /* ET is hardwired */
	g->cr3 = VMCS(v, GUEST_CR3);
	g->cr4 = VMCS(v, GUEST_CR4);
	g->cr2 = cpu->cr2;
	g->cr8 = cpu->cr8;
	for (int i = 0; i < 4; i++)
		g->dr[i] = cpu->dr[i];
	g->dr[6] = cpu->dr6;
	if (env->entry_ctls & VM_ENTRY_LOAD_DEBUG_CONTROLS) {
		g->dr[7] = VMCS(v, GUEST_DR7);
		g->debugctl = VMCS(v, GUEST_IA32_DEBUGCTL);
	} else {
		g->dr[7] = 0x400;
		g->debugctl = cpu->debugctl;
	}
	if (env->entry_ctls & VM_ENTRY_LOAD_IA32_EFER) {
		g->efer = VMCS(v, GUEST_IA32_EFER);
	} else {
		/* LMA and LME follow "IA-32e mode guest"; the rest stays. */
		g->efer = cpu->efer & ~(EFER_LMA | EFER_LME);
		if (ia32e)
			g->efer |= EFER_LMA | EFER_LME;
	}
	g->pat = (env->entry_ctls & VM_ENTRY_LOAD_IA32_PAT)
		     ? VMCS(v, GUEST_IA32_PAT)
		     : cpu->pat;
	g->sysenter_cs = VMCS(v, GUEST_SYSENTER_CS);
	g->sysenter_esp = VMCS(v, GUEST_SYSENTER_ESP);
	g->sysenter_eip = VMCS(v, GUEST_SYSENTER_EIP);
	g->star = cpu->star;
	g->lstar = cpu->lstar;
	g->cstar = cpu->cstar;
	g->sfmask = cpu->sfmask;
	g->kernel_gs_base = cpu->kernel_gs_base;
	g->tsc_aux = 0;
	g->interruptibility = (uint32_t)VMCS(v, GUEST_INTERRUPTIBILITY_INFO);
	g->activity = (enum x86_activity)VMCS(v, GUEST_ACTIVITY_STATE);
}

/* 26.6: event injection; whether delivering it caused a VM exit (in *ex). */
static bool inject_event(struct vmx_env *env, struct x86_exit *ex)
{
	struct vmcs *v = env->vmcs;
	uint32_t info = (uint32_t)VMCS(v, VM_ENTRY_INTR_INFO_FIELD);
	struct x86_event ev;
	uint32_t r;

	if (!(info & INTR_INFO_VALID_MASK))
		return false;
	ev.vector = info & INTR_INFO_VECTOR_MASK;
	ev.type = (info & INTR_INFO_INTR_TYPE_MASK) >> 8;
	ev.has_error = info & INTR_INFO_DELIVER_CODE_MASK;
	ev.error_code = (uint32_t)VMCS(v, VM_ENTRY_EXCEPTION_ERROR_CODE);
	ev.insn_len = (uint32_t)VMCS(v, VM_ENTRY_INSTRUCTION_LEN);
	/* Any injected event wakes the processor from HLT. */
	env->cpu->guest.activity = X86_ACTIVE;
	r = vmx_core_inject(env->cpu, &vmx_env_ops, env, &ev, ex);
	/* The valid bit is cleared once the event is delivered or an exit
	 * occurred delivering it (SDM 26.6 / 27.2.3). */
	VMCS(v, VM_ENTRY_INTR_INFO_FIELD) = info & ~INTR_INFO_VALID_MASK;
	/* Reason 0 is EXCEPTION_NMI (an intercepted exception raised while
	 * delivering): an exit carries its interruption information. */
	return r || (ex->intr_info & INTR_INFO_VALID_MASK);
}

enum vmx_result vmx_vm_entry(struct cpu *cpu, bool launch)
{
	struct vmx_env env;
	struct x86_exit ex;
	int bad;
	uint32_t idx;

	vmx_env_init(&env, cpu, cpu->current_vmcs);
	/* Controls and host state that passed and were not VMWRITten since
	 * need no second look (the checks of an injection also depend on
	 * guest CR0, so a pending injection always re-checks). */
	if ((env.vmcs->dirty & (VMCS_DIRTY_CONTROL | VMCS_DIRTY_HOST)) ||
	    (VMCS(env.vmcs, VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK)) {
		if (!vmx_check_controls(&env))
			return vmx_fail(cpu,
					VMXERR_ENTRY_INVALID_CONTROL_FIELD);
		if (!vmx_check_host_state(&env))
			return vmx_fail(cpu,
					VMXERR_ENTRY_INVALID_HOST_STATE_FIELD);
		env.vmcs->dirty &= ~(VMCS_DIRTY_CONTROL | VMCS_DIRTY_HOST);
	}
	bad = vmx_check_guest_state(&env);
	if (bad) {
		vmx_entry_fail_exit(&env, EXIT_REASON_INVALID_STATE,
				    (uint64_t)(bad - 1));
		return VMX_SUCCEED;
	}
	load_guest_state(&env);
	idx = load_msr_area(&env);
	if (idx) {
		vmx_entry_fail_exit(&env, EXIT_REASON_MSR_LOAD_FAIL, idx);
		return VMX_SUCCEED;
	}
	/* The entry succeeded: from here on the VMCS is launched. */
	cpu->current_vmcs->launch_state = VMCS_LAUNCH_LAUNCHED;
	cpu->vm_entries++;
	vmx_tlb_enter_context(cpu, env.vpid_on, env.vpid,
			      env.ept_on ? env.eptp : 0);
	cpu->diag[0] = 0;
	if (!inject_event(&env, &ex))
		vmx_run_guest(&env, &ex);
	vmx_vm_exit(&env, &ex);
	return VMX_SUCCEED;
}
