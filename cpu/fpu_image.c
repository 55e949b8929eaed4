// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_get_fxsave / cpu_set_fxsave (cpu/cpu.h): the processor's x87/SSE
 * register file (struct x86_fpu, which keeps the physical R0-R7) as the
 * FXSAVE64 image (ST0-ST7 relative to FSW.TOP), so that kvm/ never sees
 * the core's layout.
 */
#include <string.h>

#include "cpu/internal.h"

/* MXCSR bits the core implements: FXSAVE reports this mask (exec_sse.c). */
#define CPU_MXCSR_MASK 0xffffu

enum {
	FX_FCW = 0,
	FX_FSW = 2,
	FX_FTW = 4,
	FX_FOP = 6,
	FX_FIP = 8,
	FX_FDP = 16,
	FX_MXCSR = 24,
	FX_MXCSR_MASK = 28,
	FX_ST = 32,
	FX_XMM = 160,
};

_Static_assert(FX_XMM + sizeof(((struct x86_fpu *)0)->xmm) <= CPU_FXSAVE_SIZE,
	       "XMM0-15 must fit the FXSAVE image");

static unsigned fpu_top(uint16_t fsw)
{
	return (fsw >> 11) & 7;
}

void cpu_fxsave_reset_image(uint8_t image[CPU_FXSAVE_SIZE])
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80, mask = CPU_MXCSR_MASK;

	memset(image, 0, CPU_FXSAVE_SIZE);
	memcpy(image + FX_FCW, &fcw, 2);
	memcpy(image + FX_MXCSR, &mxcsr, 4);
	memcpy(image + FX_MXCSR_MASK, &mask, 4);
}

void cpu_get_fxsave(struct cpu *cpu, uint8_t image[CPU_FXSAVE_SIZE])
{
	const struct x86_fpu *f = &cpu->guest.fpu;
	uint32_t mask = CPU_MXCSR_MASK;
	unsigned top = fpu_top(f->fsw);

	/* Never used yet: the core applies the power-on state on first use. */
	if (!f->inited) {
		cpu_fxsave_reset_image(image);
		return;
	}
	memset(image, 0, CPU_FXSAVE_SIZE);
	memcpy(image + FX_FCW, &f->fcw, 2);
	memcpy(image + FX_FSW, &f->fsw, 2);
	image[FX_FTW] = f->ftw;
	memcpy(image + FX_FOP, &f->fop, 2);
	memcpy(image + FX_FIP, &f->fip, 8);
	memcpy(image + FX_FDP, &f->fdp, 8);
	memcpy(image + FX_MXCSR, &f->mxcsr, 4);
	memcpy(image + FX_MXCSR_MASK, &mask, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(image + FX_ST + 16 * i, f->st[(top + i) & 7], 10);
	memcpy(image + FX_XMM, f->xmm, sizeof(f->xmm));
}

void cpu_set_fxsave(struct cpu *cpu, const uint8_t image[CPU_FXSAVE_SIZE])
{
	struct x86_fpu *f = &cpu->guest.fpu;
	unsigned top;

	memset(f, 0, sizeof(*f));
	f->inited = true;
	memcpy(&f->fcw, image + FX_FCW, 2);
	memcpy(&f->fsw, image + FX_FSW, 2);
	f->ftw = image[FX_FTW];
	memcpy(&f->fop, image + FX_FOP, 2);
	memcpy(&f->fip, image + FX_FIP, 8);
	memcpy(&f->fdp, image + FX_FDP, 8);
	memcpy(&f->mxcsr, image + FX_MXCSR, 4);
	f->mxcsr &= CPU_MXCSR_MASK;
	top = fpu_top(f->fsw);
	for (unsigned i = 0; i < 8; i++)
		memcpy(f->st[(top + i) & 7], image + FX_ST + 16 * i, 10);
	memcpy(f->xmm, image + FX_XMM, sizeof(f->xmm));
}
