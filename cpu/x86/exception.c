// SPDX-License-Identifier: GPL-2.0
/*
 * Event delivery: exceptions, software interrupts, NMIs and injected
 * events through the real-mode IVT, the protected-mode IDT (with a TSS
 * stack switch on a privilege change) and the long-mode IDT (IST, 16-byte
 * gates). Every check that can fault runs before architectural state
 * changes, so a fault during delivery leaves the interrupted state intact
 * for the nested event (#DF, triple fault).
 */
#include <stdio.h>

#include "cpu/x86/core.h"

static bool is_ext(uint8_t type)
{
	return type == X86_EVT_HW_EXC || type == X86_EVT_EXT_INT ||
	       type == X86_EVT_NMI;
}

/* Write on the handler's stack: supervisor unless the handler is CPL3. */
static void stack_put(struct x86_core *c, uint64_t lin, unsigned size,
		      uint64_t v, unsigned new_cpl)
{
	if (new_cpl < 3)
		x86_sys_write(c, lin, size, v);
	else
		lin_write(c, lin, size, v);
}

static void deliver_real(struct x86_core *c, uint8_t vec, uint64_t ret_rip)
{
	struct x86_state *st = c->st;
	uint64_t ent, sp;
	uint64_t ssbase = st->seg[X86_SS].base;
	bool big = st->seg[X86_SS].ar & X86_AR_DB;
	uint64_t spmask = big ? 0xffffffffu : 0xffff;

	if ((uint64_t)vec * 4 + 3 > st->idtr.limit)
		x86_gp(c, 0);
	ent = x86_sys_read(c, st->idtr.base + vec * 4u, 4);
	sp = st->gpr[X86_RSP];
	sp = (sp - 2) & spmask;
	lin_write(c, ssbase + sp, 2, st->rflags);
	sp = (sp - 2) & spmask;
	lin_write(c, ssbase + sp, 2, st->seg[X86_CS].sel);
	sp = (sp - 2) & spmask;
	lin_write(c, ssbase + sp, 2, ret_rip);
	gpr_write(c, X86_RSP, big ? 4 : 2, sp);
	x86_set_real_seg(c, X86_CS, ent >> 16);
	st->rip = ent & 0xffff;
	st->rflags &= ~(F_IF | F_TF | F_AC | F_RF);
}

/* Fetch and check an IDT gate; returns the gate's low 8 bytes. */
static uint64_t read_gate(struct x86_core *c, uint8_t vec, uint8_t type,
			  uint64_t *hi)
{
	struct x86_state *st = c->st;
	unsigned gsize = (st->efer & EFER_LMA) ? 16 : 8;
	uint32_t ext = is_ext(type);
	uint32_t gerr = vec * 8u + 2 + ext;
	uint64_t lo;
	unsigned gtype, dpl;

	if ((uint64_t)vec * gsize + gsize - 1 > st->idtr.limit)
		x86_gp(c, gerr);
	lo = x86_sys_read(c, st->idtr.base + vec * gsize, 8);
	*hi = gsize == 16 ? x86_sys_read(c, st->idtr.base + vec * gsize + 8, 8)
			  : 0;
	gtype = (lo >> 40) & 0x1f;
	dpl = (lo >> 45) & 3;
	if (gsize == 16) {
		if (gtype != 0xe && gtype != 0xf)
			x86_gp(c, gerr);
	} else if (gtype == 0x5) {
		/* checked below; delivered as a task-switch exit */
	} else if (gtype != 0x6 && gtype != 0x7 && gtype != 0xe &&
		   gtype != 0xf) {
		x86_gp(c, gerr);
	}
	if ((type == X86_EVT_SW_INT || type == X86_EVT_SW_EXC) && dpl < c->cpl)
		x86_gp(c, gerr);
	if (!(lo & (1ull << 47)))
		x86_raise(c, X86_EXC_NP, true, gerr);
	if (gsize == 8 && gtype == 0x5)
		x86_task_switch(c, (uint16_t)(lo >> 16), 3);
	return lo;
}

/* Check the handler's code segment; returns its descriptor. */
static uint64_t read_handler_cs(struct x86_core *c, uint16_t sel, uint32_t ext)
{
	uint64_t d;
	unsigned dpl;

	if (!(sel & 0xfffc))
		x86_gp(c, ext);
	x86_read_desc(c, sel, &d, X86_EXC_GP);
	dpl = (d >> 45) & 3;
	/* must be a code segment (S=1, type bit 3) with DPL <= CPL */
	if (!(d & (1ull << 44)) || !(d & (1ull << 43)) || dpl > c->cpl)
		x86_gp(c, (sel & 0xfffc) | ext);
	if (!(d & (1ull << 47)))
		x86_raise(c, X86_EXC_NP, true, (sel & 0xfffc) | ext);
	return d;
}

static void deliver_prot(struct x86_core *c, uint8_t vec, uint8_t type,
			 bool has_err, uint32_t err, uint64_t ret_rip)
{
	struct x86_state *st = c->st;
	uint32_t ext = is_ext(type);
	uint64_t hi, gate = read_gate(c, vec, type, &hi);
	unsigned gtype = (gate >> 40) & 0x1f;
	uint16_t csel = gate >> 16;
	uint64_t off = (gate & 0xffff) | ((gate >> 32) & 0xffff0000ull);
	unsigned psz = (gtype & 8) ? 4 : 2;
	uint64_t csd = read_handler_cs(c, csel, ext);
	unsigned dpl = (csd >> 45) & 3;
	bool conforming = csd & (1ull << 42);
	struct x86_seg ncs, nss = st->seg[X86_SS];
	uint64_t sp = st->gpr[X86_RSP];
	unsigned new_cpl = c->cpl;
	bool inner = !conforming && dpl < c->cpl;
	uint16_t old_ss = st->seg[X86_SS].sel;
	uint64_t old_sp = st->gpr[X86_RSP];
	uint64_t spmask;

	if (st->rflags & F_VM)
		x86_unimplemented(c, "interrupt from virtual-8086 mode");
	if (inner) {
		const struct x86_seg *tr = &st->seg[X86_TR];
		bool tss32 = (tr->ar & 0xf) == 0x9 || (tr->ar & 0xf) == 0xb;
		uint64_t pos = tss32 ? 4 + 8u * dpl : 2 + 4u * dpl;
		unsigned w = tss32 ? 4 : 2;
		uint16_t ssel;
		uint64_t ssd;

		if (pos + 2 * w - 1 > tr->limit)
			x86_raise(c, X86_EXC_TS, true,
				  (tr->sel & 0xfffc) | ext);
		sp = x86_sys_read(c, tr->base + pos, w);
		ssel = x86_sys_read(c, tr->base + pos + w, 2);
		if (!(ssel & 0xfffc))
			x86_raise(c, X86_EXC_TS, true, ext);
		x86_read_desc(c, ssel, &ssd, X86_EXC_TS);
		if ((ssel & 3) != dpl || ((ssd >> 45) & 3) != dpl ||
		    !(ssd & (1ull << 44)) || (ssd & (1ull << 43)) ||
		    !(ssd & (1ull << 41)))
			x86_raise(c, X86_EXC_TS, true, (ssel & 0xfffc) | ext);
		if (!(ssd & (1ull << 47)))
			x86_raise(c, X86_EXC_SS, true, (ssel & 0xfffc) | ext);
		x86_desc_to_seg(ssd, ssel, &nss);
		new_cpl = dpl;
	}
	spmask = (nss.ar & X86_AR_DB) ? 0xffffffffu : 0xffff;
#define PUSH(v)                                                                \
	do {                                                                   \
		sp = (sp - psz) & spmask;                                      \
		stack_put(c, nss.base + sp, psz, (v), new_cpl);                \
	} while (0)
	if (inner) {
		PUSH(old_ss);
		PUSH(old_sp);
	}
	PUSH(st->rflags);
	PUSH(st->seg[X86_CS].sel);
	PUSH(ret_rip);
	if (has_err)
		PUSH(err);
#undef PUSH
	/* commit */
	x86_desc_to_seg(csd, (csel & 0xfffc) | new_cpl, &ncs);
	if (inner)
		st->seg[X86_SS] = nss;
	st->seg[X86_CS] = ncs;
	gpr_write(c, X86_RSP, (nss.ar & X86_AR_DB) ? 4 : 2, sp);
	st->rip = psz == 2 ? (off & 0xffff) : off;
	st->rflags &= ~(F_TF | F_NT | F_VM | F_RF);
	if (!(gtype & 1))
		st->rflags &= ~F_IF;
	x86_update_mode(c);
}

static void deliver_long(struct x86_core *c, uint8_t vec, uint8_t type,
			 bool has_err, uint32_t err, uint64_t ret_rip)
{
	struct x86_state *st = c->st;
	uint32_t ext = is_ext(type);
	uint64_t hi, gate = read_gate(c, vec, type, &hi);
	unsigned gtype = (gate >> 40) & 0x1f;
	unsigned ist = (gate >> 32) & 7;
	uint16_t csel = gate >> 16;
	uint64_t off =
	    (gate & 0xffff) | ((gate >> 32) & 0xffff0000ull) | (hi << 32);
	uint64_t csd = read_handler_cs(c, csel, ext);
	unsigned dpl = (csd >> 45) & 3;
	bool conforming = csd & (1ull << 42);
	bool inner = !conforming && dpl < c->cpl;
	unsigned new_cpl = inner ? dpl : c->cpl;
	const struct x86_seg *tr = &st->seg[X86_TR];
	uint64_t sp = st->gpr[X86_RSP];
	struct x86_seg ncs;

	/* the handler must be 64-bit code */
	if (!(csd & (1ull << 53)) || (csd & (1ull << 54)))
		x86_gp(c, (csel & 0xfffc) | ext);
	if (ist || inner) {
		uint64_t pos = ist ? 0x24 + 8u * (ist - 1) : 4 + 8u * dpl;
		if (pos + 7 > tr->limit)
			x86_raise(c, X86_EXC_TS, true,
				  (tr->sel & 0xfffc) | ext);
		sp = x86_sys_read(c, tr->base + pos, 8);
		if (((int64_t)(sp << 16) >> 16) != (int64_t)sp)
			x86_raise(c, X86_EXC_SS, true, ext);
	}
	sp &= ~0xfull;
#define PUSH(v)                                                                \
	do {                                                                   \
		sp -= 8;                                                       \
		stack_put(c, sp, 8, (v), new_cpl);                             \
	} while (0)
	PUSH(st->seg[X86_SS].sel);
	PUSH(st->gpr[X86_RSP]);
	PUSH(st->rflags);
	PUSH(st->seg[X86_CS].sel);
	PUSH(ret_rip);
	if (has_err)
		PUSH(err);
#undef PUSH
	if (((int64_t)(off << 16) >> 16) != (int64_t)off)
		x86_gp(c, ext);
	x86_desc_to_seg(csd, (csel & 0xfffc) | new_cpl, &ncs);
	if (inner) {
		struct x86_seg *ss = &st->seg[X86_SS];
		ss->sel = new_cpl;
		ss->base = 0;
		ss->limit = 0xffffffffu;
		ss->ar = X86_AR_UNUSABLE | 0x3 | X86_AR_S | X86_AR_P |
			 (new_cpl << X86_AR_DPL_SHIFT) | X86_AR_DB | X86_AR_G;
	}
	st->seg[X86_CS] = ncs;
	st->gpr[X86_RSP] = sp;
	st->rip = off;
	st->rflags &= ~(F_TF | F_NT | F_VM | F_RF);
	if (!(gtype & 1))
		st->rflags &= ~F_IF;
	x86_update_mode(c);
}

void x86_deliver_event(struct x86_core *c, uint8_t vec, uint8_t type,
		       bool has_err, uint32_t err, uint64_t ret_rip)
{
	struct x86_state *st = c->st;

	if (!(st->cr0 & CR0_PE)) {
		deliver_real(c, vec, ret_rip);
	} else if (st->efer & EFER_LMA) {
		deliver_long(c, vec, type, has_err, err, ret_rip);
	} else {
		deliver_prot(c, vec, type, has_err, err, ret_rip);
	}
	if (type == X86_EVT_NMI)
		st->interruptibility |= X86_INTR_BLOCK_NMI;
	st->activity = X86_ACTIVE;
}

static bool pushes_error(uint8_t vec)
{
	return vec == X86_EXC_DF || (vec >= X86_EXC_TS && vec <= X86_EXC_PF) ||
	       vec == X86_EXC_AC;
}

static uint32_t intr_info(uint8_t vec, uint8_t type, bool has_err)
{
	return X86_INTR_INFO_VALID | vec |
	       ((uint32_t)type << X86_INTR_INFO_TYPE_SHIFT) |
	       (has_err ? X86_INTR_INFO_ERROR_VALID : 0);
}

/* Ask VMX whether the event exits (exception bitmap, #PF error-code
 * mask/match); if it does, the run stops here. When it arose during the
 * delivery of another event (c->delivering >= 0), the run loop adds that
 * event as IDT-vectoring information to the exit. */
static void offer_to_vmx(struct x86_core *c, uint8_t vec, uint8_t type,
			 bool has_err, uint32_t err)
{
	struct x86_intercept w = {0};
	uint64_t q = 0;

	if (type == X86_EVT_SW_INT || type == X86_EVT_EXT_INT)
		return;
	if (vec == X86_EXC_PF)
		q = c->exc_cr2;
	else if (vec == X86_EXC_DB)
		q = c->exc_dr6 & 0x600f;
	x86_exit_prep(c, X86_EXIT_EXCEPTION_NMI, q);
	c->exit->intr_info = intr_info(vec, type, has_err);
	c->exit->intr_error = has_err ? err : 0;
	c->exit->insn_len = c->exc_insn_len;
	if (c->iret_nmi) /* the fault hit an NMI-unblocking IRET */
		c->exit->intr_info |= X86_INTR_INFO_NMI_UNBLOCK;
	w.vector = vec;
	w.has_error = has_err;
	w.error_code = err;
	x86_intercept(c, &w);
}

/* SDM 6.15 table 6-5 classes. */
static bool contributory(unsigned vec)
{
	return vec == X86_EXC_DE || (vec >= X86_EXC_TS && vec <= X86_EXC_GP);
}

_Noreturn static void triple_fault(struct x86_core *c)
{
	x86_exit_prep(c, X86_EXIT_TRIPLE_FAULT, 0);
	snprintf(c->exit->mnemonic, sizeof(c->exit->mnemonic), "triple fault");
	c->delivering = -1; /* a shutdown has no IDT-vectoring information */
	x86_stop(c);
}

/* Deliver c->exc_* (set by x86_raise); intercept first unless told not. */
static void deliver(struct x86_core *c, bool check_intercept)
{
	struct x86_state *st = c->st;
	uint8_t vec = c->exc_vector, type = c->exc_type;
	bool has_err = c->exc_has_error;
	uint32_t err = c->exc_error;
	uint32_t info;

	c->exc_pending = false;
	if (type == X86_EVT_HW_EXC && !(st->cr0 & CR0_PE))
		has_err = false; /* real mode pushes no error codes */
	/* The exception bitmap sees the exception as it occurred, also one
	 * raised while delivering another event (SDM 25.2, 27.2.4). */
	if (check_intercept)
		offer_to_vmx(c, vec, type, has_err, err);
	if (c->delivering >= 0 && type == X86_EVT_HW_EXC) {
		/* Not intercepted, raised during the delivery of the event in
		 * c->vectoring_info: the double-fault rules (table 6-5). */
		unsigned first = c->vectoring_info & 0xff;
		bool first_hw =
		    ((c->vectoring_info >> X86_INTR_INFO_TYPE_SHIFT) & 7) ==
		    X86_EVT_HW_EXC;

		if (first_hw && first == X86_EXC_DF)
			triple_fault(c);
		if (first_hw && ((contributory(first) && contributory(vec)) ||
				 (first == X86_EXC_PF &&
				  (contributory(vec) || vec == X86_EXC_PF)))) {
			if (vec == X86_EXC_PF) /* it faulted: CR2 is its */
				st->cr2 = c->exc_cr2;
			vec = X86_EXC_DF;
			has_err = (st->cr0 & CR0_PE) != 0;
			err = 0;
			if (check_intercept)
				offer_to_vmx(c, vec, type, has_err, err);
		}
		/* otherwise the two are handled serially */
	}
	info = intr_info(vec, type, has_err);
	c->iret_nmi = false;
	c->delivering = vec;
	c->vectoring_info = info;
	c->vectoring_error = has_err ? err : 0;
	if (vec == X86_EXC_PF && type == X86_EVT_HW_EXC)
		st->cr2 = c->exc_cr2;
	if (vec == X86_EXC_DB) {
		st->dr[6] |= c->exc_dr6;
		c->exc_dr6 = 0;
	}
	x86_deliver_event(c, vec, type, has_err, err, c->exc_ret_rip);
	c->delivering = -1;
}

void x86_deliver_pending(struct x86_core *c)
{
	deliver(c, true);
}

uint32_t x86_inject_event(struct x86_state *st, struct x86_core *c,
			  const struct x86_env_ops *ops, void *env,
			  const struct x86_event *ev, struct x86_exit *exit)
{
	volatile bool first = true;

	c->st = st;
	c->ops = ops;
	c->env = env;
	c->exit = exit;
	c->stop = false;
	c->cur = NULL;
	c->delivering = -1;
	memset(exit, 0, sizeof(*exit));
	x86_update_mode(c);

	c->exc_pending = true;
	c->exc_vector = ev->vector;
	c->exc_type = ev->type;
	c->exc_has_error = ev->has_error && ev->type == X86_EVT_HW_EXC &&
			   pushes_error(ev->vector);
	c->exc_error = ev->error_code;
	c->exc_cr2 = st->cr2; /* VM entry injects #PF with CR2 already set */
	c->exc_insn_len = ev->insn_len;
	c->exc_ret_rip = st->rip;
	if (ev->type == X86_EVT_SW_INT || ev->type == X86_EVT_SW_EXC ||
	    ev->type == X86_EVT_PRIV_SW_EXC)
		c->exc_ret_rip = st->rip + ev->insn_len;
	if (!c->long64)
		c->exc_ret_rip &= 0xffffffffu;

	if (setjmp(c->jb)) {
		if (c->stop) {
			if (c->delivering >= 0 && !exit->idt_vectoring_info &&
			    exit->reason != X86_EXIT_TRIPLE_FAULT) {
				exit->idt_vectoring_info = c->vectoring_info;
				exit->idt_vectoring_error = c->vectoring_error;
			}
			c->delivering = -1;
			return exit->reason;
		}
	}
	while (c->exc_pending) {
		bool check = !first;
		first = false;
		deliver(c, check);
	}
	return 0;
}
