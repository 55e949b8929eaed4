// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A PIC pair of a PC (arch/x86/kvm/i8259.c plays this role):
 * master at 0x20/0x21, slave at 0xa0/0xa1 cascaded on master IR2, the
 * PIIX ELCR at 0x4d0/0x4d1. State is struct kvm_pic_state itself, so
 * KVM_GET/SET_IRQCHIP copy it as is. Everything runs under chip->lock.
 */
#include <string.h>

#include "kvm/x86/irq/irq.h"
#include "kvm/x86/irq/lapic.h"

void kvm_pic_reset(struct kvm_pic_state *s)
{
	/* What ICW1 resets: mask, ISR, priority, the edge memory and the
	 * OCW3 choices. Level-triggered lines stay requested. */
	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = 0;
	s->isr = 0;
	s->priority_add = 0;
	s->read_reg_select = 0;
	s->poll = 0;
	s->special_mask = 0;
	s->init_state = 0;
	s->auto_eoi = 0;
	s->rotate_on_auto_eoi = 0;
	s->special_fully_nested_mode = 0;
	s->init4 = 0;
}

void kvm_pic_init(struct kvm_pic *pic)
{
	memset(pic, 0, sizeof(*pic));
	/* IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge on PIIX. */
	pic->pics[0].elcr_mask = 0xf8;
	pic->pics[1].elcr_mask = 0xde;
	kvm_pic_reset(&pic->pics[0]);
	kvm_pic_reset(&pic->pics[1]);
}

/* Priority (0 highest) of the best bit of @mask, 8 if none. */
static int get_priority(const struct kvm_pic_state *s, uint8_t mask)
{
	int p = 0;

	if (!mask)
		return 8;
	while (!(mask & (1u << ((p + s->priority_add) & 7))))
		p++;
	return p;
}

/* The IR line this 8259 would raise INT for now, -1 if none. */
static int pic_get_irq(const struct kvm_pic_state *s, bool master)
{
	uint8_t mask = s->irr & ~s->imr, in_service;
	int p = get_priority(s, mask), cur;

	if (p == 8)
		return -1;
	in_service = s->isr;
	/* Special fully nested: the slave may interrupt its own service. */
	if (master && s->special_fully_nested_mode)
		in_service &= (uint8_t) ~(1u << 2);
	/* Special mask: masked levels do not block lower priorities. */
	if (s->special_mask)
		in_service &= (uint8_t)~s->imr;
	cur = get_priority(s, in_service);
	if (p < cur)
		return (p + s->priority_add) & 7;
	return -1;
}

/* Edge/level input of one 8259: 1 newly requested, 0 coalesced with a
 * pending request, -1 masked. */
static int pic_set_irq1(struct kvm_pic_state *s, int irq, bool level)
{
	uint8_t mask = (uint8_t)(1u << irq);
	int ret = 1;

	if (s->elcr & mask) {
		if (level) {
			ret = !(s->irr & mask);
			s->irr |= mask;
			s->last_irr |= mask;
		} else {
			s->irr &= (uint8_t)~mask;
			s->last_irr &= (uint8_t)~mask;
		}
	} else {
		if (level) {
			if (!(s->last_irr & mask)) {
				ret = !(s->irr & mask);
				s->irr |= mask;
			} else {
				ret = 0;
			}
			s->last_irr |= mask;
		} else {
			s->last_irr &= (uint8_t)~mask;
		}
	}
	return (s->imr & mask) ? -1 : ret;
}

void kvm_pic_update_irq(struct kvm_irqchip_vm *chip)
{
	struct kvm_pic *pic = &chip->pic;
	bool was = pic->output;

	/* The slave's INT is the master's IR2 line (edge on PIIX). */
	if (pic_get_irq(&pic->pics[1], false) >= 0) {
		pic_set_irq1(&pic->pics[0], 2, true);
		pic_set_irq1(&pic->pics[0], 2, false);
	} else {
		/* The slave's INT went away before INTA: no cascade request
		 * (avoids a stale IR2 becoming a spurious IRQ 15). */
		pic->pics[0].irr &= (uint8_t) ~(1u << 2);
	}
	pic->output = pic_get_irq(&pic->pics[0], true) >= 0;
	if (pic->output && !was)
		kvm_apic_pic_output_raised(chip);
}

int kvm_pic_set_irq(struct kvm_irqchip_vm *chip, int irq, int source,
		    bool level)
{
	struct kvm_pic *pic = &chip->pic;
	uint32_t *st;
	int ret;

	if (irq < 0 || irq >= 16)
		return -1;
	/* Several sources share a line: it is the OR of them. */
	st = &pic->irq_states[irq];
	if (level)
		*st |= 1u << source;
	else
		*st &= ~(1u << source);
	ret = pic_set_irq1(&pic->pics[irq >> 3], irq & 7, *st != 0);
	kvm_pic_update_irq(chip);
	return ret;
}

/* INTA for @irq: ISR (unless auto-EOI), and an edge request is consumed. */
static void pic_intack(struct kvm_pic_state *s, int irq)
{
	uint8_t mask = (uint8_t)(1u << irq);

	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (uint8_t)((irq + 1) & 7);
	} else {
		s->isr |= mask;
	}
	if (!(s->elcr & mask))
		s->irr &= (uint8_t)~mask;
}

int kvm_pic_read_irq(struct kvm_irqchip_vm *chip)
{
	struct kvm_pic *pic = &chip->pic;
	int irq = pic_get_irq(&pic->pics[0], true), irq2, vec;

	if (irq >= 0) {
		pic_intack(&pic->pics[0], irq);
		if (irq == 2) {
			irq2 = pic_get_irq(&pic->pics[1], false);
			if (irq2 >= 0)
				pic_intack(&pic->pics[1], irq2);
			else
				irq2 = 7; /* spurious IRQ 15 */
			vec = pic->pics[1].irq_base + irq2;
		} else {
			vec = pic->pics[0].irq_base + irq;
		}
	} else {
		/* The request went away between INT and INTA: IRQ 7. */
		vec = pic->pics[0].irq_base + 7;
	}
	kvm_pic_update_irq(chip);
	if (irq == 0)
		kvm_pit_ack_irq(chip); /* the PIT may owe another tick */
	return vec & 0xff;
}

/* OCW3 poll mode: the read is the INTA. */
static uint8_t pic_poll_read(struct kvm_irqchip_vm *chip, int which)
{
	struct kvm_pic_state *s = &chip->pic.pics[which];
	int irq = pic_get_irq(s, which == 0);

	if (irq < 0)
		return 0;
	if (which == 1) {
		chip->pic.pics[0].isr &= (uint8_t) ~(1u << 2);
		chip->pic.pics[0].irr &= (uint8_t) ~(1u << 2);
	}
	pic_intack(s, irq);
	kvm_pic_update_irq(chip);
	if (which == 0 && irq == 0)
		kvm_pit_ack_irq(chip);
	return (uint8_t)(0x80 | irq);
}

static void pic_eoi_irq(struct kvm_irqchip_vm *chip, struct kvm_pic_state *s,
			int irq, bool rotate)
{
	s->isr &= (uint8_t) ~(1u << irq);
	if (rotate)
		s->priority_add = (uint8_t)((irq + 1) & 7);
	kvm_pic_update_irq(chip);
}

static void pic_write_cmd(struct kvm_irqchip_vm *chip, int which, uint8_t val)
{
	struct kvm_pic_state *s = &chip->pic.pics[which];

	if (val & 0x10) { /* ICW1 */
		uint8_t init4 = val & 1;

		kvm_pic_reset(s);
		s->init4 = init4;
		s->init_state = 1;
		/* Single mode (bit 1) and level mode (bit 3) are not
		 * emulated, as in KVM: a PC's PICs are cascaded, edge+ELCR. */
		kvm_pic_update_irq(chip);
		return;
	}
	if (val & 0x08) { /* OCW3 */
		if (val & 0x04)
			s->poll = 1;
		if (val & 0x02)
			s->read_reg_select = val & 1;
		if (val & 0x40)
			s->special_mask = (val >> 5) & 1;
		kvm_pic_update_irq(chip);
		return;
	}
	/* OCW2 */
	switch (val >> 5) {
	case 0: /* rotate in auto-EOI mode: clear */
	case 4: /* rotate in auto-EOI mode: set */
		s->rotate_on_auto_eoi = (uint8_t)(val >> 7);
		break;
	case 1:	  /* non-specific EOI */
	case 5: { /* rotate on non-specific EOI */
		int p = get_priority(s, s->isr);

		if (p != 8)
			pic_eoi_irq(chip, s, (p + s->priority_add) & 7,
				    (val >> 5) == 5);
		break;
	}
	case 3: /* specific EOI */
		pic_eoi_irq(chip, s, val & 7, false);
		break;
	case 6: /* set priority: IR(val&7) becomes the lowest */
		s->priority_add = (uint8_t)((val + 1) & 7);
		kvm_pic_update_irq(chip);
		break;
	case 7: /* rotate on specific EOI */
		pic_eoi_irq(chip, s, val & 7, true);
		break;
	default: /* 2: no operation */
		break;
	}
}

static void pic_write_data(struct kvm_irqchip_vm *chip, int which, uint8_t val)
{
	struct kvm_pic_state *s = &chip->pic.pics[which];

	switch (s->init_state) {
	case 0: /* OCW1 */
		if (which == 0 && ((s->imr ^ val) & 1))
			kvm_pit_mask_changed(chip);
		s->imr = val;
		kvm_pic_update_irq(chip);
		break;
	case 1: /* ICW2: vector base */
		s->irq_base = val & 0xf8;
		s->init_state = 2;
		break;
	case 2: /* ICW3: cascade wiring, fixed on a PC */
		s->init_state = s->init4 ? 3 : 0;
		break;
	case 3: /* ICW4 */
		s->special_fully_nested_mode = (val >> 4) & 1;
		s->auto_eoi = (val >> 1) & 1;
		s->init_state = 0;
		break;
	}
}

bool kvm_pic_pio(struct kvm_irqchip_vm *chip, uint16_t port, bool in,
		 uint8_t *val)
{
	int which;

	switch (port) {
	case 0x20:
	case 0x21:
		which = 0;
		break;
	case 0xa0:
	case 0xa1:
		which = 1;
		break;
	case 0x4d0:
	case 0x4d1: {
		struct kvm_pic_state *s = &chip->pic.pics[port & 1];

		if (in) {
			*val = s->elcr;
		} else {
			s->elcr = *val & s->elcr_mask;
			kvm_pic_update_irq(chip);
		}
		return true;
	}
	default:
		return false;
	}

	struct kvm_pic_state *s = &chip->pic.pics[which];

	if (!in) {
		if (port & 1)
			pic_write_data(chip, which, *val);
		else
			pic_write_cmd(chip, which, *val);
		return true;
	}
	if (s->poll) {
		s->poll = 0;
		*val = pic_poll_read(chip, which);
	} else if (port & 1) {
		*val = s->imr;
	} else {
		*val = s->read_reg_select ? s->isr : s->irr;
	}
	return true;
}
