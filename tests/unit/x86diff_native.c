// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff native runner: the host CPU is the oracle.
 *
 * A forked server child maps the code and data at the same fixed addresses
 * the core uses. For each case it loads every GPR and RFLAGS through a
 * small trampoline and jumps to the sequence. The sequence ends in INT3;
 * its SIGTRAP (or the SIGFPE of a #DE, or any other fault) hands the final
 * registers, vector, error code and CR2 to a handler through the signal
 * frame, which copies them and the data buffer to shared memory and
 * siglongjmps back to the server loop. A crash or hang of the child costs
 * one case (the server is restarted), never the test process; one fork
 * serves many cases, which matters under ASan.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "x86diff.h"

void x86diff_native_enter(const uint64_t *frame, const void *fx)
    __attribute__((noreturn));
void x86diff_native_enter32(const uint64_t *frame, const void *fx)
    __attribute__((noreturn));

/*
 * frame: rax rcx rdx rbx rbp rsi rdi r8..r15, rflags, rsp. RSP is loaded
 * last, then the jump goes through a constant so no register is needed.
 */
__asm__(".pushsection .text\n"
	".globl x86diff_native_enter\n"
	".type x86diff_native_enter,@function\n"
	"x86diff_native_enter:\n"
	"	fxrstor64 (%rsi)\n"
	"	xor %eax, %eax\n" /* DS/ES as 64-bit Linux has them */
	"	mov %eax, %ds\n"
	"	mov %eax, %es\n"
	"	mov %rdi, %rsp\n"
	"	pop %rax\n"
	"	pop %rcx\n"
	"	pop %rdx\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	pop %rsi\n"
	"	pop %rdi\n"
	"	pop %r8\n"
	"	pop %r9\n"
	"	pop %r10\n"
	"	pop %r11\n"
	"	pop %r12\n"
	"	pop %r13\n"
	"	pop %r14\n"
	"	pop %r15\n"
	"	popfq\n"
	"	pop %rsp\n"
	"	jmp *1f(%rip)\n"
	"	.balign 8\n"
	"1:	.quad 0x10000000\n"
	".size x86diff_native_enter, .-x86diff_native_enter\n"
	/*
	 * The same into 32-bit compatibility mode: Linux's __USER32_CS
	 * (0x23), with DS/ES loaded with __USER_DS (0x2b) first, since a
	 * null DS faults outside 64-bit mode.
	 */
	".globl x86diff_native_enter32\n"
	".type x86diff_native_enter32,@function\n"
	"x86diff_native_enter32:\n"
	"	fxrstor64 (%rsi)\n"
	"	mov $0x2b, %eax\n"
	"	mov %eax, %ds\n"
	"	mov %eax, %es\n"
	"	mov %rdi, %rsp\n"
	"	pop %rax\n"
	"	pop %rcx\n"
	"	pop %rdx\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	pop %rsi\n"
	"	pop %rdi\n"
	"	pop %r8\n"
	"	pop %r9\n"
	"	pop %r10\n"
	"	pop %r11\n"
	"	pop %r12\n"
	"	pop %r13\n"
	"	pop %r14\n"
	"	pop %r15\n"
	"	popfq\n"
	"	pop %rsp\n"
	"	ljmpl *2f(%rip)\n"
	"	.balign 8\n"
	"2:	.long 0x10000000\n"
	"	.word 0x23\n"
	".size x86diff_native_enter32, .-x86diff_native_enter32\n"
	".popsection\n");

_Static_assert(X86DIFF_CODE_ADDR == 0x10000000, "trampoline target");

/* Shared between the test process and its server child. */
struct x86diff_shared {
	struct x86diff_case c;
	struct x86diff_result r;
};

/* Only ever set in the server child. */
static struct x86diff_shared *x86diff_child_sh;
static sigjmp_buf x86diff_child_jb;

/* The parent's view of the server. */
static struct x86diff_shared *x86diff_sh;
static pid_t x86diff_server_pid;
static int x86diff_cmd_fd = -1, x86diff_done_fd = -1;

static void x86diff_child_signal(int sig, siginfo_t *si, void *ctx)
{
	static const int map[16] = {
	    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
	    REG_RSI, REG_RDI, REG_R8,  REG_R9,	REG_R10, REG_R11,
	    REG_R12, REG_R13, REG_R14, REG_R15,
	};
	ucontext_t *uc = ctx;
	struct x86diff_result *r = &x86diff_child_sh->r;
	const greg_t *gr = uc->uc_mcontext.gregs;

	if (sig == SIGALRM)
		_exit(3); /* a hang: the parent restarts us */
	for (int i = 0; i < 16; i++)
		r->regs.gpr[i] = (uint64_t)gr[map[i]];
	r->regs.rip = (uint64_t)gr[REG_RIP];
	r->regs.rflags = (uint64_t)gr[REG_EFL];
	r->end = X86DIFF_END_FAULT;
	/* the kernel hands over the hardware vector and error code */
	r->vector = (int)gr[REG_TRAPNO];
	r->error = (uint32_t)gr[REG_ERR];
	if (sig == SIGSEGV && r->vector == 14)
		r->cr2 = (uint64_t)si->si_addr;
	if (uc->uc_mcontext.fpregs) {
		/* the interrupted context's FXSAVE image */
		const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;

		r->regs.fcw = fp->cwd;
		r->regs.fsw = fp->swd;
		r->regs.ftw = (uint8_t)fp->ftw;
		for (int i = 0; i < 8; i++)
			memcpy(r->regs.st[i], &fp->_st[i], 10);
		r->regs.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
		memcpy(r->regs.xmm, uc->uc_mcontext.fpregs->_xmm,
		       sizeof(r->regs.xmm));
	}
	if (sig == SIGTRAP && r->vector == 3) {
		/* INT3 is a trap: RIP is past it */
		r->regs.rip--;
		if (r->regs.rip == X86DIFF_CODE_ADDR + x86diff_child_sh->c.len)
			r->end = X86DIFF_END_MARKER;
	}
	if (r->end == X86DIFF_END_MARKER)
		r->vector = -1;
	memcpy(r->data, (void *)X86DIFF_DATA_ADDR, X86DIFF_DATA_SIZE);
	siglongjmp(x86diff_child_jb, 1);
}

static void __attribute__((noreturn))
x86diff_server(struct x86diff_shared *sh, int cmd, int done)
{
	static const int sigs[] = {SIGTRAP, SIGFPE,  SIGILL,
				   SIGBUS,  SIGSEGV, SIGALRM};
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	struct sigaction sa;
	stack_t ss;
	static uint64_t frame[18];
	static uint8_t fx[512] __attribute__((aligned(16)));
	uint8_t *code, *data;
	char b;

	x86diff_child_sh = sh;
	code = mmap((void *)X86DIFF_CODE_ADDR, X86DIFF_CODE_SIZE,
		    PROT_READ | PROT_WRITE, flags, -1, 0);
	data = mmap((void *)X86DIFF_DATA_ADDR, X86DIFF_DATA_SIZE,
		    PROT_READ | PROT_WRITE, flags, -1, 0);
	ss.ss_sp = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss.ss_size = 1 << 16;
	ss.ss_flags = 0;
	if (code != (void *)X86DIFF_CODE_ADDR ||
	    data != (void *)X86DIFF_DATA_ADDR || ss.ss_sp == MAP_FAILED ||
	    sigaltstack(&ss, NULL)) {
		snprintf(sh->r.msg, sizeof(sh->r.msg),
			 "native: cannot map the fixed code/data: %s",
			 strerror(errno));
		_exit(2);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = x86diff_child_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

	while (read(cmd, &b, 1) == 1) {
		const struct x86diff_case *c = &sh->c;

		if (sigsetjmp(x86diff_child_jb, 1)) {
			alarm(0);
			if (write(done, "d", 1) != 1)
				_exit(4);
			continue;
		}
		if (mprotect(code, X86DIFF_CODE_SIZE, PROT_READ | PROT_WRITE))
			_exit(5);
		memcpy(code, c->code, X86DIFF_CODE_SIZE);
		if (c->len < X86DIFF_CODE_SIZE)
			code[c->len] = 0xcc;
		if (c->entry >= 5) {
			/* the trampoline enters at offset 0: jmp rel32 */
			int32_t rel = (int32_t)c->entry - 5;

			code[0] = 0xe9;
			memcpy(code + 1, &rel, 4);
		}
		memcpy(data, c->data, X86DIFF_DATA_SIZE);
		if (mprotect(code, X86DIFF_CODE_SIZE,
			     PROT_READ | PROT_EXEC | (c->smc ? PROT_WRITE : 0)))
			_exit(5);

		static const int order[15] = {0, 1,  2,	 3,  5,	 6,  7, 8,
					      9, 10, 11, 12, 13, 14, 15};
		for (int i = 0; i < 15; i++)
			frame[i] = c->init.gpr[order[i]];
		frame[15] = c->init.rflags;
		frame[16] = c->init.gpr[4];
		frame[17] = 0;
		/* x87 and SSE state: FCW 0x37f, tags empty, MXCSR, XMM */
		memset(fx, 0, sizeof(fx));
		memcpy(fx, &c->init.fcw, 2);
		memcpy(fx + 2, &c->init.fsw, 2);
		fx[4] = c->init.ftw;
		for (int i = 0; i < 8; i++)
			memcpy(fx + 32 + 16 * i, c->init.st[i], 10);
		memcpy(fx + 24, &c->init.mxcsr, 4);
		memcpy(fx + 160, c->init.xmm, sizeof(c->init.xmm));
		alarm(5);
		if (c->compat)
			x86diff_native_enter32(frame, fx);
		x86diff_native_enter(frame, fx);
	}
	_exit(0);
}

static void x86diff_server_stop(void)
{
	if (x86diff_server_pid > 0) {
		close(x86diff_cmd_fd);
		kill(x86diff_server_pid, SIGKILL);
		while (waitpid(x86diff_server_pid, NULL, 0) < 0 &&
		       errno == EINTR)
			;
	}
	x86diff_server_pid = 0;
	x86diff_cmd_fd = x86diff_done_fd = -1;
}

static int x86diff_server_start(void)
{
	int sv[2];
	pid_t pid;

	if (!x86diff_sh) {
		x86diff_sh =
		    mmap(NULL, sizeof(*x86diff_sh), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (x86diff_sh == MAP_FAILED) {
			x86diff_sh = NULL;
			return -1;
		}
	}
	/* a socket, not a pipe: send() to a dead child must not SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		x86diff_server(x86diff_sh, sv[1], sv[1]);
	}
	close(sv[1]);
	x86diff_server_pid = pid;
	x86diff_cmd_fd = x86diff_done_fd = sv[0];
	return 0;
}

int x86diff_run_native(const struct x86diff_case *c, struct x86diff_result *r)
{
	struct pollfd pfd;
	char b;

	memset(r, 0, sizeof(*r));
	r->end = X86DIFF_END_ERROR;
	r->vector = -1;
	if (x86diff_server_pid <= 0 && x86diff_server_start()) {
		snprintf(r->msg, sizeof(r->msg), "native: cannot start: %s",
			 strerror(errno));
		return -1;
	}
	memcpy(&x86diff_sh->c, c, sizeof(*c));
	memset(&x86diff_sh->r, 0, sizeof(x86diff_sh->r));
	x86diff_sh->r.end = X86DIFF_END_ERROR;
	x86diff_sh->r.vector = -1;
	pfd.fd = x86diff_done_fd;
	pfd.events = POLLIN;
	if (send(x86diff_cmd_fd, "r", 1, MSG_NOSIGNAL) != 1 ||
	    poll(&pfd, 1, 20000) != 1 || read(x86diff_done_fd, &b, 1) != 1) {
		/* the child died or hung: report, restart next time */
		memcpy(r, &x86diff_sh->r, sizeof(*r));
		r->end = X86DIFF_END_ERROR;
		if (!r->msg[0])
			snprintf(r->msg, sizeof(r->msg),
				 "native: the child died");
		x86diff_server_stop();
		return 0;
	}
	memcpy(r, &x86diff_sh->r, sizeof(*r));
	return 0;
}

uint32_t x86diff_host_classes(char *why, size_t whylen)
{
	unsigned a, b, c, d, c1 = 0, b7 = 0, ce = 0, vendor[3] = {0};
	uint32_t mask = X86DIFF_ALL_CLASSES;
	struct x86diff_case *t;
	struct x86diff_result *r;
	size_t n = 0;

	if (why && whylen)
		why[0] = 0;
#define X86DIFF_DROP(cls, text)                                                \
	do {                                                                   \
		mask &= ~(1u << (cls));                                        \
		if (why && n < whylen)                                         \
			n += (size_t)snprintf(why + n, whylen - n, "%s%s",     \
					      n ? ", " : "", text);            \
	} while (0)

	if (__get_cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]) &&
	    __get_cpuid(1, &a, &b, &c, &d))
		c1 = c;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		b7 = b;
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		ce = c;
	if (!(c1 & (1u << 23)) || !(c1 & (1u << 22)) || !(ce & (1u << 5)) ||
	    !(b7 & (1u << 23)))
		X86DIFF_DROP(X86DIFF_C_EXTRA,
			     "extra (popcnt/movbe/lzcnt/clflushopt)");
	if (!(c1 & 1))
		X86DIFF_DROP(X86DIFF_C_X87, "x87 (fisttp needs SSE3)");
	if (memcmp(vendor, "GenuineIntel", 12))
		X86DIFF_DROP(X86DIFF_C_BCD, "bcd (not an Intel host)");

	/* 32-bit code: Linux without IA32 emulation has no usable 0x23 */
	t = malloc(sizeof(*t));
	r = malloc(sizeof(*r));
	if (t && r) {
		static const uint8_t nop_byte[] = {0x90};
		static const struct x86diff_fixed nop = {
		    .name = "probe", .bytes = nop_byte, .len = 1};

		x86diff_from_bytes(t, &nop, 0);
		t->compat = true;
		if (x86diff_run_native(t, r) || r->end != X86DIFF_END_MARKER)
			X86DIFF_DROP(X86DIFF_C_COMPAT,
				     "compat32 (no 32-bit user code segment)");
	}
	free(t);
	free(r);
#undef X86DIFF_DROP
	return mask;
}
