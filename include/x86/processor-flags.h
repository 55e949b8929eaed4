/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CR0, CR4, EFER and RFLAGS bits (SDM vol. 3A 2.5, 2.2.1; vol. 1 3.4.3),
 * shared by cpu/, kvm/ and vmm/. Names as Linux spells them in
 * arch/x86/include/uapi/asm/processor-flags.h and asm/msr-index.h (EFER).
 */
#ifndef KVMINI_X86_PROCESSOR_FLAGS_H
#define KVMINI_X86_PROCESSOR_FLAGS_H

#define X86_EFLAGS_CF	 (1ull << 0)
#define X86_EFLAGS_FIXED (1ull << 1)
#define X86_EFLAGS_TF	 (1ull << 8)
#define X86_EFLAGS_IF	 (1ull << 9)
#define X86_EFLAGS_DF	 (1ull << 10)
#define X86_EFLAGS_VM	 (1ull << 17)

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
#define X86_CR4_UMIP	   (1ull << 11)
#define X86_CR4_LA57	   (1ull << 12)
#define X86_CR4_VMXE	   (1ull << 13)
#define X86_CR4_FSGSBASE   (1ull << 16)
#define X86_CR4_PCIDE	   (1ull << 17)
#define X86_CR4_OSXSAVE	   (1ull << 18)
#define X86_CR4_SMEP	   (1ull << 20)
#define X86_CR4_SMAP	   (1ull << 21)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NX	 (1ull << 11)

#endif
