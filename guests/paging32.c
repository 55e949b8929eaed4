// SPDX-License-Identifier: MIT
/*
 * paging32: 32-bit PAE paging (CR4.PAE in protected mode: 4 PDPTEs, PDs
 * of 64-bit entries). The first 3 GiB are identity-mapped with 2 MiB
 * pages; a window at VA 0xe0000000 has 4 KiB pages over pages of this
 * image:
 *   aliases; A and D bits set by the CPU; a 4 KiB remap seen after a CR3
 *   reload (which also reloads the PDPTEs); then the faulting cases, last
 *   (delivering #PF needs an IRET back, which kvm_pvm hosts cannot do in
 *   32-bit mode): not-present read (#PF 0, CR2), write to a read-only
 *   page with CR0.WP (#PF 3), and an NX page with EFER.NXE (#PF 0x11).
 */
#include "rt.h"

#define WIN 0xe0000000u
#define P   0x1ull
#define RW  0x2ull
#define ACC 0x20ull
#define DRT 0x40ull
#define PS  0x80ull
#define NX  (1ull << 63)

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pds[4][512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t page_c[4096] __attribute__((aligned(4096)));
static int checks, failures;
#define PTE(i) (((volatile uint64_t *)pt)[i])
#define PDE(i) (((volatile uint64_t *)pds[3])[i])

static volatile uintptr_t resume_ip;
static volatile struct {
	unsigned long err, cr2;
	int hits;
} seen;

static void pf_handler(struct rt_frame *f)
{
	seen.err = f->err;
	seen.cr2 = read_cr2();
	seen.hits++;
	if (f->ip >= WIN) {
		/* NX call: resume at the return address. A same-privilege
		 * 32-bit frame ends at EFLAGS, so the interrupted stack (with
		 * the return address on top) starts where f->sp would be;
		 * the caller re-balances ESP itself. */
		f->ip = *(uint32_t *)&f->sp;
	} else {
		f->ip = resume_ip;
	}
}

static void check(const char *what, int ok)
{
	checks++;
	rt_printf("%-44s %s\n", what, ok ? "ok" : "WRONG");
	failures += !ok;
}

static void check_pf(const char *what, unsigned long err, uint32_t cr2)
{
	int ok = seen.hits == 1 && seen.err == err && seen.cr2 == cr2;
	checks++;
	rt_printf("%-44s #PF error %lx: %s\n", what, seen.err,
		  ok ? "ok" : "WRONG");
	failures += !ok;
	seen.hits = 0;
}

static void reload_cr3(void)
{
	__asm__ volatile("mov %%cr3, %%eax; mov %%eax, %%cr3" ::
			     : "eax", "memory");
}

int main(void)
{
	unsigned long v;

	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 512; j++)
			pds[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) |
				    PS | RW | P;
		pdpt[i] = (uintptr_t)pds[i] | P; /* PDPTEs: no RW/US bits */
	}
	pds[3][(WIN >> 21) & 511] = (uintptr_t)pt | RW | P;
	pt[0] = (uintptr_t)page_a | RW | P;
	pt[1] = (uintptr_t)page_a | RW | P;
	pt[2] = (uintptr_t)page_b | RW | P;
	pt[3] = (uintptr_t)page_b | P; /* read-only */
	pt[4] = 0;
	__asm__ volatile("mov %%cr4, %0; or $0x20, %0; mov %0, %%cr4" /* PAE */
			 : "=&r"(v));
	__asm__ volatile("mov %0, %%cr3" : : "r"(pdpt) : "memory");
	__asm__ volatile("mov %%cr0, %0; or $0x80000000, %0; mov %0, %%cr0"
			 : "=&r"(v)
			 :
			 : "memory");

	volatile uint32_t *w0 = (volatile uint32_t *)(WIN + 0x0000);
	volatile uint32_t *w1 = (volatile uint32_t *)(WIN + 0x1000);
	volatile uint32_t *w2 = (volatile uint32_t *)(WIN + 0x2000);
	volatile uint32_t *w3 = (volatile uint32_t *)(WIN + 0x3000);
	volatile uint32_t *w4 = (volatile uint32_t *)(WIN + 0x4000);

	rt_puts("paging32: PAE on\n");
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	check("CR4.PAE set, identity map still works", (v & 0x20) && pds[0][0]);
	w0[3] = 0xabcd1234;
	check("write via VA 0, read via alias VA 1", w1[3] == 0xabcd1234);
	check("and via the identity map",
	      ((uint32_t *)page_a)[3] == 0xabcd1234);

	rt_puts("paging32: accessed and dirty bits\n");
	(void)*w2;
	check("read sets PTE.A, not PTE.D", (PTE(2) & ACC) && !(PTE(2) & DRT));
	check("walk set PDE.A", PDE((WIN >> 21) & 511) & ACC);
	*w2 = 9;
	check("write sets PTE.D", PTE(2) & DRT);

	rt_puts("paging32: remap and CR3 reload\n");
	((uint32_t *)page_b)[1] = 0xbbbb;
	pt[0] = (uintptr_t)page_b | RW | P;
	reload_cr3();
	check("VA 0 now reads page B", w0[1] == 0xbbbb);

	rt_puts("paging32: faults\n");
	rt_set_handler(14, pf_handler);
	__asm__ volatile("movl $1f, %0\n\tmovl (%1), %%eax\n1:"
			 : "=m"(resume_ip)
			 : "r"(w4)
			 : "eax");
	check_pf("read, PTE not present", 0, (uintptr_t)w4);
	__asm__ volatile(
	    "mov %%cr0, %0; or $0x10000, %0; mov %0, %%cr0" /* WP */
	    : "=&r"(v));
	__asm__ volatile("movl $1f, %0\n\tmovl $5, (%1)\n1:"
			 : "=m"(resume_ip)
			 : "r"(w3)
			 : "memory");
	check_pf("write to read-only, CR0.WP=1", 3, (uintptr_t)w3);

	uint32_t r[4];
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 20)))
		rt_fail(4, "CPUID.80000001H:EDX.NX is clear");
	wrmsr(0xc0000080, rdmsr(0xc0000080) | (1ull << 11)); /* NXE */
	static const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3};
	memcpy(page_c, code, sizeof(code));
	pt[5] = (uintptr_t)page_c | RW | P | NX;
	/* the handler sends the call back to its return address; in a
	 * same-privilege 32-bit frame ESP is not restored by IRET, so the
	 * call is made from asm that re-balances the stack itself */
	uint32_t target = WIN + 0x5000, ret;
	__asm__ volatile("mov %%esp, %%esi\n\t"
			 "call *%1\n\t"
			 "mov %%esi, %%esp"
			 : "=a"(ret)
			 : "r"(target), "0"(0)
			 : "esi", "ecx", "edx", "memory");
	check_pf("call into an NX page", 0x11, target);
	pt[5] &= ~NX;
	invlpg((void *)(uintptr_t)target);
	__asm__ volatile("call *%1"
			 : "=a"(ret)
			 : "r"(target)
			 : "ecx", "edx", "memory");
	check("same page without NX runs", ret == 42 && seen.hits == 0);

	if (failures) {
		rt_printf("paging32: %d of %d checks FAILED\n", failures,
			  checks);
		return 3;
	}
	rt_printf("paging32: all %d checks passed\n", checks);
	return 0;
}
