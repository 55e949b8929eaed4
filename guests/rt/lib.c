// SPDX-License-Identifier: MIT
/* The few libc functions gcc may emit calls to, and small helpers. */
#include "rt.h"

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/*
 * "key=NUM" anywhere in the multiboot command line, as a separate word
 * (QEMU puts the kernel's file name first). Bounded to 4 KiB so a bad
 * pointer from the loader cannot run us off forever.
 */
unsigned long rt_cmdline_ulong(const char *key, unsigned long dflt)
{
	if (rt_mb_magic != MB_BOOT_MAGIC || !rt_mbi ||
	    !(rt_mbi->flags & MB_INFO_CMDLINE) || !rt_mbi->cmdline)
		return dflt;
	const char *c = (const char *)(uintptr_t)rt_mbi->cmdline;
	size_t kl = strlen(key);
	for (int i = 0; i < 4096 && c[i]; i++) {
		if ((i && c[i - 1] != ' ') || memcmp(c + i, key, kl) != 0 ||
		    c[i + kl] != '=')
			continue;
		const char *p = c + i + kl + 1;
		unsigned long v = 0, base = 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		}
		int any = 0;
		for (;; p++, any = 1) {
			unsigned d;
			if (*p >= '0' && *p <= '9')
				d = *p - '0';
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = *p - 'a' + 10;
			else if (base == 16 && *p >= 'A' && *p <= 'F')
				d = *p - 'A' + 10;
			else
				break;
			v = v * base + d;
		}
		return any ? v : dflt;
	}
	return dflt;
}
