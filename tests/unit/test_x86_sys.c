// SPDX-License-Identifier: GPL-2.0
/*
 * x86 core: paging (4K/2M/1G, A/D, #PF error codes for not-present, U/S,
 * WP, NX, reserved bits), exception and interrupt delivery (long-mode IDT
 * with RSP0/IST stack switches, real-mode IVT, 32-bit protected-mode IDT),
 * #DF and triple fault, EPT exits during delivery, event injection,
 * self-modifying code, kick and budget stops.
 */
#include "test_x86_env.h"

#define PML4	 0x1000
#define PDPT	 0x2000
#define GDT	 0x3000
#define TSS	 0x4000
#define IDT	 0x5000
#define HANDLERS 0x6000 /* vector n: HANDLERS + 16n holds HLT */
#define PD	 0x7000
#define PT	 0x8000
#define CODE	 0x10000
#define RSP0	 0x90000
#define IST1	 0xa0000

static void set_gate64(struct tenv *t, unsigned vec, uint64_t handler,
		       unsigned ist, unsigned dpl, unsigned type)
{
	uint64_t lo = (handler & 0xffff) | (0x08ull << 16) |
		      ((uint64_t)ist << 32) | ((uint64_t)type << 40) |
		      ((uint64_t)dpl << 45) | (1ull << 47) |
		      ((handler >> 16 & 0xffff) << 48);
	tenv_wr(t, IDT + vec * 16, 8, lo);
	tenv_wr(t, IDT + vec * 16 + 8, 8, handler >> 32);
}

/* Long mode with 4K identity pages below 2 MiB, 2M pages to 16 MiB,
 * a GDT, a 64-bit TSS and an IDT whose every gate points at a HLT. */
static void lm_setup(struct tenv *t, unsigned cpl)
{
	x86_state_init_flat64(&t->st, cpl);
	tenv_wr(t, PML4, 8, PDPT | 7);
	tenv_wr(t, PDPT, 8, PD | 7);
	tenv_wr(t, PDPT + 8, 8, 0x0 | 0x87); /* 1 GiB at 1 GiB -> phys 0 */
	tenv_wr(t, PD, 8, PT | 7);
	for (unsigned n = 1; n < 8; n++)
		tenv_wr(t, PD + n * 8, 8, (n << 21) | 0x87);
	for (unsigned n = 0; n < 512; n++)
		tenv_wr(t, PT + n * 8, 8, (n << 12) | 7);
	t->st.cr3 = PML4;

	tenv_wr(t, GDT + 0x08, 8, 0x00af9b000000ffffull); /* code64 DPL0 */
	tenv_wr(t, GDT + 0x10, 8, 0x00cf93000000ffffull); /* data DPL0 */
	tenv_wr(t, GDT + 0x28, 8, 0x00cff3000000ffffull); /* data DPL3 */
	tenv_wr(t, GDT + 0x30, 8, 0x00affb000000ffffull); /* code64 DPL3 */
	tenv_wr(t, GDT + 0x40, 8,
		0x0000890000000067ull | ((uint64_t)TSS << 16)); /* TSS */
	t->st.gdtr.base = GDT;
	t->st.gdtr.limit = 0x4f;
	t->st.seg[X86_TR].sel = 0x40;
	t->st.seg[X86_TR].base = TSS;
	t->st.seg[X86_TR].limit = 0x67;
	t->st.seg[X86_TR].ar = 0x8b;
	tenv_wr(t, TSS + 4, 8, RSP0);
	tenv_wr(t, TSS + 0x24, 8, IST1);

	for (unsigned v = 0; v < 256; v++) {
		t->mem[HANDLERS + v * 16] = 0xf4; /* hlt */
		set_gate64(t, v, HANDLERS + v * 16, 0, 0, 0xe);
	}
	t->st.idtr.base = IDT;
	t->st.idtr.limit = 0xfff;
	t->st.gpr[X86_RSP] = 0x80000;
}

static uint32_t run_at(struct tenv *t, const void *code, size_t len)
{
	tenv_load(t, CODE, code, len);
	t->st.rip = CODE;
	return tenv_run(t);
}

static const uint8_t code_read[] = {0x8a, 0x03, 0xf4};	/* mov al,[rbx] */
static const uint8_t code_write[] = {0x88, 0x03, 0xf4}; /* mov [rbx],al */
static const uint8_t code_jmp[] = {0xff, 0xe3};		/* jmp rbx */

#define PTE(page) (PT + (page)*8)

static void expect_pf(struct tenv *t, uint64_t addr, uint32_t err)
{
	assert_int_equal(t->exit.reason, X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, 0x80000b0eu);
	assert_int_equal(t->exit.intr_error, err);
	assert_int_equal(t->exit.qualification, addr);
}

static void test_pf_error_codes(void **state)
{
	struct {
		unsigned page;
		uint64_t pte;
		const uint8_t *code;
		size_t len;
		unsigned cpl;
		uint32_t err;
	} cases[] = {
	    {0x150, 0, code_read, 3, 0, 0x0},		  /* not present */
	    {0x151, 0x151000 | 5, code_write, 3, 3, 0x7}, /* RO, user */
	    {0x152, 0x152000 | 3 | 1ull << 63, code_jmp, 2, 0, 0x11}, /* NX */
	    {0x153, 0x153000 | 3, code_read, 3, 3, 0x5},	      /* U/S */
	    {0x154, 0x154000 | 1, code_write, 3, 0, 0x3},	      /* WP */
	    {0x155, 0x155000 | 7 | 1ull << 50, code_read, 3, 0, 0x9}, /* RSVD */
	};
	for (unsigned n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		struct tenv *t = tenv_new();
		uint64_t addr = ((uint64_t)cases[n].page << 12) + 8;
		lm_setup(t, cases[n].cpl);
		t->exc_bitmap = 1u << X86_EXC_PF;
		tenv_wr(t, PTE(cases[n].page), 8, cases[n].pte);
		if (cases[n].code == code_jmp)
			addr -= 8;
		t->st.gpr[X86_RBX] = addr;
		t->st.cr2 = 0x1111;
		run_at(t, cases[n].code, cases[n].len);
		expect_pf(t, addr, cases[n].err);
		assert_int_equal(t->st.cr2, 0x1111); /* #PF exits leave CR2 */
		tenv_free(t);
	}
}

static void test_wp_off_allows_write(void **state)
{
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	t->st.cr0 &= ~(1ull << 16);
	tenv_wr(t, PTE(0x154), 8, 0x154000 | 1);
	t->st.gpr[X86_RBX] = 0x154010;
	t->st.gpr[X86_RAX] = 0x5a;
	assert_int_equal(run_at(t, code_write, 3), X86_EXIT_HLT);
	assert_int_equal(t->mem[0x154010], 0x5a);
	tenv_free(t);
}

static void test_ad_bits_and_large_pages(void **state)
{
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	t->st.gpr[X86_RBX] = 0x156000;
	assert_int_equal(run_at(t, code_write, 3), X86_EXIT_HLT);
	assert_int_equal(tenv_rd(t, PTE(0x156), 8) & 0x60, 0x60); /* A D */
	t->st.gpr[X86_RBX] = 0x157000;
	assert_int_equal(run_at(t, code_read, 3), X86_EXIT_HLT);
	assert_int_equal(tenv_rd(t, PTE(0x157), 8) & 0x60, 0x20); /* A */

	t->mem[0x201234] = 0x77; /* via a 2 MiB page */
	t->st.gpr[X86_RBX] = 0x201234;
	assert_int_equal(run_at(t, code_read, 3), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX] & 0xff, 0x77);

	t->mem[0x3456] = 0x99; /* via the 1 GiB page at 1 GiB */
	t->st.gpr[X86_RBX] = 0x40003456;
	assert_int_equal(run_at(t, code_read, 3), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX] & 0xff, 0x99);
	tenv_free(t);
}

static void test_pf_delivered(void **state)
{
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	tenv_wr(t, PTE(0x150), 8, 0);
	t->st.gpr[X86_RBX] = 0x150123;
	assert_int_equal(run_at(t, code_read, 3), X86_EXIT_HLT);
	assert_int_equal(t->st.rip, HANDLERS + 14 * 16);
	assert_int_equal(t->st.cr2, 0x150123);
	/* frame: error, RIP, CS, RFLAGS, RSP, SS */
	assert_int_equal(tenv_rd(t, t->st.gpr[X86_RSP], 8), 0);
	assert_int_equal(tenv_rd(t, t->st.gpr[X86_RSP] + 8, 8), CODE);
	assert_int_equal(tenv_rd(t, t->st.gpr[X86_RSP] + 16, 8), 0x08);
	assert_int_equal(tenv_rd(t, t->st.gpr[X86_RSP] + 32, 8), 0x80000);
	assert_int_equal(t->st.gpr[X86_RSP], 0x80000 - 48);
	tenv_free(t);
}

static void test_user_int_stack_switch(void **state)
{
	/* mov rax,1; int 0x80; hlt */
	static const uint8_t c[] = {0x48, 0xc7, 0xc0, 0x01, 0x00,
				    0x00, 0x00, 0xcd, 0x80, 0xf4};
	struct tenv *t = tenv_new();
	lm_setup(t, 3);
	set_gate64(t, 0x80, HANDLERS + 0x80 * 16, 0, 3, 0xe);
	assert_int_equal(run_at(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(t->st.rip, HANDLERS + 0x80 * 16);
	assert_int_equal(t->st.seg[X86_CS].sel, 0x08);
	assert_int_equal(t->st.gpr[X86_RSP], RSP0 - 40);
	assert_int_equal(tenv_rd(t, RSP0 - 40, 8), CODE + 9); /* after INT */
	assert_int_equal(tenv_rd(t, RSP0 - 32, 8), 0x33);
	assert_int_equal(tenv_rd(t, RSP0 - 16, 8), 0x80000);
	assert_int_equal(tenv_rd(t, RSP0 - 8, 8), 0x2b);
	assert_false(t->st.rflags & (1u << 9)); /* interrupt gate: IF=0 */
	tenv_free(t);
}

static void test_int_gate_dpl_and_ist(void **state)
{
	/* mov rax,1; int 0x80; hlt -- gate DPL 0 from CPL3: #GP(0x80*8+2) */
	static const uint8_t c[] = {0x48, 0xc7, 0xc0, 0x01, 0x00,
				    0x00, 0x00, 0xcd, 0x80, 0xf4};
	/* int 0x21; hlt */
	static const uint8_t c2[] = {0xcd, 0x21, 0xf4};
	struct tenv *t = tenv_new();
	lm_setup(t, 3);
	t->exc_bitmap = 1u << X86_EXC_GP;
	assert_int_equal(run_at(t, c, sizeof(c)), X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info & 0xff, X86_EXC_GP);
	assert_int_equal(t->exit.intr_error, 0x80 * 8 + 2);
	tenv_free(t);

	t = tenv_new();
	lm_setup(t, 0);
	set_gate64(t, 0x21, HANDLERS + 0x21 * 16, 1, 0, 0xf);
	assert_int_equal(run_at(t, c2, sizeof(c2)), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RSP], IST1 - 40);
	assert_true(t->st.rflags & (1u << 9)); /* trap gate keeps IF */
	tenv_free(t);
}

static void test_double_and_triple_fault(void **state)
{
	static const uint8_t ud2[] = {0x0f, 0x0b};
	struct tenv *t = tenv_new();

	/* #UD gate not present -> #NP; #NP gate not present -> #DF */
	lm_setup(t, 0);
	tenv_wr(t, IDT + 6 * 16, 8,
		tenv_rd(t, IDT + 6 * 16, 8) & ~(1ull << 47));
	tenv_wr(t, IDT + 11 * 16, 8,
		tenv_rd(t, IDT + 11 * 16, 8) & ~(1ull << 47));
	assert_int_equal(run_at(t, ud2, 2), X86_EXIT_HLT);
	assert_int_equal(t->st.rip, HANDLERS + 8 * 16);
	assert_int_equal(tenv_rd(t, t->st.gpr[X86_RSP], 8), 0); /* #DF err 0 */
	tenv_free(t);

	/* no IDT at all: #UD -> #GP -> #DF -> triple fault */
	t = tenv_new();
	lm_setup(t, 0);
	t->st.idtr.limit = 0;
	assert_int_equal(run_at(t, ud2, 2), X86_EXIT_TRIPLE_FAULT);
	assert_int_equal(t->st.rip, CODE);
	tenv_free(t);
}

static void test_ept_exit_during_delivery(void **state)
{
	static const uint8_t c[] = {0xcd, 0x21, 0xf4}; /* int 0x21; hlt */
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	t->deny_gpa = IDT + 0x21 * 16;
	assert_int_equal(run_at(t, c, sizeof(c)), X86_EXIT_EPT_VIOLATION);
	assert_int_equal(t->exit.gpa, IDT + 0x21 * 16);
	/* IDT-vectoring: valid, software interrupt (4), vector 0x21 */
	assert_int_equal(t->exit.idt_vectoring_info, 0x80000421u);
	assert_int_equal(t->st.rip, CODE);
	tenv_free(t);
}

static void test_inject(void **state)
{
	static const uint8_t c[] = {0xf4};
	struct tenv *t = tenv_new();
	struct x86_event ev = {.vector = 0x22, .type = X86_EVT_EXT_INT};
	lm_setup(t, 0);
	tenv_load(t, CODE, c, 1);
	t->st.rip = CODE;
	assert_true(x86_interrupt_window_open(&t->st));
	assert_int_equal(
	    x86_inject_event(&t->st, t->core, &tenv_ops, t, &ev, &t->exit), 0);
	assert_int_equal(t->st.rip, HANDLERS + 0x22 * 16);
	assert_int_equal(tenv_rd(t, t->st.gpr[X86_RSP], 8), CODE);
	assert_false(x86_interrupt_window_open(&t->st));
	tenv_free(t);
}

static void test_self_modifying_code(void **state)
{
	/* mov ecx,2; t: mov eax,1; mov byte [rip+t+1],7; dec ecx; jnz t;
	 * hlt */
	static const uint8_t c[] = {
	    0xb9, 0x02, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc6,
	    0x05, 0xf5, 0xff, 0xff, 0xff, 0x07, 0xff, 0xc9, 0x75, 0xf0, 0xf4};
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	assert_int_equal(run_at(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX], 7);
	tenv_free(t);
}

static void test_kick_and_budget(void **state)
{
	static const uint8_t loop[] = {0x48, 0xff, 0xc0, 0xeb, 0xfb};
	struct tenv *t = tenv_new();
	volatile int kick = 1;
	lm_setup(t, 0);
	x86_core_ctl(t->core)->kick = &kick;
	assert_int_equal(run_at(t, loop, sizeof(loop)), X86_STOP_KICK);
	kick = 0;
	x86_core_ctl(t->core)->insn_budget = 1000;
	assert_int_equal(tenv_run(t), X86_STOP_BUDGET);
	assert_int_equal(t->st.gpr[X86_RAX], 500);
	tenv_free(t);
}

static void test_unimplemented_stop(void **state)
{
	/* vaddps ymm0, ymm1, ymm2 (AVX is not implemented) */
	static const uint8_t c[] = {0xc5, 0xf4, 0x58, 0xc2};
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	assert_int_equal(run_at(t, c, sizeof(c)), X86_STOP_UNIMPLEMENTED);
	assert_string_equal(t->exit.mnemonic, "vaddps");
	assert_int_equal(t->exit.rip, CODE);
	x86_core_ctl(t->core)->unimplemented_ud = true;
	t->exc_bitmap = 1u << X86_EXC_UD;
	assert_int_equal(tenv_run(t), X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info & 0xff, X86_EXC_UD);
	tenv_free(t);
}

static void test_real_mode_ivt(void **state)
{
	static const uint8_t c[] = {0xcd, 0x10, 0xf4};	     /* int 0x10; hlt */
	static const uint8_t h[] = {0xb8, 0x34, 0x12, 0xcf}; /* mov ax; iret */
	struct tenv *t = tenv_new();
	x86_state_init_real(&t->st, 0, 0x7c00);
	t->st.gpr[X86_RSP] = 0x7000;
	tenv_load(t, 0x7c00, c, sizeof(c));
	tenv_load(t, 0x8100, h, sizeof(h));
	tenv_wr(t, 0x10 * 4, 4, 0x08000100); /* 0800:0100 */
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(t->st.rip, 0x7c02);
	assert_int_equal(t->st.gpr[X86_RAX], 0x1234);
	assert_int_equal(t->st.gpr[X86_RSP], 0x7000);
	assert_int_equal(t->st.seg[X86_CS].sel, 0);
	tenv_free(t);
}

static void prot32_setup(struct tenv *t)
{
	struct x86_state *st = &t->st;
	memset(st, 0, sizeof(*st));
	tenv_wr(t, GDT + 0x08, 8, 0x00cf9b000000ffffull);
	tenv_wr(t, GDT + 0x10, 8, 0x00cf93000000ffffull);
	st->gdtr.base = GDT;
	st->gdtr.limit = 0x17;
	for (unsigned s = X86_ES; s <= X86_GS; s++) {
		st->seg[s].sel = s == X86_CS ? 0x08 : 0x10;
		st->seg[s].limit = 0xffffffffu;
		st->seg[s].ar = (s == X86_CS ? 0xb : 0x3) | 0x10 | 0x80 |
				X86_AR_DB | X86_AR_G;
	}
	st->seg[X86_LDTR].ar = X86_AR_UNUSABLE;
	st->seg[X86_TR].ar = 0x8b;
	st->seg[X86_TR].limit = 0x67;
	st->cr0 = 0x11;
	st->rflags = 2;
	st->gpr[X86_RSP] = 0x70000;
}

static void test_prot32_legacy(void **state)
{
	/* mov ebx,0x20000; lds ecx,[ebx]; mov al,0x79; add al,0x35; daa;
	 * mov dl,al; setc dh; mov al,53; aam 10; mov si,ax; aad 10;
	 * mov di,ax; mov eax,5; bound eax,[ebx+8]; mov eax,20;
	 * bound eax,[ebx+8]; hlt */
	static const uint8_t c[] = {
	    0xbb, 0x00, 0x00, 0x02, 0x00, 0xc5, 0x0b, 0xb0, 0x79, 0x04,
	    0x35, 0x27, 0x88, 0xc2, 0x0f, 0x92, 0xc6, 0xb0, 0x35, 0xd4,
	    0x0a, 0x66, 0x89, 0xc6, 0xd5, 0x0a, 0x66, 0x89, 0xc7, 0xb8,
	    0x05, 0x00, 0x00, 0x00, 0x62, 0x43, 0x08, 0xb8, 0x14, 0x00,
	    0x00, 0x00, 0x62, 0x43, 0x08, 0xf4};
	struct tenv *t = tenv_new();
	prot32_setup(t);
	t->st.seg[X86_DS].sel = 0;
	tenv_wr(t, 0x20000, 4, 0x12345678);
	tenv_wr(t, 0x20004, 2, 0x10);
	tenv_wr(t, 0x20008, 4, 0);
	tenv_wr(t, 0x2000c, 4, 10);
	t->exc_bitmap = 1u << X86_EXC_BR;
	tenv_load(t, CODE, c, sizeof(c));
	t->st.rip = CODE;
	assert_int_equal(tenv_run(t), X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info & 0xff, X86_EXC_BR);
	assert_int_equal(t->st.rip, CODE + 0x2a);
	assert_int_equal(t->st.gpr[X86_RCX], 0x12345678);
	assert_int_equal(t->st.seg[X86_DS].sel, 0x10);
	assert_int_equal(t->st.gpr[X86_RDX] & 0xffff, 0x0114);
	assert_int_equal(t->st.gpr[X86_RSI] & 0xffff, 0x0503);
	assert_int_equal(t->st.gpr[X86_RDI] & 0xffff, 0x0035);
	tenv_free(t);
}

/*
 * A boot path: real mode -> LGDT, CR0.PE, far JMP -> 32-bit segment loads,
 * REP STOSD page tables, CR4.PAE, CR3, EFER.LME via RDMSR/WRMSR, CR0.PG,
 * far JMP -> 64-bit; PUSH/POP, RETFQ, RDMSR EFER; HLT. Assembled with
 * GNU as (.code16/.code32/.code64) at 0x7c00; the GDT is at its end.
 */
static const uint8_t boot_path[] = {
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x70, 0x0f, 0x01,
    0x16, 0xe0, 0x7c, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01, 0x0f, 0x22,
    0xc0, 0xea, 0x1e, 0x7c, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8,
    0x8e, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x00, 0x07, 0x00, 0xbf, 0x00, 0x00,
    0x10, 0x00, 0x31, 0xc0, 0xb9, 0x00, 0x0c, 0x00, 0x00, 0xf3, 0xab, 0xc7,
    0x05, 0x00, 0x00, 0x10, 0x00, 0x03, 0x10, 0x10, 0x00, 0xc7, 0x05, 0x00,
    0x10, 0x10, 0x00, 0x03, 0x20, 0x10, 0x00, 0xc7, 0x05, 0x00, 0x20, 0x10,
    0x00, 0x83, 0x00, 0x00, 0x00, 0xc7, 0x05, 0x08, 0x20, 0x10, 0x00, 0x83,
    0x00, 0x20, 0x00, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0,
    0xb8, 0x00, 0x00, 0x10, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80, 0x00, 0x00,
    0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20,
    0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xea, 0x94, 0x7c,
    0x00, 0x00, 0x18, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x48, 0xb8,
    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x50, 0x5b, 0x48, 0x8d,
    0x0d, 0x05, 0x00, 0x00, 0x00, 0x6a, 0x18, 0x51, 0x48, 0xcb, 0xb9, 0x80,
    0x00, 0x00, 0xc0, 0x0f, 0x32, 0x89, 0xc6, 0xf4, 0x8d, 0x74, 0x26, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
    0x00, 0x9b, 0xcf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9b, 0xaf, 0x00, 0x1f, 0x00, 0xc0, 0x7c,
    0x00, 0x00};

static void test_mode_switches(void **state)
{
	struct tenv *t = tenv_new();
	x86_state_init_real(&t->st, 0, 0x7c00);
	tenv_load(t, 0x7c00, boot_path, sizeof(boot_path));
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(t->st.seg[X86_CS].sel, 0x18);
	assert_true(t->st.seg[X86_CS].ar & X86_AR_L);
	assert_int_equal(t->st.gpr[X86_RBX], 0x1122334455667788ull);
	assert_int_equal(t->st.gpr[X86_RSI], 0x500); /* LME | LMA */
	assert_int_equal(t->st.gpr[X86_RSP], 0x70000);
	assert_int_equal(t->st.efer & 0x500, 0x500);
	assert_int_equal(tenv_rd(t, 0x102000, 8) & 0x20, 0x20); /* A set */
	tenv_free(t);
}

/* INT n in virtual-8086 mode redirected by CR4.VME to the IVT at 0. */
static void test_vm86_int_redirect(void **state)
{
	static const uint8_t c[] = {0xcd, 0x10, 0xe6, 0x80}; /* int; out */
	static const uint8_t h[] = {0xb8, 0x34, 0x12, 0xcf}; /* mov ax; iret */
	struct tenv *t = tenv_new();
	struct x86_state *st = &t->st;

	prot32_setup(t);
	st->rflags =
	    0x2 | (1u << 17) | (3u << 12) | (1u << 9); /* VM IOPL3 IF */
	st->cr4 = 1;				       /* VME */
	for (unsigned s = X86_ES; s <= X86_GS; s++) {
		st->seg[s].sel = s == X86_CS ? 0x0700 : 0;
		st->seg[s].base = st->seg[s].sel << 4;
		st->seg[s].limit = 0xffff;
		st->seg[s].ar = 0xf3;
	}
	st->seg[X86_TR].base = TSS;
	st->seg[X86_TR].limit = 0x88 + 0x2000;
	tenv_wr(t, TSS + 0x66, 2, 0x88); /* I/O bitmap; redirection before */
	st->gpr[X86_RSP] = 0x6000;
	tenv_wr(t, 0x10 * 4, 4, 0x08000100);
	tenv_load(t, 0x8100, h, sizeof(h));
	tenv_load(t, 0x7000, c, sizeof(c));
	st->rip = 0;
	assert_int_equal(tenv_run(t), X86_EXIT_IO_INSTRUCTION);
	assert_int_equal(st->gpr[X86_RAX] & 0xffff, 0x1234);
	assert_int_equal(st->rip, 2);
	assert_int_equal(st->gpr[X86_RSP], 0x6000);
	assert_int_equal(t->exit.qualification >> 16, 0x80);
	tenv_free(t);
}

/* 32-bit: IRETD to CPL3 (data segments nulled), INT 0x80 back to CPL0
 * with the stack from the 32-bit TSS. */
static void test_prot32_rings(void **state)
{
	/* push 0x23; push 0x60000; pushfd; push 0x1b; push 0x10010; iretd */
	static const uint8_t k[] = {0x6a, 0x23, 0x68, 0x00, 0x00, 0x06,
				    0x00, 0x9c, 0x6a, 0x1b, 0x68, 0x10,
				    0x00, 0x01, 0x00, 0xcf};
	/* user at 0x10010: mov eax,7; int 0x80 */
	static const uint8_t u[] = {0xb8, 0x07, 0x00, 0x00, 0x00, 0xcd, 0x80};
	struct tenv *t = tenv_new();
	struct x86_state *st = &t->st;
	uint64_t gate = (0x6000 & 0xffff) | (0x08ull << 16) | (0xeeull << 40);

	prot32_setup(t);
	tenv_wr(t, GDT + 0x18, 8, 0x00cffb000000ffffull); /* user code */
	tenv_wr(t, GDT + 0x20, 8, 0x00cff3000000ffffull); /* user data */
	st->gdtr.limit = 0x27;
	st->seg[X86_TR].base = TSS;
	tenv_wr(t, TSS + 4, 4, 0x90000); /* ESP0 */
	tenv_wr(t, TSS + 8, 4, 0x10);	 /* SS0 */
	st->idtr.base = IDT;
	st->idtr.limit = 0x7ff;
	tenv_wr(t, IDT + 0x80 * 8, 8, gate);
	t->mem[0x6000] = 0xf4;
	tenv_load(t, CODE, k, sizeof(k));
	tenv_load(t, CODE + 0x10, u, sizeof(u));
	st->rip = CODE;
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(st->rip, 0x6000);
	assert_int_equal(st->seg[X86_CS].sel, 0x08);
	assert_int_equal(st->seg[X86_SS].sel, 0x10);
	assert_int_equal(st->gpr[X86_RSP], 0x90000 - 20);
	assert_int_equal(tenv_rd(t, 0x90000 - 20, 4), CODE + 0x17); /* EIP */
	assert_int_equal(tenv_rd(t, 0x90000 - 16, 4), 0x1b);	    /* CS */
	assert_int_equal(tenv_rd(t, 0x90000 - 8, 4), 0x60000);	    /* ESP */
	assert_int_equal(tenv_rd(t, 0x90000 - 4, 4), 0x23);	    /* SS */
	assert_int_equal(st->seg[X86_DS].sel, 0); /* nulled by the IRET */
	assert_int_equal(st->gpr[X86_RAX], 7);
	tenv_free(t);
}

/* 32-bit paging (4 MiB PSE page + page table) and PAE (2 MiB page +
 * page table): translations, then a not-present #PF with CR2. */
static void test_legacy_paging(void **state)
{
	/* mov eax,cr0; or eax,0x80000000; mov cr0,eax; mov eax,[0x400010];
	 * mov ebx,[0x300000]; mov ecx,[0x800000]; hlt */
	static const uint8_t c[] = {
	    0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22,
	    0xc0, 0xa1, 0x10, 0x00, 0x40, 0x00, 0x8b, 0x1d, 0x00, 0x00,
	    0x30, 0x00, 0x8b, 0x0d, 0x00, 0x00, 0x80, 0x00, 0xf4};
	for (int pae = 0; pae < 2; pae++) {
		struct tenv *t = tenv_new();
		prot32_setup(t);
		if (!pae) {
			t->st.cr4 = 0x10; /* PSE */
			t->st.cr3 = 0x100000;
			tenv_wr(t, 0x100000, 4, 0x000083);
			tenv_wr(t, 0x100004, 4, 0x101003);
			tenv_wr(t, 0x101000, 4, 0x2003);
		} else {
			t->st.cr4 = 0x20; /* PAE */
			t->st.cr3 = 0x102000;
			tenv_wr(t, 0x102000, 8, 0x103001);
			tenv_wr(t, 0x103000, 8, 0x000083);
			tenv_wr(t, 0x103008, 8, 0x200083);
			tenv_wr(t, 0x103010, 8, 0x104003);
			tenv_wr(t, 0x104000, 8, 0x2003);
		}
		tenv_wr(t, 0x2010, 4, 0xaabbccdd);
		tenv_wr(t, 0x300000, 4, 0x11223344);
		t->exc_bitmap = 1u << X86_EXC_PF;
		tenv_load(t, CODE, c, sizeof(c));
		t->st.rip = CODE;
		assert_int_equal(tenv_run(t), X86_EXIT_EXCEPTION_NMI);
		expect_pf(t, 0x800000, 0);
		assert_int_equal(t->st.gpr[X86_RAX], 0xaabbccdd);
		assert_int_equal(t->st.gpr[X86_RBX], 0x11223344);
		assert_int_equal(t->st.rip, CODE + 0x16);
		tenv_free(t);
	}
}

/* Task switches are exits: far JMP to a TSS, INT through a task gate. */
static void test_task_switch_exits(void **state)
{
	static const uint8_t jmp[] = {0xea, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00};
	static const uint8_t intn[] = {0xcd, 0x40};
	struct tenv *t = tenv_new();

	prot32_setup(t);
	/* 0x28: available 32-bit TSS at 0x9000; IDT 0x40: task gate -> 0x28 */
	tenv_wr(t, GDT + 0x28, 8, 0x0000890090000067ull);
	t->st.gdtr.limit = 0x2f;
	t->st.idtr.base = IDT;
	t->st.idtr.limit = 0x7ff;
	tenv_wr(t, IDT + 0x40 * 8, 8, (0x28ull << 16) | (0xe5ull << 40));
	tenv_load(t, CODE, jmp, sizeof(jmp));
	t->st.rip = CODE;
	assert_int_equal(tenv_run(t), X86_EXIT_TASK_SWITCH);
	assert_int_equal(t->exit.qualification, 0x28 | 2ull << 30);
	assert_int_equal(t->exit.insn_len, 7);
	assert_int_equal(t->st.rip, CODE);

	tenv_load(t, CODE, intn, sizeof(intn));
	assert_int_equal(tenv_run(t), X86_EXIT_TASK_SWITCH);
	assert_int_equal(t->exit.qualification, 0x28 | 3ull << 30);
	assert_int_equal(t->exit.idt_vectoring_info, 0x80000440u);
	assert_int_equal(t->exit.insn_len, 2);
	assert_int_equal(t->st.rip, CODE);
	tenv_free(t);
}

/* 32-bit call gate from CPL3 to CPL0 with one parameter copied. */
static void test_call_gate32(void **state)
{
	static const uint8_t k[] = {0x6a, 0x23, 0x68, 0x00, 0x00, 0x06,
				    0x00, 0x9c, 0x6a, 0x1b, 0x68, 0x10,
				    0x00, 0x01, 0x00, 0xcf};
	/* user at 0x10010: push 0x1234; lcall 0x3b:0 */
	static const uint8_t u[] = {0x68, 0x34, 0x12, 0x00, 0x00, 0x9a,
				    0x00, 0x00, 0x00, 0x00, 0x3b, 0x00};
	struct tenv *t = tenv_new();
	struct x86_state *st = &t->st;
	uint64_t gate =
	    0x6000 | (0x08ull << 16) | (1ull << 32) | (0xecull << 40);

	prot32_setup(t);
	tenv_wr(t, GDT + 0x18, 8, 0x00cffb000000ffffull); /* user code */
	tenv_wr(t, GDT + 0x20, 8, 0x00cff3000000ffffull); /* user data */
	tenv_wr(t, GDT + 0x38, 8, gate);
	st->gdtr.limit = 0x3f;
	st->seg[X86_TR].base = TSS;
	tenv_wr(t, TSS + 4, 4, 0x90000); /* ESP0 */
	tenv_wr(t, TSS + 8, 4, 0x10);	 /* SS0 */
	t->mem[0x6000] = 0xf4;
	tenv_load(t, CODE, k, sizeof(k));
	tenv_load(t, CODE + 0x10, u, sizeof(u));
	st->rip = CODE;
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(st->rip, 0x6000);
	assert_int_equal(st->seg[X86_CS].sel, 0x08);
	assert_int_equal(st->seg[X86_SS].sel, 0x10);
	assert_int_equal(st->gpr[X86_RSP], 0x90000 - 20);
	assert_int_equal(tenv_rd(t, 0x90000 - 20, 4), CODE + 0x1c); /* EIP */
	assert_int_equal(tenv_rd(t, 0x90000 - 16, 4), 0x1b);	    /* CS */
	assert_int_equal(tenv_rd(t, 0x90000 - 12, 4), 0x1234);	    /* param */
	assert_int_equal(tenv_rd(t, 0x90000 - 8, 4), 0x60000 - 4);  /* ESP */
	assert_int_equal(tenv_rd(t, 0x90000 - 4, 4), 0x23);	    /* SS */
	tenv_free(t);
}

/* DR0 instruction breakpoint: #DB fault before the instruction, DR6.B0;
 * RF=1 lets it run once. */
static void test_hw_breakpoint(void **state)
{
	/* mov eax,1; mov ebx,2; hlt */
	static const uint8_t c[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xbb,
				    0x02, 0x00, 0x00, 0x00, 0xf4};
	struct tenv *t = tenv_new();
	lm_setup(t, 0);
	t->exc_bitmap = 1u << X86_EXC_DB;
	t->st.dr[0] = CODE + 5;
	t->st.dr[7] = 0x401; /* L0, execute, 1 byte */
	assert_int_equal(run_at(t, c, sizeof(c)), X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info & 0xff, X86_EXC_DB);
	assert_int_equal(t->st.rip, CODE + 5);
	assert_int_equal(t->st.gpr[X86_RAX], 1);
	assert_int_equal(t->exit.qualification & 0xf, 1); /* B0 */
	t->st.rflags |= 1u << 16; /* RF: resume over the breakpoint */
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RBX], 2);
	assert_false(t->st.rflags & (1u << 16));
	tenv_free(t);
}

/* Cross-modifying code: core B has a write TLB entry for a page before
 * core A decodes code there; B's later write must still invalidate it. */
static void test_cross_core_code_write(void **state)
{
	static const uint8_t code_x[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4};
	/* mov byte [0x30010], 0; hlt */
	static const uint8_t w1[] = {0xc6, 0x04, 0x25, 0x10, 0x00,
				     0x03, 0x00, 0x00, 0xf4};
	/* mov dword [0x30001], 7; hlt */
	static const uint8_t w2[] = {0xc7, 0x04, 0x25, 0x01, 0x00, 0x03,
				     0x00, 0x07, 0x00, 0x00, 0x00, 0xf4};
	struct tenv *t = tenv_new();
	struct x86_core *b = x86_core_create();
	struct x86_state sb;
	struct x86_exit eb;

	lm_setup(t, 0);
	sb = t->st;
	tenv_load(t, 0x30000, code_x, sizeof(code_x));
	tenv_load(t, 0x11000, w1, sizeof(w1));
	tenv_load(t, 0x12000, w2, sizeof(w2));
	sb.rip = 0x11000; /* B: gets a write entry for page 0x30000 */
	assert_int_equal(x86_run(&sb, b, &tenv_ops, t, &eb), X86_EXIT_HLT);
	t->st.rip = 0x30000; /* A: decodes code on that page */
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX], 1);
	sb.rip = 0x12000; /* B: rewrites the immediate */
	assert_int_equal(x86_run(&sb, b, &tenv_ops, t, &eb), X86_EXIT_HLT);
	t->st.rip = 0x30000;
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX], 7);
	x86_core_destroy(b);
	tenv_free(t);
}

static void test_prot32_idt(void **state)
{
	/* mov eax,5; int 0x30; hlt  /  handler: mov ebx,9; iretd */
	static const uint8_t c[] = {0xb8, 0x05, 0x00, 0x00,
				    0x00, 0xcd, 0x30, 0xf4};
	static const uint8_t h[] = {0xbb, 0x09, 0x00, 0x00, 0x00, 0xcf};
	/* mov ax,0x1234 ... mov ds,ax: selector beyond the GDT -> #GP */
	static const uint8_t bad[] = {0x66, 0xb8, 0x00, 0x10, 0x8e, 0xd8, 0xf4};
	struct tenv *t = tenv_new();
	struct x86_state *st = &t->st;
	uint64_t gate = (0x6000 & 0xffff) | (0x08ull << 16) | (0x8eull << 40);

	memset(st, 0, sizeof(*st));
	tenv_wr(t, GDT + 0x08, 8, 0x00cf9b000000ffffull);
	tenv_wr(t, GDT + 0x10, 8, 0x00cf93000000ffffull);
	st->gdtr.base = GDT;
	st->gdtr.limit = 0x17;
	for (unsigned s = X86_ES; s <= X86_GS; s++) {
		st->seg[s].sel = s == X86_CS ? 0x08 : 0x10;
		st->seg[s].limit = 0xffffffffu;
		st->seg[s].ar = (s == X86_CS ? 0xb : 0x3) | 0x10 | 0x80 |
				X86_AR_DB | X86_AR_G;
	}
	st->seg[X86_LDTR].ar = X86_AR_UNUSABLE;
	st->seg[X86_TR].ar = 0x8b;
	st->seg[X86_TR].limit = 0x67;
	st->cr0 = 0x11;
	st->rflags = 2;
	st->idtr.base = IDT;
	st->idtr.limit = 0x7ff;
	tenv_wr(t, IDT + 0x30 * 8, 8, gate);
	tenv_load(t, 0x6000, h, sizeof(h));
	st->gpr[X86_RSP] = 0x70000;
	tenv_load(t, CODE, c, sizeof(c));
	st->rip = CODE;
	assert_int_equal(tenv_run(t), X86_EXIT_HLT);
	assert_int_equal(st->gpr[X86_RBX], 9);
	assert_int_equal(st->gpr[X86_RSP], 0x70000);
	assert_int_equal(st->rip, CODE + 7);

	t->exc_bitmap = 1u << X86_EXC_GP;
	tenv_load(t, CODE, bad, sizeof(bad));
	st->rip = CODE;
	assert_int_equal(tenv_run(t), X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, 0x80000b0du);
	assert_int_equal(t->exit.intr_error, 0x1000);
	assert_int_equal(st->rip, CODE + 4);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pf_error_codes),
	    cmocka_unit_test(test_wp_off_allows_write),
	    cmocka_unit_test(test_ad_bits_and_large_pages),
	    cmocka_unit_test(test_pf_delivered),
	    cmocka_unit_test(test_user_int_stack_switch),
	    cmocka_unit_test(test_int_gate_dpl_and_ist),
	    cmocka_unit_test(test_double_and_triple_fault),
	    cmocka_unit_test(test_ept_exit_during_delivery),
	    cmocka_unit_test(test_inject),
	    cmocka_unit_test(test_self_modifying_code),
	    cmocka_unit_test(test_kick_and_budget),
	    cmocka_unit_test(test_unimplemented_stop),
	    cmocka_unit_test(test_real_mode_ivt),
	    cmocka_unit_test(test_prot32_idt),
	    cmocka_unit_test(test_mode_switches),
	    cmocka_unit_test(test_vm86_int_redirect),
	    cmocka_unit_test(test_prot32_rings),
	    cmocka_unit_test(test_legacy_paging),
	    cmocka_unit_test(test_task_switch_exits),
	    cmocka_unit_test(test_call_gate32),
	    cmocka_unit_test(test_hw_breakpoint),
	    cmocka_unit_test(test_cross_core_code_write),
	    cmocka_unit_test(test_prot32_legacy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
