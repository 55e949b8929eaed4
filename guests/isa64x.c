// SPDX-License-Identifier: MIT
/*
 * isa64x: integer extensions beyond the base ISA that Linux and gcc
 * output use, each required (a backend that does not advertise one fails
 * with "not advertised" rather than printing something else):
 *   CMPXCHG16B (CPUID.1:ECX.CX16), MOVBE (CPUID.1:ECX.MOVBE),
 *   POPCNT (CPUID.1:ECX.POPCNT), LZCNT (CPUID.80000001:ECX.ABM),
 * and F3 0F BC with a non-zero source, which gcc emits for ctz: BSF and
 * TZCNT give the same result there, so it holds with or without BMI1.
 * Flags are compared only where the SDM defines them. Under QEMU this
 * needs -cpu max (isa64x.qemu-cpu).
 */
#include "rt.h"

typedef unsigned long ul;
#define CF  0x001ul
#define PF  0x004ul
#define AF  0x010ul
#define ZF  0x040ul
#define SF  0x080ul
#define OF  0x800ul
#define ALL (CF | PF | AF | ZF | SF | OF)

static int checks, failures;

static void t(const char *name, ul r, ul want, ul f, ul want_f, ul mask)
{
	checks++;
	if (r == want && (f & mask) == (want_f & mask))
		return;
	failures++;
	rt_printf("  FAIL %s: got %lx flags %lx, want %lx flags %lx\n", name, r,
		  f & mask, want, want_f & mask);
}

#define T1(name, insn, src, fin, want, want_f, mask)                           \
	do {                                                                   \
		ul r_ = 0x5a5a, f_ = (fin) | 2;                                \
		__asm__ volatile("push %[f]; popf; " insn "; pushf; pop %[f]"  \
				 : [r] "+r"(r_), [f] "+r"(f_)                  \
				 : [s] "r"((ul)(src))                          \
				 : "cc");                                      \
		t(name, r_, want, f_, want_f, mask);                           \
	} while (0)

static int feature(const char *name, int present)
{
	if (!present) {
		rt_printf("isa64x: %s: not advertised\n", name);
		failures++;
	}
	return present;
}

static void report(const char *name, int before_checks, int before_fail)
{
	int n = checks - before_checks, f = failures - before_fail;
	if (!n)
		return; /* not advertised: feature() said so */
	if (f)
		rt_printf("isa64x: %s: %d of %d checks FAILED\n", name, f, n);
	else
		rt_printf("isa64x: %s: %d checks ok\n", name, n);
}

/*
 * Order: what kvm_pvm hosts can run first (kvmini hides CMPXCHG16B there,
 * which the host cannot emulate at CPL0; MOVBE raises #UD; LZCNT is not
 * advertised; POPCNT cannot be emulated at CPL0), so a run there is still
 * checked up to that point.
 */
int main(void)
{
	uint32_t l1[4], e1[4];
	cpuid(1, 0, l1);
	cpuid(0x80000001, 0, e1);
	int c, f;

	c = checks, f = failures;
	T1("rep bsf 0x100", "rep bsfq %[s], %[r]", 0x100, 0, 8, 0, 0);
	T1("rep bsf bit 63", "rep bsfq %[s], %[r]", 0x8000000000000000, 0, 63,
	   0, 0);
	report("rep bsf (ctz)", c, f);

	c = checks, f = failures;
	if (feature("cmpxchg16b", l1[2] >> 13 & 1)) {
		static uint64_t m[2] __attribute__((aligned(16))) = {1, 2};
		uint64_t a = 1, d = 2;
		ul fl;
		__asm__ volatile("lock cmpxchg16b %[m]; pushf; pop %[f]"
				 : [m] "+m"(m), "+a"(a), "+d"(d), [f] "=r"(fl)
				 : "b"(0x3333ull), "c"(0x4444ull)
				 : "cc", "memory");
		t("cmpxchg16b equal stores", m[0] == 0x3333 && m[1] == 0x4444,
		  1, fl, ZF, ZF);
		__asm__ volatile("cmpxchg16b %[m]; pushf; pop %[f]"
				 : [m] "+m"(m), "+a"(a), "+d"(d), [f] "=r"(fl)
				 : "b"(0ull), "c"(0ull)
				 : "cc", "memory");
		t("cmpxchg16b differ loads rdx:rax",
		  a == 0x3333 && d == 0x4444 && m[0] == 0x3333, 1, fl, 0, ZF);
	}
	report("cmpxchg16b", c, f);

	c = checks, f = failures;
	if (feature("movbe", l1[2] >> 22 & 1)) {
		uint32_t m32 = 0x12345678;
		uint64_t m64 = 0;
		uint16_t m16 = 0xabcd;
		ul r = 0;
		__asm__ volatile("movbel %1, %k0" : "=r"(r) : "m"(m32));
		t("movbel load", r, 0x78563412, 0, 0, 0);
		r = 0x0102030405060708;
		__asm__ volatile("movbeq %1, %0" : "=m"(m64) : "r"(r));
		t("movbeq store", m64, 0x0807060504030201, 0, 0, 0);
		r = 0xffff0000;
		__asm__ volatile("movbew %1, %w0" : "+r"(r) : "m"(m16));
		t("movbew keeps bits 16+", r, 0xffffcdab, 0, 0, 0);
	}
	report("movbe", c, f);

	c = checks, f = failures;
	if (feature("lzcnt", e1[2] >> 5 & 1)) {
		T1("lzcntl", "lzcntl %k[s], %k[r]", 0x00010000, ALL, 15, 0,
		   CF | ZF);
		T1("lzcntl 0", "lzcntl %k[s], %k[r]", 0, 0, 32, CF, CF | ZF);
		T1("lzcntq 1", "lzcntq %[s], %[r]", 1, 0, 63, 0, CF | ZF);
		T1("lzcntq top", "lzcntq %[s], %[r]", 0x8000000000000000, 0, 0,
		   ZF, CF | ZF);
		T1("lzcntw", "lzcntw %w[s], %w[r]", 0x0100, 0, 7, 0, CF | ZF);
	}
	report("lzcnt", c, f);

	c = checks, f = failures;
	if (feature("popcnt", l1[2] >> 23 & 1)) {
		T1("popcntq", "popcntq %[s], %[r]", 0xf0f0f0f0f0f0f0f0, ALL, 32,
		   0, ALL);
		T1("popcntl", "popcntl %k[s], %k[r]", 0xffffffff80000001, 0, 2,
		   0, ALL);
		T1("popcntw", "popcntw %w[s], %w[r]", 0xff, ALL, 8, 0, ALL);
		T1("popcnt 0", "popcntq %[s], %[r]", 0, ALL, 0, ZF, ALL);
	}
	report("popcnt", c, f);

	if (failures) {
		rt_printf("isa64x: %d of %d checks FAILED\n", failures, checks);
		return 3;
	}
	rt_printf("isa64x: all %d checks passed\n", checks);
	return 0;
}
