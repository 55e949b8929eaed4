/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test fixture for cpu/vmx tests: a CPU in VMX root with a current VMCS
 * holding a valid unrestricted-guest real-mode guest (code at GPA 0x1000)
 * behind a 4-level EPT, and KVM-like controls and host state.
 * Header-only (static) so it is not linked into other test binaries.
 */
#ifndef KVMINI_TEST_CPU_VMX_FIXTURE_H
#define KVMINI_TEST_CPU_VMX_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <x86/msr-index.h>
#include <x86/vmx.h>

#include "cpu/cpu.h"
#include "cpu/vmx/vmcs.h"

struct vfx {
	struct cpu *cpu;
	void *vmxon, *vmcs;
	uint64_t *pml4, *pdpt, *pd, *pt;
	uint8_t *mem[4]; /* host pages behind GPA 0x0000..0x3fff */
	void *pages[32];
	int npages;
};

static void *vfx_page(struct vfx *f)
{
	void *p = aligned_alloc(4096, 4096);

	memset(p, 0, 4096);
	f->pages[f->npages++] = p;
	return p;
}

static uint64_t vfx_rd(struct vfx *f, uint64_t field)
{
	uint64_t v = 0;

	if (cpu_vmread(f->cpu, field, &v) != VMX_SUCCEED)
		abort();
	return v;
}

static void vfx_wr(struct vfx *f, uint64_t field, uint64_t val)
{
	if (cpu_vmwrite(f->cpu, field, val) != VMX_SUCCEED)
		abort();
}

/* adjust_vmx_controls as KVM does it. */
static uint32_t vfx_adjust(struct vfx *f, uint32_t msr, uint32_t want)
{
	uint64_t cap = 0;

	cpu_rdmsr(f->cpu, msr, &cap);
	return (want & (uint32_t)(cap >> 32)) | (uint32_t)cap;
}

#define VFX_EPT_RWX_WB (7ull | (6ull << 3))

static uint64_t vfx_pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static struct vfx *vfx_create(const char *model)
{
	struct vfx *f = calloc(1, sizeof(*f));
	struct cpu_model m;
	char err[256];
	uint64_t basic;
	uint32_t rev;

	if (cpu_model_parse(model, &m, err, sizeof(err)))
		abort();
	f->cpu = cpu_create(&m, 0);
	cpu_rdmsr(f->cpu, MSR_IA32_VMX_BASIC, &basic);
	rev = (uint32_t)basic & 0x7fffffff;
	f->vmxon = vfx_page(f);
	f->vmcs = vfx_page(f);
	memcpy(f->vmxon, &rev, 4);
	memcpy(f->vmcs, &rev, 4);
	cpu_write_cr4(f->cpu, cpu_read_cr4(f->cpu) | 0x2000);
	if (cpu_vmxon(f->cpu, f->vmxon) != VMX_SUCCEED ||
	    cpu_vmclear(f->cpu, f->vmcs) != VMX_SUCCEED ||
	    cpu_vmptrld(f->cpu, f->vmcs) != VMX_SUCCEED)
		abort();

	/* EPT: GPA 0..16K -> mem[0..3], RWX, WB. */
	f->pml4 = vfx_page(f);
	f->pdpt = vfx_page(f);
	f->pd = vfx_page(f);
	f->pt = vfx_page(f);
	f->pml4[0] = vfx_pa(f->pdpt) | 7;
	f->pdpt[0] = vfx_pa(f->pd) | 7;
	f->pd[0] = vfx_pa(f->pt) | 7;
	for (int i = 0; i < 4; i++) {
		f->mem[i] = vfx_page(f);
		f->pt[i] = vfx_pa(f->mem[i]) | VFX_EPT_RWX_WB;
	}

	/* Controls, KVM style. */
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL,
	       vfx_adjust(f, MSR_IA32_VMX_PINBASED_CTLS,
			  PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL,
	       vfx_adjust(f, MSR_IA32_VMX_PROCBASED_CTLS,
			  CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
			      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &
		   ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING));
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL,
	       vfx_adjust(f, MSR_IA32_VMX_PROCBASED_CTLS2,
			  SECONDARY_EXEC_ENABLE_EPT |
			      SECONDARY_EXEC_UNRESTRICTED_GUEST));
	vfx_wr(f, VM_EXIT_CONTROLS,
	       vfx_adjust(f, MSR_IA32_VMX_EXIT_CTLS,
			  VM_EXIT_HOST_ADDR_SPACE_SIZE |
			      VM_EXIT_ACK_INTR_ON_EXIT));
	vfx_wr(f, VM_ENTRY_CONTROLS, vfx_adjust(f, MSR_IA32_VMX_ENTRY_CTLS, 0));
	vfx_wr(f, EPT_POINTER, vfx_pa(f->pml4) | 0x1e);

	/* Host state. */
	vfx_wr(f, HOST_CR0, cpu_read_cr0(f->cpu));
	vfx_wr(f, HOST_CR4, cpu_read_cr4(f->cpu));
	vfx_wr(f, HOST_CR3, 0x100000);
	vfx_wr(f, HOST_CS_SELECTOR, 0x10);
	vfx_wr(f, HOST_SS_SELECTOR, 0x18);
	vfx_wr(f, HOST_TR_SELECTOR, 0x40);
	vfx_wr(f, HOST_RIP, 0xffffffff81000000ull);
	vfx_wr(f, HOST_RSP, 0xffffc90000004000ull);

	/* Guest: real mode at 0000:1000 under unrestricted guest. */
	vfx_wr(f, GUEST_CR0, 0x30); /* ET | NE */
	vfx_wr(f, GUEST_CR4, 0x2000);
	vfx_wr(f, CR0_READ_SHADOW, 0x10);
	for (unsigned s = 0; s < 6; s++) {
		vfx_wr(f, GUEST_ES_SELECTOR + 2 * s, 0);
		vfx_wr(f, GUEST_ES_BASE + 2 * s, 0);
		vfx_wr(f, GUEST_ES_LIMIT + 2 * s, 0xffff);
		vfx_wr(f, GUEST_ES_AR_BYTES + 2 * s, s == 1 ? 0x9b : 0x93);
	}
	vfx_wr(f, GUEST_TR_LIMIT, 0xffff);
	vfx_wr(f, GUEST_TR_AR_BYTES, 0x8b);
	vfx_wr(f, GUEST_LDTR_LIMIT, 0xffff);
	vfx_wr(f, GUEST_LDTR_AR_BYTES, 0x82);
	vfx_wr(f, GUEST_GDTR_LIMIT, 0xffff);
	vfx_wr(f, GUEST_IDTR_LIMIT, 0x3ff);
	vfx_wr(f, GUEST_RIP, 0x1000);
	vfx_wr(f, GUEST_RFLAGS, 0x2);
	vfx_wr(f, VMCS_LINK_POINTER, ~0ull);
	return f;
}

static void vfx_destroy(struct vfx *f)
{
	cpu_vmxoff(f->cpu);
	cpu_destroy(f->cpu);
	for (int i = 0; i < f->npages; i++)
		free(f->pages[i]);
	free(f);
}

#endif
