/* SPDX-License-Identifier: MIT */
/*
 * Interrupt controllers, timers and SMP for the 64-bit runtime:
 * xAPIC MMIO (0xfee00000) and IOAPIC (0xfec00000), mapped uncached by
 * rt_apic_init; the 8259 pair, the 8254 PIT, the CMOS RTC; an MP-table
 * reader (the CPUs the platform describes), INIT/SIPI start of the APs
 * through a real-mode trampoline at RT_AP_TRAMP, and spinlocks.
 *
 * Rule for every wait: check with interrupts off, then "sti; hlt" (the
 * STI shadow covers HLT), or an interrupt taken between the check and
 * the HLT leaves the HLT sleeping forever.
 */
#ifndef KVMINI_GUEST_APIC_H
#define KVMINI_GUEST_APIC_H

#include "rt.h"

#define LAPIC_BASE	 0xfee00000ul
#define IOAPIC_BASE	 0xfec00000ul
#define LAPIC_ID	 0x020
#define LAPIC_VER	 0x030
#define LAPIC_TPR	 0x080
#define LAPIC_EOI	 0x0b0
#define LAPIC_SVR	 0x0f0
#define LAPIC_ISR	 0x100
#define LAPIC_TMR	 0x180
#define LAPIC_IRR	 0x200
#define LAPIC_ICR	 0x300
#define LAPIC_ICR2	 0x310
#define LAPIC_LVT_T	 0x320
#define LAPIC_LVT0	 0x350
#define LAPIC_LVT1	 0x360
#define LAPIC_TICR	 0x380
#define LAPIC_TCCR	 0x390
#define LAPIC_TDCR	 0x3e0
#define LVT_MASKED	 (1u << 16)
#define LVT_PERIODIC	 (1u << 17)
#define LVT_TSC_DL	 (2u << 17)
#define ICR_INIT	 0x500
#define ICR_SIPI	 0x600
#define ICR_ASSERT	 0x4000
#define ICR_BUSY	 0x1000
#define MSR_TSC_DEADLINE 0x6e0

/* The AP trampoline's page (below 1 MiB; SIPI vector RT_AP_TRAMP >> 12),
 * clear of kvmini's and QEMU's multiboot info (0x8000-0xa000, 0x9000). */
#define RT_AP_TRAMP 0x6000
#define RT_MAX_CPUS 16

static inline uint32_t lapic_read(unsigned reg)
{
	return *(volatile uint32_t *)(LAPIC_BASE + reg);
}
static inline void lapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_BASE + reg) = v;
}
static inline void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}
static inline unsigned lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Maps the LAPIC and IOAPIC pages uncached (PCD|PWT), remaps the 8259
 * pair to 0x20/0x28 with every IRQ masked, and software-enables this CPU's
 * LAPIC (spurious vector 0xff, LINT0 ExtINT so the 8259 reaches the BSP,
 * TPR 0). */
void rt_apic_init(void);
/* Software-enables the calling CPU's LAPIC (SVR) with TPR 0. */
void rt_lapic_enable(void);
/* Sends icr_low (vector | delivery mode | ...) to APIC ID dest and waits
 * until the LAPIC reports the IPI sent. */
void rt_lapic_ipi(unsigned dest, uint32_t icr_low);

uint32_t rt_ioapic_read(unsigned reg);
void rt_ioapic_write(unsigned reg, uint32_t v);
void rt_ioapic_redir(unsigned pin, uint32_t lo, unsigned dest);
uint32_t rt_ioapic_redir_lo(unsigned pin);
#define IOAPIC_LEVEL	  (1u << 15)
#define IOAPIC_REMOTE_IRR (1u << 14)
#define IOAPIC_MASKED	  (1u << 16)

/* 8259 pair: ICW1-4 with the given vector bases, then mask (bit n = IRQn,
 * 8-15 the slave; the cascade IRQ2 stays open when any slave IRQ is). */
void rt_pic_init(uint8_t master_base, uint8_t slave_base, uint16_t mask);
/* PIT channel 0, mode 2 (rate generator) at hz. */
void rt_pit_rate(unsigned hz);

/* CMOS register reg (NMI stays enabled); rt_rtc_seconds reads the seconds
 * outside an update cycle (UIP clear, two equal reads). */
uint8_t rt_rtc_read(uint8_t reg);
void rt_rtc_write(uint8_t reg, uint8_t v);
unsigned rt_rtc_seconds(void);

/* The enabled processors of the platform's MP table (APIC IDs into ids,
 * at most max); 0 when there is no MP table. */
int rt_mp_cpus(uint8_t *ids, int max);

/* Starts every AP the ACPI MADT lists (the MP table without ACPI) (INIT, SIPI,
 * a second SIPI if the AP does not report), one at a time, each running
 * fn(index) on its own stack with interrupts off (index 1..n-1; the BSP is 0);
 * an AP that returns parks in CLI;HLT. Returns the number of CPUs (BSP
 * included) and fills ids[index] with the APIC IDs, or fails the guest. */
int rt_smp_start(void (*fn)(int index), uint8_t *ids);
/* The calling CPU's index (0 on the BSP), from its APIC ID. */
int rt_cpu_index(void);

static inline void rt_spin_lock(volatile uint32_t *l)
{
	uint32_t v;
	for (;;) {
		v = 1;
		__asm__ volatile("xchg %0, %1"
				 : "+r"(v), "+m"(*l)
				 :
				 : "memory");
		if (!v)
			return;
		while (*l)
			cpu_relax();
	}
}
static inline void rt_spin_unlock(volatile uint32_t *l)
{
	__asm__ volatile("" ::: "memory");
	*l = 0;
}

/* cli; until *v >= n: sti; hlt; cli. Returns with interrupts off. */
static inline void rt_wait_irqs(volatile unsigned *v, unsigned n)
{
	__asm__ volatile("cli" ::: "memory");
	while (*v < n)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

#endif
