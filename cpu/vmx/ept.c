// SPDX-License-Identifier: GPL-2.0
/*
 * The EPT walk (SDM 28.3): 4 levels, 2M/1G leaves, R/W/X permissions,
 * accessed/dirty flags, and the violation vs misconfiguration rules.
 * Host-physical addresses in entries are pointers in this process.
 */
#include <string.h>

#include "cpu/vmx/ept.h"
#include "cpu/vmx/tlb.h"
#include "cpu/vmx/vmx.h"

#define EPT_ADDR_MASK (CPU_PA_MASK & ~0xfffull)
/* Bits 51:MAXPHYADDR of any entry are reserved. */
#define EPT_RSVD_HIGH (((1ull << 52) - 1) & ~CPU_PA_MASK)

static uint64_t ept_caps(const struct cpu *cpu)
{
	uint64_t cap = 0;

	cpu_vmx_cap_msr(cpu, MSR_IA32_VMX_EPT_VPID_CAP, &cap);
	return cap;
}

bool ept_eptp_valid(const struct cpu *cpu, uint64_t eptp)
{
	uint64_t cap = ept_caps(cpu);
	uint64_t mt = eptp & VMX_EPTP_MT_MASK;

	if (!(mt == VMX_EPTP_MT_UC && (cap & VMX_EPTP_UC_BIT)) &&
	    !(mt == VMX_EPTP_MT_WB && (cap & VMX_EPTP_WB_BIT)))
		return false;
	if ((eptp & VMX_EPTP_PWL_MASK) != VMX_EPTP_PWL_4 ||
	    !(cap & VMX_EPT_PAGE_WALK_4_BIT))
		return false;
	if ((eptp & VMX_EPTP_AD_ENABLE_BIT) && !(cap & VMX_EPT_AD_BIT))
		return false;
	/* Bits 11:7 reserved (no shadow-stack support), and beyond PA. */
	if (eptp & (0xf80ull | ~CPU_PA_MASK))
		return false;
	return (eptp & EPT_ADDR_MASK) != 0;
}

static bool misconfigured(uint64_t e, int level, uint64_t cap)
{
	uint64_t rwx = e & VMX_EPT_RWX_MASK;
	bool leaf = level == 1 || (level <= 3 && (e & VMX_EPT_LARGE_PAGE));

	if ((rwx & (VMX_EPT_READABLE_MASK | VMX_EPT_WRITABLE_MASK)) ==
	    VMX_EPT_WRITABLE_MASK)
		return true; /* write without read */
	if (rwx == VMX_EPT_EXECUTABLE_MASK && !(cap & VMX_EPT_EXECUTE_ONLY_BIT))
		return true;
	if (e & EPT_RSVD_HIGH)
		return true;
	if (!leaf)
		return (e & 0xf8) != 0; /* bits 7:3 reserved (PML4E bit 7) */
	if (level == 3 && !(cap & VMX_EPT_1GB_PAGE_BIT))
		return true;
	if (level == 2 && !(cap & VMX_EPT_2MB_PAGE_BIT))
		return true;
	/* Leaf: reserved low address bits of a large page. */
	if (level == 3 && (e & 0x3ffff000ull))
		return true;
	if (level == 2 && (e & 0x1ff000ull))
		return true;
	switch ((e >> VMX_EPT_MT_EPTE_SHIFT) & 7) {
	case 2:
	case 3:
	case 7:
		return true;
	}
	return false;
}

static uint32_t ept_fail(struct cpu *cpu, uint32_t reason, uint64_t qual,
			 uint64_t gpa, uint64_t gla, bool gla_valid,
			 struct x86_exit *exit)
{
	memset(exit, 0, sizeof(*exit));
	exit->reason = reason;
	exit->qualification = qual;
	exit->gpa = gpa;
	exit->gla = gla;
	exit->gla_valid = reason == EXIT_REASON_EPT_VIOLATION && gla_valid;
	return reason;
}

uint32_t ept_translate(struct cpu *cpu, uint64_t eptp, uint64_t gpa,
		       unsigned access, uint64_t gla, bool gla_valid,
		       void **hva, struct x86_exit *exit)
{
	bool ad = eptp & VMX_EPTP_AD_ENABLE_BIT;
	uint64_t cap = 0;
	uint64_t *table = (uint64_t *)(uintptr_t)(eptp & EPT_ADDR_MASK);
	uint64_t *used[4];
	uint64_t perms = VMX_EPT_RWX_MASK, need = 0, e = 0, qual;
	struct vmx_tlb *tlb = cpu->tlb;
	struct ept_tlb_entry *te;
	int level, nused = 0;
	uint8_t *page = NULL;

	/* With A/D on, guest paging-structure accesses count as writes. */
	if (ad && (access & X86_ACC_PTWALK))
		access |= X86_ACC_WRITE;
	if (access & X86_ACC_READ)
		need |= VMX_EPT_READABLE_MASK;
	if (access & X86_ACC_WRITE)
		need |= VMX_EPT_WRITABLE_MASK;
	if (access & X86_ACC_EXEC)
		need |= VMX_EPT_EXECUTABLE_MASK;
	if (access & X86_ACC_PTWALK)
		need |= VMX_EPT_READABLE_MASK;

	te = vmx_tlb_slot(tlb, gpa >> 12);
	if (te->gen == tlb->gen && te->gfn == gpa >> 12 && te->eptp == eptp &&
	    (te->perms & need) == need &&
	    (!(access & X86_ACC_WRITE) || !ad || te->dirty)) {
		tlb->hits++;
		*hva = te->hpage + (gpa & 0xfff);
		return 0;
	}
	tlb->misses++;
	cap = ept_caps(cpu);

	if (gpa & ~CPU_PA_MASK) {
		perms = 0;
		goto violation;
	}
	for (level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t *pe = &table[(gpa >> shift) & 511];

		e = __atomic_load_n(pe, __ATOMIC_RELAXED);
		if (!(e & VMX_EPT_RWX_MASK)) {
			perms = 0;
			goto violation;
		}
		if (misconfigured(e, level, cap))
			return ept_fail(cpu, EXIT_REASON_EPT_MISCONFIG, 0, gpa,
					gla, gla_valid, exit);
		perms &= e & VMX_EPT_RWX_MASK;
		used[nused++] = pe;
		if (level == 1 || (level <= 3 && (e & VMX_EPT_LARGE_PAGE))) {
			page = (uint8_t *)(uintptr_t)((e & EPT_ADDR_MASK &
						       ~((1ull << shift) - 1)) |
						      (gpa &
						       ((1ull << shift) - 1) &
						       ~0xfffull));
			break;
		}
		table = (uint64_t *)(uintptr_t)(e & EPT_ADDR_MASK);
	}
	if ((perms & need) != need)
		goto violation;

	if (ad) {
		for (int i = 0; i < nused; i++)
			__atomic_fetch_or(used[i], VMX_EPT_ACCESS_BIT,
					  __ATOMIC_RELAXED);
		if (access & X86_ACC_WRITE)
			__atomic_fetch_or(used[nused - 1], VMX_EPT_DIRTY_BIT,
					  __ATOMIC_RELAXED);
	}
	te->gfn = gpa >> 12;
	te->eptp = eptp;
	te->hpage = page;
	te->perms = (uint8_t)perms;
	te->dirty = !ad || (access & X86_ACC_WRITE) || (e & VMX_EPT_DIRTY_BIT);
	te->gen = tlb->gen;
	*hva = page + (gpa & 0xfff);
	return 0;

violation:
	/* Entries the walk used before it failed are still "used"
	 * (SDM 28.3.5): they get their accessed flags. */
	if (ad)
		for (int i = 0; i < nused; i++)
			__atomic_fetch_or(used[i], VMX_EPT_ACCESS_BIT,
					  __ATOMIC_RELAXED);
	qual = 0;
	if (access & (X86_ACC_READ | X86_ACC_PTWALK))
		qual |= EPT_VIOL_READ;
	if (access & X86_ACC_WRITE)
		qual |= EPT_VIOL_WRITE;
	if (access & X86_ACC_EXEC)
		qual |= EPT_VIOL_FETCH;
	if (ad && (access & X86_ACC_PTWALK))
		qual &= ~EPT_VIOL_READ; /* reported as a write (SDM 28.3.3.2) */
	qual |= (perms & VMX_EPT_RWX_MASK) << 3;
	if (gla_valid) {
		qual |= EPT_VIOL_GLA_VALID;
		if (!(access & X86_ACC_PTWALK))
			qual |= EPT_VIOL_GLA_TRANSLATED;
	}
	return ept_fail(cpu, EXIT_REASON_EPT_VIOLATION, qual, gpa, gla,
			gla_valid, exit);
}
