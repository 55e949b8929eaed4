// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/console.h"

/* How long Ctrl-A X waits for the vCPUs before leaving anyway. */
#define CONSOLE_QUIT_GRACE_MS 10000

static const char console_help[] = "\nkvmini console escapes (Ctrl-A, then):\n"
				   "  X        quit kvmini\n"
				   "  Ctrl-A   send Ctrl-A to the guest\n"
				   "  H        this help\n";

/* Process-wide: signal handlers and atexit need it. */
static struct termios saved_termios, raw_termios;
static volatile sig_atomic_t raw_active; /* the terminal is raw now */
static volatile sig_atomic_t raw_wanted; /* until console_stop() */
static int raw_fd = -1;
static struct sigaction old_crash[NSIG];

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

static void console_cooked(void)
{
	int e = errno;

	if (raw_active) {
		/* TCSANOW: never wait for output a stuck reader holds. */
		tcsetattr(raw_fd, TCSANOW, &saved_termios);
		raw_active = 0;
	}
	errno = e;
}

void console_restore_terminal(void)
{
	raw_wanted = 0;
	console_cooked();
}

/*
 * Job control (kill -TSTP; Ctrl-Z itself goes to the guest): cooked
 * while stopped, raw again when continued in the foreground. In the
 * background the terminal stays cooked (and reading it stops us, as for
 * any program).
 */
static void console_raw_again(void)
{
	int e = errno;

	if (raw_wanted && !raw_active && tcgetpgrp(raw_fd) == getpgrp() &&
	    tcsetattr(raw_fd, TCSANOW, &raw_termios) == 0)
		raw_active = 1;
	errno = e;
}

static void console_tstp_signal(int sig)
{
	console_cooked();
	raise(SIGSTOP);
	console_raw_again();
}

static void console_cont_signal(int sig)
{
	console_raw_again();
}

/* SIGINT/SIGTERM/SIGHUP/SIGQUIT: restore, then die of the signal. */
static void console_fatal_signal(int sig)
{
	console_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Crash signals: restore, put back whatever handled the signal before
 * (the default, or a sanitizer's), and let it act: a fault recurs when
 * the handler returns; a signal sent with kill() is raised again.
 */
static void console_crash_signal(int sig, siginfo_t *si, void *uc)
{
	console_restore_terminal();
	sigaction(sig, &old_crash[sig], NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void console_install_handlers(void)
{
	static const int fatal[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	static const int crash[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
	static bool done;
	struct sigaction sa, old;

	if (done)
		return;
	done = true;
	atexit(console_restore_terminal);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = console_fatal_signal;
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		/* Ignored on purpose (nohup, a background job): leave it. */
		if (sigaction(fatal[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal[i], &sa, NULL);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = console_crash_signal;
	sa.sa_flags = SA_SIGINFO;
	for (unsigned i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
		sigaction(crash[i], &sa, &old_crash[crash[i]]);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = console_cont_signal;
	sigaction(SIGCONT, &sa, NULL);
	sa.sa_handler = console_tstp_signal;
	if (sigaction(SIGTSTP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaction(SIGTSTP, &sa, NULL);
}

/* Raw input, like cfmakeraw(), but output post-processing untouched. */
static int console_raw_mode(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &saved_termios) < 0)
		return -errno;
	t = saved_termios;
	t.c_iflag &=
	    ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	raw_fd = fd;
	raw_termios = t;
	console_install_handlers();
	raw_wanted = 1;
	raw_active = 1;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		raw_active = 0;
		raw_wanted = 0;
		return -errno;
	}
	return 0;
}

static void console_wake(struct console *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow in practice; nothing to do. */
	}
}

void console_rx_space(struct console *c)
{
	if (__atomic_exchange_n(&c->waiting, 0, __ATOMIC_ACQ_REL))
		console_wake(c);
}

static void console_queue(struct console *c, uint8_t b)
{
	if (c->pend_count == CONSOLE_PENDING) {
		c->dropped++;
		return;
	}
	c->pend[(c->pend_head + c->pend_count) % CONSOLE_PENDING] = b;
	c->pend_count++;
}

/* Returns false once Ctrl-A X was typed. */
static bool console_input(struct console *c, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = buf[i];

		if (!c->tty) {
			console_queue(c, b);
			continue;
		}
		if (!c->escape) {
			if (b == CONSOLE_ESCAPE)
				c->escape = true;
			else
				console_queue(c, b);
			continue;
		}
		c->escape = false;
		switch (b) {
		case 'x':
		case 'X':
			return false;
		case 'h':
		case 'H':
		case '?':
			write_all(STDERR_FILENO, console_help,
				  sizeof(console_help) - 1);
			break;
		case CONSOLE_ESCAPE:
			console_queue(c, b);
			break;
		default:
			break; /* unknown escapes are swallowed */
		}
	}
	return true;
}

/*
 * Hands pending bytes to the UART. Returns the poll timeout to use: -1
 * (wait for input, room or stop) or 0 to retry while the UART is busy.
 */
static int console_flush(struct console *c)
{
	while (c->pend_count) {
		unsigned n = c->pend_count;
		int r;

		if (c->pend_head + n > CONSOLE_PENDING)
			n = CONSOLE_PENDING - c->pend_head;
		/* Ask for a wakeup first so room made meanwhile is seen. */
		__atomic_store_n(&c->waiting, 1, __ATOMIC_RELEASE);
		r = c->ops.deliver(c->ops.ctx, c->pend + c->pend_head, n);
		if (r == -EBUSY)
			return 0; /* deliver() waited a little: look at input */
		if (r <= 0)
			return -1; /* FIFO full: console_rx_space() wakes us */
		c->pend_head = (c->pend_head + r) % CONSOLE_PENDING;
		c->pend_count -= r;
	}
	__atomic_store_n(&c->waiting, 0, __ATOMIC_RELEASE);
	return -1;
}

static bool console_stopped(struct console *c)
{
	return __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
}

static void console_drain_wake(struct console *c)
{
	uint64_t v;

	if (read(c->wake_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending */
	}
}

/* After Ctrl-A X: the run must end even if a vCPU does not stop. */
static void console_quit_grace(struct console *c)
{
	struct pollfd p = {.fd = c->wake_fd, .events = POLLIN};
	static const char msg[] = "kvmini: terminated by Ctrl-A X (a vCPU "
				  "did not stop; forced exit)\n";

	while (!console_stopped(c)) {
		int r = poll(&p, 1, CONSOLE_QUIT_GRACE_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && !console_stopped(c)) {
			console_restore_terminal();
			write_all(STDERR_FILENO, msg, sizeof(msg) - 1);
			_exit(0);
		}
		console_drain_wake(c);
	}
}

static void *console_thread(void *arg)
{
	struct console *c = arg;
	uint8_t buf[512];

	while (!console_stopped(c)) {
		struct pollfd p[2] = {{.fd = c->wake_fd, .events = POLLIN},
				      {.fd = c->in_fd, .events = POLLIN}};
		int timeout = console_flush(c), nfds = 1;
		size_t want = sizeof(buf);
		ssize_t n;

		/*
		 * A pipe waits while the guest reads nothing (no loss); a
		 * terminal is always read so Ctrl-A X keeps working.
		 */
		if (!c->tty && CONSOLE_PENDING - c->pend_count < want)
			want = CONSOLE_PENDING - c->pend_count;
		if (!c->in_eof && want)
			nfds = 2;
		if (poll(p, nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			console_drain_wake(c);
		if (nfds < 2 || !(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(c->in_fd, buf, want);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			c->in_eof = true; /* the guest keeps running */
			continue;
		}
		if (!console_input(c, buf, n)) {
			__atomic_store_n(&c->quit, true, __ATOMIC_RELEASE);
			c->ops.quit(c->ops.ctx);
			console_quit_grace(c);
			break;
		}
	}
	return NULL;
}

int console_start(struct console *c, int in_fd, const struct console_ops *ops)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->ops = *ops;
	c->wake_fd = -1;
	if (in_fd < 0)
		return 0;
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake_fd < 0)
		return -errno;
	/* In the background, touching the terminal would stop us (SIGTTOU). */
	if (isatty(in_fd)) {
		if (tcgetpgrp(in_fd) != getpgrp()) {
			close(c->wake_fd);
			c->wake_fd = -1;
			c->in_fd = -1;
			return 0;
		}
		r = console_raw_mode(in_fd);
		if (r < 0) {
			close(c->wake_fd);
			c->wake_fd = -1;
			return r;
		}
		c->tty = true;
	}
	r = pthread_create(&c->thread, NULL, console_thread, c);
	if (r) {
		console_restore_terminal();
		close(c->wake_fd);
		c->wake_fd = -1;
		return -r;
	}
	c->started = true;
	return 0;
}

bool console_stop(struct console *c)
{
	if (c->started) {
		__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
		console_wake(c);
		pthread_join(c->thread, NULL);
		c->started = false;
	}
	if (c->wake_fd >= 0) {
		close(c->wake_fd);
		c->wake_fd = -1;
	}
	if (c->tty)
		console_restore_terminal();
	if (c->dropped)
		fprintf(stderr,
			"kvmini: note: %lu typed bytes dropped (the guest "
			"did not read its console)\n",
			c->dropped);
	return __atomic_load_n(&c->quit, __ATOMIC_ACQUIRE);
}
