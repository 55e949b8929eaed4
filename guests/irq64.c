// SPDX-License-Identifier: MIT
/*
 * irq64: external and local interrupts through the guest IDT:
 *   1. 8259 PIC remapped to vectors 0x20/0x28, 8254 PIT channel 0 as a
 *      rate generator (~1 kHz) on IRQ0: STI; HLT until 5 ticks arrived,
 *      each acknowledged with a non-specific EOI;
 *   2. local APIC (xAPIC MMIO at 0xfee00000): a self-IPI (ICR, fixed,
 *      vector 0x41) and a one-shot LAPIC timer (vector 0x40, divide by 1),
 *      each EOIed through the EOI register.
 * Only counts are printed: when interrupts arrive is up to the backend,
 * that they arrive (and exactly once where one is expected) is not. Needs
 * an interrupt controller: on kvmini, the in-kernel irqchip (irq64.opts).
 * With an in-kernel LAPIC, KVM keeps a halted vCPU inside KVM_RUN, so the
 * usual CLI;HLT ending would not end the run: irq64 ends by writing 0x10
 * to the exit port instead (status 33).
 */
#include "rt.h"

#define LAPIC	    0xfee00000ul
#define LAPIC_EOI   0x0b0
#define LAPIC_SVR   0x0f0
#define LAPIC_ICR   0x300
#define LAPIC_LVT_T 0x320
#define LAPIC_TICR  0x380
#define LAPIC_TDCR  0x3e0

static volatile unsigned pit_ticks, ipis, timer_fires, spurious;

static void lapic_w(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC + reg) = v;
}

static uint32_t lapic_r(unsigned reg)
{
	return *(volatile uint32_t *)(LAPIC + reg);
}

static void pit_irq(struct rt_frame *f)
{
	pit_ticks++;
	outb(0x20, 0x20); /* EOI to the master PIC */
}

static void ipi_irq(struct rt_frame *f)
{
	ipis++;
	lapic_w(LAPIC_EOI, 0);
}

static void timer_irq(struct rt_frame *f)
{
	timer_fires++;
	lapic_w(LAPIC_EOI, 0);
}

static void spurious_irq(struct rt_frame *f)
{
	spurious++;
}

/* Wait with STI;HLT until *what reaches n (or a bounded number of
 * wake-ups passed, so a backend that never interrupts cannot hang us). */
static int wait_for(volatile unsigned *what, unsigned n)
{
	for (unsigned i = 0; i < 100000 && *what < n; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	return *what >= n;
}

int main(void)
{
	rt_set_handler(0x20, pit_irq);
	rt_set_handler(0x27, spurious_irq); /* PIC spurious IRQ7 */
	rt_set_handler(0x40, timer_irq);
	rt_set_handler(0x41, ipi_irq);
	rt_set_handler(0xff, spurious_irq);

	rt_puts("irq64: PIC + PIT\n");
	outb(0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, 0x20); /* ICW2: vector bases */
	outb(0xa1, 0x28);
	outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01); /* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xfe); /* only IRQ0 */
	outb(0xa1, 0xff);
	outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	int ok = wait_for(&pit_ticks, 5);
	outb(0x21, 0xff); /* mask everything again */
	rt_printf("PIT IRQ0 -> vector 0x20: %s\n", ok ? "5 ticks" : "no ticks");
	if (!ok)
		rt_fail(3, "irq64: the PIT never interrupted");

	rt_puts("irq64: local APIC\n");
	lapic_w(LAPIC_SVR, 0x1ff); /* APIC software enable, spurious 0xff */
	lapic_w(LAPIC_ICR, 0x40000 | 0x41); /* self, fixed, vector 0x41 */
	ok = wait_for(&ipis, 1);
	rt_printf("self-IPI vector 0x41: %u\n", ipis);
	lapic_w(LAPIC_TDCR, 0xb);   /* divide by 1 */
	lapic_w(LAPIC_LVT_T, 0x40); /* one-shot, vector 0x40 */
	lapic_w(LAPIC_TICR, 100000);
	ok &= wait_for(&timer_fires, 1);
	rt_printf("LAPIC one-shot timer vector 0x40: %u\n", timer_fires);
	rt_printf("LAPIC timer current count after expiry: %u\n",
		  lapic_r(0x390));
	if (!ok || ipis != 1 || timer_fires != 1)
		rt_fail(3, "irq64: local APIC interrupts missing");
	rt_puts("irq64: all checks passed\n");
	return 0x10;
}
