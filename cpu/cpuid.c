// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID of the silicon: a conservative Intel-like core. Only features the
 * execution core implements are advertised (cpu/x86/FEATURES.md is the
 * list): x87, FXSR, MMX, SSE, SSE2 yes; SSE3+, AVX, XSAVE not yet (turn
 * each bit on in the commit that follows FEATURES.md). RDTSCP is
 * implemented by the core but not advertised: in VMX non-root it needs
 * the "enable RDTSCP" control, which VMX here does not offer yet.
 */
#include <string.h>

#include "cpu/internal.h"

#define CPUID_MAX_BASIC 0x7u
#define CPUID_MAX_EXT	0x80000008u

/* Leaf 1 EDX */
#define CPUID_1_EDX_DE	  (1u << 2)  /* CR4.DE, DR4/DR5 rules */
#define CPUID_1_EDX_PSE	  (1u << 3)  /* 4 MB pages */
#define CPUID_1_EDX_TSC	  (1u << 4)  /* RDTSC */
#define CPUID_1_EDX_MSR	  (1u << 5)  /* RDMSR/WRMSR */
#define CPUID_1_EDX_PAE	  (1u << 6)  /* PAE paging */
#define CPUID_1_EDX_CX8	  (1u << 8)  /* CMPXCHG8B */
#define CPUID_1_EDX_SEP	  (1u << 11) /* SYSENTER MSRs exist */
#define CPUID_1_EDX_PGE	  (1u << 13) /* global pages */
#define CPUID_1_EDX_CMOV  (1u << 15) /* CMOVcc */
#define CPUID_1_EDX_PAT	  (1u << 16) /* IA32_PAT */
#define CPUID_1_EDX_PSE36 (1u << 17) /* 36-bit PSE addresses */
#define CPUID_1_EDX_FPU	  (1u << 0)  /* x87 */
#define CPUID_1_EDX_FXSR  (1u << 24) /* FXSAVE/FXRSTOR, CR4.OSFXSR */
#define CPUID_1_EDX_SSE	  (1u << 25)
#define CPUID_1_EDX_SSE2  (1u << 26)
#define CPUID_1_EDX_MMX	  (1u << 23)
/* Leaf 1 ECX */
#define CPUID_1_ECX_VMX	   (1u << 5)
#define CPUID_1_ECX_CX16   (1u << 13) /* CMPXCHG16B */
#define CPUID_1_ECX_MOVBE  (1u << 22)
#define CPUID_1_ECX_POPCNT (1u << 23)
/* Leaf 7.0 */
#define CPUID_7_EBX_SMEP (1u << 7)
#define CPUID_7_EBX_SMAP (1u << 20)
#define CPUID_7_ECX_UMIP (1u << 2)
/* Leaf 0x80000001 */
#define CPUID_81_ECX_LAHF_LM (1u << 0)
#define CPUID_81_EDX_SYSCALL (1u << 11)
#define CPUID_81_EDX_NX	     (1u << 20)
#define CPUID_81_EDX_LM	     (1u << 29)
#define CPUID_81_ECX_ABM     (1u << 5) /* LZCNT */
#define CPUID_81_EDX_PDPE1GB (1u << 26)

/* Family 6, model 0x3c (Haswell-like), stepping 3. */
#define CPUID_SIGNATURE 0x000306c3u

static void set_string(uint32_t *regs, const char *s, size_t n)
{
	char buf[16] = {0};

	memcpy(buf, s, n > sizeof(buf) ? sizeof(buf) : n);
	memcpy(regs, buf, sizeof(buf));
}

void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t subleaf,
	       uint32_t out[4])
{
	static const char brand[48] = "kvmini software x86-64 CPU";

	memset(out, 0, 4 * sizeof(uint32_t));
	/* Out-of-range leaves return the highest basic leaf (Intel rule). */
	if ((leaf > CPUID_MAX_BASIC && leaf < 0x80000000u) ||
	    leaf > CPUID_MAX_EXT)
		leaf = CPUID_MAX_BASIC;

	switch (leaf) {
	case 0:
		out[0] = CPUID_MAX_BASIC;
		/* "GenuineIntel" in EBX, EDX, ECX order. */
		memcpy(&out[1], "Genu", 4);
		memcpy(&out[3], "ineI", 4);
		memcpy(&out[2], "ntel", 4);
		break;
	case 1:
		out[0] = CPUID_SIGNATURE;
		/* APIC id, 1 logical processor, CLFLUSH line 8*8 bytes. */
		out[1] = (cpu->index & 0xff) << 24 | 1u << 16 | 8u << 8;
		out[2] =
		    CPUID_1_ECX_CX16 | CPUID_1_ECX_MOVBE | CPUID_1_ECX_POPCNT;
		if (cpu_has(cpu, CPU_FEAT_VMX))
			out[2] |= CPUID_1_ECX_VMX;
		out[3] = CPUID_1_EDX_DE | CPUID_1_EDX_PSE | CPUID_1_EDX_TSC |
			 CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 |
			 CPUID_1_EDX_SEP | CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV |
			 CPUID_1_EDX_PAT | CPUID_1_EDX_PSE36 | CPUID_1_EDX_FPU |
			 CPUID_1_EDX_FXSR | CPUID_1_EDX_MMX | CPUID_1_EDX_SSE |
			 CPUID_1_EDX_SSE2;
		break;
	case 7:
		/* Subleaf 0 only (EAX = max subleaf = 0). */
		if (subleaf == 0) {
			out[1] = CPUID_7_EBX_SMEP | CPUID_7_EBX_SMAP;
			out[2] = CPUID_7_ECX_UMIP;
		}
		break;
	case 0x80000000u:
		out[0] = CPUID_MAX_EXT;
		break;
	case 0x80000001u:
		out[2] = CPUID_81_ECX_LAHF_LM | CPUID_81_ECX_ABM;
		out[3] = CPUID_81_EDX_SYSCALL | CPUID_81_EDX_PDPE1GB |
			 CPUID_81_EDX_LM;
		if (cpu_has(cpu, CPU_FEAT_NX))
			out[3] |= CPUID_81_EDX_NX;
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		set_string(out, brand + 16 * (leaf - 0x80000002u), 16);
		break;
	case 0x80000008u:
		out[0] = CPU_MAXPHYADDR | 48u << 8;
		break;
	default:
		/* Leaves 2-6: caches, monitor, power: nothing to report. */
		break;
	}
}
