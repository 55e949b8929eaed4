// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches emulated by KVM (TASK_SWITCH exits), on a real
 * guest through softkvm, between 32-bit and 16-bit TSSs: CALL to a 16-bit
 * task and IRET back (NT, back link, busy bits, both TSS formats saved),
 * JMP 32 -> 16 -> 32, an exception with an error code through a task gate
 * into a 16-bit task (a word pushed), and a 16-bit TSS below its minimum
 * limit (#TS).
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

#define RAM_SIZE 0x8000
#define GDT	 0x800
#define IDT	 0x900
#define CODE32	 0x1000
#define CODE32C	 0x1100
#define CODE16	 0x2000
#define TSS_A	 0x3000 /* 32-bit, the task the guest starts in */
#define TSS_B	 0x3100 /* 16-bit */
#define TSS_C	 0x3200 /* 32-bit */

#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_TSS_A  0x18
#define SEL_TSS_B  0x20
#define SEL_CODE16 0x28
#define SEL_DATA16 0x30
#define SEL_TSS_C  0x38
#define GDT_LIMIT  0x3f

#define FL_NT 0x4000u

static uint64_t desc(uint32_t base, uint32_t limit, unsigned type, bool s,
		     bool db, bool gran)
{
	return (limit & 0xffffull) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)type << 40 | (uint64_t)s << 44 | 1ull << 47 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)db << 54 |
	       (uint64_t)gran << 55 | (uint64_t)(base >> 24) << 56;
}

static uint64_t *gdt(struct skg *g)
{
	return (uint64_t *)(g->ram + GDT);
}

static unsigned gdt_type(struct skg *g, uint16_t sel)
{
	return (unsigned)(gdt(g)[sel >> 3] >> 40) & 0xf;
}

static uint16_t rd16(struct skg *g, unsigned at)
{
	uint16_t v;

	memcpy(&v, g->ram + at, 2);
	return v;
}

static uint32_t rd32(struct skg *g, unsigned at)
{
	uint32_t v;

	memcpy(&v, g->ram + at, 4);
	return v;
}

static void wr16(struct skg *g, unsigned at, uint16_t v)
{
	memcpy(g->ram + at, &v, 2);
}

static void wr32(struct skg *g, unsigned at, uint32_t v)
{
	memcpy(g->ram + at, &v, 4);
}

/* A fresh 16-bit TSS B: IP @ip, SP 0x6000, 16-bit code and data. */
static void tss16_init(struct skg *g, uint16_t ip)
{
	static const uint16_t gprs[8] = {0x1111, 0x2222, 0x3333, 0x4444,
					 0x6000, 0x5555, 0x6666, 0x7777};

	memset(g->ram + TSS_B, 0, 0x2c);
	wr16(g, TSS_B + 0x00, 0xdead); /* the back link: a sentinel */
	wr16(g, TSS_B + 0x0e, ip);
	wr16(g, TSS_B + 0x10, 0x0002);
	for (int i = 0; i < 8; i++)
		wr16(g, TSS_B + 0x12 + 2 * i, gprs[i]);
	wr16(g, TSS_B + 0x22, SEL_DATA16); /* ES */
	wr16(g, TSS_B + 0x24, SEL_CODE16); /* CS */
	wr16(g, TSS_B + 0x26, SEL_DATA16); /* SS */
	wr16(g, TSS_B + 0x28, SEL_DATA16); /* DS */
	wr16(g, TSS_B + 0x2a, 0);	   /* LDT */
}

static struct skg *guest(void)
{
	struct skg *g;
	struct kvm_segment cs = {.limit = 0xffffffff,
				 .selector = SEL_CODE32,
				 .type = 11,
				 .present = 1,
				 .s = 1,
				 .db = 1,
				 .g = 1};
	struct kvm_segment ds = {.limit = 0xffffffff,
				 .selector = SEL_DATA32,
				 .type = 3,
				 .present = 1,
				 .s = 1,
				 .db = 1,
				 .g = 1};
	struct kvm_segment tr = {.base = TSS_A,
				 .limit = 0x67,
				 .selector = SEL_TSS_A,
				 .type = 11,
				 .present = 1};
	struct kvm_regs r = {0};
	struct kvm_sregs s;

	g = skg_new("default", RAM_SIZE);
	skg_vcpu_new(g, 0);

	gdt(g)[SEL_CODE32 >> 3] = desc(0, 0xfffff, 0xb, true, true, true);
	gdt(g)[SEL_DATA32 >> 3] = desc(0, 0xfffff, 0x3, true, true, true);
	gdt(g)[SEL_TSS_A >> 3] = desc(TSS_A, 0x67, 0xb, false, false, false);
	gdt(g)[SEL_TSS_B >> 3] = desc(TSS_B, 0x2b, 0x1, false, false, false);
	gdt(g)[SEL_CODE16 >> 3] = desc(0, 0xffff, 0xb, true, false, false);
	gdt(g)[SEL_DATA16 >> 3] = desc(0, 0xffff, 0x3, true, false, false);
	gdt(g)[SEL_TSS_C >> 3] = desc(TSS_C, 0x67, 0x9, false, false, false);
	/* IDT vector 13 (#GP): a task gate to the 16-bit TSS. */
	((uint64_t *)(g->ram + IDT))[13] =
	    (uint64_t)SEL_TSS_B << 16 | 5ull << 40 | 1ull << 47;

	/* Task C (32-bit): starts at CODE32C with flat segments. */
	wr32(g, TSS_C + 0x20, CODE32C);
	wr32(g, TSS_C + 0x24, 0x2);
	for (int i = 0; i < 8; i++)
		wr32(g, TSS_C + 0x28 + 4 * i, 0xc0000000u + (unsigned)i);
	wr32(g, TSS_C + 0x38, 0x7000); /* ESP */
	for (int i = 0; i < 6; i++)
		wr32(g, TSS_C + 0x48 + 4 * i, i == 1 ? SEL_CODE32 : SEL_DATA32);

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	s.cs = cs;
	s.ds = s.es = s.ss = s.fs = s.gs = ds;
	s.tr = tr;
	s.ldt.unusable = 1;
	s.gdt.base = GDT;
	s.gdt.limit = GDT_LIMIT;
	s.idt.base = IDT;
	s.idt.limit = 0x7f;
	s.cr0 = 0x11; /* PE, ET; paging off */
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
	r.rax = 0xaaaa0001;
	r.rcx = 0xaaaa0002;
	r.rsi = 0xaaaa0007;
	r.rsp = 0x7000;
	r.rip = CODE32;
	r.rflags = 2;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, &r), 0);
	return g;
}

static void run_to_hlt(struct skg *g, uint64_t rip_after)
{
	struct kvm_regs r;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_RUN, NULL), 0);
	if (g->run[0]->exit_reason != KVM_EXIT_HLT)
		fail_msg("exit %u, expected HLT", g->run[0]->exit_reason);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r), 0);
	assert_int_equal(r.rip, rip_after);
}

static struct kvm_regs regs(struct skg *g)
{
	struct kvm_regs r;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r), 0);
	return r;
}

static struct kvm_sregs sregs(struct skg *g)
{
	struct kvm_sregs s;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	return s;
}

/* CALL to a 16-bit task, IRET back to the 32-bit one. */
static void test_call_iret_16(void **state)
{
	static const uint8_t a[] = {
	    0x9a, 0, 0, 0, 0, SEL_TSS_B, 0, /* call far 0x20:0 */
	    0xf4,			    /* hlt */
	};
	static const uint8_t b[] = {0xf4, 0xcf}; /* hlt; iret */
	struct skg *g = guest();
	struct kvm_regs r;
	struct kvm_sregs s;

	memcpy(g->ram + CODE32, a, sizeof(a));
	memcpy(g->ram + CODE16, b, sizeof(b));
	tss16_init(g, CODE16);

	/* In the 16-bit task. */
	run_to_hlt(g, CODE16 + 1);
	r = regs(g);
	assert_int_equal(r.rax, 0x1111); /* upper half zero */
	assert_int_equal(r.rcx, 0x2222);
	assert_int_equal(r.rsp, 0x6000);
	assert_int_equal(r.rdi, 0x7777);
	assert_true(r.rflags & FL_NT);
	s = sregs(g);
	assert_int_equal(s.cs.selector, SEL_CODE16);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(s.ss.selector, SEL_DATA16);
	assert_int_equal(s.fs.selector, SEL_DATA32); /* no FS/GS in TSS16 */
	assert_int_equal(s.tr.selector, SEL_TSS_B);
	assert_int_equal(s.tr.type, 3);
	assert_true(s.cr0 & 8);			     /* TS */
	assert_int_equal(rd16(g, TSS_B), SEL_TSS_A); /* back link */
	assert_int_equal(gdt_type(g, SEL_TSS_B), 3);
	assert_int_equal(gdt_type(g, SEL_TSS_A), 11); /* CALL: still busy */
	/* The 32-bit task was saved in its 32-bit TSS. */
	assert_int_equal(rd32(g, TSS_A + 0x20), CODE32 + 7);
	assert_int_equal(rd32(g, TSS_A + 0x28), 0xaaaa0001);
	assert_int_equal(rd32(g, TSS_A + 0x40), 0xaaaa0007);
	assert_int_equal(rd32(g, TSS_A + 0x4c), SEL_CODE32);

	/* IRET (NT): back to the 32-bit task, the 16-bit one saved. */
	r.rax = 0xbeef9999;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, &r), 0);
	run_to_hlt(g, CODE32 + 8);
	r = regs(g);
	assert_int_equal(r.rax, 0xaaaa0001);
	assert_int_equal(r.rsi, 0xaaaa0007);
	assert_int_equal(r.rsp, 0x7000);
	assert_false(r.rflags & FL_NT);
	s = sregs(g);
	assert_int_equal(s.cs.selector, SEL_CODE32);
	assert_int_equal(s.cs.db, 1);
	assert_int_equal(s.tr.selector, SEL_TSS_A);
	assert_int_equal(s.tr.type, 11);
	assert_int_equal(gdt_type(g, SEL_TSS_B), 1); /* available again */
	assert_int_equal(rd16(g, TSS_B + 0x0e), CODE16 + 2); /* IP */
	assert_int_equal(rd16(g, TSS_B + 0x10) & FL_NT, 0);  /* FLAG */
	assert_int_equal(rd16(g, TSS_B + 0x12), 0x9999);     /* AX */
	assert_int_equal(rd16(g, TSS_B + 0x24), SEL_CODE16);
	skg_free(g);
}

/* JMP 32 -> 16 -> 32, then #GP(error code) through a task gate into the
 * 16-bit task. */
static void test_jmp_and_gate_16(void **state)
{
	static const uint8_t a[] = {
	    0xea, 0, 0, 0, 0, SEL_TSS_B, 0, /* jmp far 0x20:0 */
	};
	static const uint8_t b[] = {
	    0xf4,		      /* hlt */
	    0xea, 0, 0, SEL_TSS_C, 0, /* jmp far 0x38:0 (16-bit) */
	};
	static const uint8_t c[] = {
	    0xf4,		    /* hlt */
	    0x66, 0xb8, 0x48, 0x00, /* mov ax,0x48 (beyond the GDT) */
	    0x8e, 0xd8,		    /* mov ds,ax: #GP(0x48) */
	};
	struct skg *g = guest();
	struct kvm_regs r;
	struct kvm_sregs s;

	memcpy(g->ram + CODE32, a, sizeof(a));
	memcpy(g->ram + CODE16, b, sizeof(b));
	memcpy(g->ram + CODE32C, c, sizeof(c));
	tss16_init(g, CODE16);

	/* JMP: no NT, no back link, the old task available. */
	run_to_hlt(g, CODE16 + 1);
	r = regs(g);
	assert_false(r.rflags & FL_NT);
	assert_int_equal(rd16(g, TSS_B), 0xdead);
	assert_int_equal(gdt_type(g, SEL_TSS_A), 9);
	assert_int_equal(gdt_type(g, SEL_TSS_B), 3);

	/* 16 -> 32: the 16-bit task saved in its format (low halves). */
	r.rax = 0xffff1234;
	r.rbx = 0x00054321;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, &r), 0);
	run_to_hlt(g, CODE32C + 1);
	assert_int_equal(rd16(g, TSS_B + 0x0e), CODE16 + 6);
	assert_int_equal(rd16(g, TSS_B + 0x12), 0x1234);
	assert_int_equal(rd16(g, TSS_B + 0x18), 0x4321);
	assert_int_equal(gdt_type(g, SEL_TSS_B), 1);
	assert_int_equal(gdt_type(g, SEL_TSS_C), 11);
	r = regs(g);
	assert_int_equal(r.rax, 0xc0000000);
	assert_int_equal(r.rsp, 0x7000);
	s = sregs(g);
	assert_int_equal(s.tr.selector, SEL_TSS_C);
	assert_int_equal(s.tr.type, 11);
	assert_int_equal(s.cs.db, 1);

	/* #GP(0x48) through the task gate into the 16-bit task: a word
	 * error code on its 16-bit stack; the faulting EIP saved. */
	tss16_init(g, CODE16);
	wr32(g, 0x5ffc, 0x77777777);
	run_to_hlt(g, CODE16 + 1);
	r = regs(g);
	assert_int_equal(r.rsp, 0x5ffe);
	assert_int_equal(rd16(g, 0x5ffe), 0x48);
	assert_int_equal(rd16(g, 0x5ffc), 0x7777); /* only a word pushed */
	assert_true(r.rflags & FL_NT);
	assert_int_equal(rd16(g, TSS_B), SEL_TSS_C);
	assert_int_equal(rd32(g, TSS_C + 0x20), CODE32C + 5);
	s = sregs(g);
	assert_int_equal(s.tr.selector, SEL_TSS_B);
	skg_free(g);
}

/* The 32-bit path still works: CALL 32 -> 32 and IRET back. */
static void test_call_iret_32(void **state)
{
	static const uint8_t a[] = {
	    0x9a, 0, 0, 0, 0, SEL_TSS_C, 0, /* call far 0x38:0 */
	    0xf4,			    /* hlt */
	};
	static const uint8_t c[] = {0xf4, 0xcf}; /* hlt; iretd */
	struct skg *g = guest();
	struct kvm_regs r;

	memcpy(g->ram + CODE32, a, sizeof(a));
	memcpy(g->ram + CODE32C, c, sizeof(c));
	run_to_hlt(g, CODE32C + 1);
	r = regs(g);
	assert_int_equal(r.rax, 0xc0000000);
	assert_int_equal(r.rdi, 0xc0000007);
	assert_true(r.rflags & FL_NT);
	assert_int_equal(rd32(g, TSS_C), SEL_TSS_A);
	assert_int_equal(sregs(g).tr.selector, SEL_TSS_C);
	r.rax = 0x12345678;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, &r), 0);
	run_to_hlt(g, CODE32 + 8);
	r = regs(g);
	assert_int_equal(r.rax, 0xaaaa0001);
	assert_false(r.rflags & FL_NT);
	assert_int_equal(rd32(g, TSS_C + 0x20), CODE32C + 2);
	assert_int_equal(rd32(g, TSS_C + 0x28), 0x12345678);
	assert_int_equal(gdt_type(g, SEL_TSS_C), 9);
	assert_int_equal(gdt_type(g, SEL_TSS_A), 11);
	skg_free(g);
}

/* A 16-bit TSS below its minimum limit (0x2b): #TS, not a switch. With
 * no IDT entry for #TS the guest shuts down; nothing was loaded. */
static void test_tss16_limit(void **state)
{
	static const uint8_t a[] = {
	    0x9a, 0, 0, 0, 0, SEL_TSS_B, 0, /* call far 0x20:0 */
	};
	struct skg *g = guest();

	memcpy(g->ram + CODE32, a, sizeof(a));
	tss16_init(g, CODE16);
	gdt(g)[SEL_TSS_B >> 3] = desc(TSS_B, 0x2a, 0x1, false, false, false);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_RUN, NULL), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(gdt_type(g, SEL_TSS_B), 1);
	assert_int_equal(rd16(g, TSS_B), 0xdead);
	skg_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_iret_16),
	    cmocka_unit_test(test_jmp_and_gate_16),
	    cmocka_unit_test(test_call_iret_32),
	    cmocka_unit_test(test_tss16_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
