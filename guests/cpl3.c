// SPDX-License-Identifier: MIT
/*
 * cpl3 (64-bit) / cpl3_32: ring 3 and back. The runtime's TSS supplies
 * the ring-0 stack; rt_user_call IRETs to ring 3 with IOPL=3 (so the
 * ring-3 code prints through the UART itself), and the ring-3 code returns
 * to ring 0 by INT 0x80 in one run and by SYSCALL (64-bit) or SYSENTER
 * (32-bit) in the other. A third run executes HLT at CPL3, which must
 * raise #GP(0) from ring 3 (stack switch through the TSS); the
 * handler steps over it and IRETs back to ring 3. The last run prints
 * from ring 3 through the UART (IN/OUT allowed by IOPL 3).
 */
#include "rt.h"

#ifdef __x86_64__
#define FAST "SYSCALL"
#else
#define FAST "SYSENTER"
#endif
typedef unsigned long ul;

static uint8_t ustack[8192] __attribute__((aligned(16)));

static ul checksum(ul n)
{
	ul s = 0x12345678;
	for (ul i = 0; i < n; i++)
		s = (s * 31 + i) ^ (s >> 7);
	return s;
}

static unsigned cpl(void)
{
	unsigned long cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static volatile unsigned user_cpl = 99;

static ul user_work(ul n)
{
	user_cpl = cpl();
	return checksum(n);
}

static ul user_print(ul n)
{
	rt_printf("ring 3: cpl %u, printing through the UART at IOPL 3\n",
		  cpl());
	return n + 1;
}

static volatile unsigned gp_count;
static volatile int expect_gp;
static void gp_handler(struct rt_frame *f)
{
	const uint8_t *insn = (const uint8_t *)(uintptr_t)f->ip;
	if (!expect_gp) {
		/* a ring-3 IN/OUT at IOPL 3 must not fault: say so and stop
		 * instead of looping (some hosts' KVM cannot honour IOPL) */
		int io =
		    (f->cs & 3) == 3 && ((*insn >= 0xe4 && *insn <= 0xe7) ||
					 (*insn >= 0xec && *insn <= 0xef));
		rt_fail(5, "unexpected #GP from cpl %lu, error %lx%s",
			(unsigned long)(f->cs & 3), (unsigned long)f->err,
			io ? " on port I/O at IOPL 3" : "");
	}
	rt_printf("#GP from cpl %lu, error %lx, insn byte %x\n",
		  (unsigned long)(f->cs & 3), (unsigned long)f->err, *insn);
	gp_count++;
	f->ip += 1; /* HLT is one byte */
}

static ul user_hlt(ul arg)
{
	__asm__ volatile("hlt");
	return arg + gp_count;
}

int main(void)
{
	const ul n = 1000;
	ul want = checksum(n);

	rt_user_init();
	rt_set_handler(13, gp_handler);
	void *top = ustack + sizeof(ustack);

	rt_printf("ring 0: cpl %u, checksum(%lu) = %lx\n", cpl(),
		  (unsigned long)n, (unsigned long)want);
	ul a = rt_user_call(user_work, n, top, RT_USER_INT80);
	rt_printf("ring 0 after INT 0x80: cpl %u, result %lx, ring 3 ran at "
		  "cpl %u\n",
		  cpl(), (unsigned long)a, user_cpl);
	int ok = user_cpl == 3;
	user_cpl = 99;
	ul b = rt_user_call(user_work, n, top, RT_USER_SYSCALL);
	rt_printf("ring 0 after " FAST ": cpl %u, result %lx, ring 3 ran at "
		  "cpl %u\n",
		  cpl(), (unsigned long)b, user_cpl);
	ok &= user_cpl == 3;
	expect_gp = 1;
	ul c = rt_user_call(user_hlt, 40, top, RT_USER_INT80);
	expect_gp = 0;
	rt_printf("ring 0 after HLT at ring 3: result %lu\n", (unsigned long)c);
	ul d = rt_user_call(user_print, 6, top, RT_USER_SYSCALL);
	rt_printf("ring 0 after ring-3 port I/O: result %lu\n",
		  (unsigned long)d);
	if (!ok || a != want || b != want || c != 41 || d != 7 || cpl() != 0)
		rt_fail(3, GUEST_NAME ": results differ from ring 0's");
	rt_puts(GUEST_NAME ": all checks passed\n");
	return 0;
}
