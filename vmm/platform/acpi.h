/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables for the guest (RSDP rev 2 -> XSDT/RSDT -> FADT (-> FACS,
 * DSDT) and MADT) and the PM1a event/control block + PM timer the FADT
 * points at, emulated at ports ACPI_PM_BASE..+11.
 *
 * MADT: one enabled Processor Local APIC per vCPU (UID = APIC ID = vCPU
 * index), the IOAPIC (id 0, 0xfec00000, GSI base 0), interrupt source
 * overrides ISA IRQ 0 -> GSI 2 (the PIT on IOAPIC pin 2, like a PC: the
 * monitor must route GSI 0 to IOAPIC pin 2, see platform.c) and IRQ 9 ->
 * GSI 9 level/active-high (the SCI), and LINT1 = NMI on every CPU.
 * DSDT: just \_S5 = Package {5, 5, 0, 0}, so Linux's poweroff writes
 * SLP_TYP=5 | SLP_EN to PM1a_CNT, which calls poweroff().
 * FADT: SCI 9, no SMI command port (always in ACPI mode), PM1a blocks,
 * 24-bit PM timer, RTC century index 0x32, reset register 0xcf9 <- 6,
 * boot flags: legacy devices, no 8042 (nothing is plugged into it).
 */
#ifndef KVMINI_VMM_PLATFORM_ACPI_H
#define KVMINI_VMM_PLATFORM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/iobus.h"

#define ACPI_PM_BASE	    0x600
#define ACPI_PM_LEN	    12
#define ACPI_PM1_STS	    0x0 /* 16-bit, write 1 to clear */
#define ACPI_PM1_EN	    0x2 /* 16-bit */
#define ACPI_PM1_CNT	    0x4 /* 16-bit */
#define ACPI_PM_TMR	    0x8 /* 32-bit, 24 bits count at 3.579545 MHz */
#define ACPI_PM_TMR_HZ	    3579545ull
#define ACPI_SCI_IRQ	    9
#define ACPI_SLP_TYP_S5	    5
#define ACPI_CNT_SCI_EN	    0x0001
#define ACPI_CNT_SLP_TYP(x) (((x)&7) << 10)
#define ACPI_CNT_SLP_EN	    0x2000
#define ACPI_LAPIC_ADDR	    0xfee00000u
#define ACPI_IOAPIC_ADDR    0xfec00000u
#define ACPI_IOAPIC_ID	    0
#define ACPI_RESET_PORT	    0xcf9
#define ACPI_RESET_VALUE    0x06

/* Where each table went (guest-physical). */
struct acpi_tables {
	uint64_t rsdp, rsdt, xsdt, fadt, facs, dsdt, madt;
	size_t used; /* bytes of buf used */
};

/*
 * Builds the tables in buf, which the guest sees at gpa (16-byte aligned,
 * below 4 GiB). 0, or -EINVAL (bad arguments) / -ENOSPC (len too small).
 */
int acpi_build(uint8_t *buf, uint64_t gpa, size_t len, int ncpus,
	       struct acpi_tables *out);

/* The DSDT's AML body (after the 36-byte header), for tests. */
extern const uint8_t acpi_dsdt_aml[];
extern const size_t acpi_dsdt_aml_len;

/* The PM1a event/control block and PM timer. */
struct acpi_pm {
	struct io_device dev;
	uint16_t sts, en, cnt;
	int64_t (*now_ns)(void *ctx); /* monotonic; NULL = CLOCK_MONOTONIC */
	void *clock_ctx;
	void (*poweroff)(void *ctx); /* SLP_TYP=S5 with SLP_EN */
	void *ctx;
};

void acpi_pm_init(struct acpi_pm *pm, void (*poweroff)(void *ctx), void *ctx,
		  int64_t (*now_ns)(void *ctx), void *clock_ctx);

#endif
