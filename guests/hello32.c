// SPDX-License-Identifier: MIT
/* hello32: the 32-bit runtime works: serial out, clean halt. */
#include "rt.h"

int main(void)
{
	unsigned long cs, cr0;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	rt_printf("hello from 32-bit protected mode\n");
	rt_printf("multiboot magic %s, cs %lx, CR0.PE %lu CR0.PG %lu\n",
		  rt_mb_magic == MB_BOOT_MAGIC ? "ok" : "BAD", cs, cr0 & 1,
		  cr0 >> 31);
	return rt_mb_magic == MB_BOOT_MAGIC ? 0 : 2;
}
