// SPDX-License-Identifier: MIT
/*
 * pit_rtc: the 8254 PIT channel 0 at 100 Hz (mode 2) measured against the
 * CMOS RTC: IRQ0s are counted over one full RTC second (from one seconds
 * change to the next, read outside update cycles), first through the 8259
 * (vector 0x20, LINT0 ExtINT), then through IOAPIC pin 2 (vector 0x30,
 * the PIT's pin per the MADT override), with the PIC masked. The count
 * must be within 50..200: the PIT's rate against the RTC's, not host time.
 * Status 33.
 */
#include "apic.h"

static volatile unsigned pic_ticks, ioapic_ticks;

static void pic_irq(struct rt_frame *f)
{
	pic_ticks++;
	outb(0x20, 0x20);
}

static void ioapic_irq(struct rt_frame *f)
{
	ioapic_ticks++;
	lapic_eoi();
}

/*
 * IRQs counted in *v over one RTC second: the RTC is polled after every
 * wake-up from "sti; hlt", i.e. after each tick. (Polling with interrupts
 * open only for "sti; nop; cli" needs interrupt-window exiting, which this
 * host's kvm_pvm lacks: it delivered 1 IRQ0 per second that way, under
 * QEMU -accel kvm as well.) A PIT that never interrupts hangs here; the
 * test's timeout turns that into a failure.
 */
static unsigned per_rtc_second(volatile unsigned *v)
{
	unsigned s0 = rt_rtc_seconds(), s, t0;
	do {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		s = rt_rtc_seconds();
	} while (s == s0);
	t0 = *v;
	do {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		s0 = rt_rtc_seconds();
	} while (s0 == s);
	return *v - t0;
}

static void check(const char *how, unsigned n)
{
	int ok = n >= 50 && n <= 200;
	rt_printf("%s: PIT IRQ0s per RTC second within 50..200: %s\n", how,
		  ok ? "yes" : "no");
	if (!ok)
		rt_fail(3, "%u IRQ0s in one RTC second", n);
}

int main(void)
{
	rt_apic_init();
	rt_set_handler(0x20, pic_irq);
	rt_set_handler(0x30, ioapic_irq);
	rt_set_handler(0x27, 0); /* a spurious IRQ7 would be a failure */
	rt_ioapic_redir(2, IOAPIC_MASKED | 0x30, lapic_id());
	rt_pic_init(0x20, 0x28, 0xfffe);
	rt_pit_rate(100);
	check("8259", per_rtc_second(&pic_ticks));

	rt_pic_init(0x20, 0x28, 0xffff);
	rt_ioapic_redir(2, 0x30, lapic_id()); /* edge, active high, fixed */
	check("IOAPIC pin 2", per_rtc_second(&ioapic_ticks));
	rt_ioapic_redir(2, IOAPIC_MASKED | 0x30, lapic_id());
	return 0x10;
}
