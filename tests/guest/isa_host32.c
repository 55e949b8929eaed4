// SPDX-License-Identifier: MIT
/*
 * Lets guests/isa.c run as a 32-bit Linux program without a 32-bit libc
 * (Debian's gcc has no multilib here): _start, exit and rt_putc through
 * INT 0x80 system calls; printf comes from the guest runtime itself.
 */
#include "rt.h"

uint32_t rt_mb_magic;
struct multiboot_info *rt_mbi;

void rt_putc(char c)
{
	int r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(4 /* write */), "b"(1), "c"(&c), "d"(1)
			 : "memory");
}

void _start(void);
void _start(void)
{
	int code = main();
	__asm__ volatile("int $0x80" : : "a"(1 /* exit */), "b"(code));
	for (;;)
		;
}
