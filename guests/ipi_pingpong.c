// SPDX-License-Identifier: MIT
/*
 * ipi_pingpong: the BSP sends fixed IPI 0x50 to the first AP, whose
 * handler answers with IPI 0x51 to the BSP; n round trips (n=N on the
 * command line, default 200), one at a time. Both counts must be exactly
 * n. Used by bench/irq for the IPI round-trip latency. Status 33.
 */
#include "apic.h"

#define PING 0x50
#define PONG 0x51

static volatile unsigned pings, pongs;
static unsigned bsp_id;

static void ping_irq(struct rt_frame *f)
{
	pings++;
	rt_lapic_ipi(bsp_id, PONG | ICR_ASSERT);
	lapic_eoi();
}

static void pong_irq(struct rt_frame *f)
{
	pongs++;
	lapic_eoi();
}

static void ap_main(int i)
{
	if (i != 1)
		return;
	for (;;)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

int main(void)
{
	uint8_t ids[RT_MAX_CPUS];
	unsigned n = (unsigned)rt_cmdline_ulong("n", 200);
	rt_apic_init();
	bsp_id = lapic_id();
	rt_set_handler(PING, ping_irq);
	rt_set_handler(PONG, pong_irq);
	if (rt_smp_start(ap_main, ids) < 2)
		rt_fail(3, "ipi_pingpong needs 2 CPUs");
	for (unsigned i = 0; i < n; i++) {
		rt_lapic_ipi(ids[1], PING | ICR_ASSERT);
		rt_wait_irqs(&pongs, i + 1);
		if (pongs != i + 1 || pings != i + 1)
			rt_fail(3, "round trip %u: pings %u pongs %u", i, pings,
				pongs);
	}
	rt_printf("ipi_pingpong: %u round trips, %u pings, %u pongs\n", n,
		  pings, pongs);
	return 0x10;
}
