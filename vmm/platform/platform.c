// SPDX-License-Identifier: GPL-2.0
/* Installs the platform devices and tables into a VM; see platform.h. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/exit_status.h"
#include "vmm/platform/platform.h"
#include "vmm/vm.h"

#define NR_IOAPIC_PINS 24

static void platform_irq(void *ctx, int irq, int level)
{
	struct platform *p = ctx;
	struct kvm_irq_level l = {.irq = irq, .level = level};

	vmm_ioctl(p->vm->b, p->vm->fd, KVM_IRQ_LINE, &l);
}

static void platform_reset(void *ctx, const char *how)
{
	struct platform *p = ctx;

	fprintf(stderr,
		"kvmini: guest asked for a reset (%s); kvmini does not "
		"reboot, stopping\n",
		how);
	vm_request_stop(p->vm, VMM_EXIT_OK);
}

static void platform_poweroff(void *ctx)
{
	struct platform *p = ctx;

	if (p->vm->cfg.trace)
		fprintf(stderr, "kvmini: trace: ACPI S5 poweroff\n");
	vm_request_stop(p->vm, VMM_EXIT_OK);
}

unsigned platform_gsi_routing(struct kvm_irq_routing_entry *e, unsigned max)
{
	unsigned n = 0;

#define ROUTE(g, chip, p)                                                      \
	do {                                                                   \
		if (n < max) {                                                 \
			memset(&e[n], 0, sizeof(e[n]));                        \
			e[n].gsi = (g);                                        \
			e[n].type = KVM_IRQ_ROUTING_IRQCHIP;                   \
			e[n].u.irqchip.irqchip = (chip);                       \
			e[n].u.irqchip.pin = (p);                              \
		}                                                              \
		n++;                                                           \
	} while (0)
	for (unsigned gsi = 0; gsi < 16; gsi++)
		ROUTE(gsi,
		      gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
		      gsi & 7);
	/* ISA IRQ 0 is wired to IOAPIC pin 2 (the MADT override); pin 0
	 * carries the 8259's INTR, so nothing routes GSI 2 to the IOAPIC. */
	for (unsigned gsi = 0; gsi < NR_IOAPIC_PINS; gsi++)
		if (gsi != 2)
			ROUTE(gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
#undef ROUTE
	return n < max ? n : max;
}

static int platform_set_routing(struct platform *p, char *err, size_t errlen)
{
	struct vm *vm = p->vm;
	struct kvm_irq_routing *r;
	unsigned n;
	int ret;

	r = calloc(1, sizeof(*r) + 64 * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	n = platform_gsi_routing(r->entries, 64);
	r->nr = n;
	ret = vmm_ioctl(vm->b, vm->fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	if (ret < 0)
		snprintf(err, errlen, "backend %s: KVM_SET_GSI_ROUTING: %s",
			 vm->b->name, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int platform_write_tables(struct platform *p, char *err, size_t errlen)
{
	struct vm *vm = p->vm;
	uint8_t *acpi =
	    gm_ptr(&vm->mem, PLATFORM_ACPI_BASE, PLATFORM_ACPI_SIZE);
	uint8_t *mp = gm_ptr(&vm->mem, PLATFORM_MP_BASE, PLATFORM_MP_SIZE);
	int r;

	if (!acpi || !mp) {
		snprintf(err, errlen,
			 "guest RAM does not cover 0xf0000-0xfffff for the "
			 "ACPI and MP tables");
		return -ENOSPC;
	}
	r = acpi_build(acpi, PLATFORM_ACPI_BASE, PLATFORM_ACPI_SIZE,
		       vm->nr_vcpus, &p->acpi);
	if (r == 0)
		r = mptable_build(mp, PLATFORM_MP_BASE, PLATFORM_MP_SIZE,
				  vm->nr_vcpus, &p->mp);
	if (r < 0) {
		snprintf(err, errlen,
			 "cannot build ACPI/MP tables for %d "
			 "vCPUs: %s",
			 vm->nr_vcpus, strerror(-r));
		return r;
	}
	p->tables = true;
	return 0;
}

int platform_setup(struct vm *vm, struct platform *p, bool want_tables,
		   char *err, size_t errlen)
{
	struct io_device *devs[] = {&p->rtc.dev, &p->kbc.data_dev,
				    &p->kbc.cmd_dev, &p->port80.dev,
				    &p->pm.dev};
	int r;

	memset(p, 0, sizeof(*p));
	p->vm = vm;
	rtc_init(&p->rtc, vm->mem.ram_size, gm_low_end(&vm->mem), vm->nr_vcpus,
		 NULL, NULL);
	i8042_init(&p->kbc, platform_reset, p);
	port80_init(&p->port80);
	acpi_pm_init(&p->pm, platform_poweroff, p, NULL, NULL);
	if (vm->irqchip) {
		p->rtc.set_irq = platform_irq;
		p->rtc.irq_ctx = p;
		p->kbc.set_irq = platform_irq;
		p->kbc.irq_ctx = p;
	}
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		r = iobus_register(&vm->pio, devs[i]);
		if (r < 0) {
			snprintf(
			    err, errlen, "cannot register %s at port %#llx: %s",
			    devs[i]->name, (unsigned long long)devs[i]->base,
			    strerror(-r));
			return r;
		}
	}
	p->set_up = true;
	if (vm->irqchip) {
		r = platform_set_routing(p, err, errlen);
		if (r < 0)
			return r;
		/* Interrupts need a clock of their own; polling does not. */
		r = rtc_start(&p->rtc, &vm->pio.lock);
		if (r < 0) {
			snprintf(err, errlen, "cannot start the RTC thread: %s",
				 strerror(-r));
			return r;
		}
	}
	if (want_tables)
		return platform_write_tables(p, err, errlen);
	return 0;
}

void platform_teardown(struct platform *p)
{
	if (!p->set_up)
		return;
	rtc_stop(&p->rtc);
	p->set_up = false;
}
