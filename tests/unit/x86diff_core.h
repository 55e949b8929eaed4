/* SPDX-License-Identifier: GPL-2.0 */
/* x86diff: running a case on kvmini's cpu/x86 core (see x86diff.h). */
#ifndef KVMINI_TESTS_X86DIFF_CORE_H
#define KVMINI_TESTS_X86DIFF_CORE_H

#include "x86diff.h"

struct x86diff_core; /* a core plus its guest-physical memory */

/* Run cases on the interpreter only (default: the JIT where it applies,
 * which calls the interpreter for what it does not translate). */
extern bool x86diff_interpret;

struct x86diff_core *x86diff_core_new(void);
void x86diff_core_free(struct x86diff_core *xc);

/*
 * Run one case. Returns 0, or 1 when the core stopped on an instruction it
 * does not implement (r->msg names it; r->end is X86DIFF_END_ERROR).
 */
int x86diff_run_core(struct x86diff_core *xc, const struct x86diff_case *c,
		     struct x86diff_result *r);

enum x86diff_verdict {
	X86DIFF_PASS,
	X86DIFF_DIVERGE,    /* the core disagrees with the host CPU */
	X86DIFF_UNIMPL,	    /* the core stopped: instruction not implemented */
	X86DIFF_NATIVE_BAD, /* the case itself is bad (generator bug) */
};

/*
 * Run a case natively and on the core and compare. Divergences are
 * printed to `out` with the disassembled case, the initial state, both
 * final states and (when `minimize`) the first instruction after which
 * the two disagree. `unimpl`, if not NULL, receives the core's message.
 */
enum x86diff_verdict x86diff_check(struct x86diff_core *xc,
				   const struct x86diff_case *c, FILE *out,
				   bool minimize, char *unimpl,
				   size_t unimpl_len);

#endif
