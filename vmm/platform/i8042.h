/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i8042 keyboard controller at ports 0x60 (data) and 0x64 (status /
 * command), with no keyboard and no mouse plugged in. Enough for:
 *   - reset: command 0xfe (or any 0xf0-0xfe pulse that includes output
 *     line 0, or 0xd1 writing bit 0 clear) calls request_reset;
 *   - Linux's i8042 probe: self-test (0xaa -> 0x55), interface tests
 *     (0xab, 0xa9 -> 0), the command byte (0x20/0x60), port enable/disable
 *     (0xa7/0xa8/0xad/0xae), AUX loopback (0xd3) and the 0xd2 echo;
 *   - "no device": every byte sent to the keyboard (0x60) or the mouse
 *     (0xd4 + byte) is answered at once with 0xfe and the timeout bit, so
 *     atkbd/psmouse give up without waiting.
 * Interrupts: IRQ 1 (keyboard data) and IRQ 12 (AUX data) while the output
 * buffer is full and the command byte enables them, via set_irq if given.
 */
#ifndef KVMINI_VMM_PLATFORM_I8042_H
#define KVMINI_VMM_PLATFORM_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/iobus.h"

#define I8042_DATA_PORT	  0x60
#define I8042_STATUS_PORT 0x64
#define I8042_KBD_IRQ	  1
#define I8042_AUX_IRQ	  12

/* Status register. */
#define I8042_STR_OBF	  0x01
#define I8042_STR_IBF	  0x02
#define I8042_STR_SYS	  0x04
#define I8042_STR_CMD	  0x08
#define I8042_STR_UNLOCK  0x10
#define I8042_STR_AUXDATA 0x20
#define I8042_STR_TIMEOUT 0x40

/* Command byte (controller RAM byte 0). */
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS	 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE	 0x40

#define I8042_QUEUE 8

struct i8042 {
	struct io_device data_dev, cmd_dev;
	uint8_t ctr;	   /* command byte */
	uint8_t ram[32];   /* controller RAM 0x21-0x3f (0x20 is ctr) */
	uint8_t out_port;  /* bit 0: reset line (active low), bit 1: A20 */
	uint8_t pending;   /* command waiting for its data byte, or 0 */
	bool last_was_cmd; /* status bit 3 */
	struct {
		uint8_t val;
		bool aux, timeout;
	} q[I8042_QUEUE];
	unsigned q_head, q_count;
	void (*request_reset)(void *ctx, const char *how);
	void *ctx;
	void (*set_irq)(void *ctx, int irq, int level); /* may be NULL */
	void *irq_ctx;
	int kbd_level, aux_level;
};

void i8042_init(struct i8042 *k,
		void (*request_reset)(void *ctx, const char *how), void *ctx);
/* Byte-level access (tests, and the bus callbacks). */
uint8_t i8042_read_port(struct i8042 *k, uint16_t port);
void i8042_write_port(struct i8042 *k, uint16_t port, uint8_t val);

#endif
