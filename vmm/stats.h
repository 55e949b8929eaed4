/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `kvmini run --stats`: how fast the monitor reaches the guest and what
 * it costs beside the guest's own RAM. Printed as one block on stderr,
 * every line starting with "kvmini: stats: ":
 *   - time from process start (kvmini's first constructor, before main;
 *     exec and dynamic linking come before it and are not included) to
 *     vCPU 0's first KVM_RUN, i.e. to the first guest instruction;
 *   - total wall time and CPU time;
 *   - peak RSS (getrusage ru_maxrss);
 *   - guest RAM touched: resident pages of the guest RAM mapping
 *     (mincore). A page the guest only read maps the shared zero page:
 *     mincore counts it, RSS does not. So also:
 *   - guest RAM in RSS: the Rss of that mapping in /proc/self/smaps
 *     (opened before the sandbox), which is what peak RSS contains;
 *   - kvmini's own memory: peak RSS minus the guest's part of it (on the
 *     soft backend that includes our KVM and CPU: they are the machine).
 * The process holds one backend, so the KVM_RUN timestamp is global.
 */
#ifndef KVMINI_VMM_STATS_H
#define KVMINI_VMM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "vmm/backend.h"
#include "vmm/guest_mem.h"

struct vmm_stats {
	const char *backend; /* name, NULL if none opened */
	uint64_t ram_size;
	int nr_vcpus;
	int smaps_fd;	       /* /proc/self/smaps, or -1 */
	int64_t guest_touched; /* bytes (mincore), -1: not measured */
	int64_t guest_rss;     /* bytes (smaps Rss), -1: not measured */
};

/* Opens what the measurement needs later (before the sandbox closes open). */
void vmm_stats_init(struct vmm_stats *s);

/*
 * Routes the backend's ioctls through a wrapper that timestamps the
 * first KVM_RUN on vCPU 0's fd (vmm_stats_set_vcpu0) and passes every
 * call on unchanged.
 */
void vmm_stats_wrap_backend(struct vmm_backend *b);
void vmm_stats_set_vcpu0(int vcpu0_fd);

/* Measures guest RAM residency now: call before the RAM is freed. */
void vmm_stats_measure_guest(struct vmm_stats *s, const struct guest_mem *gm);

/* Nanoseconds since process start (CLOCK_MONOTONIC). */
uint64_t vmm_stats_since_start_ns(void);

/* Prints the block (status: kvmini's exit status) and closes smaps_fd. */
void vmm_stats_print(struct vmm_stats *s, int status, FILE *out);

#endif
