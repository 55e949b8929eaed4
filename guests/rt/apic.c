// SPDX-License-Identifier: MIT
/* LAPIC, IOAPIC, 8259, 8254, RTC, MP table and AP start-up (64-bit). */
#ifdef __x86_64__
#include "apic.h"

static int bsp_is_lapic_enabled;

static void map_uncached(uint64_t addr)
{
	uint64_t *e = &rt_pd[addr >> 21];
	*e |= 0x18; /* PWT | PCD: device registers, not cacheable memory */
	invlpg((void *)(uintptr_t)addr);
}

void rt_lapic_enable(void)
{
	lapic_write(LAPIC_SVR, 0x1ff); /* APIC enable, spurious vector 0xff */
	lapic_write(LAPIC_TPR, 0);
}

static void spurious(struct rt_frame *f)
{
	/* a spurious LAPIC interrupt takes no EOI */
}

void rt_apic_init(void)
{
	map_uncached(LAPIC_BASE);
	map_uncached(IOAPIC_BASE);
	rt_set_handler(0xff, spurious);
	/* a BIOS (QEMU's SeaBIOS) leaves the 8259 on vectors 8-15 with its
	 * timer open: remap and mask it before LINT0 lets it through */
	rt_pic_init(0x20, 0x28, 0xffff);
	rt_lapic_enable();
	/* the 8259's INTR reaches the BSP through LINT0 as ExtINT */
	lapic_write(LAPIC_LVT0, 0x700);
	bsp_is_lapic_enabled = 1;
}

void rt_lapic_ipi(unsigned dest, uint32_t icr_low)
{
	lapic_write(LAPIC_ICR2, dest << 24);
	lapic_write(LAPIC_ICR, icr_low);
	while (lapic_read(LAPIC_ICR) & ICR_BUSY)
		cpu_relax();
}

uint32_t rt_ioapic_read(unsigned reg)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

void rt_ioapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

void rt_ioapic_redir(unsigned pin, uint32_t lo, unsigned dest)
{
	/* masked while the halves disagree */
	rt_ioapic_write(0x10 + 2 * pin, IOAPIC_MASKED);
	rt_ioapic_write(0x11 + 2 * pin, dest << 24);
	rt_ioapic_write(0x10 + 2 * pin, lo);
}

uint32_t rt_ioapic_redir_lo(unsigned pin)
{
	return rt_ioapic_read(0x10 + 2 * pin);
}

void rt_pic_init(uint8_t master_base, uint8_t slave_base, uint16_t mask)
{
	if (mask >> 8 != 0xff)
		mask &= ~(1u << 2);
	outb(0x20, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(0xa0, 0x11);
	outb(0x21, master_base); /* ICW2 */
	outb(0xa1, slave_base);
	outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01); /* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, (uint8_t)mask);
	outb(0xa1, (uint8_t)(mask >> 8));
}

void rt_pit_rate(unsigned hz)
{
	unsigned div = 1193182 / hz;
	outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, (uint8_t)div);
	outb(0x40, (uint8_t)(div >> 8));
}

uint8_t rt_rtc_read(uint8_t reg)
{
	outb(0x70, reg & 0x7f);
	return inb(0x71);
}

void rt_rtc_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg & 0x7f);
	outb(0x71, v);
}

unsigned rt_rtc_seconds(void)
{
	uint8_t a, b;
	do {
		while (rt_rtc_read(0x0a) & 0x80) /* UIP */
			;
		a = rt_rtc_read(0x00);
		while (rt_rtc_read(0x0a) & 0x80)
			;
		b = rt_rtc_read(0x00);
	} while (a != b);
	if (!(rt_rtc_read(0x0b) & 0x04)) /* BCD */
		a = (uint8_t)((a >> 4) * 10 + (a & 15));
	return a;
}

static const uint8_t *mp_find(void)
{
	for (uintptr_t p = 0xf0000; p < 0x100000; p += 16) {
		const uint8_t *f = (const uint8_t *)p;
		if (f[0] != '_' || f[1] != 'M' || f[2] != 'P' || f[3] != '_')
			continue;
		uint8_t sum = 0;
		for (int i = 0; i < 16; i++)
			sum = (uint8_t)(sum + f[i]);
		if (sum)
			continue;
		uint32_t cfg = *(const uint32_t *)(f + 4);
		if (cfg < 0x1000 || cfg >= 0x100000)
			return 0; /* not in low memory, or a default config */
		return (const uint8_t *)(uintptr_t)cfg;
	}
	return 0;
}

int rt_mp_cpus(uint8_t *ids, int max)
{
	const uint8_t *c = mp_find();
	if (!c || c[0] != 'P' || c[1] != 'C' || c[2] != 'M' || c[3] != 'P')
		return 0;
	unsigned len = *(const uint16_t *)(c + 4);
	unsigned count = *(const uint16_t *)(c + 34);
	const uint8_t *e = c + 44, *end = c + len;
	int n = 0;
	for (unsigned i = 0; i < count && e < end; i++) {
		if (e[0] == 0) { /* processor: id, version, flags */
			if ((e[3] & 1) && n < max)
				ids[n++] = e[1];
			e += 20;
		} else {
			e += 8;
		}
	}
	return n;
}

static int sum_ok(const uint8_t *p, unsigned len)
{
	uint8_t sum = 0;
	for (unsigned i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

/* The MADT's enabled local APICs, or -1 without ACPI tables. */
static int madt_cpus(uint8_t *ids, int max)
{
	const uint8_t *rsdp = 0;
	for (uintptr_t p = 0xe0000; p < 0x100000 && !rsdp; p += 16)
		if (!memcmp((const void *)p, "RSD PTR ", 8) &&
		    sum_ok((const uint8_t *)p, 20))
			rsdp = (const uint8_t *)p;
	if (!rsdp)
		return -1;
	uint64_t root = *(const uint32_t *)(rsdp + 16);
	unsigned esz = 4;
	if (rsdp[15] >= 2 && *(const uint64_t *)(rsdp + 24)) {
		root = *(const uint64_t *)(rsdp + 24);
		esz = 8;
	}
	if (!root || root >= (4ull << 30))
		return -1;
	const uint8_t *sdt = (const uint8_t *)(uintptr_t)root;
	uint32_t len = *(const uint32_t *)(sdt + 4);
	for (uint32_t off = 36; off + esz <= len; off += esz) {
		uint64_t a = esz == 8 ? *(const uint64_t *)(sdt + off)
				      : *(const uint32_t *)(sdt + off);
		if (!a || a >= (4ull << 30))
			continue;
		const uint8_t *t = (const uint8_t *)(uintptr_t)a;
		if (memcmp(t, "APIC", 4))
			continue;
		uint32_t tlen = *(const uint32_t *)(t + 4);
		int n = 0;
		for (uint32_t e = 44; e + 2 <= tlen && t[e + 1] >= 2;
		     e += t[e + 1])
			if (t[e] == 0 && t[e + 1] >= 8 && (t[e + 4] & 1) &&
			    n < max)
				ids[n++] = t[e + 3];
		return n;
	}
	return -1;
}

/* --- APs --- */
extern const uint8_t rt_ap_tramp_start[], rt_ap_tramp_end[];
extern uint64_t rt_gdt[];
void rt_idt_load(void);
void rt_ap_entry64(void);

uint64_t rt_ap_stack; /* read by the trampoline before it reports */
static volatile int ap_index, ap_arrived;
static void (*ap_fn)(int);
static uint8_t cpu_ids[RT_MAX_CPUS];
static int ncpus = 1;
static uint8_t ap_stacks[RT_MAX_CPUS][8192] __attribute__((aligned(16)));

int rt_cpu_index(void)
{
	unsigned id = lapic_id();
	for (int i = 0; i < ncpus; i++)
		if (cpu_ids[i] == id)
			return i;
	return 0;
}

void rt_ap_entry64(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) g = {12 * 8 - 1, (uintptr_t)rt_gdt};
	__asm__ volatile("lgdt %0" : : "m"(g));
	rt_idt_load();
	rt_lapic_enable();
	int me = ap_index;
	__atomic_store_n(&ap_arrived, me, __ATOMIC_RELEASE);
	if (ap_fn)
		ap_fn(me);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* TSC-bounded wait for AP index i to report; 1 when it did. */
static int ap_wait(int i, uint64_t cycles)
{
	uint64_t t0 = rdtsc();
	while (__atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE) != i)
		if (rdtsc() - t0 > cycles)
			return 0;
	return 1;
}

int rt_smp_start(void (*fn)(int index), uint8_t *ids)
{
	uint8_t mp[RT_MAX_CPUS];
	int n = madt_cpus(mp, RT_MAX_CPUS);
	unsigned self = lapic_id();
	if (n <= 0)
		n = rt_mp_cpus(mp, RT_MAX_CPUS);
	if (n <= 0)
		rt_fail(0x7e, "smp: no MADT or MP table");
	memcpy((void *)RT_AP_TRAMP, rt_ap_tramp_start,
	       (size_t)(rt_ap_tramp_end - rt_ap_tramp_start));
	ap_fn = fn;
	cpu_ids[0] = (uint8_t)self;
	ncpus = 1;
	for (int k = 0; k < n; k++) {
		if (mp[k] == self)
			continue;
		int i = ncpus;
		cpu_ids[i] = mp[k];
		ncpus++;
		rt_ap_stack = (uintptr_t)(ap_stacks[i] + sizeof(ap_stacks[i]));
		ap_index = i;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		rt_lapic_ipi(mp[k], ICR_INIT | ICR_ASSERT);
		rt_lapic_ipi(mp[k],
			     ICR_SIPI | ICR_ASSERT | (RT_AP_TRAMP >> 12));
		/* the second SIPI of the MP spec only when the first was lost
		 */
		if (!ap_wait(i, 2000000000ull)) {
			rt_lapic_ipi(mp[k], ICR_SIPI | ICR_ASSERT |
						(RT_AP_TRAMP >> 12));
			if (!ap_wait(i, 20000000000ull))
				rt_fail(0x7e,
					"smp: AP with APIC ID %u never ran",
					mp[k]);
		}
	}
	if (ids)
		memcpy(ids, cpu_ids, (size_t)ncpus);
	return ncpus;
}
#endif
