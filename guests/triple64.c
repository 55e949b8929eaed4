// SPDX-License-Identifier: MIT
/*
 * triple64: a guest that crashes. With an empty IDT (limit 0) UD2 raises
 * #UD, delivering it raises #GP, delivering that is a double fault, and
 * delivering #DF fails too: a triple fault,
 * the CPU shuts down. kvmini must end the run with status 128 (guest
 * crash) rather than hang or die; QEMU with -no-reboot exits 0 instead
 * (triple64.qemu.status).
 */
#include "rt.h"

int main(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = {0, 0};

	rt_puts("triple64: loading an empty IDT, then UD2\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	rt_puts("triple64: still running: WRONG\n");
	return 3;
}
