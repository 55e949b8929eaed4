// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO emulator's compare-type instructions, on real guests through
 * softkvm: CMPS/SCAS (one or both operands on MMIO, REPE/REPNE, DF,
 * address size, count 0), XADD, CMPXCHG, CMPXCHG8B, and CMPXCHG16B's
 * refusal. Each case runs twice: on RAM by the CPU (the reference: "the
 * silicon") and with its operands on MMIO served by a small device model
 * here; registers, RFLAGS and memory must agree, and the MMIO exits must be
 * the expected sequence (reads in the processor's order, then the store).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>
#include <linux/kvm.h>

#include "softkvm_guest.h"

#define RAM_SIZE 0x8000 /* GPA [0, 0x8000) is RAM, above is MMIO */
#define CODE	 0x1000
#define RAM_A	 0x5000 /* operands in RAM */
#define RAM_B	 0x6000
#define MMIO	 0x9000 /* the device model's window */
#define MMIO_A	 0x9000
#define MMIO_B	 0xa000
#define DEV_SIZE 0x2000

#define FL_CF	 0x001u
#define FL_PF	 0x004u
#define FL_AF	 0x010u
#define FL_ZF	 0x040u
#define FL_SF	 0x080u
#define FL_DF	 0x400u
#define FL_OF	 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Real mode, all segments at 0 (unrestricted guest). */
static struct skg *guest_on(const char *model)
{
	struct skg *g = skg_new(model, RAM_SIZE);

	skg_vcpu_new(g, 0);
	skg_real_mode(g, 0, 0, 0x7000);
	return g;
}

static int run(struct skg *g)
{
	return skg_run(g, 0);
}

static struct kvm_regs regs(struct skg *g)
{
	struct kvm_regs r;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r), 0);
	return r;
}

static void set_regs(struct skg *g, const struct kvm_regs *r)
{
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, (void *)r), 0);
}

/* Place @code (followed by HLT) at @at and point the vCPU at it. */
static void load(struct skg *g, uint64_t at, const uint8_t *code, size_t len,
		 struct kvm_regs *r)
{
	memcpy(g->ram + at, code, len);
	g->ram[at + len] = 0xf4;
	r->rip = at;
	r->rsp = 0x7000;
	r->rflags |= 2;
	set_regs(g, r);
}

/* ---- a device model: memory behind the MMIO window, and a log --------- */

struct access {
	bool write;
	uint64_t gpa;
	unsigned len;
	uint64_t data;
};

struct dev {
	uint64_t base;
	uint8_t mem[DEV_SIZE];
	struct access log[64];
	int n;
};

/* Run until something other than an MMIO exit on the device; every
 * access is logged and served from (or stored into) dev->mem. */
static void run_dev(struct skg *g, struct dev *d)
{
	d->n = 0;
	for (;;) {
		struct kvm_run *run = g->run[0];
		struct access *a;
		uint64_t off;

		assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_RUN, NULL), 0);
		if (run->exit_reason != KVM_EXIT_MMIO)
			return;
		assert_true(d->n < 64);
		a = &d->log[d->n++];
		a->write = run->mmio.is_write;
		a->gpa = run->mmio.phys_addr;
		a->len = run->mmio.len;
		assert_true(a->len >= 1 && a->len <= 8);
		assert_true(a->gpa >= d->base &&
			    a->gpa + a->len <= d->base + DEV_SIZE);
		off = a->gpa - d->base;
		if (a->write)
			memcpy(d->mem + off, run->mmio.data, a->len);
		else
			memcpy(run->mmio.data, d->mem + off, a->len);
		a->data = 0;
		memcpy(&a->data, run->mmio.data, a->len);
	}
}

static void expect_access(const struct dev *d, int i, bool write, uint64_t gpa,
			  unsigned len)
{
	assert_true(i < d->n);
	if (d->log[i].write != write || d->log[i].gpa != gpa ||
	    d->log[i].len != len)
		fail_msg("access %d: %s %#llx/%u, expected %s %#llx/%u", i,
			 d->log[i].write ? "write" : "read",
			 (unsigned long long)d->log[i].gpa, d->log[i].len,
			 write ? "write" : "read", (unsigned long long)gpa,
			 len);
}

/* ---- CMPS / SCAS ------------------------------------------------------- */

struct str_case {
	const char *name;
	uint8_t code[4];
	unsigned len, size;
	bool scas, rep;
};

#define S(n, sz, sc, rp, ...)                                                  \
	{                                                                      \
		.name = n, .code = {__VA_ARGS__},                              \
		.len = sizeof((uint8_t[]){__VA_ARGS__}), .size = sz,           \
		.scas = sc, .rep = rp                                          \
	}

static const struct str_case str_cases[] = {
    S("cmpsb", 1, false, false, 0xa6),
    S("cmpsw", 2, false, false, 0xa7),
    S("cmpsd", 4, false, false, 0x66, 0xa7),
    S("scasb", 1, true, false, 0xae),
    S("scasw", 2, true, false, 0xaf),
    S("scasd", 4, true, false, 0x66, 0xaf),
    S("repe cmpsb", 1, false, true, 0xf3, 0xa6),
    S("repne cmpsw", 2, false, true, 0xf2, 0xa7),
    S("repe cmpsd", 4, false, true, 0xf3, 0x66, 0xa7),
    S("repne scasb", 1, true, true, 0xf2, 0xae),
    S("repe scasw", 2, true, true, 0xf3, 0xaf),
    S("repne scasd", 4, true, true, 0xf2, 0x66, 0xaf),
};

/* Element pairs: equal, below, above, signed overflow, zero. */
static const uint32_t str_a[] = {0x12345678, 0x00000001, 0xffffff80,
				 0x80000000, 0x7fffffff, 0x00000000};
static const uint32_t str_b[] = {0x12345678, 0x00000002, 0x0000007f,
				 0x00000001, 0xffffffff, 0x00000000};
#define NSTR 6

/* Where the operands live for the MMIO run: A ([SI]) and/or B ([DI]). */
enum { ON_A = 1, ON_B = 2 };

static void check_string(struct skg *g, const struct str_case *c, unsigned at,
			 int where, bool df, uint64_t count, uint32_t acc)
{
	static struct dev d;
	uint64_t a_mmio = (where & ON_A) ? MMIO_A : RAM_A;
	uint64_t b_mmio = (where & ON_B) ? MMIO_B : RAM_B;
	unsigned span = NSTR * c->size, first = df ? span - c->size : 0;
	struct kvm_regs r = {0}, want, got;
	uint8_t a[32] = {0}, b[32] = {0};
	int reads_per =
	    (!c->scas && (where & ON_A) ? 1 : 0) + (where & ON_B ? 1 : 0);
	int elems;

	if (c->scas && !(where & ON_B))
		return;
	for (int i = 0; i < NSTR; i++) {
		memcpy(a + i * c->size, &str_a[i], c->size);
		memcpy(b + i * c->size, &str_b[i], c->size);
	}
	/* The reference on RAM. */
	memcpy(g->ram + RAM_A, a, span);
	memcpy(g->ram + RAM_B, b, span);
	r.rax = acc;
	r.rsi = RAM_A + first;
	r.rdi = RAM_B + first;
	r.rcx = c->rep ? count : 0x77;
	r.rflags = df ? FL_DF : 0;
	load(g, at, c->code, c->len, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	want = regs(g);

	/* On MMIO (one or both sides). */
	memset(&d, 0, sizeof(d));
	d.base = MMIO;
	if (where & ON_A)
		memcpy(d.mem + (MMIO_A - MMIO), a, span);
	else
		memcpy(g->ram + RAM_A, a, span);
	if (where & ON_B)
		memcpy(d.mem + (MMIO_B - MMIO), b, span);
	else
		memcpy(g->ram + RAM_B, b, span);
	memset(&r, 0, sizeof(r));
	r.rax = acc;
	r.rsi = a_mmio + first;
	r.rdi = b_mmio + first;
	r.rcx = c->rep ? count : 0x77;
	r.rflags = df ? FL_DF : 0;
	load(g, at, c->code, c->len, &r);
	run_dev(g, &d);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	got = regs(g);

	/* Elements compared, from the reference's SI/DI movement. */
	elems =
	    (int)((df ? RAM_B + first - want.rdi : want.rdi - RAM_B - first) /
		  c->size);
	if (d.n != elems * reads_per)
		fail_msg("%s (where %d df %d count %llu): %d exits for %d "
			 "elements",
			 c->name, where, df, (unsigned long long)count, d.n,
			 elems);
	for (int e = 0, i = 0; e < elems; e++) {
		int64_t step = df ? -(int64_t)(e * c->size) : e * c->size;

		if (!c->scas && (where & ON_A))
			expect_access(&d, i++, false,
				      a_mmio + first + (uint64_t)step, c->size);
		if (where & ON_B)
			expect_access(&d, i++, false,
				      b_mmio + first + (uint64_t)step, c->size);
	}
	if ((got.rflags & FL_ARITH) != (want.rflags & FL_ARITH))
		fail_msg("%s (where %d df %d acc %#x): rflags %#llx, CPU %#llx",
			 c->name, where, df, acc,
			 (unsigned long long)got.rflags,
			 (unsigned long long)want.rflags);
	assert_int_equal(got.rcx, want.rcx);
	assert_int_equal(got.rax, want.rax);
	assert_int_equal(got.rsi - a_mmio, want.rsi - RAM_A);
	assert_int_equal(got.rdi - b_mmio, want.rdi - RAM_B);
	assert_int_equal(got.rip, want.rip);
	assert_int_equal(got.rip, at + c->len + 1);
}

static void test_cmps_scas(void **state)
{
	static const uint32_t accs[] = {0x12345678, 0x0000007f, 0x00000000};
	static const uint64_t counts[] = {1, 3, NSTR, 0};
	struct skg *g = guest_on("default");
	unsigned at = CODE;

	for (size_t i = 0; i < sizeof(str_cases) / sizeof(str_cases[0]);
	     i++, at += 8)
		for (int where = ON_A; where <= (ON_A | ON_B); where++)
			for (int df = 0; df < 2; df++)
				for (size_t k = 0; k < 3; k++)
					for (size_t n = 0;
					     n < (str_cases[i].rep ? 4 : 1);
					     n++)
						check_string(
						    g, &str_cases[i], at, where,
						    df, counts[n], accs[k]);
	skg_free(g);
}

/* Explicit sequences: the order of the reads, the address size, a
 * segment override, and a stale read after KVM_SET_REGS. */
static void test_cmps_details(void **state)
{
	static const uint8_t cmpsb[] = {0xa6};
	static const uint8_t es_cmpsb[] = {0x26, 0xa6};
	static const uint8_t a32_scasb[] = {0x67, 0xae};
	static const uint8_t rep_cmpsb[] = {0xf3, 0xa6};
	struct skg *g = guest_on("default");
	struct kvm_regs r = {0};
	struct kvm_sregs s;

	/* Both on MMIO: [SI] is read first, then [DI]; 0x10 - 0x20. */
	r.rsi = MMIO_A;
	r.rdi = MMIO_B;
	load(g, CODE, cmpsb, 1, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_false(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, MMIO_A);
	g->run[0]->mmio.data[0] = 0x10;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_false(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, MMIO_B);
	g->run[0]->mmio.data[0] = 0x20;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rflags & FL_ARITH, FL_CF | FL_SF | FL_PF);
	assert_int_equal(r.rsi, MMIO_A + 1);
	assert_int_equal(r.rdi, MMIO_B + 1);

	/* DS base 0x1000, ES 0: ES: override makes [SI] 0x8000, not 0x9000. */
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	s.ds.selector = 0x100;
	s.ds.base = 0x1000;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
	g->ram[RAM_B] = 0x55;
	memset(&r, 0, sizeof(r));
	r.rsi = 0x8000;
	r.rdi = RAM_B;
	load(g, CODE + 0x10, es_cmpsb, 2, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8000);
	g->run[0]->mmio.data[0] = 0x55;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_true(regs(g).rflags & FL_ZF);
	memset(&r, 0, sizeof(r));
	r.rsi = 0x8000;
	r.rdi = RAM_B;
	load(g, CODE + 0x18, cmpsb, 1, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x9000);
	g->run[0]->mmio.data[0] = 0x54;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_false(regs(g).rflags & FL_ZF);
	s.ds.selector = 0;
	s.ds.base = 0;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);

	/* Address size: 0x67 SCASB at EDI 0xffff moves EDI to 0x10000
	 * (DI alone would wrap to 0). */
	memset(&r, 0, sizeof(r));
	r.rdi = 0xffff;
	r.rax = 0x33;
	load(g, CODE + 0x20, a32_scasb, 2, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xffff);
	g->run[0]->mmio.data[0] = 0x33;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rdi, 0x10000);
	assert_true(r.rflags & FL_ZF);

	/* SET_REGS moves SI to RAM between the two reads: the answered
	 * read is dropped, the instruction runs again from RAM. */
	g->ram[RAM_A] = 0x44;
	memset(&r, 0, sizeof(r));
	r.rsi = MMIO_A;
	r.rdi = MMIO_B;
	load(g, CODE + 0x30, cmpsb, 1, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->mmio.phys_addr, MMIO_A);
	r = regs(g);
	r.rsi = RAM_A;
	set_regs(g, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, MMIO_B);
	g->run[0]->mmio.data[0] = 0x44;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_true(r.rflags & FL_ZF);
	assert_int_equal(r.rsi, RAM_A + 1);

	/* REPE CMPSB with its source crossing from RAM into MMIO at 0x8000:
	 * the CPU does the RAM elements, the emulator the rest. */
	memcpy(g->ram + 0x7ffe, "ab", 2);
	memcpy(g->ram + RAM_B, "abcX", 4);
	memset(&r, 0, sizeof(r));
	r.rsi = 0x7ffe;
	r.rdi = RAM_B;
	r.rcx = 4;
	load(g, CODE + 0x40, rep_cmpsb, 2, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8000);
	g->run[0]->mmio.data[0] = 'c';
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8001);
	g->run[0]->mmio.data[0] = 'd';
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rsi, 0x8002);
	assert_int_equal(r.rdi, RAM_B + 4);
	assert_false(r.rflags & FL_ZF);
	assert_int_equal(r.rip, CODE + 0x43);
	skg_free(g);
}

/* ---- XADD / CMPXCHG / CMPXCHG8B ----------------------------------------- */

struct xchg_case {
	const char *name;
	uint8_t code[8];
	unsigned len, size;
	unsigned flags; /* flags the instruction defines */
};

#define X(n, sz, fl, ...)                                                      \
	{                                                                      \
		.name = n, .code = {__VA_ARGS__},                              \
		.len = sizeof((uint8_t[]){__VA_ARGS__}), .size = sz,           \
		.flags = fl                                                    \
	}

static const struct xchg_case xchg_cases[] = {
    X("xadd [di],ax", 2, FL_ARITH, 0x0f, 0xc1, 0x05),
    X("xadd [di],cl", 1, FL_ARITH, 0x0f, 0xc0, 0x0d),
    X("lock xadd [di],edx", 4, FL_ARITH, 0xf0, 0x66, 0x0f, 0xc1, 0x15),
    X("cmpxchg [di],cx", 2, FL_ARITH, 0x0f, 0xb1, 0x0d),
    X("cmpxchg [di],dl", 1, FL_ARITH, 0x0f, 0xb0, 0x15),
    X("lock cmpxchg [di],ecx", 4, FL_ARITH, 0xf0, 0x66, 0x0f, 0xb1, 0x0d),
    X("cmpxchg8b [di]", 8, FL_ARITH, 0x0f, 0xc7, 0x0d),
    X("lock cmpxchg8b [di]", 8, FL_ARITH, 0xf0, 0x0f, 0xc7, 0x0d),
};

struct xvals {
	uint64_t ax, dx, cx, mem;
	unsigned fl;
};

/* Equal and unequal comparands, carries, overflow, flags in and out. */
static const struct xvals xvals[] = {
    {0x00001234, 0x00000000, 0x0000beef, 0x0000000000001234ull, 0},
    {0x00001234, 0x00000000, 0x0000beef, 0x0000000000001235ull, FL_ARITH},
    {0xffffffff, 0x00000001, 0x80000000, 0x00000001ffffffffull, FL_CF},
    {0x7fffffff, 0x12345678, 0x00000001, 0x123456787fffffffull, 0},
    {0x80000080, 0x00000000, 0x7f7f7f7f, 0x8000008080000080ull, FL_ZF},
    {0x00000000, 0xffffffff, 0xffffffff, 0x0000000000000000ull, FL_SF},
};

static void check_xchg(struct skg *g, const struct xchg_case *c, unsigned at,
		       const struct xvals *v, uint64_t ramop, uint64_t mmio)
{
	static struct dev d;
	struct kvm_regs r = {0}, want, got;
	uint64_t ram_res = 0, dev_res = 0;

	/* The reference: the CPU on RAM. */
	memcpy(g->ram + ramop, &v->mem, 8);
	r.rax = v->ax;
	r.rdi = ramop;
	r.rbx = 0x9abcdef0;
	r.rcx = v->cx;
	r.rdx = v->dx;
	r.rflags = v->fl;
	load(g, at, c->code, c->len, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	want = regs(g);
	memcpy(&ram_res, g->ram + ramop, c->size);

	/* The same on MMIO: one read, then the store (always). */
	memset(&d, 0, sizeof(d));
	d.base = mmio & ~0xfffull;
	memcpy(d.mem + (mmio - d.base), &v->mem, 8);
	memset(&r, 0, sizeof(r));
	r.rax = v->ax;
	r.rdi = mmio;
	r.rbx = 0x9abcdef0;
	r.rcx = v->cx;
	r.rdx = v->dx;
	r.rflags = v->fl;
	load(g, at, c->code, c->len, &r);
	run_dev(g, &d);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	got = regs(g);
	if (d.n != 2)
		fail_msg("%s: %d exits", c->name, d.n);
	expect_access(&d, 0, false, mmio, c->size);
	expect_access(&d, 1, true, mmio, c->size);
	memcpy(&dev_res, d.mem + (mmio - d.base), c->size);
	if (dev_res != ram_res)
		fail_msg("%s: stored %#llx, CPU %#llx", c->name,
			 (unsigned long long)dev_res,
			 (unsigned long long)ram_res);
	if ((got.rflags & c->flags) != (want.rflags & c->flags))
		fail_msg("%s (ax %#llx mem %#llx fl %#x): rflags %#llx, CPU "
			 "%#llx",
			 c->name, (unsigned long long)v->ax,
			 (unsigned long long)v->mem, v->fl,
			 (unsigned long long)got.rflags,
			 (unsigned long long)want.rflags);
	if (got.rax != want.rax || got.rdx != want.rdx || got.rcx != want.rcx)
		fail_msg(
		    "%s (ax %#llx mem %#llx): rax/rcx/rdx %#llx/%#llx/"
		    "%#llx, CPU %#llx/%#llx/%#llx",
		    c->name, (unsigned long long)v->ax,
		    (unsigned long long)v->mem, (unsigned long long)got.rax,
		    (unsigned long long)got.rcx, (unsigned long long)got.rdx,
		    (unsigned long long)want.rax, (unsigned long long)want.rcx,
		    (unsigned long long)want.rdx);
	assert_int_equal(got.rdi, mmio);
	assert_int_equal(got.rbx, want.rbx);
	assert_int_equal(got.rip, want.rip);
	assert_int_equal(got.rip, at + c->len + 1);
}

static void test_xadd_cmpxchg(void **state)
{
	struct skg *g = guest_on("default");
	unsigned at = CODE;

	for (size_t i = 0; i < sizeof(xchg_cases) / sizeof(xchg_cases[0]);
	     i++, at += 16)
		for (size_t j = 0; j < sizeof(xvals) / sizeof(xvals[0]); j++)
			check_xchg(g, &xchg_cases[i], at, &xvals[j], RAM_A,
				   MMIO_A);
	skg_free(g);
}

/* An operand split by the page boundary into RAM and MMIO: the RAM half is
 * read and written by KVM, only the MMIO half goes out. */
static void test_xchg_crossing(void **state)
{
	static const uint8_t cmpxchg[] = {0x66, 0x0f, 0xb1, 0x0f};
	struct skg *g = guest_on("default");
	struct kvm_regs r = {0};

	/* cmpxchg dword [bx],ecx at 0x7ffe: bytes 0x7ffe..f RAM, 0x8000..1
	 * MMIO; equal, so the new value is stored across both. */
	memcpy(g->ram + 0x7ffe, "\x34\x12", 2);
	r.rax = 0x56781234;
	r.rcx = 0xaabbccdd;
	r.rbx = 0x7ffe;
	load(g, CODE, cmpxchg, 4, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_false(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8000);
	assert_int_equal(g->run[0]->mmio.len, 2);
	memcpy(g->run[0]->mmio.data, "\x78\x56", 2);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_true(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8000);
	assert_int_equal(g->run[0]->mmio.len, 2);
	assert_memory_equal(g->run[0]->mmio.data, "\xbb\xaa", 2);
	assert_memory_equal(g->ram + 0x7ffe, "\xdd\xcc", 2);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_true(r.rflags & FL_ZF);
	assert_int_equal(r.rax, 0x56781234);
	skg_free(g);
}

/* ---- 64-bit guest ------------------------------------------------------- */

#define MMIO64 0xd0000000ull

/* 4-level paging: GPA 0..2M identity, a 2 MiB page at 0xd0000000 (MMIO). */
static void long_mode(struct skg *g)
{
	uint64_t *pml4 = (uint64_t *)(g->ram + 0x2000);
	uint64_t *pdpt = (uint64_t *)(g->ram + 0x3000);
	uint64_t *pd0 = (uint64_t *)(g->ram + 0x4000);
	uint64_t *pd3 = (uint64_t *)(g->ram + 0x7000);
	struct kvm_segment cs = {.limit = 0xffffffff,
				 .selector = 8,
				 .type = 11,
				 .present = 1,
				 .s = 1,
				 .l = 1,
				 .g = 1};
	struct kvm_segment ds = {.limit = 0xffffffff,
				 .selector = 0x10,
				 .type = 3,
				 .present = 1,
				 .s = 1,
				 .db = 1,
				 .g = 1};
	struct kvm_sregs s;

	pml4[0] = 0x3000 | 3;
	pdpt[0] = 0x4000 | 3;
	pdpt[3] = 0x7000 | 3;
	pd0[0] = 0x83;
	pd3[0x80] = MMIO64 | 0x83;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	s.cs = cs;
	s.ds = s.es = s.ss = ds;
	s.cr3 = 0x2000;
	s.cr4 = 0x20;
	s.efer = 0x500;
	s.cr0 = 0x80000031;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
}

static const struct xchg_case xchg64_cases[] = {
    X("xadd [rdi],rcx", 8, FL_ARITH, 0x48, 0x0f, 0xc1, 0x0f),
    X("cmpxchg [rdi],rcx", 8, FL_ARITH, 0x48, 0x0f, 0xb1, 0x0f),
    /* 32-bit: RAX zero-extended on failure only. */
    X("cmpxchg [rdi],ecx", 4, FL_ARITH, 0x0f, 0xb1, 0x0f),
    X("lock cmpxchg8b [rdi]", 8, FL_ARITH, 0xf0, 0x0f, 0xc7, 0x0f),
};

static const struct xvals xvals64[] = {
    {0xffffffff00001234ull, 0, 0x1111111122222222ull, 0xffffffff00001234ull, 0},
    {0xffffffff00001234ull, 0, 0x1111111122222222ull, 0x0000000000001234ull,
     FL_CF},
    {0xffffffff00001234ull, 0x5555555500000000ull, 0x3333333344444444ull,
     0x8000000000000000ull, FL_ZF},
};

static void check_long_mode(const char *model)
{
	static const uint8_t rep_cmpsq[] = {0xf3, 0x48, 0xa7};
	static const uint8_t repne_scasq[] = {0xf2, 0x48, 0xaf};
	static const uint8_t cmpxchg16b[] = {0x48, 0x0f, 0xc7, 0x0b};
	static const uint8_t cmpsq[] = {0x48, 0xa7};
	struct skg *g = guest_on(model);
	struct kvm_regs r = {0};
	unsigned at = CODE;
	static struct dev d;

	long_mode(g);
	for (size_t i = 0; i < sizeof(xchg64_cases) / sizeof(xchg64_cases[0]);
	     i++, at += 16)
		for (size_t j = 0; j < sizeof(xvals64) / sizeof(xvals64[0]);
		     j++)
			check_xchg(g, &xchg64_cases[i], at, &xvals64[j], RAM_A,
				   MMIO64 + 0x100);

	/* REPE CMPSQ, RAM source against MMIO: stops at the mismatch. */
	memcpy(g->ram + RAM_A, "\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", 16);
	memset(&d, 0, sizeof(d));
	d.base = MMIO64;
	memcpy(d.mem, "\x01\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0", 16);
	memset(&r, 0, sizeof(r));
	r.rsi = RAM_A;
	r.rdi = MMIO64;
	r.rcx = 5;
	load(g, at, rep_cmpsq, 3, &r);
	run_dev(g, &d);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(d.n, 2);
	expect_access(&d, 0, false, MMIO64, 8);
	expect_access(&d, 1, false, MMIO64 + 8, 8);
	r = regs(g);
	assert_int_equal(r.rcx, 3);
	assert_int_equal(r.rsi, RAM_A + 16);
	assert_int_equal(r.rdi, MMIO64 + 16);
	assert_int_equal(r.rflags & FL_ARITH, FL_CF | FL_SF | FL_PF | FL_AF);
	at += 16;

	/* REPNE SCASQ, DF=1: finds RAX at the second element down. */
	memset(&d, 0, sizeof(d));
	d.base = MMIO64;
	memcpy(d.mem + 0x108, "\x11\0\0\0\0\0\0\0", 8);
	memcpy(d.mem + 0x100, "\x22\0\0\0\0\0\0\0", 8);
	memset(&r, 0, sizeof(r));
	r.rax = 0x22;
	r.rdi = MMIO64 + 0x108;
	r.rcx = 10;
	r.rflags = FL_DF;
	load(g, at, repne_scasq, 3, &r);
	run_dev(g, &d);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(d.n, 2);
	expect_access(&d, 0, false, MMIO64 + 0x108, 8);
	expect_access(&d, 1, false, MMIO64 + 0x100, 8);
	r = regs(g);
	assert_int_equal(r.rcx, 8);
	assert_int_equal(r.rdi, MMIO64 + 0xf8);
	assert_true(r.rflags & FL_ZF);
	at += 16;

	/* CMPSQ with both operands on MMIO: 16 bytes of reads. Emulated
	 * when vcpu->arch.mmio_value holds 16 bytes; with 8 it is a clear
	 * internal error after the first read, never a wrong result. */
	memset(&r, 0, sizeof(r));
	r.rsi = MMIO64;
	r.rdi = MMIO64 + 0x100;
	load(g, at, cmpsq, 2, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, MMIO64);
	memcpy(g->run[0]->mmio.data, "\x05\0\0\0\0\0\0\0", 8);
	assert_int_equal(run(g), 0);
	if (g->run[0]->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		skg_free(g);
		g = guest_on(model);
		long_mode(g);
	} else {
		assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
		assert_int_equal(g->run[0]->mmio.phys_addr, MMIO64 + 0x100);
		memcpy(g->run[0]->mmio.data, "\x05\0\0\0\0\0\0\0", 8);
		assert_int_equal(run(g), 0);
		assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
		assert_true(regs(g).rflags & FL_ZF);
	}
	at += 16;

	/* CMPXCHG16B on MMIO: misaligned is #GP (no IDT: shutdown); aligned
	 * is refused with an emulation internal error, not a crash. */
	memset(&r, 0, sizeof(r));
	r.rbx = MMIO64 + 8;
	load(g, at, cmpxchg16b, 4, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_SHUTDOWN);
	skg_free(g);

	g = guest_on(model);
	long_mode(g);
	memset(&r, 0, sizeof(r));
	r.rbx = MMIO64;
	load(g, CODE, cmpxchg16b, 4, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(g->run[0]->emulation_failure.suberror,
			 KVM_INTERNAL_ERROR_EMULATION);
	skg_free(g);
}

static void test_long_mode(void **state)
{
	check_long_mode("default");
}

/* The same on shadow paging (no EPT): MMIO found by the shadow MMU. */
static void test_long_mode_shadow(void **state)
{
	check_long_mode("default,-ept");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmps_scas),
	    cmocka_unit_test(test_cmps_details),
	    cmocka_unit_test(test_xadd_cmpxchg),
	    cmocka_unit_test(test_xchg_crossing),
	    cmocka_unit_test(test_long_mode),
	    cmocka_unit_test(test_long_mode_shadow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
