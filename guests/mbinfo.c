// SPDX-License-Identifier: MIT
/*
 * mbinfo: the multiboot v1 hand-off, as the loader contract states it.
 * Checks (printing only what every correct loader must agree on, not the
 * sizes, which follow --mem / -m): EAX magic; info flags announce memory
 * sizes, memory map and command line; mem_lower is the conventional
 * 640 KiB minus at most a few KiB of EBDA; mem_upper reaches >= 32 MiB;
 * the memory map is well formed (entry size >= 20, bounded count) and has
 * an available (type 1) range covering this image; the command line
 * carries "answer=42" (guests/mbinfo.args), wherever the loader puts it.
 */
#include "rt.h"

struct mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

extern char __bss_end[];
static int failures;

static void fact(const char *what, int ok)
{
	rt_printf("%-44s %s\n", what, ok ? "yes" : "NO");
	failures += !ok;
}

int main(void)
{
	struct multiboot_info *mb = rt_mbi;

	fact("EAX = 0x2BADB002", rt_mb_magic == MB_BOOT_MAGIC);
	if (rt_mb_magic != MB_BOOT_MAGIC || !mb)
		return 3;
	fact("flags: mem_lower/mem_upper valid", mb->flags & MB_INFO_MEM);
	fact("flags: memory map valid", mb->flags & MB_INFO_MMAP);
	fact("flags: command line valid", mb->flags & MB_INFO_CMDLINE);
	fact("mem_lower in 600..640 KiB",
	     mb->mem_lower >= 600 && mb->mem_lower <= 640);
	fact("mem_upper >= 32 MiB", mb->mem_upper >= 32 * 1024);

	int entries = 0, sane = 1, covers = 0;
	if (mb->flags & MB_INFO_MMAP) {
		uint32_t off = 0;
		while (off + 4 <= mb->mmap_length && entries < 128) {
			const struct mmap_entry *e =
			    (const void *)(uintptr_t)(mb->mmap_addr + off);
			if (e->size < 20) {
				sane = 0;
				break;
			}
			if (e->type == 1 && e->addr <= 0x100000 &&
			    e->addr + e->len >= (uintptr_t)__bss_end)
				covers = 1;
			entries++;
			off += e->size + 4;
		}
		if (entries == 0 || entries >= 128)
			sane = 0;
	}
	fact("memory map well formed", sane);
	fact("memory map: available range holds the image", covers);
	unsigned long answer = rt_cmdline_ulong("answer", 0);
	rt_printf("%-44s %lu\n", "command line answer=", answer);
	failures += answer != 42;

	if (failures)
		return 3;
	rt_puts("mbinfo: all checks passed\n");
	return 0;
}
