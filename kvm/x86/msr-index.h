/* SPDX-License-Identifier: GPL-2.0 */
/* MSR numbers and architectural register bits kvm/ uses (SDM vol. 4, 3A). */
#ifndef KVMINI_KVM_X86_MSR_INDEX_H
#define KVMINI_KVM_X86_MSR_INDEX_H

#define MSR_IA32_TSC	      0x00000010
#define MSR_IA32_APICBASE     0x0000001b
#define MSR_IA32_FEAT_CTL     0x0000003a
#define MSR_IA32_TSC_ADJUST   0x0000003b
#define MSR_IA32_SYSENTER_CS  0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_MISC_ENABLE  0x000001a0
#define MSR_IA32_DEBUGCTLMSR  0x000001d9
#define MSR_IA32_CR_PAT	      0x00000277
#define MSR_EFER	      0xc0000080
#define MSR_STAR	      0xc0000081
#define MSR_LSTAR	      0xc0000082
#define MSR_CSTAR	      0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_FS_BASE	      0xc0000100
#define MSR_GS_BASE	      0xc0000101
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_TSC_AUX	      0xc0000103

#define FEAT_CTL_LOCKED			 (1ull << 0)
#define FEAT_CTL_VMX_ENABLED_INSIDE_SMX	 (1ull << 1)
#define FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX (1ull << 2)

#define MSR_IA32_VMX_BASIC		 0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS	 0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS	 0x00000482
#define MSR_IA32_VMX_EXIT_CTLS		 0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS		 0x00000484
#define MSR_IA32_VMX_MISC		 0x00000485
#define MSR_IA32_VMX_CR0_FIXED0		 0x00000486
#define MSR_IA32_VMX_CR0_FIXED1		 0x00000487
#define MSR_IA32_VMX_CR4_FIXED0		 0x00000488
#define MSR_IA32_VMX_CR4_FIXED1		 0x00000489
#define MSR_IA32_VMX_VMCS_ENUM		 0x0000048a
#define MSR_IA32_VMX_PROCBASED_CTLS2	 0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP	 0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS	 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS	 0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS	 0x00000490

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_VME	   (1ull << 0)
#define X86_CR4_PVI	   (1ull << 1)
#define X86_CR4_TSD	   (1ull << 2)
#define X86_CR4_DE	   (1ull << 3)
#define X86_CR4_PSE	   (1ull << 4)
#define X86_CR4_PAE	   (1ull << 5)
#define X86_CR4_MCE	   (1ull << 6)
#define X86_CR4_PGE	   (1ull << 7)
#define X86_CR4_PCE	   (1ull << 8)
#define X86_CR4_OSFXSR	   (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_VMXE	   (1ull << 13)
#define X86_CR4_PCIDE	   (1ull << 17)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NX	 (1ull << 11)

#define X86_EFLAGS_CF	 (1ull << 0)
#define X86_EFLAGS_FIXED (1ull << 1)
#define X86_EFLAGS_TF	 (1ull << 8)
#define X86_EFLAGS_IF	 (1ull << 9)
#define X86_EFLAGS_DF	 (1ull << 10)
#define X86_EFLAGS_VM	 (1ull << 17)

/* CPUID bits kvm/ tests. */
#define CPUID_1_ECX_VMX		 (1u << 5)
#define CPUID_1_ECX_SMX		 (1u << 6)
#define CPUID_1_ECX_MONITOR	 (1u << 3)
#define CPUID_1_ECX_HYPERVISOR	 (1u << 31)
#define CPUID_1_ECX_X2APIC	 (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_EDX_APIC	 (1u << 9)
#define CPUID_80000001_EDX_NX	 (1u << 20)

#endif
