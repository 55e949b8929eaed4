// SPDX-License-Identifier: MIT
/*
 * bench-pio: a CPL3 loop of N one-byte port writes to an unclaimed port,
 * the guest side of bench/'s exit-cost benchmark: every OUT is a VM exit
 * handled by the monitor, nothing else is in the loop.
 * Command line: n=N (default 1000000), port=P (default 0x2e0, unclaimed in
 * kvmini and QEMU; 0x80 is avoided as it may become the delay port, 0x510
 * because QEMU's fw_cfg claims it), cpl=0 to run the loop in ring 0
 * instead (for hosts whose KVM cannot give ring 3 port access: kvm_pvm). Ends
 * by writing 0 to the exit port (status 1), as bench/ expects.
 */
#include "rt.h"

static uint8_t ustack[4096] __attribute__((aligned(16)));
static uint16_t port;

static uint64_t pio_loop(uint64_t n)
{
	uint64_t i;
	for (i = 0; i < n; i++)
		outb(port, (uint8_t)i);
	return i;
}

static void gp_handler(struct rt_frame *f)
{
	rt_fail(5, "unexpected #GP from cpl %lu, error %lx%s",
		(unsigned long)(f->cs & 3), (unsigned long)f->err,
		(f->cs & 3) == 3 ? " on port I/O at IOPL 3" : "");
}

int main(void)
{
	unsigned long n = rt_cmdline_ulong("n", 1000000);
	port = (uint16_t)rt_cmdline_ulong("port", 0x2e0);

	unsigned long cpl = rt_cmdline_ulong("cpl", 3) ? 3 : 0;

	rt_printf("bench-pio: %lu writes to port %x at cpl %lu\n", n, port,
		  cpl);
	rt_user_init();
	rt_set_handler(13, gp_handler);
	uint64_t done = cpl ? rt_user_call(pio_loop, n, ustack + sizeof(ustack),
					   RT_USER_INT80)
			    : pio_loop(n);
	rt_printf("bench-pio: done %lu\n", (unsigned long)done);
	outb(RT_EXIT_PORT, 0);
	rt_exit(1); /* not reached when the exit port is there */
}
