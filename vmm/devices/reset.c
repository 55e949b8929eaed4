// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "vmm/devices/reset.h"

static void rst_cnt_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	struct reset_dev *r = o;

	memset(d, 0xff, size);
	d[0] = r->rst_cnt_val;
}

static void rst_cnt_write(void *o, uint64_t off, const uint8_t *d,
			  unsigned size)
{
	struct reset_dev *r = o;

	r->rst_cnt_val = d[0] & 0x0e;
	if (d[0] & 0x04)
		r->request_reset(r->ctx, "reset control register 0xcf9");
}

void reset_dev_init(struct reset_dev *d,
		    void (*request_reset)(void *ctx, const char *how),
		    void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->rst_cnt = (struct io_device){.name = "rst-cnt",
					.base = RST_CNT_PORT,
					.len = 1,
					.opaque = d,
					.read = rst_cnt_read,
					.write = rst_cnt_write};
	d->request_reset = request_reset;
	d->ctx = ctx;
}
