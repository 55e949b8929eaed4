// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX TLB: the EPT-tagged guest-physical cache, INVEPT and INVVPID
 * (SDM 30.3, 28.4.3), and the flushes VM entry/exit owe the core's linear
 * TLB when VPID is off.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/vmx/core_glue.h"
#include "cpu/vmx/ept.h"
#include "cpu/vmx/tlb.h"
#include "cpu/vmx/vmx.h"

struct vmx_tlb *vmx_tlb_create(void)
{
	struct vmx_tlb *tlb = calloc(1, sizeof(*tlb));

	if (tlb)
		tlb->gen = 1;
	return tlb;
}

void vmx_tlb_destroy(struct vmx_tlb *tlb)
{
	free(tlb);
}

void vmx_tlb_flush_ept_all(struct vmx_tlb *tlb)
{
	/* Bump the generation; on wrap, really clear. */
	if (++tlb->gen == 0) {
		memset(tlb->ept, 0, sizeof(tlb->ept));
		tlb->gen = 1;
	}
}

void vmx_tlb_flush_eptp(struct vmx_tlb *tlb, uint64_t eptp)
{
	uint64_t root = eptp & ~0xfffull;

	for (unsigned i = 0; i < EPT_TLB_ENTRIES; i++)
		if ((tlb->ept[i].eptp & ~0xfffull) == root)
			tlb->ept[i].gen = 0;
}

/* Drop the core's linear/combined mappings if they belong to a context
 * the invalidation covers. */
static void flush_core_if(struct cpu *cpu, bool match, bool global)
{
	if (match && cpu->tlb->core_valid) {
		vmx_core_flush_tlb(cpu, global);
		if (global)
			cpu->tlb->core_valid = false;
	}
}

static bool invept_type_ok(const struct cpu *cpu, uint64_t type)
{
	uint64_t cap = 0;

	if (!cpu_has(cpu, CPU_FEAT_EPT) ||
	    !cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_EPT_VPID_CAP, &cap))
		return false;
	if (type == VMX_EPT_EXTENT_CONTEXT)
		return cap & VMX_EPT_EXTENT_CONTEXT_BIT;
	if (type == VMX_EPT_EXTENT_GLOBAL)
		return cap & VMX_EPT_EXTENT_GLOBAL_BIT;
	return false;
}

enum vmx_result cpu_invept(struct cpu *cpu, uint64_t type, uint64_t eptp)
{
	struct vmx_tlb *tlb = cpu->tlb;

	/* INVEPT is #UD unless EPT can be enabled. */
	if (!cpu->vmx_operation || !cpu_has(cpu, CPU_FEAT_EPT))
		return VMX_FAULT_UD;
	if (!invept_type_ok(cpu, type))
		return vmx_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	if (type == VMX_EPT_EXTENT_CONTEXT) {
		if (!ept_eptp_valid(cpu, eptp))
			return vmx_fail(
			    cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
		vmx_tlb_flush_eptp(tlb, eptp);
		/* Combined mappings of this EPTP, any VPID. */
		flush_core_if(
		    cpu, (tlb->core_eptp & ~0xfffull) == (eptp & ~0xfffull),
		    true);
	} else {
		vmx_tlb_flush_ept_all(tlb);
		flush_core_if(cpu, true, true);
	}
	return VMX_SUCCEED;
}

static bool is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

enum vmx_result cpu_invvpid(struct cpu *cpu, uint64_t type, uint16_t vpid,
			    uint64_t gla)
{
	struct vmx_tlb *tlb = cpu->tlb;
	uint64_t cap = 0;
	bool mine;

	if (!cpu->vmx_operation || !cpu_has(cpu, CPU_FEAT_VPID))
		return VMX_FAULT_UD;
	cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_EPT_VPID_CAP, &cap);
	if (type > 3 ||
	    !((cap >> 32) & (VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT << type)))
		return vmx_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	/* Types 0, 1, 3 name one VPID: it must not be the host's (0). */
	if (type != VMX_VPID_EXTENT_ALL_CONTEXT && vpid == 0)
		return vmx_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	if (type == VMX_VPID_EXTENT_INDIVIDUAL_ADDR && !is_canonical(gla))
		return vmx_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);

	mine = tlb->core_valid && tlb->core_vpid == vpid;
	switch (type) {
	case VMX_VPID_EXTENT_INDIVIDUAL_ADDR:
		if (mine)
			vmx_core_flush_gla(cpu, gla);
		break;
	case VMX_VPID_EXTENT_SINGLE_CONTEXT:
		flush_core_if(cpu, mine, true);
		break;
	case VMX_VPID_EXTENT_ALL_CONTEXT:
		/* All VPIDs except 0 (the host's, which owns no guest
		 * translations here). */
		flush_core_if(cpu, tlb->core_vpid != 0, true);
		break;
	case VMX_VPID_EXTENT_SINGLE_NON_GLOBAL:
		flush_core_if(cpu, mine, false);
		break;
	}
	return VMX_SUCCEED;
}

/*
 * Before running a guest: the core's TLB may be reused only if it holds
 * this very (VPID, EPTP) context and VPID tagging is on (SDM 28.4.3.3:
 * without VPID, entry and exit flush linear and combined mappings).
 */
void vmx_tlb_enter_context(struct cpu *cpu, bool vpid_on, uint16_t vpid,
			   uint64_t eptp)
{
	struct vmx_tlb *tlb = cpu->tlb;

	if (!vpid_on)
		vpid = 0;
	if (!vpid_on || !tlb->core_valid || tlb->core_vpid != vpid ||
	    tlb->core_eptp != eptp)
		vmx_core_flush_tlb(cpu, true);
	tlb->core_valid = true;
	tlb->core_vpid = vpid;
	tlb->core_eptp = eptp;
}

void vmx_tlb_exit_context(struct cpu *cpu, bool vpid_on)
{
	if (!vpid_on) {
		vmx_core_flush_tlb(cpu, true);
		cpu->tlb->core_valid = false;
	}
}
