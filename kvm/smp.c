// SPDX-License-Identifier: GPL-2.0
#include "kvm/smp.h"

#include <errno.h>
#include <numa.h>
#include <time.h>

/* How long a vCPU waits for a soft CPU before it preempts the guest
 * running there. */
#define HOST_CPU_SLICE_NS 2000000L

int nr_cpu_ids;
struct host_cpu host_cpus[KVM_MAX_HOST_CPUS];

int cpu_to_node(int c)
{
	return host_cpus[c].node;
}

int smp_create_cpus(const struct cpu_model *model, int n)
{
	bool numa = numa_available() >= 0;

	if (n <= 0 || n > KVM_MAX_HOST_CPUS)
		return -EINVAL;
	for (int c = 0; c < n; c++) {
		host_cpus[c].cpu = cpu_create(model, (unsigned)c);
		if (!host_cpus[c].cpu) {
			nr_cpu_ids = c;
			smp_destroy_cpus();
			return -ENOMEM;
		}
		/* numa_node_of_cpu() is -1 for a CPU the kernel has no node
		 * for. */
		int node = numa ? numa_node_of_cpu(c) : 0;
		host_cpus[c].node = node < 0 ? 0 : node;
		pthread_mutex_init(&host_cpus[c].lock, NULL);
		{
			pthread_condattr_t a;
			pthread_condattr_init(&a);
			pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
			pthread_cond_init(&host_cpus[c].turn, &a);
			pthread_condattr_destroy(&a);
		}
		host_cpus[c].next = host_cpus[c].serving = 0;
	}
	nr_cpu_ids = n;
	return 0;
}

void smp_destroy_cpus(void)
{
	for (int c = 0; c < nr_cpu_ids; c++) {
		cpu_destroy(host_cpus[c].cpu);
		host_cpus[c].cpu = NULL;
		pthread_mutex_destroy(&host_cpus[c].lock);
		pthread_cond_destroy(&host_cpus[c].turn);
	}
	nr_cpu_ids = 0;
}

void host_cpu_get(int c)
{
	struct host_cpu *h = &host_cpus[c];
	unsigned long t;

	pthread_mutex_lock(&h->lock);
	t = h->next++;
	while (h->serving != t) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += HOST_CPU_SLICE_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&h->turn, &h->lock, &ts) ==
			ETIMEDOUT &&
		    h->serving != t)
			cpu_kick(h->cpu); /* the slice is over: preempt */
	}
	pthread_mutex_unlock(&h->lock);
}

void host_cpu_put(int c)
{
	struct host_cpu *h = &host_cpus[c];

	pthread_mutex_lock(&h->lock);
	h->serving++;
	pthread_cond_broadcast(&h->turn);
	pthread_mutex_unlock(&h->lock);
}
