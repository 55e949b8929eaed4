// SPDX-License-Identifier: GPL-2.0
/*
 * The checks of VM entry (SDM 26.2-26.3): VMX controls (VMfailValid 7),
 * host-state area (VMfailValid 8), guest-state area (VM-entry failure,
 * exit reason 33 | bit 31 with the qualification).
 */
#include <string.h>

#include "cpu/vmx/ept.h"
#include "cpu/vmx/vmx_state.h"

#define RFLAGS_RESERVED                                                        \
	(~0x3fffffull | (1ull << 15) | (1ull << 5) | (1ull << 3))
#define AR_RESERVED  0xfffe0f00u
#define DEBUGCTL_BTF (1ull << 1)
/* DEBUGCTL bits VM entry accepts (LBR, BTF, TR, BTS, BTINT..., FREEZE*). */
#define DEBUGCTL_VALID	  0x7fc3ull
#define PENDING_DBG_VALID ((1ull << 12) | (1ull << 14) | 0xfull)
#define PENDING_DBG_BS	  (1ull << 14)
#define MSR_AREA_MAX	  512u

static uint64_t cap(const struct cpu *cpu, uint32_t msr, uint32_t true_msr)
{
	uint64_t v = 0;

	if (!(cpu_has(cpu, CPU_FEAT_TRUE_CTLS) &&
	      cpu_vmx_cap_msr(cpu, true_msr, &v)))
		cpu_vmx_cap_msr(cpu, msr, &v);
	return v;
}

static bool page_field_ok(uint64_t pa)
{
	return vmx_page_addr_ok(pa);
}

/* SDM 26.2.1.3 */
static bool entry_intr_info_ok(const struct vmx_env *env)
{
	struct vmcs *v = env->vmcs;
	uint32_t info = (uint32_t)VMCS(v, VM_ENTRY_INTR_INFO_FIELD);
	uint32_t type = info & INTR_INFO_INTR_TYPE_MASK;
	uint32_t vec = info & INTR_INFO_VECTOR_MASK;
	bool has_err = info & INTR_INFO_DELIVER_CODE_MASK;
	bool pe = VMCS(v, GUEST_CR0) & X86_CR0_PE;
	bool want_err;

	if (!(info & INTR_INFO_VALID_MASK))
		return true;
	if (info & INTR_INFO_RESVD_BITS_MASK)
		return false;
	if (type == (1u << 8) || type == INTR_TYPE_OTHER_EVENT)
		return false; /* reserved; "other event" needs MTF */
	if (type == INTR_TYPE_NMI_INTR && vec != 2)
		return false;
	if (type == INTR_TYPE_HARD_EXCEPTION && vec > 31)
		return false;
	want_err = type == INTR_TYPE_HARD_EXCEPTION && pe &&
		   (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17);
	if (has_err != want_err)
		return false;
	if (has_err && (VMCS(v, VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000u))
		return false;
	if (type == INTR_TYPE_SOFT_INTR ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SOFT_EXCEPTION) {
		uint64_t len = VMCS(v, VM_ENTRY_INSTRUCTION_LEN);

		if (len < 1 || len > 15)
			return false;
	}
	return true;
}

static bool msr_area_ok(uint64_t addr, uint64_t count)
{
	if (!count)
		return true;
	return count <= MSR_AREA_MAX && addr && !(addr & 0xf) &&
	       !((addr + count * 16 - 1) & ~CPU_PA_MASK);
}

/* SDM 26.2.1: VMX controls. */
bool vmx_check_controls(const struct vmx_env *env)
{
	struct cpu *cpu = env->cpu;
	struct vmcs *v = env->vmcs;

	if (!vmx_control_ok(cap(cpu, MSR_IA32_VMX_PINBASED_CTLS,
				MSR_IA32_VMX_TRUE_PINBASED_CTLS),
			    env->pin) ||
	    !vmx_control_ok(cap(cpu, MSR_IA32_VMX_PROCBASED_CTLS,
				MSR_IA32_VMX_TRUE_PROCBASED_CTLS),
			    env->proc) ||
	    !vmx_control_ok(cap(cpu, MSR_IA32_VMX_PROCBASED_CTLS2, 0),
			    env->proc2) ||
	    !vmx_control_ok(
		cap(cpu, MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS),
		env->exit_ctls) ||
	    !vmx_control_ok(
		cap(cpu, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS),
		env->entry_ctls))
		return false;
	if (VMCS(v, CR3_TARGET_COUNT) > VMX_MISC_CR3_TARGETS)
		return false;
	if ((env->proc & CPU_BASED_USE_IO_BITMAPS) &&
	    (!page_field_ok(VMCS(v, IO_BITMAP_A)) ||
	     !page_field_ok(VMCS(v, IO_BITMAP_B))))
		return false;
	if ((env->proc & CPU_BASED_USE_MSR_BITMAPS) &&
	    !page_field_ok(VMCS(v, MSR_BITMAP)))
		return false;
	if ((env->pin & PIN_BASED_VIRTUAL_NMIS) &&
	    !(env->pin & PIN_BASED_NMI_EXITING))
		return false;
	if ((env->proc & CPU_BASED_NMI_WINDOW_EXITING) &&
	    !(env->pin & PIN_BASED_VIRTUAL_NMIS))
		return false;
	if (env->vpid_on && env->vpid == 0)
		return false;
	if (env->ept_on && !ept_eptp_valid(cpu, env->eptp))
		return false;
	if ((env->proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST) && !env->ept_on)
		return false;
	/* VM-exit controls (26.2.1.2). */
	if (!(env->pin & PIN_BASED_VMX_PREEMPTION_TIMER) &&
	    (env->exit_ctls & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER))
		return false;
	if (!msr_area_ok(VMCS(v, VM_EXIT_MSR_STORE_ADDR),
			 VMCS(v, VM_EXIT_MSR_STORE_COUNT)) ||
	    !msr_area_ok(VMCS(v, VM_EXIT_MSR_LOAD_ADDR),
			 VMCS(v, VM_EXIT_MSR_LOAD_COUNT)) ||
	    !msr_area_ok(VMCS(v, VM_ENTRY_MSR_LOAD_ADDR),
			 VMCS(v, VM_ENTRY_MSR_LOAD_COUNT)))
		return false;
	/* VM-entry controls (26.2.1.3). */
	return entry_intr_info_ok(env);
}

static bool fixed_ok(const struct cpu *cpu, uint64_t val, uint32_t f0msr,
		     uint32_t f1msr, uint64_t relax)
{
	uint64_t f0 = 0, f1 = 0;

	cpu_vmx_cap_msr(cpu, f0msr, &f0);
	cpu_vmx_cap_msr(cpu, f1msr, &f1);
	f0 &= ~relax;
	return (val & f0) == f0 && !(val & ~f1);
}

/* SDM 26.2.2-26.2.4: host-state area. Our host is always 64-bit. */
bool vmx_check_host_state(const struct vmx_env *env)
{
	struct cpu *cpu = env->cpu;
	struct vmcs *v = env->vmcs;
	uint64_t cr4 = VMCS(v, HOST_CR4);

	if (!fixed_ok(cpu, VMCS(v, HOST_CR0), MSR_IA32_VMX_CR0_FIXED0,
		      MSR_IA32_VMX_CR0_FIXED1, 0) ||
	    !fixed_ok(cpu, cr4, MSR_IA32_VMX_CR4_FIXED0,
		      MSR_IA32_VMX_CR4_FIXED1, 0))
		return false;
	if (VMCS(v, HOST_CR3) & ~CPU_PA_MASK)
		return false;
	if (!vmx_canonical(VMCS(v, HOST_IA32_SYSENTER_ESP)) ||
	    !vmx_canonical(VMCS(v, HOST_IA32_SYSENTER_EIP)))
		return false;
	if ((env->exit_ctls & VM_EXIT_LOAD_IA32_PAT) &&
	    !vmx_pat_valid(VMCS(v, HOST_IA32_PAT)))
		return false;
	if (env->exit_ctls & VM_EXIT_LOAD_IA32_EFER) {
		uint64_t efer = VMCS(v, HOST_IA32_EFER);
		uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA |
			      (cpu_has(cpu, CPU_FEAT_NX) ? EFER_NX : 0);

		if ((efer & ~ok) || !(efer & EFER_LMA) || !(efer & EFER_LME))
			return false;
	}
	/* Selectors: RPL = TI = 0; CS and TR non-null. */
	for (unsigned enc = HOST_ES_SELECTOR; enc <= HOST_TR_SELECTOR;
	     enc += 2) {
		bool high;
		uint64_t sel = v->field[vmcs_field_slot(enc, &high)];

		if (sel & 7)
			return false;
	}
	if (!VMCS(v, HOST_CS_SELECTOR) || !VMCS(v, HOST_TR_SELECTOR))
		return false;
	/* The processor is in IA-32e mode: a 64-bit host is the only kind. */
	if (!(env->exit_ctls & VM_EXIT_HOST_ADDR_SPACE_SIZE) ||
	    !(cr4 & X86_CR4_PAE) || !vmx_canonical(VMCS(v, HOST_RIP)))
		return false;
	return vmx_canonical(VMCS(v, HOST_FS_BASE)) &&
	       vmx_canonical(VMCS(v, HOST_GS_BASE)) &&
	       vmx_canonical(VMCS(v, HOST_TR_BASE)) &&
	       vmx_canonical(VMCS(v, HOST_GDTR_BASE)) &&
	       vmx_canonical(VMCS(v, HOST_IDTR_BASE));
}

static bool limit_g_ok(uint32_t limit, uint32_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & X86_AR_G))
		return false;
	if ((limit & 0xfff00000u) && !(ar & X86_AR_G))
		return false;
	return true;
}

#define AR_TYPE(ar) ((ar)&X86_AR_TYPE_MASK)
#define AR_DPL(ar)  (((ar) >> X86_AR_DPL_SHIFT) & 3)

/* SDM 26.3.1.2: segment registers. */
static bool check_segments(const struct vmx_env *env, bool ia32e, bool ug)
{
	struct vmcs *v = env->vmcs;
	bool v86 = VMCS(v, GUEST_RFLAGS) & X86_EFLAGS_VM;
	bool pe = VMCS(v, GUEST_CR0) & X86_CR0_PE;
	uint32_t cs_ar = (uint32_t)GUEST_SEG_AR(v, X86_CS);
	uint32_t ss_ar = (uint32_t)GUEST_SEG_AR(v, X86_SS);
	uint16_t cs_sel = (uint16_t)GUEST_SEG_SEL(v, X86_CS);
	uint16_t ss_sel = (uint16_t)GUEST_SEG_SEL(v, X86_SS);

	if (GUEST_SEG_SEL(v, X86_TR) & 4)
		return false;
	if (!(GUEST_SEG_AR(v, X86_LDTR) & X86_AR_UNUSABLE) &&
	    (GUEST_SEG_SEL(v, X86_LDTR) & 4))
		return false;
	if (!v86 && !ug && (cs_sel & 3) != (ss_sel & 3))
		return false;

	/* Bases. */
	if (!vmx_canonical(GUEST_SEG_BASE(v, X86_TR)) ||
	    !vmx_canonical(GUEST_SEG_BASE(v, X86_FS)) ||
	    !vmx_canonical(GUEST_SEG_BASE(v, X86_GS)))
		return false;
	if (!(GUEST_SEG_AR(v, X86_LDTR) & X86_AR_UNUSABLE) &&
	    !vmx_canonical(GUEST_SEG_BASE(v, X86_LDTR)))
		return false;
	if (GUEST_SEG_BASE(v, X86_CS) >> 32)
		return false;
	for (int s = X86_ES; s <= X86_DS; s++)
		if (s != X86_CS && !(GUEST_SEG_AR(v, s) & X86_AR_UNUSABLE) &&
		    (GUEST_SEG_BASE(v, s) >> 32))
			return false;

	if (v86) {
		for (int s = X86_ES; s <= X86_GS; s++)
			if (GUEST_SEG_BASE(v, s) != GUEST_SEG_SEL(v, s) << 4 ||
			    GUEST_SEG_LIMIT(v, s) != 0xffff ||
			    GUEST_SEG_AR(v, s) != 0xf3)
				return false;
	} else {
		/* CS */
		if (cs_ar & (AR_RESERVED | X86_AR_UNUSABLE))
			return false;
		switch (AR_TYPE(cs_ar)) {
		case 9:
		case 11:
			if (AR_DPL(cs_ar) != AR_DPL(ss_ar))
				return false;
			break;
		case 13:
		case 15:
			if (AR_DPL(cs_ar) > AR_DPL(ss_ar))
				return false;
			break;
		case 3:
			if (!ug || AR_DPL(cs_ar) != 0)
				return false;
			break;
		default:
			return false;
		}
		if (!(cs_ar & X86_AR_S) || !(cs_ar & X86_AR_P) ||
		    !limit_g_ok((uint32_t)GUEST_SEG_LIMIT(v, X86_CS), cs_ar))
			return false;
		if (ia32e && (cs_ar & X86_AR_L) && (cs_ar & X86_AR_DB))
			return false;
		/* SS */
		if (!(ss_ar & X86_AR_UNUSABLE)) {
			if ((AR_TYPE(ss_ar) != 3 && AR_TYPE(ss_ar) != 7) ||
			    !(ss_ar & X86_AR_S) || !(ss_ar & X86_AR_P) ||
			    (ss_ar & AR_RESERVED) ||
			    !limit_g_ok((uint32_t)GUEST_SEG_LIMIT(v, X86_SS),
					ss_ar))
				return false;
			if (!ug && AR_DPL(ss_ar) != (ss_sel & 3u))
				return false;
		}
		if ((AR_TYPE(cs_ar) == 3 || !pe) && AR_DPL(ss_ar) != 0)
			return false;
		/* DS, ES, FS, GS */
		for (int s = X86_ES; s <= X86_GS; s++) {
			uint32_t ar = (uint32_t)GUEST_SEG_AR(v, s);

			if (s == X86_CS || s == X86_SS ||
			    (ar & X86_AR_UNUSABLE))
				continue;
			if (!(ar & 1) || ((ar & 8) && !(ar & 2)) ||
			    !(ar & X86_AR_S) || !(ar & X86_AR_P) ||
			    (ar & AR_RESERVED) ||
			    !limit_g_ok((uint32_t)GUEST_SEG_LIMIT(v, s), ar))
				return false;
			if (!ug && AR_TYPE(ar) <= 11 &&
			    AR_DPL(ar) < (GUEST_SEG_SEL(v, s) & 3))
				return false;
		}
	}
	/* TR: usable busy TSS. */
	{
		uint32_t ar = (uint32_t)GUEST_SEG_AR(v, X86_TR);

		if (ar & (X86_AR_UNUSABLE | AR_RESERVED | X86_AR_S) ||
		    !(ar & X86_AR_P))
			return false;
		if (AR_TYPE(ar) != 11 && (ia32e || AR_TYPE(ar) != 3))
			return false;
		if (!limit_g_ok((uint32_t)GUEST_SEG_LIMIT(v, X86_TR), ar))
			return false;
	}
	/* LDTR */
	{
		uint32_t ar = (uint32_t)GUEST_SEG_AR(v, X86_LDTR);

		if (!(ar & X86_AR_UNUSABLE) &&
		    (AR_TYPE(ar) != 2 || (ar & (X86_AR_S | AR_RESERVED)) ||
		     !(ar & X86_AR_P) ||
		     !limit_g_ok((uint32_t)GUEST_SEG_LIMIT(v, X86_LDTR), ar)))
			return false;
	}
	/* GDTR / IDTR */
	return vmx_canonical(VMCS(v, GUEST_GDTR_BASE)) &&
	       vmx_canonical(VMCS(v, GUEST_IDTR_BASE)) &&
	       VMCS(v, GUEST_GDTR_LIMIT) <= 0xffff &&
	       VMCS(v, GUEST_IDTR_LIMIT) <= 0xffff;
}

/*
 * SDM 26.3.1: guest-state checks. Returns 0 if valid, else 1 + the exit
 * qualification of the VM-entry failure.
 */
int vmx_check_guest_state(const struct vmx_env *env)
{
	struct cpu *cpu = env->cpu;
	struct vmcs *v = env->vmcs;
	bool ia32e = env->entry_ctls & VM_ENTRY_IA32E_MODE;
	bool ug = env->proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST;
	uint64_t cr0 = VMCS(v, GUEST_CR0), cr4 = VMCS(v, GUEST_CR4);
	uint64_t rflags = VMCS(v, GUEST_RFLAGS);
	uint32_t info = (uint32_t)VMCS(v, VM_ENTRY_INTR_INFO_FIELD);
	bool inject = info & INTR_INFO_VALID_MASK;
	uint32_t itype = info & INTR_INFO_INTR_TYPE_MASK;
	uint64_t intr = VMCS(v, GUEST_INTERRUPTIBILITY_INFO);
	uint64_t act = VMCS(v, GUEST_ACTIVITY_STATE);
	uint64_t pdbg = VMCS(v, GUEST_PENDING_DBG_EXCEPTIONS);
	uint64_t link = VMCS(v, VMCS_LINK_POINTER);
	const int bad = 1 + ENTRY_FAIL_DEFAULT;

	/* Control registers, debug registers, MSRs (26.3.1.1). */
	if (!fixed_ok(cpu, cr0, MSR_IA32_VMX_CR0_FIXED0,
		      MSR_IA32_VMX_CR0_FIXED1,
		      ug ? X86_CR0_PE | X86_CR0_PG : 0) ||
	    ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)))
		return bad;
	if (!fixed_ok(cpu, cr4, MSR_IA32_VMX_CR4_FIXED0,
		      MSR_IA32_VMX_CR4_FIXED1, 0))
		return bad;
	if (env->entry_ctls & VM_ENTRY_LOAD_DEBUG_CONTROLS) {
		if ((VMCS(v, GUEST_IA32_DEBUGCTL) & ~DEBUGCTL_VALID) ||
		    (VMCS(v, GUEST_DR7) >> 32))
			return bad;
	}
	if (ia32e && (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE)))
		return bad;
	if (!ia32e && (cr4 & X86_CR4_PCIDE))
		return bad;
	if (VMCS(v, GUEST_CR3) & ~CPU_PA_MASK)
		return bad;
	if (!vmx_canonical(VMCS(v, GUEST_SYSENTER_ESP)) ||
	    !vmx_canonical(VMCS(v, GUEST_SYSENTER_EIP)))
		return bad;
	if ((env->entry_ctls & VM_ENTRY_LOAD_IA32_PAT) &&
	    !vmx_pat_valid(VMCS(v, GUEST_IA32_PAT)))
		return bad;
	if (env->entry_ctls & VM_ENTRY_LOAD_IA32_EFER) {
		uint64_t efer = VMCS(v, GUEST_IA32_EFER);
		uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA |
			      (cpu_has(cpu, CPU_FEAT_NX) ? EFER_NX : 0);

		if ((efer & ~ok) || !!(efer & EFER_LMA) != ia32e)
			return bad;
		if ((cr0 & X86_CR0_PG) &&
		    !!(efer & EFER_LME) != !!(efer & EFER_LMA))
			return bad;
	}

	if (!check_segments(env, ia32e, ug))
		return bad;

	/* RIP and RFLAGS (26.3.1.4). */
	if (ia32e && (GUEST_SEG_AR(v, X86_CS) & X86_AR_L)) {
		if (!vmx_canonical(VMCS(v, GUEST_RIP)))
			return bad;
	} else if (VMCS(v, GUEST_RIP) >> 32) {
		return bad;
	}
	if ((rflags & RFLAGS_RESERVED) || !(rflags & X86_EFLAGS_FIXED))
		return bad;
	if ((rflags & X86_EFLAGS_VM) && (ia32e || !(cr0 & X86_CR0_PE)))
		return bad;
	if (inject && itype == INTR_TYPE_EXT_INTR && !(rflags & X86_EFLAGS_IF))
		return bad;

	/* Non-register state (26.3.1.5). */
	if (act > X86_SHUTDOWN)
		return bad;
	if (act == X86_HLT && AR_DPL(GUEST_SEG_AR(v, X86_SS)) != 0)
		return bad;
	if (intr & ~0xbull) /* SMI blocking (2): never in SMM; 31:4 rsvd */
		return bad;
	if ((intr & X86_INTR_BLOCK_STI) && (intr & X86_INTR_BLOCK_MOV_SS))
		return bad;
	if ((intr & X86_INTR_BLOCK_STI) && !(rflags & X86_EFLAGS_IF))
		return bad;
	if (inject && itype == INTR_TYPE_EXT_INTR &&
	    (intr & (X86_INTR_BLOCK_STI | X86_INTR_BLOCK_MOV_SS)))
		return bad;
	if (inject && itype == INTR_TYPE_NMI_INTR) {
		if (intr & X86_INTR_BLOCK_MOV_SS)
			return bad;
		if ((env->pin & PIN_BASED_VIRTUAL_NMIS) &&
		    (intr & X86_INTR_BLOCK_NMI))
			return 1 + ENTRY_FAIL_NMI;
	}
	if (pdbg & ~PENDING_DBG_VALID)
		return bad;
	if ((intr & (X86_INTR_BLOCK_STI | X86_INTR_BLOCK_MOV_SS)) ||
	    act == X86_HLT) {
		bool bs_should = (rflags & X86_EFLAGS_TF) &&
				 !(VMCS(v, GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF);

		if (!!(pdbg & PENDING_DBG_BS) != bs_should)
			return bad;
	}
	/* Without VMCS shadowing the link pointer has no use; kvmini accepts
	 * only the "none" value rather than dereference another pointer. */
	if (link != ~0ull)
		return 1 + ENTRY_FAIL_VMCS_LINK_PTR;

	/* PDPTEs with EPT and PAE paging (26.3.1.6). */
	if (env->ept_on && (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	    !ia32e) {
		for (int i = 0; i < 4; i++) {
			uint64_t pdpte = v->field[VMCS_SLOT_GUEST_PDPTR0 + i];

			if ((pdpte & 1) && (pdpte & (0x1e6ull | ~CPU_PA_MASK)))
				return 1 + ENTRY_FAIL_PDPTE;
		}
	}
	return 0;
}
