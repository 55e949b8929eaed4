/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini's VMCS: the 4 KiB region the caller hands to VMPTRLD. The SDM
 * fixes only the first two dwords (revision id, VMX-abort indicator); the
 * rest is ours: a launch-state word and one 64-bit slot per field of
 * vmcs_fields.h. Fields are stored already truncated to their width, so
 * cpu/ code reads them by name with VMCS(vmcs, GUEST_RIP).
 */
#ifndef KVMINI_CPU_VMX_VMCS_H
#define KVMINI_CPU_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

/* Field encodings, named as the SDM/Linux name them. */
enum vmcs_field_encoding {
#define VMCS_FIELD(name, enc) name = (enc),
#include "cpu/vmx/vmcs_fields.h"
#undef VMCS_FIELD
};

enum vmcs_slot {
#define VMCS_FIELD(name, enc) VMCS_SLOT_##name,
#include "cpu/vmx/vmcs_fields.h"
#undef VMCS_FIELD
	VMCS_NR_SLOTS
};

#define VMCS_REVISION_ID 0x6b766d31u /* "kvm1"; bit 31 clear */
#define VMCS_REGION_SIZE 4096u

/* Launch-state word values; a never-VMCLEARed zeroed region counts as clear. */
#define VMCS_LAUNCH_CLEAR    0u
#define VMCS_LAUNCH_LAUNCHED 0x4c41554eu

struct vmcs {
	uint32_t revision_id;
	uint32_t abort;
	uint32_t launch_state;
	uint32_t reserved;
	uint64_t field[VMCS_NR_SLOTS];
};

_Static_assert(sizeof(struct vmcs) <= VMCS_REGION_SIZE, "VMCS too large");

#define VMCS(v, name) ((v)->field[VMCS_SLOT_##name])

/* Encoding decomposition (SDM 24.11.2). */
enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };
enum vmcs_type { VMCS_CONTROL = 0, VMCS_RO = 1, VMCS_GUEST = 2, VMCS_HOST = 3 };

/*
 * Slot of an encoding, or -1 if unsupported (reserved bits, high access of
 * a non-64-bit field, unknown field). *high is set for "high" accesses.
 */
int vmcs_field_slot(uint64_t encoding, bool *high);
/* Highest index (bits 9:1) among supported encodings, for IA32_VMX_VMCS_ENUM.
 */
unsigned vmcs_max_index(void);
/* VMREAD/VMWRITE semantics on a region; return 0 or a VM-instruction error. */
int vmcs_read_field(const struct vmcs *v, uint64_t enc, uint64_t *val);
int vmcs_write_field(struct vmcs *v, uint64_t enc, uint64_t val,
		     bool ro_writable);

#endif
