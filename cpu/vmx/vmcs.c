// SPDX-License-Identifier: GPL-2.0
/*
 * VMCS field access rules (SDM 24.11.2, 30.3 VMREAD/VMWRITE): encoding
 * validation, the encoding -> slot table generated from vmcs_fields.h,
 * width truncation and high-half access of 64-bit fields.
 */
#include "cpu/cpu.h"
#include "cpu/vmx/vmcs.h"

/* 13-bit key: index (9:1), type (11:10), width (14:13); bit 0 dropped. */
#define VMCS_KEY(enc)                                                          \
	((((enc) >> 1) & 0x1ff) | ((((enc) >> 10) & 3) << 9) |                 \
	 ((((enc) >> 13) & 3) << 11))

/* slot + 1, so that 0 means "no such field". */
static const uint16_t slot_of[1 << 13] = {
#define VMCS_FIELD(name, enc) [VMCS_KEY(enc)] = VMCS_SLOT_##name + 1,
#include "cpu/vmx/vmcs_fields.h"
#undef VMCS_FIELD
};

static const uint16_t encoding_of[VMCS_NR_SLOTS] = {
#define VMCS_FIELD(name, enc) [VMCS_SLOT_##name] = (enc),
#include "cpu/vmx/vmcs_fields.h"
#undef VMCS_FIELD
};

unsigned vmcs_max_index(void)
{
	unsigned max = 0;

	for (unsigned i = 0; i < VMCS_NR_SLOTS; i++)
		if (((encoding_of[i] >> 1) & 0x1ff) > max)
			max = (encoding_of[i] >> 1) & 0x1ff;
	return max;
}

int vmcs_field_slot(uint64_t enc, bool *high)
{
	/* Bits 63:15 and bit 12 are reserved: such encodings name no field. */
	if (enc & ~0x6fffull)
		return -1;
	*high = enc & 1;
	if (*high && ((enc >> 13) & 3) != VMCS_W64)
		return -1;
	return (int)slot_of[VMCS_KEY(enc)] - 1;
}

static uint64_t truncate_width(uint64_t enc, uint64_t val)
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

int vmcs_read_field(const struct vmcs *v, uint64_t enc, uint64_t *val)
{
	bool high;
	int slot = vmcs_field_slot(enc, &high);

	if (slot < 0)
		return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
	if (high)
		*val = v->field[slot] >> 32;
	else
		*val = truncate_width(enc, v->field[slot]);
	return 0;
}

int vmcs_write_field(struct vmcs *v, uint64_t enc, uint64_t val,
		     bool ro_writable)
{
	bool high;
	int slot = vmcs_field_slot(enc, &high);

	if (slot < 0)
		return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
	if (((enc >> 10) & 3) == VMCS_RO && !ro_writable)
		return VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT;
	if (high)
		v->field[slot] = (v->field[slot] & 0xffffffffull) |
				 (val & 0xffffffffull) << 32;
	else
		v->field[slot] = truncate_width(enc, val);
	return 0;
}
