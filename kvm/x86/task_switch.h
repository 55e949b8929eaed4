/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMINI_KVM_X86_TASK_SWITCH_H
#define KVMINI_KVM_X86_TASK_SWITCH_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

/* Why the switch happens (the VMX exit qualification's bits 31:30). */
enum {
	TASK_SWITCH_CALL = 0,
	TASK_SWITCH_IRET = 1,
	TASK_SWITCH_JMP = 2,
	TASK_SWITCH_GATE = 3,
};

/* Switch to the task of @tss_sel; @next_eip is saved as the outgoing
 * task's EIP. Exit-handler convention (faults are queued for the guest). */
int kvm_task_switch(struct kvm_vcpu *vcpu, uint16_t tss_sel, int reason,
		    bool has_error, uint32_t error_code, uint64_t next_eip);

#endif
