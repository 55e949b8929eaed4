/* SPDX-License-Identifier: GPL-2.0 */
/* Private to cpu/vmx/: how the VMX pieces call each other. */
#ifndef KVMINI_CPU_VMX_VMX_H
#define KVMINI_CPU_VMX_VMX_H

#include <x86/vmx.h>

#include "cpu/internal.h"
#include "cpu/vmx/vmcs.h"

/*
 * VMfail: VMfailValid(err) with a current VMCS (error stored in
 * VM_INSTRUCTION_ERROR), else VMfailInvalid (SDM 30.2).
 */
static inline enum vmx_result vmx_fail(struct cpu *cpu, unsigned err)
{
	if (!cpu->current_vmcs)
		return VMX_FAIL_INVALID;
	VMCS(cpu->current_vmcs, VM_INSTRUCTION_ERROR) = err;
	return VMX_FAIL_VALID;
}

/* A host-physical pointer the silicon accepts: non-NULL, 4K aligned,
 * within MAXPHYADDR. Page 0 does not exist in kvmini's host RAM. */
static inline bool vmx_page_addr_ok(uint64_t pa)
{
	return pa && !(pa & 0xfff) && !(pa & ~CPU_PA_MASK);
}

/* entry.c: VM entry (checks, load guest, run, exit). Launch state checked. */
enum vmx_result vmx_vm_entry(struct cpu *cpu, bool launch);

#endif
