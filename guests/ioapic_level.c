// SPDX-License-Identifier: MIT
/*
 * ioapic_level: a level-triggered IOAPIC line. The RTC's periodic
 * interrupt (64 Hz) holds IRQ 8 high until register C is read; IOAPIC pin
 * 8 is programmed level-triggered, active high, vector 0x38:
 *   1st interrupt: remote IRR is set in the redirection entry and the
 *     LAPIC's TMR bit for 0x38 says level; the handler EOIs WITHOUT reading
 *     register C, so the line stays high and the EOI broadcast makes the
 *     IOAPIC deliver again at once (before the waiting HLT loop runs again);
 *   2nd interrupt: the handler reads register C (IRQF, line low), turns the
 *     periodic interrupt off and EOIs: remote IRR is clear afterwards.
 * Status 33.
 */
#include "apic.h"

#define VEC 0x38

static volatile unsigned n, irr1, irr2, tmr1, c2, after2;

static void rtc_irq(struct rt_frame *f)
{
	uint32_t lo = rt_ioapic_redir_lo(8);
	n++;
	if (n == 1) {
		irr1 = !!(lo & IOAPIC_REMOTE_IRR);
		tmr1 = !!(lapic_read(LAPIC_TMR + (VEC / 32) * 0x10) &
			  (1u << (VEC % 32)));
		lapic_eoi();
	} else {
		irr2 = !!(lo & IOAPIC_REMOTE_IRR);
		c2 = rt_rtc_read(0x0c);
		rt_rtc_write(0x0b, rt_rtc_read(0x0b) & ~0x40);
		lapic_eoi();
		after2 = !!(rt_ioapic_redir_lo(8) & IOAPIC_REMOTE_IRR);
	}
}

int main(void)
{
	rt_apic_init();
	rt_pic_init(0x20, 0x28, 0xffff);
	rt_set_handler(VEC, rtc_irq);
	unsigned pins = ((rt_ioapic_read(1) >> 16) & 0xff) + 1;
	rt_printf("ioapic_level: IOAPIC with %u pins\n", pins);
	rt_ioapic_redir(8, IOAPIC_MASKED | IOAPIC_LEVEL | VEC, lapic_id());

	rt_rtc_write(0x0a, 0x2a); /* 32.768 kHz base, rate 10: 64 Hz */
	rt_rtc_read(0x0c);	  /* no stale IRQF */
	rt_rtc_write(0x0b, rt_rtc_read(0x0b) | 0x40); /* PIE */
	rt_ioapic_redir(8, IOAPIC_LEVEL | VEC, lapic_id());

	__asm__ volatile("cli; sti; hlt; cli" ::: "memory");
	unsigned first_wake = n;
	rt_wait_irqs(&n, 2);
	rt_ioapic_redir(8, IOAPIC_MASKED | IOAPIC_LEVEL | VEC, lapic_id());
	rt_printf("1st: remote IRR %u, LAPIC TMR %u; EOI with the line high: "
		  "interrupts by the first wake-up %u\n",
		  irr1, tmr1, first_wake);
	rt_printf("2nd: remote IRR %u, register C IRQF|PF %u, remote IRR after "
		  "EOI %u; interrupts %u\n",
		  irr2, (c2 & 0xc0) == 0xc0, after2, n);
	if (!irr1 || !tmr1 || first_wake != 2 || !irr2 || (c2 & 0xc0) != 0xc0 ||
	    after2 || n != 2)
		rt_fail(3, "level-triggered IOAPIC semantics");
	return 0x10;
}
