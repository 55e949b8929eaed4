// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop of the x86 core and its lifecycle: one x86_run() executes
 * instructions from the decoded-instruction cache until an exit or stop.
 * Faults unwind with longjmp to the loop, which delivers them (possibly
 * nesting into #DF and a triple fault).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"
#include "cpu/x86/jit/jit.h"

/*
 * Page generations and "has decoded code" marks are shared by every core
 * in the process, so a write by one vCPU invalidates code another vCPU
 * decoded (cross-modifying code, e.g. Linux text_poke). Distinct VMs
 * alias harmlessly: a spurious generation bump only costs a re-decode.
 */
static uint32_t *shared_page_gen;
static uint8_t *shared_has_code;
static uint64_t shared_code_epoch;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

/*
 * Zeroed, 2 MiB aligned memory for the big per-instruction tables: every
 * fetch touches them, so huge pages (where the host has THP) save host TLB
 * misses; the alignment also gives x86_insn its 64-byte cache lines.
 * Anonymous memory is zero until written, so a small guest's tables cost
 * only the pages it uses (the decode cache is 8 MiB per vCPU).
 */
static void *table_alloc(size_t size)
{
	size_t align = 2u << 20;
	uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + size < p + size + align)
		munmap(a + size, (size_t)(p + size + align - (a + size)));
	madvise(a, size, MADV_HUGEPAGE); /* a hint: failure is harmless */
	return a;
}

static void table_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

static void shared_alloc(void)
{
	shared_page_gen =
	    table_alloc((size_t)PAGEGEN_SIZE * sizeof(*shared_page_gen));
	shared_has_code = calloc(PAGEGEN_SIZE, 1);
}

struct x86_core *x86_core_create(void)
{
	struct x86_core *c;
	/* struct x86_core holds an x86_insn (64-byte aligned) */
	if (posix_memalign((void **)&c, _Alignof(struct x86_core), sizeof(*c)))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->icache = table_alloc((size_t)ICACHE_SIZE * sizeof(*c->icache));
	pthread_once(&shared_once, shared_alloc);
	c->page_gen = shared_page_gen;
	c->has_code = shared_has_code;
	c->code_epoch = &shared_code_epoch;
	c->code_noted = calloc(PAGEGEN_SIZE, 1);
	if (!c->icache || !c->page_gen || !c->has_code || !c->code_noted) {
		x86_core_destroy(c);
		return NULL;
	}
	c->delivering = -1;
	x86_decode_init(c);
	if (!c->dec) {
		x86_core_destroy(c);
		return NULL;
	}
	/* no JIT (mmap of executable memory refused): interpret */
	c->jit = jit_create();
	return c;
}

void x86_core_destroy(struct x86_core *c)
{
	if (!c)
		return;
	jit_destroy(c->jit);
	table_free(c->icache, (size_t)ICACHE_SIZE * sizeof(*c->icache));
	free(c->code_noted);
	free(c->dec);
	free(c);
}

struct x86_ctl *x86_core_ctl(struct x86_core *c)
{
	return &c->ctl;
}

void x86_flush_tlb(struct x86_core *c, bool global)
{
	c->fetch_page = ~0ull;
	c->tlb_gen++;
	memset(c->gpac, 0, sizeof(c->gpac));
	for (unsigned u = 0; u < 2; u++)
		for (unsigned n = 0; n < TLB_SIZE; n++) {
			struct x86_tlbe *e = &c->tlb[u][n];
			if (global || !e->global)
				e->tag_r = e->tag_w = e->tag_x = 0;
		}
}

void x86_flush_tlb_gla(struct x86_core *c, uint64_t gla)
{
	unsigned n = (gla >> 12) & (TLB_SIZE - 1);
	c->fetch_page = ~0ull;
	c->tlb_gen++;
	for (unsigned u = 0; u < 2; u++) {
		struct x86_tlbe *e = &c->tlb[u][n];
		e->tag_r = e->tag_w = e->tag_x = 0;
	}
}

void x86_code_written(struct x86_core *c, uint64_t gpa, uint64_t len)
{
	if (!len)
		return;
	uint64_t first = gpa >> 12, last = (gpa + len - 1) >> 12;
	if (last - first >= PAGEGEN_SIZE) {
		x86_flush_code(c);
		return;
	}
	for (uint64_t p = first; p <= last; p++)
		x86_code_write_slow(c, p << 12);
}

void x86_flush_code(struct x86_core *c)
{
	memset(c->icache, 0, ICACHE_SIZE * sizeof(*c->icache));
	if (c->jit)
		jit_request_flush(c->jit);
}

bool x86_interrupt_window_open(const struct x86_state *st)
{
	return (st->rflags & F_IF) &&
	       !(st->interruptibility &
		 (X86_INTR_BLOCK_STI | X86_INTR_BLOCK_MOV_SS));
}

bool x86_nmi_window_open(const struct x86_state *st)
{
	return !(st->interruptibility &
		 (X86_INTR_BLOCK_NMI | X86_INTR_BLOCK_MOV_SS));
}

void x86_update_mode(struct x86_core *c)
{
	struct x86_state *st = c->st;
	const struct x86_seg *cs = &st->seg[X86_CS];
	enum x86_dmode m;

	if (!(st->cr0 & CR0_PE)) {
		m = DM_REAL;
		c->cpl = 0;
	} else if (st->rflags & F_VM) {
		m = DM_REAL;
		c->cpl = 3;
	} else {
		c->cpl = (cs->ar >> X86_AR_DPL_SHIFT) & 3;
		if (st->efer & EFER_LMA) {
			if (cs->ar & X86_AR_L)
				m = DM_LONG64;
			else
				m = (cs->ar & X86_AR_DB) ? DM_COMPAT32
							 : DM_COMPAT16;
		} else {
			m = (cs->ar & X86_AR_DB) ? DM_PROT32 : DM_PROT16;
		}
	}
	c->mode = m;
	c->long64 = m == DM_LONG64;
	c->fetch_page = ~0ull;
	c->tlb_gen++;
}

_Noreturn void x86_stop(struct x86_core *c)
{
	c->stop = true;
	longjmp(c->jb, 1);
}

static void set_diag(struct x86_core *c, const char *what)
{
	c->exit->rip = c->st->seg[X86_CS].base + c->st->rip;
	snprintf(c->exit->mnemonic, sizeof(c->exit->mnemonic), "%s", what);
}

_Noreturn void x86_unimplemented(struct x86_core *c, const char *what)
{
	if (c->ctl.unimplemented_ud && c->delivering < 0)
		x86_ud(c);
	memset(c->exit, 0, sizeof(*c->exit));
	c->exit->reason = X86_STOP_UNIMPLEMENTED;
	set_diag(c, what);
	x86_stop(c);
}

void x86_exit_prep(struct x86_core *c, uint32_t reason, uint64_t qual)
{
	struct x86_exit *e = c->exit;
	memset(e, 0, sizeof(*e));
	e->reason = reason;
	e->qualification = qual;
	e->insn_len = c->cur ? c->cur->len : 0;
	e->rip = c->st->seg[X86_CS].base + c->st->rip;
	if (c->cur)
		snprintf(e->mnemonic, sizeof(e->mnemonic), "%s",
			 ZydisMnemonicGetString(c->cur->mnemonic));
}

void x86_intercept(struct x86_core *c, struct x86_intercept *what)
{
	what->reason = c->exit->reason;
	if (c->ops->intercept && c->ops->intercept(c->env, what, c->exit))
		x86_stop(c);
}

_Noreturn void x86_raise(struct x86_core *c, uint8_t vec, bool has_err,
			 uint32_t err)
{
	/* raised as it occurred, also during the delivery of another
	 * event: exception.c offers it to VMX first, then applies the
	 * double-fault rules (SDM 6.15 table 6-5) */
	c->exc_pending = true;
	c->exc_vector = vec;
	c->exc_has_error = has_err;
	c->exc_error = err;
	c->exc_type = X86_EVT_HW_EXC;
	c->exc_ret_rip = c->st->rip;
	c->exc_insn_len = 0;
	longjmp(c->jb, 1);
}

_Noreturn void x86_raise_sw(struct x86_core *c, uint8_t vec, uint8_t type)
{
	c->exc_pending = true;
	c->exc_vector = vec;
	c->exc_has_error = false;
	c->exc_error = 0;
	c->exc_type = type;
	c->exc_ret_rip = c->next_rip;
	c->exc_insn_len = c->cur ? c->cur->len : 0;
	longjmp(c->jb, 1);
}

static bool boundary_checks(struct x86_core *c)
{
	struct x86_state *st = c->st;
	struct x86_ctl *ctl = &c->ctl;

	if (ctl->kick && __atomic_load_n(ctl->kick, __ATOMIC_RELAXED)) {
		x86_exit_prep(c, X86_STOP_KICK, 0);
		return true;
	}
	if (ctl->intr_window_exiting && x86_interrupt_window_open(st)) {
		x86_exit_prep(c, X86_EXIT_INTERRUPT_WINDOW, 0);
		return true;
	}
	if (ctl->nmi_window_exiting && x86_nmi_window_open(st)) {
		x86_exit_prep(c, X86_EXIT_NMI_WINDOW, 0);
		return true;
	}
	if (st->activity != X86_ACTIVE) {
		x86_exit_prep(c,
			      st->activity == X86_HLT ? X86_STOP_HALTED
						      : X86_STOP_SHUTDOWN,
			      0);
		return true;
	}
	return false;
}

/* One instruction with every per-instruction rule applied: interrupt
 * shadows, single-step traps, the monitor trap flag. */
static bool step_careful(struct x86_core *c)
{
	struct x86_state *st = c->st;
	const struct x86_insn *i;
	uint32_t shadow =
	    st->interruptibility & (X86_INTR_BLOCK_STI | X86_INTR_BLOCK_MOV_SS);
	bool tf = st->rflags & F_TF;

	/* instruction breakpoints (DR0-3 with R/W = 00), suppressed by RF */
	if ((st->dr[7] & 0xff) && !(st->rflags & F_RF)) {
		uint64_t lin = c->long64
				   ? st->rip
				   : (uint32_t)(st->seg[X86_CS].base + st->rip);
		uint64_t hit = 0;
		for (unsigned n = 0; n < 4; n++)
			if (((st->dr[7] >> (2 * n)) & 3) &&
			    !((st->dr[7] >> (16 + 4 * n)) & 3) &&
			    st->dr[n] == lin)
				hit |= 1u << n;
		if (hit) {
			c->exc_dr6 = hit;
			x86_raise(c, X86_EXC_DB, false, 0);
		}
	}
	c->cur = i = x86_fetch_decode(c);
	c->next_rip = st->rip + i->len;
	if (!c->long64)
		c->next_rip &= 0xffffffffu;
	c->shadow_set = false;
	i->fn(c, i);
	st->rip = c->next_rip;
	c->cur = NULL;
	c->ctl.insns_retired++;
	st->rflags &= ~F_RF; /* RF lasts one instruction */
	if (shadow && !c->shadow_set)
		st->interruptibility &= ~shadow;
	if (tf) {
		c->exc_dr6 = 1u << 14; /* BS */
		c->exc_pending = true;
		c->exc_vector = X86_EXC_DB;
		c->exc_has_error = false;
		c->exc_type = X86_EVT_HW_EXC;
		c->exc_ret_rip = st->rip;
		c->exc_insn_len = 0;
		return false;
	}
	if (c->ctl.mtf) {
		x86_exit_prep(c, X86_EXIT_MTF, 0);
		return true;
	}
	return false;
}

/*
 * The fast stretch: nothing per instruction but fetch, execute and retire.
 * A function of its own because x86_run calls setjmp, which keeps every
 * variable of x86_run in memory; here c and st live in registers. A fault
 * longjmps out of it with st->rip, c->cur and insns_retired current.
 */
static __attribute__((noinline)) void
run_stretch(struct x86_core *c, struct x86_state *st, uint64_t stretch)
{
	/* rip stays in a register: st->rip is always c->next_rip after an
	 * instruction, so the next fetch need not reload it */
	uint64_t rip = st->rip;

	c->recheck = false;
	c->shadow_set = false;
	for (uint64_t n = 0; n < stretch; n++) {
		const struct x86_insn *i;
		uint64_t next;
		c->cur = i = x86_fetch_fast(c, rip);
		next = rip + i->len;
		if (!c->long64)
			next &= 0xffffffffu;
		c->next_rip = next;
		i->fn(c, i);
		st->rip = rip = c->next_rip;
		c->ctl.insns_retired++;
		if (c->recheck | c->shadow_set)
			break;
	}
}

/*
 * The same stretch with the JIT: 64-bit code runs as translated blocks
 * (chained to each other where a direct exit stays on the page), anything
 * else one interpreted instruction at a time. A block runs only if all of
 * it fits in what is left of the stretch, so the budget stays exact.
 */
static __attribute__((noinline)) void run_stretch_jit(struct x86_core *c,
						      struct x86_state *st,
						      uint64_t stretch,
						      bool exact)
{
	uint64_t start = c->ctl.insns_retired, end = start + stretch;
	const struct jit_block *from = NULL;
	uint8_t *site = NULL;
	uint64_t epoch = 0;

	c->recheck = false;
	c->shadow_set = false;
	while (c->ctl.insns_retired < end) {
		const struct jit_block *b = NULL;
		uint64_t left = end - c->ctl.insns_retired;

		if (!c->long64) {
			/* nothing to translate: the interpreter's own loop */
			run_stretch(c, st, left);
			return;
		}
		b = jit_lookup(c);
		/* a block that does not fit ends a stretch that is not
		 * budget-limited (the next one starts afresh); a budget is
		 * finished instruction by instruction, so it stays exact */
		if (b && b->ninsns > left && !exact &&
		    c->ctl.insns_retired != start)
			break;
		if (b && b->ninsns <= left) {
			uint64_t before = c->ctl.insns_retired;
			/* (not into code a flush since then may have reused) */
			if (site && epoch == c->jit_epoch)
				jit_chain(c, site, from, b);
			c->jit_budget = (int64_t)left;
			jit_run(c, b);
			site = c->jit_exit_site;
			from = c->jit_exit_from;
			epoch = c->jit_epoch;
			/* a prologue refused to run (a kick is pending): back
			 * to x86_run's boundary checks */
			if (c->ctl.insns_retired == before)
				break;
		} else {
			const struct x86_insn *i;
			uint64_t rip = st->rip, next;
			site = NULL;
			c->cur = i = x86_fetch_fast(c, rip);
			next = rip + i->len; /* (64-bit: no wrap at 4 GiB) */
			c->next_rip = next;
			i->fn(c, i);
			st->rip = c->next_rip;
			c->ctl.insns_retired++;
		}
		if (c->recheck | c->shadow_set)
			break;
	}
}

uint32_t x86_run(struct x86_state *st, struct x86_core *c,
		 const struct x86_env_ops *ops, void *env,
		 struct x86_exit *exit)
{
	c->st = st;
	c->ops = ops;
	c->env = env;
	c->exit = exit;
	c->stop = false;
	c->cur = NULL;
	c->delivering = -1;
	c->exc_pending = false;
	c->iret_nmi = false;
	memset(exit, 0, sizeof(*exit));
	x86_update_mode(c);
	x86_fpu_ensure(st);
	/* the budget is a limit on insns_retired (deliveries lower it) */
	c->budget_limit =
	    c->ctl.insn_budget ? c->ctl.insns_retired + c->ctl.insn_budget : 0;

	if (setjmp(c->jb)) {
		/* a fault or stop unwound the current instruction */
		c->cur = NULL;
		if (c->stop && c->iret_nmi &&
		    c->exit->reason == X86_EXIT_EPT_VIOLATION)
			/* SDM 27.2.1: NMI unblocking due to IRET */
			c->exit->qualification |= 1u << 12;
		if (c->stop) {
			c->iret_nmi = false;
			if (c->delivering >= 0 &&
			    !c->exit->idt_vectoring_info &&
			    c->exit->reason != X86_EXIT_TRIPLE_FAULT) {
				c->exit->idt_vectoring_info = c->vectoring_info;
				c->exit->idt_vectoring_error =
				    c->vectoring_error;
			}
			c->delivering = -1;
			return c->exit->reason;
		}
	}

	for (;;) {
		/* translated code checks kicks itself: longer stretches */
		uint64_t stretch = c->jit && !c->ctl.no_jit ? 4096 : 256;

		if (c->exc_pending) {
			x86_deliver_pending(c);
			/* a guest can fault forever without retiring anything
			 * (handler on a non-present page): count deliveries */
			if (c->budget_limit)
				c->budget_limit--;
		}
		if (c->budget_limit &&
		    c->ctl.insns_retired >= c->budget_limit) {
			x86_exit_prep(c, X86_STOP_BUDGET, 0);
			return exit->reason;
		}
		if (c->exc_pending)
			continue;
		if (boundary_checks(c))
			return exit->reason;
		x86_code_epoch_check(c);
		if ((st->interruptibility &
		     (X86_INTR_BLOCK_STI | X86_INTR_BLOCK_MOV_SS)) ||
		    (st->rflags & (F_TF | F_RF)) || (st->dr[7] & 0xff) ||
		    c->ctl.mtf || c->ctl.intr_window_exiting ||
		    c->ctl.nmi_window_exiting) {
			if (step_careful(c))
				return exit->reason;
			continue;
		}
		/*
		 * The fast stretch: nothing per instruction but fetch, execute
		 * and retire. Handlers that change what the careful path
		 * watches (RFLAGS, interrupt shadows, activity) set
		 * c->recheck / c->shadow_set and end the stretch.
		 */
		bool exact = false;
		if (c->budget_limit &&
		    c->budget_limit - c->ctl.insns_retired < stretch) {
			stretch = c->budget_limit - c->ctl.insns_retired;
			exact = true;
		}
		if (c->jit && !c->ctl.no_jit)
			run_stretch_jit(c, st, stretch, exact);
		else
			run_stretch(c, st, stretch);
		c->cur = NULL;
	}
}

static const char *const exit_names[] = {
    [0] = "EXCEPTION_NMI",
    [1] = "EXTERNAL_INTERRUPT",
    [2] = "TRIPLE_FAULT",
    [7] = "INTERRUPT_WINDOW",
    [8] = "NMI_WINDOW",
    [9] = "TASK_SWITCH",
    [10] = "CPUID",
    [11] = "GETSEC",
    [12] = "HLT",
    [13] = "INVD",
    [14] = "INVLPG",
    [15] = "RDPMC",
    [16] = "RDTSC",
    [17] = "RSM",
    [18] = "VMCALL",
    [19] = "VMCLEAR",
    [20] = "VMLAUNCH",
    [21] = "VMPTRLD",
    [22] = "VMPTRST",
    [23] = "VMREAD",
    [24] = "VMRESUME",
    [25] = "VMWRITE",
    [26] = "VMXOFF",
    [27] = "VMXON",
    [28] = "CR_ACCESS",
    [29] = "DR_ACCESS",
    [30] = "IO_INSTRUCTION",
    [31] = "MSR_READ",
    [32] = "MSR_WRITE",
    [36] = "MWAIT",
    [37] = "MTF",
    [39] = "MONITOR",
    [40] = "PAUSE",
    [46] = "GDTR_IDTR",
    [47] = "LDTR_TR",
    [48] = "EPT_VIOLATION",
    [49] = "EPT_MISCONFIG",
    [50] = "INVEPT",
    [51] = "RDTSCP",
    [53] = "INVVPID",
    [54] = "WBINVD",
    [55] = "XSETBV",
    [57] = "RDRAND",
    [58] = "INVPCID",
    [61] = "RDSEED",
};

const char *x86_exit_reason_name(uint32_t r)
{
	static const char *const stops[] = {
	    "STOP_KICK",   "STOP_HALTED",	 "STOP_SHUTDOWN",
	    "STOP_BUDGET", "STOP_UNIMPLEMENTED", "STOP_INTERNAL"};
	if (r < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[r])
		return exit_names[r];
	if (r >= X86_STOP_BASE && r - X86_STOP_BASE < 6)
		return stops[r - X86_STOP_BASE];
	return "UNKNOWN";
}

static void flat_seg(struct x86_seg *s, uint16_t sel, uint32_t type,
		     unsigned dpl, uint32_t extra)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->ar = type | X86_AR_S | X86_AR_P | (dpl << X86_AR_DPL_SHIFT) |
		X86_AR_G | extra;
}

void x86_state_init_flat64(struct x86_state *st, unsigned cpl)
{
	unsigned rpl = cpl & 3;
	memset(st, 0, sizeof(*st));
	flat_seg(&st->seg[X86_CS], (cpl ? 0x33 : 0x08), 0xb, rpl, X86_AR_L);
	for (unsigned s = X86_ES; s <= X86_GS; s++)
		if (s != X86_CS)
			flat_seg(&st->seg[s], cpl ? 0x2b : 0x10, 0x3, rpl,
				 X86_AR_DB);
	st->seg[X86_LDTR].ar = X86_AR_UNUSABLE;
	st->seg[X86_TR].ar = 0xb | X86_AR_P;
	st->seg[X86_TR].limit = 0x67;
	st->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	st->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	st->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	st->rflags = 0x202;
	st->pat = 0x0007040600070406ull;
	st->dr[6] = 0xffff0ff0;
	st->dr[7] = 0x400;
}

void x86_state_init_real(struct x86_state *st, uint16_t cs, uint16_t ip)
{
	memset(st, 0, sizeof(*st));
	for (unsigned s = X86_ES; s <= X86_GS; s++) {
		st->seg[s].sel = s == X86_CS ? cs : 0;
		st->seg[s].base = (uint64_t)st->seg[s].sel << 4;
		st->seg[s].limit = 0xffff;
		st->seg[s].ar = (s == X86_CS ? 0xb : 0x3) | X86_AR_S | X86_AR_P;
	}
	st->seg[X86_LDTR].ar = 0x2 | X86_AR_P;
	st->seg[X86_LDTR].limit = 0xffff;
	st->seg[X86_TR].ar = 0xb | X86_AR_P;
	st->seg[X86_TR].limit = 0xffff;
	st->idtr.limit = 0x3ff;
	st->gdtr.limit = 0xffff;
	st->rip = ip;
	st->rflags = 0x2;
	st->cr0 = CR0_ET;
	st->pat = 0x0007040600070406ull;
	st->dr[6] = 0xffff0ff0;
	st->dr[7] = 0x400;
}
