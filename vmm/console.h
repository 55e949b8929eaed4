/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal side of the serial console. One thread reads the input fd
 * (a terminal or a pipe) and hands the bytes to the UART through ops; the
 * UART says when its FIFO has room again, so nothing is dropped from a
 * pipe. On a terminal in the foreground: raw mode (output post-processing
 * kept, as QEMU does, so guest CRLF and kvmini's own messages stay sane)
 * and Ctrl-A escapes: X quits, Ctrl-A sends a literal ^A, H prints help.
 * The terminal is restored on every exit path: console_stop(), exit(),
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT and crash signals; it is cooked while
 * SIGTSTP has us stopped and raw again on SIGCONT in the foreground.
 */
#ifndef KVMINI_VMM_CONSOLE_H
#define KVMINI_VMM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define CONSOLE_ESCAPE	0x01 /* Ctrl-A */
#define CONSOLE_PENDING 4096

struct console_ops {
	/*
	 * Hands bytes to the UART; returns how many it took (0 when its
	 * FIFO is full) or -EBUSY after a short wait for a busy device (a
	 * vCPU holds its lock): retried after a look at the input.
	 */
	int (*deliver)(void *ctx, const uint8_t *buf, unsigned n);
	/* Ctrl-A X: end the run. */
	void (*quit)(void *ctx);
	void *ctx;
};

struct console {
	int in_fd;
	bool tty; /* raw mode and escapes on in_fd */
	bool escape;
	bool in_eof;
	bool quit; /* Ctrl-A X was typed */
	bool stop;
	int waiting; /* waiting for FIFO room (atomic) */
	int wake_fd; /* eventfd: stop or FIFO room */
	uint8_t pend[CONSOLE_PENDING];
	unsigned pend_head, pend_count;
	unsigned long dropped; /* typed while the guest read nothing */
	struct console_ops ops;
	pthread_t thread;
	bool started;
};

/*
 * Starts reading in_fd (-1: no input). Raw mode only when in_fd is a
 * terminal and kvmini is in its foreground process group. -errno.
 */
int console_start(struct console *c, int in_fd, const struct console_ops *ops);
/* The UART's FIFO has room again (any thread; async-safe, no locks). */
void console_rx_space(struct console *c);
/* Stops the thread and restores the terminal. True if Ctrl-A X ended the run.
 */
bool console_stop(struct console *c);
/* Puts the terminal back as it was (idempotent, async-signal-safe). */
void console_restore_terminal(void);

#endif
