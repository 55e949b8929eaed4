/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCS as KVM sees it (arch/x86/kvm/vmx/vmcs.h): a region whose
 * header is architectural, the rest opaque to software; the loaded_vmcs
 * bookkeeping (which CPU it is active on, launched or not); and the field
 * encodings KVM passes to VMREAD/VMWRITE (SDM vol. 3D app. B).
 */
#ifndef KVMINI_KVM_VMX_VMCS_H
#define KVMINI_KVM_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

struct vmcs_hdr {
	uint32_t revision_id : 31;
	uint32_t shadow_vmcs : 1;
};

struct vmcs {
	struct vmcs_hdr hdr;
	uint32_t abort;
	char data[];
};

/* A VMCS and where it is loaded (Linux: struct loaded_vmcs). */
struct loaded_vmcs {
	struct vmcs *vmcs;
	int cpu;       /* host CPU it is active on, -1 after VMCLEAR */
	bool launched; /* VMLAUNCH succeeded since the last VMCLEAR */
};

/* Field encodings (SDM vol. 3D app. B), from the field list cpu/ uses too. */
enum vmcs_field {
#define VMCS_FIELD(name, enc) name = (enc),
#include <x86/vmcs_fields.h>
#undef VMCS_FIELD
};

/* Guest segment fields are laid out per segment (ES=0, CS=1, ...):
 * selector 0x800 + 2i, limit 0x4800 + 2i, AR 0x4814 + 2i, base 0x6806 + 2i. */
#define GUEST_SEG_SELECTOR(i) (GUEST_ES_SELECTOR + 2 * (i))
#define GUEST_SEG_LIMIT(i)    (GUEST_ES_LIMIT + 2 * (i))
#define GUEST_SEG_AR_BYTES(i) (GUEST_ES_AR_BYTES + 2 * (i))
#define GUEST_SEG_BASE(i)     (GUEST_ES_BASE + 2 * (i))

#endif
