/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's reset requests: the i8042 controller's "pulse reset line"
 * command (0xFE written to port 0x64) and the reset control register at
 * 0xcf9 (bit 2). kvmini does not reboot: a reset request ends the run
 * (status 0, like QEMU -no-reboot). Only the i8042 status port is claimed:
 * it reads 0 (no data, input buffer empty) so a reset command is accepted.
 */
#ifndef KVMINI_VMM_DEVICES_RESET_H
#define KVMINI_VMM_DEVICES_RESET_H

#include "vmm/iobus.h"

#define I8042_CMD_PORT 0x64
#define RST_CNT_PORT   0xcf9

struct reset_dev {
	struct io_device i8042, rst_cnt;
	uint8_t rst_cnt_val;
	void (*request_reset)(void *ctx, const char *how);
	void *ctx;
};

void reset_dev_init(struct reset_dev *d,
		    void (*request_reset)(void *ctx, const char *how),
		    void *ctx);

#endif
