// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/platform/acpi.c and mptable.c: the firmware tables, found and walked
 * the way a guest does (scan for the RSDP / "_MP_" on 16-byte boundaries,
 * follow the pointers, check every checksum).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/kvm.h>

#include "vmm/platform/acpi.h"
#include "vmm/platform/mptable.h"
#include "vmm/platform/platform.h"

#define BASE 0xf0000ull
#define SIZE 0x10000ull

static uint8_t region[SIZE];

static uint32_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The guest's view: a pointer for [gpa, gpa+len) inside the region. */
static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	assert_true(gpa >= BASE && gpa + len <= BASE + SIZE);
	return region + (gpa - BASE);
}

/* A system description table at gpa, with its signature and checksum. */
static const uint8_t *sdt(uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(gpa, 36);

	assert_memory_equal(t, sig, 4);
	assert_true(get32(t + 4) >= 36);
	t = at(gpa, get32(t + 4));
	assert_int_equal(sum(t, get32(t + 4)), 0);
	return t;
}

static uint64_t find_rsdp(void)
{
	for (uint64_t off = 0; off + 36 <= SIZE; off += 16)
		if (!memcmp(region + off, "RSD PTR ", 8) &&
		    sum(region + off, 20) == 0)
			return BASE + off;
	return 0;
}

struct parsed {
	const uint8_t *fadt, *madt, *dsdt, *facs;
	int lapics, ioapics, overrides, nmis;
	int irq0_gsi, sci_flags;
};

/* RSDP -> XSDT -> FADT (-> DSDT, FACS) and MADT; the RSDT must agree. */
static void parse_acpi(struct parsed *p)
{
	uint64_t rsdp = find_rsdp();
	const uint8_t *r, *x, *rs, *e, *end;
	int n;

	memset(p, 0, sizeof(*p));
	p->irq0_gsi = -1;
	assert_true(rsdp);
	r = at(rsdp, 36);
	assert_int_equal(r[15], 2);
	assert_int_equal(get32(r + 20), 36);
	assert_int_equal(sum(r, 36), 0);
	x = sdt(get64(r + 24), "XSDT");
	rs = sdt(get32(r + 16), "RSDT");
	n = (get32(x + 4) - 36) / 8;
	assert_int_equal(n, (get32(rs + 4) - 36) / 4);
	for (int i = 0; i < n; i++) {
		uint64_t a = get64(x + 36 + 8 * i);
		const uint8_t *t = at(a, 4);

		assert_int_equal(get32(rs + 36 + 4 * i), a);
		if (!memcmp(t, "FACP", 4))
			p->fadt = sdt(a, "FACP");
		else if (!memcmp(t, "APIC", 4))
			p->madt = sdt(a, "APIC");
	}
	assert_non_null(p->fadt);
	assert_non_null(p->madt);
	/* FADT -> DSDT and FACS, 32- and 64-bit pointers the same */
	assert_int_equal(get64(p->fadt + 140), get32(p->fadt + 40));
	assert_int_equal(get64(p->fadt + 132), 0); /* one FACS pointer */
	p->dsdt = sdt(get64(p->fadt + 140), "DSDT");
	p->facs = at(get32(p->fadt + 36), 64);
	assert_memory_equal(p->facs, "FACS", 4);
	assert_int_equal(get32(p->fadt + 36) % 64, 0);

	e = p->madt + 44;
	end = p->madt + get32(p->madt + 4);
	while (e < end) {
		assert_true(e[1] >= 2 && e + e[1] <= end);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], p->lapics); /* UID */
			assert_int_equal(e[3], p->lapics); /* APIC ID */
			assert_int_equal(get32(e + 4), 1);
			p->lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(get32(e + 4), 0xfec00000);
			assert_int_equal(get32(e + 8), 0);
			p->ioapics++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			if (e[3] == 0)
				p->irq0_gsi = get32(e + 4);
			if (e[3] == 9)
				p->sci_flags = get16(e + 8);
			p->overrides++;
			break;
		case 4:
			p->nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %d", e[0]);
		}
		e += e[1];
	}
	assert_ptr_equal(e, end);
}

static void test_acpi_chain(void **state)
{
	static const int counts[] = {1, 2, 3, 8, 64};

	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct acpi_tables t;
		struct parsed p;

		assert_int_equal(acpi_build(region, BASE, SIZE, counts[i], &t),
				 0);
		parse_acpi(&p);
		assert_int_equal(find_rsdp(), t.rsdp);
		assert_int_equal(p.lapics, counts[i]);
		assert_int_equal(p.ioapics, 1);
		assert_int_equal(p.overrides, 2);
		assert_int_equal(p.irq0_gsi, 2);
		assert_int_equal(p.sci_flags, 0x000d);
		assert_int_equal(p.nmis, 1);
		assert_int_equal(get32(p.madt + 36), 0xfee00000);
		assert_true(t.used <= SIZE);
	}
}

static void test_acpi_fadt_fields(void **state)
{
	struct acpi_tables t;
	struct parsed p;
	const uint8_t *f;

	assert_int_equal(acpi_build(region, BASE, SIZE, 2, &t), 0);
	parse_acpi(&p);
	f = p.fadt;
	assert_int_equal(f[8], 3);		/* revision */
	assert_int_equal(get32(f + 4), 244);	/* length */
	assert_int_equal(get16(f + 46), 9);	/* SCI */
	assert_int_equal(get32(f + 48), 0);	/* no SMI_CMD */
	assert_int_equal(get32(f + 56), 0x600); /* PM1a_EVT */
	assert_int_equal(get32(f + 64), 0x604); /* PM1a_CNT */
	assert_int_equal(get32(f + 76), 0x608); /* PM_TMR */
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(f[108], 0x32);		  /* century */
	assert_int_equal(get16(f + 109) & 2, 0);  /* no 8042 */
	assert_true(get32(f + 112) & (1u << 10)); /* reset register */
	assert_int_equal(f[116], 1);		  /* SystemIO */
	assert_int_equal(get64(f + 120), 0xcf9);
	assert_int_equal(f[128], 6);
	/* the X_ blocks match the 32-bit ones */
	assert_int_equal(f[148], 1);
	assert_int_equal(get64(f + 152), 0x600);
	assert_int_equal(f[149], 32);
	assert_int_equal(get64(f + 176), 0x604);
	assert_int_equal(f[173], 16);
	assert_int_equal(get64(f + 212), 0x608);
}

static void test_acpi_dsdt_s5(void **state)
{
	static const uint8_t s5[] = {0x08, 0x5c, 0x5f, 0x53, 0x35,
				     0x5f, 0x12, 0x08, 0x04, 0x0a,
				     0x05, 0x0a, 0x05, 0x00, 0x00};
	struct acpi_tables t;
	struct parsed p;

	assert_int_equal(acpi_build(region, BASE, SIZE, 1, &t), 0);
	parse_acpi(&p);
	assert_int_equal(p.dsdt[8], 2);
	assert_int_equal(get32(p.dsdt + 4), 36 + sizeof(s5));
	assert_memory_equal(p.dsdt + 36, s5, sizeof(s5));
	assert_int_equal(acpi_dsdt_aml_len, sizeof(s5));
	/* PkgLength counts itself, NumElements and the elements */
	assert_int_equal(s5[7], sizeof(s5) - 7);
}

/* Writes one table to dir/name.dat and disassembles it with iasl; returns
 * the .dsl text (static buffer) or fails. */
static const char *iasl_disassemble(const char *dir, const char *name,
				    const uint8_t *t, size_t len)
{
	static char text[65536];
	char path[512], cmd[1200];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(t, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && iasl -d '%s.dat' >/dev/null 2>&1", dir, name);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

/* ACPICA's own disassembler agrees with the tables (skipped without
 * Debian's acpica-tools). */
static void test_acpi_iasl(void **state)
{
	char dir[] = "/tmp/kvmini-acpi-XXXXXX", cmd[256];
	struct acpi_tables t;
	struct parsed p;
	const char *s;

	if (system("command -v iasl >/dev/null 2>&1"))
		skip();
	assert_int_equal(acpi_build(region, BASE, SIZE, 2, &t), 0);
	parse_acpi(&p);
	assert_non_null(mkdtemp(dir));
	s = iasl_disassemble(dir, "dsdt", p.dsdt, get32(p.dsdt + 4));
	assert_non_null(strstr(s, "Name (\\_S5, Package (0x04)"));
	assert_null(strstr(s, "Incorrect checksum"));
	s = iasl_disassemble(dir, "facp", p.fadt, get32(p.fadt + 4));
	assert_null(strstr(s, "Incorrect checksum"));
	assert_non_null(strstr(s, "PM1A Control Block Address : 00000604"));
	assert_non_null(strstr(s, "Reset Register Supported (V2) : 1"));
	s = iasl_disassemble(dir, "apic", p.madt, get32(p.madt + 4));
	assert_null(strstr(s, "Incorrect checksum"));
	assert_non_null(strstr(s, "[Interrupt Source Override]"));
	assert_non_null(strstr(s, "Local Apic ID : 01"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_acpi_bad_args(void **state)
{
	struct acpi_tables t;

	assert_int_equal(acpi_build(region, BASE, SIZE, 0, &t), -EINVAL);
	assert_int_equal(acpi_build(region, BASE + 4, SIZE, 1, &t), -EINVAL);
	assert_int_equal(acpi_build(region, BASE, 200, 1, &t), -ENOSPC);
	assert_int_equal(acpi_build(region, BASE, 0x400, 64, &t), -ENOSPC);
}

static uint64_t find_mpfp(void)
{
	for (uint64_t off = 0; off + 16 <= SIZE; off += 16)
		if (!memcmp(region + off, "_MP_", 4) &&
		    sum(region + off, 16 * region[off + 8]) == 0)
			return BASE + off;
	return 0;
}

static void test_mptable(void **state)
{
	static const int counts[] = {1, 2, 4, 64};

	for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		int ncpus = counts[c], cpus = 0, buses = 0, ioapics = 0;
		int ioints = 0, lints = 0, bsps = 0, pin_of[16];
		struct mptable_info info;
		const uint8_t *fp, *t, *e;
		uint64_t fpa;

		memset(region, 0, SIZE);
		assert_int_equal(mptable_build(region + 0x8000, BASE + 0x8000,
					       0x8000, ncpus, &info),
				 0);
		fpa = find_mpfp();
		assert_int_equal(fpa, info.mpfp);
		fp = at(fpa, 16);
		assert_int_equal(fp[9], 4);  /* spec 1.4 */
		assert_int_equal(fp[11], 0); /* config table present */
		t = at(get32(fp + 4), 44);
		assert_memory_equal(t, "PCMP", 4);
		t = at(get32(fp + 4), get16(t + 4));
		assert_int_equal(sum(t, get16(t + 4)), 0);
		assert_int_equal(t[6], 4);
		assert_int_equal(get32(t + 36), 0xfee00000);
		for (int i = 0; i < 16; i++)
			pin_of[i] = -1;
		e = t + 44;
		for (unsigned i = 0; i < get16(t + 34); i++) {
			switch (e[0]) {
			case MP_PROCESSOR:
				assert_int_equal(e[1], cpus);
				assert_true(e[3] & 1);
				bsps += !!(e[3] & 2);
				if (e[3] & 2)
					assert_int_equal(e[1], 0);
				cpus++;
				e += 20;
				break;
			case MP_BUS:
				assert_memory_equal(e + 2, "ISA   ", 6);
				buses++;
				e += 8;
				break;
			case MP_IOAPIC:
				assert_int_equal(get32(e + 4), 0xfec00000);
				assert_true(e[3] & 1);
				ioapics++;
				e += 8;
				break;
			case MP_IOINTR:
				assert_true(e[5] < 16);
				assert_int_equal(e[1], 0); /* INT */
				pin_of[e[5]] = e[7];
				ioints++;
				e += 8;
				break;
			case MP_LINTR:
				lints++;
				e += 8;
				break;
			default:
				fail_msg("MP entry type %d", e[0]);
			}
		}
		assert_ptr_equal(e, t + get16(t + 4));
		assert_int_equal(cpus, ncpus);
		assert_int_equal(bsps, 1);
		assert_int_equal(buses, 1);
		assert_int_equal(ioapics, 1);
		assert_int_equal(ioints, 15);
		assert_int_equal(lints, 2);
		assert_int_equal(pin_of[0], 2);
		assert_int_equal(pin_of[2], -1);
		for (int irq = 1; irq < 16; irq++)
			if (irq != 2)
				assert_int_equal(pin_of[irq], irq);
	}
}

static void test_mptable_bad_args(void **state)
{
	struct mptable_info info;

	assert_int_equal(mptable_build(region, BASE, SIZE, 0, &info), -EINVAL);
	assert_int_equal(mptable_build(region, BASE + 8, SIZE, 1, &info),
			 -EINVAL);
	assert_int_equal(mptable_build(region, BASE, 64, 1, &info), -ENOSPC);
}

static void test_gsi_routing(void **state)
{
	struct kvm_irq_routing_entry e[64];
	unsigned n = platform_gsi_routing(e, 64);
	int ioapic_pin[24], pic[16];

	for (int i = 0; i < 24; i++)
		ioapic_pin[i] = -1;
	for (int i = 0; i < 16; i++)
		pic[i] = -1;
	assert_int_equal(n, 16 + 23);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		assert_true(e[i].gsi < 24);
		if (e[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			assert_int_equal(ioapic_pin[e[i].gsi], -1);
			ioapic_pin[e[i].gsi] = e[i].u.irqchip.pin;
		} else {
			assert_true(e[i].gsi < 16);
			assert_int_equal(e[i].u.irqchip.irqchip,
					 e[i].gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
						      : KVM_IRQCHIP_PIC_SLAVE);
			pic[e[i].gsi] = e[i].u.irqchip.pin;
		}
	}
	assert_int_equal(ioapic_pin[0], 2); /* the PIT, as the MADT says */
	assert_int_equal(ioapic_pin[2], -1);
	assert_int_equal(ioapic_pin[4], 4);
	assert_int_equal(ioapic_pin[23], 23);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pic[i], i & 7);
	/* a short array is never overrun */
	assert_int_equal(platform_gsi_routing(e, 5), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acpi_chain),
	    cmocka_unit_test(test_acpi_fadt_fields),
	    cmocka_unit_test(test_acpi_dsdt_s5),
	    cmocka_unit_test(test_acpi_iasl),
	    cmocka_unit_test(test_acpi_bad_args),
	    cmocka_unit_test(test_mptable),
	    cmocka_unit_test(test_mptable_bad_args),
	    cmocka_unit_test(test_gsi_routing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
