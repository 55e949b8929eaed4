// SPDX-License-Identifier: GPL-2.0
/* i8042 keyboard controller without devices; see i8042.h. */
#include <string.h>

#include "vmm/platform/i8042.h"

#define NO_DEVICE 0xfe /* what the controller answers for a dead port */

static void i8042_update_irq(struct i8042 *k)
{
	bool full = k->q_count > 0;
	bool aux = full && k->q[k->q_head].aux;
	int kl = full && !aux && (k->ctr & I8042_CTR_KBDINT);
	int al = aux && (k->ctr & I8042_CTR_AUXINT);

	if (kl != k->kbd_level) {
		k->kbd_level = kl;
		if (k->set_irq)
			k->set_irq(k->irq_ctx, I8042_KBD_IRQ, kl);
	}
	if (al != k->aux_level) {
		k->aux_level = al;
		if (k->set_irq)
			k->set_irq(k->irq_ctx, I8042_AUX_IRQ, al);
	}
}

/* A byte for the guest to read from 0x60; the oldest is dropped if full. */
static void i8042_push(struct i8042 *k, uint8_t val, bool aux, bool timeout)
{
	unsigned tail;

	if (k->q_count == I8042_QUEUE) {
		k->q_head = (k->q_head + 1) % I8042_QUEUE;
		k->q_count--;
	}
	tail = (k->q_head + k->q_count) % I8042_QUEUE;
	k->q[tail].val = val;
	k->q[tail].aux = aux;
	k->q[tail].timeout = timeout;
	k->q_count++;
	i8042_update_irq(k);
}

static uint8_t i8042_status(struct i8042 *k)
{
	uint8_t s = I8042_STR_UNLOCK;

	if (k->ctr & I8042_CTR_SYS)
		s |= I8042_STR_SYS;
	if (k->last_was_cmd)
		s |= I8042_STR_CMD;
	if (k->q_count) {
		s |= I8042_STR_OBF;
		if (k->q[k->q_head].aux)
			s |= I8042_STR_AUXDATA;
		if (k->q[k->q_head].timeout)
			s |= I8042_STR_TIMEOUT;
	}
	return s;
}

static void i8042_reset(struct i8042 *k, const char *how)
{
	if (k->request_reset)
		k->request_reset(k->ctx, how);
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3f) { /* read controller RAM */
		i8042_push(k, cmd == 0x20 ? k->ctr : k->ram[cmd & 0x1f], false,
			   false);
		return;
	}
	if (cmd >= 0x60 && cmd <= 0x7f) { /* write controller RAM: data next */
		k->pending = cmd;
		return;
	}
	if (cmd >= 0xf0) {
		/* Pulse the output lines whose bit is 0; line 0 is reset. */
		if (!(cmd & 1))
			i8042_reset(k, "i8042 reset command");
		return;
	}
	switch (cmd) {
	case 0xa7: /* disable AUX */
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case 0xa8: /* enable AUX */
		k->ctr &= ~I8042_CTR_AUXDIS;
		break;
	case 0xa9: /* AUX interface test: lines OK */
	case 0xab: /* keyboard interface test: lines OK */
		i8042_push(k, 0x00, false, false);
		break;
	case 0xaa: /* self-test passed; sets the system flag */
		k->ctr |= I8042_CTR_SYS;
		i8042_push(k, 0x55, false, false);
		break;
	case 0xad: /* disable keyboard */
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case 0xae: /* enable keyboard */
		k->ctr &= ~I8042_CTR_KBDDIS;
		break;
	case 0xc0: /* input port: nothing interesting */
		i8042_push(k, 0x00, false, false);
		break;
	case 0xd0: /* output port */
		i8042_push(k, k->out_port, false, false);
		break;
	case 0xd1: /* write output port */
	case 0xd2: /* write keyboard output buffer */
	case 0xd3: /* write AUX output buffer (loopback) */
	case 0xd4: /* write to the AUX device */
		k->pending = cmd;
		break;
	case 0xdd: /* A20 off / on: A20 is always on here */
	case 0xdf:
		break;
	default: /* unknown commands are ignored, as most controllers do */
		break;
	}
	i8042_update_irq(k);
}

static void i8042_data(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7f) {
		if (cmd == 0x60)
			k->ctr = val;
		else
			k->ram[cmd & 0x1f] = val;
		i8042_update_irq(k);
		return;
	}
	switch (cmd) {
	case 0xd1:
		k->out_port = val | 0x02; /* A20 stays on */
		if (!(val & 1))
			i8042_reset(k, "i8042 output port reset line");
		k->out_port |= 0x01;
		break;
	case 0xd2:
		i8042_push(k, val, false, false);
		break;
	case 0xd3:
		i8042_push(k, val, true, false);
		break;
	case 0xd4: /* no mouse */
		i8042_push(k, NO_DEVICE, true, true);
		break;
	default: /* a byte for the keyboard, which is not there */
		i8042_push(k, NO_DEVICE, false, true);
		break;
	}
}

uint8_t i8042_read_port(struct i8042 *k, uint16_t port)
{
	uint8_t v;

	if (port == I8042_STATUS_PORT)
		return i8042_status(k);
	if (port != I8042_DATA_PORT)
		return 0xff;
	if (!k->q_count) /* empty: the last byte stays in the latch */
		return k->q[(k->q_head + I8042_QUEUE - 1) % I8042_QUEUE].val;
	v = k->q[k->q_head].val;
	k->q_head = (k->q_head + 1) % I8042_QUEUE;
	k->q_count--;
	i8042_update_irq(k);
	return v;
}

void i8042_write_port(struct i8042 *k, uint16_t port, uint8_t val)
{
	if (port == I8042_STATUS_PORT) {
		k->last_was_cmd = true;
		i8042_command(k, val);
	} else if (port == I8042_DATA_PORT) {
		k->last_was_cmd = false;
		i8042_data(k, val);
	}
}

/* Only the low byte of a wider access reaches the 8-bit controller. */
static void data_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	d[0] = i8042_read_port(o, I8042_DATA_PORT);
}

static void data_write(void *o, uint64_t off, const uint8_t *d, unsigned size)
{
	i8042_write_port(o, I8042_DATA_PORT, d[0]);
}

static void cmd_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	d[0] = i8042_read_port(o, I8042_STATUS_PORT);
}

static void cmd_write(void *o, uint64_t off, const uint8_t *d, unsigned size)
{
	i8042_write_port(o, I8042_STATUS_PORT, d[0]);
}

void i8042_init(struct i8042 *k,
		void (*request_reset)(void *ctx, const char *how), void *ctx)
{
	memset(k, 0, sizeof(*k));
	/* What a BIOS leaves: translation on, POST passed, keyboard IRQ. */
	k->ctr = I8042_CTR_XLATE | I8042_CTR_SYS | I8042_CTR_KBDINT;
	k->out_port = 0x03; /* not in reset, A20 on */
	k->request_reset = request_reset;
	k->ctx = ctx;
	k->data_dev = (struct io_device){.name = "i8042-data",
					 .base = I8042_DATA_PORT,
					 .len = 1,
					 .opaque = k,
					 .read = data_read,
					 .write = data_write};
	k->cmd_dev = (struct io_device){.name = "i8042",
					.base = I8042_STATUS_PORT,
					.len = 1,
					.opaque = k,
					.read = cmd_read,
					.write = cmd_write};
}
