// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_handle_exit and kvm_vmx_exit_handlers[] (vmx-reference.md §9).
 * Handlers return 1 to re-enter the guest, 0 to return to userspace with
 * run->exit_reason set, < 0 for an error to the KVM_RUN caller. Guest
 * state has already been saved into vcpu->arch (vmx_save_guest_state).
 */
#include <errno.h>
#include <string.h>
#include <x86/trapnr.h>

#include "kvm/x86/emulate.h"
#include "kvm/x86/task_switch.h"
#include "kvm/x86/mmu/mmu.h"
#include "kvm/x86/mmu/shadow.h"
#include "kvm/x86/vmx/vmx.h"
#include "kvm/x86/x86.h"

void vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vcpu->arch.rip += vmx->exit.instr_len;
	if (!is_long_mode(vcpu) || !(vcpu->arch.segments[VCPU_SREG_CS].l))
		vcpu->arch.rip &= 0xffffffffull;
	/* Completing an instruction ends STI / MOV SS blocking (not the
	 * NMI blocking an NMI handler runs under). */
	vcpu->arch.interruptibility &= ~3u;
}

static int handle_external_interrupt(struct kvm_vcpu *vcpu)
{
	/* A kick (cpu_kick) or host "interrupt": already acknowledged. */
	return 1;
}

static int handle_triple_fault(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int handle_interrupt_window(struct kvm_vcpu *vcpu)
{
	/* vmx_inject_pending re-arms the window exit if still needed. */
	if (vcpu->run->request_interrupt_window && vcpu->arch.pending_irq < 0) {
		vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}
	return 1;
}

static int handle_nmi_window(struct kvm_vcpu *vcpu)
{
	/* vmx_inject_pending injects the NMI at the next entry. */
	return 1;
}

static int handle_preemption_timer(struct kvm_vcpu *vcpu)
{
	return 1;
}

static int handle_cpuid(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_cpuid(vcpu);
}

static int handle_halt(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_halt(vcpu);
}

static int handle_rdmsr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_rdmsr(vcpu);
}

static int handle_wrmsr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_wrmsr(vcpu);
}

static int handle_nop(struct kvm_vcpu *vcpu)
{
	/* INVD, WBINVD, PAUSE: nothing for a software guest to wait for. */
	vmx_skip_emulated_instruction(vcpu);
	return 1;
}

static int handle_ud(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
	return 1;
}

static int handle_rdpmc(struct kvm_vcpu *vcpu)
{
	/* No vPMU: every counter index is invalid. */
	kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
	return 1;
}

static int handle_invlpg(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (!enable_ept)
		kvm_shadow_invlpg(vcpu, vmx->exit.qualification);
	/* The guest's INVLPG was intercepted: flush for it before the next
	 * entry (with the host CPU held; exit handlers run without it). */
	kvm_make_request(KVM_REQ_TLB_FLUSH_CURRENT, vcpu);
	vmx_skip_emulated_instruction(vcpu);
	return 1;
}

static int handle_io(struct kvm_vcpu *vcpu)
{
	uint64_t q = to_vmx(vcpu)->exit.qualification;
	int size = (int)(q & 7) + 1;
	bool in = q & 8, string = q & 16;
	uint16_t port = (uint16_t)(q >> 16);

	if (size != 1 && size != 2 && size != 4) {
		uint64_t d[1] = {q};

		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 1,
					  d);
	}
	if (string)
		return kvm_emulate_string_io(vcpu, size, port, in, q & 32);
	return kvm_fast_pio(vcpu, size, port, in);
}

static int handle_cr(struct kvm_vcpu *vcpu)
{
	uint64_t q = to_vmx(vcpu)->exit.qualification;
	unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	uint64_t val = vcpu->arch.regs[reg];
	int err = 0;

	switch (type) {
	case 0: /* MOV to CR */
		switch (cr) {
		case 0:
			err = kvm_set_cr0(vcpu, val);
			break;
		case 3:
			err = kvm_set_cr3(vcpu, val);
			break;
		case 4:
			err = kvm_set_cr4(vcpu, val);
			break;
		case 8:
			err = kvm_set_cr8(vcpu, val);
			break;
		default:
			goto unknown;
		}
		break;
	case 1: /* MOV from CR */
		if (cr == 3)
			val = vcpu->arch.cr3;
		else if (cr == 8)
			val = vcpu->arch.cr8;
		else
			goto unknown;
		if (!is_long_mode(vcpu))
			val &= 0xffffffffull;
		vcpu->arch.regs[reg] = val;
		break;
	case 2: /* CLTS */
		err = kvm_set_cr0(vcpu, vcpu->arch.cr0 & ~X86_CR0_TS);
		break;
	case 3: /* LMSW: only PE, MP, EM, TS; PE cannot be cleared */
		val = (q >> 16) & 0xf;
		err = kvm_set_cr0(vcpu, (vcpu->arch.cr0 & ~0xeull) | val |
					    (vcpu->arch.cr0 & X86_CR0_PE));
		break;
	}
	if (err) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	vmx_skip_emulated_instruction(vcpu);
	return 1;
unknown:
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	vcpu->run->hw.hardware_exit_reason = EXIT_REASON_CR_ACCESS;
	return 0;
}

static int handle_dr(struct kvm_vcpu *vcpu)
{
	uint64_t q = to_vmx(vcpu)->exit.qualification;
	unsigned dr = q & 7, reg = (q >> 8) & 15;
	bool from = q & 16;
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if ((dr == 4 || dr == 5) && (a->cr4 & X86_CR4_DE)) {
		kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
		return 1;
	}
	if (a->segments[VCPU_SREG_SS].dpl) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	if (dr == 4 || dr == 5)
		dr += 2;
	if (from) {
		a->regs[reg] = dr < 4 ? a->db[dr] : dr == 6 ? a->dr6 : a->dr7;
	} else {
		uint64_t v = a->regs[reg];

		if (dr < 4)
			a->db[dr] = v;
		else if (dr == 6)
			a->dr6 = (v & 0xffffffffull) | 0xffff0ff0ull;
		else
			a->dr7 = (v & 0xffffffffull) | 0x400;
	}
	vmx_skip_emulated_instruction(vcpu);
	return 1;
}

static int handle_exception_nmi(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	uint32_t info = vmx->exit.intr_info;
	unsigned vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1; /* a host NMI: nothing for the guest */
	if (vector == PF_VECTOR && !enable_ept)
		return kvm_shadow_page_fault(vcpu, vmx->exit.qualification,
					     vmx->exit.error_code);
	if (vector == MC_VECTOR) {
		uint64_t d[2] = {info, vmx->exit.qualification};

		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
					  d);
	}
	/* Not intercepted on purpose: give it back to the guest. */
	kvm_queue_exception(vcpu, vector, info & INTR_INFO_DELIVER_CODE_MASK,
			    vmx->exit.error_code);
	return 1;
}

static int handle_ept_violation(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	uint64_t q = vmx->exit.qualification;

	return kvm_mmu_page_fault(vcpu, vmx->exit.gpa, q & 2, q & 4, false);
}

static int handle_ept_misconfig(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* Our MMIO SPTEs are misconfigured on purpose (W+X, no R). */
	return kvm_mmu_page_fault(vcpu, vmx->exit.gpa, false, false, true);
}

static int handle_task_switch(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t q = vmx->exit.qualification;
	uint32_t idtv = vmx->exit.idt_vectoring_info;
	int reason = (int)((q >> 30) & 3);
	uint64_t next_eip = a->rip + vmx->exit.instr_len;
	bool has_error = false;
	uint32_t error_code = 0;

	if (reason == TASK_SWITCH_GATE && (idtv & INTR_INFO_VALID_MASK)) {
		uint32_t type = idtv & INTR_INFO_INTR_TYPE_MASK;

		/* The event is delivered by the switch: drop the copy that
		 * vmx_complete_interrupts queued for re-injection. */
		if (type == INTR_TYPE_EXT_INTR) {
			a->pending_irq = -1;
		} else if (type == INTR_TYPE_HARD_EXCEPTION) {
			a->exception_pending = false;
			has_error = idtv & INTR_INFO_DELIVER_CODE_MASK;
			error_code = vmx->exit.idt_vectoring_error_code;
		}
		/* Faults and hardware interrupts return to this instruction;
		 * INT n / INT3 / INTO return after it. */
		if (type != INTR_TYPE_SOFT_INTR && type != (6u << 8) &&
		    type != (5u << 8))
			next_eip = a->rip;
	}
	return kvm_task_switch(vcpu, (uint16_t)(q & 0xffff), reason, has_error,
			       error_code, next_eip);
}

typedef int (*exit_handler_t)(struct kvm_vcpu *vcpu);

static const exit_handler_t kvm_vmx_exit_handlers[] = {
    [EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
    [EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
    [EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
    [EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
    [EXIT_REASON_TASK_SWITCH] = handle_task_switch,
    [EXIT_REASON_CPUID] = handle_cpuid,
    [EXIT_REASON_HLT] = handle_halt,
    [EXIT_REASON_INVD] = handle_nop,
    [EXIT_REASON_INVLPG] = handle_invlpg,
    [EXIT_REASON_RDPMC] = handle_rdpmc,
    [EXIT_REASON_VMCALL] = handle_ud,
    [EXIT_REASON_VMCLEAR] = handle_ud,
    [EXIT_REASON_VMLAUNCH] = handle_ud,
    [EXIT_REASON_VMPTRLD] = handle_ud,
    [EXIT_REASON_VMPTRST] = handle_ud,
    [EXIT_REASON_VMREAD] = handle_ud,
    [EXIT_REASON_VMRESUME] = handle_ud,
    [EXIT_REASON_VMWRITE] = handle_ud,
    [EXIT_REASON_VMOFF] = handle_ud,
    [EXIT_REASON_VMON] = handle_ud,
    [EXIT_REASON_CR_ACCESS] = handle_cr,
    [EXIT_REASON_DR_ACCESS] = handle_dr,
    [EXIT_REASON_IO_INSTRUCTION] = handle_io,
    [EXIT_REASON_MSR_READ] = handle_rdmsr,
    [EXIT_REASON_MSR_WRITE] = handle_wrmsr,
    [EXIT_REASON_MWAIT_INSTRUCTION] = handle_ud,
    [EXIT_REASON_MONITOR_INSTRUCTION] = handle_ud,
    [EXIT_REASON_PAUSE_INSTRUCTION] = handle_nop,
    [EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
    [EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
    [EXIT_REASON_INVEPT] = handle_ud,
    [EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
    [EXIT_REASON_INVVPID] = handle_ud,
    [EXIT_REASON_WBINVD] = handle_nop,
    [EXIT_REASON_XSETBV] = handle_ud,
};

#define NR_HANDLERS (sizeof(kvm_vmx_exit_handlers) / sizeof(exit_handler_t))

int vmx_handle_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vmx_exit_info *e = &vmx->exit;
	struct kvm_run *run = vcpu->run;
	uint16_t basic = (uint16_t)e->reason;

	if (e->failed_vmentry_valid) {
		/* VMLAUNCH/VMRESUME failed outright (VMfail). */
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason =
		    e->entry_result == VMX_FAIL_VALID
			? e->vm_instruction_error
			: 0xffff0000u | (uint32_t)e->entry_result;
		run->fail_entry.cpu = (uint32_t)vcpu->cpu;
		pr_err("vcpu %d: VM entry failed: %s, VM-instruction error %u",
		       vcpu->vcpu_id,
		       e->entry_result == VMX_FAIL_VALID
			   ? "VMfailValid"
			   : "VMfailInvalid/fault",
		       e->vm_instruction_error);
		return 0;
	}
	if (e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = e->reason;
		run->fail_entry.cpu = (uint32_t)vcpu->cpu;
		pr_err("vcpu %d: VM entry failed: exit reason %#x, "
		       "qualification %llu (invalid guest state)",
		       vcpu->vcpu_id, e->reason,
		       (unsigned long long)e->qualification);
		return 0;
	}
	/* An exit in the middle of delivering an event we cannot re-deliver
	 * safely (only these reasons are known to be restartable). */
	if ((e->idt_vectoring_info & INTR_INFO_VALID_MASK) &&
	    basic != EXIT_REASON_EXCEPTION_NMI &&
	    basic != EXIT_REASON_EPT_VIOLATION &&
	    basic != EXIT_REASON_TASK_SWITCH &&
	    basic != EXIT_REASON_EXTERNAL_INTERRUPT &&
	    basic != EXIT_REASON_PREEMPTION_TIMER) {
		uint64_t d[3] = {e->idt_vectoring_info, e->reason,
				 e->qualification};

		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV,
					  3, d);
	}
	if (basic < NR_HANDLERS && kvm_vmx_exit_handlers[basic])
		return kvm_vmx_exit_handlers[basic](vcpu);

	/* Unknown or unimplemented in the silicon (kvmini reasons 0xfffe/f). */
	{
		uint64_t d[2] = {e->reason, (uint64_t)vcpu->cpu};
		const char *diag = e->diag;

		pr_err("vcpu %d: unexpected exit reason %#x at rip %#llx%s%s",
		       vcpu->vcpu_id, e->reason,
		       (unsigned long long)vcpu->arch.rip,
		       diag && diag[0] ? ": " : "", diag ? diag : "");
		return kvm_internal_error(
		    vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, 2, d);
	}
}
