/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini's process exit status. The guest's exit port (isa-debug-exit
 * compatible, 0xf4) yields value*2+1: always odd. Everything the monitor
 * itself decides is even, so the two can never be confused.
 */
#ifndef KVMINI_VMM_EXIT_STATUS_H
#define KVMINI_VMM_EXIT_STATUS_H

enum {
	VMM_EXIT_OK = 0, /* clean halt (HLT, nothing can wake it) or poweroff */
	VMM_EXIT_USAGE = 2, /* bad command line */
	VMM_EXIT_MONITOR =
	    126, /* monitor/backend error: image, memory, ioctl, KVM_RUN */
	VMM_EXIT_GUEST_CRASH = 128, /* triple fault, entry failure, internal
				       error, unhandled exit */
};

#endif
