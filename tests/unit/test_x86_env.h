/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny standalone environment for the x86 core's unit tests: flat
 * guest-physical memory in one array, and an intercept policy that exits
 * on I/O, HLT, CPUID and the exceptions in a bitmap.
 */
#ifndef KVMINI_TEST_X86_ENV_H
#define KVMINI_TEST_X86_ENV_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/x86/x86.h"

#define TENV_MEM (16u << 20)

struct tenv {
	uint8_t *mem;
	uint64_t size;
	uint32_t exc_bitmap; /* exceptions that exit */
	bool no_hlt_exit;    /* let HLT halt the core instead */
	unsigned intercepts; /* count */
	uint64_t deny_gpa;   /* if nonzero: this page gives EPT violations */
	struct x86_state st;
	struct x86_core *core;
	struct x86_exit exit;
};

static int tenv_gpa(void *env, uint64_t gpa, unsigned acc, uint64_t gla,
		    bool gla_valid, void **hva, struct x86_exit *exit)
{
	struct tenv *t = env;
	if (gpa >= t->size ||
	    (t->deny_gpa && (gpa >> 12) == (t->deny_gpa >> 12))) {
		exit->reason = X86_EXIT_EPT_VIOLATION;
		exit->gpa = gpa;
		exit->gla = gla;
		exit->gla_valid = gla_valid;
		exit->qualification = acc & 7;
		return 1;
	}
	*hva = t->mem + gpa;
	return 0;
}

static bool tenv_intercept(void *env, const struct x86_intercept *w,
			   struct x86_exit *exit)
{
	struct tenv *t = env;
	t->intercepts++;
	switch (w->reason) {
	case X86_EXIT_IO_INSTRUCTION:
	case X86_EXIT_CPUID:
	case X86_EXIT_TRIPLE_FAULT:
	case X86_EXIT_TASK_SWITCH:
		return true;
	case X86_EXIT_HLT:
		return !t->no_hlt_exit;
	case X86_EXIT_EXCEPTION_NMI:
		return (t->exc_bitmap >> w->vector) & 1;
	default:
		return false;
	}
}

static const struct x86_env_ops tenv_ops = {
    .gpa_to_hva = tenv_gpa,
    .intercept = tenv_intercept,
};

static inline struct tenv *tenv_new(void)
{
	struct tenv *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->size = TENV_MEM;
	t->mem = calloc(1, t->size);
	assert_non_null(t->mem);
	t->core = x86_core_create();
	assert_non_null(t->core);
	return t;
}

static inline void tenv_free(struct tenv *t)
{
	x86_core_destroy(t->core);
	free(t->mem);
	free(t);
}

static inline void tenv_load(struct tenv *t, uint64_t gpa, const void *code,
			     size_t len)
{
	assert_true(gpa + len <= t->size);
	memcpy(t->mem + gpa, code, len);
	x86_code_written(t->core, gpa, len);
}

static inline uint64_t tenv_rd(struct tenv *t, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, t->mem + gpa, size);
	return v;
}

static inline void tenv_wr(struct tenv *t, uint64_t gpa, unsigned size,
			   uint64_t v)
{
	memcpy(t->mem + gpa, &v, size);
}

static inline uint32_t tenv_run(struct tenv *t)
{
	return x86_run(&t->st, t->core, &tenv_ops, t, &t->exit);
}

/* Flat 64-bit CPL0 with identity 1 GiB pages via a PML4 at 0x1000. */
static inline void tenv_long_mode(struct tenv *t, unsigned cpl)
{
	x86_state_init_flat64(&t->st, cpl);
	/* PML4[0] -> PDPT at 0x2000; PDPT[0] = 1 GiB page at 0, U/W */
	tenv_wr(t, 0x1000, 8, 0x2000 | 7);
	tenv_wr(t, 0x2000, 8, 0x0 | 0x87);
	t->st.cr3 = 0x1000;
	t->st.gpr[X86_RSP] = 0x80000;
}

/* Run `code` at 0x10000 in 64-bit mode until it exits; returns reason. */
static inline uint32_t tenv_run64(struct tenv *t, const void *code, size_t len)
{
	tenv_load(t, 0x10000, code, len);
	t->st.rip = 0x10000;
	return tenv_run(t);
}

#endif
