// SPDX-License-Identifier: MIT
/*
 * task32: hardware task switches (32-bit TSS). Task A is the runtime's
 * TSS (selector 0x28); task B gets GDT slot 0x30.
 *   1. CALL to B's TSS selector: a nested switch. B sees TR = 0x30,
 *      EFLAGS.NT = 1 and its back link = 0x28; A's state is saved in A's
 *      TSS; B returns by IRET (NT=1: a task return to A, which resumes
 *      after its CALL with its registers intact).
 *   2. JMP to B: not nested. B resumes after its IRET (the EIP saved at
 *      the switch), sees NT = 0, and JMPs back to A.
 * Busy bits: while B runs after the CALL both TSS descriptors are busy
 * (type 0xb); after the JMP back, B's is available again (type 0x9).
 */
#include "rt.h"

#define TSS_B RT_GDT_FREE

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));

extern uint64_t rt_gdt[];
static struct tss32 tss_b __attribute__((aligned(16)));
static uint8_t stack_b[4096] __attribute__((aligned(16)));
static volatile uint32_t b_tr, b_flags, b_link, b_busy_a, b_busy_b;
static volatile int b_runs;

static unsigned type_of(uint16_t sel)
{
	return (unsigned)(rt_gdt[sel / 8] >> 40) & 0xf;
}

__attribute__((used)) static void task_b_body(void)
{
	uint16_t tr;
	uint32_t fl;
	__asm__ volatile("str %0" : "=r"(tr));
	__asm__ volatile("pushf; pop %0" : "=r"(fl));
	b_tr = tr;
	b_flags = fl;
	b_link = tss_b.link;
	b_busy_a = type_of(RT_TSS);
	b_busy_b = type_of(TSS_B);
	b_runs++;
}

/* Task B's code: body, IRET (task return after a CALL), body again when
 * resumed by a JMP, then a JMP back to task A. */
void task_b_entry(void);
__asm__(".text\n"
	"task_b_entry:\n"
	"	call task_b_body\n"
	"	iret\n"
	"	call task_b_body\n"
	"	ljmp $0x28, $0\n"
	"	ud2\n");

static int checks, failures;
static void check(const char *what, unsigned long got, unsigned long want)
{
	checks++;
	rt_printf("%-44s %lx %s\n", what, got, got == want ? "ok" : "WRONG");
	failures += got != want;
}

int main(void)
{
	uint64_t base = (uintptr_t)&tss_b, limit = sizeof(tss_b) - 1;

	tss_b.eip = (uintptr_t)task_b_entry;
	tss_b.eflags = 0x2;
	tss_b.esp = (uintptr_t)(stack_b + sizeof(stack_b));
	tss_b.cs = RT_KCODE;
	tss_b.ss = tss_b.ds = tss_b.es = tss_b.fs = tss_b.gs = RT_KDATA;
	tss_b.iomap_base = sizeof(tss_b);
	rt_gdt[TSS_B / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			    0x89ull << 40 | ((limit >> 16) & 0xf) << 48 |
			    ((base >> 24) & 0xff) << 56;

	rt_puts("task32: CALL to task B\n");
	uint32_t keep = 0x600df00d, ebx_out;
	__asm__ volatile("lcall $0x30, $0"
			 : "=b"(ebx_out)
			 : "0"(keep)
			 : "memory");
	check("B ran once", b_runs, 1);
	check("B: TR", b_tr, TSS_B);
	check("B: EFLAGS.NT after CALL", (b_flags >> 14) & 1, 1);
	check("B: back link", b_link, RT_TSS);
	check("B: A's TSS busy while B runs", b_busy_a, 0xb);
	check("B: B's TSS busy", b_busy_b, 0xb);
	check("A: EBX survived the round trip", ebx_out, keep);
	check("A: B's TSS available after IRET", type_of(TSS_B), 0x9);
	uint16_t tr;
	__asm__ volatile("str %0" : "=r"(tr));
	check("A: TR back to A", tr, RT_TSS);

	rt_puts("task32: JMP to task B\n");
	__asm__ volatile("ljmp $0x30, $0" ::: "memory");
	check("B resumed after its IRET", b_runs, 2);
	check("B: EFLAGS.NT after JMP", (b_flags >> 14) & 1, 0);
	check("B: A's TSS available during a JMP", b_busy_a, 0x9);
	check("A: B's TSS available after JMP back", type_of(TSS_B), 0x9);

	if (failures) {
		rt_printf("task32: %d of %d checks FAILED\n", failures, checks);
		return 3;
	}
	rt_printf("task32: all %d checks passed\n", checks);
	return 0;
}
