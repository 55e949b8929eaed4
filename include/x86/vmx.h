/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX architectural constants shared by the software CPU (cpu/) and our
 * KVM (kvm/): VM-execution/exit/entry control bits (SDM vol. 3C 24.6-24.8),
 * capability-MSR fields (app. A), basic exit reasons (app. C), the
 * interruption-information format, EPTP and EPT entry bits. Names follow
 * Linux's arch/x86/include/asm/vmx.h and uapi/asm/vmx.h. The VMCS field
 * encodings are the X-macro list include/x86/vmcs_fields.h.
 */
#ifndef KVMINI_X86_VMX_H
#define KVMINI_X86_VMX_H

/* Pin-based controls */
#define PIN_BASED_EXT_INTR_MASK	       (1u << 0)
#define PIN_BASED_NMI_EXITING	       (1u << 3)
#define PIN_BASED_VIRTUAL_NMIS	       (1u << 5)
#define PIN_BASED_VMX_PREEMPTION_TIMER (1u << 6)
#define PIN_BASED_POSTED_INTR	       (1u << 7)

/* Primary processor-based controls */
#define CPU_BASED_INTR_WINDOW_EXITING	      (1u << 2)
#define CPU_BASED_USE_TSC_OFFSETTING	      (1u << 3)
#define CPU_BASED_HLT_EXITING		      (1u << 7)
#define CPU_BASED_INVLPG_EXITING	      (1u << 9)
#define CPU_BASED_MWAIT_EXITING		      (1u << 10)
#define CPU_BASED_RDPMC_EXITING		      (1u << 11)
#define CPU_BASED_RDTSC_EXITING		      (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING	      (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING	      (1u << 16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS  (1u << 17)
#define CPU_BASED_CR8_LOAD_EXITING	      (1u << 19)
#define CPU_BASED_CR8_STORE_EXITING	      (1u << 20)
#define CPU_BASED_TPR_SHADOW		      (1u << 21)
#define CPU_BASED_NMI_WINDOW_EXITING	      (1u << 22)
#define CPU_BASED_MOV_DR_EXITING	      (1u << 23)
#define CPU_BASED_UNCOND_IO_EXITING	      (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS	      (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG	      (1u << 27)
#define CPU_BASED_USE_MSR_BITMAPS	      (1u << 28)
#define CPU_BASED_MONITOR_EXITING	      (1u << 29)
#define CPU_BASED_PAUSE_EXITING		      (1u << 30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS (1u << 31)

/* Secondary processor-based controls */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES (1u << 0)
#define SECONDARY_EXEC_ENABLE_EPT		(1u << 1)
#define SECONDARY_EXEC_DESC			(1u << 2)
#define SECONDARY_EXEC_ENABLE_RDTSCP		(1u << 3)
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE	(1u << 4)
#define SECONDARY_EXEC_ENABLE_VPID		(1u << 5)
#define SECONDARY_EXEC_WBINVD_EXITING		(1u << 6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST	(1u << 7)
#define SECONDARY_EXEC_APIC_REGISTER_VIRT	(1u << 8)
#define SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY	(1u << 9)
#define SECONDARY_EXEC_PAUSE_LOOP_EXITING	(1u << 10)
#define SECONDARY_EXEC_ENABLE_INVPCID		(1u << 12)
#define SECONDARY_EXEC_ENABLE_VMFUNC		(1u << 13)
#define SECONDARY_EXEC_SHADOW_VMCS		(1u << 14)
#define SECONDARY_EXEC_ENABLE_PML		(1u << 17)
#define SECONDARY_EXEC_XSAVES			(1u << 20)
#define SECONDARY_EXEC_TSC_SCALING		(1u << 25)

/* VM-exit controls */
#define VM_EXIT_SAVE_DEBUG_CONTROLS	   (1u << 2)
#define VM_EXIT_HOST_ADDR_SPACE_SIZE	   (1u << 9)
#define VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL (1u << 12)
#define VM_EXIT_ACK_INTR_ON_EXIT	   (1u << 15)
#define VM_EXIT_SAVE_IA32_PAT		   (1u << 18)
#define VM_EXIT_LOAD_IA32_PAT		   (1u << 19)
#define VM_EXIT_SAVE_IA32_EFER		   (1u << 20)
#define VM_EXIT_LOAD_IA32_EFER		   (1u << 21)
#define VM_EXIT_SAVE_VMX_PREEMPTION_TIMER  (1u << 22)

/* VM-entry controls */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS	    (1u << 2)
#define VM_ENTRY_IA32E_MODE		    (1u << 9)
#define VM_ENTRY_SMM			    (1u << 10)
#define VM_ENTRY_DEACT_DUAL_MONITOR	    (1u << 11)
#define VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL (1u << 13)
#define VM_ENTRY_LOAD_IA32_PAT		    (1u << 14)
#define VM_ENTRY_LOAD_IA32_EFER		    (1u << 15)

/* Default-1 ("always on without TRUE MSRs") bits, SDM app. A.2-A.5. */
#define PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR 0x00000016u
#define CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR 0x0401e172u
#define VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR   0x00036dffu
#define VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR  0x000011ffu
/* In the TRUE MSRs these default-1 bits may be 0. */
#define CPU_BASED_TRUE_MAY_CLEAR                                               \
	(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING)
#define VM_EXIT_TRUE_MAY_CLEAR	VM_EXIT_SAVE_DEBUG_CONTROLS
#define VM_ENTRY_TRUE_MAY_CLEAR VM_ENTRY_LOAD_DEBUG_CONTROLS

/* IA32_VMX_BASIC */
#define VMX_BASIC_REVISION_MASK	       0x7fffffffull
#define VMX_BASIC_VMCS_SIZE_SHIFT      32
#define VMX_BASIC_32BIT_PHYS_ADDR_ONLY (1ull << 48)
#define VMX_BASIC_MEM_TYPE_SHIFT       50
#define VMX_BASIC_MEM_TYPE_WB	       6ull
#define VMX_BASIC_INOUT		       (1ull << 54)
#define VMX_BASIC_TRUE_CTLS	       (1ull << 55)

/* IA32_VMX_EPT_VPID_CAP, low dword (EPT) */
#define VMX_EPT_EXECUTE_ONLY_BIT   (1ull << 0)
#define VMX_EPT_PAGE_WALK_4_BIT	   (1ull << 6)
#define VMX_EPTP_UC_BIT		   (1ull << 8)
#define VMX_EPTP_WB_BIT		   (1ull << 14)
#define VMX_EPT_2MB_PAGE_BIT	   (1ull << 16)
#define VMX_EPT_1GB_PAGE_BIT	   (1ull << 17)
#define VMX_EPT_INVEPT_BIT	   (1ull << 20)
#define VMX_EPT_AD_BIT		   (1ull << 21)
#define VMX_EPT_EXTENT_CONTEXT_BIT (1ull << 25)
#define VMX_EPT_EXTENT_GLOBAL_BIT  (1ull << 26)
/* High dword (VPID), as bit numbers within that dword (as Linux has them,
 * which splits the MSR into vmx_capability.ept and .vpid). */
#define VMX_VPID_INVVPID_BIT		      (1ull << 0)
#define VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT   (1ull << 8)
#define VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT    (1ull << 9)
#define VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT    (1ull << 10)
#define VMX_VPID_EXTENT_SINGLE_NON_GLOBAL_BIT (1ull << 11)

/* IA32_VMX_MISC */
#define VMX_MISC_PREEMPTION_TIMER_RATE	  5u
#define VMX_MISC_SAVE_EFER_LMA		  (1ull << 5)
#define VMX_MISC_ACTIVITY_HLT		  (1ull << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN	  (1ull << 7)
#define VMX_MISC_CR3_TARGETS		  4u
#define VMX_MISC_VMWRITE_SHADOW_RO_FIELDS (1ull << 29)

/* Basic exit reasons (SDM app. C) */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXTERNAL_INTERRUPT	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT_SIGNAL		3
#define EXIT_REASON_INTERRUPT_WINDOW	7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_INVLPG		14
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RDTSC		16
#define EXIT_REASON_RSM			17
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMOFF		26
#define EXIT_REASON_VMON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO_INSTRUCTION	30
#define EXIT_REASON_MSR_READ		31
#define EXIT_REASON_MSR_WRITE		32
#define EXIT_REASON_INVALID_STATE	33
#define EXIT_REASON_MSR_LOAD_FAIL	34
#define EXIT_REASON_MWAIT_INSTRUCTION	36
#define EXIT_REASON_MONITOR_TRAP_FLAG	37
#define EXIT_REASON_MONITOR_INSTRUCTION 39
#define EXIT_REASON_PAUSE_INSTRUCTION	40
#define EXIT_REASON_MCE_DURING_VMENTRY	41
#define EXIT_REASON_TPR_BELOW_THRESHOLD 43
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_RDTSCP		51
#define EXIT_REASON_PREEMPTION_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_WBINVD		54
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_RDRAND		57
#define EXIT_REASON_INVPCID		58
#define EXIT_REASON_RDSEED		61
#define VMX_EXIT_REASONS_FAILED_VMENTRY 0x80000000u

/* Failed-entry (reason 33) exit qualifications */
#define ENTRY_FAIL_DEFAULT	 0
#define ENTRY_FAIL_PDPTE	 2
#define ENTRY_FAIL_NMI		 3
#define ENTRY_FAIL_VMCS_LINK_PTR 4

/* Interruption-information format (entry, exit, IDT vectoring) */
#define INTR_INFO_VECTOR_MASK	    0xffu
#define INTR_INFO_INTR_TYPE_MASK    0x700u
#define INTR_INFO_DELIVER_CODE_MASK 0x800u
#define INTR_INFO_UNBLOCK_NMI	    0x1000u
#define INTR_INFO_RESVD_BITS_MASK   0x7ffff000u
#define INTR_INFO_VALID_MASK	    0x80000000u
#define INTR_TYPE_EXT_INTR	    (0u << 8)
#define INTR_TYPE_NMI_INTR	    (2u << 8)
#define INTR_TYPE_HARD_EXCEPTION    (3u << 8)
#define INTR_TYPE_SOFT_INTR	    (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SOFT_EXCEPTION    (6u << 8)
#define INTR_TYPE_OTHER_EVENT	    (7u << 8)

/* Guest activity state */
#define GUEST_ACTIVITY_ACTIVE 0
#define GUEST_ACTIVITY_HLT    1

/* EPTP */
#define VMX_EPTP_MT_MASK       0x7ull
#define VMX_EPTP_MT_UC	       0x0ull
#define VMX_EPTP_MT_WB	       0x6ull
#define VMX_EPTP_PWL_MASK      0x38ull
#define VMX_EPTP_PWL_4	       0x18ull
#define VMX_EPTP_AD_ENABLE_BIT (1ull << 6)

/* EPT paging-structure entries */
#define VMX_EPT_READABLE_MASK	1ull
#define VMX_EPT_WRITABLE_MASK	2ull
#define VMX_EPT_EXECUTABLE_MASK 4ull
#define VMX_EPT_RWX_MASK	7ull
#define VMX_EPT_MT_EPTE_SHIFT	3
#define VMX_EPT_IPAT_BIT	(1ull << 6)
#define VMX_EPT_LARGE_PAGE	(1ull << 7)
#define VMX_EPT_ACCESS_BIT	(1ull << 8)
#define VMX_EPT_DIRTY_BIT	(1ull << 9)
/* W+X without R: a misconfiguration, which KVM uses to mark MMIO. */
#define VMX_EPT_MISCONFIG_WX_VALUE                                             \
	(VMX_EPT_WRITABLE_MASK | VMX_EPT_EXECUTABLE_MASK)

/* INVEPT / INVVPID types */
#define VMX_EPT_EXTENT_CONTEXT		  1
#define VMX_EPT_EXTENT_GLOBAL		  2
#define VMX_VPID_EXTENT_INDIVIDUAL_ADDR	  0
#define VMX_VPID_EXTENT_SINGLE_CONTEXT	  1
#define VMX_VPID_EXTENT_ALL_CONTEXT	  2
#define VMX_VPID_EXTENT_SINGLE_NON_GLOBAL 3

#endif
