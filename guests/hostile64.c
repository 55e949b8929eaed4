// SPDX-License-Identifier: MIT
/*
 * hostile64: guest behaviour a monitor must survive and answer by its
 * contract (unclaimed ports and MMIO read all-ones, writes are dropped):
 *   - REP INSB of 64 KiB and REP OUTSW (DF=1) of 32 KiB on an unclaimed
 *     port (big string-I/O exits);
 *   - an 8-byte access straddling the end of RAM (from the multiboot map):
 *     the RAM half reads RAM, the unassigned half all-ones; a straddling
 *     write changes only the RAM half;
 *   - MMIO reads at the top of the 32-bit space below the LAPIC
 *     (0xfebffff8) and a read crossing a 4 KiB page inside the MMIO hole;
 *   - a 2-byte write to the exit port: status (0x105 * 2 + 1) & 0xff = 11.
 * Not run under QEMU (hostile64.qemu-skip): its unassigned memory reads 0
 * and its memory map ends RAM below the BIOS's ACPI tables.
 */
#include "rt.h"

struct mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static uint8_t big[65536] __attribute__((aligned(4096)));
static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
	rt_printf("%-44s %llx%s\n", what, (unsigned long long)got,
		  got == want ? "" : "  <-- WRONG");
	failures += got != want;
}

/* end of the available range that holds 1 MiB */
static uint64_t ram_end(void)
{
	if (!(rt_mbi->flags & MB_INFO_MMAP))
		return 0;
	for (uint32_t off = 0; off + 24 <= rt_mbi->mmap_length;) {
		const struct mmap_entry *e =
		    (const void *)(uintptr_t)(rt_mbi->mmap_addr + off);
		if (e->type == 1 && e->addr <= 0x100000 &&
		    e->addr + e->len > 0x100000)
			return e->addr + e->len;
		if (e->size < 20)
			break;
		off += e->size + 4;
	}
	return 0;
}

int main(void)
{
	rt_puts("hostile64: big string I/O\n");
	memset(big, 0x5a, sizeof(big));
	void *d = big;
	unsigned long n = sizeof(big);
	__asm__ volatile("cld; rep insb"
			 : "+D"(d), "+c"(n)
			 : "d"(0x2e0)
			 : "memory");
	uint64_t all = ~0ull;
	for (size_t i = 0; i < sizeof(big); i += 8)
		all &= *(uint64_t *)(big + i);
	check("64 KiB REP INSB: AND of all bytes", all, ~0ull);
	check("64 KiB REP INSB: rcx", n, 0);
	const void *s = big + sizeof(big) - 2;
	n = sizeof(big) / 2;
	__asm__ volatile("std; rep outsw; cld"
			 : "+S"(s), "+c"(n)
			 : "d"(0x2e0)
			 : "memory");
	check("32 Ki REP OUTSW DF=1: rsi moved back",
	      (uintptr_t)big - 2 - (uintptr_t)s, 0);

	rt_puts("hostile64: access straddling the end of RAM\n");
	uint64_t end = ram_end();
	check("RAM end found in the memory map", end != 0, 1);
	if (end && end < (3ull << 30)) {
		volatile uint32_t *last =
		    (volatile uint32_t *)(uintptr_t)(end - 4);
		*last = 0x11223344;
		volatile uint64_t *st =
		    (volatile uint64_t *)(uintptr_t)(end - 4);
		check("8-byte read across the end", *st, 0xffffffff11223344ull);
		*st = 0xaabbccdd55667788ull;
		check("after an 8-byte write across it, RAM half", *last,
		      0x55667788);
		check("and the read again", *st, 0xffffffff55667788ull);
	}

	rt_puts("hostile64: MMIO hole\n");
	check("read64 at 0xfebffff8", *(volatile uint64_t *)0xfebffff8ul,
	      ~0ull);
	check("read64 across a page at 0xd0000ffc",
	      *(volatile uint64_t *)0xd0000ffcul, ~0ull);

	if (failures) {
		rt_printf("hostile64: %d checks FAILED\n", failures);
		return 3;
	}
	rt_puts("hostile64: all checks passed, exiting with a 2-byte write\n");
	outw(RT_EXIT_PORT, 0x105);
	return 4; /* not reached */
}
