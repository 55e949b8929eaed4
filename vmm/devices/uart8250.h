/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An 8250/16550A UART: the registers Linux's 8250 driver probes (scratch,
 * LCR/DLAB and the divisor latch, MCR loopback, FIFO detection through
 * FCR/IIR, LSR, MSR). Transmit is instantaneous: every THR write goes to
 * out_fd at once. Receive comes from in_fd (stdin when it is not a tty),
 * read without blocking when the guest looks for data.
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
	int in_fd;  /* -1: no input */
	bool in_eof;
	/* Interrupt line, for when an irqchip exists; may be NULL. */
	void (*set_irq)(void *ctx, int level);
	void *irq_ctx;
	int irq_level;
};

void uart8250_init(struct uart8250 *u, uint16_t base, int out_fd, int in_fd);
/* Queue bytes as if they arrived on the line (tests, future consoles). */
unsigned uart8250_receive(struct uart8250 *u, const uint8_t *buf, unsigned n);

#endif
