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
#include <x86/vmcs_fields.h>
#undef VMCS_FIELD
};

enum vmcs_slot {
#define VMCS_FIELD(name, enc) VMCS_SLOT_##name,
#include <x86/vmcs_fields.h>
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
	uint32_t dirty; /* VMCS_DIRTY_* */
	uint64_t field[VMCS_NR_SLOTS];
};

_Static_assert(sizeof(struct vmcs) <= VMCS_REGION_SIZE, "VMCS too large");

#define VMCS(v, name) ((v)->field[VMCS_SLOT_##name])

/* Encoding decomposition (SDM 24.11.2). */
enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNAT = 3 };
enum vmcs_type { VMCS_CONTROL = 0, VMCS_RO = 1, VMCS_GUEST = 2, VMCS_HOST = 3 };

/* 13-bit key: index (9:1), type (11:10), width (14:13); bit 0 dropped. */
#define VMCS_KEY(enc)                                                          \
	((((enc) >> 1) & 0x1ff) | ((((enc) >> 10) & 3) << 9) |                 \
	 ((((enc) >> 13) & 3) << 11))

/* slot + 1 per key, so that 0 means "no such field" (vmcs.c). */
extern const uint16_t vmcs_slot_of[1 << 13];

/* Highest index (bits 9:1) among supported encodings, for IA32_VMX_VMCS_ENUM.
 */
unsigned vmcs_max_index(void);

/*
 * Slot of an encoding, or -1 if unsupported (reserved bits 63:15 or 12,
 * high access of a non-64-bit field, unknown field). *high is set for
 * "high" accesses.
 */
static inline int vmcs_field_slot(uint64_t enc, bool *high)
{
	if (enc & ~0x6fffull)
		return -1;
	*high = enc & 1;
	if (*high && ((enc >> 13) & 3) != VMCS_W64)
		return -1;
	return (int)vmcs_slot_of[VMCS_KEY(enc)] - 1;
}

static inline uint64_t vmcs_truncate(uint64_t enc, uint64_t val)
{
	switch ((enc >> 13) & 3) {
	case VMCS_W16:
		return val & 0xffff;
	case VMCS_W32:
		return val & 0xffffffffull;
	default:
		return val;
	}
}

/* Dirty bits in struct vmcs.dirty: which field types VMWRITE touched
 * since the last successful VM entry checked them (entry.c skips the
 * control/host checks of an untouched, launched VMCS). */
#define VMCS_DIRTY_CONTROL (1u << VMCS_CONTROL)
#define VMCS_DIRTY_HOST	   (1u << VMCS_HOST)
#define VMCS_DIRTY_ALL	   0xfu

/* VMREAD/VMWRITE on a region; 0 or a VM-instruction error number. */
static inline int vmcs_read_field(const struct vmcs *v, uint64_t enc,
				  uint64_t *val)
{
	bool high;
	int slot = vmcs_field_slot(enc, &high);

	if (slot < 0)
		return 12; /* VMXERR_UNSUPPORTED_VMCS_COMPONENT */
	*val = high ? v->field[slot] >> 32 : vmcs_truncate(enc, v->field[slot]);
	return 0;
}

static inline int vmcs_write_field(struct vmcs *v, uint64_t enc, uint64_t val,
				   bool ro_writable)
{
	bool high;
	int slot = vmcs_field_slot(enc, &high);
	unsigned type = (enc >> 10) & 3;

	if (slot < 0)
		return 12; /* VMXERR_UNSUPPORTED_VMCS_COMPONENT */
	if (type == VMCS_RO && !ro_writable)
		return 13; /* VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT */
	uint64_t old = v->field[slot], nv;

	if (high)
		nv = (old & 0xffffffffull) | (val & 0xffffffffull) << 32;
	else
		nv = vmcs_truncate(enc, val);
	v->field[slot] = nv;
	/* Rewriting the same value changes nothing worth re-checking. */
	if (nv != old)
		v->dirty |= 1u << type;
	return 0;
}

#endif
