// SPDX-License-Identifier: GPL-2.0
/*
 * The encoding -> slot table generated from vmcs_fields.h (the access
 * rules themselves are inline in vmcs.h: VMREAD/VMWRITE are hot).
 */
#include "cpu/vmx/vmcs.h"

/* slot + 1, so that 0 means "no such field". */
const uint16_t vmcs_slot_of[1 << 13] = {
#define VMCS_FIELD(name, enc) [VMCS_KEY(enc)] = VMCS_SLOT_##name + 1,
#include <x86/vmcs_fields.h>
#undef VMCS_FIELD
};

static const uint16_t encoding_of[VMCS_NR_SLOTS] = {
#define VMCS_FIELD(name, enc) [VMCS_SLOT_##name] = (enc),
#include <x86/vmcs_fields.h>
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
