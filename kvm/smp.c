// SPDX-License-Identifier: GPL-2.0
#include "kvm/smp.h"

#include <errno.h>
#include <numa.h>

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
	}
	nr_cpu_ids = 0;
}
