// SPDX-License-Identifier: GPL-2.0
/*
 * Programming a vCPU's VMCS (init_vmcs), moving the guest's state between
 * vcpu->arch and the VMCS / processor registers around each VM entry, and
 * the entry itself (vmx_vcpu_run).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <x86/trapnr.h>

#include "kvm/report.h"
#include "kvm/x86/fpu.h"
#include "kvm/x86/mmu/mmu.h"
#include "kvm/x86/mmu/shadow.h"
#include "kvm/x86/vmx/vmx.h"
#include "kvm/x86/irq/irq.h"
#include "kvm/x86/x86.h"

/* Host state the VMCS points at. The soft CPU is the "hardware"; its
 * host side needs canonical bases and non-null CS/TR selectors. */
static uint64_t host_gdt[16] __attribute__((aligned(16)));
static uint64_t host_idt[32] __attribute__((aligned(16)));
static uint8_t host_tss[104] __attribute__((aligned(16)));
static uint8_t host_stack[256] __attribute__((aligned(16)));
#define HOST_CS 0x10
#define HOST_SS 0x18
#define HOST_TR 0x40

/* Where a VM exit "returns" on real hardware; here only a valid value. */
static void vmx_vmexit(void)
{
}

/* CR bits the guest may change without an exit (4.x/6.x choices). */
#define KVM_CR0_GUEST_OWNED (X86_CR0_TS | X86_CR0_MP)
#define KVM_CR4_GUEST_OWNED                                                    \
	(X86_CR4_PVI | X86_CR4_DE | X86_CR4_PCE | X86_CR4_OSFXSR |             \
	 X86_CR4_OSXMMEXCPT | X86_CR4_TSD)
/* CR0 bits forced in the value the processor uses. */
#define KVM_VM_CR0_ALWAYS_ON_UNRESTRICTED_GUEST X86_CR0_NE
#define KVM_VM_CR0_ALWAYS_ON			(X86_CR0_NE | X86_CR0_PG | X86_CR0_PE)
#define KVM_VM_CR0_ALWAYS_OFF			(X86_CR0_NW | X86_CR0_CD)

static uint32_t exec_controls(struct vcpu_vmx *vmx)
{
	uint32_t exec = vmcs_config.cpu_based_exec_ctrl;

	/* Window exits are toggled when needed; with EPT the guest owns CR3
	 * and INVLPG. Bits the CPU forces on stay on (cpu_must1). */
	exec &= ~(CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING);
	if (enable_ept)
		exec &=
		    ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		      CPU_BASED_INVLPG_EXITING);
	if (!vmx->msr_bitmap)
		exec &= ~CPU_BASED_USE_MSR_BITMAPS;
	return exec | vmcs_config.cpu_must1;
}

static uint32_t exec2_controls(struct vcpu_vmx *vmx)
{
	uint32_t exec2 = vmcs_config.cpu_based_2nd_exec_ctrl;

	if (!enable_ept)
		exec2 &= ~(SECONDARY_EXEC_ENABLE_EPT |
			   SECONDARY_EXEC_UNRESTRICTED_GUEST);
	if (!enable_unrestricted_guest)
		exec2 &= ~SECONDARY_EXEC_UNRESTRICTED_GUEST;
	if (!vmx->vpid)
		exec2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	return exec2;
}

void vmx_init_vmcs(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct cpu *cpu = vcpu_host_cpu(vcpu);
	uint64_t v;

	vmx->pin_ctls = vmcs_config.pin_based_exec_ctrl;
	if (!enable_preemption_timer)
		vmx->pin_ctls &=
		    ~PIN_BASED_VMX_PREEMPTION_TIMER | vmcs_config.pin_must1;
	vmx->exec_ctls = exec_controls(vmx);
	vmx->exec2_ctls = exec2_controls(vmx);
	vmx->exit_ctls = vmcs_config.vmexit_ctrl;
	/* "IA-32e mode guest" follows EFER.LMA at each entry. */
	vmx->entry_ctls = (vmcs_config.vmentry_ctrl & ~VM_ENTRY_IA32E_MODE) |
			  vmcs_config.entry_must1;

	vmcs_write(vcpu, PIN_BASED_VM_EXEC_CONTROL, vmx->pin_ctls);
	vmcs_write(vcpu, CPU_BASED_VM_EXEC_CONTROL, vmx->exec_ctls);
	if (vmx->exec_ctls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		vmcs_write(vcpu, SECONDARY_VM_EXEC_CONTROL, vmx->exec2_ctls);
	vmcs_write(vcpu, VM_EXIT_CONTROLS, vmx->exit_ctls);
	vmcs_write(vcpu, VM_ENTRY_CONTROLS, vmx->entry_ctls);
	if (vmx->vpid)
		vmcs_write(vcpu, VIRTUAL_PROCESSOR_ID, vmx->vpid);
	if (vmx->msr_bitmap)
		vmcs_write(vcpu, MSR_BITMAP, (uintptr_t)vmx->msr_bitmap);

	vmcs_write(vcpu, VMCS_LINK_POINTER, ~0ull);
	/* #MC always (it is the host's); everything else stays the guest's. */
	vmx->exception_bitmap = 1u << MC_VECTOR;
	/* Shadow paging sees every guest #PF first (PFEC mask/match 0). */
	if (!enable_ept)
		vmx->exception_bitmap |= 1u << PF_VECTOR;
	vmcs_write(vcpu, EXCEPTION_BITMAP, vmx->exception_bitmap);
	vmcs_write(vcpu, PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(vcpu, PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(vcpu, CR3_TARGET_COUNT, 0);
	vmcs_write(vcpu, VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(vcpu, VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(vcpu, VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(vcpu, VM_ENTRY_INTR_INFO_FIELD, 0);

	vmx->cr0_guest_owned = KVM_CR0_GUEST_OWNED;
	vmx->cr4_guest_owned = KVM_CR4_GUEST_OWNED;
	vmcs_write(vcpu, CR0_GUEST_HOST_MASK, ~vmx->cr0_guest_owned);
	vmcs_write(vcpu, CR4_GUEST_HOST_MASK, ~vmx->cr4_guest_owned);

	/* Constant host state (vmx_set_constant_host_state). */
	vmcs_write(vcpu, HOST_CR0, cpu_read_cr0(cpu));
	vmcs_write(vcpu, HOST_CR3, 0);
	vmcs_write(vcpu, HOST_CR4, cpu_read_cr4(cpu));
	vmcs_write(vcpu, HOST_CS_SELECTOR, HOST_CS);
	vmcs_write(vcpu, HOST_SS_SELECTOR, HOST_SS);
	vmcs_write(vcpu, HOST_DS_SELECTOR, 0);
	vmcs_write(vcpu, HOST_ES_SELECTOR, 0);
	vmcs_write(vcpu, HOST_FS_SELECTOR, 0);
	vmcs_write(vcpu, HOST_GS_SELECTOR, 0);
	vmcs_write(vcpu, HOST_TR_SELECTOR, HOST_TR);
	vmcs_write(vcpu, HOST_FS_BASE, 0);
	vmcs_write(vcpu, HOST_GS_BASE, 0);
	vmcs_write(vcpu, HOST_TR_BASE, (uintptr_t)host_tss);
	vmcs_write(vcpu, HOST_GDTR_BASE, (uintptr_t)host_gdt);
	vmcs_write(vcpu, HOST_IDTR_BASE, (uintptr_t)host_idt);
	vmcs_write(vcpu, HOST_IA32_SYSENTER_CS, 0);
	vmcs_write(vcpu, HOST_IA32_SYSENTER_ESP, 0);
	vmcs_write(vcpu, HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write(vcpu, HOST_RSP,
		   (uintptr_t)(host_stack + sizeof(host_stack)));
	vmcs_write(vcpu, HOST_RIP, (uintptr_t)vmx_vmexit);
	if (vmx->exit_ctls & VM_EXIT_LOAD_IA32_PAT &&
	    cpu_rdmsr(cpu, MSR_IA32_CR_PAT, &v) == 0)
		vmcs_write(vcpu, HOST_IA32_PAT, v);
	if (vmx->exit_ctls & VM_EXIT_LOAD_IA32_EFER &&
	    cpu_rdmsr(cpu, MSR_EFER, &v) == 0)
		vmcs_write(vcpu, HOST_IA32_EFER, v);
}

/* ---- segments ---------------------------------------------------------- */

static uint32_t vmx_segment_access_rights(const struct kvm_segment *var)
{
	uint32_t ar;

	if (var->unusable || !var->present)
		return 1u << 16;
	ar = var->type & 15;
	ar |= (var->s & 1u) << 4;
	ar |= (var->dpl & 3u) << 5;
	ar |= (var->present & 1u) << 7;
	ar |= (var->avl & 1u) << 12;
	ar |= (var->l & 1u) << 13;
	ar |= (var->db & 1u) << 14;
	ar |= (var->g & 1u) << 15;
	return ar;
}

static void vmx_ar_to_segment(uint32_t ar, struct kvm_segment *var)
{
	var->unusable = (ar >> 16) & 1;
	var->type = ar & 15;
	var->s = (ar >> 4) & 1;
	var->dpl = (ar >> 5) & 3;
	/* An unusable segment reads as not present (vmx_get_segment). */
	var->present = !var->unusable && ((ar >> 7) & 1);
	var->avl = (ar >> 12) & 1;
	var->l = (ar >> 13) & 1;
	var->db = (ar >> 14) & 1;
	var->g = (ar >> 15) & 1;
}

/* ---- state in and out -------------------------------------------------- */

static void ept_load_pdptrs(struct kvm_vcpu *vcpu)
{
	uint64_t pdpte[4] = {0};

	if (kvm_read_guest(vcpu->kvm, vcpu->arch.cr3 & ~0x1full, pdpte,
			   sizeof(pdpte)))
		memset(pdpte, 0, sizeof(pdpte));
	for (int i = 0; i < 4; i++)
		vmcs_write(vcpu, GUEST_PDPTR0 + 2 * i, pdpte[i]);
}

static void vmx_inject_pending(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint32_t info = 0;

	if (a->exception_pending) {
		info = a->exception_vector | INTR_TYPE_HARD_EXCEPTION |
		       INTR_INFO_VALID_MASK;
		if (a->exception_has_error) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			vmcs_write(vcpu, VM_ENTRY_EXCEPTION_ERROR_CODE,
				   a->exception_error_code & 0xffff);
		}
		a->exception_pending = false;
	} else if (!(a->interruptibility & 0xb) && kvm_irq_take_nmi(vcpu)) {
		/* An NMI from the in-kernel LAPIC (not blocked by an NMI
		 * in progress, STI or MOV SS). */
		info = 2 | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK;
	} else if (a->pending_irq >= 0 && (a->rflags & X86_EFLAGS_IF) &&
		   !(a->interruptibility & 3)) {
		info = (uint32_t)a->pending_irq | INTR_TYPE_EXT_INTR |
		       INTR_INFO_VALID_MASK;
		a->pending_irq = -1;
	}
	vmx->injected_intr_info = info;
	vmcs_write(vcpu, VM_ENTRY_INTR_INFO_FIELD, info);
	if (info)
		a->halted = false;

	/* An interrupt still waiting: exit as soon as the guest can take it. */
	uint32_t exec = vmx->exec_ctls & ~CPU_BASED_INTR_WINDOW_EXITING;

	if (vmx->identity_mapped)
		exec |=
		    CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING;

	if (a->pending_irq >= 0 || vcpu->run->request_interrupt_window ||
	    kvm_irq_want_window(vcpu))
		exec |= CPU_BASED_INTR_WINDOW_EXITING;
	/* An NMI that is blocked now: exit when the guest can take it (at
	 * its IRET, or when the STI/MOV-SS shadow ends). Needs virtual NMIs,
	 * which make the CPU track NMI blocking for us. */
	exec &= ~CPU_BASED_NMI_WINDOW_EXITING;
	if (!info && (vmx->pin_ctls & PIN_BASED_VIRTUAL_NMIS) &&
	    (vmcs_config.cpu_based_exec_ctrl & CPU_BASED_NMI_WINDOW_EXITING) &&
	    (a->interruptibility & 0xb) && kvm_irq_has_nmi(vcpu))
		exec |= CPU_BASED_NMI_WINDOW_EXITING;
	vmcs_write(vcpu, CPU_BASED_VM_EXEC_CONTROL, exec);
}

void vmx_load_guest_state(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct cpu *cpu = vcpu_host_cpu(vcpu);
	uint64_t *gpr = cpu_gprs(cpu);
	uint64_t cr0, cr4;
	uint32_t entry = vmx->entry_ctls;

	memcpy(gpr, a->regs, sizeof(a->regs));
	vmcs_write(vcpu, GUEST_RSP, a->regs[VCPU_REGS_RSP]);
	vmcs_write(vcpu, GUEST_RIP, a->rip);
	vmcs_write(vcpu, GUEST_RFLAGS, a->rflags | X86_EFLAGS_FIXED);
	for (int s = 0; s < VCPU_SREG_NR; s++) {
		const struct kvm_segment *seg = &a->segments[s];

		vmcs_write(vcpu, GUEST_SEG_SELECTOR(s), seg->selector);
		vmcs_write(vcpu, GUEST_SEG_BASE(s), seg->base);
		vmcs_write(vcpu, GUEST_SEG_LIMIT(s), seg->limit);
		vmcs_write(vcpu, GUEST_SEG_AR_BYTES(s),
			   vmx_segment_access_rights(seg));
	}
	vmcs_write(vcpu, GUEST_GDTR_BASE, a->gdt.base);
	vmcs_write(vcpu, GUEST_GDTR_LIMIT, a->gdt.limit);
	vmcs_write(vcpu, GUEST_IDTR_BASE, a->idt.base);
	vmcs_write(vcpu, GUEST_IDTR_LIMIT, a->idt.limit);

	cr0 =
	    (a->cr0 & ~KVM_VM_CR0_ALWAYS_OFF) |
	    (enable_unrestricted_guest ? KVM_VM_CR0_ALWAYS_ON_UNRESTRICTED_GUEST
				       : KVM_VM_CR0_ALWAYS_ON);
	/* Shadow paging needs CR0.WP: read-only shadow entries must hold
	 * for the guest kernel too (see kvm_shadow_page_fault for WP=0). */
	if (!enable_ept)
		cr0 |= X86_CR0_WP;
	vmcs_write(vcpu, GUEST_CR0, cr0);
	vmcs_write(vcpu, CR0_READ_SHADOW, a->cr0);
	cr4 = a->cr4 | X86_CR4_VMXE;
	vmx->identity_mapped =
	    enable_ept && !enable_unrestricted_guest && !(a->cr0 & X86_CR0_PG);
	if (vmx->identity_mapped) {
		/* Paging off without unrestricted guest (vmx-reference §8.3):
		 * the CPU pages with PG=1 over KVM's identity table, 32-bit
		 * PSE; the guest's CR3 stays ours to keep (CR3 exiting on). */
		kvm_identity_pagetable(vcpu->kvm);
		vmcs_write(vcpu, GUEST_CR3,
			   vcpu->kvm->arch.ept_identity_map_addr);
		cr4 = (cr4 | X86_CR4_PSE) & ~(X86_CR4_PAE | X86_CR4_PCIDE |
					      (1ull << 20) | (1ull << 21));
	} else if (enable_ept) {
		vmcs_write(vcpu, GUEST_CR3, a->cr3);
	} else {
		/* The processor walks our shadow tables: 4-level in long
		 * mode, PAE otherwise (also for 32-bit guests, and identity
		 * for paging off), never with PCIDs. */
		vmcs_write(vcpu, GUEST_CR3, kvm_shadow_mmu_root(vcpu));
		cr4 = (cr4 | X86_CR4_PAE) & ~X86_CR4_PCIDE;
	}
	vmcs_write(vcpu, GUEST_CR4, cr4);
	vmcs_write(vcpu, CR4_READ_SHADOW, a->cr4);
	if ((a->cr0 & X86_CR0_PG) && (a->cr4 & X86_CR4_PAE) &&
	    !(a->efer & EFER_LMA))
		ept_load_pdptrs(vcpu);
	cpu_write_cr2(cpu, a->cr2);
	for (unsigned i = 0; i < 4; i++)
		cpu_write_dr(cpu, i, a->db[i]);
	cpu_write_dr(cpu, 6, a->dr6);
	vmcs_write(vcpu, GUEST_DR7, a->dr7);
	vmcs_write(vcpu, GUEST_IA32_DEBUGCTL, 0);

	if (a->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	else
		entry &= ~VM_ENTRY_IA32E_MODE | vmcs_config.entry_must1;
	vmcs_write(vcpu, VM_ENTRY_CONTROLS, entry);
	if (entry & VM_ENTRY_LOAD_IA32_EFER) {
		uint64_t efer = a->efer;

		if (vmx->identity_mapped)
			efer &= ~EFER_LME; /* hardware paging on, LMA off */
		if (!enable_ept) {
			/* Shadow entries may carry NX whatever the guest's
			 * EFER.NXE; LME must match LMA with hardware paging
			 * always on. */
			efer &= ~(EFER_LME | EFER_LMA);
			if (a->efer & EFER_LMA)
				efer |= EFER_LME | EFER_LMA;
			if (boot_cpu_has_nx())
				efer |= EFER_NX;
		}
		vmcs_write(vcpu, GUEST_IA32_EFER, efer);
	}
	if (entry & VM_ENTRY_LOAD_IA32_PAT)
		vmcs_write(vcpu, GUEST_IA32_PAT, a->pat);
	vmcs_write(vcpu, GUEST_SYSENTER_CS, a->sysenter_cs);
	vmcs_write(vcpu, GUEST_SYSENTER_ESP, a->sysenter_esp);
	vmcs_write(vcpu, GUEST_SYSENTER_EIP, a->sysenter_eip);
	/* MSRs without VMCS fields are the processor's: load the guest's
	 * (Linux: user-return MSRs). */
	cpu_wrmsr(cpu, MSR_STAR, a->star);
	cpu_wrmsr(cpu, MSR_LSTAR, a->lstar);
	cpu_wrmsr(cpu, MSR_CSTAR, a->cstar);
	cpu_wrmsr(cpu, MSR_SYSCALL_MASK, a->sfmask);
	cpu_wrmsr(cpu, MSR_KERNEL_GS_BASE, a->kernel_gs_base);

	vmcs_write(vcpu, GUEST_INTERRUPTIBILITY_INFO, a->interruptibility);
	vmcs_write(vcpu, GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(vcpu, GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(vcpu, TSC_OFFSET, a->tsc_offset);
	if (vmx->exec2_ctls & SECONDARY_EXEC_ENABLE_EPT)
		vmcs_write(vcpu, EPT_POINTER, vmx->eptp);
	if (vmx->pin_ctls & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(vcpu, VMX_PREEMPTION_TIMER_VALUE,
			   VMX_PREEMPTION_TIMER_SLICE);
	vmx_inject_pending(vmx);
}

void vmx_save_guest_state(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct cpu *cpu = vcpu_host_cpu(vcpu);
	uint64_t *gpr = cpu_gprs(cpu);
	uint64_t hw;

	memcpy(a->regs, gpr, sizeof(a->regs));
	a->regs[VCPU_REGS_RSP] = vmcs_read(vcpu, GUEST_RSP);
	a->rip = vmcs_read(vcpu, GUEST_RIP);
	a->rflags = vmcs_read(vcpu, GUEST_RFLAGS);
	for (int s = 0; s < VCPU_SREG_NR; s++) {
		struct kvm_segment *seg = &a->segments[s];

		seg->selector =
		    (uint16_t)vmcs_read(vcpu, GUEST_SEG_SELECTOR(s));
		seg->base = vmcs_read(vcpu, GUEST_SEG_BASE(s));
		seg->limit = (uint32_t)vmcs_read(vcpu, GUEST_SEG_LIMIT(s));
		vmx_ar_to_segment(
		    (uint32_t)vmcs_read(vcpu, GUEST_SEG_AR_BYTES(s)), seg);
	}
	a->gdt.base = vmcs_read(vcpu, GUEST_GDTR_BASE);
	a->gdt.limit = (uint16_t)vmcs_read(vcpu, GUEST_GDTR_LIMIT);
	a->idt.base = vmcs_read(vcpu, GUEST_IDTR_BASE);
	a->idt.limit = (uint16_t)vmcs_read(vcpu, GUEST_IDTR_LIMIT);
	/* Guest-owned CR bits come from the processor, the rest from us. */
	hw = vmcs_read(vcpu, GUEST_CR0);
	a->cr0 = (a->cr0 & ~vmx->cr0_guest_owned) | (hw & vmx->cr0_guest_owned);
	hw = vmcs_read(vcpu, GUEST_CR4);
	a->cr4 = (a->cr4 & ~vmx->cr4_guest_owned) | (hw & vmx->cr4_guest_owned);
	if (enable_ept && !vmx->identity_mapped)
		a->cr3 = vmcs_read(vcpu, GUEST_CR3);
	a->cr2 = cpu_read_cr2(cpu);
	for (unsigned i = 0; i < 4; i++)
		a->db[i] = cpu_read_dr(cpu, i);
	a->dr6 = cpu_read_dr(cpu, 6);
	a->dr7 = vmcs_read(vcpu, GUEST_DR7);
	/* SYSENTER_*, PAT, EFER and the SYSCALL MSRs change only through
	 * WRMSR, which always exits (every MSR is intercepted): vcpu->arch
	 * already has them. */
	/* STI, MOV SS and NMI blocking (bit 3: the guest is in its NMI
	 * handler until IRET; in-kernel LAPIC NMIs need it). */
	a->interruptibility =
	    (uint32_t)vmcs_read(vcpu, GUEST_INTERRUPTIBILITY_INFO) & 0xb;
	/* ...except KERNEL_GS_BASE, which SWAPGS exchanges without an exit. */
	cpu_rdmsr(cpu, MSR_KERNEL_GS_BASE, &a->kernel_gs_base);
}

/* ---- entry -------------------------------------------------------------- */

static void vmx_read_exit_info(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu *vcpu = &vmx->vcpu;
	struct vmx_exit_info *e = &vmx->exit;

	e->reason = (uint32_t)vmcs_read(vcpu, VM_EXIT_REASON);
	e->qualification = vmcs_read(vcpu, EXIT_QUALIFICATION);
	if (e->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		e->intr_info = e->idt_vectoring_info = e->instr_len = 0;
		return;
	}
	e->gpa = vmcs_read(vcpu, GUEST_PHYSICAL_ADDRESS);
	e->intr_info = (uint32_t)vmcs_read(vcpu, VM_EXIT_INTR_INFO);
	e->idt_vectoring_info =
	    (uint32_t)vmcs_read(vcpu, IDT_VECTORING_INFO_FIELD);
	e->instr_len = (uint32_t)vmcs_read(vcpu, VM_EXIT_INSTRUCTION_LEN);
	if ((e->idt_vectoring_info & INTR_INFO_VALID_MASK) &&
	    (e->idt_vectoring_info & INTR_INFO_DELIVER_CODE_MASK))
		e->idt_vectoring_error_code =
		    (uint32_t)vmcs_read(vcpu, IDT_VECTORING_ERROR_CODE);
	if (e->intr_info & INTR_INFO_DELIVER_CODE_MASK)
		e->error_code =
		    (uint32_t)vmcs_read(vcpu, VM_EXIT_INTR_ERROR_CODE);
	/* Everything an exit handler needs from the host CPU is read here,
	 * while this vCPU holds it. */
	if ((uint16_t)e->reason >= CPU_EXIT_REASON_UNIMPLEMENTED) {
		const char *d = cpu_exit_diag(vcpu_host_cpu(vcpu));

		snprintf(e->diag, sizeof(e->diag), "%s", d ? d : "");
	}
}

/* Re-queue an event whose delivery a VM exit interrupted
 * (vmx_complete_interrupts). */
static void vmx_complete_interrupts(struct vcpu_vmx *vmx)
{
	struct kvm_vcpu_arch *a = &vmx->vcpu.arch;
	uint32_t info = vmx->exit.idt_vectoring_info;

	if (!(info & INTR_INFO_VALID_MASK))
		return;
	switch (info & INTR_INFO_INTR_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		a->pending_irq = (int)(info & INTR_INFO_VECTOR_MASK);
		break;
	case INTR_TYPE_NMI_INTR:
		kvm_irq_requeue_nmi(&vmx->vcpu); /* in-kernel LAPIC NMI */
		break;
	case INTR_TYPE_HARD_EXCEPTION:
		kvm_queue_exception(&vmx->vcpu, info & INTR_INFO_VECTOR_MASK,
				    info & INTR_INFO_DELIVER_CODE_MASK,
				    vmx->exit.idt_vectoring_error_code);
		break;
	default:
		/* Software interrupts/exceptions re-execute the instruction. */
		break;
	}
}

int vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct cpu *cpu;
	enum vmx_result res;

	kvm_x86_ops->vcpu_load(vcpu, vcpu->cpu);
	cpu = vcpu_host_cpu(vcpu);
	vmx_load_guest_state(vmx);
	kvm_load_guest_fpu(vcpu);

	atomic_store(&vcpu->mode, IN_GUEST_MODE);
	if (kvm_check_request(KVM_REQ_TLB_FLUSH, vcpu)) {
		if (!enable_ept) {
			kvm_shadow_mmu_zap(vcpu);
			vmcs_write(vcpu, GUEST_CR3, kvm_shadow_mmu_root(vcpu));
		}
		kvm_x86_ops->tlb_flush(vcpu);
		kvm_check_request(KVM_REQ_TLB_FLUSH_CURRENT, vcpu);
	}
	if (kvm_check_request(KVM_REQ_TLB_FLUSH_CURRENT, vcpu))
		kvm_x86_ops->tlb_flush(vcpu);

	memset(&vmx->exit, 0, sizeof(vmx->exit));
	res =
	    vmx->loaded_vmcs->launched ? cpu_vmresume(cpu) : cpu_vmlaunch(cpu);
	if (res == VMX_FAIL_VALID) {
		uint64_t err = vmcs_read(vcpu, VM_INSTRUCTION_ERROR);

		/* Our launched flag disagrees with the VMCS's launch state
		 * (e.g. after a failed entry): use the other instruction. */
		if (err == VMXERR_VMLAUNCH_NONCLEAR_VMCS) {
			vmx->loaded_vmcs->launched = true;
			res = cpu_vmresume(cpu);
		} else if (err == VMXERR_VMRESUME_NONLAUNCHED_VMCS) {
			vmx->loaded_vmcs->launched = false;
			res = cpu_vmlaunch(cpu);
		}
	}
	atomic_store(&vcpu->mode, OUTSIDE_GUEST_MODE);

	vmx->exit.entry_result = res;
	if (res == VMX_SUCCEED) {
		/* The exit stored guest state into the VMCS. */
		vmcs_shadow_drop_guest_state(vcpu);
		vmx_read_exit_info(vmx);
		if (!(vmx->exit.reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
			vmx->loaded_vmcs->launched = true;
		vmx_save_guest_state(vmx);
		vcpu->arch.event_vectoring =
		    vmx->exit.idt_vectoring_info & INTR_INFO_VALID_MASK;
		vmx_complete_interrupts(vmx);
	} else {
		vmx->exit.failed_vmentry_valid = true;
		if (res == VMX_FAIL_VALID)
			vmx->exit.vm_instruction_error =
			    (uint32_t)vmcs_read(vcpu, VM_INSTRUCTION_ERROR);
		/* The event was not delivered: keep it for the next try. */
		if (vmx->injected_intr_info &&
		    (vmx->injected_intr_info & INTR_INFO_INTR_TYPE_MASK) ==
			INTR_TYPE_EXT_INTR)
			vcpu->arch.pending_irq =
			    (int)(vmx->injected_intr_info & 0xff);
	}
	vcpu->arch.exits++;
	kvm_put_guest_fpu(vcpu);
	kvm_x86_ops->vcpu_put(vcpu);
	return 0;
}
