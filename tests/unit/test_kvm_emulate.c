// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO emulator beyond plain loads and stores, on real guests through
 * softkvm: read-modify-write instructions on MMIO (a read exit, then the
 * store as a second exit), checked against the same instruction run by
 * the CPU on RAM (result, registers, RFLAGS); MOVS/STOS between RAM and
 * MMIO with DF=0/1, REP, segment override and address size; LODS; an abandoned
 * read-modify-write (immediate_exit, SET_REGS moving RIP or the operand);
 * accesses crossing into MMIO; a 64-bit guest (8-byte forms, MOVSQ, a
 * non-canonical operand raising #GP).
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
#define RAMOP	 0x5000 /* operand in RAM */
#define MMIO	 0x9000 /* operand in MMIO */

#define FL_CF	 0x001u
#define FL_PF	 0x004u
#define FL_AF	 0x010u
#define FL_ZF	 0x040u
#define FL_SF	 0x080u
#define FL_DF	 0x400u
#define FL_OF	 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Real mode, all segments at 0 (unrestricted guest); RAM [0, RAM_SIZE). */
static struct skg *guest_on(const char *model)
{
	struct skg *g = skg_new(model, RAM_SIZE);

	skg_vcpu_new(g, 0);
	skg_real_mode(g, 0, CODE, 0x7000);
	return g;
}

static struct skg *guest(void)
{
	return guest_on("default");
}

static void done(struct skg *g)
{
	skg_free(g);
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

static void expect_mmio(struct skg *g, bool write, uint64_t gpa, unsigned len)
{
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.is_write, write);
	assert_int_equal(g->run[0]->mmio.phys_addr, gpa);
	assert_int_equal(g->run[0]->mmio.len, len);
}

/* ---- read-modify-write, differential against the CPU on RAM ----------- */

struct rmw_case {
	const char *name;
	uint8_t code[8];
	unsigned len, size;
	unsigned flags; /* defined flags to compare */
	bool writes;
	int bitreg; /* BT* with register offset: the unit moves */
};

#define C(n, sz, fl, wr, ...)                                                  \
	{                                                                      \
		.name = n, .code = {__VA_ARGS__},                              \
		.len = sizeof((uint8_t[]){__VA_ARGS__}), .size = sz,           \
		.flags = fl, .writes = wr                                      \
	}

static const struct rmw_case rmw_cases[] = {
    C("add [bx],ax", 2, FL_ARITH, true, 0x01, 0x07),
    C("or [bx],ax", 2, FL_ARITH & ~FL_AF, true, 0x09, 0x07),
    C("adc [bx],ax", 2, FL_ARITH, true, 0x11, 0x07),
    C("sbb [bx],ax", 2, FL_ARITH, true, 0x19, 0x07),
    C("and [bx],ax", 2, FL_ARITH & ~FL_AF, true, 0x21, 0x07),
    C("sub [bx],ax", 2, FL_ARITH, true, 0x29, 0x07),
    C("xor [bx],ax", 2, FL_ARITH & ~FL_AF, true, 0x31, 0x07),
    C("cmp [bx],ax", 2, FL_ARITH, false, 0x39, 0x07),
    C("add ax,[bx]", 2, FL_ARITH, false, 0x03, 0x07),
    C("sub al,[bx]", 1, FL_ARITH, false, 0x2a, 0x07),
    C("add byte [bx],0x85", 1, FL_ARITH, true, 0x80, 0x07, 0x85),
    C("sub word [bx],-16", 2, FL_ARITH, true, 0x83, 0x2f, 0xf0),
    C("cmp byte [bx],0x7f", 1, FL_ARITH, false, 0x80, 0x3f, 0x7f),
    C("add dword [bx],eax", 4, FL_ARITH, true, 0x66, 0x01, 0x07),
    C("sbb dword [bx],0x12345678", 4, FL_ARITH, true, 0x66, 0x81, 0x1f, 0x78,
      0x56, 0x34, 0x12),
    C("test [bx],ax", 2, FL_ARITH & ~FL_AF, false, 0x85, 0x07),
    C("test byte [bx],0x80", 1, FL_ARITH & ~FL_AF, false, 0xf6, 0x07, 0x80),
    C("inc word [bx]", 2, FL_ARITH, true, 0xff, 0x07),
    C("dec byte [bx]", 1, FL_ARITH, true, 0xfe, 0x0f),
    C("neg word [bx]", 2, FL_ARITH, true, 0xf7, 0x1f),
    C("not word [bx]", 2, FL_ARITH, true, 0xf7, 0x17),
    C("bt word [bx],5", 2, FL_CF, false, 0x0f, 0xba, 0x27, 0x05),
    C("bts word [bx],21", 2, FL_CF, true, 0x0f, 0xba, 0x2f, 21),
    C("btr word [bx],3", 2, FL_CF, true, 0x0f, 0xba, 0x37, 0x03),
    C("btc word [bx],15", 2, FL_CF, true, 0x0f, 0xba, 0x3f, 0x0f),
    C("xchg [bx],ax", 2, FL_ARITH, true, 0x87, 0x07),
    C("xchg cl,[bx]", 1, FL_ARITH, true, 0x86, 0x0f),
    C("lock add [bx],ax", 2, FL_ARITH, true, 0xf0, 0x01, 0x07),
    C("lock xor byte [bx],0x5a", 1, FL_ARITH & ~FL_AF, true, 0xf0, 0x80, 0x37,
      0x5a),
    C("lock dec dword [bx]", 4, FL_ARITH, true, 0xf0, 0x66, 0xff, 0x0f),
};

/* BT* with a register offset (CX): the offset picks the word. */
static const struct rmw_case bit_cases[] = {
    C("bt [bx],cx", 2, FL_CF, false, 0x0f, 0xa3, 0x0f),
    C("bts [bx],cx", 2, FL_CF, true, 0x0f, 0xab, 0x0f),
    C("btr [bx],cx", 2, FL_CF, true, 0x0f, 0xb3, 0x0f),
    C("lock btc [bx],cx", 2, FL_CF, true, 0xf0, 0x0f, 0xbb, 0x0f),
    C("bts dword [bx],ecx", 4, FL_CF, true, 0x66, 0x0f, 0xab, 0x0f),
};

struct vals {
	uint32_t ax, mem, cx;
	unsigned cf;
};

static const struct vals value_sets[] = {
    {0x00001234, 0x80018001, 0x0003, 0}, {0xffffffff, 0x00000001, 0x0013, 1},
    {0x7fff7fff, 0xffffffff, 0xfffe, 1}, /* CX -2: the word before */
    {0x00000080, 0x7fffff80, 0x0000, 0}, {0x00000000, 0x00000000, 0x0021, 1},
};

/* Byte offset of the operand BT* with register offset @cx touches. */
static int bit_unit(const struct rmw_case *c, uint32_t cx)
{
	int bits = (int)c->size * 8;
	int64_t off = c->size == 2   ? (int16_t)cx
		      : c->size == 4 ? (int32_t)cx
				     : (int64_t)(uint64_t)cx;

	return (int)((off >= 0 ? off / bits : -((-off + bits - 1) / bits)) *
		     (int)c->size);
}

static void check_rmw(struct skg *g, const struct rmw_case *c, unsigned at,
		      const struct vals *v, bool bitreg, uint64_t mmio)
{
	int unit = bitreg ? bit_unit(c, v->cx) : 0;
	struct kvm_regs r = {0}, want, got;
	uint64_t ram_res = 0, mmio_res = 0, mem = v->mem;

	/* The reference: the CPU on RAM. */
	memcpy(g->ram + RAMOP + unit, &mem, 8);
	r.rax = v->ax;
	r.rbx = RAMOP;
	r.rcx = v->cx;
	r.rflags = v->cf ? FL_CF : 0;
	load(g, at, c->code, c->len, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	want = regs(g);
	memcpy(&ram_res, g->ram + RAMOP + unit, c->size);

	/* The same on MMIO: a read, then (if it stores) a write. */
	memset(&r, 0, sizeof(r));
	r.rax = v->ax;
	r.rbx = mmio;
	r.rcx = v->cx;
	r.rflags = v->cf ? FL_CF : 0;
	load(g, at, c->code, c->len, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, mmio + (uint64_t)(int64_t)unit, c->size);
	memcpy(g->run[0]->mmio.data, &mem, 8);
	assert_int_equal(run(g), 0);
	if (c->writes) {
		expect_mmio(g, true, mmio + (uint64_t)(int64_t)unit, c->size);
		memcpy(&mmio_res, g->run[0]->mmio.data, c->size);
		if (mmio_res != ram_res)
			fail_msg("%s: wrote %#llx, CPU %#llx", c->name,
				 (unsigned long long)mmio_res,
				 (unsigned long long)ram_res);
		assert_int_equal(run(g), 0);
	}
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	got = regs(g);
	if ((got.rflags & c->flags) != (want.rflags & c->flags))
		fail_msg("%s (ax %#x mem %#x cf %u): rflags %#llx, CPU %#llx",
			 c->name, v->ax, v->mem, v->cf,
			 (unsigned long long)got.rflags,
			 (unsigned long long)want.rflags);
	assert_int_equal(got.rax, want.rax);
	assert_int_equal(got.rcx, want.rcx);
	assert_int_equal(got.rbx, mmio);
	assert_int_equal(got.rip, want.rip);
	assert_int_equal(got.rip, at + c->len + 1);
}

static void test_rmw_on_mmio(void **state)
{
	struct skg *g = guest();
	unsigned at = CODE;

	for (size_t i = 0; i < sizeof(rmw_cases) / sizeof(rmw_cases[0]);
	     i++, at += 16)
		for (size_t j = 0;
		     j < sizeof(value_sets) / sizeof(value_sets[0]); j++)
			check_rmw(g, &rmw_cases[i], at, &value_sets[j], false,
				  MMIO);
	for (size_t i = 0; i < sizeof(bit_cases) / sizeof(bit_cases[0]);
	     i++, at += 16)
		for (size_t j = 0;
		     j < sizeof(value_sets) / sizeof(value_sets[0]); j++)
			check_rmw(g, &bit_cases[i], at, &value_sets[j], true,
				  MMIO);
	done(g);
}

/* ---- MOVS / STOS ----------------------------------------------------------
 */

static void set_ds(struct skg *g, uint16_t sel)
{
	struct kvm_sregs s;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	s.ds.selector = sel;
	s.ds.base = (uint64_t)sel << 4;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
}

static void test_movs_ram_to_mmio(void **state)
{
	static const uint8_t movsw[] = {0xa5};
	struct skg *g = guest();
	struct kvm_regs r = {0};

	/* DF=0: one word out, SI/DI up. */
	memcpy(g->ram + RAMOP, "\xef\xbe", 2);
	r.rsi = RAMOP;
	r.rdi = MMIO;
	load(g, CODE, movsw, 1, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, MMIO, 2);
	assert_memory_equal(g->run[0]->mmio.data, "\xef\xbe", 2);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rsi, RAMOP + 2);
	assert_int_equal(r.rdi, MMIO + 2);

	/* DF=1: SI/DI down. */
	memset(&r, 0, sizeof(r));
	r.rsi = RAMOP;
	r.rdi = MMIO;
	r.rflags = FL_DF;
	load(g, CODE + 0x10, movsw, 1, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, MMIO, 2);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rsi, RAMOP - 2);
	assert_int_equal(r.rdi, MMIO - 2);

	/* REP MOVSW, DF=1, count 3: one element per exit, downwards. */
	static const uint8_t rep_movsw[] = {0xf3, 0xa5};
	memcpy(g->ram + RAMOP - 4, "\x11\x11\x22\x22\x33\x33", 6);
	memset(&r, 0, sizeof(r));
	r.rsi = RAMOP;
	r.rdi = MMIO + 4;
	r.rcx = 3;
	r.rflags = FL_DF;
	load(g, CODE + 0x20, rep_movsw, 2, &r);
	for (int i = 0; i < 3; i++) {
		uint8_t want = (uint8_t)(0x33 - 0x11 * i);

		assert_int_equal(run(g), 0);
		expect_mmio(g, true, (uint64_t)(MMIO + 4 - 2 * i), 2);
		assert_int_equal(g->run[0]->mmio.data[0], want);
		assert_int_equal(g->run[0]->mmio.data[1], want);
	}
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rsi, RAMOP - 6);
	assert_int_equal(r.rdi, MMIO - 2);
	assert_int_equal(r.rip, CODE + 0x20 + 3);

	/* REP STOSW, DF=0, count 2 (and count 0 does nothing). */
	static const uint8_t rep_stosw[] = {0xf3, 0xab, 0xf3, 0xab};
	memset(&r, 0, sizeof(r));
	r.rax = 0xa5c3;
	r.rdi = MMIO;
	r.rcx = 2;
	load(g, CODE + 0x30, rep_stosw, 4, &r);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(run(g), 0);
		expect_mmio(g, true, (uint64_t)(MMIO + 2 * i), 2);
		assert_memory_equal(g->run[0]->mmio.data, "\xc3\xa5", 2);
	}
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdi, MMIO + 4);
	done(g);
}

static void test_movs_mmio_to_ram(void **state)
{
	static const uint8_t rep_movsb[] = {0xf3, 0xa4};
	static const uint8_t es_movsb[] = {0x26, 0xa4};
	static const uint8_t a32_movsb[] = {0x67, 0xa4};
	struct skg *g = guest();
	struct kvm_regs r = {0};

	/* REP MOVSB from MMIO, DF=0, count 3: three reads. */
	r.rsi = MMIO;
	r.rdi = RAMOP;
	r.rcx = 3;
	load(g, CODE, rep_movsb, 2, &r);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(run(g), 0);
		expect_mmio(g, false, (uint64_t)(MMIO + i), 1);
		g->run[0]->mmio.data[0] = (uint8_t)(0xa0 + i);
	}
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_memory_equal(g->ram + RAMOP, "\xa0\xa1\xa2", 3);
	r = regs(g);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rsi, MMIO + 3);
	assert_int_equal(r.rdi, RAMOP + 3);

	/* DF=1 MOVSD (32-bit operand) from MMIO. */
	static const uint8_t movsd[] = {0x66, 0xa5};
	memset(&r, 0, sizeof(r));
	r.rsi = MMIO;
	r.rdi = RAMOP;
	r.rflags = FL_DF;
	load(g, CODE + 0x10, movsd, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO, 4);
	memcpy(g->run[0]->mmio.data, "\x01\x02\x03\x04", 4);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_memory_equal(g->ram + RAMOP, "\x01\x02\x03\x04", 4);
	r = regs(g);
	assert_int_equal(r.rsi, MMIO - 4);
	assert_int_equal(r.rdi, RAMOP - 4);

	/* DS base 0x1000: DS:SI = 0x9000; with ES: override it is 0x8000. */
	set_ds(g, 0x100);
	memset(&r, 0, sizeof(r));
	r.rsi = 0x8000;
	r.rdi = RAMOP;
	load(g, CODE + 0x20, es_movsb + 1, 1, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, 0x9000, 1);
	g->run[0]->mmio.data[0] = 0x77;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(g->ram[RAMOP], 0x77);
	memset(&r, 0, sizeof(r));
	r.rsi = 0x8000;
	r.rdi = RAMOP;
	load(g, CODE + 0x30, es_movsb, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, 0x8000, 1);
	g->run[0]->mmio.data[0] = 0x66;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(g->ram[RAMOP], 0x66);
	set_ds(g, 0);

	/* Address size: SI wraps at 64 KiB, ESI (0x67) does not. */
	static const uint8_t movsb1[] = {0xa4};
	memset(&r, 0, sizeof(r));
	r.rsi = 0xffff;
	r.rdi = RAMOP;
	load(g, CODE + 0x40, movsb1, 1, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, 0xffff, 1);
	g->run[0]->mmio.data[0] = 0x55;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(g->ram[RAMOP], 0x55);
	assert_int_equal(regs(g).rsi, 0);
	memset(&r, 0, sizeof(r));
	r.rsi = 0xffff;
	r.rdi = RAMOP;
	load(g, CODE + 0x48, a32_movsb, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, 0xffff, 1);
	g->run[0]->mmio.data[0] = 0x56;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(g->ram[RAMOP], 0x56);
	assert_int_equal(regs(g).rsi, 0x10000);

	/* LODSW from MMIO, DF=1: AX loaded, the rest of EAX kept. */
	static const uint8_t lodsw[] = {0xad};
	memset(&r, 0, sizeof(r));
	r.rax = 0x12345678;
	r.rsi = MMIO;
	r.rflags = FL_DF;
	load(g, CODE + 0x60, lodsw, 1, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO, 2);
	memcpy(g->run[0]->mmio.data, "\xcd\xab", 2);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rax, 0x1234abcd);
	assert_int_equal(r.rsi, MMIO - 2);

	/* REP LODSB, count 2: two reads, AL is the last. */
	static const uint8_t rep_lodsb[] = {0xf3, 0xac};
	memset(&r, 0, sizeof(r));
	r.rsi = MMIO;
	r.rcx = 2;
	load(g, CODE + 0x68, rep_lodsb, 2, &r);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(run(g), 0);
		expect_mmio(g, false, (uint64_t)(MMIO + i), 1);
		g->run[0]->mmio.data[0] = (uint8_t)(0x40 + i);
	}
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rax, 0x41);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rsi, MMIO + 2);

	/* MMIO to MMIO: a read, then a write. */
	static const uint8_t movsb[] = {0xa4};
	memset(&r, 0, sizeof(r));
	r.rsi = MMIO;
	r.rdi = MMIO + 0x100;
	load(g, CODE + 0x50, movsb, 1, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO, 1);
	g->run[0]->mmio.data[0] = 0x99;
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, MMIO + 0x100, 1);
	assert_int_equal(g->run[0]->mmio.data[0], 0x99);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	done(g);
}

/* ---- an abandoned read-modify-write ------------------------------------- */

static void test_rmw_abandoned(void **state)
{
	static const uint8_t add[] = {0x01, 0x07}; /* add [bx],ax */
	struct skg *g = guest();
	struct kvm_regs r = {0};

	/* immediate_exit after the read: KVM_RUN still completes the
	 * instruction (the write goes out), then the next run is -EINTR. */
	r.rax = 1;
	r.rbx = MMIO;
	load(g, CODE, add, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO, 2);
	memcpy(g->run[0]->mmio.data, "\x41\x00", 2);
	g->run[0]->immediate_exit = 1;
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, MMIO, 2);
	assert_memory_equal(g->run[0]->mmio.data, "\x42\x00", 2);
	assert_int_equal(run(g), -EINTR);
	g->run[0]->immediate_exit = 0;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);

	/* SET_REGS moves RIP after the read: nothing is written, the
	 * guest runs from the new RIP. */
	memset(&r, 0, sizeof(r));
	r.rax = 1;
	r.rbx = MMIO;
	load(g, CODE + 0x10, add, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO, 2);
	r = regs(g);
	r.rip = CODE + 0x12; /* the HLT */
	set_regs(g, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(regs(g).rip, CODE + 0x13);

	/* SET_REGS moves the operand to RAM: the stale read is dropped and
	 * the instruction runs again on RAM. */
	memset(&r, 0, sizeof(r));
	r.rax = 1;
	r.rbx = MMIO;
	load(g, CODE + 0x20, add, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO, 2);
	r = regs(g);
	r.rbx = RAMOP;
	set_regs(g, &r);
	memcpy(g->ram + RAMOP, "\x10\x00", 2);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_memory_equal(g->ram + RAMOP, "\x11\x00", 2);
	done(g);
}

/* ---- crossing pages ------------------------------------------------------ */

static void test_rmw_crossing(void **state)
{
	static const uint8_t add[] = {0x01, 0x07}; /* add [bx],ax */
	struct skg *g = guest();
	struct kvm_regs r = {0};

	/* RAM byte at 0x7fff, MMIO byte at 0x8000: only the MMIO half goes
	 * out, both ways; the carry crosses between them. */
	g->ram[0x7fff] = 0xff;
	r.rax = 1;
	r.rbx = 0x7fff;
	load(g, CODE, add, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, 0x8000, 1);
	g->run[0]->mmio.data[0] = 0x12;
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, 0x8000, 1);
	assert_int_equal(g->run[0]->mmio.data[0], 0x13);
	assert_int_equal(g->ram[0x7fff], 0x00);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);

	/* MMIO on both sides of a page boundary: one exit of 4 bytes. */
	static const uint8_t inc[] = {0x66, 0xff, 0x07}; /* inc dword [bx] */
	memset(&r, 0, sizeof(r));
	r.rbx = 0x8ffe;
	load(g, CODE + 0x10, inc, 3, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, 0x8ffe, 4);
	memcpy(g->run[0]->mmio.data, "\xff\xff\xff\xff", 4);
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, 0x8ffe, 4);
	assert_memory_equal(g->run[0]->mmio.data, "\0\0\0\0", 4);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_true(regs(g).rflags & FL_ZF);

	/* An RMW form not emulated (SHL) is an internal error, not a crash. */
	static const uint8_t shl[] = {0xd1, 0x27};
	memset(&r, 0, sizeof(r));
	r.rbx = MMIO;
	load(g, CODE + 0x20, shl, 2, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	done(g);
}

/* ---- 64-bit guest ------------------------------------------------------- */

#define MMIO64 0xd0000000ull

/* 4-level paging: GPA 0..2M identity, a 2 MiB page at 0xd0000000 (MMIO). */
static void long_mode(struct skg *g)
{
	skg_long_mode(g, 0, 0x2000, 0x7000, MMIO64);
}

static const struct rmw_case rmw64_cases[] = {
    C("add [rbx],rax", 8, FL_ARITH, true, 0x48, 0x01, 0x03),
    C("sub [rbx],eax", 4, FL_ARITH, true, 0x29, 0x03),
    C("neg qword [rbx]", 8, FL_ARITH, true, 0x48, 0xf7, 0x1b),
    C("cmp qword [rbx],-1", 8, FL_ARITH, false, 0x48, 0x83, 0x3b, 0xff),
    C("xchg [rbx],rax", 8, FL_ARITH, true, 0x48, 0x87, 0x03),
    C("lock or [rbx],rax", 8, FL_ARITH & ~FL_AF, true, 0xf0, 0x48, 0x09, 0x03),
    C("inc qword [rbx]", 8, FL_ARITH, true, 0x48, 0xff, 0x03),
};

static const struct rmw_case bit64_cases[] = {
    C("bts qword [rbx],rcx", 8, FL_CF, true, 0x48, 0x0f, 0xab, 0x0b),
    C("btr dword [rbx],ecx", 4, FL_CF, true, 0x0f, 0xb3, 0x0b),
};

static void check_long_mode(const char *model)
{
	static const uint8_t movsq[] = {0x48, 0xa5};
	static const uint8_t add[] = {0x48, 0x01, 0x03};
	struct skg *g = guest_on(model);
	struct kvm_regs r = {0};
	unsigned at = CODE;

	long_mode(g);
	for (size_t i = 0; i < sizeof(rmw64_cases) / sizeof(rmw64_cases[0]);
	     i++, at += 16)
		for (size_t j = 0;
		     j < sizeof(value_sets) / sizeof(value_sets[0]); j++)
			check_rmw(g, &rmw64_cases[i], at, &value_sets[j], false,
				  MMIO64);
	for (size_t i = 0; i < sizeof(bit64_cases) / sizeof(bit64_cases[0]);
	     i++, at += 16)
		for (size_t j = 0;
		     j < sizeof(value_sets) / sizeof(value_sets[0]); j++)
			check_rmw(g, &bit64_cases[i], at, &value_sets[j], true,
				  MMIO64);

	/* MOVSQ RAM -> MMIO, DF=1. */
	memcpy(g->ram + RAMOP, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	r.rsi = RAMOP;
	r.rdi = MMIO64 + 0x100;
	r.rflags = FL_DF;
	load(g, at, movsq, 2, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, true, MMIO64 + 0x100, 8);
	assert_memory_equal(g->run[0]->mmio.data,
			    "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	r = regs(g);
	assert_int_equal(r.rsi, RAMOP - 8);
	assert_int_equal(r.rdi, MMIO64 + 0xf8);
	at += 16;

	/* The operand's address made non-canonical between the two exits
	 * (KVM_SET_REGS): #GP in the guest (no IDT here: a triple fault),
	 * nothing written, no crash. */
	memset(&r, 0, sizeof(r));
	r.rbx = MMIO64;
	load(g, at, add, 3, &r);
	assert_int_equal(run(g), 0);
	expect_mmio(g, false, MMIO64, 8);
	r = regs(g);
	r.rbx = 0x8000000000000000ull;
	set_regs(g, &r);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_SHUTDOWN);
	done(g);
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
	    cmocka_unit_test(test_rmw_on_mmio),
	    cmocka_unit_test(test_movs_ram_to_mmio),
	    cmocka_unit_test(test_movs_mmio_to_ram),
	    cmocka_unit_test(test_rmw_abandoned),
	    cmocka_unit_test(test_rmw_crossing),
	    cmocka_unit_test(test_long_mode),
	    cmocka_unit_test(test_long_mode_shadow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
