/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit port, compatible with QEMU's isa-debug-exit (iobase=0xf4):
 * a write of value v ends the VM with process status v*2+1. Any access
 * size; reads return all ones.
 */
#ifndef KVMINI_VMM_DEVICES_DEBUG_EXIT_H
#define KVMINI_VMM_DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#include "vmm/iobus.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_LEN	4

struct debug_exit {
	struct io_device dev;
	/* Called on a write with the status the process should exit with. */
	void (*request_exit)(void *ctx, int status, uint64_t value);
	void *ctx;
};

void debug_exit_init(struct debug_exit *d, uint16_t base,
		     void (*request_exit)(void *ctx, int status,
					  uint64_t value),
		     void *ctx);
/* The process status a write of value produces: (value*2+1) & 0xff. */
int debug_exit_status(uint64_t value);

#endif
