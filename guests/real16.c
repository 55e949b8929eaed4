// SPDX-License-Identifier: MIT
/*
 * real16: 16-bit real-mode semantics, from a multiboot guest (so QEMU
 * runs it with -kernel too): real16_blob.S drops to real mode, runs the
 * tests there and stores one 16-bit result each; this side compares them
 * with the architectural values. Covers default operand and address size
 * 16 with 0x66/0x67 prefixes, SS as the default segment of [BP+SI],
 * segment overrides, 16-bit SI wrap-around, PUSH SP (286+), shift/rotate
 * count masking on 16-bit operands, INT through the IVT, far calls
 * through memory, PUSHA/POPA, LES, IMUL overflow, 32/16 DIV, ENTER,
 * XCHG/CMPXCHG with memory, LOOP, REP MOVSW with DF=1, SAR, BSF.
 */
#include "rt.h"

uint16_t *real16_call(void);

static const struct {
	const char *name;
	uint16_t want;
} tests[] = {
    {"add 0xffff+1: FLAGS (CF ZF AF PF)", 0x0057},
    {"0x66 add: high half of 0xffff+1", 0x0001},
    {"[bp+si] uses SS", 0x5555},
    {"[bx+si] uses DS", 0xc0de},
    {"es: override", 0x5555},
    {"lodsb at SI=0xffff wraps SI to", 0x0000},
    {"push sp pushes the old SP (diff)", 0x0000},
    {"shl ax, 17 (count masked to 5 bits)", 0x0000},
    {"rcl ax, 17 is a no-op on 16 bits", 0x1234},
    {"int 0x41 through the IVT", 0x2001},
    {"far call through memory", 0xfa12},
    {"pusha/popa round trip", 0x3333},
    {"les loads ES", 0x0800},
    {"imul 16-bit overflow: CF|OF", 0x0801},
    {"div 0x10000/3: quotient", 0x5555},
    {"div 0x10000/3: remainder", 0x0001},
    {"0x67 addr32 load", 0xc0de},
    {"enter 6,0: frame bytes", 0x0008},
    {"xchg with memory: old value", 0x2468},
    {"cmpxchg with memory: stored", 0x1357},
    {"loop from 10: sum", 0x0037},
    {"rep movsw DF=1: first+last", 0x0505},
    {"sar 0x8000, 15", 0xffff},
    {"bsf 0x0400", 0x000a},
};

int main(void)
{
	int failures = 0, n = sizeof(tests) / sizeof(tests[0]);

	rt_puts("real16: entering real mode\n");
	volatile uint16_t *res = real16_call();
	rt_puts("real16: back in protected mode\n");
	for (int i = 0; i < n; i++) {
		int ok = res[i] == tests[i].want;
		rt_printf("%-40s %04x %s\n", tests[i].name, res[i],
			  ok ? "ok" : "WRONG");
		failures += !ok;
	}
	if (failures) {
		rt_printf("real16: %d of %d checks FAILED\n", failures, n);
		return 3;
	}
	rt_printf("real16: all %d checks passed\n", n);
	return 0;
}
