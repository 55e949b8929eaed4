// SPDX-License-Identifier: MIT
/*
 * lapic_timer: the local APIC timer
 *   1. divide configuration: TDCR written 0x3 (divide by 16) reads back 0x3;
 *   2. one-shot with a huge count and the LVT masked: the current count
 *      is below the initial count and decreases between two reads;
 *   3. periodic mode, vector 0x40: n interrupts (n=N, default 10; initial
 *      count ticr=T, default 62500: 1 ms at a 1 GHz bus clock / 16);
 *   4. TSC-deadline mode (CPUID.1:ECX[24]), vector 0x41: a deadline 10M
 *      TSC cycles ahead, HLT; the handler's RDTSC is past the deadline and
 *      IA32_TSC_DEADLINE reads 0 once it fired.
 * Only facts are printed, no counts that depend on timing. Status 33.
 */
#include "apic.h"

static volatile unsigned ticks, dl_fired;
static volatile uint64_t dl_tsc;

static void tick(struct rt_frame *f)
{
	ticks++;
	lapic_eoi();
}

static void deadline(struct rt_frame *f)
{
	dl_tsc = rdtsc();
	dl_fired++;
	lapic_eoi();
}

int main(void)
{
	unsigned n = (unsigned)rt_cmdline_ulong("n", 10);
	uint32_t ticr = (uint32_t)rt_cmdline_ulong("ticr", 62500);
	uint32_t r[4];
	rt_apic_init();
	rt_set_handler(0x40, tick);
	rt_set_handler(0x41, deadline);

	lapic_write(LAPIC_TDCR, 0x3);
	rt_printf("lapic_timer: TDCR 0x%x\n", lapic_read(LAPIC_TDCR) & 0xb);

	lapic_write(LAPIC_LVT_T, LVT_MASKED | 0x40);
	lapic_write(LAPIC_TICR, 0xffffffffu);
	uint32_t c1 = lapic_read(LAPIC_TCCR);
	for (volatile int i = 0; i < 2000; i++)
		cpu_relax();
	uint32_t c2 = lapic_read(LAPIC_TCCR);
	lapic_write(LAPIC_TICR, 0);
	int dec = c1 < 0xffffffffu && c2 < c1 && c2 > 0;
	rt_printf("one-shot current count decreases: %s\n", dec ? "yes" : "no");
	if (!dec)
		rt_fail(3, "TCCR %x then %x", c1, c2);

	lapic_write(LAPIC_LVT_T, LVT_PERIODIC | 0x40);
	lapic_write(LAPIC_TICR, ticr);
	rt_wait_irqs(&ticks, n);
	lapic_write(LAPIC_LVT_T, LVT_MASKED | 0x40);
	lapic_write(LAPIC_TICR, 0);
	rt_printf("periodic: at least %u interrupts\n", n);

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 24))) {
		rt_puts("TSC-deadline: not offered\n");
		return 0x10;
	}
	lapic_write(LAPIC_LVT_T, LVT_TSC_DL | 0x41);
	uint64_t dl = rdtsc() + 10000000;
	wrmsr(MSR_TSC_DEADLINE, dl);
	rt_wait_irqs(&dl_fired, 1);
	uint64_t after = rdmsr(MSR_TSC_DEADLINE);
	rt_printf("TSC-deadline: fired %u, after the deadline: %s, MSR then "
		  "0x%lx\n",
		  dl_fired, dl_tsc >= dl ? "yes" : "no", (unsigned long)after);
	if (dl_tsc < dl)
		rt_fail(3, "deadline %lx, interrupt at %lx", (unsigned long)dl,
			(unsigned long)dl_tsc);
	lapic_write(LAPIC_LVT_T, LVT_MASKED | 0x41);
	return 0x10;
}
