/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's processors as kvm/ sees them: one soft CPU (cpu/cpu.h) per
 * possible host CPU, created by softkvm_load(). A soft CPU, like a real
 * one, executes one instruction stream at a time: whoever issues VMX
 * instructions on it (hardware_enable, a vCPU thread in KVM_RUN) holds it
 * (host_cpu_get/put), which is what "running on that CPU" means here.
 * vCPUs sharing one take turns in order, and one that waits longer than a
 * time slice kicks the guest running there out, as the host scheduler's
 * tick preempts a vCPU thread under Linux KVM: without that, a vCPU that
 * spins in the guest would keep the CPU from the vCPU it waits for.
 */
#ifndef KVMINI_KVM_SMP_H
#define KVMINI_KVM_SMP_H

#include <pthread.h>

#include "cpu/cpu.h"

#define KVM_MAX_HOST_CPUS 1024

struct host_cpu {
	struct cpu *cpu;
	int node;	      /* NUMA node, 0 when libnuma has no NUMA */
	pthread_mutex_t lock; /* guards the tickets */
	pthread_cond_t turn;
	unsigned long next, serving; /* ticket lock: FIFO hand-off */
};

extern int nr_cpu_ids;
extern struct host_cpu host_cpus[KVM_MAX_HOST_CPUS];

#define for_each_possible_cpu(c) for ((c) = 0; (c) < nr_cpu_ids; (c)++)

static inline struct cpu *host_cpu(int c)
{
	return host_cpus[c].cpu;
}

int cpu_to_node(int c);

/* Run on / leave soft CPU c (see above). */
void host_cpu_get(int c);
void host_cpu_put(int c);

/* Create @n soft CPUs of @model; 0 or -errno (then none exist). */
int smp_create_cpus(const struct cpu_model *model, int n);
void smp_destroy_cpus(void);

#endif
