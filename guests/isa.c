// SPDX-License-Identifier: MIT
/*
 * isa32 / isa64: integer ISA self-check. Each check runs one instruction
 * (or a short sequence) on chosen inputs with chosen incoming flags, and
 * compares the result and RFLAGS (captured by PUSHF) with constants: the
 * architectural result, as real silicon computes it. Flags the SDM calls
 * undefined for an instruction are masked out (AF after logic and shifts,
 * OF after multi-bit shifts/rotates, SF/ZF/AF/PF after MUL/IMUL, ...), so
 * two correct CPUs cannot disagree.
 *
 * The constants were checked on the host CPU natively: built with
 * -DISA_HOST this file is an ordinary Linux program (no IDT checks),
 * 64-bit with libc, or 32-bit without (tests/guest/isa_host32.c supplies
 * _start and rt_putc); see tests/guest/t_isa_host.sh. The guests were also
 * run on QEMU TCG and, where the host allows, on KVM.
 *
 * #DE through the IDT is checked in isa64 only: returning from the handler
 * takes an IRET, which some hosts' KVM (kvm_pvm) cannot emulate in 32-bit
 * mode, and isa32 should run everywhere; exceptions32 has the 32-bit #DE
 * cases.
 *
 * Output: one line per group, then "isa: all N checks passed".
 */
#if defined(ISA_HOST) && !defined(ISA_HOST_NOLIBC)
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#define rt_printf  printf
#define rt_puts(s) fputs(s, stdout)
#else
#include "rt.h"
#endif

typedef unsigned long ul;
#ifdef __x86_64__
#define SP    "rsp"
#define AX    "rax"
#define DX    "rdx"
#define PTRSZ "8"
#else
#define SP    "esp"
#define AX    "eax"
#define DX    "edx"
#define PTRSZ "4"
#endif

#define CF   0x001ul
#define PF   0x004ul
#define AF   0x010ul
#define ZF   0x040ul
#define SF   0x080ul
#define DF   0x400ul
#define OF   0x800ul
#define ALL  (CF | PF | AF | ZF | SF | OF)
#define NOAF (CF | PF | ZF | SF | OF)
#define SZPC (CF | PF | ZF | SF)
#define CO   (CF | OF)
#define FIN1 (ALL | 2) /* all status flags set on the way in */
#define FIN0 2ul

static int checks, failures, group_checks, group_failures;

static void t(const char *name, ul r, ul want_r, ul f, ul want_f, ul mask)
{
	checks++;
	group_checks++;
	if (r == want_r && (f & mask) == (want_f & mask))
		return;
	failures++;
	group_failures++;
	rt_printf("  FAIL %s: got %lx flags %lx, want %lx flags %lx (mask "
		  "%lx)\n",
		  name, r, f & mask, want_r, want_f & mask, mask);
}

static void v(const char *name, ul got, ul want)
{
	t(name, got, want, 0, 0, 0);
}

static void group_end(const char *name)
{
	if (group_failures)
		rt_printf("isa: %s: %d of %d checks FAILED\n", name,
			  group_failures, group_checks);
	else
		rt_printf("isa: %s: %d checks ok\n", name, group_checks);
	group_checks = group_failures = 0;
}

/* r = a; flags = fin; insn (with %[r], %[b]); result r and flags */
#define T2(name, insn, A_, B_, fin, want_r, want_f, mask)                      \
	do {                                                                   \
		ul r_ = (A_), f_ = (fin);                                      \
		__asm__ volatile("push %[f]\n\tpopf\n\t" insn                  \
				 "\n\tpushf\n\tpop %[f]"                       \
				 : [r] "+q"(r_), [f] "+r"(f_)                  \
				 : [b] "q"((ul)(B_))                           \
				 : "cc", "memory");                            \
		t(name, r_, want_r, f_, want_f, mask);                         \
	} while (0)
/* same with a count in CL */
#define TC(name, insn, A_, B_, cnt, fin, want_r, want_f, mask)                 \
	do {                                                                   \
		ul r_ = (A_), f_ = (fin);                                      \
		__asm__ volatile("push %[f]\n\tpopf\n\t" insn                  \
				 "\n\tpushf\n\tpop %[f]"                       \
				 : [r] "+q"(r_), [f] "+r"(f_)                  \
				 : [b] "q"((ul)(B_)), "c"((ul)(cnt))           \
				 : "cc", "memory");                            \
		t(name, r_, want_r, f_, want_f, mask);                         \
	} while (0)
/* one-operand MUL/DIV family: (d:a) op src -> (d:a) */
#define TAD(name, insn, A_, D_, src, want_a, want_d, want_f, mask)             \
	do {                                                                   \
		ul a_ = (A_), d_ = (D_), f_ = FIN0;                            \
		__asm__ volatile("push %[f]\n\tpopf\n\t" insn                  \
				 "\n\tpushf\n\tpop %[f]"                       \
				 : "+a"(a_), "+d"(d_), [f] "+r"(f_)            \
				 : [s] "q"((ul)(src))                          \
				 : "cc");                                      \
		t(name " (a)", a_, want_a, f_, want_f, mask);                  \
		v(name " (d)", d_, want_d);                                    \
	} while (0)

static void arith(void)
{
	T2("addl max+1", "addl %k[b], %k[r]", 0x7fffffff, 1, FIN0, 0x80000000,
	   OF | SF | AF | PF, ALL);
	T2("addl -1+1", "addl %k[b], %k[r]", 0xffffffff, 1, FIN0, 0,
	   CF | ZF | AF | PF, ALL);
	T2("addb 80+80 keeps bits 8+", "addb %b[b], %b[r]", 0x12345680, 0x80,
	   FIN1, 0x12345600, CF | OF | ZF | PF, ALL);
	T2("addw", "addw %w[b], %w[r]", 0x1234, 0x4321, FIN1, 0x5555, PF, ALL);
	T2("adcl CF=1", "adcl %k[b], %k[r]", 0xfffffffe, 1, FIN0 | CF, 0,
	   CF | ZF | AF | PF, ALL);
	T2("adcb CF=1", "adcb %b[b], %b[r]", 0x7f, 0, FIN0 | CF, 0x80,
	   OF | SF | AF, ALL);
	T2("subl 0-1", "subl %k[b], %k[r]", 0, 1, FIN0, 0xffffffff,
	   CF | SF | AF | PF, ALL);
	T2("subl min-1", "subl %k[b], %k[r]", 0x80000000, 1, FIN0, 0x7fffffff,
	   OF | AF | PF, ALL);
	T2("subw min-1", "subw %w[b], %w[r]", 0x8000, 1, FIN0, 0x7fff,
	   OF | AF | PF, ALL);
	T2("sbbl CF=1", "sbbl %k[b], %k[r]", 5, 3, FIN1, 1, 0, ALL);
	T2("sbbb 0-0-CF", "sbbb %b[b], %b[r]", 0, 0, FIN0 | CF, 0xff,
	   CF | SF | AF | PF, ALL);
	T2("cmpl 3,5", "cmpl %k[b], %k[r]", 3, 5, FIN0, 3, CF | SF | AF, ALL);
	T2("cmpl eq", "cmpl %k[b], %k[r]", 77, 77, FIN0, 77, ZF | PF, ALL);
	T2("negl 0", "negl %k[r]", 0, 0, FIN1, 0, ZF | PF, ALL);
	T2("negl min", "negl %k[r]", 0x80000000, 0, FIN0, 0x80000000,
	   CF | OF | SF | PF, ALL);
	T2("negb 1", "negb %b[r]", 1, 0, FIN0, 0xff, CF | SF | AF | PF, ALL);
	T2("incl max keeps CF", "incl %k[r]", 0x7fffffff, 0, FIN0 | CF,
	   0x80000000, CF | OF | SF | AF | PF, ALL);
	T2("decl 0 keeps CF", "decl %k[r]", 0, 0, FIN0, 0xffffffff,
	   SF | AF | PF, ALL);
	T2("incb ff keeps CF", "incb %b[r]", 0xff, 0, FIN0 | CF, 0,
	   CF | ZF | AF | PF, ALL);
#ifdef __x86_64__
	T2("addq max+1", "addq %[b], %[r]", 0x7fffffffffffffff, 1, FIN0,
	   0x8000000000000000, OF | SF | AF | PF, ALL);
	T2("subq 0-1", "subq %[b], %[r]", 0, 1, FIN0, 0xffffffffffffffff,
	   CF | SF | AF | PF, ALL);
	T2("adcq carry chain", "adcq %[b], %[r]", 0xffffffffffffffff, 0,
	   FIN0 | CF, 0, CF | ZF | AF | PF, ALL);
	T2("addl zero-extends", "addl %k[b], %k[r]", 0xffffffff00000001, 1,
	   FIN0, 2, 0, ALL);
	T2("addw keeps bits 16+", "addw %w[b], %w[r]", 0xffffffff0000ffff, 1,
	   FIN0, 0xffffffff00000000, CF | ZF | AF | PF, ALL);
	T2("negq min", "negq %[r]", 0x8000000000000000, 0, FIN0,
	   0x8000000000000000, CF | OF | SF | PF, ALL);
#endif
	group_end("arith");
}

static void logic(void)
{
	T2("andl", "andl %k[b], %k[r]", 0xf0f0f0f0, 0x0ff00ff0, FIN1,
	   0x00f000f0, PF, NOAF);
	T2("orl", "orl %k[b], %k[r]", 0x80000000, 1, FIN1, 0x80000001, SF,
	   NOAF);
	T2("xorl self", "xorl %k[r], %k[r]", 0x1234, 0, FIN1, 0, ZF | PF, NOAF);
	T2("testb", "testb %b[b], %b[r]", 0x80, 0x80, FIN1, 0x80, SF, NOAF);
	T2("notl keeps flags", "notl %k[r]", 0x0f0f0f0f, 0, FIN1, 0xf0f0f0f0,
	   ALL, ALL);
	T2("orb 8-bit high", "orb %b[b], %b[r]", 0xff00, 0x01, FIN1, 0xff01, 0,
	   NOAF);
#ifdef __x86_64__
	T2("andq", "andq %[b], %[r]", 0x8000000000000001, 0xffffffff00000001,
	   FIN0, 0x8000000000000001, SF, NOAF);
	T2("xorl zero-extends", "xorl %k[b], %k[r]", 0xffffffffffffffff, 0,
	   FIN0, 0xffffffff, PF | SF, NOAF);
#endif
	group_end("logic");
}

static void shifts(void)
{
	T2("shll 1", "shll $1, %k[r]", 0x80000001, 0, FIN0, 2, CF | OF, NOAF);
	T2("shll 4", "shll $4, %k[r]", 0x12345678, 0, FIN0, 0x23456780, CF,
	   SZPC);
	TC("shll cl=0 keeps flags", "shll %%cl, %k[r]", 0x1234, 0, 0, FIN1,
	   0x1234, ALL, ALL);
	TC("shll cl=33 is 1", "shll %%cl, %k[r]", 0x80000001, 0, 33, FIN0, 2,
	   CF | OF, NOAF);
	T2("shrl 1", "shrl $1, %k[r]", 0x80000001, 0, FIN0, 0x40000000,
	   CF | OF | PF, NOAF);
	T2("sarl 1", "sarl $1, %k[r]", 0x80000001, 0, FIN0, 0xc0000000,
	   CF | SF | PF, NOAF);
	T2("sarl 31", "sarl $31, %k[r]", 0x80000000, 0, FIN0, 0xffffffff,
	   SF | PF, SZPC);
	T2("shrb 3", "shrb $3, %b[r]", 0xff, 0, FIN0, 0x1f, CF, SZPC);
	T2("sarw 4", "sarw $4, %w[r]", 0x8008, 0, FIN0, 0xf800, CF | SF | PF,
	   SZPC);
	T2("roll 1", "roll $1, %k[r]", 0x80000000, 0, FIN0, 1, CF | OF, CO);
	T2("rorl 4", "rorl $4, %k[r]", 0x12345678, 0, FIN0, 0x81234567, CF, CF);
	T2("rorl 1", "rorl $1, %k[r]", 1, 0, FIN0, 0x80000000, CF | OF, CO);
	TC("rolb cl=0 keeps flags", "rolb %%cl, %b[r]", 0x81, 0, 0, FIN1, 0x81,
	   ALL, ALL);
	TC("rolb cl=9", "rolb %%cl, %b[r]", 0x81, 0, 9, FIN0, 0x03, CF, CF);
	T2("rclb 1 CF=1", "rclb $1, %b[r]", 0x80, 0, FIN0 | CF, 0x01, CF | OF,
	   CO);
	T2("rcll 1 CF=0", "rcll $1, %k[r]", 0x80000000, 0, FIN0, 0, CF | OF,
	   CO);
	T2("rcrl 1 CF=1", "rcrl $1, %k[r]", 1, 0, FIN0 | CF, 0x80000000,
	   CF | OF, CO);
	T2("rclb 3 CF=1", "rclb $3, %b[r]", 0x81, 0, FIN0 | CF, 0x0e, 0, CF);
	T2("rcrb 3 CF=0", "rcrb $3, %b[r]", 0x81, 0, FIN0, 0x50, 0, CF);
	TC("rclw cl=17 is 0", "rclw %%cl, %w[r]", 0x1234, 0, 17, FIN0 | CF,
	   0x1234, CF, CF);
	TC("rcrb cl=9 is 0", "rcrb %%cl, %b[r]", 0x5a, 0, 9, FIN0, 0x5a, 0, CF);
	T2("shldl 4", "shldl $4, %k[b], %k[r]", 0x12345678, 0xabcdef01, FIN0,
	   0x2345678a, CF, SZPC);
	T2("shrdl 8", "shrdl $8, %k[b], %k[r]", 0x12345678, 0xabcdef01, FIN1,
	   0x01123456, PF, SZPC);
	T2("shldl 1", "shldl $1, %k[b], %k[r]", 0x40000000, 0x80000000, FIN0,
	   0x80000001, OF | SF, NOAF);
	TC("shldl cl=0 keeps flags", "shldl %%cl, %k[b], %k[r]", 0x1234, 0xff,
	   0, FIN1, 0x1234, ALL, ALL);
	T2("shrdw 4", "shrdw $4, %w[b], %w[r]", 0x1234, 0xabcd, FIN0, 0xd123,
	   SF, SZPC);
#ifdef __x86_64__
	T2("shlq 63", "shlq $63, %[r]", 1, 0, FIN0, 0x8000000000000000, SF | PF,
	   SZPC);
	TC("shlq cl=64 is 0", "shlq %%cl, %[r]", 5, 0, 64, FIN1, 5, ALL, ALL);
	T2("rolq 8", "rolq $8, %[r]", 0x0123456789abcdef, 0, FIN0,
	   0x23456789abcdef01, CF, CF);
	T2("shrdq 4", "shrdq $4, %[b], %[r]", 0x0123456789abcdef, 0xf, FIN0,
	   0xf0123456789abcde, CF | SF | PF, SZPC);
	T2("sarq 1", "sarq $1, %[r]", 0x8000000000000000, 0, FIN0,
	   0xc000000000000000, SF | PF, NOAF);
#endif
	group_end("shifts");
}

#if !defined(ISA_HOST) && defined(__x86_64__)
/* #DE through the IDT: the handler records it and resumes after DIV */
static volatile uintptr_t de_resume;
static volatile int de_hits;
static void de_handler(struct rt_frame *f)
{
	de_hits++;
	f->ip = de_resume;
}
#ifdef __x86_64__
#define MOVP "movq"
#else
#define MOVP "movl"
#endif
#define TDE(name, insn, A_, D_, src)                                           \
	do {                                                                   \
		ul a_ = (A_), d_ = (D_);                                       \
		de_hits = 0;                                                   \
		__asm__ volatile(MOVP " $1f, %[res]\n\t" insn "\n1:"           \
				 : "+a"(a_), "+d"(d_), [res] "=m"(de_resume)   \
				 : [s] "q"((ul)(src))                          \
				 : "cc");                                      \
		v(name " raises #DE", de_hits, 1);                             \
		v(name " leaves rax", a_, (ul)(A_));                           \
	} while (0)
#endif

static void muldiv(void)
{
	TAD("mull 2^31*2", "mull %k[s]", 0x80000000, 0, 2, 0, 1, CO, CO);
	TAD("mull 3*5", "mull %k[s]", 3, 0xdead, 5, 15, 0, 0, CO);
	TAD("imull -2*3", "imull %k[s]", 0xfffffffe, 0, 3, 0xfffffffa,
	    0xffffffff, 0, CO);
	TAD("mulb 80*2", "mulb %b[s]", 0x80, 0, 2, 0x100, 0, CO, CO);
	TAD("divl", "divl %k[s]", 5, 1, 0x10, 0x10000000, 5, 0, 0);
	TAD("idivl -7/2", "idivl %k[s]", 0xfffffff9, 0xffffffff, 2, 0xfffffffd,
	    0xffffffff, 0, 0);
	TAD("divb", "divb %b[s]", 0x0100, 0, 0x10, 0x0010, 0, 0, 0);
	TAD("idivw -1000/7", "idivw %w[s]", 0xfc18, 0xffff, 7, 0xff72, 0xfffa,
	    0, 0);
	T2("imull 2op overflow", "imull %k[b], %k[r]", 0x10000, 0x10000, FIN0,
	   0, CO, CO);
	T2("imull 3op imm", "imull $-3, %k[b], %k[r]", 0, 7, FIN1, 0xffffffeb,
	   0, CO);
	T2("imulw 2op overflow", "imulw %w[b], %w[r]", 0x4000, 2, FIN0, 0x8000,
	   CO, CO);
#ifdef __x86_64__
	TAD("mulq max*max", "mulq %[s]", 0xffffffffffffffff, 0,
	    0xffffffffffffffff, 1, 0xfffffffffffffffe, CO, CO);
	TAD("imulq -1*min", "imulq %[s]", 0xffffffffffffffff, 0,
	    0x8000000000000000, 0x8000000000000000, 0, CO, CO);
	TAD("divq 2^64/3", "divq %[s]", 0, 1, 3, 0x5555555555555555, 1, 0, 0);
	TAD("idivq", "idivq %[s]", 0xfffffffffffffff6, 0xffffffffffffffff, 3,
	    0xfffffffffffffffd, 0xffffffffffffffff, 0, 0);
#endif
#if !defined(ISA_HOST) && defined(__x86_64__)
	rt_set_handler(0, de_handler);
	TDE("divl by 0", "divl %k[s]", 1, 0, 0);
	TDE("divl quotient overflow", "divl %k[s]", 0, 2, 1);
	TDE("idivl min/-1", "idivl %k[s]", 0x80000000, 0xffffffff, 0xffffffff);
	TDE("idivb -128/-1", "idivb %b[s]", 0xff80, 0, 0xff);
	rt_set_handler(0, 0);
#endif
	group_end("muldiv");
}

static void strings(void)
{
	char src[24] = "abcdefghijklmnop", dst[24];
	void *s, *d;
	ul c, f;

	memset(dst, 0, sizeof(dst));
	s = src, d = dst, c = 16;
	__asm__ volatile("cld; rep movsb"
			 : "+S"(s), "+D"(d), "+c"(c)
			 :
			 : "memory");
	v("rep movsb copies", memcmp(dst, src, 16) == 0, 1);
	v("rep movsb rsi", (ul)((char *)s - src), 16);
	v("rep movsb rcx", c, 0);

	memset(dst, 0, sizeof(dst));
	s = src + 12, d = dst + 12, c = 4;
	__asm__ volatile("std; rep movsl; cld"
			 : "+S"(s), "+D"(d), "+c"(c)
			 :
			 : "memory");
	v("rep movsl DF=1 copies", memcmp(dst, src, 16) == 0, 1);
	v("rep movsl DF=1 rdi", (ul)((char *)d - dst), (ul)-4);

	char ov[12] = "0123456789";
	s = ov + 7, d = ov + 9, c = 8;
	__asm__ volatile("std; rep movsb; cld"
			 : "+S"(s), "+D"(d), "+c"(c)
			 :
			 : "memory");
	v("overlapping movsb DF=1", memcmp(ov, "0101234567", 10) == 0, 1);

	uint16_t w[6] = {0, 0, 0, 0, 0, 0x7777};
	d = w, c = 5;
	__asm__ volatile("cld; rep stosw"
			 : "+D"(d), "+c"(c)
			 : "a"(0xabcd)
			 : "memory");
	v("rep stosw", w[0] == 0xabcd && w[4] == 0xabcd && w[5] == 0x7777, 1);

	const char *h1 = "hello world", *h2 = "hello_world";
	s = (void *)h1, d = (void *)h2, c = 11;
	__asm__ volatile("cld; repe cmpsb; pushf; pop %[f]"
			 : "+S"(s), "+D"(d), "+c"(c), [f] "=r"(f)
			 :
			 : "cc", "memory");
	v("repe cmpsb rcx", c, 5);
	v("repe cmpsb stops after mismatch", (ul)((const char *)s - h1), 6);
	t("repe cmpsb flags", 0, 0, f, CF | SF, SZPC); /* ' ' - '_' = 0xc1 */

	d = (void *)h1, c = 11;
	__asm__ volatile("cld; repne scasb; pushf; pop %[f]"
			 : "+D"(d), "+c"(c), [f] "=r"(f)
			 : "a"('w')
			 : "cc", "memory");
	v("repne scasb rcx", c, 4);
	v("repne scasb rdi", (ul)((const char *)d - h1), 7);
	t("repne scasb ZF", 0, 0, f, ZF, ZF);

	ul a;
	s = src + 3;
	__asm__ volatile("std; lodsb; cld"
			 : "=a"(a), "+S"(s)
			 : "0"(0ul)
			 : "memory");
	v("lodsb DF=1 value", a, 'd');
	v("lodsb DF=1 rsi", (ul)((char *)s - src), 2);

	s = src, d = dst, c = 0, f = FIN1;
	__asm__ volatile("push %[f]; popf; rep movsb; pushf; pop %[f]"
			 : "+S"(s), "+D"(d), "+c"(c), [f] "+r"(f)
			 :
			 : "cc", "memory");
	v("rep rcx=0 moves nothing", (ul)((char *)s - src), 0);
	t("rep rcx=0 keeps flags", 0, 0, f, FIN1, ALL);

	__asm__ volatile("std; pushf; pop %0; cld" : "=r"(f));
	t("std sets DF", 0, 0, f, DF, DF);
	group_end("string");
}

static void bits(void)
{
	T2("btl 5", "btl $5, %k[r]", 0x20, 0, FIN0, 0x20, CF, CF);
	T2("btsl 5", "btsl $5, %k[r]", 0, 0, FIN1, 0x20, 0, CF);
	T2("btrl 31", "btrl $31, %k[r]", 0x80000000, 0, FIN0, 0, CF, CF);
	T2("btcl 0", "btcl $0, %k[r]", 1, 0, FIN0, 0, CF, CF);
	T2("btl reg 37 is 5", "btl %k[b], %k[r]", 0x20, 37, FIN0, 0x20, CF, CF);
	T2("btcw reg 17 is 1", "btcw %w[b], %w[r]", 0, 17, FIN0, 2, 0, CF);

	uint32_t arr[4] = {0, 0, 0, 0x10};
	ul f = FIN0;
	__asm__ volatile("push %[f]; popf; btl %k[i], %[m]; pushf; pop %[f]"
			 : [f] "+r"(f)
			 : [i] "r"(100ul), [m] "m"(arr[0])
			 : "cc", "memory");
	t("btl mem bit 100", 0, 0, f, CF, CF);
	__asm__ volatile("btsl %k[i], %[m]"
			 : [m] "+m"(arr[1])
			 : [i] "r"(-1l)
			 : "cc", "memory");
	v("btsl mem bit -1", arr[0], 0x80000000);

	T2("bsfl", "bsfl %k[b], %k[r]", 0, 0x00100000, FIN1, 20, 0, ZF);
	T2("bsrl", "bsrl %k[b], %k[r]", 0, 0x00100001, FIN1, 20, 0, ZF);
	T2("bsfw", "bsfw %w[b], %w[r]", 0, 0x8000, FIN1, 15, 0, ZF);
	{
		/* source 0: ZF=1; the destination is undefined, not checked */
		ul r = 0, fl = FIN0;
		__asm__ volatile("push %[f]; popf; bsfl %k[b], %k[r]; pushf; "
				 "pop %[f]"
				 : [r] "+r"(r), [f] "+r"(fl)
				 : [b] "r"(0ul)
				 : "cc");
		t("bsfl 0 sets ZF", 0, 0, fl, ZF, ZF);
	}
#ifdef __x86_64__
	T2("bsrq", "bsrq %[b], %[r]", 0, 0x8000000000000000, FIN1, 63, 0, ZF);
	T2("btsq 63", "btsq $63, %[r]", 0, 0, FIN0, 0x8000000000000000, 0, CF);
#endif
	group_end("bits");
}

/* Reference model for the 16 condition codes, for SETcc/CMOVcc. */
static int cond(int cc, ul f)
{
	int c = !!(f & CF), z = !!(f & ZF), s = !!(f & SF), o = !!(f & OF),
	    p = !!(f & PF), r;
	switch (cc >> 1) {
	case 0:
		r = o;
		break;
	case 1:
		r = c;
		break;
	case 2:
		r = z;
		break;
	case 3:
		r = c || z;
		break;
	case 4:
		r = s;
		break;
	case 5:
		r = p;
		break;
	case 6:
		r = s != o;
		break;
	default:
		r = z || s != o;
		break;
	}
	return (cc & 1) ? !r : r;
}

#define SETCC(cc)                                                              \
	__asm__ volatile("push %[f]; popf; set" cc " %b[r]"                    \
			 : [r] "=q"(r)                                         \
			 : [f] "r"(fl)                                         \
			 : "cc")

static void condition(void)
{
	static const ul states[] = {FIN0,      FIN0 | CF, FIN0 | ZF, FIN0 | SF,
				    FIN0 | OF, SF | OF,	  CF | ZF,   FIN0 | PF,
				    SF | ZF,   FIN1};
	/* expected SETcc bitmaps, bit n = condition n (o no b ae e ne be a
	 * s ns p np l ge le g), one per state above */
	static const uint16_t want[] = {0xaaaa, 0xaa66, 0x6a5a, 0x59aa, 0x5aa9,
					0xa9a9, 0x6a56, 0xa6aa, 0x595a, 0x6555};
	for (unsigned i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		ul fl = states[i] | 2;
		uint8_t r;
		unsigned m = 0;
		SETCC("o");
		m |= r << 0;
		SETCC("no");
		m |= r << 1;
		SETCC("b");
		m |= r << 2;
		SETCC("ae");
		m |= r << 3;
		SETCC("e");
		m |= r << 4;
		SETCC("ne");
		m |= r << 5;
		SETCC("be");
		m |= r << 6;
		SETCC("a");
		m |= r << 7;
		SETCC("s");
		m |= r << 8;
		SETCC("ns");
		m |= r << 9;
		SETCC("p");
		m |= r << 10;
		SETCC("np");
		m |= r << 11;
		SETCC("l");
		m |= r << 12;
		SETCC("ge");
		m |= r << 13;
		SETCC("le");
		m |= r << 14;
		SETCC("g");
		m |= r << 15;
		unsigned model = 0;
		for (int cc = 0; cc < 16; cc++)
			model |= (unsigned)cond(cc, fl) << cc;
		v("setcc vs table", m, want[i]);
		v("setcc vs model", m, model);
	}
	T2("cmovl taken", "cmovll %k[b], %k[r]", 1, 2, FIN0 | SF, 2, SF, ALL);
	T2("cmovl not taken", "cmovll %k[b], %k[r]", 1, 2, FIN0 | SF | OF, 1,
	   SF | OF, ALL);
	T2("cmovbe taken", "cmovbew %w[b], %w[r]", 0x1111, 0x2222, FIN0 | ZF,
	   0x2222, ZF, ALL);
	{
		uint32_t mem = 0xcafe;
		ul r = 7, fl = FIN0 | ZF;
		__asm__ volatile("push %[f]; popf; cmovel %[m], %k[r]"
				 : [r] "+r"(r)
				 : [f] "r"(fl), [m] "m"(mem)
				 : "cc");
		v("cmove mem", r, 0xcafe);
	}
#ifdef __x86_64__
	/* a 32-bit CMOV writes the register even when not taken: the upper
	 * half is cleared either way */
	T2("cmovel not taken zero-extends", "cmovel %k[b], %k[r]",
	   0xffffffffffffffff, 0, FIN0, 0xffffffff, 0, ALL);
	T2("cmovneq taken", "cmovneq %[b], %[r]", 1, 0x8000000000000000, FIN0,
	   0x8000000000000000, 0, ALL);
#endif
	group_end("cond");
}

static void atomics(void)
{
	uint32_t m = 10;
	ul r = 3, a, f;
	__asm__ volatile("xchgl %k[r], %[m]" : [r] "+r"(r), [m] "+m"(m));
	v("xchgl reg", r, 10);
	v("xchgl mem", m, 3);

	m = 5;
	a = 5;
	__asm__ volatile("lock cmpxchgl %k[n], %[m]; pushf; pop %[f]"
			 : "+a"(a), [m] "+m"(m), [f] "=r"(f)
			 : [n] "r"(9ul)
			 : "cc", "memory");
	v("cmpxchgl equal stores", m, 9);
	t("cmpxchgl equal ZF", a, 5, f, ZF, ZF);
	a = 4;
	__asm__ volatile("cmpxchgl %k[n], %[m]; pushf; pop %[f]"
			 : "+a"(a), [m] "+m"(m), [f] "=r"(f)
			 : [n] "r"(1ul)
			 : "cc", "memory");
	v("cmpxchgl differ keeps mem", m, 9);
	t("cmpxchgl differ loads eax", a, 9, f, CF | SF, ZF | CF | SF);

	m = 10;
	r = 0xfffffff6;
	__asm__ volatile("lock xaddl %k[r], %[m]; pushf; pop %[f]"
			 : [r] "+r"(r), [m] "+m"(m), [f] "=r"(f)
			 :
			 : "cc", "memory");
	v("xaddl mem", m, 0);
	t("xaddl reg and flags", r, 10, f, CF | ZF | PF | AF, ALL);

	uint64_t q = 0x1111111122222222ull;
	uint32_t lo = 0x22222222, hi = 0x11111111;
	__asm__ volatile("lock cmpxchg8b %[m]; pushf; pop %[f]"
			 : [m] "+m"(q), "+a"(lo), "+d"(hi), [f] "=r"(f)
			 : "b"(0x44444444), "c"(0x33333333)
			 : "cc", "memory");
	v("cmpxchg8b equal stores", q == 0x3333333344444444ull, 1);
	t("cmpxchg8b ZF", 0, 0, f, ZF, ZF);
	__asm__ volatile("cmpxchg8b %[m]; pushf; pop %[f]"
			 : [m] "+m"(q), "+a"(lo), "+d"(hi), [f] "=r"(f)
			 : "b"(0), "c"(0)
			 : "cc", "memory");
	v("cmpxchg8b differ loads edx:eax",
	  lo == 0x44444444 && hi == 0x33333333, 1);
	t("cmpxchg8b differ ZF", 0, 0, f, 0, ZF);
#ifdef __x86_64__
	uint64_t mq = 1;
	r = 0xffffffffffffffff;
	__asm__ volatile("xaddq %[r], %[m]"
			 : [r] "+r"(r), [m] "+m"(mq)
			 :
			 : "cc");
	v("xaddq", mq == 0 && r == 1, 1);
#endif
	group_end("atomic");
}

static void misc(void)
{
	T2("bswapl", "bswapl %k[r]", 0x12345678, 0, FIN0, 0x78563412, 0, 0);
	T2("movsbl", "movsbl %b[b], %k[r]", 0, 0x80, FIN0, 0xffffff80, 0, 0);
	T2("movzbl", "movzbl %b[b], %k[r]", 0xffff, 0x80, FIN0, 0x80, 0, 0);
	T2("movswl", "movswl %w[b], %k[r]", 0, 0x8000, FIN0, 0xffff8000, 0, 0);
	T2("movzwl", "movzwl %w[b], %k[r]", 0, 0x18000, FIN0, 0x8000, 0, 0);
	T2("movsbw keeps bits 16+", "movsbw %b[b], %w[r]", 0x12340000, 0xfe,
	   FIN0, 0x1234fffe, 0, 0);
	T2("leal b+i*4+d", "leal 0x10(%k[r],%k[b],4), %k[r]", 0x1000, 3, FIN1,
	   0x101c, FIN1, ALL);
	T2("leal -8+b+i*8", "leal -8(%k[r],%k[b],8), %k[r]", 0x100, 2, FIN0,
	   0x108, 0, 0);
	T2("leal i*2 no base", "leal (,%k[b],2), %k[r]", 0, 0x40000001, FIN0,
	   0x80000002, 0, 0);
	T2("leaw keeps bits 16+", "leaw 1(%k[b]), %w[r]", 0xabcd0000, 0xffff,
	   FIN0, 0xabcd0000, 0, 0);
#ifdef __x86_64__
	T2("bswapq", "bswapq %[r]", 0x0102030405060708, 0, FIN0,
	   0x0807060504030201, 0, 0);
	T2("movslq", "movslq %k[b], %[r]", 0, 0x80000000, FIN0,
	   0xffffffff80000000, 0, 0);
	T2("movsbq", "movsbq %b[b], %[r]", 0, 0xff, FIN0, 0xffffffffffffffff, 0,
	   0);
	T2("movl zero-extends", "movl %k[b], %k[r]", 0xffffffffffffffff, 5,
	   FIN0, 5, 0, 0);
	T2("leaq b+i*8+d", "leaq 0x7fffffff(%[r],%[b],8), %[r]", 0x100000000,
	   0x10, FIN0, 0x18000007f, 0, 0);
	T2("lea addr32 wraps", "leaq 1(%k[r],%k[b]), %[r]", 0xffffffff, 2, FIN0,
	   2, 0, 0);
	{
		ul a, b;
		__asm__ volatile("leaq 1f(%%rip), %0; movq $1f, %1; 1:"
				 : "=r"(a), "=r"(b));
		v("lea rip-relative", a, b);
	}
#else
	{
		/* 16-bit addressing: BX + SI + disp wraps at 64 KiB */
		ul r;
		__asm__ volatile("addr16 leal 0x20(%%bx,%%si), %0"
				 : "=r"(r)
				 : "b"(0xfff0ul), "S"(0x10ul));
		v("lea addr16 wraps", r, 0x20);
	}
#endif
	group_end("misc");
}

/* m (memory, 64-bit cell) op= b: checks the whole cell, so a narrower
 * access must leave its neighbouring bytes alone */
#define TM(name, insn, m0, B_, fin, want_m, want_f, mask)                      \
	do {                                                                   \
		ul m_ = (m0), f_ = (fin);                                      \
		__asm__ volatile("push %[f]\n\tpopf\n\t" insn                  \
				 "\n\tpushf\n\tpop %[f]"                       \
				 : [m] "+m"(m_), [f] "+r"(f_)                  \
				 : [b] "q"((ul)(B_)), "c"(8ul)                 \
				 : "cc", "memory");                            \
		t(name, m_, want_m, f_, want_f, mask);                         \
	} while (0)

#ifdef __x86_64__
#define HI32(x) ((ul)(x) << 32)
#else
#define HI32(x) 0ul
#endif

static void memops(void)
{
	TM("addl to mem", "addl %k[b], %[m]", HI32(0xaaaaaaaa) | 0x7fffffff, 1,
	   FIN0, HI32(0xaaaaaaaa) | 0x80000000, OF | SF | AF | PF, ALL);
	TM("subw to mem", "subw %w[b], %[m]", 0x33330000, 1, FIN0, 0x3333ffff,
	   CF | SF | AF | PF, ALL);
	TM("lock incl mem keeps CF", "lock incl %[m]", 0xffffffff, 0, FIN0 | CF,
	   0, CF | ZF | AF | PF, ALL);
	TM("notb mem keeps flags", "notb %[m]", 0x12345600, 0, FIN1, 0x123456ff,
	   ALL, ALL);
	TM("shldl cl=8 to mem", "shldl %%cl, %k[b], %[m]", 0x12345678,
	   0xabcdef01, FIN0, 0x345678ab, 0, SZPC);
	TM("rcrw 1 mem CF=1", "rcrw $1, %[m]", 0x0001, 0, FIN0 | CF, 0x8000,
	   CF | OF, CO);
	TM("setne mem byte", "setne %[m]", 0xffffff00, 0, FIN0, 0xffffff01, 0,
	   0);
	TM("xaddw mem", "xaddw %w[b], %[m]", 0x10, 0xfff0, FIN0, 0,
	   CF | ZF | PF, ALL);
	TM("sarb 7 mem", "sarb $7, %[m]", 0x80, 0, FIN0, 0xff, SF | PF, SZPC);
	TM("andw imm mem", "andw $0x0ff0, %[m]", 0x12345678, 0, FIN1,
	   0x12340670, 0, NOAF);
	TM("cmpb imm mem", "cmpb $0x80, %[m]", 0x7f, 0, FIN0, 0x7f,
	   CF | OF | SF | PF, ALL);
	TM("incw mem", "incw %[m]", 0x7fff, 0, FIN0, 0x8000, OF | SF | AF | PF,
	   ALL);
	TM("adcb mem CF=1", "adcb %b[b], %[m]", 0xff, 0, FIN0 | CF, 0,
	   CF | ZF | AF | PF, ALL);
	TM("sbbl mem CF=1", "sbbl %k[b], %[m]", 0, 0, FIN0 | CF, 0xffffffff,
	   CF | SF | AF | PF, ALL);
	TM("btsl reg mem", "btsl %k[b], %[m]", 0, 3, FIN0, 8, 0, CF);
	TM("rolw cl mem", "rolw %%cl, %[m]", 0x12f1, 0, FIN0, 0xf112, 0, CF);
#ifdef __x86_64__
	TM("adcq mem CF=1", "adcq %[b], %[m]", 0xffffffffffffffff, 0, FIN0 | CF,
	   0, CF | ZF | AF | PF, ALL);
	TM("negq mem", "negq %[m]", 5, 0, FIN0, 0xfffffffffffffffb,
	   CF | SF | AF, ALL);
	TM("btcq 63 mem", "btcq $63, %[m]", 0, 0, FIN1, 0x8000000000000000, 0,
	   CF);
	TM("orq imm mem", "orq $-1, %[m]", 0, 0, FIN0, 0xffffffffffffffff,
	   SF | PF, NOAF);
	TM("rolq 4 mem", "rolq $4, %[m]", 0xf000000000000001, 0, FIN0, 0x1f, CF,
	   CF);
#endif
	group_end("memory operands");
}

int ret42(void);
__asm__(".text\nret42:\n\tmovl $42, %eax\n\tret\n"
	"ret_imm:\n\tret $" PTRSZ "\n");

static void stackops(void)
{
	ul a, d, f;
	a = 0x8000;
	__asm__ volatile("cwtl" : "+a"(a));
	v("cwde", a, 0xffff8000);
	a = 0x80;
	__asm__ volatile("cbtw" : "+a"(a));
	v("cbw", a, 0xff80);
	a = 0x80000000;
	__asm__ volatile("cltd" : "+a"(a), "=d"(d));
	v("cdq", d, 0xffffffff);
#ifdef __x86_64__
	__asm__ volatile("cltq" : "+a"(a));
	v("cdqe", a, 0xffffffff80000000);
	a = 1ul << 63;
	__asm__ volatile("cqto" : "+a"(a), "=d"(d));
	v("cqo", d, 0xffffffffffffffff);
#endif
	a = 0xd500;
	f = FIN0;
	__asm__ volatile("push %[f]; popf; sahf; pushf; pop %[f]"
			 : [f] "+r"(f)
			 : "a"(a)
			 : "cc");
	t("sahf", 0, 0, f, CF | PF | AF | ZF | SF, ALL);
	f = FIN0 | CF | ZF;
	__asm__ volatile("push %[f]; popf; lahf" : "=a"(a) : [f] "r"(f) : "cc");
	v("lahf", (a >> 8) & 0xff, 0x43);
	__asm__ volatile("stc; cmc; pushf; pop %0" : "=r"(f) : : "cc");
	t("stc; cmc", 0, 0, f, 0, CF);

	static const char hex[] = "0123456789abcdef";
	a = 11;
	__asm__ volatile("xlatb" : "+a"(a) : "b"(hex));
	v("xlat", a & 0xff, 'b');

	ul n = 0, c = 5;
	__asm__ volatile("1: inc %0; loop 1b" : "+r"(n), "+c"(c));
	v("loop 5", n, 5);
	c = 0;
	n = 0;
	__asm__ volatile("jecxz 1f; mov $1, %0; 1:" : "+r"(n) : "c"(c));
	v("jecxz taken", n, 0);

	ul diff;
	__asm__ volatile("mov %%" SP ", %%" AX "\n\t"
			 "push $1\n\t"
			 "call ret_imm\n\t"
			 "sub %%" SP ", %%" AX "\n\t"
			 : "=a"(diff)
			 :
			 : "memory");
	v("ret imm16 pops the argument", diff, 0);
	__asm__ volatile("mov %%" SP ", %%" DX "\n\t"
			 "enter $0x20, $0\n\t"
			 "mov %%" SP ", %%" AX "\n\t"
			 "leave\n\t"
			 "sub %%" AX ", %%" DX "\n\t"
			 "mov %%" SP ", %%" AX "\n\t"
			 : "=d"(diff), "=a"(a)
			 :
			 : "memory");
	v("enter $0x20 frame size", diff, 0x20 + sizeof(ul));
	ul target = (ul)(uintptr_t)ret42, r;
	__asm__ volatile("call *%1" : "=a"(r) : "m"(target) : "memory");
	v("call through memory", r, 42);
	ul src = 0x5a5a5a5a, dst = 0;
	__asm__ volatile("push %1; pop %0" : "=m"(dst) : "m"(src) : "memory");
	v("push mem; pop mem", dst, 0x5a5a5a5a);
	group_end("stack and control");
}

int main(void)
{
	arith();
	logic();
	shifts();
	muldiv();
	strings();
	bits();
	condition();
	atomics();
	misc();
	memops();
	stackops();
	if (failures) {
		rt_printf("isa: %d of %d checks FAILED\n", failures, checks);
		return 3;
	}
	rt_printf("isa: all %d checks passed\n", checks);
	return 0;
}
