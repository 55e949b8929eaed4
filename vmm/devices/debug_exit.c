// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "vmm/devices/debug_exit.h"

int debug_exit_status(uint64_t value)
{
	/* A process status has 8 bits; QEMU's (v << 1) | 1 truncates alike. */
	return (int)(((value << 1) | 1) & 0xff);
}

static void debug_exit_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned size)
{
	struct debug_exit *d = opaque;
	uint64_t v = io_le_get(data, size);

	d->request_exit(d->ctx, debug_exit_status(v), v);
}

void debug_exit_init(struct debug_exit *d, uint16_t base,
		     void (*request_exit)(void *ctx, int status,
					  uint64_t value),
		     void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->dev = (struct io_device){.name = "debug-exit",
				    .base = base,
				    .len = DEBUG_EXIT_LEN,
				    .opaque = d,
				    .write = debug_exit_write};
	d->request_exit = request_exit;
	d->ctx = ctx;
}
