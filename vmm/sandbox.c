// SPDX-License-Identifier: GPL-2.0
/* The monitor's seccomp filter (see sandbox.h). */
#define _GNU_SOURCE /* REG_* in ucontext.h, CLONE_THREAD */
#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/exit_status.h"
#include "vmm/sandbox.h"

/* Syscalls allowed with any arguments. */
/* clang-format off */
static const char *const allow_any[] = {
    /* I/O on fds opened before the sandbox; the console's eventfd. */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek",
    "close", "poll", "ppoll", "select", "pselect6", "eventfd2", "fstat",
    "newfstatat",
    /* Memory (mmap and mprotect: below, for PROT_EXEC). */
    "munmap", "madvise", "mremap", "brk", "msync", "mincore", "mbind",
    "set_mempolicy", "get_mempolicy",
    /* Threads, locks and what glibc does to start and end one. */
    "futex", "set_robust_list", "get_robust_list", "rseq", "sched_yield",
    "sched_getaffinity", "getcpu", "gettid", "getpid", "getpgrp", "exit",
    "exit_group",
    /* Signals: the vCPU kick (SIGUSR1), console job control, SIGSYS. */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
    "restart_syscall",
    /* Time. */
    "clock_gettime", "clock_getres", "gettimeofday", "time",
    "clock_nanosleep", "nanosleep",
    /* --stats; glibc's sysconf(_SC_PHYS_PAGES) (qsort); malloc. */
    "getrusage", "sysinfo", "getrandom",
};
/* clang-format on */

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

#ifdef SANDBOX_SANITIZER
/*
 * ASan/UBSan/LSan builds only (make check's second pass): what the
 * sanitizer runtime does after setup. At exit LeakSanitizer stops every
 * thread from a helper task (clone without CLONE_THREAD, ptrace, wait4)
 * that lists /proc/self/task; a report reads /proc/self/maps and the
 * binary for symbols. Without these, a leak or error report would end in
 * the sandbox's SIGSYS instead of the sanitizer's diagnosis.
 */
/* clang-format off */
static const char *const allow_sanitizer[] = {
    "prctl", "ptrace", "wait4", "waitid", "open", "openat", "getdents",
    "getdents64", "readlink", "readlinkat", "stat", "lstat", "access",
    "process_vm_readv", "kill", "tkill", "sched_setaffinity",
    "sched_getparam", "clone", "getppid", "uname", "dup", "dup2", "pipe",
    "pipe2", "fcntl",
};
/* clang-format on */
#endif

/* The console's terminal: tcgetattr, tcsetattr, tcgetpgrp. */
static const unsigned long tty_ioctls[] = {
    TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGPGRP, TIOCGWINSZ,
};

/* A running VM on the host's KVM; nothing that creates VMs/vCPUs/slots. */
static const unsigned long kvm_ioctls[] = {
    KVM_RUN,
    KVM_IRQ_LINE,
    KVM_IRQ_LINE_STATUS,
    KVM_SIGNAL_MSI,
    KVM_SET_GSI_ROUTING,
    KVM_GET_REGS,
    KVM_SET_REGS,
    KVM_GET_SREGS,
    KVM_SET_SREGS,
    KVM_GET_FPU,
    KVM_SET_FPU,
    KVM_GET_MSRS,
    KVM_SET_MSRS,
    KVM_GET_LAPIC,
    KVM_SET_LAPIC,
    KVM_GET_MP_STATE,
    KVM_SET_MP_STATE,
    KVM_GET_VCPU_EVENTS,
    KVM_SET_VCPU_EVENTS,
    KVM_GET_IRQCHIP,
    KVM_SET_IRQCHIP,
    KVM_GET_PIT2,
    KVM_SET_PIT2,
    KVM_GET_CLOCK,
    KVM_KVMCLOCK_CTRL,
    KVM_CHECK_EXTENSION,
};

/* Names for the SIGSYS report, resolved before: the handler cannot malloc. */
#define SANDBOX_NAMES	 512
#define SANDBOX_NAME_LEN 24
static char sys_names[SANDBOX_NAMES][SANDBOX_NAME_LEN];

static void put_str(char *buf, size_t *n, size_t size, const char *s)
{
	while (*s && *n + 1 < size)
		buf[(*n)++] = *s++;
	buf[*n] = 0;
}

static void put_num(char *buf, size_t *n, size_t size, unsigned long v,
		    bool hex)
{
	char d[24];
	int i = 0;

	do {
		d[i++] = "0123456789abcdef"[v % (hex ? 16 : 10)];
		v /= hex ? 16 : 10;
	} while (v);
	if (hex)
		put_str(buf, n, size, "0x");
	while (i && *n + 1 < size)
		buf[(*n)++] = d[--i];
	buf[*n] = 0;
}

/* Async-signal-safe: formats by hand, writes once, exits. */
static void sandbox_sigsys(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	unsigned long args[3] = {g[REG_RDI], g[REG_RSI], g[REG_RDX]};
	int nr = si->si_syscall;
	char m[512];
	size_t n = 0;

	put_str(m, &n, sizeof(m), "kvmini: sandbox: thread ");
	put_num(m, &n, sizeof(m), syscall(SYS_gettid), false);
	put_str(m, &n, sizeof(m),
		" made a system call the seccomp filter "
		"forbids: ");
	if (nr >= 0 && nr < SANDBOX_NAMES && sys_names[nr][0])
		put_str(m, &n, sizeof(m), sys_names[nr]);
	else
		put_str(m, &n, sizeof(m), "syscall");
	put_str(m, &n, sizeof(m), " (nr ");
	put_num(m, &n, sizeof(m), (unsigned)nr, false);
	if (si->si_arch != AUDIT_ARCH_X86_64) {
		put_str(m, &n, sizeof(m), ", foreign arch ");
		put_num(m, &n, sizeof(m), (unsigned)si->si_arch, true);
	}
	put_str(m, &n, sizeof(m), ") with args ");
	for (int i = 0; i < 3; i++) {
		put_num(m, &n, sizeof(m), args[i], true);
		put_str(m, &n, sizeof(m), i < 2 ? ", " : "");
	}
	put_str(m, &n, sizeof(m),
		"; stopping (status 126). If kvmini needs it, allow it in "
		"vmm/sandbox.c; --no-sandbox runs without the filter.\n");
	console_restore_terminal();
	if (write(STDERR_FILENO, m, n) < 0) {
		/* Nothing left to tell anyone. */
	}
	_exit(VMM_EXIT_MONITOR);
}

static void resolve_names(void)
{
	for (int nr = 0; nr < SANDBOX_NAMES; nr++) {
		char *s =
		    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (s) {
			snprintf(sys_names[nr], SANDBOX_NAME_LEN, "%s", s);
			free(s);
		}
	}
}

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned nargs,
	       const struct scmp_arg_cmp *cmp, const char *what, char *err,
	       size_t errlen)
{
	int r = seccomp_rule_add_array(ctx, action, nr, nargs, cmp);

	if (r < 0)
		snprintf(err, errlen, "sandbox: seccomp rule for %s: %s", what,
			 strerror(-r));
	return r;
}

static int add_rules(scmp_filter_ctx ctx, bool kvm, bool exec_mem, char *err,
		     size_t errlen)
{
	const uint64_t exec = PROT_EXEC;
	struct scmp_arg_cmp c;
	int r;

	for (size_t i = 0; i < sizeof(allow_any) / sizeof(allow_any[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allow_any[i]);

		/* Not every kernel/libseccomp knows every name (e.g. rseq). */
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL, allow_any[i], err,
			errlen);
		if (r < 0)
			return r;
	}
#ifdef SANDBOX_SANITIZER
	for (size_t i = 0;
	     i < sizeof(allow_sanitizer) / sizeof(allow_sanitizer[0]); i++) {
		r = add(ctx, SCMP_ACT_ALLOW,
			seccomp_syscall_resolve_name(allow_sanitizer[i]), 0,
			NULL, allow_sanitizer[i], err, errlen);
		if (r < 0)
			return r;
	}
#endif
	/*
	 * No new executable memory, unless asked (a CPU that translates
	 * guest code): nothing else after setup loads code.
	 */
	c = SCMP_A2(SCMP_CMP_MASKED_EQ, exec, 0);
	r = add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), exec_mem ? 0 : 1, &c,
		"mmap", err, errlen);
	if (r >= 0)
		r = add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
			exec_mem ? 0 : 1, &c, "mprotect", err, errlen);
	/* Threads only: a new process would escape nothing, but has no use. */
	c = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	if (r >= 0)
		r = add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &c, "clone",
			err, errlen);
	if (r >= 0)
		r = add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL,
			"clone3", err, errlen);
	/* Signals to our own threads only (pthread_kill, raise). */
	c = SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid());
	if (r >= 0)
		r = add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, &c, "tgkill",
			err, errlen);
	for (size_t i = 0;
	     r >= 0 && i < sizeof(tty_ioctls) / sizeof(tty_ioctls[0]); i++) {
		c = SCMP_A1(SCMP_CMP_EQ, tty_ioctls[i]);
		r = add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &c,
			"a terminal ioctl", err, errlen);
	}
	for (size_t i = 0;
	     kvm && r >= 0 && i < sizeof(kvm_ioctls) / sizeof(kvm_ioctls[0]);
	     i++) {
		c = SCMP_A1(SCMP_CMP_EQ, kvm_ioctls[i]);
		r = add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &c,
			"a KVM ioctl", err, errlen);
	}
	return r;
}

int vmm_sandbox_enter(bool kvm, bool exec_mem, char *err, size_t errlen)
{
	struct sigaction sa = {.sa_sigaction = sandbox_sigsys,
			       .sa_flags = SA_SIGINFO};
	scmp_filter_ctx ctx;
	int r;

	resolve_names();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		r = -errno;
		snprintf(err, errlen, "sandbox: SIGSYS handler: %s",
			 strerror(-r));
		return r;
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "sandbox: seccomp_init failed");
		return -ENOMEM;
	}
	/* Every thread, including those the backend already started. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r >= 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				     SCMP_ACT_TRAP);
	if (r < 0)
		snprintf(err, errlen, "sandbox: seccomp attributes: %s",
			 strerror(-r));
	else
		r = add_rules(ctx, kvm, exec_mem, err, errlen);
	if (r >= 0) {
		r = seccomp_load(ctx);
		if (r < 0)
			snprintf(err, errlen,
				 "sandbox: loading the seccomp filter: %s "
				 "(a kernel without seccomp filters, or a "
				 "thread that could not be synchronised); "
				 "--no-sandbox runs without it",
				 strerror(-r));
	}
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}
