// SPDX-License-Identifier: MIT
/* hello64: the long-mode runtime works: serial out, clean halt. */
#include "rt.h"

int main(void)
{
	unsigned long cs, efer = rdmsr(0xc0000080);
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	rt_printf("hello from 64-bit long mode\n");
	rt_printf("multiboot magic %s, cs %lx, EFER.LMA %lu\n",
		  rt_mb_magic == MB_BOOT_MAGIC ? "ok" : "BAD", cs,
		  (efer >> 10) & 1);
	return rt_mb_magic == MB_BOOT_MAGIC ? 0 : 2;
}
