// SPDX-License-Identifier: MIT
/*
 * cpuid: the CPUID facts every backend must agree on.
 *
 * Deliberately NOT printed: vendor string (host KVM reports the host's,
 * AMD or Intel; our soft CPU is an Intel-style VMX part), family/model/
 * stepping, cache and topology leaves, the max leaf numbers, and feature
 * bits beyond the ones below — all of these legitimately differ per host
 * and CPU model. What IS printed is what a guest that runs our test suite
 * relies on, so any backend that runs the suite must report it:
 *   - leaf 0 answers with max basic leaf >= 1 and a 12-character vendor
 *     of printable ASCII, leaf 0x80000000 reaches 0x80000001;
 *   - leaf 1 EDX: FPU-independent integer features the guests use:
 *     PSE (exceptions32's 4 MiB pages), TSC, MSR (EFER), PAE (long mode
 *     paging), CX8 (isa: CMPXCHG8B), CMOV (isa);
 *   - leaf 0x80000001 EDX: LM (we run in long mode) and SYSCALL (cpl3);
 *   - leaf 1 EBX[31:24]: the initial APIC ID of the boot vCPU is 0.
 */
#include "rt.h"

static int failures;

static void fact(const char *what, int ok)
{
	rt_printf("%-40s %s\n", what, ok ? "yes" : "NO");
	if (!ok)
		failures++;
}

int main(void)
{
	uint32_t r[4];
	char vendor[13];

	cpuid(0, 0, r);
	uint32_t max_basic = r[0];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	int printable = 1;
	for (int i = 0; i < 12; i++)
		printable &= vendor[i] >= 0x20 && vendor[i] < 0x7f;

	rt_puts("cpuid: leaf 0\n");
	fact("max basic leaf >= 1", max_basic >= 1);
	fact("vendor is 12 printable characters", printable);

	cpuid(1, 0, r);
	rt_puts("cpuid: leaf 1\n");
	fact("EDX.PSE (bit 3)", r[3] >> 3 & 1);
	fact("EDX.TSC (bit 4)", r[3] >> 4 & 1);
	fact("EDX.MSR (bit 5)", r[3] >> 5 & 1);
	fact("EDX.PAE (bit 6)", r[3] >> 6 & 1);
	fact("EDX.CX8 (bit 8)", r[3] >> 8 & 1);
	fact("EDX.CMOV (bit 15)", r[3] >> 15 & 1);
	fact("EBX initial APIC id == 0", (r[1] >> 24) == 0);

	cpuid(0x80000000, 0, r);
	rt_puts("cpuid: leaf 0x80000001\n");
	int ext = r[0] >= 0x80000001 && r[0] < 0x8000ffff;
	fact("max extended leaf >= 0x80000001", ext);
	if (ext) {
		cpuid(0x80000001, 0, r);
		fact("EDX.SYSCALL (bit 11)", r[3] >> 11 & 1);
		fact("EDX.LM (bit 29)", r[3] >> 29 & 1);
	}
	if (failures)
		return 3;
	rt_puts("cpuid: all checks passed\n");
	return 0;
}
