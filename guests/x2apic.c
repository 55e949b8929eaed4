// SPDX-License-Identifier: MIT
/*
 * x2apic: the local APIC through its MSRs (CPUID.1:ECX[21]): switch from
 * xAPIC to x2APIC (IA32_APIC_BASE.EXTD), the 32-bit ID (MSR 0x802) equals
 * the xAPIC ID, version unchanged, SELF IPI (0x83f) and ICR (0x830, one
 * 64-bit write) deliver, EOI through 0x80b, a one-shot timer through 0x832
 * / 0x838 / 0x83e with the current count (0x839) 0 after it fired.
 * Status 33.
 */
#include "apic.h"

#define MSR_APIC_BASE 0x1b
#define X2(reg)	      (0x800 + ((reg) >> 4))

static volatile unsigned self_ipis, icr_ipis, timer;

static void self_irq(struct rt_frame *f)
{
	self_ipis++;
	wrmsr(X2(LAPIC_EOI), 0);
}

static void icr_irq(struct rt_frame *f)
{
	icr_ipis++;
	wrmsr(X2(LAPIC_EOI), 0);
}

static void timer_irq(struct rt_frame *f)
{
	timer++;
	wrmsr(X2(LAPIC_EOI), 0);
}

int main(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 21))) {
		rt_puts("x2apic: not offered\n");
		return 0x10;
	}
	rt_apic_init();
	rt_set_handler(0x42, self_irq);
	rt_set_handler(0x43, icr_irq);
	rt_set_handler(0x44, timer_irq);
	unsigned xid = lapic_id();
	uint32_t xver = lapic_read(LAPIC_VER);

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 10));
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t id = (uint32_t)rdmsr(X2(LAPIC_ID));
	uint32_t ver = (uint32_t)rdmsr(X2(LAPIC_VER));
	rt_printf("x2apic: EN|EXTD 0x%x, ID %u (xAPIC %u), version %s\n",
		  (unsigned)(base & 0xc00), id, xid,
		  ver == xver ? "unchanged" : "changed");
	wrmsr(X2(LAPIC_SVR), 0x1ff);

	wrmsr(0x83f, 0x42); /* SELF IPI */
	rt_wait_irqs(&self_ipis, 1);
	wrmsr(X2(LAPIC_ICR), (uint64_t)id << 32 | 0x4000 | 0x43);
	rt_wait_irqs(&icr_ipis, 1);
	rt_printf("SELF IPI %u, ICR IPI %u\n", self_ipis, icr_ipis);

	wrmsr(X2(LAPIC_TDCR), 0xb); /* divide by 1 */
	wrmsr(X2(LAPIC_LVT_T), 0x44);
	wrmsr(X2(LAPIC_TICR), 100000);
	rt_wait_irqs(&timer, 1);
	rt_printf("one-shot timer %u, current count then %u\n", timer,
		  (unsigned)rdmsr(X2(LAPIC_TCCR)));
	if (id != xid || ver != xver || (base & 0xc00) != 0xc00 ||
	    self_ipis != 1 || icr_ipis != 1 || timer != 1)
		rt_fail(3, "x2APIC");
	return 0x10;
}
