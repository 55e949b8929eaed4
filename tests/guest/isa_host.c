// SPDX-License-Identifier: MIT
/*
 * Lets guest ISA checks (guests/isa.c, guests/isa64x.c) run as Linux
 * programs without a libc (Debian's gcc has no 32-bit multilib here):
 * _start, exit and rt_putc through system calls (INT 0x80 on i386,
 * SYSCALL on x86-64); printf comes from the guest runtime itself.
 */
#include "rt.h"

uint32_t rt_mb_magic;
struct multiboot_info *rt_mbi;

static long sys3(long nr, long a, long b, long c)
{
	long r;
#ifdef __x86_64__
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
#else
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
#endif
	return r;
}

#ifdef __x86_64__
#define NR_WRITE 1
#define NR_EXIT	 60
#else
#define NR_WRITE 4
#define NR_EXIT	 1
#endif

void rt_putc(char c)
{
	sys3(NR_WRITE, 1, (long)&c, 1);
}

void _start(void);
void _start(void)
{
	sys3(NR_EXIT, main(), 0, 0);
	for (;;)
		;
}
