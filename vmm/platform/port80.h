/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port 0x80, the POST-code / I/O delay port: Linux writes it between
 * accesses to slow devices (outb_p). Claimed so it is never reported as
 * unclaimed; writes are kept (a read returns the last one), nothing else.
 */
#ifndef KVMINI_VMM_PLATFORM_PORT80_H
#define KVMINI_VMM_PLATFORM_PORT80_H

#include <stdint.h>

#include "vmm/iobus.h"

#define PORT80_PORT 0x80

struct port80 {
	struct io_device dev;
	uint8_t last;
};

void port80_init(struct port80 *p);

#endif
