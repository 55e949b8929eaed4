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

int kvm_task_switch(struct kvm_vcpu *vcpu, uint16_t tss_sel, int reason,
		    bool has_error, uint32_t error_code, uint64_t next_eip)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_segment old_tr = a->segments[VCPU_SREG_TR];
	uint64_t desc, desc_addr, old_desc, old_desc_addr;
	uint32_t t[26], eflags;
	unsigned type;
	int r;

	if ((tss_sel & 4) || read_desc(vcpu, tss_sel, &desc, &desc_addr))
		goto ts_fault;
	type = DESC_TYPE(desc);
	if ((desc >> 44) & 1)
		goto ts_fault;
	if (type == 1 || type == 3) {
		uint64_t d[2] = {tss_sel, (uint64_t)reason};

		pr_err("vcpu %d: task switch to a 16-bit TSS is not emulated",
		       vcpu->vcpu_id);
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
					  d);
	}
	if (type != 9 && type != 11)
		goto ts_fault;
	/* IRET returns to a busy task; CALL/JMP/gates need an available one. */
	if ((reason == TASK_SWITCH_IRET) != (type == 11)) {
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
		if (nt.limit < TSS32_MIN_LIMIT)
			goto ts_fault;
	}
	if (old_tr.unusable || (old_tr.type != 11 && old_tr.type != 9)) {
		uint64_t d[2] = {tss_sel, old_tr.type};

		pr_err("vcpu %d: task switch from a 16-bit or invalid TSS is "
		       "not emulated",
		       vcpu->vcpu_id);
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
					  d);
	}

	/* Save the outgoing task into its TSS. */
	eflags = (uint32_t)a->rflags;
	if (reason == TASK_SWITCH_IRET)
		eflags &= ~(1u << 14); /* NT */
	{
		uint32_t save[18];

		save[0] = (uint32_t)next_eip;
		save[1] = eflags;
		for (int i = 0; i < 8; i++)
			save[2 + i] = (uint32_t)a->regs[i];
		save[10] = a->segments[VCPU_SREG_ES].selector;
		save[11] = a->segments[VCPU_SREG_CS].selector;
		save[12] = a->segments[VCPU_SREG_SS].selector;
		save[13] = a->segments[VCPU_SREG_DS].selector;
		save[14] = a->segments[VCPU_SREG_FS].selector;
		save[15] = a->segments[VCPU_SREG_GS].selector;
		if (kvm_write_linear(vcpu, old_tr.base + TSS_EIP, save, 16 * 4))
			goto ts_fault;
	}
	/* JMP and IRET leave the old task: its TSS is available again. */
	if ((reason == TASK_SWITCH_JMP || reason == TASK_SWITCH_IRET) &&
	    read_desc(vcpu, old_tr.selector, &old_desc, &old_desc_addr) == 0) {
		old_desc &= ~DESC_BUSY;
		kvm_write_linear(vcpu, old_desc_addr, &old_desc, 8);
	}

	/* Read the incoming task. */
	uint64_t new_base =
	    ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000ull);

	if (kvm_read_linear(vcpu, new_base, t, 0x68))
		goto ts_fault;
	if (reason == TASK_SWITCH_CALL || reason == TASK_SWITCH_GATE) {
		uint32_t link = old_tr.selector;

		t[TSS_EFLAGS / 4] |= 1u << 14; /* NT: nested */
		kvm_write_linear(vcpu, new_base + TSS_LINK, &link, 4);
	}
	if (reason != TASK_SWITCH_IRET) {
		desc |= DESC_BUSY;
		kvm_write_linear(vcpu, desc_addr, &desc, 8);
	}

	/* TR first: faults from here on belong to the new task. */
	desc_to_segment(desc | DESC_BUSY, tss_sel, &a->segments[VCPU_SREG_TR]);
	a->segments[VCPU_SREG_TR].type = 11;
	if (a->cr0 & X86_CR0_PG)
		kvm_set_cr3(vcpu, t[TSS_CR3 / 4]);
	a->rip = t[TSS_EIP / 4];
	a->rflags = (t[TSS_EFLAGS / 4] & 0x3f7fd7u) | X86_EFLAGS_FIXED;
	for (int i = 0; i < 8; i++)
		a->regs[i] = t[TSS_EAX / 4 + i];
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
	r = load_seg(vcpu, VCPU_SREG_LDTR, (uint16_t)t[TSS_LDT / 4]);
	{
		static const int order[6] = {VCPU_SREG_ES, VCPU_SREG_CS,
					     VCPU_SREG_SS, VCPU_SREG_DS,
					     VCPU_SREG_FS, VCPU_SREG_GS};

		for (int i = 0; i < 6 && !r; i++)
			r = load_seg(vcpu, order[i],
				     (uint16_t)t[TSS_ES / 4 + i]);
	}
	if (r) {
		kvm_queue_exception(vcpu, r == -2 ? NP_VECTOR : TS_VECTOR, true,
				    0);
		return 1;
	}
	if (has_error) {
		/* An exception through a task gate pushes its error code on
		 * the new task's stack. */
		const struct kvm_segment *ss = &a->segments[VCPU_SREG_SS];
		uint32_t esp = (uint32_t)a->regs[VCPU_REGS_RSP] - 4;

		if (!ss->db)
			esp &= 0xffff;
		if (kvm_write_linear(vcpu, ss->base + esp, &error_code, 4))
			goto ts_fault;
		a->regs[VCPU_REGS_RSP] = esp;
	}
	return 1;

ts_fault:
	kvm_queue_exception(vcpu, TS_VECTOR, true, tss_sel & 0xfffc);
	return 1;
}
