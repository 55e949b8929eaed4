// SPDX-License-Identifier: GPL-2.0
/*
 * Which instructions and events cause VM exits in VMX non-root operation
 * (SDM 25.1): unconditional exits, the processor-based controls, I/O and
 * MSR bitmaps, CR0/CR4 guest/host masks, CR3-target values, the exception
 * bitmap with the #PF error-code mask/match.
 */
#include "cpu/vmx/vmx_state.h"

#define EXC_PF 14

static bool bitmap_bit(const uint8_t *map, unsigned bit)
{
	return (map[bit >> 3] >> (bit & 7)) & 1;
}

/* 25.1.3: I/O bitmaps; any port of the access set, or wrap, exits. */
static bool io_exits(const struct vmx_env *env, unsigned port, unsigned size)
{
	if (env->proc & CPU_BASED_USE_IO_BITMAPS) {
		for (unsigned p = port; p < port + size; p++) {
			if (p > 0xffff)
				return true;
			if (bitmap_bit(p < 0x8000 ? env->io_bitmap_a
						  : env->io_bitmap_b,
				       p & 0x7fff))
				return true;
		}
		return false;
	}
	return env->proc & CPU_BASED_UNCOND_IO_EXITING;
}

/* 24.6.9: MSR bitmaps. */
static bool msr_exits(const struct vmx_env *env, uint32_t msr, bool write)
{
	unsigned base = write ? 2048 : 0;

	if (!(env->proc & CPU_BASED_USE_MSR_BITMAPS))
		return true;
	if (msr <= 0x1fff)
		return bitmap_bit(env->msr_bitmap + base, msr);
	if (msr - 0xc0000000u <= 0x1fff)
		return bitmap_bit(env->msr_bitmap + base + 1024,
				  msr - 0xc0000000u);
	return true;
}

/* 25.1.3: MOV to CR0/CR4, CLTS, LMSW against the guest/host masks. */
static bool cr_exits(const struct vmx_env *env, const struct x86_intercept *w,
		     const struct x86_exit *ex)
{
	unsigned type = (ex->qualification >> 4) & 3;
	uint64_t m0 = env->cr0_mask, s0 = env->cr0_shadow;

	switch (type) {
	case 2: /* CLTS */
		return (m0 & X86_CR0_TS) && (s0 & X86_CR0_TS);
	case 3: { /* LMSW: low 4 bits; PE can only be set */
		uint64_t val = (ex->qualification >> 16) & 0xf;

		if ((m0 & X86_CR0_PE) && !(s0 & X86_CR0_PE) &&
		    (val & X86_CR0_PE))
			return true;
		return (m0 & 0xe & (val ^ s0)) != 0;
	}
	case 1: /* MOV from CR */
		if (w->cr_dr == 3)
			return env->proc & CPU_BASED_CR3_STORE_EXITING;
		if (w->cr_dr == 8)
			return env->proc & CPU_BASED_CR8_STORE_EXITING;
		return false;
	}
	/* MOV to CR */
	switch (w->cr_dr) {
	case 0:
		return ((w->value ^ s0) & m0) != 0;
	case 4:
		return ((w->value ^ env->cr4_shadow) & env->cr4_mask) != 0;
	case 3:
		if (!(env->proc & CPU_BASED_CR3_LOAD_EXITING))
			return false;
		for (unsigned i = 0; i < env->cr3_target_count && i < 4; i++)
			if (env->cr3_target[i] == w->value)
				return false;
		return true;
	case 8:
		return env->proc & CPU_BASED_CR8_LOAD_EXITING;
	}
	return false;
}

static bool exception_exits(const struct vmx_env *env,
			    const struct x86_intercept *w,
			    const struct x86_exit *ex)
{
	unsigned type = (ex->intr_info & INTR_INFO_INTR_TYPE_MASK);

	if (type == INTR_TYPE_NMI_INTR)
		return env->pin & PIN_BASED_NMI_EXITING;
	if (w->vector > 31)
		return false;
	if (w->vector == EXC_PF) {
		bool match =
		    (w->error_code & env->pfec_mask) == env->pfec_match;
		bool bit = env->exception_bitmap & (1u << EXC_PF);

		return bit == match;
	}
	return env->exception_bitmap & (1u << w->vector);
}

bool vmx_intercept(void *opaque, const struct x86_intercept *w,
		   struct x86_exit *ex)
{
	const struct vmx_env *env = opaque;

	switch (w->reason) {
	case X86_EXIT_EXCEPTION_NMI:
		return exception_exits(env, w, ex);
	/* Unconditional exits in VMX non-root operation. */
	case X86_EXIT_TRIPLE_FAULT:
	case X86_EXIT_TASK_SWITCH:
	case X86_EXIT_CPUID:
	case X86_EXIT_GETSEC:
	case X86_EXIT_INVD:
	case X86_EXIT_VMCALL:
	case X86_EXIT_VMCLEAR:
	case X86_EXIT_VMLAUNCH:
	case X86_EXIT_VMPTRLD:
	case X86_EXIT_VMPTRST:
	case X86_EXIT_VMREAD:
	case X86_EXIT_VMRESUME:
	case X86_EXIT_VMWRITE:
	case X86_EXIT_VMXOFF:
	case X86_EXIT_VMXON:
	case X86_EXIT_INVEPT:
	case X86_EXIT_INVVPID:
	case X86_EXIT_XSETBV:
		return true;
	case X86_EXIT_HLT:
		return env->proc & CPU_BASED_HLT_EXITING;
	case X86_EXIT_INVLPG:
		return env->proc & CPU_BASED_INVLPG_EXITING;
	case X86_EXIT_RDPMC:
		return env->proc & CPU_BASED_RDPMC_EXITING;
	case X86_EXIT_RDTSC:
	case X86_EXIT_RDTSCP:
		return env->proc & CPU_BASED_RDTSC_EXITING;
	case X86_EXIT_CR_ACCESS:
		return cr_exits(env, w, ex);
	case X86_EXIT_DR_ACCESS:
		return env->proc & CPU_BASED_MOV_DR_EXITING;
	case X86_EXIT_IO_INSTRUCTION:
		return io_exits(env, w->port, w->io_size);
	case X86_EXIT_MSR_READ:
		return msr_exits(env, w->msr, false);
	case X86_EXIT_MSR_WRITE:
		return msr_exits(env, w->msr, true);
	case X86_EXIT_MWAIT:
		return env->proc & CPU_BASED_MWAIT_EXITING;
	case X86_EXIT_MONITOR:
		return env->proc & CPU_BASED_MONITOR_EXITING;
	case X86_EXIT_PAUSE:
		return env->proc & CPU_BASED_PAUSE_EXITING;
	case X86_EXIT_WBINVD:
		return env->proc2 & SECONDARY_EXEC_WBINVD_EXITING;
	case X86_EXIT_GDTR_IDTR:
	case X86_EXIT_LDTR_TR:
		return env->proc2 & SECONDARY_EXEC_DESC;
	}
	/* RSM (#UD outside SMM), RDRAND/RDSEED/INVPCID (controls not
	 * supported): the core carries out its non-VMX behaviour. */
	return false;
}
