// SPDX-License-Identifier: GPL-2.0
/* The I/O delay port; see port80.h. */
#include <string.h>

#include "vmm/platform/port80.h"

static void port80_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	struct port80 *p = o;

	memset(d, 0xff, size);
	d[0] = p->last;
}

static void port80_write(void *o, uint64_t off, const uint8_t *d, unsigned size)
{
	struct port80 *p = o;

	p->last = d[0];
}

void port80_init(struct port80 *p)
{
	memset(p, 0, sizeof(*p));
	p->last = 0xff;
	p->dev = (struct io_device){.name = "port80",
				    .base = PORT80_PORT,
				    .len = 1,
				    .opaque = p,
				    .read = port80_read,
				    .write = port80_write};
}
