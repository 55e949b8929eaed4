// SPDX-License-Identifier: MIT
/*
 * smp_boot: every AP the MP table lists is started by INIT/SIPI through the
 * real-mode trampoline (rt/ap16.S) into long mode; each reports its APIC ID
 * (read from its own LAPIC) and that it runs in 64-bit mode with paging;
 * the BSP waits for all and prints them in CPU order. Built twice:
 * smp_boot (--cpus 2) and smp_boot4 (--cpus 4). Ends via the exit port
 * (status 33): with an in-kernel LAPIC a halted vCPU stays in KVM.
 */
#include "apic.h"

static volatile uint32_t report[RT_MAX_CPUS];

static void ap_main(int i)
{
	uint32_t v = lapic_id() | 0x100;
	if ((rdmsr(0xc0000080) & 0x500) == 0x500) /* EFER.LME | LMA */
		v |= 0x200;
	__atomic_store_n(&report[i], v, __ATOMIC_RELEASE);
}

int main(void)
{
	uint8_t ids[RT_MAX_CPUS];
	rt_apic_init();
	rt_puts(GUEST_NAME ": BSP APIC ID ");
	rt_printf("%u\n", lapic_id());
	int n = rt_smp_start(ap_main, ids);
	rt_printf("%s: %d CPUs in the MADT\n", GUEST_NAME, n);
	for (int i = 1; i < n; i++) {
		uint64_t t0 = rdtsc();
		while (!__atomic_load_n(&report[i], __ATOMIC_ACQUIRE))
			if (rdtsc() - t0 > 20000000000ull)
				rt_fail(3, "AP %d never reported", i);
		uint32_t v = report[i];
		rt_printf("AP %d: APIC ID %u (MADT %u)%s\n", i, v & 0xff,
			  ids[i],
			  (v & 0x200) ? ", long mode" : ", NOT long mode");
		if ((v & 0xff) != ids[i] || !(v & 0x200))
			rt_fail(3, "AP %d reported wrongly", i);
	}
	rt_puts(GUEST_NAME ": all APs up\n");
	return 0x10;
}
