// SPDX-License-Identifier: GPL-2.0
/*
 * VMX non-root operation: the environment the x86 core runs the guest in.
 * gpa_to_hva walks EPT (through the TLB); intercept (intercept.c) decides
 * from the VMCS controls which instructions and events exit; the run loop
 * turns core stops (kick, budget, HLT) into VM exits.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "cpu/vmx/core_glue.h"
#include "cpu/vmx/ept.h"
#include "cpu/vmx/vmx_state.h"

/* How many instructions the core runs between preemption-timer checks. */
#define TIMER_CHECK_INSNS 4096

void vmx_env_init(struct vmx_env *env, struct cpu *cpu, struct vmcs *v)
{
	memset(env, 0, sizeof(*env));
	env->cpu = cpu;
	env->vmcs = v;
	env->pin = (uint32_t)VMCS(v, PIN_BASED_VM_EXEC_CONTROL);
	env->proc = (uint32_t)VMCS(v, CPU_BASED_VM_EXEC_CONTROL);
	if (env->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		env->proc2 = (uint32_t)VMCS(v, SECONDARY_VM_EXEC_CONTROL);
	env->exit_ctls = (uint32_t)VMCS(v, VM_EXIT_CONTROLS);
	env->entry_ctls = (uint32_t)VMCS(v, VM_ENTRY_CONTROLS);
	env->exception_bitmap = (uint32_t)VMCS(v, EXCEPTION_BITMAP);
	env->pfec_mask = (uint32_t)VMCS(v, PAGE_FAULT_ERROR_CODE_MASK);
	env->pfec_match = (uint32_t)VMCS(v, PAGE_FAULT_ERROR_CODE_MATCH);
	env->ept_on = env->proc2 & SECONDARY_EXEC_ENABLE_EPT;
	env->eptp = VMCS(v, EPT_POINTER);
	env->vpid_on = env->proc2 & SECONDARY_EXEC_ENABLE_VPID;
	env->vpid = (uint16_t)VMCS(v, VIRTUAL_PROCESSOR_ID);
	env->io_bitmap_a = (const uint8_t *)(uintptr_t)VMCS(v, IO_BITMAP_A);
	env->io_bitmap_b = (const uint8_t *)(uintptr_t)VMCS(v, IO_BITMAP_B);
	env->msr_bitmap = (const uint8_t *)(uintptr_t)VMCS(v, MSR_BITMAP);
	env->cr0_mask = VMCS(v, CR0_GUEST_HOST_MASK);
	env->cr0_shadow = VMCS(v, CR0_READ_SHADOW);
	env->cr4_mask = VMCS(v, CR4_GUEST_HOST_MASK);
	env->cr4_shadow = VMCS(v, CR4_READ_SHADOW);
	env->cr3_target_count = (uint32_t)VMCS(v, CR3_TARGET_COUNT);
	for (int i = 0; i < 4; i++)
		env->cr3_target[i] = v->field[VMCS_SLOT_CR3_TARGET_VALUE0 + i];
}

/* ---- guest-physical accesses -------------------------------------- */

static int vmx_gpa_to_hva(void *opaque, uint64_t gpa, unsigned access,
			  uint64_t gla, bool gla_valid, void **hva,
			  struct x86_exit *exit)
{
	struct vmx_env *env = opaque;

	if (env->ept_on)
		return ept_translate(env->cpu, env->eptp, gpa, access, gla,
				     gla_valid, hva, exit) != 0;
	/*
	 * No EPT: guest-physical is host-physical, i.e. a pointer in this
	 * process, reached only through the page tables KVM built. Page 0
	 * and addresses beyond MAXPHYADDR are not host RAM.
	 */
	if (gpa < 4096 || (gpa & ~CPU_PA_MASK)) {
		memset(exit, 0, sizeof(*exit));
		exit->reason = X86_STOP_INTERNAL;
		exit->gpa = gpa;
		snprintf(exit->mnemonic, sizeof(exit->mnemonic),
			 "bad host-physical address");
		return 1;
	}
	*hva = (void *)(uintptr_t)gpa;
	return 0;
}

const struct x86_env_ops vmx_env_ops = {
    .gpa_to_hva = vmx_gpa_to_hva,
    .intercept = vmx_intercept,
};

/* ---- the run loop -------------------------------------------------- */

static void set_ctl(struct vmx_env *env, struct x86_ctl *ctl)
{
	ctl->cr0_mask = env->cr0_mask;
	ctl->cr0_shadow = env->cr0_shadow;
	ctl->cr4_mask = env->cr4_mask;
	ctl->cr4_shadow = env->cr4_shadow;
	ctl->tsc_offset =
	    (env->proc & CPU_BASED_USE_TSC_OFFSETTING)
		? (int64_t)VMCS(env->vmcs, TSC_OFFSET) + env->cpu->tsc_offset
		: env->cpu->tsc_offset;
	ctl->intr_window_exiting = env->proc & CPU_BASED_INTR_WINDOW_EXITING;
	ctl->nmi_window_exiting = env->proc & CPU_BASED_NMI_WINDOW_EXITING;
	ctl->mtf = false;
	ctl->insn_budget = env->timer_on ? TIMER_CHECK_INSNS : 0;
	ctl->kick = &env->cpu->kick;
}

static bool timer_expired(const struct vmx_env *env)
{
	return env->timer_on && __rdtsc() >= env->timer_deadline;
}

static void simple_exit(struct x86_exit *ex, uint32_t reason)
{
	memset(ex, 0, sizeof(*ex));
	ex->reason = reason;
}

/* A kick is an external interrupt: with "external-interrupt exiting" it
 * exits (acknowledged with CPU_KICK_VECTOR if "ack on exit"). */
static bool take_kick(struct vmx_env *env, struct x86_exit *ex)
{
	__atomic_store_n(&env->cpu->kick, 0, __ATOMIC_RELAXED);
	if (!(env->pin & PIN_BASED_EXT_INTR_MASK))
		return false; /* would go to the guest IDT: not modelled */
	simple_exit(ex, EXIT_REASON_EXTERNAL_INTERRUPT);
	if (env->exit_ctls & VM_EXIT_ACK_INTR_ON_EXIT)
		ex->intr_info =
		    INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR | CPU_KICK_VECTOR;
	return true;
}

/* HLT that did not exit: wait for something that ends it. */
static bool wait_halted(struct vmx_env *env, struct x86_exit *ex)
{
	const struct timespec pause = {0, 50 * 1000};

	for (;;) {
		if (__atomic_load_n(&env->cpu->kick, __ATOMIC_ACQUIRE)) {
			if (take_kick(env, ex))
				return true;
			continue;
		}
		if (timer_expired(env)) {
			simple_exit(ex, EXIT_REASON_PREEMPTION_TIMER);
			return true;
		}
		nanosleep(&pause, NULL);
	}
}

void vmx_run_guest(struct vmx_env *env, struct x86_exit *ex)
{
	struct cpu *cpu = env->cpu;
	struct x86_ctl *ctl = vmx_core_ctl(cpu);

	env->timer_on = env->pin & PIN_BASED_VMX_PREEMPTION_TIMER;
	if (env->timer_on) {
		uint64_t val = VMCS(env->vmcs, VMX_PREEMPTION_TIMER_VALUE);

		env->timer_deadline =
		    __rdtsc() + (val << VMX_MISC_PREEMPTION_TIMER_RATE);
		/* A zero timer exits before any instruction (SDM 25.5.1). */
		if (val == 0) {
			simple_exit(ex, EXIT_REASON_PREEMPTION_TIMER);
			return;
		}
	}
	set_ctl(env, ctl);
	for (;;) {
		uint32_t r = vmx_core_run(cpu, &vmx_env_ops, env, ex);

		switch (r) {
		case X86_STOP_KICK:
			if (take_kick(env, ex))
				return;
			break;
		case X86_STOP_BUDGET:
			if (timer_expired(env)) {
				simple_exit(ex, EXIT_REASON_PREEMPTION_TIMER);
				return;
			}
			break;
		case X86_STOP_HALTED:
			if (wait_halted(env, ex))
				return;
			break;
		case X86_STOP_SHUTDOWN:
			/* A triple fault in VMX non-root always exits. */
			simple_exit(ex, EXIT_REASON_TRIPLE_FAULT);
			return;
		case X86_STOP_UNIMPLEMENTED:
		case X86_STOP_INTERNAL:
			snprintf(cpu->diag, sizeof(cpu->diag), "%s %s at %#llx",
				 r == X86_STOP_UNIMPLEMENTED
				     ? "unimplemented"
				     : "internal error:",
				 ex->mnemonic, (unsigned long long)ex->rip);
			ex->reason = r == X86_STOP_UNIMPLEMENTED
					 ? CPU_EXIT_REASON_UNIMPLEMENTED
					 : CPU_EXIT_REASON_INTERNAL;
			return;
		default:
			if (r >= X86_STOP_BASE) {
				snprintf(cpu->diag, sizeof(cpu->diag),
					 "unknown core stop %#x", r);
				ex->reason = CPU_EXIT_REASON_INTERNAL;
			}
			return;
		}
	}
}
