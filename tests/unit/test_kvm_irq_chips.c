// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip's device models on their own, with an injected
 * clock (no real time, no vCPU threads): PIC init sequence, IRR/ISR/EOI,
 * priorities, spurious IRQ 7, ELCR level lines, cascade; IOAPIC edge,
 * level, remote IRR and EOI re-delivery; LAPIC TPR/PPR, EOI, ICR fixed /
 * logical / lowest-priority / INIT / SIPI, timer one-shot, periodic and
 * TSC-deadline; PIT modes 0, 2 and 3 and the read-back command.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <x86/msr-index.h>
#include <x86/processor-flags.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/irq/ioapic.h"
#include "kvm/x86/irq/irq.h"
#include "kvm/x86/irq/lapic.h"

static uint64_t fake_now;
static uint64_t fake_tsc;

static uint64_t clock_fake(void)
{
	return fake_now;
}

static uint64_t tsc_fake(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return fake_tsc;
}

struct rig {
	struct kvm *kvm;
	struct kvm_vcpu *vcpu[4];
	struct kvm_irqchip_vm *chip;
	int n;
};

static struct rig *rig_new(int n)
{
	struct rig *r = calloc(1, sizeof(*r));

	kvm_irq_clock_ns = clock_fake;
	kvm_irq_guest_tsc = tsc_fake;
	fake_now = 1000000000ull;
	fake_tsc = 5000000000ull;
	r->kvm = calloc(1, sizeof(*r->kvm));
	r->n = n;
	for (int i = 0; i < n; i++) {
		r->vcpu[i] = calloc(1, sizeof(struct kvm_vcpu));
		r->vcpu[i]->kvm = r->kvm;
		r->vcpu[i]->vcpu_id = i;
		r->vcpu[i]->vcpu_idx = i;
		r->vcpu[i]->cpu = -1; /* nothing to kick */
		r->vcpu[i]->arch.rflags = 0x202;
		r->vcpu[i]->arch.pending_irq = -1;
		r->kvm->vcpus[i] = r->vcpu[i];
	}
	atomic_store(&r->kvm->online_vcpus, n);
	r->chip = kvm_irqchip_create(r->kvm);
	assert_non_null(r->chip);
	assert_ptr_equal(kvm_irqchip(r->kvm), r->chip);
	return r;
}

static void rig_free(struct rig *r)
{
	kvm_irqchip_free(r->chip);
	assert_null(kvm_irqchip(r->kvm));
	for (int i = 0; i < r->n; i++)
		free(r->vcpu[i]);
	free(r->kvm);
	free(r);
}

static struct kvm_lapic *lapic(struct rig *r, int i)
{
	bool dummy = kvm_cpu_has_interrupt(r->chip, r->vcpu[i]);

	(void)dummy; /* creates the LAPIC */
	return r->chip->lapic[i];
}

static void outb(struct rig *r, uint16_t port, uint8_t v)
{
	assert_true(kvm_pic_pio(r->chip, port, false, &v) ||
		    kvm_pit_pio(r->chip, port, false, &v, fake_now));
}

static uint8_t inb(struct rig *r, uint16_t port)
{
	uint8_t v = 0;

	assert_true(kvm_pic_pio(r->chip, port, true, &v) ||
		    kvm_pit_pio(r->chip, port, true, &v, fake_now));
	return v;
}

/* The BIOS/Linux sequence: master at 0x20, slave at 0x28, 8086 mode. */
static void pic_init(struct rig *r, uint8_t mask_master, uint8_t mask_slave)
{
	outb(r, 0x20, 0x11);
	outb(r, 0x21, 0x20);
	outb(r, 0x21, 0x04);
	outb(r, 0x21, 0x01);
	outb(r, 0xa0, 0x11);
	outb(r, 0xa1, 0x28);
	outb(r, 0xa1, 0x02);
	outb(r, 0xa1, 0x01);
	outb(r, 0x21, mask_master);
	outb(r, 0xa1, mask_slave);
}

/* ---- PIC ---------------------------------------------------------------- */

static void test_pic_init_and_ack(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_vcpu *v = r->vcpu[0];

	(void)state;
	pic_init(r, 0xfa, 0xff); /* IRQ 0 and the cascade open */
	assert_int_equal(r->chip->pic.pics[0].irq_base, 0x20);
	assert_int_equal(r->chip->pic.pics[1].irq_base, 0x28);
	assert_int_equal(inb(r, 0x21), 0xfa);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));

	/* Edge on IRQ 0: IRR, then INTA moves it to ISR. */
	assert_int_equal(kvm_set_irq(r->chip, 0, 0, true), 1);
	outb(r, 0x20, 0x0a); /* OCW3: read IRR */
	assert_int_equal(inb(r, 0x20), 0x01);
	assert_true(kvm_cpu_has_interrupt(r->chip, v));
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x20);
	outb(r, 0x20, 0x0b); /* OCW3: read ISR */
	assert_int_equal(inb(r, 0x20), 0x01);
	outb(r, 0x20, 0x0a);
	assert_int_equal(inb(r, 0x20), 0x00);
	/* The line is still high: no new edge, nothing pending. */
	assert_int_equal(kvm_set_irq(r->chip, 0, 0, true), 0);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));
	/* Non-specific EOI clears ISR. */
	outb(r, 0x20, 0x20);
	outb(r, 0x20, 0x0b);
	assert_int_equal(inb(r, 0x20), 0x00);
	/* A masked line: -1 (masked), stays out of the way. */
	assert_int_equal(kvm_set_irq(r->chip, 0, 3, true), -1);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));
	rig_free(r);
}

static void test_pic_priorities_and_cascade(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_vcpu *v = r->vcpu[0];

	(void)state;
	pic_init(r, 0x00, 0x00);
	kvm_set_irq(r->chip, 0, 5, true);
	kvm_set_irq(r->chip, 0, 3, true);
	kvm_set_irq(r->chip, 0, 12, true); /* slave IR4 via master IR2 */
	/* IR2 (the cascade) has the highest priority of the three. */
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x28 + 4);
	/* IR3 and IR5 are lower than the IR2 in service: nothing. */
	assert_false(kvm_cpu_has_interrupt(r->chip, v));
	outb(r, 0xa0, 0x20); /* EOI slave */
	outb(r, 0x20, 0x20); /* EOI master (IR2) */
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x23);
	/* Specific EOI for IR3. */
	outb(r, 0x20, 0x63);
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x25);
	outb(r, 0x20, 0x20);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));

	/* Rotation: set priority so IR5 is lowest, IR6 highest. */
	kvm_set_irq(r->chip, 0, 3, false);
	kvm_set_irq(r->chip, 0, 5, false);
	outb(r, 0x20, 0xc5);
	kvm_set_irq(r->chip, 0, 4, true);
	kvm_set_irq(r->chip, 0, 6, true);
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x26);
	rig_free(r);
}

static void test_pic_spurious_and_auto_eoi(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_vcpu *v = r->vcpu[0];

	(void)state;
	pic_init(r, 0x00, 0x00);
	/* INT seen, then the request vanished before INTA: IRQ 7. */
	assert_int_equal(kvm_pic_read_irq(r->chip), 0x27);
	outb(r, 0x20, 0x0b);
	assert_int_equal(inb(r, 0x20), 0x00); /* spurious: no ISR bit */
	/* Auto-EOI (ICW4 bit 1): no ISR after INTA. */
	outb(r, 0x20, 0x11);
	outb(r, 0x21, 0x20);
	outb(r, 0x21, 0x04);
	outb(r, 0x21, 0x03);
	kvm_set_irq(r->chip, 0, 1, true);
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x21);
	outb(r, 0x20, 0x0b);
	assert_int_equal(inb(r, 0x20), 0x00);
	/* Poll mode: the read is the acknowledge. */
	kvm_set_irq(r->chip, 0, 1, false);
	kvm_set_irq(r->chip, 0, 1, true);
	outb(r, 0x20, 0x0c);
	assert_int_equal(inb(r, 0x20), 0x81);
	rig_free(r);
}

static void test_pic_elcr_level(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_vcpu *v = r->vcpu[0];

	(void)state;
	pic_init(r, 0x00, 0x00);
	outb(r, 0x4d1, 0xff); /* slave: all level but the fixed edge ones */
	assert_int_equal(inb(r, 0x4d1), 0xde);
	outb(r, 0x4d0, 0x07);
	assert_int_equal(inb(r, 0x4d0), 0x00);
	kvm_set_irq(r->chip, 0, 10, true);
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x2a);
	outb(r, 0xa0, 0x20);
	outb(r, 0x20, 0x20);
	/* Still asserted: requested again after the EOI. */
	assert_true(kvm_cpu_has_interrupt(r->chip, v));
	kvm_set_irq(r->chip, 0, 10, false);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));
	/* Two sources on one line: the OR of both. */
	kvm_set_irq(r->chip, 0, 10, true);
	kvm_set_irq(r->chip, 1, 10, true);
	kvm_set_irq(r->chip, 0, 10, false);
	assert_true(kvm_cpu_has_interrupt(r->chip, v));
	kvm_set_irq(r->chip, 1, 10, false);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));
	rig_free(r);
}

/* ---- IOAPIC ------------------------------------------------------------- */

static void ioapic_write(struct rig *r, uint32_t reg, uint32_t v)
{
	kvm_ioapic_mmio_write(r->chip, 0x00, reg);
	kvm_ioapic_mmio_write(r->chip, 0x10, v);
}

static uint32_t ioapic_read(struct rig *r, uint32_t reg)
{
	kvm_ioapic_mmio_write(r->chip, 0x00, reg);
	return kvm_ioapic_mmio_read(r->chip, 0x10);
}

static void apic_enable(struct kvm_lapic *a)
{
	kvm_lapic_reg_write(a, APIC_SPIV, 0x1ff);
	kvm_lapic_reg_write(a, APIC_LVT0, APIC_LVT_MASKED); /* no ExtINT */
}

static void test_ioapic_edge_level(void **state)
{
	struct rig *r = rig_new(2);
	struct kvm_lapic *a0 = lapic(r, 0), *a1 = lapic(r, 1);

	(void)state;
	apic_enable(a0);
	apic_enable(a1);
	pic_init(r, 0xff, 0xff); /* GSIs 0-15 also reach the PIC: mask it */
	assert_int_equal(ioapic_read(r, 1), 0x170011);
	/* Pin 4: edge, vector 0x34, physical dest 1. */
	ioapic_write(r, 0x10 + 8, 0x34);
	ioapic_write(r, 0x10 + 9, 1u << 24);
	assert_int_equal(ioapic_read(r, 0x10 + 9), 1u << 24);
	assert_int_equal(kvm_set_irq(r->chip, 0, 4, true), 1);
	assert_int_equal(kvm_apic_has_interrupt(a1), 0x34);
	assert_int_equal(kvm_apic_has_interrupt(a0), -1);
	assert_int_equal(kvm_apic_get_interrupt(a1), 0x34);
	kvm_lapic_reg_write(a1, APIC_EOI, 0);
	/* Held high: an edge needs a new rising edge. */
	assert_int_equal(kvm_set_irq(r->chip, 0, 4, true), 0);
	assert_int_equal(kvm_apic_has_interrupt(a1), -1);
	kvm_set_irq(r->chip, 0, 4, false);

	/* Pin 9: level, vector 0x49, dest 0. */
	ioapic_write(r, 0x10 + 18, 0x49 | (1u << 15));
	ioapic_write(r, 0x10 + 19, 0);
	assert_int_equal(kvm_set_irq(r->chip, 0, 9, true), 1);
	assert_true(ioapic_read(r, 0x10 + 18) & (1u << 14)); /* remote IRR */
	assert_int_equal(kvm_apic_get_interrupt(a0), 0x49);
	/* Another assertion while in service: coalesced. */
	assert_int_equal(kvm_set_irq(r->chip, 0, 9, true), 0);
	/* EOI with the line still high: remote IRR cleared, delivered again. */
	kvm_lapic_reg_write(a0, APIC_EOI, 0);
	assert_int_equal(kvm_apic_has_interrupt(a0), 0x49);
	assert_true(ioapic_read(r, 0x10 + 18) & (1u << 14));
	kvm_set_irq(r->chip, 0, 9, false);
	assert_int_equal(kvm_apic_get_interrupt(a0), 0x49);
	kvm_lapic_reg_write(a0, APIC_EOI, 0);
	assert_false(ioapic_read(r, 0x10 + 18) & (1u << 14));
	assert_int_equal(kvm_apic_has_interrupt(a0), -1);
	/* Masked: nothing, and unmasking a still-high level line delivers. */
	ioapic_write(r, 0x10 + 18, 0x49 | (1u << 15) | (1u << 16));
	assert_int_equal(kvm_set_irq(r->chip, 0, 9, true), -1);
	assert_int_equal(kvm_apic_has_interrupt(a0), -1);
	ioapic_write(r, 0x10 + 18, 0x49 | (1u << 15));
	assert_int_equal(kvm_apic_has_interrupt(a0), 0x49);
	rig_free(r);
}

static void test_msi_and_routing(void **state)
{
	struct rig *r = rig_new(2);
	struct kvm_lapic *a1 = lapic(r, 1);
	struct kvm_msi m = {.address_lo = 0xfee01000, .data = 0x61};
	struct kvm_irq_routing_entry e = {.gsi = 40,
					  .type = KVM_IRQ_ROUTING_MSI};

	(void)state;
	apic_enable(lapic(r, 0));
	apic_enable(a1);
	assert_int_equal(kvm_set_msi(r->chip, &m), 1);
	assert_int_equal(kvm_apic_get_interrupt(a1), 0x61);
	e.u.msi.address_lo = 0xfee01000;
	e.u.msi.data = 0x62;
	assert_int_equal(kvm_set_routing(r->chip, &e, 1), 0);
	assert_int_equal(kvm_set_irq(r->chip, 0, 40, true), 1);
	assert_int_equal(kvm_apic_has_interrupt(a1), -1); /* below PPR */
	kvm_lapic_reg_write(a1, APIC_EOI, 0);
	assert_int_equal(kvm_apic_get_interrupt(a1), 0x62);
	/* Bad routes are refused whole. */
	e.type = KVM_IRQ_ROUTING_IRQCHIP;
	e.u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	e.u.irqchip.pin = 24;
	assert_int_equal(kvm_set_routing(r->chip, &e, 1), -EINVAL);
	rig_free(r);
}

/* ---- LAPIC -------------------------------------------------------------- */

static void fixed(struct kvm_lapic *a, unsigned vec)
{
	struct kvm_lapic_irq irq = {.vector = vec};

	assert_int_equal(kvm_apic_set_irq(a, &irq), 1);
}

static void test_lapic_priorities(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_lapic *a = lapic(r, 0);

	(void)state;
	assert_int_equal(kvm_lapic_reg_read(a, APIC_LVR), 0x50014);
	/* Software-disabled at reset: fixed interrupts are refused. */
	struct kvm_lapic_irq irq = {.vector = 0x40};

	assert_int_equal(kvm_apic_set_irq(a, &irq), 0);
	apic_enable(a);
	fixed(a, 0x40);
	fixed(a, 0x81);
	kvm_lapic_reg_write(a, APIC_TASKPRI, 0x90);
	assert_int_equal(kvm_lapic_reg_read(a, APIC_PROCPRI), 0x90);
	assert_int_equal(kvm_apic_has_interrupt(a), -1); /* 0x81 <= 0x9x */
	kvm_lapic_reg_write(a, APIC_TASKPRI, 0x70);
	assert_int_equal(r->vcpu[0]->arch.cr8, 7);
	assert_int_equal(kvm_apic_get_interrupt(a), 0x81);
	/* In service 0x81: PPR 0x80, so 0x40 waits. */
	assert_int_equal(kvm_lapic_reg_read(a, APIC_PROCPRI), 0x80);
	assert_int_equal(kvm_apic_has_interrupt(a), -1);
	fixed(a, 0x95);
	assert_int_equal(kvm_apic_get_interrupt(a), 0x95); /* nests */
	kvm_lapic_reg_write(a, APIC_EOI, 0);		   /* ends 0x95 */
	assert_true(kvm_lapic_reg_read(a, APIC_ISR + 0x40) & (1u << 1));
	kvm_lapic_reg_write(a, APIC_EOI, 0); /* ends 0x81 */
	kvm_lapic_reg_write(a, APIC_TASKPRI, 0);
	assert_int_equal(kvm_apic_get_interrupt(a), 0x40);
	rig_free(r);
}

static void test_lapic_ipis(void **state)
{
	struct rig *r = rig_new(3);
	struct kvm_lapic *a0 = lapic(r, 0), *a1 = lapic(r, 1),
			 *a2 = lapic(r, 2);

	(void)state;
	apic_enable(a0);
	apic_enable(a1);
	apic_enable(a2);
	assert_int_equal(a1->mp_state, KVM_MP_STATE_UNINITIALIZED);
	/* Fixed, physical, to APIC ID 2. */
	kvm_lapic_reg_write(a0, APIC_ICR2, 2u << 24);
	kvm_lapic_reg_write(a0, APIC_ICR, 0x4050);
	assert_int_equal(kvm_apic_has_interrupt(a2), 0x50);
	assert_int_equal(kvm_apic_has_interrupt(a1), -1);
	assert_false(kvm_lapic_reg_read(a0, APIC_ICR) & APIC_ICR_BUSY);
	/* Logical flat: LDR bits 1 and 2 on APICs 1 and 2. */
	kvm_lapic_reg_write(a1, APIC_LDR, 0x02u << 24);
	kvm_lapic_reg_write(a2, APIC_LDR, 0x04u << 24);
	kvm_lapic_reg_write(a0, APIC_ICR2, 0x06u << 24);
	kvm_lapic_reg_write(a0, APIC_ICR, 0x4851);
	assert_int_equal(kvm_apic_has_interrupt(a1), 0x51);
	assert_int_equal(kvm_apic_has_interrupt(a2), 0x51);
	/* Lowest priority to both: the one with the lower TPR takes it. */
	kvm_lapic_reg_write(a1, APIC_TASKPRI, 0x20);
	kvm_lapic_reg_write(a0, APIC_ICR, 0x4952);
	assert_true(kvm_lapic_get_reg(a2, APIC_IRR + 0x20) & (1u << 18));
	assert_false(kvm_lapic_get_reg(a1, APIC_IRR + 0x20) & (1u << 18));
	/* Shorthand all-but-self. */
	kvm_lapic_reg_write(a0, APIC_ICR, 0xc4053);
	assert_false(kvm_lapic_get_reg(a0, APIC_IRR + 0x20) & (1u << 19));
	assert_true(kvm_lapic_get_reg(a1, APIC_IRR + 0x20) & (1u << 19));
	/* INIT then SIPI vector 0x9a to APIC 1. */
	kvm_lapic_reg_write(a0, APIC_ICR2, 1u << 24);
	kvm_lapic_reg_write(a0, APIC_ICR, 0x4500);
	assert_true(a1->pending_init);
	assert_false(a2->pending_init);
	kvm_lapic_reg_write(a0, APIC_ICR, 0x469a);
	assert_true(a1->pending_sipi);
	assert_int_equal(a1->sipi_vector, 0x9a);
	/* INIT level de-assert does nothing. */
	a2->pending_init = false;
	kvm_lapic_reg_write(a0, APIC_ICR2, 2u << 24);
	kvm_lapic_reg_write(a0, APIC_ICR, 0x8500);
	assert_false(a2->pending_init);
	/* NMI. */
	kvm_lapic_reg_write(a0, APIC_ICR, 0x4400);
	assert_int_equal(a2->nmi_pending, 1);
	rig_free(r);
}

static void test_x2apic(void **state)
{
	struct rig *r = rig_new(2);
	struct kvm_lapic *a0 = lapic(r, 0), *a1 = lapic(r, 1);
	uint64_t v;

	(void)state;
	/* x2APIC MSRs #GP in xAPIC mode. */
	assert_int_equal(kvm_x2apic_msr_read(a0, 0x802, &v), -1);
	/* EXTD without EN is invalid. */
	assert_int_equal(kvm_lapic_set_base(
			     a0, APIC_DEFAULT_PHYS_BASE | X2APIC_ENABLE, false),
			 -1);
	assert_int_equal(kvm_lapic_set_base(
			     a0,
			     APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
				 X2APIC_ENABLE | MSR_IA32_APICBASE_BSP,
			     false),
			 0);
	kvm_lapic_set_base(a1,
			   APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			       X2APIC_ENABLE,
			   false);
	assert_int_equal(kvm_x2apic_msr_read(a1, 0x802, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(kvm_x2apic_msr_read(a1, 0x80d, &v), 0);
	assert_int_equal(v, 0x2); /* LDR: cluster 0, bit 1 */
	/* Straight back to xAPIC is invalid. */
	assert_int_equal(
	    kvm_lapic_set_base(
		a1, APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE, false),
	    -1);
	assert_int_equal(kvm_x2apic_msr_write(a0, 0x80f, 0x1ff), 0);
	assert_int_equal(kvm_x2apic_msr_write(a1, 0x80f, 0x1ff), 0);
	/* ICR is one 64-bit MSR with a 32-bit destination. */
	assert_int_equal(kvm_x2apic_msr_write(a0, 0x830, (1ull << 32) | 0x70),
			 0);
	assert_int_equal(kvm_apic_get_interrupt(a1), 0x70);
	/* SELF_IPI. */
	assert_int_equal(kvm_x2apic_msr_write(a0, 0x83f, 0x71), 0);
	assert_int_equal(kvm_apic_get_interrupt(a0), 0x71);
	/* Write-only EOI reads #GP; read-only ID writes #GP. */
	assert_int_equal(kvm_x2apic_msr_read(a0, 0x80b, &v), -1);
	assert_int_equal(kvm_x2apic_msr_write(a0, 0x802, 5), -1);
	rig_free(r);
}

static void test_lapic_timer(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_lapic *a = lapic(r, 0);

	(void)state;
	apic_enable(a);
	/* One-shot, divide by 16 (TDCR 3), 1000 ticks = 16 us. */
	kvm_lapic_reg_write(a, APIC_TDCR, 3);
	kvm_lapic_reg_write(a, APIC_LVTT, 0xec);
	kvm_lapic_reg_write(a, APIC_TMICT, 1000);
	fake_now += 8000;
	assert_int_equal(kvm_lapic_reg_read(a, APIC_TMCCT), 500);
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_apic_has_interrupt(a), -1);
	fake_now += 8000;
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_apic_get_interrupt(a), 0xec);
	kvm_lapic_reg_write(a, APIC_EOI, 0);
	assert_int_equal(kvm_lapic_reg_read(a, APIC_TMCCT), 0);
	fake_now += 1000000;
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_apic_has_interrupt(a), -1); /* once only */

	/* Periodic, divide by 1 (TDCR 0xb), 1 ms. */
	kvm_lapic_reg_write(a, APIC_TDCR, 0xb);
	kvm_lapic_reg_write(a, APIC_LVTT, 0xed | (1u << 17));
	kvm_lapic_reg_write(a, APIC_TMICT, 1000000);
	for (int i = 0; i < 3; i++) {
		fake_now += 1000000;
		assert_int_equal(kvm_irq_poll_timers(r->chip, fake_now),
				 fake_now + 1000000);
		assert_int_equal(kvm_apic_get_interrupt(a), 0xed);
		kvm_lapic_reg_write(a, APIC_EOI, 0);
	}
	fake_now += 250000;
	assert_int_equal(kvm_lapic_reg_read(a, APIC_TMCCT), 750000);
	/* Masked: counts but does not interrupt. */
	kvm_lapic_reg_write(a, APIC_LVTT, 0xed | (1u << 17) | APIC_LVT_MASKED);
	fake_now += 1000000;
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_apic_has_interrupt(a), -1);

	/* TSC-deadline: the mode switch stops the timer; 2 ms of TSC. */
	tsc_khz = 1000000; /* 1 GHz: 1 tick per ns */
	kvm_lapic_reg_write(a, APIC_LVTT, 0xee | (2u << 17));
	assert_int_equal(kvm_apic_next_deadline(a), 0);
	kvm_lapic_set_tscdeadline(a, fake_tsc + 2000000);
	assert_int_equal(kvm_lapic_get_tscdeadline(a), fake_tsc + 2000000);
	fake_now += 1999999;
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_apic_has_interrupt(a), -1);
	fake_now += 1;
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_apic_get_interrupt(a), 0xee);
	assert_int_equal(kvm_lapic_get_tscdeadline(a), 0);
	/* A deadline in the past fires at once. */
	kvm_lapic_set_tscdeadline(a, 1);
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_true(kvm_lapic_get_reg(a, APIC_IRR + 0x70) & (1u << 14));
	rig_free(r);
}

/* ---- PIT ---------------------------------------------------------------- */

static void test_pit_modes(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_vcpu *v = r->vcpu[0];
	struct kvm_pit *pit;

	(void)state;
	r->chip->pit = kvm_pit_create();
	pit = r->chip->pit;
	kvm_pit_reset(pit, fake_now);
	pic_init(r, 0xfe, 0xff);

	/* Channel 0, mode 2, lobyte/hibyte, count 11932 (~10 ms). */
	outb(r, 0x43, 0x34);
	outb(r, 0x40, 11932 & 0xff);
	outb(r, 0x40, 11932 >> 8);
	/* 1193 ticks later (1 ms = 1193.182 ticks). */
	fake_now += 1000000;
	outb(r, 0x43, 0x00); /* latch channel 0 */
	fake_now += 5000000; /* the latch holds */
	uint16_t c = inb(r, 0x40);

	c |= (uint16_t)(inb(r, 0x40) << 8);
	assert_int_equal(c, 11932 - 1193);
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_false(kvm_cpu_has_interrupt(r->chip, v));
	fake_now += 4100000; /* 10.1 ms after the load (period 10.000016 ms) */
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x20);
	outb(r, 0x20, 0x20);
	fake_now += 10000000; /* periodic: again */
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x20);
	outb(r, 0x20, 0x20);

	/* Mode 3 on channel 1: counts down by two, OUT high the first half. */
	outb(r, 0x43, 0x76);
	outb(r, 0x41, 100);
	outb(r, 0x41, 0);
	fake_now += 20 * 1000000000ull / PIT_FREQ + 1;
	assert_int_equal(kvm_pit_get_count(pit, 1, fake_now), 60);
	assert_int_equal(kvm_pit_get_out(pit, 1, fake_now), 1);
	fake_now += 40 * 1000000000ull / PIT_FREQ + 1;
	assert_int_equal(kvm_pit_get_out(pit, 1, fake_now), 0);

	/* Mode 0 on channel 2 gated by port 0x61: OUT (bit 5) rises at 0. */
	outb(r, 0x61, 0x00);
	outb(r, 0x43, 0xb0);
	outb(r, 0x42, 0x10);
	outb(r, 0x42, 0x00);
	outb(r, 0x61, 0x01); /* gate up: counting starts */
	assert_int_equal(inb(r, 0x61) & 0x21, 0x01);
	fake_now += 8 * 1000000000ull / PIT_FREQ + 1;
	/* Read-back of count and status of channel 2. */
	outb(r, 0x43, 0xc8);
	assert_int_equal(inb(r, 0x42), 0x30); /* status: lo/hi, mode 0 */
	assert_int_equal(inb(r, 0x42), 8);
	assert_int_equal(inb(r, 0x42), 0);
	fake_now += 8 * 1000000000ull / PIT_FREQ + 1;
	assert_int_equal(inb(r, 0x61) & 0x20, 0x20);
	rig_free(r);
}

/* KVM's reinject policy: ticks missed while the guest was not taking
 * them are delivered one per acknowledge, none lost, none doubled. */
static void test_pit_reinject(void **state)
{
	struct rig *r = rig_new(1);
	struct kvm_vcpu *v = r->vcpu[0];
	int got = 0;

	(void)state;
	r->chip->pit = kvm_pit_create();
	kvm_pit_reset(r->chip->pit, fake_now);
	pic_init(r, 0xfe, 0xff);
	outb(r, 0x43, 0x34); /* mode 2, 1193 ticks: 0.99985 ms */
	outb(r, 0x40, 1193 & 0xff);
	outb(r, 0x40, 1193 >> 8);
	fake_now += 5000000; /* five periods with nobody acknowledging */
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(r->chip->pit->pending, 4);
	while (kvm_cpu_has_interrupt(r->chip, v)) {
		assert_int_equal(kvm_cpu_get_interrupt(r->chip, v), 0x20);
		outb(r, 0x20, 0x20);
		got++;
		assert_true(got <= 5);
	}
	assert_int_equal(got, 5);
	/* Masked at the PIC (and the IOAPIC): nothing is owed. */
	outb(r, 0x21, 0xff);
	fake_now += 3000000;
	kvm_irq_poll_timers(r->chip, fake_now);
	assert_int_equal(r->chip->pit->pending, 0);
	assert_false(r->chip->pit->in_flight);
	rig_free(r);
}

/* Guest-controlled values are untrusted: a fixed-seed storm of random
 * register writes, lines, MSIs and time steps must leave every device
 * consistent (no crash, ASan/UBSan clean, vectors in range). */
static void test_random_storm(void **state)
{
	static const uint16_t ports[] = {0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1,
					 0x40, 0x41, 0x42, 0x43, 0x61};
	struct rig *r = rig_new(2);
	uint64_t seed = 0x1234567;

	(void)state;
	r->chip->pit = kvm_pit_create();
	for (int i = 0; i < 200000; i++) {
		uint32_t x, v;
		uint8_t b;
		int who = i & 1;
		struct kvm_lapic *a = lapic(r, who);

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		x = (uint32_t)(seed >> 33);
		v = (uint32_t)(seed >> 1);
		b = (uint8_t)v;
		switch (x % 9) {
		case 0:
			if (!kvm_pic_pio(r->chip, ports[(x >> 4) % 11],
					 (x >> 8) & 1, &b))
				kvm_pit_pio(r->chip, ports[(x >> 4) % 11],
					    (x >> 8) & 1, &b, fake_now);
			break;
		case 1:
			kvm_lapic_reg_write(a, (x >> 4) & 0xff0, v);
			break;
		case 2:
			kvm_lapic_reg_read(a, (x >> 4) & 0xfff);
			break;
		case 3:
			kvm_ioapic_mmio_write(r->chip, (x >> 4) & 0xff, v);
			break;
		case 4:
			kvm_set_irq(r->chip, (x >> 4) & 1, (x >> 5) % 40,
				    (x >> 11) & 1);
			break;
		case 5: {
			int vec;

			if (kvm_cpu_has_interrupt(r->chip, r->vcpu[who])) {
				vec = kvm_cpu_get_interrupt(r->chip,
							    r->vcpu[who]);
				assert_true(vec >= 0 && vec < 256);
			}
			break;
		}
		case 6:
			fake_now += (x >> 4) % 3000000;
			kvm_irq_poll_timers(r->chip, fake_now);
			break;
		case 7: {
			uint64_t d;

			if ((x >> 4) & 1)
				kvm_x2apic_msr_write(
				    a, 0x800 + ((x >> 5) & 0xff), v);
			else
				kvm_x2apic_msr_read(
				    a, 0x800 + ((x >> 5) & 0xff), &d);
			if (((x >> 13) & 0xff) == 0)
				kvm_lapic_set_base(a, (uint64_t)v << 8, false);
			break;
		}
		default: {
			struct kvm_msi m = {.address_lo =
						0xfee00000u | (v & 0xffffc),
					    .data = v >> 8};

			kvm_set_msi(r->chip, &m);
			kvm_lapic_set_tscdeadline(a, seed);
			break;
		}
		}
	}
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pic_init_and_ack),
	    cmocka_unit_test(test_pic_priorities_and_cascade),
	    cmocka_unit_test(test_pic_spurious_and_auto_eoi),
	    cmocka_unit_test(test_pic_elcr_level),
	    cmocka_unit_test(test_ioapic_edge_level),
	    cmocka_unit_test(test_msi_and_routing),
	    cmocka_unit_test(test_lapic_priorities),
	    cmocka_unit_test(test_lapic_ipis),
	    cmocka_unit_test(test_x2apic),
	    cmocka_unit_test(test_lapic_timer),
	    cmocka_unit_test(test_pit_modes),
	    cmocka_unit_test(test_pit_reinject),
	    cmocka_unit_test(test_random_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
