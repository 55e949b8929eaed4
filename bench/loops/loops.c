// SPDX-License-Identifier: MIT
/*
 * bench/loops: guest-instruction throughput loops for the speed comparison
 * of kvmini --backend soft, QEMU TCG and --backend kvm (bench/loops/run.sh).
 * One source, built three times (-DLOOP_ALU, -DLOOP_MEM, -DLOOP_CALL).
 *
 * The timed part is one asm block run at CPL3 (rt_user_call), so on a
 * kvm_pvm host it runs natively as host user code. Its instruction count
 * is known by construction: SETUP + BODY * n, printed as "insns=". What runs
 * around it (boot, printing) does not depend on n and cancels when run.sh
 * subtracts two runs with different n.
 *
 * Command line: n=N iterations (default 1000000, at least 1). Ends with a
 * write of 0 to port 0xf4 from ring 0 (status 1).
 */
#include "rt.h"

static uint8_t ustack[16384] __attribute__((aligned(16)));

#if defined(LOOP_ALU)
#define NAME "alu"
/*
 * Register-only integer work with dependent chains (each result feeds the
 * next instruction): add/xor/rol/sub/lea/and/or/shr/imul/not/adc/cmp/cmov.
 */
#define SETUP 5
#define BODY  16
static unsigned long run(unsigned long n)
{
	unsigned long a, d;
	__asm__ volatile("mov %[n], %%rcx\n\t"
			 "mov $0x12345, %%eax\n\t"
			 "mov $0x6789, %%edx\n\t"
			 "mov $3, %%r8d\n\t"
			 "xor %%r10d, %%r10d\n\t"
			 "1:\n\t"
			 "add %%r8, %%rax\n\t"
			 "xor %%rax, %%rdx\n\t"
			 "rol $5, %%rax\n\t"
			 "sub %%rdx, %%r8\n\t"
			 "lea 1(%%rax,%%rdx,2), %%r9\n\t"
			 "and %%r9, %%r10\n\t"
			 "or %%rax, %%r10\n\t"
			 "shr $3, %%r9\n\t"
			 "imul %%r9, %%rdx\n\t"
			 "add %%r10, %%rax\n\t"
			 "not %%r8\n\t"
			 "adc %%rdx, %%r8\n\t"
			 "cmp %%rax, %%r9\n\t"
			 "cmovb %%r9, %%r11\n\t"
			 "dec %%rcx\n\t"
			 "jnz 1b\n\t"
			 : "=&a"(a), "=&d"(d)
			 : [n] "r"(n)
			 : "rcx", "r8", "r9", "r10", "r11", "cc");
	return a ^ d;
}

#elif defined(LOOP_MEM)
#define NAME	 "mem"
/*
 * Loads and stores over a 1 MiB buffer mapped with 4 KiB pages (256 pages,
 * more than a small TLB holds): one stream with a 264-byte stride and one
 * with a 4160-byte stride (a new page on every access); 2 loads + 2 stores
 * per iteration.
 */
#define BUF_SIZE (1u << 20)
#define MASK	 "0xffff8" /* offsets stay 8-aligned and inside the buffer */
#define SETUP	 5
#define BODY	 12
static uint8_t buf[BUF_SIZE + 64] __attribute__((aligned(0x200000)));
static uint64_t buf_pt[512] __attribute__((aligned(4096)));

/* Replace the 2 MiB page holding buf with 512 4 KiB pages (P|RW|US). */
static void map_buf_4k(void)
{
	uint64_t base = (uint64_t)(uintptr_t)buf;
	unsigned i;

	for (i = 0; i < 512; i++)
		buf_pt[i] = (base + (uint64_t)i * 4096) | 7;
	rt_pd[base >> 21] = (uint64_t)(uintptr_t)buf_pt | 7;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::
			     : "rax", "memory");
}

static unsigned long run(unsigned long n)
{
	unsigned long sum;
	__asm__ volatile("mov %[n], %%rcx\n\t"
			 "mov %[buf], %%rsi\n\t"
			 "xor %%edx, %%edx\n\t"
			 "mov $2048, %%r8d\n\t"
			 "xor %%ebx, %%ebx\n\t"
			 "1:\n\t"
			 "mov (%%rsi,%%rdx), %%rax\n\t"
			 "add %%rax, %%rbx\n\t"
			 "mov %%rbx, 8(%%rsi,%%rdx)\n\t"
			 "add $264, %%rdx\n\t"
			 "and $" MASK ", %%rdx\n\t"
			 "mov (%%rsi,%%r8), %%r9\n\t"
			 "add %%r9, %%rbx\n\t"
			 "mov %%rcx, 16(%%rsi,%%r8)\n\t"
			 "add $4160, %%r8\n\t"
			 "and $" MASK ", %%r8\n\t"
			 "dec %%rcx\n\t"
			 "jnz 1b\n\t"
			 : "=&b"(sum)
			 : [n] "r"(n), [buf] "r"(buf)
			 : "rax", "rcx", "rdx", "rsi", "r8", "r9", "cc",
			   "memory");
	return sum;
}

#elif defined(LOOP_CALL)
#define NAME  "call"
/*
 * Calls and returns: each iteration walks a binary call tree of depth
 * DEPTH (2^(DEPTH+1) - 1 calls). tree(d) runs 3 instructions at d = 0 and
 * 7 + 2 * tree(d - 1) above, so I(d) = 10 * 2^d - 7; the outer loop adds
 * mov, call, dec, jnz.
 */
#define DEPTH 8
#define SETUP 3 /* mov n; jmp to the end; mov of the result */
#define BODY  (4 + 10 * (1 << DEPTH) - 7)
static unsigned long run(unsigned long n)
{
	unsigned long left;
	__asm__ volatile("mov %[n], %%rcx\n\t"
			 "1:\n\t"
			 "mov %[depth], %%edi\n\t"
			 "call 2f\n\t"
			 "dec %%rcx\n\t"
			 "jnz 1b\n\t"
			 "jmp 4f\n\t"
			 /* tree(rdi): leaves rdi unchanged */
			 "2:\n\t"
			 "test %%rdi, %%rdi\n\t"
			 "jz 3f\n\t"
			 "dec %%rdi\n\t"
			 "call 2b\n\t"
			 "call 2b\n\t"
			 "inc %%rdi\n\t"
			 "3:\n\t"
			 "ret\n\t"
			 "4:\n\t"
			 "mov %%rcx, %[left]\n\t"
			 : [left] "=r"(left)
			 : [n] "r"(n), [depth] "i"(DEPTH)
			 : "rcx", "rdi", "cc", "memory");
	return left;
}
#else
#error "build with -DLOOP_ALU, -DLOOP_MEM or -DLOOP_CALL"
#endif

/*
 * kvm_pvm runs ring 3 as host user mode and turns the trampoline's INT 0x80
 * into #UD (guests/cpl3.pvm): take that #UD as the way back to ring 0, by
 * returning into the runtime's INT 0x80 entry at CPL0 (RAX = the result).
 */
void rt_int80_entry(void);
static void ud_from_user(struct rt_frame *f)
{
	if ((f->cs & 3) != 3)
		rt_fail(6, "#UD at cpl 0, ip %lx", (unsigned long)f->ip);
	f->ip = (uint64_t)(uintptr_t)rt_int80_entry;
	f->cs = RT_KCODE;
	f->ss = RT_KDATA;
	f->flags = 2;
}

int main(void)
{
	unsigned long n = rt_cmdline_ulong("n", 1000000);
	unsigned long r;

	if (n == 0)
		n = 1; /* the loops count down with dec/jnz */
#ifdef LOOP_MEM
	map_buf_4k();
#endif
	rt_user_init();
	rt_set_handler(6, ud_from_user);
	r = rt_user_call(run, n, ustack + sizeof(ustack), RT_USER_INT80);
	rt_printf("loop %s: n=%lu body=%u insns=%lu result=%lx\n", NAME, n,
		  (unsigned)BODY, (unsigned long)SETUP + BODY * n, r);
	outb(RT_EXIT_PORT, 0);
	rt_exit(1); /* not reached when the exit port is there */
}
