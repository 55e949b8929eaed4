/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Translation caches of the VMX side (SDM 28.4):
 *  - guest-physical mappings (GPA -> host page), tagged by EPTP, kept here
 *    in a direct-mapped array (the EPT hit path);
 *  - linear/combined mappings live in the x86 core's soft TLB, which holds
 *    one (VPID, EPTP) context at a time; `core_vpid/core_eptp` say which.
 */
#ifndef KVMINI_CPU_VMX_TLB_H
#define KVMINI_CPU_VMX_TLB_H

#include <stdbool.h>
#include <stdint.h>

#define EPT_TLB_ENTRIES 2048u /* power of two */

struct ept_tlb_entry {
	uint64_t gfn;
	uint64_t eptp;
	uint8_t *hpage; /* host pointer of the 4 KiB guest page */
	uint32_t gen;	/* valid iff == tlb->gen */
	uint8_t perms;	/* EPT R/W/X (bits 0-2) of the whole walk */
	bool dirty;	/* A/D on: leaf D already set (writes may hit) */
};

struct vmx_tlb {
	uint32_t gen;
	/* Which context the core's linear TLB currently holds. */
	bool core_valid;
	uint16_t core_vpid;
	uint64_t core_eptp;
	struct ept_tlb_entry ept[EPT_TLB_ENTRIES];
	/* Statistics. */
	uint64_t hits, misses;
};

struct vmx_tlb *vmx_tlb_create(void);
void vmx_tlb_destroy(struct vmx_tlb *tlb);
void vmx_tlb_flush_ept_all(struct vmx_tlb *tlb);
void vmx_tlb_flush_eptp(struct vmx_tlb *tlb, uint64_t eptp);

struct cpu;
/* VM entry / exit: keep or flush the core's linear TLB (VPID rules). */
void vmx_tlb_enter_context(struct cpu *cpu, bool vpid_on, uint16_t vpid,
			   uint64_t eptp);
void vmx_tlb_exit_context(struct cpu *cpu, bool vpid_on);

static inline struct ept_tlb_entry *vmx_tlb_slot(struct vmx_tlb *tlb,
						 uint64_t gfn)
{
	return &tlb->ept[gfn & (EPT_TLB_ENTRIES - 1)];
}

#endif
