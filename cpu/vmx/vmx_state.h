/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pieces shared by VM entry, the non-root run loop and VM exit.
 */
#ifndef KVMINI_CPU_VMX_STATE_H
#define KVMINI_CPU_VMX_STATE_H

#include "cpu/vmx/vmx.h"

/* The controls of the current VMCS, read once per entry (the run loop
 * and the intercept decisions use these, not the VMCS). */
struct vmx_env {
	struct cpu *cpu;
	struct vmcs *vmcs;
	uint32_t pin, proc, proc2, exit_ctls, entry_ctls;
	uint32_t exception_bitmap, pfec_mask, pfec_match;
	bool ept_on, vpid_on;
	uint64_t eptp;
	uint16_t vpid;
	const uint8_t *io_bitmap_a, *io_bitmap_b, *msr_bitmap;
	uint64_t cr0_mask, cr0_shadow, cr4_mask, cr4_shadow;
	uint32_t cr3_target_count;
	uint64_t cr3_target[4];
	/* VMX-preemption timer: deadline in host TSC ticks. */
	bool timer_on;
	uint64_t timer_deadline;
};

/* Segment fields are laid out ES..TR consecutively, as enum x86_segreg. */
_Static_assert(VMCS_SLOT_GUEST_TR_SELECTOR - VMCS_SLOT_GUEST_ES_SELECTOR ==
		   X86_TR - X86_ES,
	       "selector order");
_Static_assert(VMCS_SLOT_GUEST_TR_BASE - VMCS_SLOT_GUEST_ES_BASE ==
		   X86_TR - X86_ES,
	       "base order");
_Static_assert(VMCS_SLOT_GUEST_TR_LIMIT - VMCS_SLOT_GUEST_ES_LIMIT ==
		   X86_TR - X86_ES,
	       "limit order");
_Static_assert(VMCS_SLOT_GUEST_TR_AR_BYTES - VMCS_SLOT_GUEST_ES_AR_BYTES ==
		   X86_TR - X86_ES,
	       "AR order");
#define GUEST_SEG_SEL(v, i)   ((v)->field[VMCS_SLOT_GUEST_ES_SELECTOR + (i)])
#define GUEST_SEG_BASE(v, i)  ((v)->field[VMCS_SLOT_GUEST_ES_BASE + (i)])
#define GUEST_SEG_LIMIT(v, i) ((v)->field[VMCS_SLOT_GUEST_ES_LIMIT + (i)])
#define GUEST_SEG_AR(v, i)    ((v)->field[VMCS_SLOT_GUEST_ES_AR_BYTES + (i)])

static inline bool vmx_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Each byte of a PAT value is a valid memory type. */
static inline bool vmx_pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* entry_checks.c (SDM 26.2-26.3). Guest: 0 if valid, else 1 + the exit
 * qualification of the VM-entry failure. */
bool vmx_check_controls(const struct vmx_env *env);
bool vmx_check_host_state(const struct vmx_env *env);
int vmx_check_guest_state(const struct vmx_env *env);

/* intercept.c: x86_env_ops.intercept */
bool vmx_intercept(void *opaque, const struct x86_intercept *w,
		   struct x86_exit *ex);

/* nonroot.c */
void vmx_env_init(struct vmx_env *env, struct cpu *cpu, struct vmcs *v);
/* Run the guest in cpu->guest until a VM exit; fills *ex. */
void vmx_run_guest(struct vmx_env *env, struct x86_exit *ex);
extern const struct x86_env_ops vmx_env_ops;

/* exit.c */
void vmx_vm_exit(struct vmx_env *env, const struct x86_exit *ex);
/* VM-entry failure after the control/host checks (reason 33/34). */
void vmx_entry_fail_exit(struct vmx_env *env, uint32_t reason, uint64_t qual);

/* msr_list.c: guest MSRs for the VM-entry/exit MSR areas. */
int vmx_guest_msr_write(struct cpu *cpu, uint32_t msr, uint64_t val);
int vmx_guest_msr_read(struct cpu *cpu, uint32_t msr, uint64_t *val);

#endif
