// SPDX-License-Identifier: GPL-2.0
/* VM entry (SDM ch. 26). */
#include "cpu/vmx/vmx.h"

enum vmx_result vmx_vm_entry(struct cpu *cpu, bool launch)
{
	/* Not built yet: refuse the entry as an invalid-control failure. */
	return vmx_fail(cpu, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
}
