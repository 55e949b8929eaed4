/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An 8250/16550A UART: the registers Linux's 8250 driver probes (scratch,
 * LCR/DLAB and the divisor latch, MCR loopback, FIFO detection through
 * FCR/IIR, LSR, MSR). Transmit is instantaneous: every THR write goes to
 * out_fd at once (the vCPU waits while out_fd is full, until out_abort
 * says the run is ending). Receive: kvmini's console pushes bytes with
 * uart8250_receive() up to uart8250_rx_room() and is told through
 * rx_space when the guest made room. Standalone users (unit tests) may
 * instead give an in_fd, read without blocking when the guest looks.
 */
#ifndef KVMINI_VMM_DEVICES_UART8250_H
#define KVMINI_VMM_DEVICES_UART8250_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/iobus.h"

#define UART_COM1_BASE 0x3f8
#define UART_RX_SIZE   256

struct uart8250 {
	struct io_device dev;
	uint8_t ier, lcr, mcr, lsr_err, msr, scr, fcr, dll, dlm;
	bool thri_pending; /* THR-empty interrupt waiting to be seen in IIR */
	uint8_t rx[UART_RX_SIZE];
	unsigned rx_head, rx_count;
	int out_fd; /* -1: discard output */
	int in_fd;  /* -1: no input (or the console pushes it) */
	bool in_eof;
	/* Called (device lock held) when the receive FIFO has room again. */
	void (*rx_space)(void *ctx);
	void *rx_space_ctx;
	/* True when a blocked write to out_fd should give up (run ending). */
	bool (*out_abort)(void *ctx);
	void *out_abort_ctx;
	/* Interrupt line, for when an irqchip exists; may be NULL. */
	void (*set_irq)(void *ctx, int level);
	void *irq_ctx;
	int irq_level;
};

void uart8250_init(struct uart8250 *u, uint16_t base, int out_fd, int in_fd);
/* Queue bytes as if they arrived on the line (tests, future consoles). */
unsigned uart8250_receive(struct uart8250 *u, const uint8_t *buf, unsigned n);
/* Bytes the receive FIFO takes now (0 in loopback: the line is cut). */
unsigned uart8250_rx_room(const struct uart8250 *u);

#endif
