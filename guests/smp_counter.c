// SPDX-License-Identifier: MIT
/*
 * smp_counter: every CPU of the MP table (--cpus 4) adds 1 to one shared
 * counter with LOCK XADD and to another (a plain load + store) under an
 * XCHG spinlock, m times each (m=M, default 3000); both totals must be
 * exactly ncpus * m. Status 33.
 */
#include "apic.h"

static volatile uint64_t xadd_total, lock_total;
static volatile uint32_t lock, go, done;
static unsigned m;

static void work(void)
{
	for (unsigned j = 0; j < m; j++) {
		uint64_t one = 1;
		__asm__ volatile("lock xaddq %0, %1"
				 : "+r"(one), "+m"(xadd_total)
				 :
				 : "memory");
		rt_spin_lock(&lock);
		uint64_t v = lock_total;
		__asm__ volatile("" ::: "memory");
		lock_total = v + 1;
		rt_spin_unlock(&lock);
	}
}

static void ap_main(int i)
{
	while (!go)
		cpu_relax();
	work();
	__atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
}

int main(void)
{
	m = (unsigned)rt_cmdline_ulong("m", 3000);
	rt_apic_init();
	int n = rt_smp_start(ap_main, 0);
	go = 1;
	work();
	while (__atomic_load_n(&done, __ATOMIC_SEQ_CST) != (uint32_t)n - 1)
		cpu_relax();
	uint64_t want = (uint64_t)n * m;
	rt_printf("smp_counter: %d CPUs x %u: LOCK XADD total %lu, spinlock "
		  "total %lu (want %lu)\n",
		  n, m, (unsigned long)xadd_total, (unsigned long)lock_total,
		  (unsigned long)want);
	if (xadd_total != want || lock_total != want)
		rt_fail(3, "lost updates");
	return 0x10;
}
