// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX capability MSRs (SDM app. A), computed from the CPU model.
 * Low dword of a control MSR = allowed-0 (must-be-1) bits, high dword =
 * allowed-1 bits = every control cpu/vmx implements for this model.
 * The same values drive VM-entry control checks (entry.c).
 */
#include <x86/vmx.h>

#include "cpu/internal.h"
#include "cpu/vmx/vmcs.h"

static uint64_t ctls(uint32_t must1, uint32_t may1)
{
	return (uint64_t)(may1 | must1) << 32 | must1;
}

static uint32_t pin_may1(const struct cpu *cpu)
{
	uint32_t v = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
		     PIN_BASED_VIRTUAL_NMIS;

	if (cpu_has(cpu, CPU_FEAT_PREEMPT_TIMER))
		v |= PIN_BASED_VMX_PREEMPTION_TIMER;
	return v;
}

static uint32_t proc_may1(const struct cpu *cpu)
{
	/* Everything modern and 4.x KVM require (reference §10.3), plus
	 * the exits the core can report. No TPR shadow, MTF, tertiary. */
	uint32_t v = CPU_BASED_INTR_WINDOW_EXITING |
		     CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_HLT_EXITING |
		     CPU_BASED_INVLPG_EXITING | CPU_BASED_MWAIT_EXITING |
		     CPU_BASED_RDPMC_EXITING | CPU_BASED_RDTSC_EXITING |
		     CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		     CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
		     CPU_BASED_NMI_WINDOW_EXITING | CPU_BASED_MOV_DR_EXITING |
		     CPU_BASED_MONITOR_EXITING | CPU_BASED_PAUSE_EXITING |
		     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;

	if (cpu_has(cpu, CPU_FEAT_UNCOND_IO))
		v |= CPU_BASED_UNCOND_IO_EXITING;
	if (cpu_has(cpu, CPU_FEAT_IO_BITMAPS))
		v |= CPU_BASED_USE_IO_BITMAPS;
	if (cpu_has(cpu, CPU_FEAT_MSR_BITMAPS))
		v |= CPU_BASED_USE_MSR_BITMAPS;
	return v;
}

static uint32_t proc2_may1(const struct cpu *cpu)
{
	uint32_t v = SECONDARY_EXEC_WBINVD_EXITING;

	if (cpu_has(cpu, CPU_FEAT_EPT))
		v |= SECONDARY_EXEC_ENABLE_EPT;
	if (cpu_has(cpu, CPU_FEAT_VPID))
		v |= SECONDARY_EXEC_ENABLE_VPID;
	if (cpu_has(cpu, CPU_FEAT_UG))
		v |= SECONDARY_EXEC_UNRESTRICTED_GUEST;
	return v;
}

static uint32_t exit_may1(const struct cpu *cpu)
{
	uint32_t v = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT |
		     VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
		     VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER;

	if (cpu_has(cpu, CPU_FEAT_PREEMPT_TIMER))
		v |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	return v;
}

static uint32_t entry_may1(const struct cpu *cpu)
{
	return VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_PAT |
	       VM_ENTRY_LOAD_IA32_EFER;
}

static uint64_t ept_vpid_cap(const struct cpu *cpu)
{
	uint64_t v = 0;

	if (cpu_has(cpu, CPU_FEAT_EPT)) {
		v |= VMX_EPTP_WB_BIT | VMX_EPTP_UC_BIT | VMX_EPT_INVEPT_BIT |
		     VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT;
		if (cpu_has(cpu, CPU_FEAT_EPT_4LEVEL))
			v |= VMX_EPT_PAGE_WALK_4_BIT;
		if (cpu_has(cpu, CPU_FEAT_EPT_2M))
			v |= VMX_EPT_2MB_PAGE_BIT;
		if (cpu_has(cpu, CPU_FEAT_EPT_1G))
			v |= VMX_EPT_1GB_PAGE_BIT;
		if (cpu_has(cpu, CPU_FEAT_EPT_AD))
			v |= VMX_EPT_AD_BIT;
		if (cpu_has(cpu, CPU_FEAT_EPT_EXEC_ONLY))
			v |= VMX_EPT_EXECUTE_ONLY_BIT;
	}
	/* The VPID bits are numbered within the high dword. */
	if (cpu_has(cpu, CPU_FEAT_VPID))
		v |= (VMX_VPID_INVVPID_BIT |
		      VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT |
		      VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
		      VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT |
		      VMX_VPID_EXTENT_SINGLE_NON_GLOBAL_BIT)
		     << 32;
	return v;
}

static bool compute(const struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	bool true_ctls = cpu_has(cpu, CPU_FEAT_TRUE_CTLS);

	if (!cpu_has(cpu, CPU_FEAT_VMX))
		return false;
	switch (msr) {
	case MSR_IA32_VMX_BASIC:
		/* 4 KiB regions, 64-bit addresses (bit 48 = 0), WB (6),
		 * INS/OUTS instruction info (54), TRUE MSRs (55). */
		*val = VMCS_REVISION_ID | (uint64_t)VMCS_REGION_SIZE << 32 |
		       VMX_BASIC_MEM_TYPE_WB << VMX_BASIC_MEM_TYPE_SHIFT |
		       VMX_BASIC_INOUT | (true_ctls ? VMX_BASIC_TRUE_CTLS : 0);
		return true;
	case MSR_IA32_VMX_PINBASED_CTLS:
	case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
		if (msr == MSR_IA32_VMX_TRUE_PINBASED_CTLS && !true_ctls)
			return false;
		*val = ctls(PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, pin_may1(cpu));
		return true;
	case MSR_IA32_VMX_PROCBASED_CTLS:
		*val =
		    ctls(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR, proc_may1(cpu));
		return true;
	case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
		if (!true_ctls)
			return false;
		*val =
		    ctls(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR &
			     ~CPU_BASED_TRUE_MAY_CLEAR,
			 proc_may1(cpu) | CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR);
		return true;
	case MSR_IA32_VMX_EXIT_CTLS:
		*val = ctls(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR, exit_may1(cpu));
		return true;
	case MSR_IA32_VMX_TRUE_EXIT_CTLS:
		if (!true_ctls)
			return false;
		*val = ctls(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR &
				~VM_EXIT_TRUE_MAY_CLEAR,
			    exit_may1(cpu) | VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR);
		return true;
	case MSR_IA32_VMX_ENTRY_CTLS:
		*val =
		    ctls(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR, entry_may1(cpu));
		return true;
	case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
		if (!true_ctls)
			return false;
		*val =
		    ctls(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR &
			     ~VM_ENTRY_TRUE_MAY_CLEAR,
			 entry_may1(cpu) | VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR);
		return true;
	case MSR_IA32_VMX_PROCBASED_CTLS2:
		*val = ctls(0, proc2_may1(cpu));
		return true;
	case MSR_IA32_VMX_MISC:
		*val = VMX_MISC_PREEMPTION_TIMER_RATE | VMX_MISC_SAVE_EFER_LMA |
		       VMX_MISC_ACTIVITY_HLT | VMX_MISC_ACTIVITY_SHUTDOWN |
		       (uint64_t)VMX_MISC_CR3_TARGETS << 16;
		return true;
	case MSR_IA32_VMX_CR0_FIXED0:
		*val = X86_CR0_PE | X86_CR0_NE | X86_CR0_PG;
		return true;
	case MSR_IA32_VMX_CR0_FIXED1:
		*val = CPU_CR0_SUPPORTED;
		return true;
	case MSR_IA32_VMX_CR4_FIXED0:
		*val = X86_CR4_VMXE;
		return true;
	case MSR_IA32_VMX_CR4_FIXED1:
		*val = cpu_cr4_supported(cpu);
		return true;
	case MSR_IA32_VMX_VMCS_ENUM:
		*val = (uint64_t)vmcs_max_index() << 1;
		return true;
	case MSR_IA32_VMX_EPT_VPID_CAP:
		/* Exists iff EPT or VPID may be enabled (SDM A.10). */
		if (!cpu_has(cpu, CPU_FEAT_EPT) && !cpu_has(cpu, CPU_FEAT_VPID))
			return false;
		*val = ept_vpid_cap(cpu);
		return true;
	}
	return false;
}

void vmx_caps_init(struct cpu *cpu)
{
	cpu->vmx_cap_present = 0;
	for (uint32_t i = 0;
	     i <= MSR_IA32_VMX_TRUE_ENTRY_CTLS - MSR_IA32_VMX_BASIC; i++)
		if (compute(cpu, MSR_IA32_VMX_BASIC + i, &cpu->vmx_cap[i]))
			cpu->vmx_cap_present |= 1u << i;
}
