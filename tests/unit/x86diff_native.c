// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff native runner: the host CPU is the oracle.
 *
 * A forked child maps the code and data at the same fixed addresses the
 * core uses, loads every GPR and RFLAGS from the case through a small
 * trampoline and jumps to the sequence. The sequence ends in INT3; its
 * SIGTRAP (or the SIGFPE of a #DE, or any other fault) hands the final
 * registers to a handler through the signal frame, which copies them and
 * the data buffer to shared memory and exits. A crash or hang of the
 * child costs one case, never the test process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "x86diff.h"

void x86diff_native_enter(const uint64_t *frame) __attribute__((noreturn));

/*
 * frame: rax rcx rdx rbx rbp rsi rdi r8..r15, rflags, rsp. RSP is loaded
 * last, then the jump goes through a constant so no register is needed.
 */
__asm__(".pushsection .text\n"
	".globl x86diff_native_enter\n"
	".type x86diff_native_enter,@function\n"
	"x86diff_native_enter:\n"
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
	".popsection\n");

_Static_assert(X86DIFF_CODE_ADDR == 0x10000000, "trampoline target");

/* Only ever set in the forked child. */
static struct x86diff_result *x86diff_child_out;
static uint32_t x86diff_child_end;

static void x86diff_child_signal(int sig, siginfo_t *si, void *ctx)
{
	static const int map[16] = {
	    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
	    REG_RSI, REG_RDI, REG_R8,  REG_R9,	REG_R10, REG_R11,
	    REG_R12, REG_R13, REG_R14, REG_R15,
	};
	ucontext_t *uc = ctx;
	struct x86diff_result *r = x86diff_child_out;
	const greg_t *gr = uc->uc_mcontext.gregs;

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
	if (sig == SIGTRAP) {
		/* INT3 is a trap: RIP is past it */
		r->regs.rip--;
		if (r->regs.rip == X86DIFF_CODE_ADDR + x86diff_child_end)
			r->end = X86DIFF_END_MARKER;
	}
	if (r->end == X86DIFF_END_MARKER)
		r->vector = -1;
	memcpy(r->data, (void *)X86DIFF_DATA_ADDR, X86DIFF_DATA_SIZE);
	_exit(0);
}

static void __attribute__((noreturn))
x86diff_child(const struct x86diff_case *c, struct x86diff_result *out)
{
	static const int sigs[] = {SIGTRAP, SIGFPE, SIGILL, SIGBUS, SIGSEGV};
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	struct sigaction sa;
	stack_t ss;
	uint64_t frame[18];
	void *code, *data;

	alarm(10);
	x86diff_child_out = out;
	x86diff_child_end = c->len;
	code = mmap((void *)X86DIFF_CODE_ADDR, X86DIFF_CODE_SIZE,
		    PROT_READ | PROT_WRITE, flags, -1, 0);
	data = mmap((void *)X86DIFF_DATA_ADDR, X86DIFF_DATA_SIZE,
		    PROT_READ | PROT_WRITE, flags, -1, 0);
	if (code != (void *)X86DIFF_CODE_ADDR ||
	    data != (void *)X86DIFF_DATA_ADDR) {
		snprintf(out->msg, sizeof(out->msg),
			 "native: cannot map the fixed code/data: %s",
			 strerror(errno));
		_exit(2);
	}
	memcpy(code, c->code, X86DIFF_CODE_SIZE);
	memcpy(code + c->len, "\xcc", 1);
	if (c->entry >= 5) {
		/* the trampoline enters at offset 0: jmp rel32 to the entry */
		int32_t rel = (int32_t)c->entry - 5;

		memcpy(code, "\xe9", 1);
		memcpy(code + 1, &rel, 4);
	}
	memcpy(data, c->data, X86DIFF_DATA_SIZE);
	if (mprotect(code, X86DIFF_CODE_SIZE, PROT_READ | PROT_EXEC)) {
		snprintf(out->msg, sizeof(out->msg), "native: mprotect: %s",
			 strerror(errno));
		_exit(2);
	}
	ss.ss_sp = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ss.ss_size = 1 << 16;
	ss.ss_flags = 0;
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL)) {
		snprintf(out->msg, sizeof(out->msg), "native: sigaltstack");
		_exit(2);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = x86diff_child_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

	static const int order[15] = {0, 1,  2,	 3,  5,	 6,  7, 8,
				      9, 10, 11, 12, 13, 14, 15};
	for (int i = 0; i < 15; i++)
		frame[i] = c->init.gpr[order[i]];
	frame[15] = c->init.rflags;
	frame[16] = c->init.gpr[4];
	frame[17] = 0;
	x86diff_native_enter(frame);
}

int x86diff_run_native(const struct x86diff_case *c, struct x86diff_result *r)
{
	struct x86diff_result *shared;
	int status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->end = X86DIFF_END_ERROR;
	r->vector = -1;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		snprintf(r->msg, sizeof(r->msg), "native: mmap: %s",
			 strerror(errno));
		return -1;
	}
	memset(shared, 0, sizeof(*shared));
	shared->end = X86DIFF_END_ERROR;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(r->msg, sizeof(r->msg), "native: fork: %s",
			 strerror(errno));
		munmap(shared, sizeof(*shared));
		return -1;
	}
	if (pid == 0)
		x86diff_child(c, shared);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	memcpy(r, shared, sizeof(*r));
	munmap(shared, sizeof(*shared));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r->end = X86DIFF_END_ERROR;
		if (!r->msg[0])
			snprintf(r->msg, sizeof(r->msg),
				 "native: child died (status %#x)", status);
	}
	return 0;
}
