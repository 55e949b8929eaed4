/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel MultiProcessor Specification 1.4 table: the floating pointer
 * ("_MP_", found by scanning 0xf0000-0xfffff) and the configuration table
 * ("PCMP") it points at, with one processor entry per vCPU (APIC ID = index,
 * CPU 0 the bootstrap processor), an ISA bus, the IOAPIC (id 0 at
 * 0xfec00000), I/O interrupt entries for ISA IRQs 0-15 (IRQ 0 -> INTIN 2,
 * IRQ 2 the cascade has none, the others -> the same pin), and the local
 * interrupts: ExtINT on LINT0 and NMI on LINT1 of every CPU. Linux uses it
 * when there is no ACPI (acpi=off).
 */
#ifndef KVMINI_VMM_PLATFORM_MPTABLE_H
#define KVMINI_VMM_PLATFORM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_APIC_VERSION   0x14 /* integrated xAPIC, as KVM's LAPIC */
#define MPTABLE_IOAPIC_VERSION 0x11 /* 82093AA, as KVM's IOAPIC */

/* Entry types and sizes of the base table. */
#define MP_PROCESSOR 0 /* 20 bytes */
#define MP_BUS	     1 /* 8 */
#define MP_IOAPIC    2 /* 8 */
#define MP_IOINTR    3 /* 8 */
#define MP_LINTR     4 /* 8 */

struct mptable_info {
	uint64_t mpfp;	 /* floating pointer (guest-physical) */
	uint64_t config; /* configuration table */
	unsigned entries;
	size_t used; /* bytes of buf used */
};

/*
 * Builds the table in buf, seen by the guest at gpa (16-byte aligned, below
 * 4 GiB; the floating pointer comes first). 0, -EINVAL or -ENOSPC.
 */
int mptable_build(uint8_t *buf, uint64_t gpa, size_t len, int ncpus,
		  struct mptable_info *out);

#endif
