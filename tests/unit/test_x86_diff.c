// SPDX-License-Identifier: GPL-2.0
/*
 * The software CPU checked against silicon: random valid CPL3 instruction
 * sequences (tests/unit/x86diff_gen.c) run natively and on cpu/x86, and the
 * registers, defined flags and memory must agree.
 *
 * The fixed-seed run covers the instruction classes cpu/x86/FEATURES.md
 * claims ("x86diff-classes: ..."); the other classes are run too and
 * reported as SKIP with their counts. `make fuzz-cpu` does long runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "x86diff.h"
#include "x86diff_core.h"

#define FIXED_SEED  0x5eed0000ull
#define FIXED_COUNT 6000
#define MAX_SHOWN   3

static uint32_t claimed = X86DIFF_ALL_CLASSES;
static bool have_claim;

/* "x86diff-classes: alu,shift,..." in cpu/x86/FEATURES.md */
static void read_claim(void)
{
	const char *dir = getenv("KVMINI_SRC");
	char path[512], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu/x86/FEATURES.md", dir ? dir : ".");
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "x86diff-classes:"), *q;
		uint32_t mask;

		if (!p)
			continue;
		p += strlen("x86diff-classes:");
		while (*p == ' ' || *p == '`')
			p++;
		for (q = p; *q && *q != '\n' && *q != '`' && *q != ' '; q++)
			;
		*q = 0;
		if (!x86diff_parse_classes(p, &mask)) {
			claimed = mask;
			have_claim = true;
		}
		break;
	}
	fclose(f);
}

struct tally {
	unsigned runs, pass, diverge, unimpl, bad;
	char first_unimpl[160];
};

static void run_one(struct x86diff_core *xc, const struct x86diff_case *c,
		    struct tally *t)
{
	char msg[160] = "";
	FILE *out = t->diverge + t->bad < MAX_SHOWN ? stderr : NULL;
	FILE *null = NULL;

	if (!out)
		out = null = fopen("/dev/null", "w");
	t->runs++;
	switch (x86diff_check(xc, c, out, null == NULL, msg, sizeof(msg))) {
	case X86DIFF_PASS:
		t->pass++;
		break;
	case X86DIFF_DIVERGE:
		t->diverge++;
		break;
	case X86DIFF_UNIMPL:
		if (!t->unimpl++)
			snprintf(t->first_unimpl, sizeof(t->first_unimpl), "%s",
				 msg);
		break;
	case X86DIFF_NATIVE_BAD:
		t->bad++;
		break;
	}
	if (null)
		fclose(null);
}

static void print_tally(const char *what, const struct tally *t)
{
	fprintf(
	    stderr,
	    "# %s: %u cases, %u passed, %u divergences, %u unimplemented%s%s"
	    ", %u bad cases\n",
	    what, t->runs, t->pass, t->diverge, t->unimpl,
	    t->unimpl ? " e.g. " : "", t->first_unimpl, t->bad);
}

static void random_run(uint32_t classes, uint64_t seed, unsigned count,
		       struct tally *t)
{
	struct x86diff_core *xc = x86diff_core_new();
	struct x86diff_case *c = malloc(sizeof(*c));

	assert_non_null(xc);
	assert_non_null(c);
	for (unsigned i = 0; i < count; i++) {
		x86diff_gen(c, seed + i, classes, 1, 20);
		run_one(xc, c, t);
	}
	free(c);
	x86diff_core_free(xc);
}

static void test_claimed_classes(void **state)
{
	struct tally t = {0};

	if (!claimed)
		return;
	random_run(claimed, FIXED_SEED, FIXED_COUNT, &t);
	print_tally("claimed classes", &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.diverge, 0);
	if (have_claim)
		assert_int_equal(t.unimpl, 0);
}

/* What is not claimed yet: reported, never failing. */
/* The same cases on the interpreter alone: the JIT runs 64-bit code
 * natively, so without this the interpreter's own handlers for those
 * instructions would no longer meet silicon. */
static void test_claimed_classes_interpreted(void **state)
{
	struct tally t = {0};

	if (!claimed)
		return;
	x86diff_interpret = true;
	random_run(claimed, FIXED_SEED, FIXED_COUNT, &t);
	x86diff_interpret = false;
	print_tally("claimed classes, interpreter only", &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.diverge, 0);
	if (have_claim)
		assert_int_equal(t.unimpl, 0);
}

static void test_unclaimed_classes(void **state)
{
	for (unsigned k = 0; k < X86DIFF_C_COUNT; k++) {
		struct tally t = {0};

		if (claimed & (1u << k))
			continue;
		random_run(1u << k, FIXED_SEED + 0x100000 * k, 200, &t);
		print_tally(x86diff_class_name(k), &t);
	}
	/* (no skip(): cmocka 1.1 prints "not ok # SKIP", which tests/run.sh
	 * counts as a failure; the tallies above are the report) */
}

static void test_hand_assembled(void **state)
{
	struct x86diff_core *xc = x86diff_core_new();
	struct x86diff_case *c = malloc(sizeof(*c));
	struct tally t = {0};

	assert_non_null(xc);
	assert_non_null(c);
	for (size_t i = 0; i < x86diff_nr_fixed_cases; i++) {
		if ((x86diff_fixed_cases[i].classes & claimed) !=
		    x86diff_fixed_cases[i].classes)
			continue;
		for (uint64_t s = 0; s < 4; s++) {
			x86diff_from_bytes(c, &x86diff_fixed_cases[i],
					   FIXED_SEED + 16 * i + s);
			run_one(xc, c, &t);
		}
	}
	free(c);
	x86diff_core_free(xc);
	print_tally("hand-assembled", &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.diverge, 0);
	if (have_claim)
		assert_int_equal(t.unimpl, 0);
}

/*
 * Every divergence found becomes an entry here, with the bug it showed.
 * Each runs with a few initial states.
 */
#define REG(nm, cls, undef, ...)                                               \
	{                                                                      \
		.name = nm, .bytes = (const uint8_t[]){__VA_ARGS__},           \
		.len = sizeof((const uint8_t[]){__VA_ARGS__}),                 \
		.undef_flags = (undef), .classes = 1u << X86DIFF_C_##cls,      \
	}
#define REGS(nm, cls, fn, ...)                                                 \
	{                                                                      \
		.name = nm, .bytes = (const uint8_t[]){__VA_ARGS__},           \
		.len = sizeof((const uint8_t[]){__VA_ARGS__}),                 \
		.classes = 1u << X86DIFF_C_##cls, .setup = fn,                 \
	}

/* six values on the x87 stack (TOP = 2); rbx points at data */
static void x87_deep(struct x86diff_case *c)
{
	c->init.fsw = 2 << 11;
	c->init.ftw = 0xfc;
	c->init.gpr[3] = X86DIFF_DATA_ADDR + 0x1000;
}

/* ... with ST0 = 2^63 and ST1 = +inf */
static void x87_big(struct x86diff_case *c)
{
	static const uint8_t two63[10] = {0, 0, 0,    0,    0,
					  0, 0, 0x80, 0x3e, 0x40};
	static const uint8_t inf[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f};

	x87_deep(c);
	memcpy(c->init.st[0], two63, 10);
	memcpy(c->init.st[1], inf, 10);
}

#define REGS32(nm, cls, fn, ...)                                               \
	{                                                                      \
		.name = nm, .bytes = (const uint8_t[]){__VA_ARGS__},           \
		.len = sizeof((const uint8_t[]){__VA_ARGS__}),                 \
		.classes = 1u << X86DIFF_C_##cls | 1u << X86DIFF_C_COMPAT,     \
		.setup = fn,                                                   \
		.undef_flags =                                                 \
		    X86DIFF_OF | X86DIFF_SF | X86DIFF_ZF | X86DIFF_PF,         \
	}

static void ax_79fb(struct x86diff_case *c)
{
	c->init.gpr[0] = 0x79fb;
}

static void ax_6f01(struct x86diff_case *c)
{
	c->init.gpr[0] = 0x6f01;
	c->init.rflags |= X86DIFF_AF;
}

static void cmps_equal(struct x86diff_case *c)
{
	c->data[0x1000] = c->data[0x3fff];
	c->init.rflags |= X86DIFF_CF | X86DIFF_SF | X86DIFF_OF;
	c->init.rflags &= ~(uint64_t)X86DIFF_ZF;
}

/* ... with ST0 = -1.5, round to nearest */
static void x87_m1p5(struct x86diff_case *c)
{
	static const uint8_t m1p5[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xbf};

	x87_deep(c);
	c->init.fcw = 0x037f;
	memcpy(c->init.st[0], m1p5, 10);
}

/* two values on the x87 stack (ST2 empty), CF=1 */
static void x87_two_cf(struct x86diff_case *c)
{
	c->init.fsw = 6 << 11;
	c->init.ftw = 0xc0;
	c->init.fcw = 0x037f;
	c->init.rflags |= X86DIFF_CF;
}

/* An 80-bit value: sign/exponent, significand. */
static void put80(uint8_t *dst, uint16_t se, uint64_t mant)
{
	memcpy(dst, &mant, 8);
	memcpy(dst + 8, &se, 2);
}

#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C3 0x4000

/* all eight registers valid (TOP = 0), C1 clear; [rbx] = the smallest
 * denormal double, which must not be converted (no DE) on overflow */
static void x87_full(struct x86diff_case *c)
{
	static const uint64_t denorm = 1;

	c->init.fsw = 0;
	c->init.ftw = 0xff;
	c->init.gpr[3] = X86DIFF_DATA_ADDR + 0x1000;
	memcpy(&c->data[0x1000], &denorm, 8);
}

/* two values (ST2 empty), C3 C1 C0 set: a stack fault clears C1, an
 * instruction that leaves them alone must not touch them */
static void x87_two_cc(struct x86diff_case *c)
{
	c->init.fsw = 6 << 11 | FSW_C3 | FSW_C1 | FSW_C0;
	c->init.ftw = 0xc0;
	c->init.fcw = 0x037f;
}

/* ST0 empty, ST1 valid; [rbx] = the smallest denormal double */
static void x87_st0_empty_denorm(struct x86diff_case *c)
{
	static const uint64_t denorm = 1;

	c->init.fsw = 6 << 11 | FSW_C1;
	c->init.ftw = 0x80;
	c->init.gpr[3] = X86DIFF_DATA_ADDR + 0x1000;
	memcpy(&c->data[0x1000], &denorm, 8);
}

/* ST0 = 1.0, ST1 = smallest 80-bit denormal */
static void x87_denorm_st1(struct x86diff_case *c)
{
	x87_two_cc(c);
	put80(c->init.st[0], 0x3fff, 1ull << 63);
	put80(c->init.st[1], 0x0000, 1);
}

/* ST0 = 1.0, RC = up, [rbx] = word 3: 1/3 rounds up (C1 = 1) */
static void x87_third_up(struct x86diff_case *c)
{
	x87_two_cc(c);
	c->init.fsw &= ~FSW_C1;
	c->init.fcw = 0x0b7f;
	put80(c->init.st[0], 0x3fff, 1ull << 63);
	c->init.gpr[3] = X86DIFF_DATA_ADDR + 0x1000;
	c->data[0x1000] = 3;
	c->data[0x1001] = 0;
}

/* FPREM/FPREM1: ST0 = 7, ST1 = 2 (quotient 3 or 4: Q0 in C1) */
static void x87_prem_7_2(struct x86diff_case *c)
{
	x87_two_cc(c);
	c->init.fsw &= ~(FSW_C3 | FSW_C1 | FSW_C0);
	put80(c->init.st[0], 0x4001, 0xeull << 60);
	put80(c->init.st[1], 0x4000, 1ull << 63);
}

/* ... ST0 = 13, ST1 = 2.5: quotient 5 (Q2 Q1 Q0 = 101) */
static void x87_prem_13_2p5(struct x86diff_case *c)
{
	x87_two_cc(c);
	c->init.fsw &= ~(FSW_C3 | FSW_C1 | FSW_C0);
	put80(c->init.st[0], 0x4002, 0xdull << 60);
	put80(c->init.st[1], 0x4000, 0xaull << 60);
}

/* ... ST1 = 0: invalid, the condition codes are not the quotient */
static void x87_prem_by_zero(struct x86diff_case *c)
{
	x87_two_cc(c);
	put80(c->init.st[0], 0x4001, 0xeull << 60);
	put80(c->init.st[1], 0x0000, 0);
}

/* ... ST0 = 2^100 + x, ST1 = 3: a partial remainder (C2 = 1) */
static void x87_prem_partial(struct x86diff_case *c)
{
	x87_two_cc(c);
	put80(c->init.st[0], 0x4063, 0xc000000000001234ull);
	put80(c->init.st[1], 0x4000, 0xcull << 60);
}

/* ST0 empty, ST1 valid, CF = 1 */
static void x87_st0_empty_cf(struct x86diff_case *c)
{
	c->init.fsw = 7 << 11;
	c->init.ftw = 0x01;
	c->init.fcw = 0x037f;
	c->init.rflags |= X86DIFF_CF;
}

static const struct x86diff_fixed regressions[] = {
    /* core bug (02:06): XADD with source == destination register kept
     * the old value; the destination is written last, with the sum */
    REG("xadd-ax-ax", XCHG, 0, 0x66, 0x0f, 0xc1, 0xc0),
    REG("xadd-ecx-ecx", XCHG, 0, 0x0f, 0xc1, 0xc9),
    REG("xadd-r15b-r15b", XCHG, 0, 0x45, 0x0f, 0xc0, 0xff),
    /* core bug (02:06): CMPXCHG r32 whose compare fails zero-extended
     * the destination; silicon leaves it untouched (mov eax, 1;
     * mov rbx, 0x1111111122222222; cmpxchg ebx, ecx) */
    REG("cmpxchg-r32-fail", XCHG, 0, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x48, 0xbb,
	0x22, 0x22, 0x22, 0x22, 0x11, 0x11, 0x11, 0x11, 0x0f, 0xb1, 0xcb),
    /* ... and when it succeeds RAX is not written at all */
    REG("cmpxchg-r32-succeed", XCHG, 0, 0x48, 0xb8, 0x22, 0x22, 0x22, 0x22,
	0x33, 0x33, 0x33, 0x33, 0x48, 0xbb, 0x22, 0x22, 0x22, 0x22, 0x11, 0x11,
	0x11, 0x11, 0x0f, 0xb1, 0xcb),
    /* core bug (02:12): a read-modify-write faulting on a not-present
     * page reported a read (#PF error 0x4); silicon says write (0x6):
     * add [0x20004000], eax */
    REG("rmw-pf-is-write", FAULT, 0, 0x01, 0x04, 0x25, 0x00, 0x40, 0x00, 0x20),
    /* core bug (02:16): a shift/rotate of memory whose masked count is 0
     * skipped the write check; silicon faults: shl dword [code], 0 is
     * #PF(P|W|U) on the read-only code page */
    REG("shift0-mem-ro-pf", FAULT, 0, 0xc1, 0x24, 0x25, 0x00, 0x01, 0x00, 0x10,
	0x00),
    REG("rcl32-mem-ro-pf", FAULT, 0, 0xc1, 0x14, 0x25, 0x00, 0x01, 0x00, 0x10,
	0x20),
    /* core bugs (02:24, x87 class): RC ignored (FCW from the seed is
     * mostly not round-to-nearest), FSW flags/C1 not set, frndint of 2^63,
     * fscale by +inf */
    REGS("x87-fadd-rc", X87, x87_deep, 0xd8, 0xc1),
    REGS("x87-fst-m32-rc", X87, x87_deep, 0xd9, 0x13),
    REGS("x87-fldpi-rc", X87, x87_deep, 0xd9, 0xeb),
    REGS("x87-frndint-2p63", X87, x87_big, 0xd9, 0xfc),
    REGS("x87-fscale-inf", X87, x87_big, 0xd9, 0xfd),
    /* core bug (02:42, x87): C1 (rounded up) not set: frndint of -1.5 */
    REGS("x87-frndint-c1", X87, x87_m1p5, 0xd9, 0xfc),
    /* core bug (03:04, x87): FCMOVcc from an empty register with a false
     * condition must still load the indefinite (stack underflow) */
    REGS("x87-fcmov-empty-false", X87, x87_two_cf, 0xdb, 0xd2),
    /* x87 divergences #13/#14/#17/#18 (03:00, x87/x87ext classes). The
     * core now runs each x87 instruction as itself on the host x87
     * (exec_fpu.c), so these hold by construction; they pin the cases.
     * C1: set on stack overflow, cleared on underflow, left alone by
     * FCOMI (this silicon), set when a result rounds up */
    REGS("x87-overflow-fld1-c1", X87, x87_full, 0xd9, 0xe8),
    REGS("x87-overflow-fld-m64-c1", X87, x87_full, 0xdd, 0x03),
    REGS("x87-underflow-fadd-c1", X87, x87_two_cc, 0xd8, 0xc2),
    REGS("x87-underflow-fxch-c1", X87, x87_two_cc, 0xd9, 0xca),
    REGS("x87-fcomi-keeps-cc", X87, x87_two_cc, 0xdb, 0xf1),
    REGS("x87-fucomip-keeps-cc", X87, x87_two_cc, 0xdf, 0xe9),
    REGS("x87-fidiv-round-up-c1", X87, x87_third_up, 0xde, 0x33),
    /* DE: not raised when the operation is invalid first (empty ST0,
     * denormal m64), raised for a denormal register operand */
    REGS("x87-de-fsub-m64-empty", X87, x87_st0_empty_denorm, 0xdc, 0x23),
    REGS("x87-de-fcom-m64-empty", X87, x87_st0_empty_denorm, 0xdc, 0x13),
    REGS("x87-de-fadd-denormal", X87, x87_denorm_st1, 0xd8, 0xc1),
    REGS("x87-de-fcomi-denormal", X87, x87_denorm_st1, 0xdb, 0xf1),
    /* FPREM/FPREM1: quotient bits Q2 Q1 Q0 in C0 C3 C1, C2 for a partial
     * remainder; invalid operands leave C0 C1 C3 as they were */
    REGS("x87-fprem-q-7-2", X87EXT, x87_prem_7_2, 0xd9, 0xf8),
    REGS("x87-fprem1-q-7-2", X87EXT, x87_prem_7_2, 0xd9, 0xf5),
    REGS("x87-fprem-q-13-2.5", X87EXT, x87_prem_13_2p5, 0xd9, 0xf8),
    REGS("x87-fprem1-q-13-2.5", X87EXT, x87_prem_13_2p5, 0xd9, 0xf5),
    REGS("x87-fprem-by-zero-cc", X87EXT, x87_prem_by_zero, 0xd9, 0xf8),
    REGS("x87-fprem1-by-zero-cc", X87EXT, x87_prem_by_zero, 0xd9, 0xf5),
    REGS("x87-fprem-partial", X87EXT, x87_prem_partial, 0xd9, 0xf8),
    REGS("x87-fprem-empty-st1", X87EXT, x87_two_cc, 0xdd, 0xc1, 0xd9, 0xf8),
    /* FCMOVcc: an empty source or destination is a stack underflow
     * whether or not the condition holds */
    REGS("x87-fcmov-empty-true", X87, x87_two_cf, 0xda, 0xc2),
    REGS("x87-fcmov-empty-dst-true", X87, x87_st0_empty_cf, 0xda, 0xc1),
    REGS("x87-fcmov-empty-dst-false", X87, x87_st0_empty_cf, 0xdb, 0xc1),
    /* BCD: fbstp tbyte [rbx]; fbld tbyte [rbx] (ST0 of the deep stack,
     * mostly out of BCD range: the indefinite packed-BCD value) */
    REGS("x87-fbstp-fbld", X87, x87_deep, 0xdf, 0x33, 0xdf, 0x23),
    REGS("x87-fbstp-fbld-small", X87, x87_m1p5, 0xdf, 0x33, 0xdf, 0x23),
    /* FNSTENV's tag word classifies each register (valid, zero, special,
     * empty); the instruction/operand pointers are zeroed before the
     * compare. fldz; fld1; fdiv st0, st2 (empty); fnstenv [rbx];
     * xor eax, eax; mov [rbx+12], rax; mov [rbx+20], rax */
    REGS("x87-fnstenv-tags", X87, x87_st0_empty_denorm, 0xd9, 0xee, 0xd9, 0xe8,
	 0xd8, 0xf2, 0xd9, 0x33, 0x31, 0xc0, 0x48, 0x89, 0x43, 0x0c, 0x48, 0x89,
	 0x43, 0x14),
    /* core bug (02:25, bcd class): AAA/AAS as the 8086 did them (AL +- 6,
     * AH +- 1); the current SDM and recent silicon adjust AX by 0x106, so
     * AL >= 0xfa (aaa) or AL < 6 (aas) end with a different AH */
    REGS32("aaa-ax-106", BCD, ax_79fb, 0x37),
    REGS32("aas-ax-106", BCD, ax_6f01, 0x3f),
    /* core bug (02:28): a fault in the middle of REPE/REPNE CMPS/SCAS must
     * restore EFLAGS to their value before the instruction (SDM, REP);
     * the core left the flags of the last completed iteration. cld;
     * mov edi, DATA+0x1000; mov esi, DATA+0x3fff; mov ecx, 4; repe cmpsb
     * (equal first bytes, then the source runs off the mapping) */
    REGS("repe-cmps-fault-flags", FAULT, cmps_equal, 0xfc, 0xbf, 0x00, 0x10,
	 0x00, 0x20, 0xbe, 0xff, 0x3f, 0x00, 0x20, 0xb9, 0x04, 0x00, 0x00, 0x00,
	 0xf3, 0xa6),
    /* core bug (02:29): with TF set a REP string op traps (#DB) after each
     * iteration (RCX one less, RIP still at the rep); the core ran all
     * iterations first. mov esi/edi/ecx; push 0xbc3 (TF); popf; rep movsd */
    REG("tf-rep-movs-one-iteration", FAULT, 0, 0xbe, 0x00, 0x18, 0x00, 0x20,
	0xbf, 0x00, 0x1c, 0x00, 0x20, 0xb9, 0x07, 0x00, 0x00, 0x00, 0x68, 0xc3,
	0x0b, 0x00, 0x00, 0x9d, 0xf3, 0xa5),
    /* core bug (02:37, fxsave class): FXSAVE zeroed bytes 416-511 of the
     * image (reserved and software-available); silicon leaves them alone.
     * mov ebx, DATA+0x1000; fxsave64 [rbx]; fxsave [rbx+0x200] */
    REG("fxsave-keeps-416-511", FXSAVE, 0, 0xbb, 0x00, 0x10, 0x00, 0x20, 0x48,
	0x0f, 0xae, 0x03, 0x0f, 0xae, 0x83, 0x00, 0x02, 0x00, 0x00),
};

static void test_regressions(void **state)
{
	struct x86diff_core *xc = x86diff_core_new();
	struct x86diff_case *c = malloc(sizeof(*c));
	struct tally t = {0};

	assert_non_null(xc);
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(regressions) / sizeof(regressions[0]);
	     i++) {
		if ((regressions[i].classes & claimed) !=
		    regressions[i].classes)
			continue;
		for (uint64_t s = 0; s < 8; s++) {
			x86diff_from_bytes(c, &regressions[i],
					   FIXED_SEED + 64 * i + s);
			run_one(xc, c, &t);
		}
	}
	free(c);
	x86diff_core_free(xc);
	print_tally("regressions", &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.diverge, 0);
	assert_int_equal(t.unimpl, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regressions),
	    cmocka_unit_test(test_hand_assembled),
	    cmocka_unit_test(test_claimed_classes),
	    cmocka_unit_test(test_claimed_classes_interpreted),
	    cmocka_unit_test(test_unclaimed_classes),
	};

	char why[200];
	uint32_t host = x86diff_host_classes(why, sizeof(why));

	read_claim();
	if (claimed & ~host) {
		/* an oracle that cannot run them checks nothing */
		fprintf(stderr, "# this host cannot run natively: %s\n", why);
		claimed &= host;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
