// SPDX-License-Identifier: MIT
/*
 * serialin: the UART's receive side, polled: LSR.DR (bit 0) says a byte
 * waits in RBR. The guest reads lines from the console (kvmini: its
 * stdin; the test feeds guests/serialin.stdin) and answers each with its
 * length and its text upper-cased, until a line "quit". If no byte comes
 * within a bounded number of polls it says so and fails instead of
 * spinning forever.
 */
#include "rt.h"

#define LSR_DR 0x01

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int getc_polled(void)
{
	for (unsigned long i = 0; i < 2000000ul; i++)
		if (inb(RT_COM1 + 5) & LSR_DR)
			return inb(RT_COM1);
	return -1;
}

int main(void)
{
	char line[80];

	rt_puts("serialin: type lines, \"quit\" ends\n");
	for (int lines = 0; lines < 16; lines++) {
		int n = 0, c;
		while ((c = getc_polled()) >= 0 && c != '\n')
			if (c != '\r' && n < (int)sizeof(line) - 1)
				line[n++] = (char)c;
		if (c < 0)
			rt_fail(3, "serialin: no input (LSR.DR never set)");
		line[n] = 0;
		if (same(line, "quit"))
			break;
		for (int i = 0; i < n; i++)
			if (line[i] >= 'a' && line[i] <= 'z')
				line[i] -= 32;
		rt_printf("%d: %s\n", n, line);
	}
	rt_puts("serialin: bye\n");
	return 0;
}
