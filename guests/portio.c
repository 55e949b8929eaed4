// SPDX-License-Identifier: MIT
/*
 * portio: what a guest sees where nothing is attached (kvmini's contract):
 * IN from an unclaimed port reads all-ones at every width (also through
 * string I/O), OUT to it is ignored, and MMIO to unassigned guest-physical
 * space (0xd0000000, identity-mapped by the runtime) reads all-ones and
 * drops writes. Every value read is printed, then checked.
 *
 * Ports 0x2e0-0x2e7 are unclaimed in kvmini and in QEMU's pc machine.
 */
#include "rt.h"

#define PORT	  0x2e0
#define MMIO_BASE 0xd0000000ul

static int failures;

static void check(const char *what, unsigned long long got,
		  unsigned long long want)
{
	rt_printf("%s: %llx%s\n", what, got, got == want ? "" : "  <-- WRONG");
	if (got != want)
		failures++;
}

int main(void)
{
	uint8_t buf[16];

	rt_puts("portio: unclaimed ports\n");
	check("inb  0x2e0", inb(PORT), 0xff);
	check("inw  0x2e2", inw(PORT + 2), 0xffff);
	check("inl  0x2e4", inl(PORT + 4), 0xffffffff);
	outb(PORT, 0x12);
	outw(PORT + 2, 0x3456);
	outl(PORT + 4, 0x789abcde);
	check("inb  after outb", inb(PORT), 0xff);
	check("inl  after outl", inl(PORT + 4), 0xffffffff);

	/* string I/O: REP INS fills memory from the port, REP OUTS drains */
	memset(buf, 0x5a, sizeof(buf));
	void *d = buf;
	unsigned long n = 4;
	__asm__ volatile("rep insb" : "+D"(d), "+c"(n) : "d"(PORT) : "memory");
	n = 2;
	__asm__ volatile("rep insw" : "+D"(d), "+c"(n) : "d"(PORT) : "memory");
	n = 1;
	__asm__ volatile("rep insl" : "+D"(d), "+c"(n) : "d"(PORT) : "memory");
	uint64_t lo, hi;
	memcpy(&lo, buf, 8);
	memcpy(&hi, buf + 8, 8);
	check("rep ins bytes 0-7", lo, 0xffffffffffffffffull);
	check("rep ins bytes 8-15", hi, 0x5a5a5a5affffffffull);
	const void *s = buf;
	n = 16;
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(PORT) : "memory");
	check("rep outs done, rcx", n, 0);

	rt_puts("portio: unassigned MMIO at 0xd0000000\n");
	volatile uint8_t *m8 = (volatile uint8_t *)MMIO_BASE;
	volatile uint16_t *m16 = (volatile uint16_t *)(MMIO_BASE + 0x10);
	volatile uint32_t *m32 = (volatile uint32_t *)(MMIO_BASE + 0x20);
	volatile uint64_t *m64 = (volatile uint64_t *)(MMIO_BASE + 0x30);
	check("read8", *m8, 0xff);
	check("read16", *m16, 0xffff);
	check("read32", *m32, 0xffffffff);
	check("read64", *m64, 0xffffffffffffffffull);
	*m8 = 0x11;
	*m16 = 0x2222;
	*m32 = 0x33333333;
	*m64 = 0x4444444444444444ull;
	check("read8 after write", *m8, 0xff);
	check("read32 after write", *m32, 0xffffffff);
	check("read64 after write", *m64, 0xffffffffffffffffull);

	if (failures) {
		rt_printf("portio: %d checks FAILED\n", failures);
		return 3;
	}
	rt_puts("portio: all checks passed\n");
	return 0;
}
