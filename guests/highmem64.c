// SPDX-License-Identifier: MIT
/*
 * highmem64: RAM above 4 GiB (run with --mem 5G, highmem64.opts). The
 * monitor's layout puts [0, 3 GiB) below the MMIO hole and the rest at
 * 4 GiB; the multiboot memory map must say so, and the memory must be
 * there: patterns written at 4 GiB, 5 GiB and the last qword below 6 GiB
 * read back, while the first qword above RAM (6 GiB) and the hole at
 * 3 GiB read all-ones. The page tables are extended to 8 GiB with 2 MiB
 * pages (PDPT[4..7]). QEMU (-m 5G, highmem64.qemu-mem) reads 0 outside RAM
 * (highmem64.qemu.*).
 */
#include "rt.h"

struct mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static uint64_t pd_hi[4][512] __attribute__((aligned(4096)));
static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
	rt_printf("%-44s %llx%s\n", what, (unsigned long long)got,
		  got == want ? "" : "  <-- WRONG");
	failures += got != want;
}

int main(void)
{
	uint64_t above4g = 0, above4g_start = 0;

	if (!(rt_mbi->flags & MB_INFO_MMAP))
		rt_fail(3, "no memory map");
	for (uint32_t off = 0; off + 24 <= rt_mbi->mmap_length;) {
		const struct mmap_entry *e =
		    (const void *)(uintptr_t)(rt_mbi->mmap_addr + off);
		if (e->type == 1 && e->addr >= (4ull << 30)) {
			above4g += e->len;
			if (!above4g_start || e->addr < above4g_start)
				above4g_start = e->addr;
		}
		if (e->size < 20)
			break;
		off += e->size + 4;
	}
	rt_puts("highmem64: memory map\n");
	check("available RAM starting at 4 GiB", above4g_start, 4ull << 30);
	check("available RAM above 4 GiB (GiB)", above4g >> 30, 2);

	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 512; j++)
			pd_hi[i][j] = ((uint64_t)(4 + i) << 30) |
				      ((uint64_t)j << 21) | 0x83;
		rt_pdpt[4 + i] = (uintptr_t)pd_hi[i] | 3;
	}
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::
			     : "rax", "memory");

	rt_puts("highmem64: RAM above 4 GiB\n");
	volatile uint64_t *at4 = (volatile uint64_t *)(4ull << 30);
	volatile uint64_t *at5 = (volatile uint64_t *)(5ull << 30);
	volatile uint64_t *last = (volatile uint64_t *)((6ull << 30) - 8);
	*at4 = 0x4444444444444444ull;
	*at5 = 0x5555555555555555ull;
	*last = 0x6666666666666666ull;
	check("qword at 4 GiB", *at4, 0x4444444444444444ull);
	check("qword at 5 GiB", *at5, 0x5555555555555555ull);
	check("last qword below 6 GiB", *last, 0x6666666666666666ull);
	check("identity below 4 GiB unaffected",
	      *(volatile uint64_t *)0x100000 != *at4, 1);
	rt_puts("highmem64: outside RAM\n");
	check("qword at 6 GiB (past RAM)", *(volatile uint64_t *)(6ull << 30),
	      ~0ull);
	check("qword at 3 GiB (MMIO hole)", *(volatile uint64_t *)(3ull << 30),
	      ~0ull);

	if (failures) {
		rt_printf("highmem64: %d checks FAILED\n", failures);
		return 3;
	}
	rt_puts("highmem64: all checks passed\n");
	return 0;
}
