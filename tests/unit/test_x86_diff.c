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
