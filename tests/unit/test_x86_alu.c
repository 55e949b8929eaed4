// SPDX-License-Identifier: GPL-2.0
/*
 * x86 core: integer instructions in 64-bit mode (flags edge cases, sizes,
 * strings, atomics, stack). Code bytes were assembled with GNU as; the
 * source is in the comment above each array.
 */
#include "test_x86_env.h"

#define FL (0x8d5u) /* CF PF AF ZF SF OF */

static struct tenv *run(const uint8_t *code, size_t len)
{
	struct tenv *t = tenv_new();
	tenv_long_mode(t, 0);
	assert_int_equal(tenv_run64(t, code, len), X86_EXIT_HLT);
	return t;
}

static void test_add_overflow(void **state)
{
	/* mov eax,0x7fffffff; add eax,1; pushfq; pop rbx; hlt */
	static const uint8_t c[] = {0xb8, 0xff, 0xff, 0xff, 0x7f, 0x83,
				    0xc0, 0x01, 0x9c, 0x5b, 0xf4};
	struct tenv *t = run(c, sizeof(c));
	assert_int_equal(t->st.gpr[X86_RAX], 0x80000000u);
	/* OF SF AF PF */
	assert_int_equal(t->st.gpr[X86_RBX] & FL, 0x894);
	assert_int_equal(t->st.rip, 0x10000 + sizeof(c) - 1);
	assert_int_equal(t->exit.insn_len, 1);
	tenv_free(t);
}

static void test_sub_borrow(void **state)
{
	/* xor eax,eax; sub eax,1; pushfq; pop rbx; hlt */
	static const uint8_t c[] = {0x31, 0xc0, 0x83, 0xe8,
				    0x01, 0x9c, 0x5b, 0xf4};
	struct tenv *t = run(c, sizeof(c));
	assert_int_equal(t->st.gpr[X86_RAX], 0xffffffffu);
	assert_int_equal(t->st.gpr[X86_RBX] & FL, 0x95); /* CF AF PF SF */
	tenv_free(t);
}

static void test_adc_sbb(void **state)
{
	/* mov rax,-1; mov rdx,0; add rax,1; adc rdx,0; mov rcx,5;
	 * sbb rcx,2; hlt */
	static const uint8_t c[] = {0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff,
				    0x48, 0xc7, 0xc2, 0x00, 0x00, 0x00, 0x00,
				    0x48, 0x83, 0xc0, 0x01, 0x48, 0x83, 0xd2,
				    0x00, 0x48, 0xc7, 0xc1, 0x05, 0x00, 0x00,
				    0x00, 0x48, 0x83, 0xd9, 0x02, 0xf4};
	struct tenv *t = run(c, sizeof(c));
	assert_int_equal(t->st.gpr[X86_RAX], 0);
	assert_int_equal(t->st.gpr[X86_RDX], 1);
	assert_int_equal(t->st.gpr[X86_RCX], 3);
	tenv_free(t);
}

static void test_shifts(void **state)
{
	/* stc; mov eax,0x80000001; shl eax,0; pushfq; pop rbx; shl eax,1;
	 * pushfq; pop rcx; mov edx,0x81; sar dl,3; pushfq; pop rsi;
	 * mov edi,1; mov cl,33; rcr edi,cl; hlt */
	static const uint8_t c[] = {0xf9, 0xb8, 0x01, 0x00, 0x00, 0x80, 0xc1,
				    0xe0, 0x00, 0x9c, 0x5b, 0xd1, 0xe0, 0x9c,
				    0x59, 0xba, 0x81, 0x00, 0x00, 0x00, 0xc0,
				    0xfa, 0x03, 0x9c, 0x5e, 0xbf, 0x01, 0x00,
				    0x00, 0x00, 0xb1, 0x21, 0xd3, 0xdf, 0xf4};
	struct tenv *t = run(c, sizeof(c));
	assert_true(t->st.gpr[X86_RBX] & 1); /* count 0: CF kept */
	assert_int_equal(t->st.gpr[X86_RAX], 2);
	assert_int_equal(t->st.gpr[X86_RCX] & 0x8c5, 0x801); /* CF OF */
	assert_int_equal(t->st.gpr[X86_RDX] & 0xff, 0xf0);
	assert_int_equal(t->st.gpr[X86_RSI] & 0x8c5, 0x84); /* SF PF */
	assert_int_equal(t->st.gpr[X86_RDI], 0);	    /* rcr by 33&31=1 */
	assert_true(t->st.rflags & 1);
	tenv_free(t);
}

static void test_mul_div(void **state)
{
	/* mov rax,0x123456789; mov rcx,0x1000; mul rcx; mov r8,rax;
	 * mov r9,rdx; mov rax,-7; cqo; mov rcx,2; idiv rcx; mov r10,rax;
	 * mov r11,rdx; imul r12,r10,100; hlt */
	static const uint8_t c[] = {
	    0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00,
	    0x48, 0xc7, 0xc1, 0x00, 0x10, 0x00, 0x00, 0x48, 0xf7, 0xe1,
	    0x49, 0x89, 0xc0, 0x49, 0x89, 0xd1, 0x48, 0xc7, 0xc0, 0xf9,
	    0xff, 0xff, 0xff, 0x48, 0x99, 0x48, 0xc7, 0xc1, 0x02, 0x00,
	    0x00, 0x00, 0x48, 0xf7, 0xf9, 0x49, 0x89, 0xc2, 0x49, 0x89,
	    0xd3, 0x4d, 0x6b, 0xe2, 0x64, 0xf4};
	struct tenv *t = run(c, sizeof(c));
	assert_int_equal(t->st.gpr[X86_R8], 0x123456789000ull);
	assert_int_equal(t->st.gpr[X86_R9], 0);
	assert_int_equal(t->st.gpr[X86_R10], (uint64_t)-3);
	assert_int_equal(t->st.gpr[X86_R11], (uint64_t)-1);
	assert_int_equal(t->st.gpr[X86_R12], (uint64_t)-300);
	tenv_free(t);
}

static void test_div_zero(void **state)
{
	/* xor ecx,ecx; div ecx; hlt */
	static const uint8_t c[] = {0x31, 0xc9, 0xf7, 0xf1, 0xf4};
	struct tenv *t = tenv_new();
	tenv_long_mode(t, 0);
	t->exc_bitmap = 1u << X86_EXC_DE;
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_EXCEPTION_NMI);
	assert_int_equal(t->exit.intr_info, 0x80000300u);
	assert_int_equal(t->st.rip, 0x10002); /* fault: at the DIV */
	tenv_free(t);
}

static void test_sizes(void **state)
{
	/* mov rax,-1; mov eax,2; mov rbx,0x1234; mov bh,0x56; mov rcx,-1;
	 * mov cx,7; movsx rdx,cl; movzx esi,bh; hlt */
	static const uint8_t c[] = {
	    0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xb8, 0x02, 0x00,
	    0x00, 0x00, 0x48, 0xc7, 0xc3, 0x34, 0x12, 0x00, 0x00, 0xb7,
	    0x56, 0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, 0x66, 0xb9,
	    0x07, 0x00, 0x48, 0x0f, 0xbe, 0xd1, 0x0f, 0xb6, 0xf7, 0xf4};
	struct tenv *t = run(c, sizeof(c));
	assert_int_equal(t->st.gpr[X86_RAX], 2);
	assert_int_equal(t->st.gpr[X86_RBX], 0x5634);
	assert_int_equal(t->st.gpr[X86_RCX], 0xffffffffffff0007ull);
	assert_int_equal(t->st.gpr[X86_RDX], 7);
	assert_int_equal(t->st.gpr[X86_RSI], 0x56);
	tenv_free(t);
}

static void test_strings(void **state)
{
	/* lea rsi,[rip+src]; mov rdi,0x20000; mov rcx,5; cld; rep movsb;
	 * mov rdi,0x20100; mov rax,0x1122334455667788; mov ecx,3;
	 * rep stosq; mov rdi,0x20000; mov al,0x6c; mov ecx,10;
	 * repne scasb; hlt; src: "hello" */
	static const uint8_t c[] = {
	    0x48, 0x8d, 0x35, 0x3b, 0x00, 0x00, 0x00, 0x48, 0xc7, 0xc7, 0x00,
	    0x00, 0x02, 0x00, 0x48, 0xc7, 0xc1, 0x05, 0x00, 0x00, 0x00, 0xfc,
	    0xf3, 0xa4, 0x48, 0xc7, 0xc7, 0x00, 0x01, 0x02, 0x00, 0x48, 0xb8,
	    0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xb9, 0x03, 0x00,
	    0x00, 0x00, 0xf3, 0x48, 0xab, 0x48, 0xc7, 0xc7, 0x00, 0x00, 0x02,
	    0x00, 0xb0, 0x6c, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0xf2, 0xae, 0xf4,
	    0x68, 0x65, 0x6c, 0x6c, 0x6f};
	struct tenv *t = run(c, sizeof(c));
	assert_memory_equal(t->mem + 0x20000, "hello", 5);
	assert_int_equal(tenv_rd(t, 0x20110, 8), 0x1122334455667788ull);
	assert_int_equal(tenv_rd(t, 0x20118, 8), 0);
	assert_int_equal(t->st.gpr[X86_RDI], 0x20003);
	assert_int_equal(t->st.gpr[X86_RCX], 7);
	assert_true(t->st.rflags & 0x40);
	tenv_free(t);
}

static void test_atomics_bits(void **state)
{
	/* mov qword [0x20000],10; mov eax,10; mov ecx,20;
	 * lock cmpxchg [0x20000],ecx; mov edx,5; lock xadd [0x20000],edx;
	 * mov r8d,0x10; bts r8d,3; setc r9b; bsf r10,r8; bsr r11,r8;
	 * mov eax,0; bsf r12,rax; hlt */
	static const uint8_t c[] = {
	    0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x0a, 0x00,
	    0x00, 0x00, 0xb8, 0x0a, 0x00, 0x00, 0x00, 0xb9, 0x14, 0x00,
	    0x00, 0x00, 0xf0, 0x0f, 0xb1, 0x0c, 0x25, 0x00, 0x00, 0x02,
	    0x00, 0xba, 0x05, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xc1, 0x14,
	    0x25, 0x00, 0x00, 0x02, 0x00, 0x41, 0xb8, 0x10, 0x00, 0x00,
	    0x00, 0x41, 0x0f, 0xba, 0xe8, 0x03, 0x41, 0x0f, 0x92, 0xc1,
	    0x4d, 0x0f, 0xbc, 0xd0, 0x4d, 0x0f, 0xbd, 0xd8, 0xb8, 0x00,
	    0x00, 0x00, 0x00, 0x4c, 0x0f, 0xbc, 0xe0, 0xf4};
	struct tenv *t = tenv_new();
	tenv_long_mode(t, 0);
	t->st.gpr[X86_R12] = 0x5555;
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(tenv_rd(t, 0x20000, 8), 25);
	assert_int_equal(t->st.gpr[X86_RDX], 20);
	assert_int_equal(t->st.gpr[X86_R8], 0x18);
	assert_int_equal(t->st.gpr[X86_R9] & 0xff, 0);
	assert_int_equal(t->st.gpr[X86_R10], 3);
	assert_int_equal(t->st.gpr[X86_R11], 4);
	assert_int_equal(t->st.gpr[X86_R12], 0x5555); /* BSF of 0: unchanged */
	assert_true(t->st.rflags & 0x40);
	tenv_free(t);
}

static void test_stack_call(void **state)
{
	/* mov rsp,0x80000; push 0x11; push rax; pop rbx; pop rcx; call f;
	 * mov r9,7; hlt; f: mov r8,9; ret */
	static const uint8_t c[] = {
	    0x48, 0xc7, 0xc4, 0x00, 0x00, 0x08, 0x00, 0x6a, 0x11, 0x50, 0x5b,
	    0x59, 0xe8, 0x08, 0x00, 0x00, 0x00, 0x49, 0xc7, 0xc1, 0x07, 0x00,
	    0x00, 0x00, 0xf4, 0x49, 0xc7, 0xc0, 0x09, 0x00, 0x00, 0x00, 0xc3};
	struct tenv *t = tenv_new();
	tenv_long_mode(t, 0);
	t->st.gpr[X86_RAX] = 0xabc;
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	assert_int_equal(t->st.gpr[X86_RBX], 0xabc);
	assert_int_equal(t->st.gpr[X86_RCX], 0x11);
	assert_int_equal(t->st.gpr[X86_R8], 9);
	assert_int_equal(t->st.gpr[X86_R9], 7);
	assert_int_equal(t->st.gpr[X86_RSP], 0x80000);
	tenv_free(t);
}

static void test_rep_runs(void **state)
{
	/* mov rdi,0x20ff0; mov rsi,0x30ff8; mov ecx,0x2100; rep movsb;
	 * mov rdi,0x40ffc; mov eax,0xdeadbeef; mov ecx,3; rep stosd;
	 * mov rsi,0x50000; lea rdi,[rsi+1]; mov ecx,100; rep movsb; hlt */
	static const uint8_t c[] = {
	    0x48, 0xc7, 0xc7, 0xf0, 0x0f, 0x02, 0x00, 0x48, 0xc7, 0xc6,
	    0xf8, 0x0f, 0x03, 0x00, 0xb9, 0x00, 0x21, 0x00, 0x00, 0xf3,
	    0xa4, 0x48, 0xc7, 0xc7, 0xfc, 0x0f, 0x04, 0x00, 0xb8, 0xef,
	    0xbe, 0xad, 0xde, 0xb9, 0x03, 0x00, 0x00, 0x00, 0xf3, 0xab,
	    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x05, 0x00, 0x48, 0x8d, 0x7e,
	    0x01, 0xb9, 0x64, 0x00, 0x00, 0x00, 0xf3, 0xa4, 0xf4};
	struct tenv *t = tenv_new();
	tenv_long_mode(t, 0);
	for (unsigned n = 0; n < 0x2100; n++)
		t->mem[0x30ff8 + n] = (uint8_t)(n * 7 + 1);
	t->mem[0x50000] = 0xab;
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	for (unsigned n = 0; n < 0x2100; n++)
		assert_int_equal(t->mem[0x20ff0 + n], (uint8_t)(n * 7 + 1));
	for (unsigned n = 0; n < 3; n++)
		assert_int_equal(tenv_rd(t, 0x40ffc + 4 * n, 4), 0xdeadbeef);
	for (unsigned n = 1; n <= 100; n++)
		assert_int_equal(t->mem[0x50000 + n], 0xab); /* replicated */
	assert_int_equal(t->st.gpr[X86_RCX], 0);
	assert_int_equal(t->st.gpr[X86_RDI], 0x50065);
	assert_int_equal(t->st.gpr[X86_RSI], 0x50064);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_overflow),
	    cmocka_unit_test(test_sub_borrow),
	    cmocka_unit_test(test_adc_sbb),
	    cmocka_unit_test(test_shifts),
	    cmocka_unit_test(test_mul_div),
	    cmocka_unit_test(test_div_zero),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_atomics_bits),
	    cmocka_unit_test(test_stack_call),
	    cmocka_unit_test(test_rep_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
