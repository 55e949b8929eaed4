// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX instructions executed in VMX root by the host (SDM vol. 3C
 * ch. 30): VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE,
 * VMLAUNCH, VMRESUME. INVEPT/INVVPID live in tlb.c.
 */
#include <stdint.h>

#include "cpu/vmx/vmx.h"

static bool cr_fixed_ok(const struct cpu *cpu)
{
	uint64_t f0 = 0, f1 = 0;

	cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_CR0_FIXED0, &f0);
	cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_CR0_FIXED1, &f1);
	if ((cpu->cr0 & f0) != f0 || (cpu->cr0 & ~f1))
		return false;
	cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_CR4_FIXED0, &f0);
	cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_CR4_FIXED1, &f1);
	return (cpu->cr4 & f0) == f0 && !(cpu->cr4 & ~f1);
}

enum vmx_result cpu_vmxon(struct cpu *cpu, void *region)
{
	uint64_t pa = (uintptr_t)region;
	uint64_t fc = cpu->feature_control;

	if (!cpu_has(cpu, CPU_FEAT_VMX) || !(cpu->cr4 & X86_CR4_VMXE))
		return VMX_FAULT_UD;
	if (cpu->vmx_operation)
		return vmx_fail(cpu, VMXERR_VMXON_IN_VMX_ROOT_OPERATION);
	if (!cr_fixed_ok(cpu) || !(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))
		return VMX_FAULT_GP;
	if (!vmx_page_addr_ok(pa))
		return VMX_FAIL_INVALID;
	/* Bit 31 of the VMXON region's id must be 0 (no shadow VMXON). */
	if (((struct vmcs *)region)->revision_id != VMCS_REVISION_ID)
		return VMX_FAIL_INVALID;
	cpu->vmx_operation = true;
	cpu->vmxon_region = region;
	cpu->current_vmcs = NULL;
	return VMX_SUCCEED;
}

enum vmx_result cpu_vmxoff(struct cpu *cpu)
{
	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	cpu->vmx_operation = false;
	cpu->vmxon_region = NULL;
	cpu->current_vmcs = NULL;
	return VMX_SUCCEED;
}

enum vmx_result cpu_vmclear(struct cpu *cpu, void *ptr)
{
	uint64_t pa = (uintptr_t)ptr;
	struct vmcs *v = ptr;

	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	if (!vmx_page_addr_ok(pa))
		return vmx_fail(cpu, VMXERR_VMCLEAR_INVALID_ADDRESS);
	if (v == cpu->vmxon_region)
		return vmx_fail(cpu, VMXERR_VMCLEAR_VMXON_POINTER);
	/* Our VMCS data already lives in the region: only the launch
	 * state needs writing back. */
	v->launch_state = VMCS_LAUNCH_CLEAR;
	v->dirty = VMCS_DIRTY_ALL;
	if (v == cpu->current_vmcs)
		cpu->current_vmcs = NULL;
	return VMX_SUCCEED;
}

enum vmx_result cpu_vmptrld(struct cpu *cpu, void *ptr)
{
	uint64_t pa = (uintptr_t)ptr;
	struct vmcs *v = ptr;

	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	if (!vmx_page_addr_ok(pa))
		return vmx_fail(cpu, VMXERR_VMPTRLD_INVALID_ADDRESS);
	if (v == cpu->vmxon_region)
		return vmx_fail(cpu, VMXERR_VMPTRLD_VMXON_POINTER);
	/* Also rejects bit 31 (shadow VMCS): no VMCS shadowing here. */
	if (v->revision_id != VMCS_REVISION_ID)
		return vmx_fail(cpu, VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID);
	/* A VMCS arriving from elsewhere may have been checked by another
	 * processor (model): check it again. Reloading the current one
	 * changes nothing. */
	if (v != cpu->current_vmcs)
		v->dirty = VMCS_DIRTY_ALL;
	cpu->current_vmcs = v;
	return VMX_SUCCEED;
}

enum vmx_result cpu_vmptrst(struct cpu *cpu, void **ptr)
{
	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	/* An invalid current-VMCS pointer reads as all ones (SDM). */
	*ptr =
	    cpu->current_vmcs ? (void *)cpu->current_vmcs : (void *)UINTPTR_MAX;
	return VMX_SUCCEED;
}

enum vmx_result cpu_vmread(struct cpu *cpu, uint64_t field, uint64_t *val)
{
	int err;

	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	if (!cpu->current_vmcs)
		return VMX_FAIL_INVALID;
	err = vmcs_read_field(cpu->current_vmcs, field, val);
	return err ? vmx_fail(cpu, err) : VMX_SUCCEED;
}

enum vmx_result cpu_vmwrite(struct cpu *cpu, uint64_t field, uint64_t val)
{
	int err;

	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	if (!cpu->current_vmcs)
		return VMX_FAIL_INVALID;
	err = vmcs_write_field(cpu->current_vmcs, field, val, false);
	return err ? vmx_fail(cpu, err) : VMX_SUCCEED;
}

static enum vmx_result vmlaunch_or_resume(struct cpu *cpu, bool launch)
{
	struct vmcs *v = cpu->current_vmcs;

	if (!cpu->vmx_operation)
		return VMX_FAULT_UD;
	if (!v)
		return VMX_FAIL_INVALID;
	if (launch && v->launch_state != VMCS_LAUNCH_CLEAR)
		return vmx_fail(cpu, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	if (!launch && v->launch_state != VMCS_LAUNCH_LAUNCHED)
		return vmx_fail(cpu, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	/* Error 26 (events blocked by MOV SS) concerns the caller's own
	 * instruction stream; our caller is C code, never in a MOV-SS shadow.
	 */
	return vmx_vm_entry(cpu, launch);
}

enum vmx_result cpu_vmlaunch(struct cpu *cpu)
{
	return vmlaunch_or_resume(cpu, true);
}

enum vmx_result cpu_vmresume(struct cpu *cpu)
{
	return vmlaunch_or_resume(cpu, false);
}
