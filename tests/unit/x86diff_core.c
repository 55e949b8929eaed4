// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff core runner: the same case on kvmini's software CPU.
 *
 * The state is 64-bit long mode at CPL3 with real 4-level paging: the
 * page tables live in a small guest-physical array and map the code, data
 * and stack at the linear addresses the native run uses, to guest-physical
 * pages in reverse order, so that an access or an instruction straddling
 * two pages must really be split. Code is user read/execute only, data
 * user read/write and NX. The sequence ends
 * in CPUID, which the core always reports as an exit; exceptions are
 * intercepted, so a #DE stops the run at the faulting instruction just as
 * SIGFPE does natively.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/x86.h"
#include "x86diff.h"
#include "x86diff_core.h"

bool x86diff_interpret;

/* Guest-physical layout. */
#define GPA_PML4    0x1000u
#define GPA_PDPT    0x2000u
#define GPA_PD	    0x3000u
#define GPA_PT_CODE 0x4000u
#define GPA_PT_DATA 0x5000u
#define GPA_PT_TSS  0x6000u
#define GPA_TSS	    0x7000u
/* A TSS like Linux's: no I/O bitmap, so IN/OUT at CPL3 are #GP(0). */
#define TSS_ADDR 0x30000000ull
#define GDT_OFF	 0x800u
#define GPA_CODE 0x8000u
#define GPA_DATA 0x10000u
#define GPA_SIZE (GPA_DATA + X86DIFF_DATA_SIZE)

#define CODE_PAGES (X86DIFF_CODE_SIZE / 4096)
#define DATA_PAGES (X86DIFF_DATA_SIZE / 4096)

static uint64_t code_gpa(unsigned page)
{
	return GPA_CODE + 4096ull * (CODE_PAGES - 1 - page);
}

static uint64_t data_gpa(unsigned page)
{
	return GPA_DATA + 4096ull * (DATA_PAGES - 1 - page);
}

#define PTE_P  (1ull << 0)
#define PTE_W  (1ull << 1)
#define PTE_U  (1ull << 2)
#define PTE_NX (1ull << 63)

struct x86diff_env {
	uint8_t *mem;
};

static int x86diff_gpa_to_hva(void *opaque, uint64_t gpa, unsigned access,
			      uint64_t gla, bool gla_valid, void **hva,
			      struct x86_exit *exit)
{
	struct x86diff_env *env = opaque;

	if (gpa >= GPA_SIZE) {
		/* nothing is there: report it as an EPT violation */
		exit->reason = X86_EXIT_EPT_VIOLATION;
		exit->gpa = gpa;
		exit->gla = gla;
		exit->gla_valid = gla_valid;
		exit->qualification = access & 7;
		return -1;
	}
	*hva = env->mem + gpa;
	return 0;
}

/*
 * Stop on everything (CPUID, the end marker; exceptions), so that a core
 * asking about an instruction before its CPL3 #GP/#UD checks shows up as a
 * divergence; except PAUSE, legal at CPL3 and not an exit on bare metal.
 */
static bool x86diff_intercept(void *opaque, const struct x86_intercept *what,
			      struct x86_exit *exit)
{
	return what->reason != X86_EXIT_PAUSE;
}

static const struct x86_env_ops x86diff_env_ops = {
    .gpa_to_hva = x86diff_gpa_to_hva,
    .intercept = x86diff_intercept,
};

static void x86diff_put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void x86diff_build_tables(uint8_t *mem, bool smc)
{
	uint64_t u = PTE_P | PTE_U;

	/* 0x10000000: PML4[0] PDPT[0] PD[128]; 0x20000000: PD[256] */
	x86diff_put64(mem, GPA_PML4, GPA_PDPT | u | PTE_W);
	x86diff_put64(mem, GPA_PDPT, GPA_PD | u | PTE_W);
	x86diff_put64(mem, GPA_PD + 8 * (X86DIFF_CODE_ADDR >> 21),
		      GPA_PT_CODE | u | PTE_W);
	x86diff_put64(mem, GPA_PD + 8 * (X86DIFF_DATA_ADDR >> 21),
		      GPA_PT_DATA | u | PTE_W);
	x86diff_put64(mem, GPA_PD + 8 * (TSS_ADDR >> 21),
		      GPA_PT_TSS | u | PTE_W);
	x86diff_put64(mem, GPA_PT_TSS, GPA_TSS | PTE_P | PTE_W | PTE_NX);
	/* I/O map base beyond the limit: no I/O permission bitmap */
	mem[GPA_TSS + 0x66] = 0x68;
	/* Linux's x86-64 GDT (same page, supervisor only): kernel CS32,
	 * CS64, DS; __USER32_CS 0x23, __USER_DS 0x2b, __USER_CS 0x33; the
	 * TSS (busy). LAR/LSL/VERR/VERW and segment loads see what a Linux
	 * process sees (minus the per-CPU 0x7b entry). */
	static const uint64_t gdt[] = {
	    0,
	    0x00cf9b000000ffffull,
	    0x00af9b000000ffffull,
	    0x00cf93000000ffffull,
	    0x00cffb000000ffffull,
	    0x00cff3000000ffffull,
	    0x00affb000000ffffull,
	    0,
	    0x30008b0000000067ull,
	    0,
	};
	for (unsigned i = 0; i < sizeof(gdt) / sizeof(gdt[0]); i++)
		x86diff_put64(mem, GPA_TSS + GDT_OFF + 8 * i, gdt[i]);
	for (unsigned i = 0; i < CODE_PAGES; i++)
		x86diff_put64(mem, GPA_PT_CODE + 8 * i,
			      code_gpa(i) | u | (smc ? PTE_W : 0));
	for (unsigned i = 0; i < DATA_PAGES; i++)
		x86diff_put64(mem, GPA_PT_DATA + 8 * i,
			      data_gpa(i) | u | PTE_W | PTE_NX);
}

/* Copy between a linear range and the guest-physical pages behind it. */
static void x86diff_copy(uint8_t *mem, uint64_t (*gpa)(unsigned), void *buf,
			 uint32_t off, uint32_t len, bool to_guest)
{
	while (len) {
		uint32_t n = 4096 - off % 4096;
		uint8_t *g = mem + gpa(off / 4096) + off % 4096;

		if (n > len)
			n = len;
		if (to_guest)
			memcpy(g, buf, n);
		else
			memcpy(buf, g, n);
		buf = (uint8_t *)buf + n;
		off += n;
		len -= n;
	}
}

_Static_assert((X86DIFF_CODE_ADDR & 0x1fffff) == 0 &&
		   (X86DIFF_DATA_ADDR & 0x1fffff) == 0 &&
		   X86DIFF_CODE_ADDR >> 30 == 0 && X86DIFF_DATA_ADDR >> 30 == 0,
	       "the page tables above assume these addresses");

struct x86diff_core {
	struct x86_core *core;
	uint8_t *mem;
};

struct x86diff_core *x86diff_core_new(void)
{
	struct x86diff_core *xc = calloc(1, sizeof(*xc));

	if (!xc)
		return NULL;
	xc->mem = calloc(1, GPA_SIZE);
	xc->core = x86_core_create();
	if (!xc->mem || !xc->core) {
		x86diff_core_free(xc);
		return NULL;
	}
	return xc;
}

void x86diff_core_free(struct x86diff_core *xc)
{
	if (!xc)
		return;
	if (xc->core)
		x86_core_destroy(xc->core);
	free(xc->mem);
	free(xc);
}

int x86diff_run_core(struct x86diff_core *xc, const struct x86diff_case *c,
		     struct x86diff_result *r)
{
	struct x86diff_env env = {.mem = xc->mem};
	struct x86_state st;
	struct x86_exit exit;
	struct x86_ctl *ctl = x86_core_ctl(xc->core);
	uint32_t reason;

	memset(r, 0, sizeof(*r));
	r->vector = -1;
	memset(xc->mem, 0, GPA_SIZE);
	x86diff_build_tables(xc->mem, c->smc);
	uint8_t code[X86DIFF_CODE_SIZE];

	memcpy(code, c->code, sizeof(code));
	if (c->len + 2 <= sizeof(code))
		memcpy(code + c->len, "\x0f\xa2", 2); /* cpuid */
	x86diff_copy(xc->mem, code_gpa, code, 0, sizeof(code), true);
	x86diff_copy(xc->mem, data_gpa, (void *)c->data, 0, X86DIFF_DATA_SIZE,
		     true);
	/* the memory changed behind the core's back */
	x86_flush_tlb(xc->core, true);
	x86_flush_code(xc->core);
	ctl->insn_budget = 100000;
	ctl->unimplemented_ud = false;
	ctl->flat_paging = false;
	ctl->no_jit = x86diff_interpret;

	x86_state_init_flat64(&st, 3);
	memcpy(st.gpr, c->init.gpr, sizeof(st.gpr));
	st.rip = c->init.rip;
	st.rflags = c->init.rflags;
	st.fpu.inited = true;
	st.fpu.fcw = c->init.fcw;
	st.fpu.fsw = c->init.fsw;
	st.fpu.ftw = c->init.ftw;
	/* ST(i) is physical R((TOP + i) mod 8) */
	for (int i = 0; i < 8; i++)
		memcpy(st.fpu.st[((c->init.fsw >> 11) + i) & 7], c->init.st[i],
		       10);
	st.fpu.mxcsr = c->init.mxcsr;
	memcpy(st.fpu.xmm, c->init.xmm, sizeof(st.fpu.xmm));
	st.cr3 = GPA_PML4;
	if (c->compat) {
		/* Linux's __USER32_CS: 32-bit code in long mode */
		st.seg[X86_CS].sel = 0x23;
		st.seg[X86_CS].ar = (st.seg[X86_CS].ar & ~X86_AR_L) | X86_AR_DB;
	}
	/* selectors as a Linux process has them: null DS/ES/FS/GS in 64-bit
	 * mode; the compat trampoline loads DS/ES with __USER_DS */
	st.seg[X86_DS].sel = st.seg[X86_ES].sel = c->compat ? 0x2b : 0;
	st.seg[X86_FS].sel = st.seg[X86_GS].sel = 0;
	st.gdtr.base = TSS_ADDR + GDT_OFF;
	st.gdtr.limit = 0x7f;
	st.seg[X86_TR].sel = 0x40;
	st.seg[X86_TR].base = TSS_ADDR;
	st.seg[X86_TR].limit = 0x67;

	/*
	 * Some cases run in pieces, to check that the core stops and resumes
	 * at any instruction boundary: a small instruction budget, or the
	 * monitor trap flag (an exit after every instruction).
	 */
	unsigned mode = (unsigned)(c->seed % 4), pieces = 0;

	ctl->mtf = mode == 2;
	if (mode == 1)
		ctl->insn_budget = 1 + (c->seed >> 2) % 4;
	for (;;) {
		reason = x86_run(&st, xc->core, &x86diff_env_ops, &env, &exit);
		if ((reason != X86_STOP_BUDGET || mode != 1) &&
		    (reason != X86_EXIT_MTF || mode != 2))
			break;
		if (++pieces > 100000)
			break;
	}
	ctl->mtf = false;

	memcpy(r->regs.gpr, st.gpr, sizeof(r->regs.gpr));
	r->regs.rip = st.rip;
	r->regs.rflags = st.rflags;
	r->regs.mxcsr = st.fpu.mxcsr;
	r->regs.fcw = st.fpu.fcw;
	r->regs.fsw = st.fpu.fsw;
	r->regs.ftw = st.fpu.ftw;
	for (int i = 0; i < 8; i++)
		memcpy(r->regs.st[i], st.fpu.st[((st.fpu.fsw >> 11) + i) & 7],
		       10);
	memcpy(r->regs.xmm, st.fpu.xmm, sizeof(r->regs.xmm));
	x86diff_copy(xc->mem, data_gpa, r->data, 0, X86DIFF_DATA_SIZE, false);
	switch (reason) {
	case X86_EXIT_CPUID:
		if (st.rip == X86DIFF_CODE_ADDR + c->len) {
			r->end = X86DIFF_END_MARKER;
			return 0;
		}
		r->end = X86DIFF_END_ERROR;
		snprintf(r->msg, sizeof(r->msg), "CPUID exit at +%#llx",
			 (unsigned long long)(st.rip - X86DIFF_CODE_ADDR));
		return 0;
	case X86_EXIT_EXCEPTION_NMI:
		r->end = X86DIFF_END_FAULT;
		r->vector = (int)(exit.intr_info & X86_INTR_INFO_VECTOR_MASK);
		if (exit.intr_info & X86_INTR_INFO_ERROR_VALID)
			r->error = exit.intr_error;
		if (r->vector == X86_EXC_PF)
			r->cr2 = exit.qualification;
		return 0;
	case X86_STOP_UNIMPLEMENTED:
		r->end = X86DIFF_END_ERROR;
		snprintf(r->msg, sizeof(r->msg),
			 "core: unimplemented '%s' at +%#llx", exit.mnemonic,
			 (unsigned long long)(exit.rip - X86DIFF_CODE_ADDR));
		return 1;
	default:
		r->end = X86DIFF_END_ERROR;
		snprintf(r->msg, sizeof(r->msg), "core: exit %s (%u) %s",
			 x86_exit_reason_name(reason), reason, exit.mnemonic);
		return 0;
	}
}

/* The shortest prefix (at an instruction boundary) that already diverges. */
static void x86diff_minimize(struct x86diff_core *xc,
			     const struct x86diff_case *c,
			     struct x86diff_result *a, struct x86diff_result *b,
			     FILE *out)
{
	struct x86diff_case *p = malloc(sizeof(*p));
	FILE *null = fopen("/dev/null", "w");

	if (!p || !null)
		goto out;
	for (uint32_t k = 1; k <= c->ninsn; k++) {
		uint32_t end = k < c->ninsn ? c->insn_off[k] : c->len;
		char text[96];

		if (k < c->ninsn && !c->group_start[k])
			continue;
		*p = *c;
		memset(p->code + end, 0xcc, X86DIFF_CODE_SIZE - end);
		p->len = end;
		p->ninsn = k;
		p->undef_flags = p->undef_any = c->undef_any;
		if (x86diff_run_native(p, a) || a->end != X86DIFF_END_MARKER)
			continue; /* a branch out of the prefix, or a fault */
		x86diff_run_core(xc, p, b);
		if (x86diff_compare(p, a, b, null))
			continue;
		x86diff_disasm_mode(&c->code[c->insn_off[k - 1]],
				    c->len - c->insn_off[k - 1],
				    X86DIFF_CODE_ADDR + c->insn_off[k - 1],
				    text, sizeof(text), c->compat);
		fprintf(out,
			"  first divergence after instruction %u (+%04x: %s); "
			"prefix run:\n",
			k, c->insn_off[k - 1], text);
		x86diff_compare(p, a, b, out);
		break;
	}
out:
	if (null)
		fclose(null);
	free(p);
}

enum x86diff_verdict x86diff_check(struct x86diff_core *xc,
				   const struct x86diff_case *c, FILE *out,
				   bool minimize, char *unimpl,
				   size_t unimpl_len)
{
	struct x86diff_result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	enum x86diff_verdict v = X86DIFF_PASS;

	if (!a || !b) {
		v = X86DIFF_NATIVE_BAD;
		goto out;
	}
	if (x86diff_run_native(c, a) || a->end == X86DIFF_END_ERROR ||
	    (a->end == X86DIFF_END_FAULT && a->vector != 0 &&
	     !(c->classes & (1u << X86DIFF_C_FAULT)))) {
		fprintf(out, "BAD CASE (generator/harness bug):\n");
		x86diff_print_case(c, out);
		x86diff_print_result("native", a, out);
		v = X86DIFF_NATIVE_BAD;
		goto out;
	}
	if (x86diff_run_core(xc, c, b) == 1) {
		if (unimpl)
			snprintf(unimpl, unimpl_len, "%s", b->msg);
		v = X86DIFF_UNIMPL;
		goto out;
	}
	FILE *mem = NULL;
	char *buf = NULL;
	size_t len = 0;

	mem = open_memstream(&buf, &len);
	if (!mem) {
		v = X86DIFF_NATIVE_BAD;
		goto out;
	}
	if (x86diff_compare(c, a, b, mem)) {
		fclose(mem);
		free(buf);
		goto out;
	}
	fclose(mem);
	v = X86DIFF_DIVERGE;
	fprintf(out, "DIVERGENCE:\n");
	x86diff_print_case(c, out);
	x86diff_print_result("native", a, out);
	x86diff_print_result("core  ", b, out);
	fputs(buf, out);
	free(buf);
	if (minimize)
		x86diff_minimize(xc, c, a, b, out);
out:
	free(a);
	free(b);
	return v;
}
