// SPDX-License-Identifier: GPL-2.0
/*
 * The JIT (cpu/x86/jit) against the interpreter on the same programs: the
 * same final state, exact instruction counts at budget stops and faults,
 * self-modifying code inside one block, and code replaced between runs.
 * (The differential tester compares both with silicon on random code;
 * these pin down the JIT's own machinery: register write-back, flags kept
 * in the host's, the TLB probe's slow path, chaining, the jump cache.)
 */
#include "test_x86_env.h"

#include "cpu/x86/core.h"
#include "cpu/x86/jit/jit.h"

/*
 *	mov ecx, 200; mov rbx, 0x20000; mov rsi, 0x123456789; xor eax, eax
 *	mov r9, 7
 * 1:	mov rdx, [rbx+rcx*8]; add rdx, rsi; adc [rbx+rcx*8+8], rdx
 *	rol rsi, cl; shr rdx, cl; imul rdx, rsi, 77; mov rax, rsi; mul r9
 *	xor rsi, rdx; push rax; push rsi; pop rdi; pop r8; cmp rdi, r8
 *	setb al; cmovae r10, rdi; mov rax, rsi; cmpxchg [rbx], r8
 *	lea r11, [rip+2f]; call r11; dec ecx; jnz 1b; hlt
 * 2:	sbb r12, rdx; bsf r13, rsi; ret
 */
static const uint8_t mix[] = {
    0xb9, 0xc8, 0x00, 0x00, 0x00, 0x48, 0xc7, 0xc3, 0x00, 0x00, 0x02, 0x00,
    0x48, 0xbe, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x31, 0xc0,
    0x49, 0xc7, 0xc1, 0x07, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x14, 0xcb, 0x48,
    0x01, 0xf2, 0x48, 0x11, 0x54, 0xcb, 0x08, 0x48, 0xd3, 0xc6, 0x48, 0xd3,
    0xea, 0x48, 0x6b, 0xd6, 0x4d, 0x48, 0x89, 0xf0, 0x49, 0xf7, 0xe1, 0x48,
    0x31, 0xd6, 0x50, 0x56, 0x5f, 0x41, 0x58, 0x4c, 0x39, 0xc7, 0x0f, 0x92,
    0xc0, 0x4c, 0x0f, 0x43, 0xd7, 0x48, 0x89, 0xf0, 0x4c, 0x0f, 0xb1, 0x03,
    0x4c, 0x8d, 0x1d, 0x08, 0x00, 0x00, 0x00, 0x41, 0xff, 0xd3, 0xff, 0xc9,
    0x75, 0xbd, 0xf4, 0x49, 0x19, 0xd4, 0x4c, 0x0f, 0xbc, 0xee, 0xc3};

static struct tenv *setup(bool jit)
{
	struct tenv *t = tenv_new();

	x86_core_ctl(t->core)->no_jit = !jit;
	/* a broken translation must fail the test, not hang it */
	x86_core_ctl(t->core)->insn_budget = 1000000;
	tenv_long_mode(t, 0);
	/* the data the loop reads and adds into */
	for (unsigned i = 0; i < 202; i++)
		tenv_wr(t, 0x20000 + 8 * i, 8, 0x9e3779b97f4a7c15ull * (i + 1));
	return t;
}

static void test_same_result_as_interpreter(void **state)
{
	struct tenv *a = setup(true), *b = setup(false);
	struct jit_stats js;

	assert_non_null(a->core->jit);
	assert_int_equal(tenv_run64(a, mix, sizeof(mix)), X86_EXIT_HLT);
	assert_int_equal(tenv_run64(b, mix, sizeof(mix)), X86_EXIT_HLT);
	for (unsigned g = 0; g < 16; g++)
		assert_int_equal(a->st.gpr[g], b->st.gpr[g]);
	assert_int_equal(a->st.rip, b->st.rip);
	/* BSF leaves ZF defined; the rest of the last writer (SBB) too */
	assert_int_equal(a->st.rflags & 0x8d5, b->st.rflags & 0x8d5);
	assert_memory_equal(a->mem + 0x20000, b->mem + 0x20000, 8 * 202);
	assert_memory_equal(a->mem + 0x7f000, b->mem + 0x7f000, 0x1000);
	assert_int_equal(x86_core_ctl(a->core)->insns_retired,
			 x86_core_ctl(b->core)->insns_retired);
	/* ... and it really ran translated code */
	jit_get_stats(a->core->jit, &js);
	assert_true(js.native_insns > 20);
	assert_true(js.chains > 0);
	tenv_free(a);
	tenv_free(b);
}

/* A budget stops both at exactly the same instruction. */
static void test_budget_is_exact(void **state)
{
	for (uint64_t n = 1; n < 3000; n += 733) {
		struct tenv *a = setup(true), *b = setup(false);
		x86_core_ctl(a->core)->insn_budget = n;
		x86_core_ctl(b->core)->insn_budget = n;
		assert_int_equal(tenv_run64(a, mix, sizeof(mix)),
				 X86_STOP_BUDGET);
		assert_int_equal(tenv_run64(b, mix, sizeof(mix)),
				 X86_STOP_BUDGET);
		assert_int_equal(x86_core_ctl(a->core)->insns_retired, n);
		assert_int_equal(x86_core_ctl(b->core)->insns_retired, n);
		assert_int_equal(a->st.rip, b->st.rip);
		for (unsigned g = 0; g < 16; g++)
			assert_int_equal(a->st.gpr[g], b->st.gpr[g]);
		tenv_free(a);
		tenv_free(b);
	}
}

/*
 *	mov ecx, 3
 * 1:	mov byte [rip+2f+1], 0x42	; the immediate of the next insn
 * 2:	mov eax, 0x11
 *	add rbx, rax; dec ecx; jnz 1b; hlt
 * The store lands in the block that is running: the next instruction must
 * be the new one (rbx = 3 * 0x42), as on silicon.
 */
static void test_self_modifying_block(void **state)
{
	static const uint8_t c[] = {0xb9, 0x03, 0x00, 0x00, 0x00, 0xc6, 0x05,
				    0x01, 0x00, 0x00, 0x00, 0x42, 0xb8, 0x11,
				    0x00, 0x00, 0x00, 0x48, 0x01, 0xc3, 0xff,
				    0xc9, 0x75, 0xed, 0xf4};
	for (int jit = 0; jit < 2; jit++) {
		struct tenv *t = setup(jit);
		assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
		assert_int_equal(t->st.gpr[X86_RBX], 3 * 0x42);
		tenv_free(t);
	}
}

/* Code replaced by someone else between runs (x86_code_written). */
static void test_code_replaced_between_runs(void **state)
{
	/* mov eax, imm32; hlt */
	uint8_t c[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4};
	struct tenv *t = setup(true);

	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX], 1);
	c[1] = 2;
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX], 2);
	x86_flush_code(t->core);
	c[1] = 3;
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RAX], 3);
	tenv_free(t);
}

/*
 *	mov eax, 1; mov rbx, 0x300000; add eax, 2; mov rcx, [rbx]
 *	add eax, 4; hlt
 * The load hits a page whose translation fails (an EPT violation): the
 * exit comes with RIP at the load, the registers as the first three
 * instructions left them, and three instructions retired.
 */
static void test_fault_mid_block(void **state)
{
	static const uint8_t c[] = {
	    0xb8, 0x01, 0x00, 0x00, 0x00, 0x48, 0xc7, 0xc3, 0x00, 0x00, 0x30,
	    0x00, 0x83, 0xc0, 0x02, 0x48, 0x8b, 0x0b, 0x83, 0xc0, 0x04, 0xf4};
	for (int jit = 0; jit < 2; jit++) {
		struct tenv *t = setup(jit);
		t->deny_gpa = 0x300000;
		assert_int_equal(tenv_run64(t, c, sizeof(c)),
				 X86_EXIT_EPT_VIOLATION);
		assert_int_equal(t->st.rip, 0x10000 + 15);
		assert_int_equal(t->st.gpr[X86_RAX], 3);
		assert_int_equal(t->st.gpr[X86_RBX], 0x300000);
		assert_int_equal(x86_core_ctl(t->core)->insns_retired, 3);
		assert_int_equal(t->exit.gpa, 0x300000);
		tenv_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_result_as_interpreter),
	    cmocka_unit_test(test_budget_is_exact),
	    cmocka_unit_test(test_self_modifying_block),
	    cmocka_unit_test(test_code_replaced_between_runs),
	    cmocka_unit_test(test_fault_mid_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
