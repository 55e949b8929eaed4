// SPDX-License-Identifier: GPL-2.0
/* Intel MP table; see mptable.h (layouts: MP spec 1.4, chapter 4). */
#include <errno.h>

#include "vmm/platform/acpi.h"
#include "vmm/platform/mptable.h"
#include "vmm/platform/tables.h"

#define MPFP_LEN       16
#define MPC_HDR_LEN    44
#define MPC_SPEC_REV   4 /* 1.4 */
#define ISA_BUS_ID     0
#define MP_IRQ_CONFORM 0 /* polarity and trigger as the bus says */
#define MP_INT	       0
#define MP_NMI	       1
#define MP_EXTINT      3
#define CPU_SIGNATURE  0x00000600 /* family 6 */
#define CPU_FEATURES   0x00000201 /* CPUID.1:EDX FPU | APIC */

static size_t mpc_len(int ncpus)
{
	/* processors, bus, IOAPIC, 15 ISA interrupts, 2 local interrupts */
	return MPC_HDR_LEN + 20 * (size_t)ncpus + 8 + 8 + 15 * 8 + 2 * 8;
}

static uint8_t *intr_entry(uint8_t *e, uint8_t type, uint8_t irqtype,
			   uint8_t bus_irq, uint8_t dst_apic, uint8_t dst_pin)
{
	e[0] = type;
	e[1] = irqtype;
	tbl_put16(e + 2, MP_IRQ_CONFORM);
	e[4] = ISA_BUS_ID;
	e[5] = bus_irq;
	e[6] = dst_apic;
	e[7] = dst_pin;
	return e + 8;
}

int mptable_build(uint8_t *buf, uint64_t gpa, size_t len, int ncpus,
		  struct mptable_info *out)
{
	struct tbl_alloc a;
	long fp, mpc;
	uint8_t *t, *e;
	unsigned n = 0;

	if (!buf || !out || ncpus < 1 || ncpus > 254 || (gpa & 15) ||
	    gpa + len > 0x100000000ull)
		return -EINVAL;
	tbl_alloc_init(&a, buf, len);
	fp = tbl_alloc(&a, MPFP_LEN, 16);
	mpc = tbl_alloc(&a, mpc_len(ncpus), 16);
	if (fp < 0 || mpc < 0)
		return -ENOSPC;

	t = buf + mpc;
	e = t + MPC_HDR_LEN;
	for (int i = 0; i < ncpus; i++, n++, e += 20) {
		e[0] = MP_PROCESSOR;
		e[1] = i; /* local APIC id */
		e[2] = MPTABLE_APIC_VERSION;
		e[3] = 0x01 | (i == 0 ? 0x02 : 0); /* enabled, BSP */
		tbl_put32(e + 4, CPU_SIGNATURE);
		tbl_put32(e + 8, CPU_FEATURES);
	}
	e[0] = MP_BUS;
	e[1] = ISA_BUS_ID;
	memcpy(e + 2, "ISA   ", 6);
	e += 8, n++;
	e[0] = MP_IOAPIC;
	e[1] = ACPI_IOAPIC_ID;
	e[2] = MPTABLE_IOAPIC_VERSION;
	e[3] = 0x01; /* usable */
	tbl_put32(e + 4, ACPI_IOAPIC_ADDR);
	e += 8, n++;
	for (int irq = 0; irq < 16; irq++) {
		if (irq == 2) /* the cascade: no ISA device behind it */
			continue;
		e = intr_entry(e, MP_IOINTR, MP_INT, irq, ACPI_IOAPIC_ID,
			       irq == 0 ? 2 : irq);
		n++;
	}
	e = intr_entry(e, MP_LINTR, MP_EXTINT, 0, 0xff, 0);
	e = intr_entry(e, MP_LINTR, MP_NMI, 0, 0xff, 1);
	n += 2;

	memcpy(t, "PCMP", 4);
	tbl_put16(t + 4, mpc_len(ncpus));
	t[6] = MPC_SPEC_REV;
	memcpy(t + 8, "KVMINI  ", 8);	    /* OEM ID */
	memcpy(t + 16, "KVMINI PC   ", 12); /* product ID */
	tbl_put16(t + 34, n);
	tbl_put32(t + 36, ACPI_LAPIC_ADDR);
	t[7] = tbl_checksum(t, mpc_len(ncpus));

	t = buf + fp;
	memcpy(t, "_MP_", 4);
	tbl_put32(t + 4, gpa + mpc);
	t[8] = 1; /* length in 16-byte paragraphs */
	t[9] = MPC_SPEC_REV;
	/* feature byte 1 = 0: the configuration table is present;
	 * byte 2 bit 7 (IMCR) = 0: virtual wire mode. */
	t[10] = tbl_checksum(t, MPFP_LEN);

	out->mpfp = gpa + fp;
	out->config = gpa + mpc;
	out->entries = n;
	out->used = a.used;
	return 0;
}
