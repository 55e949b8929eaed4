// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches (SDM vol. 3A 8.3), which VMX always hands to the
 * VMM as TASK_SWITCH exits: CALL/JMP to a TSS, IRET with NT=1, and task
 * gates in the IDT. KVM emulates them (Linux: emulator_task_switch); this
 * is that, for 32-bit TSSs. Guest memory (GDT, TSSs, stack) is reached
 * through the guest's page tables.
 */
#include <errno.h>
#include <string.h>
#include <x86/trapnr.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/emulate.h"
#include "kvm/x86/task_switch.h"
#include "kvm/x86/x86.h"

/* 32-bit TSS offsets. */
#define TSS_LINK	0x00
#define TSS_CR3		0x1c
#define TSS_EIP		0x20
#define TSS_EFLAGS	0x24
#define TSS_EAX		0x28 /* then ECX EDX EBX ESP EBP ESI EDI, 4 bytes each */
#define TSS_ES		0x48 /* then CS SS DS FS GS, 4 bytes each */
#define TSS_LDT		0x60
#define TSS32_MIN_LIMIT 0x67

/* 16-bit TSS offsets (SDM vol. 3A 7.6): no CR3, FS, GS or I/O map. */
#define TSS16_IP	0x0e
#define TSS16_FLAG	0x10
#define TSS16_AX	0x12 /* then CX DX BX SP BP SI DI, 2 bytes each */
#define TSS16_ES	0x22 /* then CS SS DS, 2 bytes each */
#define TSS16_LDT	0x2a
#define TSS16_SIZE	0x2c
#define TSS16_MIN_LIMIT 0x2b

#define DESC_TYPE(d) ((unsigned)((d) >> 40) & 0xf)
#define DESC_BUSY    (2ull << 40)

static int read_desc(struct kvm_vcpu *vcpu, uint16_t sel, uint64_t *desc,
		     uint64_t *addr)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t base, limit;

	if (sel & 4) {
		const struct kvm_segment *ldt = &a->segments[VCPU_SREG_LDTR];

		if (ldt->unusable)
			return -1;
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = a->gdt.base;
		limit = a->gdt.limit;
	}
	if ((uint64_t)(sel | 7) > limit)
		return -1;
	*addr = base + (sel & ~7u);
	return kvm_read_linear(vcpu, *addr, desc, 8);
}

static void desc_to_segment(uint64_t d, uint16_t sel, struct kvm_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000ull);
	s->limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	s->type = DESC_TYPE(d);
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	if (s->g)
		s->limit = (s->limit << 12) | 0xfff;
	s->unusable = !s->present;
}

/* Load a segment register of the new task; -1 means #TS(selector). */
static int load_seg(struct kvm_vcpu *vcpu, int seg, uint16_t sel)
{
	struct kvm_segment *s = &vcpu->arch.segments[seg];
	uint64_t d, addr;

	if (!(sel & ~3u)) {
		if (seg == VCPU_SREG_CS || seg == VCPU_SREG_SS)
			return -1;
		memset(s, 0, sizeof(*s));
		s->selector = sel;
		s->unusable = 1;
		return 0;
	}
	if (read_desc(vcpu, sel, &d, &addr))
		return -1;
	if (seg == VCPU_SREG_LDTR && ((d >> 44) & 1 || DESC_TYPE(d) != 2))
		return -1;
	if (seg != VCPU_SREG_LDTR && !((d >> 44) & 1))
		return -1;
	desc_to_segment(d, sel, s);
	if (!s->present)
		return -2; /* #NP */
	return 0;
}

/* The state a TSS holds, in either format. */
struct tss_state {
	uint32_t eip, eflags, cr3, regs[8];
	uint16_t seg[6]; /* ES CS SS DS FS GS */
	uint16_t ldt;
};

static bool tss_is_32(unsigned type)
{
	return type & 8;
}

/* Save the outgoing task into its (current) TSS at @base. */
static int save_tss(struct kvm_vcpu *vcpu, uint64_t base, bool is32,
		    uint32_t eip, uint32_t eflags)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	static const int order[6] = {VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS,
				     VCPU_SREG_DS, VCPU_SREG_FS, VCPU_SREG_GS};

	if (is32) {
		uint32_t save[16];

		save[0] = eip;
		save[1] = eflags;
		for (int i = 0; i < 8; i++)
			save[2 + i] = (uint32_t)a->regs[i];
		for (int i = 0; i < 6; i++)
			save[10 + i] = a->segments[order[i]].selector;
		return kvm_write_linear(vcpu, base + TSS_EIP, save,
					sizeof(save));
	} else {
		/* IP, FLAG, 8 GPRs, ES CS SS DS: the upper halves are lost. */
		uint16_t save[14];

		save[0] = (uint16_t)eip;
		save[1] = (uint16_t)eflags;
		for (int i = 0; i < 8; i++)
			save[2 + i] = (uint16_t)a->regs[i];
		for (int i = 0; i < 4; i++)
			save[10 + i] = a->segments[order[i]].selector;
		return kvm_write_linear(vcpu, base + TSS16_IP, save,
					sizeof(save));
	}
}

/* Read the incoming task's TSS at @base. */
static int read_tss(struct kvm_vcpu *vcpu, uint64_t base, bool is32,
		    struct tss_state *t)
{
	memset(t, 0, sizeof(*t));
	if (is32) {
		uint32_t w[26];

		if (kvm_read_linear(vcpu, base, w, 0x68))
			return -1;
		t->cr3 = w[TSS_CR3 / 4];
		t->eip = w[TSS_EIP / 4];
		t->eflags = w[TSS_EFLAGS / 4];
		for (int i = 0; i < 8; i++)
			t->regs[i] = w[TSS_EAX / 4 + i];
		for (int i = 0; i < 6; i++)
			t->seg[i] = (uint16_t)w[TSS_ES / 4 + i];
		t->ldt = (uint16_t)w[TSS_LDT / 4];
	} else {
		uint16_t w[TSS16_SIZE / 2];

		if (kvm_read_linear(vcpu, base, w, TSS16_SIZE))
			return -1;
		/* Loading from a 16-bit TSS zeroes the upper halves (the SDM
		 * leaves them modified; Linux's emulator zero-extends). */
		t->eip = w[TSS16_IP / 2];
		t->eflags = w[TSS16_FLAG / 2];
		for (int i = 0; i < 8; i++)
			t->regs[i] = w[TSS16_AX / 2 + i];
		for (int i = 0; i < 4; i++)
			t->seg[i] = w[TSS16_ES / 2 + i];
		t->ldt = w[TSS16_LDT / 2];
	}
	return 0;
}

int kvm_task_switch(struct kvm_vcpu *vcpu, uint16_t tss_sel, int reason,
		    bool has_error, uint32_t error_code, uint64_t next_eip)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_segment old_tr = a->segments[VCPU_SREG_TR];
	uint64_t desc, desc_addr, old_desc, old_desc_addr, new_base;
	struct tss_state t;
	uint32_t eflags;
	unsigned type;
	bool new32, old32;
	int r;

	if ((tss_sel & 4) || read_desc(vcpu, tss_sel, &desc, &desc_addr))
		goto ts_fault;
	type = DESC_TYPE(desc);
	if ((desc >> 44) & 1)
		goto ts_fault;
	if (type != 1 && type != 3 && type != 9 && type != 11)
		goto ts_fault;
	new32 = tss_is_32(type);
	/* IRET returns to a busy task; CALL/JMP/gates need an available one. */
	if ((reason == TASK_SWITCH_IRET) != ((type & 2) != 0)) {
		kvm_queue_exception(
		    vcpu, reason == TASK_SWITCH_IRET ? TS_VECTOR : GP_VECTOR,
		    true, tss_sel & 0xfffc);
		return 1;
	}
	if (!((desc >> 47) & 1)) {
		kvm_queue_exception(vcpu, NP_VECTOR, true, tss_sel & 0xfffc);
		return 1;
	}
	if (reason == TASK_SWITCH_CALL || reason == TASK_SWITCH_JMP) {
		unsigned dpl = (desc >> 45) & 3,
			 cpl = a->segments[VCPU_SREG_SS].dpl;
		unsigned rpl = tss_sel & 3;

		if (dpl < (cpl > rpl ? cpl : rpl)) {
			kvm_queue_exception(vcpu, GP_VECTOR, true,
					    tss_sel & 0xfffc);
			return 1;
		}
	}
	{
		struct kvm_segment nt;

		desc_to_segment(desc, tss_sel, &nt);
		if (nt.limit < (new32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
			goto ts_fault;
	}
	if (old_tr.unusable || (old_tr.type != 11 && old_tr.type != 9 &&
				old_tr.type != 3 && old_tr.type != 1)) {
		uint64_t d[2] = {tss_sel, old_tr.type};

		pr_err("vcpu %d: task switch from an invalid TR (type %u)",
		       vcpu->vcpu_id, old_tr.type);
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
					  d);
	}
	old32 = tss_is_32(old_tr.type);

	/* Save the outgoing task into its TSS, in that TSS's format. */
	eflags = (uint32_t)a->rflags;
	if (reason == TASK_SWITCH_IRET)
		eflags &= ~(1u << 14); /* NT */
	if (save_tss(vcpu, old_tr.base, old32, (uint32_t)next_eip, eflags))
		goto ts_fault;
	/* JMP and IRET leave the old task: its TSS is available again. */
	if ((reason == TASK_SWITCH_JMP || reason == TASK_SWITCH_IRET) &&
	    read_desc(vcpu, old_tr.selector, &old_desc, &old_desc_addr) == 0) {
		old_desc &= ~DESC_BUSY;
		kvm_write_linear(vcpu, old_desc_addr, &old_desc, 8);
	}

	/* Read the incoming task. */
	new_base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000ull);
	if (read_tss(vcpu, new_base, new32, &t))
		goto ts_fault;
	if (reason == TASK_SWITCH_CALL || reason == TASK_SWITCH_GATE) {
		uint32_t link = old_tr.selector;

		t.eflags |= 1u << 14; /* NT: nested */
		kvm_write_linear(vcpu, new_base + TSS_LINK, &link,
				 new32 ? 4 : 2);
	}
	if (reason != TASK_SWITCH_IRET) {
		desc |= DESC_BUSY;
		kvm_write_linear(vcpu, desc_addr, &desc, 8);
	}

	/* TR first: faults from here on belong to the new task. */
	desc_to_segment(desc | DESC_BUSY, tss_sel, &a->segments[VCPU_SREG_TR]);
	a->segments[VCPU_SREG_TR].type = new32 ? 11 : 3;
	if (new32 && (a->cr0 & X86_CR0_PG))
		kvm_set_cr3(vcpu, t.cr3); /* a 16-bit task keeps CR3 */
	a->rip = t.eip;
	a->rflags = (t.eflags & 0x3f7fd7u) | X86_EFLAGS_FIXED;
	for (int i = 0; i < 8; i++)
		a->regs[i] = t.regs[i];
	a->cr0 |= X86_CR0_TS;
	a->interruptibility = 0;
	if (a->rflags & X86_EFLAGS_VM) {
		uint64_t d[1] = {tss_sel};

		pr_err("vcpu %d: task switch into virtual-8086 mode is not "
		       "emulated",
		       vcpu->vcpu_id);
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 1,
					  d);
	}
	r = load_seg(vcpu, VCPU_SREG_LDTR, t.ldt);
	{
		/* A 16-bit TSS has no FS/GS: they keep their values. */
		static const int order[6] = {VCPU_SREG_ES, VCPU_SREG_CS,
					     VCPU_SREG_SS, VCPU_SREG_DS,
					     VCPU_SREG_FS, VCPU_SREG_GS};

		for (int i = 0; i < (new32 ? 6 : 4) && !r; i++)
			r = load_seg(vcpu, order[i], t.seg[i]);
	}
	if (r) {
		kvm_queue_exception(vcpu, r == -2 ? NP_VECTOR : TS_VECTOR, true,
				    0);
		return 1;
	}
	if (has_error) {
		/* An exception through a task gate pushes its error code on
		 * the new task's stack: a word for a 16-bit task. */
		const struct kvm_segment *ss = &a->segments[VCPU_SREG_SS];
		unsigned size = new32 ? 4 : 2;
		uint64_t rsp = a->regs[VCPU_REGS_RSP];
		uint32_t esp = (uint32_t)rsp - size;

		if (!ss->db)
			esp &= 0xffff;
		if (kvm_write_linear(vcpu, ss->base + esp, &error_code, size))
			goto ts_fault;
		a->regs[VCPU_REGS_RSP] =
		    ss->db ? esp : (rsp & ~0xffffull) | esp;
	}
	return 1;

ts_fault:
	kvm_queue_exception(vcpu, TS_VECTOR, true, tss_sel & 0xfffc);
	return 1;
}
