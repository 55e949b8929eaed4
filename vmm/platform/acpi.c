// SPDX-License-Identifier: GPL-2.0
/* ACPI tables and the PM1a block; see acpi.h. Layouts: ACPI 6.x, 5.2. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vmm/platform/acpi.h"
#include "vmm/platform/tables.h"

#define HDR_LEN	      36
#define RSDP_LEN      36
#define FACS_LEN      64
#define FADT_LEN      244 /* revision 3 (ACPI 2.0) layout */
#define FADT_REVISION 3

/* FADT flags. */
#define FADT_WBINVD	   (1u << 0)
#define FADT_PROC_C1	   (1u << 2)
#define FADT_PWR_BUTTON	   (1u << 4) /* set: no fixed-feature button */
#define FADT_SLP_BUTTON	   (1u << 5)
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags. */
#define BOOT_LEGACY_DEVICES 0x0001

/*
 * Name (\_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
 * NameOp, root-prefixed NameSeg, PackageOp, PkgLength (8 = itself + count
 * + 6 bytes of elements), NumElements 4, BytePrefix 5 twice, ZeroOp twice.
 */
const uint8_t acpi_dsdt_aml[] = {
    0x08,
    '\\',
    '_',
    'S',
    '5',
    '_',
    0x12,
    0x08,
    0x04,
    0x0a,
    ACPI_SLP_TYP_S5,
    0x0a,
    ACPI_SLP_TYP_S5,
    0x00,
    0x00,
};
const size_t acpi_dsdt_aml_len = sizeof(acpi_dsdt_aml);

static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	tbl_put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, TBL_OEM_ID, 6);
	memcpy(t + 16, TBL_OEM_TABLE_ID, 8);
	memcpy(t + 16 + 4, sig, 4); /* "KVMI" + signature: unique per table */
	tbl_put32(t + 24, 1);	    /* OEM revision */
	memcpy(t + 28, TBL_CREATOR_ID, 4);
	tbl_put32(t + 32, 1);
}

static void sdt_finish(uint8_t *t)
{
	t[9] = 0;
	t[9] = tbl_checksum(t, tbl_get32(t + 4));
}

/* Generic Address Structure in system I/O space. */
static void gas_io(uint8_t *g, uint8_t bits, uint8_t access, uint64_t port)
{
	g[0] = 1; /* SystemIO */
	g[1] = bits;
	g[2] = 0;
	g[3] = access; /* 1 byte, 2 word, 3 dword */
	tbl_put64(g + 4, port);
}

static void build_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	sdt_header(t, "FACP", FADT_LEN, FADT_REVISION);
	tbl_put32(t + 36, facs);
	tbl_put32(t + 40, dsdt);
	t[45] = 0; /* preferred PM profile: unspecified */
	tbl_put16(t + 46, ACPI_SCI_IRQ);
	tbl_put32(t + 48, 0); /* no SMI_CMD: the machine is in ACPI mode */
	tbl_put32(t + 56, ACPI_PM_BASE + ACPI_PM1_STS);
	tbl_put32(t + 64, ACPI_PM_BASE + ACPI_PM1_CNT);
	tbl_put32(t + 76, ACPI_PM_BASE + ACPI_PM_TMR);
	t[88] = 4;		   /* PM1_EVT_LEN */
	t[89] = 2;		   /* PM1_CNT_LEN */
	t[91] = 4;		   /* PM_TMR_LEN */
	tbl_put16(t + 96, 0x0fff); /* C2 latency > 100: no C2 */
	tbl_put16(t + 98, 0x0fff); /* C3 latency > 1000: no C3 */
	t[108] = 0x32;		   /* RTC century register */
	tbl_put16(t + 109, BOOT_LEGACY_DEVICES);
	tbl_put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
			       FADT_SLP_BUTTON | FADT_RESET_REG_SUP);
	gas_io(t + 116, 8, 1, ACPI_RESET_PORT);
	t[128] = ACPI_RESET_VALUE;
	/* X_FIRMWARE_CTRL stays 0: the spec wants one FACS pointer, and
	 * Linux would list the table twice. X_DSDT takes precedence. */
	tbl_put64(t + 140, dsdt);
	gas_io(t + 148, 32, 2, ACPI_PM_BASE + ACPI_PM1_STS);
	gas_io(t + 172, 16, 2, ACPI_PM_BASE + ACPI_PM1_CNT);
	gas_io(t + 208, 32, 3, ACPI_PM_BASE + ACPI_PM_TMR);
	sdt_finish(t);
}

static size_t madt_len(int ncpus)
{
	return 44 + 8 * (size_t)ncpus + 12 + 2 * 10 + 6;
}

static void build_madt(uint8_t *t, int ncpus)
{
	uint8_t *e = t + 44;

	sdt_header(t, "APIC", madt_len(ncpus), 3);
	tbl_put32(t + 36, ACPI_LAPIC_ADDR);
	tbl_put32(t + 40, 1); /* PCAT_COMPAT: there are 8259s too */
	for (int i = 0; i < ncpus; i++, e += 8) {
		e[0] = 0; /* Processor Local APIC */
		e[1] = 8;
		e[2] = i;	     /* ACPI processor UID */
		e[3] = i;	     /* APIC ID = vCPU id */
		tbl_put32(e + 4, 1); /* enabled */
	}
	e[0] = 1; /* I/O APIC */
	e[1] = 12;
	e[2] = ACPI_IOAPIC_ID;
	e[3] = 0;
	tbl_put32(e + 4, ACPI_IOAPIC_ADDR);
	tbl_put32(e + 8, 0); /* GSI base */
	e += 12;
	/* Interrupt source overrides: bus 0 (ISA), source, GSI, flags. */
	e[0] = 2;
	e[1] = 10;
	e[2] = 0;
	e[3] = 0;	     /* IRQ 0, the PIT ... */
	tbl_put32(e + 4, 2); /* ... is IOAPIC pin 2 */
	tbl_put16(e + 8, 0); /* conforms to the bus: edge, high */
	e += 10;
	e[0] = 2;
	e[1] = 10;
	e[2] = 0;
	e[3] = ACPI_SCI_IRQ;
	tbl_put32(e + 4, ACPI_SCI_IRQ);
	tbl_put16(e + 8, 0x000d); /* active high (01), level (11 << 2) */
	e += 10;
	e[0] = 4; /* Local APIC NMI */
	e[1] = 6;
	e[2] = 0xff;		  /* all processors */
	tbl_put16(e + 3, 0x0005); /* active high, edge */
	e[5] = 1;		  /* LINT1 */
	sdt_finish(t);
}

int acpi_build(uint8_t *buf, uint64_t gpa, size_t len, int ncpus,
	       struct acpi_tables *out)
{
	struct tbl_alloc a;
	size_t dsdt_len = HDR_LEN + acpi_dsdt_aml_len;
	long rsdp, facs, rsdt, xsdt, dsdt, fadt, madt;
	uint8_t *t;

	if (!buf || !out || ncpus < 1 || ncpus > 255 || (gpa & 15) ||
	    gpa + len > 0x100000000ull)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	tbl_alloc_init(&a, buf, len);
	rsdp = tbl_alloc(&a, RSDP_LEN, 16);
	facs = tbl_alloc(&a, FACS_LEN, 64);
	dsdt = tbl_alloc(&a, dsdt_len, 16);
	fadt = tbl_alloc(&a, FADT_LEN, 16);
	madt = tbl_alloc(&a, madt_len(ncpus), 16);
	rsdt = tbl_alloc(&a, HDR_LEN + 2 * 4, 16);
	xsdt = tbl_alloc(&a, HDR_LEN + 2 * 8, 16);
	if (rsdp < 0 || facs < 0 || dsdt < 0 || fadt < 0 || madt < 0 ||
	    rsdt < 0 || xsdt < 0)
		return -ENOSPC;

	t = buf + facs;
	memcpy(t, "FACS", 4);
	tbl_put32(t + 4, FACS_LEN);
	t[32] = 2; /* version: ACPI 2.0+ layout */

	t = buf + dsdt;
	sdt_header(t, "DSDT", dsdt_len, 2);
	memcpy(t + HDR_LEN, acpi_dsdt_aml, acpi_dsdt_aml_len);
	sdt_finish(t);

	build_fadt(buf + fadt, gpa + facs, gpa + dsdt);
	build_madt(buf + madt, ncpus);

	t = buf + rsdt;
	sdt_header(t, "RSDT", HDR_LEN + 2 * 4, 1);
	tbl_put32(t + HDR_LEN, gpa + fadt);
	tbl_put32(t + HDR_LEN + 4, gpa + madt);
	sdt_finish(t);

	t = buf + xsdt;
	sdt_header(t, "XSDT", HDR_LEN + 2 * 8, 1);
	tbl_put64(t + HDR_LEN, gpa + fadt);
	tbl_put64(t + HDR_LEN + 8, gpa + madt);
	sdt_finish(t);

	t = buf + rsdp;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, TBL_OEM_ID, 6);
	t[15] = 2; /* revision 2: XSDT, length, extended checksum */
	tbl_put32(t + 16, gpa + rsdt);
	tbl_put32(t + 20, RSDP_LEN);
	tbl_put64(t + 24, gpa + xsdt);
	t[8] = tbl_checksum(t, 20);
	t[32] = tbl_checksum(t, RSDP_LEN);

	out->rsdp = gpa + rsdp;
	out->facs = gpa + facs;
	out->dsdt = gpa + dsdt;
	out->fadt = gpa + fadt;
	out->madt = gpa + madt;
	out->rsdt = gpa + rsdt;
	out->xsdt = gpa + xsdt;
	out->used = a.used;
	return 0;
}

/* ---- PM1a event/control block and PM timer -------------------------- */

static int64_t mono_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t pm_timer(struct acpi_pm *pm)
{
	uint64_t ns = (uint64_t)pm->now_ns(pm->clock_ctx);
	/* ns * f / 1e9 without overflow for centuries of uptime */
	uint64_t ticks = (ns / 1000000000) * ACPI_PM_TMR_HZ +
			 (ns % 1000000000) * ACPI_PM_TMR_HZ / 1000000000;

	return ticks & 0xffffff;
}

/* The block as bytes: STS, EN, CNT, 2 reserved, TMR. */
static void pm_image(struct acpi_pm *pm, uint8_t img[ACPI_PM_LEN])
{
	memset(img, 0, ACPI_PM_LEN);
	tbl_put16(img + ACPI_PM1_STS, pm->sts);
	tbl_put16(img + ACPI_PM1_EN, pm->en);
	/* SLP_EN is write-only; SCI_EN reads 1: there is no legacy mode. */
	tbl_put16(img + ACPI_PM1_CNT,
		  (pm->cnt & ~ACPI_CNT_SLP_EN) | ACPI_CNT_SCI_EN);
	tbl_put32(img + ACPI_PM_TMR, pm_timer(pm));
}

static void pm_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	uint8_t img[ACPI_PM_LEN];

	pm_image(o, img);
	for (unsigned i = 0; i < size; i++)
		d[i] = off + i < ACPI_PM_LEN ? img[off + i] : 0xff;
}

static void pm_write(void *o, uint64_t off, const uint8_t *d, unsigned size)
{
	struct acpi_pm *pm = o;
	bool cnt_written = false;

	for (unsigned i = 0; i < size; i++) {
		uint64_t b = off + i;
		unsigned shift = 8 * (b & 1);

		if (b < ACPI_PM1_EN)
			pm->sts &=
			    ~((uint16_t)d[i] << shift); /* write-1-clear */
		else if (b < ACPI_PM1_CNT)
			pm->en = (pm->en & ~(0xff << shift)) | d[i] << shift;
		else if (b < ACPI_PM1_CNT + 2) {
			pm->cnt = (pm->cnt & ~(0xff << shift)) | d[i] << shift;
			cnt_written = true;
		}
		/* the timer and the reserved bytes are read-only */
	}
	if (cnt_written && (pm->cnt & ACPI_CNT_SLP_EN)) {
		unsigned typ = (pm->cnt >> 10) & 7;

		pm->cnt &= ~ACPI_CNT_SLP_EN;
		/* Only S5 is offered (\_S5 in the DSDT); others are ignored. */
		if (typ == ACPI_SLP_TYP_S5 && pm->poweroff)
			pm->poweroff(pm->ctx);
	}
}

void acpi_pm_init(struct acpi_pm *pm, void (*poweroff)(void *ctx), void *ctx,
		  int64_t (*now_ns)(void *ctx), void *clock_ctx)
{
	memset(pm, 0, sizeof(*pm));
	pm->poweroff = poweroff;
	pm->ctx = ctx;
	pm->now_ns = now_ns ? now_ns : mono_ns;
	pm->clock_ctx = clock_ctx;
	pm->cnt = ACPI_CNT_SCI_EN;
	pm->dev = (struct io_device){.name = "acpi-pm",
				     .base = ACPI_PM_BASE,
				     .len = ACPI_PM_LEN,
				     .opaque = pm,
				     .read = pm_read,
				     .write = pm_write};
}
