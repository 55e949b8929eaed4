// SPDX-License-Identifier: GPL-2.0
/*
 * x86 core: an exception raised while delivering another event, seen by
 * VMX. The exception bitmap (with the #PF error-code mask/match) is
 * consulted for the exception as it occurred, before the double-fault
 * rules (SDM 25.2, 27.2.4): an intercepted #PF during delivery of a #PF
 * exits as that #PF with the first event in the IDT-vectoring fields;
 * only when it is not intercepted does it become #DF (or, during #DF
 * delivery, a triple fault).
 */
#include "test_x86_env.h"

#define PML4	 0x1000
#define PDPT	 0x2000
#define PD	 0x3000
#define PT	 0x4000
#define GDT	 0x5000
#define TSS	 0x6000
#define IDT	 0x7000
#define HANDLERS 0x8000 /* vector n: HANDLERS + 16n holds HLT */
#define CODE	 0x10000
#define STACK	 0x80000
#define IST1	 0xa0000
#define HOLE	 0x150000 /* a page the guest's page tables leave out */

#define PF_INFO 0x80000b0eu /* valid, error code, hardware exception, 14 */
#define DF_INFO 0x80000b08u
#define PFERR_W 2u

/* VMX's #PF rule: exit iff ((err & mask) == match) equals bitmap bit 14. */
struct nenv {
	struct tenv t; /* first: tenv_gpa takes the same pointer */
	uint32_t pfec_mask, pfec_match;
	unsigned pf_asked; /* #PF intercept checks */
};

static bool nenv_intercept(void *env, const struct x86_intercept *w,
			   struct x86_exit *exit)
{
	struct nenv *n = env;
	bool bit = (n->t.exc_bitmap >> w->vector) & 1;

	if (w->reason != X86_EXIT_EXCEPTION_NMI)
		return w->reason == X86_EXIT_HLT ||
		       w->reason == X86_EXIT_TRIPLE_FAULT;
	if (w->vector != X86_EXC_PF)
		return bit;
	n->pf_asked++;
	return ((w->error_code & n->pfec_mask) == n->pfec_match) == bit;
}

static const struct x86_env_ops nenv_ops = {
    .gpa_to_hva = tenv_gpa,
    .intercept = nenv_intercept,
};

static void set_gate(struct tenv *t, unsigned vec, unsigned ist)
{
	uint64_t h = HANDLERS + vec * 16;

	tenv_wr(t, IDT + vec * 16, 8,
		(h & 0xffff) | (0x08ull << 16) | ((uint64_t)ist << 32) |
		    (0xeull << 40) | (1ull << 47) | ((h >> 16 & 0xffff) << 48));
	tenv_wr(t, IDT + vec * 16 + 8, 8, 0);
}

/* CPL0 long mode, 4K identity pages below 2 MiB except HOLE, a GDT, a TSS
 * with IST1, and an IDT whose every gate points at a HLT. */
static struct nenv *setup(void)
{
	struct nenv *n = calloc(1, sizeof(*n));
	struct tenv *t = tenv_new();
	struct tenv *nt = &n->t;

	assert_non_null(n);
	*nt = *t;
	free(t); /* its buffers now belong to n->t */
	x86_state_init_flat64(&nt->st, 0);
	tenv_wr(nt, PML4, 8, PDPT | 7);
	tenv_wr(nt, PDPT, 8, PD | 7);
	tenv_wr(nt, PD, 8, PT | 7);
	for (unsigned p = 0; p < 512; p++)
		tenv_wr(nt, PT + p * 8, 8, (p << 12) | 7);
	tenv_wr(nt, PT + (HOLE >> 12) * 8, 8, 0);
	nt->st.cr3 = PML4;

	tenv_wr(nt, GDT + 0x08, 8, 0x00af9b000000ffffull); /* code64 */
	tenv_wr(nt, GDT + 0x10, 8, 0x00cf93000000ffffull); /* data */
	tenv_wr(nt, GDT + 0x40, 8,
		0x0000890000000067ull | ((uint64_t)TSS << 16));
	nt->st.gdtr.base = GDT;
	nt->st.gdtr.limit = 0x4f;
	nt->st.seg[X86_TR].sel = 0x40;
	nt->st.seg[X86_TR].base = TSS;
	nt->st.seg[X86_TR].limit = 0x67;
	nt->st.seg[X86_TR].ar = 0x8b;
	tenv_wr(nt, TSS + 0x24, 8, IST1);
	for (unsigned v = 0; v < 32; v++) {
		nt->mem[HANDLERS + v * 16] = 0xf4; /* hlt */
		set_gate(nt, v, 0);
	}
	nt->st.idtr.base = IDT;
	nt->st.idtr.limit = 32 * 16 - 1;
	nt->st.gpr[X86_RSP] = STACK;
	return n;
}

static void teardown(struct nenv *n)
{
	x86_core_destroy(n->t.core);
	free(n->t.mem);
	free(n);
}

/* mov [rbx], al; hlt -- with RBX = HOLE: a write #PF (error code W). */
static const uint8_t write_hole[] = {0x88, 0x03, 0xf4};

static uint32_t run_code(struct nenv *n, const void *code, size_t len)
{
	tenv_load(&n->t, CODE, code, len);
	n->t.st.rip = CODE;
	n->t.st.gpr[X86_RBX] = HOLE;
	return x86_run(&n->t.st, n->t.core, &nenv_ops, n, &n->t.exit);
}

/* Put the IDT page out of the guest's page tables. */
static void unmap_idt(struct nenv *n)
{
	tenv_wr(&n->t, PT + (IDT >> 12) * 8, 8, 0);
}

/* The shadow-MMU case: KVM injects the guest's #PF and the IDT page is not
 * in KVM's tables yet. The CPU must exit with that #PF (the exception
 * bitmap has 14), the injected #PF in the IDT-vectoring fields, not turn
 * it into #DF behind KVM's back. */
static void test_injected_pf_faults_on_idt(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;
	struct x86_event ev = {.vector = X86_EXC_PF,
			       .type = X86_EVT_HW_EXC,
			       .has_error = true,
			       .error_code = PFERR_W};

	t->exc_bitmap = 1u << X86_EXC_PF;
	unmap_idt(n);
	t->st.rip = CODE;
	t->st.cr2 = HOLE;
	assert_int_equal(
	    x86_inject_event(&t->st, t->core, &nenv_ops, n, &ev, &t->exit),
	    X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, PF_INFO);
	assert_int_equal(t->exit.intr_error, 0); /* supervisor read, !P */
	assert_int_equal(t->exit.qualification, IDT + X86_EXC_PF * 16);
	assert_int_equal(t->exit.idt_vectoring_info, PF_INFO);
	assert_int_equal(t->exit.idt_vectoring_error, PFERR_W);
	/* nothing was delivered: the guest is where it was */
	assert_int_equal(t->st.rip, CODE);
	assert_int_equal(t->st.gpr[X86_RSP], STACK);
	teardown(n);
}

/* A guest #PF that is not intercepted (mask/match: writes go to the
 * guest) faults again on the IDT (a read, which is intercepted): exit with
 * the second #PF, the first in the IDT-vectoring fields. */
static void test_pf_during_pf_delivery_exits(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;

	t->exc_bitmap = 1u << X86_EXC_PF;
	n->pfec_mask = PFERR_W;
	n->pfec_match = 0; /* only non-write #PFs exit */
	unmap_idt(n);
	assert_int_equal(run_code(n, write_hole, sizeof(write_hole)),
			 X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(n->pf_asked, 2);
	assert_int_equal(t->exit.intr_info, PF_INFO);
	assert_int_equal(t->exit.intr_error, 0);
	assert_int_equal(t->exit.qualification, IDT + X86_EXC_PF * 16);
	assert_int_equal(t->exit.idt_vectoring_info, PF_INFO);
	assert_int_equal(t->exit.idt_vectoring_error, PFERR_W);
	assert_int_equal(t->st.rip, CODE);
	teardown(n);
}

/* A #PF that is not raised during delivery exits without IDT-vectoring
 * information. */
static void test_plain_pf_exit_has_no_vectoring(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;

	t->exc_bitmap = 1u << X86_EXC_PF;
	assert_int_equal(run_code(n, write_hole, sizeof(write_hole)),
			 X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, PF_INFO);
	assert_int_equal(t->exit.intr_error, PFERR_W);
	assert_int_equal(t->exit.qualification, HOLE);
	assert_int_equal(t->exit.idt_vectoring_info, 0);
	teardown(n);
}

/* Not intercepted: #PF during #PF delivery (the stack is in the hole)
 * is a #DF, delivered on the IST1 stack with error code 0. */
static void test_pf_during_pf_not_intercepted_is_df(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;

	set_gate(t, X86_EXC_DF, 1);
	t->st.gpr[X86_RSP] = HOLE + 0x800;
	assert_int_equal(run_code(n, write_hole, sizeof(write_hole)),
			 X86_EXIT_HLT);
	assert_int_equal(t->st.rip, HANDLERS + X86_EXC_DF * 16);
	assert_int_equal(t->st.gpr[X86_RSP], IST1 - 48);
	assert_int_equal(tenv_rd(t, IST1 - 48, 8), 0);	  /* error code */
	assert_int_equal(tenv_rd(t, IST1 - 40, 8), CODE); /* faulting RIP */
	assert_int_equal(t->st.cr2, HOLE + 0x800 - 8);	  /* the second */
	teardown(n);
}

/* ... and intercepted only as #DF: exits with #DF, IDT-vectoring = #PF. */
static void test_df_intercepted_after_nested_pf(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;

	t->exc_bitmap = 1u << X86_EXC_DF;
	t->st.gpr[X86_RSP] = HOLE + 0x800;
	assert_int_equal(run_code(n, write_hole, sizeof(write_hole)),
			 X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, DF_INFO);
	assert_int_equal(t->exit.intr_error, 0);
	assert_int_equal(t->exit.idt_vectoring_info, PF_INFO);
	assert_int_equal(t->exit.idt_vectoring_error, PFERR_W);
	teardown(n);
}

/* #PF while delivering a (re-injected) #DF, as KVM re-injects an event
 * whose delivery exited: an intercepted #PF exits, IDT-vectoring = #DF. */
static void test_pf_during_df_delivery_exits(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;
	struct x86_event ev = {
	    .vector = X86_EXC_DF, .type = X86_EVT_HW_EXC, .has_error = true};

	set_gate(t, X86_EXC_DF, 1);
	tenv_wr(t, TSS + 0x24, 8, HOLE + 0x1000); /* IST1 in the hole */
	t->exc_bitmap = 1u << X86_EXC_PF;
	t->st.rip = CODE;
	assert_int_equal(
	    x86_inject_event(&t->st, t->core, &nenv_ops, n, &ev, &t->exit),
	    X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, PF_INFO);
	assert_int_equal(t->exit.intr_error, PFERR_W);
	assert_int_equal(t->exit.qualification, HOLE + 0x1000 - 8);
	assert_int_equal(t->exit.idt_vectoring_info, DF_INFO);
	assert_int_equal(t->exit.idt_vectoring_error, 0);
	teardown(n);
}

/* Not intercepted: #PF, its push faults (#DF), #DF's push faults: a
 * triple fault, which carries no IDT-vectoring information. */
static void test_pf_during_df_not_intercepted_triple_faults(void **state)
{
	struct nenv *n = setup();
	struct tenv *t = &n->t;

	set_gate(t, X86_EXC_DF, 1);
	tenv_wr(t, TSS + 0x24, 8, HOLE + 0x1000);
	t->st.gpr[X86_RSP] = HOLE + 0x800;
	assert_int_equal(run_code(n, write_hole, sizeof(write_hole)),
			 X86_EXIT_TRIPLE_FAULT);
	assert_int_equal(t->exit.idt_vectoring_info, 0);
	assert_int_equal(t->st.rip, CODE);
	teardown(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_injected_pf_faults_on_idt),
	    cmocka_unit_test(test_pf_during_pf_delivery_exits),
	    cmocka_unit_test(test_plain_pf_exit_has_no_vectoring),
	    cmocka_unit_test(test_pf_during_pf_not_intercepted_is_df),
	    cmocka_unit_test(test_df_intercepted_after_nested_pf),
	    cmocka_unit_test(test_pf_during_df_delivery_exits),
	    cmocka_unit_test(test_pf_during_df_not_intercepted_triple_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
