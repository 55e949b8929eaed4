// SPDX-License-Identifier: GPL-2.0
/*
 * IOAPIC emulation (arch/x86/kvm/ioapic.c plays this role): version 0x11,
 * 24 pins, edge and level triggering with remote IRR, re-delivery on the
 * LAPIC's EOI broadcast while a level line stays asserted.
 */
#include "kvm/x86/irq/ioapic.h"

#include <string.h>

#include "kvm/x86/irq/lapic.h"

/* Redirection entry bits (82093AA datasheet 3.2.4). */
#define RTE_VECTOR(e)  ((uint32_t)((e)&0xff))
#define RTE_DM(e)      ((uint32_t)(((e) >> 8) & 7))
#define RTE_DESTMODE   (1ull << 11)
#define RTE_DELIV      (1ull << 12)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL      (1ull << 15)
#define RTE_MASKED     (1ull << 16)
#define RTE_DEST(e)    ((uint32_t)((e) >> 56))
/* Bits the guest may write (delivery status, remote IRR are read-only). */
#define RTE_RW_MASK 0xff0000000001afffull

void kvm_ioapic_init(struct kvm_ioapic *ioapic)
{
	memset(ioapic, 0, sizeof(*ioapic));
	ioapic->s.base_address = IO_APIC_DEFAULT_PHYS_BASE;
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		ioapic->s.redirtbl[i].bits = RTE_MASKED;
}

/* Send pin's message if it may go now: 1 delivered, -1 masked/blocked. */
static int ioapic_service(struct kvm_irqchip_vm *chip, int pin)
{
	struct kvm_ioapic *io = &chip->ioapic;
	uint64_t e = io->s.redirtbl[pin].bits;
	struct kvm_lapic_irq irq;

	if ((e & RTE_MASKED) || ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR)))
		return -1;
	irq = (struct kvm_lapic_irq){
	    .vector = RTE_VECTOR(e),
	    .delivery_mode = RTE_DM(e),
	    .dest_mode = (e & RTE_DESTMODE) ? 1 : 0,
	    .level = true,
	    .trig_mode = (e & RTE_LEVEL) ? 1 : 0,
	    .dest_id = RTE_DEST(e),
	};
	if (e & RTE_LEVEL) {
		/* Set before delivery: the EOI may come back within it. */
		io->s.redirtbl[pin].bits |= RTE_REMOTE_IRR;
	} else {
		io->s.irr &= ~(1u << pin);
	}
	/* Nobody took it: no EOI will come, do not wedge the line. */
	if (kvm_irq_delivery_to_apic(chip, NULL, &irq) <= 0 && (e & RTE_LEVEL))
		io->s.redirtbl[pin].bits &= ~RTE_REMOTE_IRR;
	return 1;
}

int kvm_ioapic_set_irq(struct kvm_irqchip_vm *chip, int pin, int source,
		       bool level)
{
	struct kvm_ioapic *io = &chip->ioapic;
	uint32_t mask;
	uint64_t e;
	bool was;

	if (pin < 0 || pin >= KVM_IOAPIC_NUM_PINS)
		return -1;
	mask = 1u << pin;
	was = io->irq_states[pin] != 0;
	if (level)
		io->irq_states[pin] |= 1u << source;
	else
		io->irq_states[pin] &= ~(1u << source);
	level = io->irq_states[pin] != 0;
	e = io->s.redirtbl[pin].bits;
	if (!level) {
		io->s.irr &= ~mask;
		return 1;
	}
	io->s.irr |= mask;
	if (!(e & RTE_LEVEL)) {
		/* An edge: only a rising edge of the (wired-OR) line counts;
		 * masked edges are lost, as on the chip. */
		if (was)
			return 0;
		if (e & RTE_MASKED) {
			io->s.irr &= ~mask;
			return -1;
		}
	} else if (e & RTE_REMOTE_IRR) {
		return 0; /* still in service: coalesced until the EOI */
	}
	return ioapic_service(chip, pin);
}

void kvm_ioapic_eoi(struct kvm_irqchip_vm *chip, int vector, bool level)
{
	struct kvm_ioapic *io = &chip->ioapic;

	for (int pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++) {
		uint64_t e = io->s.redirtbl[pin].bits;

		if (RTE_VECTOR(e) != (uint32_t)vector)
			continue;
		if (pin == chip->pit_ioapic_pin)
			kvm_pit_ack_irq(chip);
		if (!level || !(e & RTE_LEVEL))
			continue;
		io->s.redirtbl[pin].bits &= ~RTE_REMOTE_IRR;
		if (!(e & RTE_MASKED) && (io->s.irr & (1u << pin)))
			ioapic_service(chip, pin);
	}
}

static uint32_t ioapic_read_indirect(struct kvm_ioapic *io)
{
	uint32_t sel = io->s.ioregsel;

	switch (sel) {
	case 0x00: /* ID */
	case 0x02: /* arbitration ID */
		return (io->s.id & 0xf) << 24;
	case 0x01: /* version, max redirection entry */
		return IOAPIC_VERSION_ID | ((KVM_IOAPIC_NUM_PINS - 1) << 16);
	default:
		if (sel >= 0x10 && sel < 0x10 + 2 * KVM_IOAPIC_NUM_PINS) {
			uint64_t e = io->s.redirtbl[(sel - 0x10) >> 1].bits;

			return (sel & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
		}
		return 0xffffffffu;
	}
}

static void ioapic_write_indirect(struct kvm_irqchip_vm *chip, uint32_t val)
{
	struct kvm_ioapic *io = &chip->ioapic;
	uint32_t sel = io->s.ioregsel;
	int pin;
	uint64_t e, ro;

	if (sel == 0x00) {
		io->s.id = (val >> 24) & 0xf;
		return;
	}
	if (sel < 0x10 || sel >= 0x10 + 2 * KVM_IOAPIC_NUM_PINS)
		return; /* version/arbitration are read-only */
	pin = (int)(sel - 0x10) >> 1;
	e = io->s.redirtbl[pin].bits;
	ro = e & (RTE_DELIV | RTE_REMOTE_IRR);
	if (sel & 1)
		e = (e & 0xffffffffull) | ((uint64_t)val << 32);
	else
		e = (e & ~0xffffffffull) | val;
	e = (e & RTE_RW_MASK) | ro;
	/* An edge entry has no remote IRR. */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	if (pin == chip->pit_ioapic_pin &&
	    ((io->s.redirtbl[pin].bits ^ e) & RTE_MASKED))
		kvm_pit_mask_changed(chip);
	io->s.redirtbl[pin].bits = e;
	/* Unmasking a level line that is still asserted delivers it. */
	if ((e & RTE_LEVEL) && !(e & RTE_MASKED) && !(e & RTE_REMOTE_IRR) &&
	    (io->s.irr & (1u << pin)))
		ioapic_service(chip, pin);
}

uint32_t kvm_ioapic_mmio_read(struct kvm_irqchip_vm *chip, uint64_t off)
{
	switch (off & ~3ull) {
	case IOAPIC_REG_SELECT:
		return chip->ioapic.s.ioregsel;
	case IOAPIC_REG_WINDOW:
		return ioapic_read_indirect(&chip->ioapic);
	default:
		return 0;
	}
}

void kvm_ioapic_mmio_write(struct kvm_irqchip_vm *chip, uint64_t off,
			   uint32_t val)
{
	switch (off & ~3ull) {
	case IOAPIC_REG_SELECT:
		chip->ioapic.s.ioregsel = val & 0xff;
		break;
	case IOAPIC_REG_WINDOW:
		ioapic_write_indirect(chip, val);
		break;
	default:
		break;
	}
}
