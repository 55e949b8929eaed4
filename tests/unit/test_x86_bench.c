// SPDX-License-Identifier: GPL-2.0
/*
 * x86 core throughput: a loop of simple ALU instructions plus one store,
 * run in 64-bit mode with 4-level paging. Prints guest instructions per
 * second as a TAP comment; asserts only the architectural result (no
 * timed assertions).
 */
#include <stdio.h>
#include <time.h>

#include "test_x86_env.h"

static double now(void)
{
	struct timespec ts;
	/* CPU time: the machine is shared */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_alu_loop_mips(void **state)
{
	/* mov ebx,10000000; l: add rax,rcx; xor rdx,rax; inc rcx;
	 * mov [rsp-8],rdx; sub rbx,1; jnz l; hlt */
	static const uint8_t c[] = {0xbb, 0x80, 0x96, 0x98, 0x00, 0x48, 0x01,
				    0xc8, 0x48, 0x31, 0xc2, 0x48, 0xff, 0xc1,
				    0x48, 0x89, 0x54, 0x24, 0xf8, 0x48, 0x83,
				    0xeb, 0x01, 0x75, 0xec, 0xf4};
	struct tenv *t = tenv_new();
	double t0, dt;
	uint64_t n;

	tenv_long_mode(t, 0);
	t0 = now();
	assert_int_equal(tenv_run64(t, c, sizeof(c)), X86_EXIT_HLT);
	dt = now() - t0;
	n = x86_core_ctl(t->core)->insns_retired;
	assert_int_equal(n, 1 + 6 * 10000000ull);
	assert_int_equal(t->st.gpr[X86_RCX], 10000000);
	printf("# x86 core: %llu guest instructions in %.3f s CPU = %.1f M/s\n",
	       (unsigned long long)n, dt, n / dt / 1e6);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alu_loop_mips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
