// SPDX-License-Identifier: MIT
/*
 * paging64: 4-level paging with 4 KiB pages, as the MMU (EPT or shadow)
 * must present it to the guest. A test window at VA 4 GiB (PDPT[4] -> a
 * PD -> a PT) maps pages of this image:
 *   two VAs aliasing one page; A and D bits set by the CPU on read and
 *   write (PTE and PDE); a read-only page: writes fault with CR0.WP=1
 *   (#PF error P|W) and go through with WP=0; a not-present PTE (#PF 0);
 *   a 2 MiB PDE with a reserved bit (13) set (#PF P|RSVD = 9, independent
 *   of MAXPHYADDR; QEMU 7.2 TCG reports 8, without P: paging64.qemu.*); an NX
 * page with EFER.NXE (#PF P|I/D on the call); and a remapped PTE becoming
 * visible after a CR3 reload.
 */
#include "rt.h"

#define WIN   0x100000000ull /* VA of the test window */
#define P     0x1ull
#define RW    0x2ull
#define US    0x4ull
#define ACC   0x20ull
#define DIRTY 0x40ull
#define PS    0x80ull
#define NX    (1ull << 63)

static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
static uint8_t page_c[4096] __attribute__((aligned(4096)));

static volatile uintptr_t fault_ip, resume_ip;
static volatile struct {
	unsigned long vec, err, cr2;
	int hits;
} seen;
static int checks, failures;
/* the CPU writes A/D bits behind the compiler's back: read them volatile */
#define PTE(i) (((volatile uint64_t *)pt)[i])
#define PDE(i) (((volatile uint64_t *)pd)[i])

static void pf_handler(struct rt_frame *f)
{
	seen.vec = f->vec;
	seen.err = f->err;
	seen.cr2 = read_cr2();
	seen.hits++;
	if (f->ip >= WIN) {
		/* the NX test called into the window: return to the caller */
		f->ip = *(uint64_t *)(uintptr_t)f->sp;
		f->sp += 8;
	} else {
		f->ip = resume_ip;
	}
}

#define TRY(insn, ...)                                                         \
	__asm__ volatile("movq $0f, %[fip]\n\tmovq $1f, %[rip]\n\t"            \
			 "0: " insn "\n1:"                                     \
			 : [fip] "=m"(fault_ip), [rip] "=m"(resume_ip)         \
			 : __VA_ARGS__)

static void check(const char *what, int ok)
{
	checks++;
	rt_printf("%-48s %s\n", what, ok ? "ok" : "WRONG");
	failures += !ok;
}

static void check_pf(const char *what, unsigned long err, uint64_t cr2)
{
	int ok = seen.hits == 1 && seen.vec == 14 && seen.err == err &&
		 seen.cr2 == cr2;
	checks++;
	rt_printf("%-48s #PF error %lx: %s\n", what, seen.err,
		  ok ? "ok" : "WRONG");
	if (!ok) {
		failures++;
		rt_printf("  hits %d cr2 %lx, want error %lx cr2 %lx\n",
			  seen.hits, seen.cr2, err, (unsigned long)cr2);
	}
	seen.hits = 0;
}

static uint64_t pa(const void *p)
{
	return (uintptr_t)p; /* the image is identity-mapped */
}

static void write_cr0(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static unsigned long read_cr0(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

int main(void)
{
	volatile uint64_t *va0 = (volatile uint64_t *)(WIN + 0x0000);
	volatile uint64_t *va1 = (volatile uint64_t *)(WIN + 0x1000);
	volatile uint64_t *va2 = (volatile uint64_t *)(WIN + 0x2000);
	volatile uint64_t *va3 = (volatile uint64_t *)(WIN + 0x3000);
	volatile uint64_t *va4 = (volatile uint64_t *)(WIN + 0x4000);

	rt_set_handler(14, pf_handler);
	pt[0] = pa(page_a) | P | RW;
	pt[1] = pa(page_a) | P | RW;
	pt[2] = pa(page_b) | P | RW;
	pt[3] = pa(page_b) | P; /* read-only */
	pt[4] = 0;		/* not present */
	pd[0] = pa(pt) | P | RW;
	pd[1] = 0x200000 | PS | P | RW | (1ull << 13); /* reserved bit */
	rt_pdpt[4] = pa(pd) | P | RW;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::
			     : "rax", "memory");

	rt_puts("paging64: aliases\n");
	va0[1] = 0x1122334455667788ull;
	check("write via VA 0, read via alias VA 1",
	      va1[1] == 0x1122334455667788ull);
	check("and via the identity map",
	      ((uint64_t *)page_a)[1] == 0x1122334455667788ull);

	rt_puts("paging64: accessed and dirty bits\n");
	(void)*va2;
	check("read sets PTE.A", (PTE(2) & ACC) != 0);
	check("read leaves PTE.D clear", (PTE(2) & DIRTY) == 0);
	check("walk set PDE.A", (PDE(0) & ACC) != 0);
	*va2 = 5;
	check("write sets PTE.D", (PTE(2) & DIRTY) != 0);

	rt_puts("paging64: read-only page\n");
	unsigned long cr0 = read_cr0();
	write_cr0(cr0 | (1ul << 16)); /* WP */
	TRY("movq $7, (%[p])", [p] "r"(va3) : "memory");
	check_pf("write, CR0.WP=1", P | RW, (uintptr_t)va3);
	write_cr0(cr0 & ~(1ul << 16));
	TRY("movq $7, (%[p])", [p] "r"(va3) : "memory");
	check("write, CR0.WP=0 goes through",
	      seen.hits == 0 && ((uint64_t *)page_b)[0] == 7);
	write_cr0(cr0);

	rt_puts("paging64: not present, reserved bit\n");
	TRY("movq (%[p]), %%rax", [p] "r"(va4) : "rax");
	check_pf("read, PTE not present", 0, (uintptr_t)va4);
	volatile uint64_t *big = (volatile uint64_t *)(WIN + 0x200010);
	TRY("movq (%[p]), %%rax", [p] "r"(big) : "rax");
	check_pf("read, 2 MiB PDE with bit 13 set", P | 8, (uintptr_t)big);

	rt_puts("paging64: no-execute\n");
	uint32_t r[4];
	cpuid(0x80000001, 0, r);
	if (!(r[3] & (1u << 20))) {
		rt_fail(4, "CPUID.80000001H:EDX.NX is clear");
	}
	wrmsr(0xc0000080, rdmsr(0xc0000080) | (1ull << 11)); /* NXE */
	static const uint8_t code[] = {0xb8, 42, 0,
				       0,    0,	 0xc3}; /* mov $42,%eax; ret */
	memcpy(page_c, code, sizeof(code));
	pt[5] = pa(page_c) | P | RW | NX;
	int (*fn)(void) = (int (*)(void))(WIN + 0x5000);
	int v = fn();
	check_pf("call into an NX page", P | 0x10, WIN + 0x5000);
	pt[5] &= ~NX;
	invlpg((void *)(WIN + 0x5000));
	v = fn();
	check("same page without NX runs", v == 42 && seen.hits == 0);

	rt_puts("paging64: remap and CR3 reload\n");
	((uint64_t *)page_b)[1] = 0xbbbb;
	pt[0] = pa(page_b) | P | RW;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::
			     : "rax", "memory");
	check("VA 0 now reads page B", va0[1] == 0xbbbb);

	if (failures) {
		rt_printf("paging64: %d of %d checks FAILED\n", failures,
			  checks);
		return 3;
	}
	rt_printf("paging64: all %d checks passed\n", checks);
	return 0;
}
