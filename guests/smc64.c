// SPDX-License-Identifier: MIT
/*
 * smc64: self-modifying and cross-modifying code. A CPU that caches
 * fetched or decoded instructions must notice stores to them:
 *   1. a generated "mov $imm, %eax; ret" in a data buffer, re-patched and
 *      called 100 times (each call must see its own immediate);
 *   2. code that patches the immediate of an instruction a few bytes
 *      ahead of itself in the same page, then branches to it (the SDM's
 *      recipe for self-modifying code);
 *   3. a patch stored through a second linear address (an alias of the
 *      buffer's page at VA 4 GiB), then CPUID (serializing, the SDM's
 *      recipe for cross-modifying code), then a call through the first.
 */
#include "rt.h"

#define WIN 0x100000000ull

static uint8_t buf[64] __attribute__((aligned(64)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static int checks, failures;

int patch_ahead(int v);
__asm__(".text\n"
	".globl patch_ahead\n"
	"patch_ahead:\n"
	"	movl %edi, 1f+1(%rip)\n" /* imm32 of the mov below */
	"	jmp 1f\n"
	"1:	movl $0, %eax\n"
	"	ret\n");

static void check(const char *what, unsigned long got, unsigned long want)
{
	checks++;
	rt_printf("%-44s %lu %s\n", what, got, got == want ? "ok" : "WRONG");
	failures += got != want;
}

static void emit(uint8_t *p, uint32_t imm)
{
	p[0] = 0xb8; /* mov $imm32, %eax */
	memcpy(p + 1, &imm, 4);
	p[5] = 0xc3; /* ret */
}

int main(void)
{
	uint32_t r[4];
	int (*fn)(void) = (int (*)(void))(uintptr_t)buf;

	rt_puts("smc64: generated code, re-patched\n");
	unsigned long sum = 0;
	for (uint32_t i = 0; i < 100; i++) {
		emit(buf, i * 3);
		sum += (unsigned)fn();
	}
	check("sum of 100 patched immediates", sum, 14850);

	rt_puts("smc64: patching the instruction ahead\n");
	sum = 0;
	for (int i = 1; i <= 10; i++)
		sum += (unsigned)patch_ahead(i * 1000);
	check("sum of 10 patched-ahead immediates", sum, 55000);

	rt_puts("smc64: cross-modifying through an alias\n");
	uint64_t pa = (uintptr_t)buf;
	pd[0] = (pa & ~0x1fffffull) | 0x83; /* 2 MiB page: P | RW | PS */
	rt_pdpt[4] = (uintptr_t)pd | 3;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::
			     : "rax", "memory");
	uint8_t *alias = (uint8_t *)(uintptr_t)(WIN + (pa & 0x1fffff));
	emit(buf, 1);
	check("before", (unsigned)fn(), 1);
	emit(alias, 77);
	cpuid(0, 0, r); /* serialize before executing the modified code */
	check("after a store through the alias", (unsigned)fn(), 77);

	if (failures) {
		rt_printf("smc64: %d of %d checks FAILED\n", failures, checks);
		return 3;
	}
	rt_printf("smc64: all %d checks passed\n", checks);
	return 0;
}
