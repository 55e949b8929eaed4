/* SPDX-License-Identifier: GPL-2.0 */
/* The VMX vendor module's private objects (arch/x86/kvm/vmx/vmx.h). */
#ifndef KVMINI_KVM_VMX_VMX_H
#define KVMINI_KVM_VMX_VMX_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "kvm/kvm_host.h"
#include "kvm/smp.h"
#include "kvm/x86/vmx/capabilities.h"
#include "kvm/x86/vmx/vmcs.h"

/* Shadow slot of a field: type (11:10), width (14:13), index (6:1). */
#define VMCS_SHADOW_SLOTS	1024
#define VMCS_SHADOW_GUEST_FIRST (2 << 8)
#define VMCS_SHADOW_GUEST_COUNT 256

/* Exit information read once per exit (vmx_get_exit_info). */
struct vmx_exit_info {
	uint32_t reason; /* full VM_EXIT_REASON */
	uint64_t qualification;
	uint64_t gpa;
	uint32_t intr_info, idt_vectoring_info, instr_len, error_code;
	uint32_t idt_vectoring_error_code;
	char diag[128]; /* cpu_exit_diag() for kvmini's own exit reasons */
	bool failed_vmentry_valid; /* VMLAUNCH/VMRESUME itself failed */
	uint32_t vm_instruction_error;
	enum vmx_result entry_result;
};

struct vcpu_vmx {
	struct kvm_vcpu vcpu; /* first: the generic allocator hands out this */
	struct loaded_vmcs vmcs01;
	struct loaded_vmcs *loaded_vmcs;
	uint16_t vpid;
	uint64_t *msr_bitmap; /* one page, NULL without MSR bitmaps */
	uint32_t pin_ctls, exec_ctls, exec2_ctls, exit_ctls, entry_ctls;
	uint64_t eptp;
	uint32_t exception_bitmap;
	uint64_t cr0_guest_owned, cr4_guest_owned;
	struct vmx_exit_info exit;
	/* an event written into VM_ENTRY_INTR_INFO_FIELD for this entry */
	uint32_t injected_intr_info;
	/* Paging off on EPT without unrestricted guest: the identity table */
	bool identity_mapped;
	/*
	 * What this vCPU's VMCS holds, as far as we know it, so unchanged
	 * fields are not written again (Linux keeps similar register and
	 * control shadows). Guest-state entries are dropped at every VM exit
	 * (the exit rewrote them) and refilled by the reads that follow.
	 */
	uint64_t vmcs_shadow[VMCS_SHADOW_SLOTS];
	uint8_t vmcs_shadow_valid[VMCS_SHADOW_SLOTS];
};

_Static_assert(offsetof(struct vcpu_vmx, vcpu) == 0,
	       "struct kvm_vcpu must be first in struct vcpu_vmx");

static inline struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return (struct vcpu_vmx *)((char *)vcpu -
				   offsetof(struct vcpu_vmx, vcpu));
}

/* Per-CPU VMXON regions (alloc_kvm_area). */
extern struct vmcs *vmxarea[KVM_MAX_HOST_CPUS];

/* vmcs.c */
struct vmcs *alloc_vmcs_cpu(int cpu);
void free_vmcs(struct vmcs *vmcs);
int alloc_kvm_area(void);
void free_kvm_area(void);

/* VMREAD/VMWRITE on the CPU the vCPU is loaded on. A failure here is a
 * KVM bug (unsupported field), reported once on stderr. */
uint64_t vmcs_read(struct kvm_vcpu *vcpu, enum vmcs_field field);
void vmcs_write(struct kvm_vcpu *vcpu, enum vmcs_field field, uint64_t val);
/* Forget what the shadow knows of guest-state fields (after a VM exit). */
void vmcs_shadow_drop_guest_state(struct kvm_vcpu *vcpu);
static inline struct cpu *vcpu_host_cpu(struct kvm_vcpu *vcpu)
{
	return host_cpu(vcpu->cpu);
}

/* vmx.c */
extern struct kvm_x86_ops vmx_x86_ops;
int vmx_hardware_setup(void);
void vmx_hardware_unsetup(void);
int vmx_check_processor_compat(int cpu);

/* init_vmcs.c: program the VMCS of a new vCPU; load state before entry,
 * save it after exit. */
void vmx_init_vmcs(struct vcpu_vmx *vmx);
void vmx_load_guest_state(struct vcpu_vmx *vmx);
void vmx_save_guest_state(struct vcpu_vmx *vmx);
uint64_t vmx_construct_eptp(uint64_t root_hpa);

/* handle_exit.c */
int vmx_handle_exit(struct kvm_vcpu *vcpu);
void vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu);

#endif
