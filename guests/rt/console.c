// SPDX-License-Identifier: MIT
/* Polled 8250 output and a printf-lite on top of it. */
#include "rt.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20

#ifndef RT_HOST_PUTC /* host builds of shared guest code bring their own */
void rt_putc(char c)
{
	/* Bounded wait: a missing UART reads 0xff (THRE set) so this ends. */
	for (int i = 0; i < 100000; i++)
		if (inb(RT_COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(RT_COM1 + UART_THR, (uint8_t)c);
}
#endif

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

static void put_num(unsigned long long v, unsigned base, int width, char pad,
		    int neg)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d;
		if (base == 16) {
			d = v & 15;
			v >>= 4;
		} else {
			/* base 10 only reaches here with a native-width v */
			unsigned long w = (unsigned long)v;
			d = w % 10;
			v = w / 10;
		}
		buf[n++] = "0123456789abcdef"[d];
	} while (v && n < (int)sizeof(buf));
	if (neg)
		buf[n++] = '-';
	for (; width > n; width--)
		rt_putc(pad);
	while (n)
		rt_putc(buf[--n]);
}

void rt_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			rt_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0, left = 0;
		if (*fmt == '-') {
			left = 1;
			fmt++;
		} else if (*fmt == '0') {
			pad = '0';
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		unsigned long long u;
		long long s;
		switch (*fmt) {
		case 'd':
			s = lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(s < 0 ? -(unsigned long long)s
				      : (unsigned long long)s,
				10, width, pad, s < 0);
			break;
		case 'u':
		case 'x':
			if (lng >= 2)
				u = va_arg(ap, unsigned long long);
			else if (lng)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			put_num(u, *fmt == 'x' ? 16 : 10, width, pad, 0);
			break;
		case 'p':
			rt_puts("0x");
			put_num((uintptr_t)va_arg(ap, void *), 16, width, pad,
				0);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int len = (int)strlen(str);
			for (; !left && width > len; width--)
				rt_putc(' ');
			rt_puts(str);
			for (; left && width > len; width--)
				rt_putc(' ');
			break;
		}
		case 'c':
			rt_putc((char)va_arg(ap, int));
			break;
		case '%':
			rt_putc('%');
			break;
		default:
			rt_putc('%');
			if (!*fmt)
				return;
			rt_putc(*fmt);
		}
	}
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}
