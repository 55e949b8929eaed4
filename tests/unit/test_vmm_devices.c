// SPDX-License-Identifier: GPL-2.0
/* The monitor's I/O bus, 8250 UART, exit port and value parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/devices/debug_exit.h"
#include "vmm/devices/uart8250.h"
#include "vmm/iobus.h"
#include "vmm/parse.h"

/* ---- I/O bus ------------------------------------------------------- */

struct probe {
	uint64_t last_off;
	unsigned last_size;
	uint64_t last_val;
	int reads, writes;
};

static void probe_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	struct probe *p = o;

	p->reads++;
	p->last_off = off;
	p->last_size = size;
	io_le_put(d, size, 0x1122334455667788ULL);
}

static void probe_write(void *o, uint64_t off, const uint8_t *d, unsigned size)
{
	struct probe *p = o;

	p->writes++;
	p->last_off = off;
	p->last_size = size;
	p->last_val = io_le_get(d, size);
}

static void test_iobus_dispatch_and_unclaimed(void **state)
{
	struct io_bus bus;
	struct probe pr = {0};
	struct io_device d = {.name = "probe",
			      .base = 0x100,
			      .len = 8,
			      .opaque = &pr,
			      .read = probe_read,
			      .write = probe_write};
	struct io_device d2 = d;
	uint8_t buf[8];

	iobus_init(&bus, "pio");
	assert_int_equal(iobus_register(&bus, &d), 0);
	d2.base = 0x107;
	assert_int_equal(iobus_register(&bus, &d2), -EBUSY);
	d2.base = 0xfa;
	assert_int_equal(iobus_register(&bus, &d2), -EBUSY);
	d2.len = 0;
	assert_int_equal(iobus_register(&bus, &d2), -EINVAL);

	assert_true(iobus_read(&bus, 0x104, buf, 4));
	assert_int_equal(pr.last_off, 4);
	assert_int_equal(pr.last_size, 4);
	assert_int_equal(io_le_get(buf, 4), 0x55667788);
	io_le_put(buf, 2, 0xbeef);
	assert_true(iobus_write(&bus, 0x106, buf, 2));
	assert_int_equal(pr.last_val, 0xbeef);

	/* Unclaimed: all ones of the access size, writes dropped. */
	for (unsigned size = 1; size <= 8; size *= 2) {
		memset(buf, 0, sizeof(buf));
		assert_false(iobus_read(&bus, 0x200, buf, size));
		assert_int_equal(io_le_get(buf, size),
				 size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
	}
	/* An access straddling the end of a device is not the device's. */
	pr.reads = 0;
	assert_false(iobus_read(&bus, 0x106, buf, 4));
	assert_int_equal(pr.reads, 0);
	/* Bad sizes are refused outright. */
	assert_false(iobus_read(&bus, 0x100, buf, 0));
	assert_false(iobus_write(&bus, 0x100, buf, 9));
	iobus_destroy(&bus);
}

static void test_iobus_full(void **state)
{
	struct io_bus bus;
	struct io_device d[IOBUS_MAX_DEVICES + 1];

	iobus_init(&bus, "mmio");
	for (int i = 0; i <= IOBUS_MAX_DEVICES; i++) {
		d[i] =
		    (struct io_device){.name = "x", .base = i * 16, .len = 16};
		assert_int_equal(iobus_register(&bus, &d[i]),
				 i < IOBUS_MAX_DEVICES ? 0 : -ENOSPC);
	}
	iobus_destroy(&bus);
}

/* ---- 8250 UART ----------------------------------------------------- */

static uint8_t rd(struct uart8250 *u, unsigned reg)
{
	uint8_t v;

	u->dev.read(u, reg, &v, 1);
	return v;
}

static void wr(struct uart8250 *u, unsigned reg, uint8_t v)
{
	u->dev.write(u, reg, &v, 1);
}

static void test_uart_probe_registers(void **state)
{
	struct uart8250 u;

	uart8250_init(&u, UART_COM1_BASE, -1, -1);
	/* Scratch register. */
	wr(&u, 7, 0xa5);
	assert_int_equal(rd(&u, 7), 0xa5);
	/* DLAB: offsets 0/1 become the divisor latch. */
	wr(&u, 3, 0x83);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x02);
	assert_int_equal(rd(&u, 0), 0x01);
	assert_int_equal(rd(&u, 1), 0x02);
	assert_int_equal(rd(&u, 3), 0x83);
	wr(&u, 3, 0x03);
	assert_int_equal(rd(&u, 1), 0); /* IER again */
	/* LSR: transmitter idle, no data. */
	assert_int_equal(rd(&u, 5), 0x60);
	/* No FIFO yet: IIR = no interrupt; with FIFO: 16550A's 0xc0. */
	assert_int_equal(rd(&u, 2), 0x01);
	wr(&u, 2, 0x01);
	assert_int_equal(rd(&u, 2) & 0xc0, 0xc0);
	wr(&u, 2, 0x00);
	/* Modem status in loopback follows MCR (Linux's 8250 probe). */
	wr(&u, 4, 0x10);
	assert_int_equal(rd(&u, 6) & 0xf0, 0x00);
	wr(&u, 4, 0x1f);
	assert_int_equal(rd(&u, 6) & 0xf0, 0xf0);
	wr(&u, 4, 0x00);
	assert_int_equal(rd(&u, 6) & 0xf0, 0xb0); /* DCD DSR CTS */
	/* Reading MSR cleared the deltas. */
	assert_int_equal(rd(&u, 6) & 0x0f, 0);
}

static void test_uart_loopback_and_thri(void **state)
{
	struct uart8250 u;

	uart8250_init(&u, UART_COM1_BASE, -1, -1);
	wr(&u, 4, 0x10); /* loopback */
	wr(&u, 0, 'x');
	assert_int_equal(rd(&u, 5) & 0x01, 0x01);
	assert_int_equal(rd(&u, 0), 'x');
	assert_int_equal(rd(&u, 5) & 0x01, 0);
	/* Enabling ETBEI with THR empty raises THRI; reading IIR clears it. */
	wr(&u, 1, 0x02);
	assert_int_equal(rd(&u, 2) & 0x0f, 0x02);
	assert_int_equal(rd(&u, 2) & 0x0f, 0x01);
	/* Receive data outranks THRI. */
	wr(&u, 1, 0x03);
	wr(&u, 0, 'y');
	assert_int_equal(rd(&u, 2) & 0x0f, 0x04);
	assert_int_equal(rd(&u, 0), 'y');
	/* Received bytes beyond the buffer are an overrun, not a crash. */
	uint8_t junk[UART_RX_SIZE + 10];
	memset(junk, 'z', sizeof(junk));
	assert_int_equal(uart8250_receive(&u, junk, sizeof(junk)),
			 UART_RX_SIZE);
	assert_int_equal(rd(&u, 5) & 0x03, 0x03); /* DR | OE */
	assert_int_equal(rd(&u, 5) & 0x02, 0);	  /* OE clears on read */
}

static void test_uart_output_and_input(void **state)
{
	struct uart8250 u;
	int out[2], in[2];
	char buf[8] = {0};
	uint8_t w[2] = {'h', 'i'};

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(in), 0);
	uart8250_init(&u, UART_COM1_BASE, out[1], in[0]);
	/* A 16-bit write touches THR then IER, byte by byte. */
	u.dev.write(&u, 0, w, 1);
	u.dev.write(&u, 0, w + 1, 1);
	assert_int_equal(read(out[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	assert_int_equal(rd(&u, 5) & 1, 0);
	assert_int_equal(write(in[1], "k", 1), 1);
	assert_int_equal(rd(&u, 5) & 1, 1);
	assert_int_equal(rd(&u, 0), 'k');
	close(in[1]);
	assert_int_equal(rd(&u, 5) & 1, 0); /* EOF: no more data, no hang */
	assert_true(u.in_eof);
	close(in[0]);
	close(out[0]);
	close(out[1]);
}

static void count_edges(void *ctx, int level)
{
	int *rising = ctx;

	if (level)
		(*rising)++;
}

/* Every transmitted byte must give an edge-triggered PIC a new edge. */
static void test_uart_irq_edges(void **state)
{
	struct uart8250 u;
	int rising = 0;

	uart8250_init(&u, UART_COM1_BASE, -1, -1);
	u.set_irq = count_edges;
	u.irq_ctx = &rising;
	wr(&u, 4, 0x08); /* OUT2: the line reaches the PIC */
	wr(&u, 1, 0x02); /* ETBEI: THRI at once */
	assert_int_equal(rising, 1);
	wr(&u, 0, 'a');
	wr(&u, 0, 'b');
	assert_int_equal(rising, 3);
	assert_int_equal(rd(&u, 2) & 0x0f, 0x02);
	assert_int_equal(u.irq_level, 0); /* IIR read acknowledged it */
	wr(&u, 4, 0x00); /* OUT2 off: no interrupts reach the PIC */
	wr(&u, 0, 'c');
	assert_int_equal(rising, 3);
}

/* ---- exit port ----------------------------------------------------- */

struct exit_req {
	int status;
	uint64_t value;
	int calls;
};

static void on_exit_req(void *ctx, int status, uint64_t value)
{
	struct exit_req *e = ctx;

	e->status = status;
	e->value = value;
	e->calls++;
}

static void test_debug_exit(void **state)
{
	struct debug_exit d;
	struct exit_req e = {0};
	uint8_t buf[8];
	struct io_bus bus;

	debug_exit_init(&d, DEBUG_EXIT_PORT, on_exit_req, &e);
	iobus_init(&bus, "pio");
	assert_int_equal(iobus_register(&bus, &d.dev), 0);
	io_le_put(buf, 1, 5);
	assert_true(iobus_write(&bus, 0xf4, buf, 1));
	assert_int_equal(e.status, 11);
	io_le_put(buf, 4, 0x12345678);
	assert_true(iobus_write(&bus, 0xf4, buf, 4));
	assert_int_equal(e.value, 0x12345678);
	assert_int_equal(e.status, (0x12345678 * 2 + 1) & 0xff);
	assert_true(iobus_read(&bus, 0xf4, buf, 2));
	assert_int_equal(io_le_get(buf, 2), 0xffff);
	assert_int_equal(e.calls, 2);
	assert_int_equal(debug_exit_status(0), 1);
	assert_int_equal(debug_exit_status(0x7f), 255);
	assert_int_equal(debug_exit_status(0x80), 1);
	iobus_destroy(&bus);
}

/* ---- parsing ------------------------------------------------------- */

static void test_parse(void **state)
{
	uint64_t v;

	assert_int_equal(vmm_parse_size("64M", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(vmm_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(vmm_parse_size("512k", &v), 0);
	assert_int_equal(v, 512ULL << 10);
	assert_int_equal(vmm_parse_size("1MiB", &v), 0);
	assert_int_equal(v, 1ULL << 20);
	assert_int_equal(vmm_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vmm_parse_size("", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("-1M", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("1T", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("1Mx", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(vmm_parse_size("17179869184G", &v), -ERANGE);
	assert_int_equal(vmm_parse_u64("0x7c00", &v), 0);
	assert_int_equal(v, 0x7c00);
	assert_int_equal(vmm_parse_u64("12ab", &v), -EINVAL);
	assert_int_equal(vmm_parse_u64(" 1", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iobus_dispatch_and_unclaimed),
	    cmocka_unit_test(test_iobus_full),
	    cmocka_unit_test(test_uart_probe_registers),
	    cmocka_unit_test(test_uart_loopback_and_thri),
	    cmocka_unit_test(test_uart_output_and_input),
	    cmocka_unit_test(test_uart_irq_edges),
	    cmocka_unit_test(test_debug_exit),
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests_name("vmm_devices", tests, NULL, NULL);
}
