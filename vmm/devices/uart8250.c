// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "vmm/devices/uart8250.h"

/* Register offsets and bits, as the 16550A datasheet names them. */
enum {
	RBR_THR = 0,
	IER = 1,
	IIR_FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7
};
#define IER_ERBFI  0x01 /* receive data available */
#define IER_ETBEI  0x02 /* transmit holding register empty */
#define IER_ELSI   0x04 /* receiver line status */
#define IER_EDSSI  0x08 /* modem status */
#define IIR_NO_INT 0x01
#define IIR_MSI	   0x00
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_RLSI   0x06
#define IIR_FIFO   0xc0
#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02
#define LCR_DLAB   0x80
#define MCR_DTR	   0x01
#define MCR_RTS	   0x02
#define MCR_OUT1   0x04
#define MCR_OUT2   0x08
#define MCR_LOOP   0x10
#define LSR_DR	   0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define MSR_DELTAS 0x0f
#define MSR_CTS	   0x10
#define MSR_DSR	   0x20
#define MSR_RI	   0x40
#define MSR_DCD	   0x80

static uint8_t uart_iir(const struct uart8250 *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_ELSI) && u->lsr_err)
		return fifo | IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_ETBEI) && u->thri_pending)
		return fifo | IIR_THRI;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return fifo | IIR_MSI;
	return fifo | IIR_NO_INT;
}

static void uart_update_irq(struct uart8250 *u)
{
	/* OUT2 gates the interrupt line on a PC. */
	int level = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->irq_ctx, level);
	}
}

/* Modem status lines, loopback-aware; deltas accumulate until MSR is read. */
static void uart_update_msr(struct uart8250 *u)
{
	uint8_t lines, old = u->msr & 0xf0;

	if (u->mcr & MCR_LOOP) {
		lines = ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
			((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
			((u->mcr & MCR_OUT1) ? MSR_RI : 0) |
			((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
	} else {
		lines =
		    MSR_CTS | MSR_DSR | MSR_DCD; /* a terminal is attached */
	}
	if ((lines ^ old) & MSR_CTS)
		u->msr |= 0x01;
	if ((lines ^ old) & MSR_DSR)
		u->msr |= 0x02;
	if ((old & MSR_RI) && !(lines & MSR_RI))
		u->msr |= 0x04; /* trailing edge of RI */
	if ((lines ^ old) & MSR_DCD)
		u->msr |= 0x08;
	u->msr = (u->msr & MSR_DELTAS) | lines;
}

unsigned uart8250_receive(struct uart8250 *u, const uint8_t *buf, unsigned n)
{
	unsigned i;

	for (i = 0; i < n && u->rx_count < UART_RX_SIZE; i++) {
		u->rx[(u->rx_head + u->rx_count) % UART_RX_SIZE] = buf[i];
		u->rx_count++;
	}
	if (i < n)
		u->lsr_err |= 0x02; /* overrun */
	uart_update_irq(u);
	return i;
}

unsigned uart8250_rx_room(const struct uart8250 *u)
{
	return (u->mcr & MCR_LOOP) ? 0 : UART_RX_SIZE - u->rx_count;
}

static void uart_rx_space(struct uart8250 *u)
{
	if (u->rx_space && uart8250_rx_room(u))
		u->rx_space(u->rx_space_ctx);
}

/* Pull pending stdin bytes without blocking, when the guest looks. */
static void uart_poll_input(struct uart8250 *u)
{
	struct pollfd p = {.fd = u->in_fd, .events = POLLIN};
	uint8_t buf[UART_RX_SIZE];
	unsigned room = UART_RX_SIZE - u->rx_count;
	ssize_t n;

	if (u->in_fd < 0 || u->in_eof || u->rx_count || (u->mcr & MCR_LOOP))
		return;
	if (poll(&p, 1, 0) <= 0)
		return;
	n = read(u->in_fd, buf, room);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			u->in_eof = true;
		return;
	}
	uart8250_receive(u, buf, n);
}

/*
 * One byte to out_fd. A reader that stops reading (a stalled pipe, a
 * terminal that never drains) must not hold the vCPU forever: wait for
 * room in bounded slices and give up once the run is ending. The stop
 * kick (a signal without SA_RESTART) also breaks a write that blocked.
 */
static void uart_output(struct uart8250 *u, uint8_t c)
{
	struct pollfd p = {.fd = u->out_fd, .events = POLLOUT};

	for (;;) {
		int r = poll(&p, 1, 100);
		ssize_t n;

		if (r <= 0) {
			if (r < 0 && errno != EINTR)
				break;
			if (u->out_abort && u->out_abort(u->out_abort_ctx))
				return;
			continue;
		}
		if (p.revents & POLLNVAL)
			break;
		/* POLLOUT, or an error the write will name. */
		n = write(u->out_fd, &c, 1);
		if (n == 1)
			return;
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (u->out_abort && u->out_abort(u->out_abort_ctx))
				return;
			continue;
		}
		break;
	}
	/* The output is gone (EPIPE, EIO on a hung-up terminal): discard. */
	u->out_fd = -1;
}

static void uart_transmit(struct uart8250 *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		uart8250_receive(u, &c, 1);
	else if (u->out_fd >= 0)
		uart_output(u, c);
	/* Sent at once: the holding register is empty again. */
	u->thri_pending = true;
}

static uint8_t uart_read_reg(struct uart8250 *u, unsigned reg)
{
	uint8_t v = 0, iir;

	switch (reg) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		uart_poll_input(u);
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_SIZE;
			u->rx_count--;
			if (!u->rx_count)
				uart_rx_space(u);
		}
		break;
	case IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case IIR_FCR:
		iir = uart_iir(u);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if ((iir & 0x0f) == IIR_THRI)
			u->thri_pending = false;
		v = iir;
		break;
	case LCR:
		return u->lcr;
	case MCR:
		return u->mcr;
	case LSR:
		uart_poll_input(u);
		v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) |
		    u->lsr_err;
		u->lsr_err = 0;
		break;
	case MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		break;
	case SCR:
		return u->scr;
	}
	uart_update_irq(u);
	return v;
}

static void uart_write_reg(struct uart8250 *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			return;
		}
		/*
		 * Drop the line before the (instant) transmission raises
		 * THRI again, so an edge-triggered PIC sees a new edge.
		 */
		u->thri_pending = false;
		uart_update_irq(u);
		uart_transmit(u, v);
		break;
	case IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			return;
		}
		/* Enabling ETBEI with THR empty raises THRI (8250 behaviour).
		 */
		if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
			u->thri_pending = true;
		u->ier = v & 0x0f;
		break;
	case IIR_FCR:
		u->fcr = v & (FCR_ENABLE | 0xc0);
		if (v & FCR_CLR_RX) {
			u->rx_head = u->rx_count = 0;
			uart_rx_space(u);
		}
		break;
	case LCR:
		u->lcr = v;
		break;
	case MCR:
		u->mcr = v & 0x1f;
		uart_update_msr(u);
		uart_rx_space(u); /* leaving loopback reconnects the line */
		break;
	case LSR:
	case MSR:
		break; /* read-only on a real 16550A */
	case SCR:
		u->scr = v;
		break;
	}
	uart_update_irq(u);
}

/* Wider accesses touch consecutive registers, one byte each. */
static void uart_read(void *opaque, uint64_t off, uint8_t *data, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		data[i] = off + i < 8 ? uart_read_reg(opaque, off + i) : 0xff;
}

static void uart_write(void *opaque, uint64_t off, const uint8_t *data,
		       unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (off + i < 8)
			uart_write_reg(opaque, off + i, data[i]);
}

void uart8250_init(struct uart8250 *u, uint16_t base, int out_fd, int in_fd)
{
	memset(u, 0, sizeof(*u));
	u->dev = (struct io_device){.name = "uart8250",
				    .base = base,
				    .len = 8,
				    .opaque = u,
				    .read = uart_read,
				    .write = uart_write};
	u->out_fd = out_fd;
	u->in_fd = in_fd;
	u->dll = 0x0c; /* 9600 baud, the power-on divisor of a PC */
	u->lcr = 0x03;
	u->thri_pending = false;
	uart_update_msr(u);
	u->msr &= ~MSR_DELTAS;
}
