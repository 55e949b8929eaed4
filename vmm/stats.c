// SPDX-License-Identifier: GPL-2.0
/* kvmini run --stats: start-up time and memory (see stats.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmm/stats.h"

#define STATS_PAGE    4096ULL
#define MINCORE_CHUNK 4096 /* pages per mincore() call: a 4 KiB vector */

static uint64_t start_ns;
static uint64_t first_run_ns; /* since start; 0: not yet (atomic) */
static int vcpu0 = -1;
static const struct vmm_backend_ops *inner_ops;
static struct vmm_backend_ops stats_ops;

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/* As early as kvmini's own code can run: before main and module_init. */
__attribute__((constructor(101))) static void stats_mark_start(void)
{
	start_ns = mono_ns();
}

uint64_t vmm_stats_since_start_ns(void)
{
	return mono_ns() - start_ns;
}

static int stats_ioctl(int fd, unsigned long req, void *arg)
{
	if (req == KVM_RUN && fd == __atomic_load_n(&vcpu0, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&first_run_ns, __ATOMIC_RELAXED)) {
		uint64_t zero = 0, now = vmm_stats_since_start_ns();

		/* Never 0, which means "not yet". */
		__atomic_compare_exchange_n(&first_run_ns, &zero, now ? now : 1,
					    false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	}
	return inner_ops->ioctl(fd, req, arg);
}

void vmm_stats_wrap_backend(struct vmm_backend *b)
{
	if (!b->ops || b->ops == &stats_ops)
		return;
	inner_ops = b->ops;
	stats_ops = *b->ops;
	stats_ops.ioctl = stats_ioctl;
	b->ops = &stats_ops;
}

void vmm_stats_set_vcpu0(int vcpu0_fd)
{
	__atomic_store_n(&vcpu0, vcpu0_fd, __ATOMIC_RELAXED);
}

void vmm_stats_init(struct vmm_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->guest_touched = -1;
	s->guest_rss = -1;
	s->smaps_fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
}

static int64_t guest_mincore(const struct guest_mem *gm)
{
	unsigned char vec[MINCORE_CHUNK];
	uint64_t pages = gm->ram_size / STATS_PAGE, resident = 0;

	for (uint64_t p = 0; p < pages; p += MINCORE_CHUNK) {
		uint64_t n =
		    pages - p < MINCORE_CHUNK ? pages - p : MINCORE_CHUNK;

		if (mincore(gm->base + p * STATS_PAGE, n * STATS_PAGE, vec))
			return -1;
		for (uint64_t i = 0; i < n; i++)
			resident += vec[i] & 1;
	}
	return resident * STATS_PAGE;
}

/*
 * Sum of "Rss:" over the mappings inside [lo, hi): guest RAM may be split
 * into several (e.g. by madvise), and a mapping's Rss leaves out zero
 * pages. The file is read as a stream, line by line.
 */
static int64_t guest_smaps_rss(int fd, uintptr_t lo, uintptr_t hi)
{
	char buf[8192];
	size_t have = 0;
	bool inside = false, any = false;
	int64_t rss = 0;

	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += r;
		buf[have] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			unsigned long a, b;
			unsigned long long kb;

			*nl = 0;
			/* Headers start "lo-hi perms"; fields "Name:". */
			if (((*line >= '0' && *line <= '9') ||
			     (*line >= 'a' && *line <= 'f')) &&
			    sscanf(line, "%lx-%lx ", &a, &b) == 2) {
				inside = a >= lo && b <= hi;
			} else if (inside &&
				   sscanf(line, "Rss: %llu kB", &kb) == 1) {
				rss += kb * 1024;
				any = true;
			}
			line = nl + 1;
		}
		have -= line - buf;
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) /* an absurd line: skip it */
			have = 0;
	}
	return any ? rss : -1;
}

void vmm_stats_measure_guest(struct vmm_stats *s, const struct guest_mem *gm)
{
	if (!gm->base)
		return;
	s->guest_touched = guest_mincore(gm);
	if (s->smaps_fd >= 0)
		s->guest_rss =
		    guest_smaps_rss(s->smaps_fd, (uintptr_t)gm->base,
				    (uintptr_t)gm->base + gm->ram_size);
}

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

static double tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

void vmm_stats_print(struct vmm_stats *s, int status, FILE *out)
{
	const char *p = "kvmini: stats: ";
	uint64_t total = vmm_stats_since_start_ns();
	uint64_t first = __atomic_load_n(&first_run_ns, __ATOMIC_RELAXED);
	struct rusage ru;
	int64_t peak = -1, guest;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		peak = (int64_t)ru.ru_maxrss * 1024;
	flockfile(out);
	fprintf(out,
		"%sbackend %s, %" PRIu64 " MiB guest RAM, %d vCPU(s), "
		"exit status %d\n",
		p, s->backend ? s->backend : "none", s->ram_size >> 20,
		s->nr_vcpus, status);
	if (first)
		fprintf(out,
			"%stime to first guest instruction %10.3f ms "
			"(process start to vCPU 0's first KVM_RUN)\n",
			p, ms(first));
	else
		fprintf(out,
			"%stime to first guest instruction        n/a "
			"(vCPU 0 never entered KVM_RUN)\n",
			p);
	fprintf(out, "%stotal wall time                 %10.3f ms\n", p,
		ms(total));
	if (peak >= 0)
		fprintf(out,
			"%sCPU time                        %10.3f ms user, "
			"%.3f ms sys\n",
			p, tv_ms(ru.ru_utime), tv_ms(ru.ru_stime));
	if (peak >= 0)
		fprintf(out,
			"%speak RSS                        %10" PRId64
			" KiB (getrusage ru_maxrss)\n",
			p, peak >> 10);
	else
		fprintf(out, "%speak RSS                               n/a\n",
			p);
	if (s->guest_touched >= 0)
		fprintf(out,
			"%sguest RAM touched               %10" PRId64
			" KiB (resident pages of guest RAM, mincore)\n",
			p, s->guest_touched >> 10);
	else
		fprintf(out, "%sguest RAM touched                      n/a\n",
			p);
	if (s->guest_rss >= 0)
		fprintf(out,
			"%sguest RAM in RSS                %10" PRId64
			" KiB (its Rss in /proc/self/smaps: pages only read "
			"share the zero page and are not in RSS)\n",
			p, s->guest_rss >> 10);
	/* Subtract what peak RSS really holds of the guest when known. */
	guest = s->guest_rss >= 0 ? s->guest_rss : s->guest_touched;
	if (peak >= 0 && guest >= 0)
		fprintf(out,
			"%skvmini's own memory             %10" PRId64
			" KiB (peak RSS - guest RAM %s)\n",
			p, (peak - guest) >> 10,
			s->guest_rss >= 0 ? "in RSS" : "touched");
	else
		fprintf(out, "%skvmini's own memory                    n/a\n",
			p);
	funlockfile(out);
	fflush(out);
	if (s->smaps_fd >= 0)
		close(s->smaps_fd);
	s->smaps_fd = -1;
}
