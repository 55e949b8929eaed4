// SPDX-License-Identifier: GPL-2.0
/*
 * x86 core robustness: random byte streams executed in every mode (real,
 * 16/32-bit protected, long mode at CPL0 and CPL3, compatibility mode)
 * with random registers and a random descriptor/page-table soup in guest
 * memory. Whatever the guest does, the core must return an exit (no host
 * crash, no hang: the budget bounds every run). Run it under ASan/UBSan
 * (make check) to catch undefined behaviour on guest-controlled values.
 */
#include "test_x86_env.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_state(struct tenv *t, unsigned mode)
{
	struct x86_state *st = &t->st;

	switch (mode) {
	case 0:
		x86_state_init_real(st, 0x1000, 0);
		break;
	case 1:
	case 2:
		x86_state_init_real(st, 0, 0);
		st->cr0 |= 1;
		for (unsigned s = X86_ES; s <= X86_GS; s++) {
			st->seg[s].base = 0;
			st->seg[s].limit = 0xffffffffu;
			st->seg[s].ar = (s == X86_CS ? 0xb : 0x3) | 0x90 |
					(mode == 2 ? X86_AR_DB | X86_AR_G : 0);
		}
		break;
	case 3:
	case 4:
		tenv_long_mode(t, mode == 4 ? 3 : 0);
		break;
	default:
		tenv_long_mode(t, 3);
		st->seg[X86_CS].ar &= ~X86_AR_L;
		st->seg[X86_CS].ar |= X86_AR_DB;
		break;
	}
	for (unsigned r = 0; r < 16; r++)
		st->gpr[r] = rnd() % 3 ? rnd() % 0x100000 : rnd();
	st->gpr[X86_RSP] = 0x80000 + (rnd() % 0x1000);
	st->gdtr.base = 0x3000;
	st->gdtr.limit = rnd() % 2 ? 0xfff : 0x7;
	st->idtr.base = 0x5000;
	st->idtr.limit = rnd() % 2 ? 0xfff : 0;
	st->seg[X86_TR].base = 0x4000;
	st->seg[X86_TR].limit = 0x2067;
	st->rflags = (rnd() & 0xcd5) | 2 | (rnd() % 4 ? 0 : 0x100);
	st->rip = mode == 0 ? 0 : 0x10000;
}

static void test_random_code_all_modes(void **state)
{
	struct tenv *t = tenv_new();
	unsigned stops[8] = {0};

	t->no_hlt_exit = true;
	x86_core_ctl(t->core)->insn_budget = 300;
	unsigned count = 3000;
	const char *e = getenv("X86_ROBUST_N"); /* longer local runs */

	if (e)
		count = (unsigned)strtoul(e, NULL, 0);
	if (getenv("X86_ROBUST_SEED"))
		rng = strtoull(getenv("X86_ROBUST_SEED"), NULL, 0) | 1;
	for (unsigned n = 0; n < count; n++) {
		unsigned mode = n % 6;
		uint8_t code[256];
		uint32_t r;

		/* descriptor tables, TSS, IDT and page-table pages get random
		 * bytes too (keeping the identity map of tenv_long_mode) */
		for (unsigned k = 0x3000; k < 0x6000; k += 8)
			tenv_wr(t, k, 8, rnd());
		random_state(t, mode);
		for (unsigned k = 0; k < sizeof(code); k++)
			code[k] = (uint8_t)rnd();
		if (n % 3 == 1) {
			/* bias towards SSE/MMX/x87 opcodes every few bytes */
			static const uint8_t pfx[] = {0x0f, 0x66, 0xf2, 0xf3,
						      0xd8, 0xd9, 0xdd, 0xdf};
			for (unsigned k = 0; k + 8 < sizeof(code); k += 6) {
				code[k] = pfx[rnd() % 8];
				if (code[k] >= 0x66 && code[k] <= 0xf3)
					code[k + 1] = 0x0f;
			}
		}
		tenv_load(t, mode == 0 ? 0x10000 : 0x10000, code, sizeof(code));
		t->exc_bitmap = rnd() % 2 ? ~0u : 0;
		r = tenv_run(t);
		stops[r >= X86_STOP_BASE	   ? 4 + (r - X86_STOP_BASE) % 4
		      : r == X86_EXIT_TRIPLE_FAULT ? 1
		      : r == X86_EXIT_EXCEPTION_NMI ? 2
						    : 3]++;
	}
	print_message("random code: %u triple, %u exception, %u other exits, "
		      "%u kick/halt/shutdown/budget-class stops\n",
		      stops[1], stops[2], stops[3],
		      stops[4] + stops[5] + stops[6] + stops[7]);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_code_all_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
