// SPDX-License-Identifier: MIT
/*
 * sys64: system state a 64-bit kernel sets up early, read back:
 * FS/GS bases through the MSRs and %fs:/%gs: loads, SWAPGS with
 * KERNEL_GS_BASE; SGDT/SIDT/STR/SLDT; PAT at its reset value; STAR and
 * LSTAR round trips; RDMSR of an MSR no CPU has raises #GP(0); a far
 * return (LRETQ) reloading CS and an IRETQ to CPL0; the TSC does not go
 * backwards; toggling CR4.PGE flushes a global translation.
 * QEMU 7.2 TCG returns 0 for the unknown MSR instead of #GP
 * (sys64.qemu.*); KVM and the soft CPU raise #GP(0) as silicon does.
 */
#include "rt.h"

#define MSR_PAT		   0x277
#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_FS_BASE	   0xc0000100
#define MSR_GS_BASE	   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define WIN		   0x100000000ull

static int checks, failures;
static uint64_t fs_area[2] = {0x1111111111111111ull, 0x2222222222222222ull};
static uint64_t gs_area[2] = {0x3333333333333333ull, 0x4444444444444444ull};
static uint64_t kgs_area[2] = {0x5555555555555555ull, 0x6666666666666666ull};
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint64_t page_a[512] __attribute__((aligned(4096)));
static uint64_t page_b[512] __attribute__((aligned(4096)));
static volatile uintptr_t resume_ip;
static volatile unsigned long gp_err, gp_hits;

static void check(const char *what, int ok)
{
	checks++;
	rt_printf("%-48s %s\n", what, ok ? "ok" : "WRONG");
	failures += !ok;
}

static void gp_handler(struct rt_frame *f)
{
	gp_hits++;
	gp_err = f->err;
	f->ip = resume_ip;
}

static uint64_t fs_load(int i)
{
	uint64_t v;
	__asm__ volatile("movq %%fs:(,%1,8), %0" : "=r"(v) : "r"((long)i));
	return v;
}

static uint64_t gs_load(int i)
{
	uint64_t v;
	__asm__ volatile("movq %%gs:(,%1,8), %0" : "=r"(v) : "r"((long)i));
	return v;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

int main(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr, idtr;
	extern uint64_t rt_gdt[];

	rt_puts("sys64: segment bases\n");
	wrmsr(MSR_FS_BASE, (uintptr_t)fs_area);
	wrmsr(MSR_GS_BASE, (uintptr_t)gs_area);
	wrmsr(MSR_KERNEL_GS_BASE, (uintptr_t)kgs_area);
	check("FS_BASE reads back", rdmsr(MSR_FS_BASE) == (uintptr_t)fs_area);
	check("%fs:8 reads fs_area[1]", fs_load(1) == fs_area[1]);
	check("%gs:0 reads gs_area[0]", gs_load(0) == gs_area[0]);
	__asm__ volatile("swapgs" ::: "memory");
	check("after SWAPGS %gs:8 reads kernel_gs[1]",
	      gs_load(1) == kgs_area[1]);
	check("after SWAPGS the MSRs are swapped",
	      rdmsr(MSR_GS_BASE) == (uintptr_t)kgs_area &&
		  rdmsr(MSR_KERNEL_GS_BASE) == (uintptr_t)gs_area);
	__asm__ volatile("swapgs" ::: "memory");
	check("SWAPGS again restores", gs_load(0) == gs_area[0]);
	/* a selector load into FS replaces the 64-bit base with the
	 * descriptor's (0 in our flat GDT) */
	__asm__ volatile("mov %0, %%fs" : : "r"(RT_KDATA));
	check("mov fs, sel resets FS base to the descriptor's",
	      rdmsr(MSR_FS_BASE) == 0);

	rt_puts("sys64: descriptor tables\n");
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	check("SGDT base is the runtime's GDT", gdtr.base == (uintptr_t)rt_gdt);
	check("SGDT limit", gdtr.limit == 0x5f);
	check("SIDT limit is 256 16-byte gates", idtr.limit == 0xfff);
	uint16_t tr, ldtr;
	__asm__ volatile("str %0" : "=r"(tr));
	__asm__ volatile("sldt %0" : "=r"(ldtr));
	check("STR = TSS selector 0x40", tr == RT_TSS);
	check("SLDT = 0", ldtr == 0);

	rt_puts("sys64: MSRs\n");
	check("PAT at its reset value",
	      rdmsr(MSR_PAT) == 0x0007040600070406ull);
	uint64_t star = 0x0023001000000000ull;
	wrmsr(MSR_STAR, star);
	check("STAR round trip", rdmsr(MSR_STAR) == star);
	wrmsr(MSR_LSTAR, 0xffffffff81000000ull);
	check("LSTAR round trip", rdmsr(MSR_LSTAR) == 0xffffffff81000000ull);
	rt_set_handler(13, gp_handler);
	__asm__ volatile("movq $1f, %0\n\trdmsr\n1:"
			 : "=m"(resume_ip)
			 : "c"(0x0badc0de)
			 : "rax", "rdx");
	check("RDMSR 0x0badc0de raises #GP(0)", gp_hits == 1 && gp_err == 0);
	rt_set_handler(13, 0);

	rt_puts("sys64: control transfers\n");
	unsigned long out = 0;
	__asm__ volatile("pushq %1\n\t"
			 "pushq $1f\n\t"
			 "lretq\n"
			 "1:\tmov %%cs, %0"
			 : "=r"(out)
			 : "i"(RT_KCODE)
			 : "memory");
	check("LRETQ to the kernel code selector", out == RT_KCODE);
	__asm__ volatile("mov %%rsp, %%rax\n\t"
			 "pushq %1\n\t" /* SS */
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "pushq %2\n\t" /* CS */
			 "pushq $1f\n\t"
			 "iretq\n"
			 "1:\tmov %%ss, %0"
			 : "=r"(out)
			 : "i"(RT_KDATA), "i"(RT_KCODE)
			 : "rax", "memory");
	check("IRETQ to CPL0 loads SS", out == RT_KDATA);

	rt_puts("sys64: TSC and global pages\n");
	uint64_t t0 = rdtsc(), t1 = rdtsc();
	check("TSC does not go backwards", t1 >= t0);
	page_a[0] = 0xa;
	page_b[0] = 0xb;
	pt[0] = (uintptr_t)page_a | 0x103; /* P RW G */
	pd[0] = (uintptr_t)pt | 3;
	rt_pdpt[4] = (uintptr_t)pd | 3;
	unsigned long cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4"
			 :
			 : "r"(cr4 | 0x80)
			 : "memory"); /* PGE */
	volatile uint64_t *win = (volatile uint64_t *)WIN;
	check("global page maps page A", *win == 0xa);
	pt[0] = (uintptr_t)page_b | 0x103;
	/* a CR3 write may keep the global entry: nothing to check here. A
	 * CR4.PGE toggle must flush it. */
	__asm__ volatile("mov %0, %%cr4; mov %1, %%cr4"
			 :
			 : "r"(cr4), "r"(cr4 | 0x80)
			 : "memory");
	check("after a CR4.PGE toggle it maps page B", *win == 0xb);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");

	if (failures) {
		rt_printf("sys64: %d of %d checks FAILED\n", failures, checks);
		return 3;
	}
	rt_printf("sys64: all %d checks passed\n", checks);
	return 0;
}
