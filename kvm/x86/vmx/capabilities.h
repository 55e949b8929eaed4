/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VMX hardware offers and what KVM chose (arch/x86/kvm/vmx/
 * capabilities.h): vmcs_config, vmx_capability, the enable_* knobs.
 */
#ifndef KVMINI_KVM_VMX_CAPABILITIES_H
#define KVMINI_KVM_VMX_CAPABILITIES_H

#include <stdbool.h>
#include <stdint.h>
#include <x86/vmx.h>

struct vmcs_config {
	int size;
	uint32_t basic_cap; /* IA32_VMX_BASIC high dword, size bits cleared */
	uint32_t revision_id;
	uint32_t pin_based_exec_ctrl;
	uint32_t cpu_based_exec_ctrl;
	uint32_t cpu_based_2nd_exec_ctrl;
	uint32_t vmexit_ctrl;
	uint32_t vmentry_ctrl;
	uint64_t misc;
	bool true_ctls; /* the four control words came from the TRUE MSRs */
	/* allowed-0 (must-be-1) halves of the MSRs used, so per-vCPU code
	 * that clears a bit can put back what the CPU insists on */
	uint32_t pin_must1, cpu_must1, exit_must1, entry_must1;
};

struct vmx_capability {
	uint32_t ept;
	uint32_t vpid;
};

extern struct vmcs_config vmcs_config;
extern struct vmx_capability vmx_capability;

extern bool enable_vpid;
extern bool enable_ept;
extern bool enable_unrestricted_guest;
extern bool enable_preemption_timer;
extern bool enable_ept_2m;
/* VMX-preemption timer value that bounds one stay in the guest (~10 ms),
 * so KVM_RUN notices immediate_exit and requests without a host IPI. */
extern uint32_t preemption_timer_slice;
#define VMX_PREEMPTION_TIMER_SLICE preemption_timer_slice

static inline bool cpu_has_secondary_exec_ctrls(void)
{
	return vmcs_config.cpu_based_exec_ctrl &
	       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
}

static inline bool cpu_has_vmx_ept(void)
{
	return cpu_has_secondary_exec_ctrls() &&
	       (vmcs_config.cpu_based_2nd_exec_ctrl &
		SECONDARY_EXEC_ENABLE_EPT);
}

static inline bool cpu_has_vmx_vpid(void)
{
	return cpu_has_secondary_exec_ctrls() &&
	       (vmcs_config.cpu_based_2nd_exec_ctrl &
		SECONDARY_EXEC_ENABLE_VPID);
}

static inline bool cpu_has_vmx_unrestricted_guest(void)
{
	return cpu_has_secondary_exec_ctrls() &&
	       (vmcs_config.cpu_based_2nd_exec_ctrl &
		SECONDARY_EXEC_UNRESTRICTED_GUEST);
}

static inline bool cpu_has_vmx_ept_4levels(void)
{
	return vmx_capability.ept & VMX_EPT_PAGE_WALK_4_BIT;
}

static inline bool cpu_has_vmx_ept_mt_wb(void)
{
	return vmx_capability.ept & VMX_EPTP_WB_BIT;
}

static inline bool cpu_has_vmx_ept_2m_page(void)
{
	return vmx_capability.ept & VMX_EPT_2MB_PAGE_BIT;
}

static inline bool cpu_has_vmx_invept_global(void)
{
	return vmx_capability.ept & VMX_EPT_EXTENT_GLOBAL_BIT;
}

static inline bool cpu_has_vmx_invept_context(void)
{
	return vmx_capability.ept & VMX_EPT_EXTENT_CONTEXT_BIT;
}

static inline bool cpu_has_vmx_invvpid(void)
{
	return vmx_capability.vpid & VMX_VPID_INVVPID_BIT;
}

static inline bool cpu_has_vmx_invvpid_single(void)
{
	return vmx_capability.vpid & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT;
}

static inline bool cpu_has_vmx_invvpid_global(void)
{
	return vmx_capability.vpid & VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT;
}

static inline bool cpu_has_vmx_msr_bitmap(void)
{
	return vmcs_config.cpu_based_exec_ctrl & CPU_BASED_USE_MSR_BITMAPS;
}

static inline bool cpu_has_vmx_preemption_timer(void)
{
	return vmcs_config.pin_based_exec_ctrl & PIN_BASED_VMX_PREEMPTION_TIMER;
}

static inline bool cpu_has_load_ia32_efer(void)
{
	return (vmcs_config.vmentry_ctrl & VM_ENTRY_LOAD_IA32_EFER) &&
	       (vmcs_config.vmexit_ctrl & VM_EXIT_LOAD_IA32_EFER);
}

/* setup.c */
int setup_vmcs_config(struct vmcs_config *vmcs_conf,
		      struct vmx_capability *vmx_cap, int cpu, bool report);
struct cpu;
/* ctl = (min | opt) & allowed-1 | allowed-0, from @msr of @cpu; -EIO
 * with a message naming the first min bit the CPU cannot set. */
int adjust_vmx_controls(struct cpu *cpu, uint32_t ctl_min, uint32_t ctl_opt,
			uint32_t msr, const char *what,
			const char *const bit_names[32], uint32_t *result,
			uint32_t *must1);
/* Names of the control bits, for messages and the report. */
extern const char *const pin_ctl_names[32],
    *const cpu_ctl_names[32], *const cpu2_ctl_names[32],
				  *const exit_ctl_names[32],
				      *const entry_ctl_names[32];

#endif
