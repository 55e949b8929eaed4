// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle side of the CPU-vs-silicon test, checked on its own: the
 * hand-written encoder produces what a disassembler reads back, every
 * generated sequence runs natively to its end marker (or a #DE), runs are
 * reproducible, and known sequences give known results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "x86diff.h"

static struct x86diff_case tc;
static struct x86diff_result r1, r2;
static uint32_t host = X86DIFF_ALL_CLASSES; /* what runs natively here */

/* Every instruction the generator recorded decodes to exactly its bytes;
 * only a call or jmp may be followed by bytes that are jumped over, and
 * only the last one of a "fault" case may be invalid. */
static void test_encoder_decodes(void **state)
{
	unsigned bad = 0;

	for (uint64_t seed = 1; seed <= 3000; seed++) {
		bool ok;

		x86diff_gen(&tc, seed, X86DIFF_ALL_CLASSES, 1, 24);
		ok = tc.ninsn > 0;
		for (uint32_t i = 0; i < tc.ninsn && ok; i++) {
			uint32_t off = tc.insn_off[i];
			uint32_t next =
			    i + 1 < tc.ninsn ? tc.insn_off[i + 1] : tc.len;
			char text[96];
			unsigned l = x86diff_disasm_mode(
			    &tc.code[off], next - off, X86DIFF_CODE_ADDR + off,
			    text, sizeof(text), tc.compat);

			if (!l && i + 1 == tc.ninsn &&
			    (tc.classes & (1u << X86DIFF_C_FAULT)))
				continue; /* an invalid opcode, on purpose */
			if (!l || off + l > next)
				ok = false;
			else if (off + l < next && strncmp(text, "call", 4) &&
				 strncmp(text, "jmp", 3))
				ok = false;
		}
		if (!ok && bad++ < 3)
			x86diff_print_case(&tc, stderr);
	}
	assert_int_equal(bad, 0);
}

static void test_all_classes_generated(void **state)
{
	for (unsigned k = 0; k < X86DIFF_C_COUNT; k++) {
		x86diff_gen(&tc, 77 + k, 1u << k, 4, 8);
		if (!(tc.classes & (1u << k)))
			fprintf(stderr, "class %s not generated\n",
				x86diff_class_name(k));
		assert_true(tc.classes & (1u << k));
	}
}

/* Generated sequences stay in bounds natively and are deterministic. */
static void test_native_runs(void **state)
{
	unsigned de = 0, bad = 0;

	for (uint64_t seed = 1000; seed < 1400; seed++) {
		x86diff_gen(&tc, seed, host, 1, 20);
		assert_int_equal(x86diff_run_native(&tc, &r1), 0);
		if (r1.end == X86DIFF_END_FAULT && r1.vector == 0) {
			de++;
		} else if (r1.end == X86DIFF_END_FAULT &&
			   (tc.classes & (1u << X86DIFF_C_FAULT))) {
			continue;
		} else if (r1.end != X86DIFF_END_MARKER) {
			if (bad++ < 3) {
				x86diff_print_case(&tc, stderr);
				x86diff_print_result("native", &r1, stderr);
			}
			continue;
		}
		if ((seed & 7) == 0) {
			assert_int_equal(x86diff_run_native(&tc, &r2), 0);
			if (!x86diff_compare(&tc, &r1, &r2, stderr)) {
				x86diff_print_case(&tc, stderr);
				bad++;
			}
		}
	}
	fprintf(stderr, "# 400 native runs, %u ended in #DE\n", de);
	assert_int_equal(bad, 0);
}

static void set_known(struct x86diff_case *c)
{
	c->init.gpr[0] = 0x1122334455667788ull;
	c->init.gpr[3] = 0x0f;
	c->init.rflags = 0x202;
}

/* mov eax, ebx ; shl rax, 4 ; add rax, 1 ; mov [0x20000100], rax (moffs) */
static const uint8_t known_bytes[] = {
    0x89, 0xd8, 0x48, 0xc1, 0xe0, 0x04, 0x48, 0x83, 0xc0, 0x01,
    0x48, 0xa3, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00,
};

static void test_native_known(void **state)
{
	static const struct x86diff_fixed f = {
	    .name = "known",
	    .bytes = known_bytes,
	    .len = sizeof(known_bytes),
	    .setup = set_known,
	};
	uint64_t v;

	x86diff_from_bytes(&tc, &f, 4);
	assert_int_equal(tc.ninsn, 4);
	assert_int_equal(x86diff_run_native(&tc, &r1), 0);
	assert_int_equal(r1.end, X86DIFF_END_MARKER);
	assert_int_equal(r1.regs.gpr[0], 0xf1);
	assert_int_equal(r1.regs.rip, X86DIFF_CODE_ADDR + sizeof(known_bytes));
	assert_int_equal(r1.regs.gpr[4], X86DIFF_STACK_TOP);
	assert_int_equal(r1.regs.rflags & X86DIFF_ARITH, 0);
	memcpy(&v, &r1.data[0x100], 8);
	assert_int_equal(v, 0xf1);
	assert_int_equal(
	    memcmp(r1.data + 0x108, tc.data + 0x108, X86DIFF_DATA_SIZE - 0x108),
	    0);
}

/* div by zero: the child reports #DE at the faulting instruction */
static void test_native_de(void **state)
{
	static const uint8_t b[] = {0x31, 0xc9, 0xf7,
				    0xf1}; /* xor ecx,ecx; div ecx */
	static const struct x86diff_fixed f = {
	    .name = "de", .bytes = b, .len = sizeof(b)};

	x86diff_from_bytes(&tc, &f, 6);
	assert_int_equal(x86diff_run_native(&tc, &r1), 0);
	assert_int_equal(r1.end, X86DIFF_END_FAULT);
	assert_int_equal(r1.vector, 0);
	assert_int_equal(r1.regs.rip, X86DIFF_CODE_ADDR + 2);
	assert_int_equal(r1.regs.gpr[1], 0);
}

/* The hand-assembled cases are valid natively. */
static void test_native_fixed(void **state)
{
	unsigned bad = 0;

	for (size_t i = 0; i < x86diff_nr_fixed_cases; i++) {
		if (x86diff_fixed_cases[i].classes & ~host)
			continue;
		x86diff_from_bytes(&tc, &x86diff_fixed_cases[i], 100 + i);
		assert_int_equal(x86diff_run_native(&tc, &r1), 0);
		if (r1.end == X86DIFF_END_MARKER ||
		    (r1.end == X86DIFF_END_FAULT &&
		     (r1.vector == 0 ||
		      (tc.classes & (1u << X86DIFF_C_FAULT)))))
			continue;
		x86diff_print_case(&tc, stderr);
		x86diff_print_result("native", &r1, stderr);
		bad++;
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encoder_decodes),
	    cmocka_unit_test(test_all_classes_generated),
	    cmocka_unit_test(test_native_known),
	    cmocka_unit_test(test_native_de),
	    cmocka_unit_test(test_native_runs),
	    cmocka_unit_test(test_native_fixed),
	};

	char why[200];

	host = x86diff_host_classes(why, sizeof(why));
	if (host != X86DIFF_ALL_CLASSES)
		fprintf(stderr, "# this host cannot run natively: %s\n", why);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
