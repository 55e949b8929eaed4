// SPDX-License-Identifier: MIT
/*
 * Diagnostic counters for bench/profile/exit-stats.sh. NOT part of the
 * kvmini build: exit-stats.sh copies the tree to a scratch directory, adds
 * this file as tools/prof_counters.c and inserts PROF_* increments into
 * cpu/, kvm/ (see exit-stats.sh), then builds that copy. Every second a
 * thread writes the cumulative counters to $KVMINI_PROF (one line per
 * second) and the full tables to $KVMINI_PROF.final.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

uint64_t prof_exits[80], prof_io[65536][2], prof_halt_ns, prof_halt_waits;
uint64_t prof_decodes, prof_tlb_slow, prof_walks, prof_runs, prof_fetch_miss;
uint64_t *prof_insns_p;
/* guest RIP sampling: the core publishes its x86_state's rip address */
volatile uint64_t *prof_rip_p;
#define RIP_SLOTS 65536
static struct {
	uint64_t rip, n;
} rips[RIP_SLOTS];

static void rip_note(uint64_t rip)
{
	uint32_t h = (uint32_t)((rip * 0x9e3779b97f4a7c15ull) >> 48);
	for (int k = 0; k < 64; k++) {
		uint32_t i = (h + k) & (RIP_SLOTS - 1);
		if (rips[i].rip == rip || !rips[i].n) {
			rips[i].rip = rip;
			rips[i].n++;
			return;
		}
	}
}

/* 1 kHz sampler of the guest RIP (racy by design: a diagnostic). */
static void *rip_sampler(void *arg)
{
	const char *path = arg;
	char out[4096];
	unsigned tick = 0;

	snprintf(out, sizeof(out), "%s.rips", path);
	for (;;) {
		usleep(1000);
		if (prof_rip_p)
			rip_note(*prof_rip_p);
		if (++tick % 500)
			continue;
		FILE *g = fopen(out, "w");
		if (!g)
			continue;
		for (int i = 0; i < RIP_SLOTS; i++)
			if (rips[i].n)
				fprintf(g, "%llx %llu\n",
					(unsigned long long)rips[i].rip,
					(unsigned long long)rips[i].n);
		fclose(g);
	}
	return NULL;
}
struct prof_page {
	uint64_t page, n;
} prof_mmio[64];

void prof_mmio_note(uint64_t gpa)
{
	uint64_t pg = gpa >> 12;
	for (int i = 0; i < 64; i++) {
		if (prof_mmio[i].page == pg || !prof_mmio[i].n) {
			prof_mmio[i].page = pg;
			prof_mmio[i].n++;
			return;
		}
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *const names[80] = {[0] = "EXCEPTION_NMI",
				      [1] = "EXTERNAL_INTERRUPT",
				      [7] = "INTERRUPT_WINDOW",
				      [10] = "CPUID",
				      [12] = "HLT",
				      [14] = "INVLPG",
				      [16] = "RDTSC",
				      [28] = "CR_ACCESS",
				      [30] = "IO_INSTRUCTION",
				      [31] = "MSR_READ",
				      [32] = "MSR_WRITE",
				      [40] = "PAUSE",
				      [48] = "EPT_VIOLATION",
				      [49] = "EPT_MISCONFIG",
				      [52] = "PREEMPTION_TIMER",
				      [54] = "WBINVD"};

static void *dumper(void *arg)
{
	const char *path = arg;
	char fin[4096];
	uint64_t t0 = mono_ns();
	FILE *f = fopen(path, "w");

	if (!f)
		return NULL;
	snprintf(fin, sizeof(fin), "%s.final", path);
	fprintf(f, "# t_s insns exits io hlt_exits halt_ms decodes tlb_slow "
		   "walks runs fetch_miss\n");
	for (;;) {
		usleep(250000);
		uint64_t io = prof_exits[30], ex = 0;
		for (int i = 0; i < 80; i++)
			ex += prof_exits[i];
		fprintf(
		    f,
		    "%.2f %llu %llu %llu %llu %.1f %llu %llu %llu %llu %llu\n",
		    (mono_ns() - t0) / 1e9,
		    (unsigned long long)(prof_insns_p ? *prof_insns_p : 0),
		    (unsigned long long)ex, (unsigned long long)io,
		    (unsigned long long)prof_exits[12], prof_halt_ns / 1e6,
		    (unsigned long long)prof_decodes,
		    (unsigned long long)prof_tlb_slow,
		    (unsigned long long)prof_walks,
		    (unsigned long long)prof_runs,
		    (unsigned long long)prof_fetch_miss);
		fflush(f);
		FILE *g = fopen(fin, "w");
		if (!g)
			continue;
		fprintf(g, "halt_waits %llu halt_ms %.1f\n",
			(unsigned long long)prof_halt_waits,
			prof_halt_ns / 1e6);
		for (int i = 0; i < 80; i++)
			if (prof_exits[i])
				fprintf(g, "exit %d %s %llu\n", i,
					names[i] ? names[i] : "?",
					(unsigned long long)prof_exits[i]);
		for (int p = 0; p < 65536; p++)
			for (int d = 0; d < 2; d++)
				if (prof_io[p][d])
					fprintf(
					    g, "io %#x %s %llu\n", p,
					    d ? "in" : "out",
					    (unsigned long long)prof_io[p][d]);
		for (int i = 0; i < 64; i++)
			if (prof_mmio[i].n)
				fprintf(g, "mmio %#llx %llu\n",
					(unsigned long long)prof_mmio[i].page
					    << 12,
					(unsigned long long)prof_mmio[i].n);
		fclose(g);
	}
	return NULL;
}

__attribute__((constructor)) static void prof_start(void)
{
	const char *p = getenv("KVMINI_PROF");
	pthread_t t;

	if (p && pthread_create(&t, NULL, dumper, (void *)p) == 0)
		pthread_detach(t);
	if (p && pthread_create(&t, NULL, rip_sampler, (void *)p) == 0)
		pthread_detach(t);
}
