// SPDX-License-Identifier: GPL-2.0
/*
 * VMX hardware setup: read the capability MSRs into vmcs_config
 * (setup_vmcs_config / adjust_vmx_controls), decide the enable_* knobs
 * (hardware_setup), and check each CPU agrees (check_processor_compat).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <x86/msr-index.h>
#include <x86/processor-flags.h>

#include "kvm/report.h"
#include "kvm/x86/mmu/mmu.h"
#include "kvm/x86/vmx/vmx.h"

struct vmcs_config vmcs_config;
struct vmx_capability vmx_capability;

/* Module parameters (all default on, as in KVM). */
bool enable_vpid = true;
bool enable_ept = true;
bool enable_unrestricted_guest = true;
bool enable_preemption_timer = true;
bool enable_ept_2m = true;
uint32_t preemption_timer_slice;

const char *const pin_ctl_names[32] = {
    [0] = "EXT_INTR_MASK",	  [3] = "NMI_EXITING", [5] = "VIRTUAL_NMIS",
    [6] = "VMX_PREEMPTION_TIMER", [7] = "POSTED_INTR",
};
const char *const cpu_ctl_names[32] = {
    [2] = "INTR_WINDOW_EXITING", [3] = "USE_TSC_OFFSETTING",
    [7] = "HLT_EXITING",	 [9] = "INVLPG_EXITING",
    [10] = "MWAIT_EXITING",	 [11] = "RDPMC_EXITING",
    [12] = "RDTSC_EXITING",	 [15] = "CR3_LOAD_EXITING",
    [16] = "CR3_STORE_EXITING",	 [17] = "ACTIVATE_TERTIARY_CONTROLS",
    [19] = "CR8_LOAD_EXITING",	 [20] = "CR8_STORE_EXITING",
    [21] = "TPR_SHADOW",	 [22] = "NMI_WINDOW_EXITING",
    [23] = "MOV_DR_EXITING",	 [24] = "UNCOND_IO_EXITING",
    [25] = "USE_IO_BITMAPS",	 [27] = "MONITOR_TRAP_FLAG",
    [28] = "USE_MSR_BITMAPS",	 [29] = "MONITOR_EXITING",
    [30] = "PAUSE_EXITING",	 [31] = "ACTIVATE_SECONDARY_CONTROLS",
};
const char *const cpu2_ctl_names[32] = {
    [0] = "VIRTUALIZE_APIC_ACCESSES",
    [1] = "ENABLE_EPT",
    [2] = "DESC",
    [3] = "ENABLE_RDTSCP",
    [5] = "ENABLE_VPID",
    [6] = "WBINVD_EXITING",
    [7] = "UNRESTRICTED_GUEST",
};
const char *const exit_ctl_names[32] = {
    [2] = "SAVE_DEBUG_CONTROLS",
    [9] = "HOST_ADDR_SPACE_SIZE",
    [12] = "LOAD_IA32_PERF_GLOBAL_CTRL",
    [15] = "ACK_INTR_ON_EXIT",
    [18] = "SAVE_IA32_PAT",
    [19] = "LOAD_IA32_PAT",
    [20] = "SAVE_IA32_EFER",
    [21] = "LOAD_IA32_EFER",
    [22] = "SAVE_VMX_PREEMPTION_TIMER",
};
const char *const entry_ctl_names[32] = {
    [2] = "LOAD_DEBUG_CONTROLS",
    [9] = "IA32E_MODE",
    [13] = "LOAD_IA32_PERF_GLOBAL_CTRL",
    [14] = "LOAD_IA32_PAT",
    [15] = "LOAD_IA32_EFER",
};

static void ctl_bit_names(uint32_t v, const char *const names[32], char *buf,
			  size_t len)
{
	size_t n = 0;

	uint32_t unnamed = 0;

	buf[0] = 0;
	for (int b = 0; b < 32 && n < len; b++) {
		if (!(v & (1u << b)))
			continue;
		if (names[b])
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? " " : "", names[b]);
		else
			unnamed |= 1u << b;
	}
	/* Bits KVM did not ask for: the CPU's default-1 (must-be-1) ones. */
	if (unnamed && n < len)
		snprintf(buf + n, len - n, "%sdefault1=%#x", n ? " " : "",
			 unnamed);
}

int adjust_vmx_controls(struct cpu *cpu, uint32_t ctl_min, uint32_t ctl_opt,
			uint32_t msr, const char *what,
			const char *const bit_names[32], uint32_t *result,
			uint32_t *must1)
{
	uint64_t v;
	uint32_t low, high, ctl, missing;

	if (cpu_rdmsr(cpu, msr, &v)) {
		pr_err("%s: RDMSR %#x faulted", what, msr);
		return -EIO;
	}
	low = (uint32_t)v;	    /* allowed-0: bit set = must be 1 */
	high = (uint32_t)(v >> 32); /* allowed-1: bit clear = must be 0 */

	ctl = ctl_min | ctl_opt;
	ctl &= high;
	ctl |= low;

	missing = ctl_min & ~ctl;
	if (missing) {
		int b = __builtin_ctz(missing);

		pr_err("%s: required control %s (bit %d) not supported by the "
		       "CPU (MSR %#x = %#llx)",
		       what, bit_names[b] ? bit_names[b] : "?", b, msr,
		       (unsigned long long)v);
		kvm_report_note("missing_control", "%s %s (bit %d)", what,
				bit_names[b] ? bit_names[b] : "?", b);
		return -EIO;
	}
	*result = ctl;
	if (must1)
		*must1 = low;
	return 0;
}

/*
 * Which MSR to read for the four control words. Linux reads the plain
 * IA32_VMX_*_CTLS MSRs even when IA32_VMX_BASIC[55] advertises the TRUE
 * ones, which keeps every "default-1" control forced on. We read the TRUE
 * MSRs when they exist (issue request): they describe what VM entry really
 * checks, so default-1 controls KVM does not want (CR3-load/store exiting
 * under EPT, say) can be cleared and the report shows the CPU's truth.
 */
static uint32_t ctl_msr(bool true_ctls, uint32_t plain, uint32_t tru)
{
	return true_ctls ? tru : plain;
}

int setup_vmcs_config(struct vmcs_config *vmcs_conf,
		      struct vmx_capability *vmx_cap, int cpuid, bool report)
{
	struct cpu *cpu = host_cpu(cpuid);
	uint32_t min, opt, min2, opt2;
	uint32_t pin = 0, exec = 0, exec2 = 0, exit_c = 0, entry = 0;
	uint32_t pin1 = 0, exec1 = 0, exit1 = 0, entry1 = 0;
	uint64_t basic, misc = 0;
	bool true_ctls;
	int r;

	memset(vmcs_conf, 0, sizeof(*vmcs_conf));
	memset(vmx_cap, 0, sizeof(*vmx_cap));
	if (cpu_rdmsr(cpu, MSR_IA32_VMX_BASIC, &basic)) {
		pr_err("RDMSR IA32_VMX_BASIC faulted");
		return -EIO;
	}
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;

	/* Primary processor-based controls (6.x min set). */
	min = CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_HLT_EXITING |
	      CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
	      CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
	      CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_MOV_DR_EXITING |
	      CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_MWAIT_EXITING |
	      CPU_BASED_MONITOR_EXITING | CPU_BASED_INVLPG_EXITING |
	      CPU_BASED_RDPMC_EXITING;
	opt = CPU_BASED_NMI_WINDOW_EXITING | CPU_BASED_USE_MSR_BITMAPS |
	      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	r = adjust_vmx_controls(cpu, min, opt,
				ctl_msr(true_ctls, MSR_IA32_VMX_PROCBASED_CTLS,
					MSR_IA32_VMX_TRUE_PROCBASED_CTLS),
				"primary processor-based", cpu_ctl_names, &exec,
				&exec1);
	if (r)
		return r;

	if (exec & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		min2 = 0;
		opt2 = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
		       SECONDARY_EXEC_UNRESTRICTED_GUEST;
		r = adjust_vmx_controls(
		    cpu, min2, opt2, MSR_IA32_VMX_PROCBASED_CTLS2,
		    "secondary processor-based", cpu2_ctl_names, &exec2, NULL);
		if (r)
			return r;
	}
	if (!exec2)
		exec &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;

	if (exec2 & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID)) {
		uint64_t cap;

		if (cpu_rdmsr(cpu, MSR_IA32_VMX_EPT_VPID_CAP, &cap) == 0) {
			vmx_cap->ept = (uint32_t)cap;
			vmx_cap->vpid = (uint32_t)(cap >> 32);
		}
	}

	min = VM_EXIT_SAVE_DEBUG_CONTROLS | VM_EXIT_HOST_ADDR_SPACE_SIZE |
	      VM_EXIT_ACK_INTR_ON_EXIT;
	opt = VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
	      VM_EXIT_LOAD_IA32_EFER;
	r = adjust_vmx_controls(cpu, min, opt,
				ctl_msr(true_ctls, MSR_IA32_VMX_EXIT_CTLS,
					MSR_IA32_VMX_TRUE_EXIT_CTLS),
				"VM-exit", exit_ctl_names, &exit_c, &exit1);
	if (r)
		return r;

	min = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING;
	opt = PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER;
	r = adjust_vmx_controls(cpu, min, opt,
				ctl_msr(true_ctls, MSR_IA32_VMX_PINBASED_CTLS,
					MSR_IA32_VMX_TRUE_PINBASED_CTLS),
				"pin-based", pin_ctl_names, &pin, &pin1);
	if (r)
		return r;

	min = VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_IA32E_MODE;
	opt = VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER;
	r = adjust_vmx_controls(cpu, min, opt,
				ctl_msr(true_ctls, MSR_IA32_VMX_ENTRY_CTLS,
					MSR_IA32_VMX_TRUE_ENTRY_CTLS),
				"VM-entry", entry_ctl_names, &entry, &entry1);
	if (r)
		return r;

	/* Entry/exit pairs must match (6.x): drop both halves otherwise. */
	if (!!(entry & VM_ENTRY_LOAD_IA32_EFER) !=
	    !!(exit_c & VM_EXIT_LOAD_IA32_EFER)) {
		entry &= ~VM_ENTRY_LOAD_IA32_EFER | entry1;
		exit_c &= ~VM_EXIT_LOAD_IA32_EFER | exit1;
		if (report)
			kvm_report_note("inconsistent pair",
					"LOAD_IA32_EFER dropped");
	}
	if (!!(entry & VM_ENTRY_LOAD_IA32_PAT) !=
	    !!(exit_c & VM_EXIT_LOAD_IA32_PAT)) {
		entry &= ~VM_ENTRY_LOAD_IA32_PAT | entry1;
		exit_c &= ~VM_EXIT_LOAD_IA32_PAT | exit1;
		if (report)
			kvm_report_note("inconsistent pair",
					"LOAD_IA32_PAT dropped");
	}

	/* IA32_VMX_BASIC: size, address width, memory type. */
	vmcs_conf->size = (int)((basic >> VMX_BASIC_VMCS_SIZE_SHIFT) & 0x1fff);
	if (vmcs_conf->size > 4096) {
		pr_err("VMCS size %d > 4096", vmcs_conf->size);
		return -EIO;
	}
	if (basic & VMX_BASIC_32BIT_PHYS_ADDR_ONLY) {
		pr_err(
		    "IA32_VMX_BASIC[48] set: VMX addresses limited to 32 bits");
		return -EIO;
	}
	if (((basic >> VMX_BASIC_MEM_TYPE_SHIFT) & 0xf) !=
	    VMX_BASIC_MEM_TYPE_WB) {
		pr_err(
		    "VMCS memory type %llu is not WB (6)",
		    (unsigned long long)((basic >> VMX_BASIC_MEM_TYPE_SHIFT) &
					 0xf));
		return -EIO;
	}
	(void)cpu_rdmsr(cpu, MSR_IA32_VMX_MISC, &misc);

	vmcs_conf->revision_id = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
	vmcs_conf->basic_cap = (uint32_t)(basic >> 32) & ~0x1fffu;
	vmcs_conf->pin_based_exec_ctrl = pin;
	vmcs_conf->cpu_based_exec_ctrl = exec;
	vmcs_conf->cpu_based_2nd_exec_ctrl = exec2;
	vmcs_conf->vmexit_ctrl = exit_c;
	vmcs_conf->vmentry_ctrl = entry;
	vmcs_conf->misc = misc;
	vmcs_conf->true_ctls = true_ctls;
	vmcs_conf->pin_must1 = pin1;
	vmcs_conf->cpu_must1 = exec1;
	vmcs_conf->exit_must1 = exit1;
	vmcs_conf->entry_must1 = entry1;

	if (report) {
		char names[512];

		kvm_report_note("IA32_VMX_BASIC", "%#llx%s",
				(unsigned long long)basic,
				true_ctls ? " (TRUE_CTLS: using the TRUE MSRs)"
					  : " (no TRUE_CTLS)");
		kvm_report_note("revision_id", "%#x", vmcs_conf->revision_id);
		kvm_report_note("vmcs_size", "%d", vmcs_conf->size);
		ctl_bit_names(pin, pin_ctl_names, names, sizeof(names));
		kvm_report_note("pin_based_exec_ctrl", "%#010x %s", pin, names);
		ctl_bit_names(exec, cpu_ctl_names, names, sizeof(names));
		kvm_report_note("cpu_based_exec_ctrl", "%#010x %s", exec,
				names);
		ctl_bit_names(exec2, cpu2_ctl_names, names, sizeof(names));
		kvm_report_note("cpu_based_2nd_exec_ctrl", "%#010x %s", exec2,
				names);
		ctl_bit_names(exit_c, exit_ctl_names, names, sizeof(names));
		kvm_report_note("vmexit_ctrl", "%#010x %s", exit_c, names);
		ctl_bit_names(entry, entry_ctl_names, names, sizeof(names));
		kvm_report_note("vmentry_ctrl", "%#010x %s", entry, names);
		kvm_report_note("ept_vpid_cap", "ept %#x vpid %#x",
				vmx_cap->ept, vmx_cap->vpid);
	}
	return 0;
}

int vmx_hardware_setup(void)
{
	int r;

	/* Knobs start from their module-parameter defaults on each load. */
	enable_vpid = enable_ept = enable_unrestricted_guest = true;
	enable_preemption_timer = enable_ept_2m = true;

	kvm_report_begin("hardware_setup");
	kvm_report_begin("setup_vmcs_config");
	r = setup_vmcs_config(&vmcs_config, &vmx_capability, 0, true);
	kvm_report_end(r, "%s", "");
	if (r < 0) {
		r = -EIO;
		goto out;
	}

	if (boot_cpu_has_nx())
		kvm_enable_efer_bits(EFER_NX);
	kvm_report_note("NX", "%s",
			boot_cpu_has_nx() ? "yes: EFER.NX allowed for guests"
					  : "no: EFER.NX reserved");

	/* VPID needs the control, INVVPID, and a context-wide flush type. */
	if (!cpu_has_vmx_vpid() || !cpu_has_vmx_invvpid() ||
	    !(cpu_has_vmx_invvpid_single() || cpu_has_vmx_invvpid_global())) {
		enable_vpid = false;
		kvm_report_note("enable_vpid", "0 (%s)",
				!cpu_has_vmx_vpid() ? "no VPID control"
						    : "no usable INVVPID");
	} else {
		kvm_report_note("enable_vpid", "1");
	}

	/* EPT needs the control, 4-level walks and WB paging structures. */
	if (!cpu_has_vmx_ept() || !cpu_has_vmx_ept_4levels() ||
	    !cpu_has_vmx_ept_mt_wb()) {
		enable_ept = false;
		enable_unrestricted_guest = false;
		kvm_report_note("enable_ept", "0 (%s)",
				!cpu_has_vmx_ept() ? "no EPT control"
				: !cpu_has_vmx_ept_4levels()
				    ? "no 4-level EPT walk"
				    : "no WB EPT memory type");
	} else {
		kvm_report_note("enable_ept", "1");
	}
	if (!cpu_has_vmx_unrestricted_guest() || !enable_ept) {
		if (enable_unrestricted_guest || !enable_ept)
			kvm_report_note("enable_unrestricted_guest", "0 (%s)",
					!enable_ept
					    ? "needs EPT"
					    : "no unrestricted-guest control");
		enable_unrestricted_guest = false;
	} else {
		kvm_report_note("enable_unrestricted_guest", "1");
	}
	if (!enable_ept && !boot_cpu_has_nx()) {
		pr_err("NX (Execute Disable) not supported; shadow paging "
		       "needs it");
		r = -EOPNOTSUPP;
		goto out;
	}
	enable_ept_2m = enable_ept && cpu_has_vmx_ept_2m_page();
	enable_preemption_timer = cpu_has_vmx_preemption_timer();
	if (enable_preemption_timer) {
		/* tsc_khz is known: kvm_timer_init ran in kvm_arch_init. */
		uint64_t ticks =
		    ((uint64_t)(tsc_khz ? tsc_khz : 1000000) * 10) >>
		    (vmcs_config.misc & 0x1f);

		preemption_timer_slice = ticks > 0xffffffffull ? 0xffffffffu
					 : ticks	       ? (uint32_t)ticks
							       : 1;
	}
	kvm_report_note("ept_2m_pages", "%d", enable_ept_2m);
	kvm_report_note(
	    "preemption_timer", "%d%s", enable_preemption_timer,
	    enable_preemption_timer
		? " (bounds each guest stay to ~10 ms)"
		: " (KVM_RUN interruption waits for the next exit)");

	if (enable_ept) {
		kvm_mmu_set_mmio_spte_mask(VMX_EPT_RWX_MASK,
					   VMX_EPT_MISCONFIG_WX_VALUE);
		kvm_enable_tdp(enable_ept_2m);
	} else {
		kvm_disable_tdp();
		kvm_report_note("paging", "shadow page tables (mmu/shadow.c)");
	}

	r = alloc_kvm_area();
out:
	kvm_report_end(r, "%s", "");
	return r;
}

void vmx_hardware_unsetup(void)
{
	free_kvm_area();
}

int vmx_check_processor_compat(int cpu)
{
	struct vmcs_config vmcs_conf;
	struct vmx_capability vmx_cap;

	if (setup_vmcs_config(&vmcs_conf, &vmx_cap, cpu, false) < 0)
		return -EIO;
	if (memcmp(&vmcs_config, &vmcs_conf, sizeof(vmcs_conf)) ||
	    memcmp(&vmx_capability, &vmx_cap, sizeof(vmx_cap))) {
		pr_err("CPU %d feature inconsistency", cpu);
		return -EIO;
	}
	return 0;
}
