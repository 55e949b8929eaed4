// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-cpu: long differential runs of random CPL3 instruction sequences,
 * natively and on cpu/x86. `make fuzz-cpu SEED=.. COUNT=.. CLASSES=..`.
 * Prints every divergence (disassembled case, initial state, both final
 * states, first diverging instruction); exits 1 if there was any.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/x86diff.h"
#include "tests/unit/x86diff_core.h"

#define MAX_UNIMPL 64

static struct {
	char msg[160];
	unsigned long n;
} unimpl[MAX_UNIMPL];
static unsigned nunimpl;

static void note_unimpl(const char *msg)
{
	/* "core: unimplemented 'x' at +off": group by mnemonic */
	char key[160];
	const char *at = strstr(msg, " at +");
	size_t n = at ? (size_t)(at - msg) : strlen(msg);

	snprintf(key, sizeof(key), "%.*s", (int)n, msg);
	for (unsigned i = 0; i < nunimpl; i++)
		if (!strcmp(unimpl[i].msg, key)) {
			unimpl[i].n++;
			return;
		}
	if (nunimpl < MAX_UNIMPL) {
		snprintf(unimpl[nunimpl].msg, sizeof(unimpl[0].msg), "%s", key);
		unimpl[nunimpl++].n = 1;
	}
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: fuzz_cpu [-s SEED] [-n COUNT] [-c CLASSES] [-m MAXINSNS]\n"
	    "                [-d MAXDIVERGENCES] [-f] [-q] [-F FSWMASK]\n"
	    "  CLASSES: comma list of all,alu,shift,muldiv,bit,string,cond,\n"
	    "           xchg,mov,convert,flags,stack,branch,extra,fault,smc,\n"
	    "           x87,sse,compat32 (default all)\n"
	    "  -f: also run the hand-assembled cases\n"
	    "  -F: x87 status-word bits not to compare (e.g. 0x2ff: the\n"
	    "      exception flags and C1)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 0;
	bool have_seed = false, fixed = false, quiet = false;
	unsigned long count = 10000, maxdiv = 20;
	unsigned maxg = 20;
	uint32_t classes = X86DIFF_ALL_CLASSES;
	unsigned long runs = 0, div = 0, bad = 0, unimp = 0;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:c:m:d:fqF:")) != -1) {
		switch (opt) {
		case 's':
			if (*optarg) {
				seed = strtoull(optarg, NULL, 0);
				have_seed = true;
			}
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			if (*optarg && x86diff_parse_classes(optarg, &classes))
				usage();
			break;
		case 'm':
			maxg = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'd':
			maxdiv = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			fixed = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'F':
			x86diff_fsw_ignore = (uint16_t)strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 40);
	}
	char why[200];
	uint32_t host = x86diff_host_classes(why, sizeof(why));

	if (classes & ~host) {
		printf("fuzz-cpu: this host cannot run natively: %s\n", why);
		classes &= host;
	}
	printf("fuzz-cpu: seed=%#" PRIx64 " count=%lu max-insns=%u classes=",
	       seed, count, maxg);
	for (unsigned k = 0; k < X86DIFF_C_COUNT; k++)
		if (classes & (1u << k))
			printf("%s%s", x86diff_class_name(k),
			       (classes >> (k + 1)) ? "," : "");
	printf("\n(reproduce: make fuzz-cpu SEED=%#" PRIx64 " COUNT=%lu)\n",
	       seed, count);
	fflush(stdout);

	struct x86diff_core *xc = x86diff_core_new();
	struct x86diff_case *c = malloc(sizeof(*c));

	if (!xc || !c) {
		fprintf(stderr, "fuzz-cpu: out of memory\n");
		return 2;
	}
	unsigned long total = count + (fixed ? x86diff_nr_fixed_cases : 0);

	for (unsigned long i = 0; i < total; i++) {
		char msg[160] = "";
		bool show = div < maxdiv;

		if (i < count)
			x86diff_gen(c, seed + i, classes, 1, maxg);
		else
			x86diff_from_bytes(c, &x86diff_fixed_cases[i - count],
					   seed + i);
		runs++;
		switch (x86diff_check(xc, c, show ? stdout : stderr, show, msg,
				      sizeof(msg))) {
		case X86DIFF_PASS:
			break;
		case X86DIFF_DIVERGE:
			div++;
			if (show)
				printf("(case seed %#" PRIx64 ")\n\n", c->seed);
			break;
		case X86DIFF_UNIMPL:
			unimp++;
			note_unimpl(msg);
			break;
		case X86DIFF_NATIVE_BAD:
			bad++;
			break;
		}
		if (!quiet && (i + 1) % 5000 == 0) {
			printf("... %lu cases, %lu divergences\n", i + 1, div);
			fflush(stdout);
		}
		fflush(stdout);
	}
	for (unsigned i = 0; i < nunimpl; i++)
		printf("unimplemented in the core: %s (%lu cases)\n",
		       unimpl[i].msg, unimpl[i].n);
	printf("fuzz-cpu: %lu cases, %lu passed, %lu divergences, %lu stopped "
	       "on unimplemented instructions, %lu bad cases\n",
	       runs, runs - div - unimp - bad, div, unimp, bad);
	x86diff_core_free(xc);
	free(c);
	return div || bad || unimp ? 1 : 0;
}
