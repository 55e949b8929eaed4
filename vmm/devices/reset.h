/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reset control register at 0xcf9: writing bit 2 resets the machine.
 * kvmini does not reboot: a reset request ends the run (status 0, like
 * QEMU -no-reboot). The i8042's reset command (0xFE to port 0x64) is
 * vmm/platform/i8042.c's.
 */
#ifndef KVMINI_VMM_DEVICES_RESET_H
#define KVMINI_VMM_DEVICES_RESET_H

#include "vmm/iobus.h"

#define RST_CNT_PORT 0xcf9

struct reset_dev {
	struct io_device rst_cnt;
	uint8_t rst_cnt_val;
	void (*request_reset)(void *ctx, const char *how);
	void *ctx;
};

void reset_dev_init(struct reset_dev *d,
		    void (*request_reset)(void *ctx, const char *how),
		    void *ctx);

#endif
