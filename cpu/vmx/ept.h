/* SPDX-License-Identifier: GPL-2.0 */
/* EPT: EPTP validity and the guest-physical walk (SDM 28.3). */
#ifndef KVMINI_CPU_VMX_EPT_H
#define KVMINI_CPU_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>
#include <x86/vmx.h>

#include "cpu/internal.h"

/* EPT-violation exit qualification (SDM 27.2.1 table 27-7) */
#define EPT_VIOL_READ		(1ull << 0)
#define EPT_VIOL_WRITE		(1ull << 1)
#define EPT_VIOL_FETCH		(1ull << 2)
#define EPT_VIOL_READABLE	(1ull << 3)
#define EPT_VIOL_WRITABLE	(1ull << 4)
#define EPT_VIOL_EXECUTABLE	(1ull << 5)
#define EPT_VIOL_GLA_VALID	(1ull << 7)
#define EPT_VIOL_GLA_TRANSLATED (1ull << 8)
#define EPT_VIOL_NMI_UNBLOCK	(1ull << 12)

/* VM-entry EPTP check (SDM 26.2.1.1): memtype, walk length, A/D, reserved. */
bool ept_eptp_valid(const struct cpu *cpu, uint64_t eptp);

/*
 * Translate gpa for an access (X86_ACC_*) under eptp, through the TLB.
 * Returns 0 with *hva = host pointer of gpa, or fills *exit with an EPT
 * violation / misconfiguration and returns its reason.
 */
uint32_t ept_translate(struct cpu *cpu, uint64_t eptp, uint64_t gpa,
		       unsigned access, uint64_t gla, bool gla_valid,
		       void **hva, struct x86_exit *exit);

#endif
