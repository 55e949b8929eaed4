/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC platform around the in-kernel irqchip: CMOS RTC (0x70/0x71),
 * i8042 (0x60/0x64, reset), the delay port 0x80, the ACPI PM1a block
 * (0x600-0x60b, poweroff) and the firmware tables (ACPI at 0xf0000, MP
 * table at 0xf8000, inside the e820-reserved 0xf0000-0xfffff).
 *
 * The monitor calls platform_setup() once in vm_create(), after the vCPUs
 * exist and the in-kernel irqchip (if any) was created, and
 * platform_teardown() in vm_destroy() before the buses are destroyed.
 *   - The i8042 here replaces vmm/devices/reset.c's port-0x64 device (do
 *     not register both: the second gets -EBUSY); 0xcf9 stays there.
 *   - With an in-kernel irqchip, IRQ 1, 8, 12 go out via KVM_IRQ_LINE and
 *     the GSI routing is set so GSI 0 (the PIT) reaches IOAPIC pin 2, as
 *     the MADT/MP table's IRQ0 -> INTIN2 override says.
 *   - The tables are written only with want_tables (a Linux guest with
 *     the irqchip: other images may use 0xf0000 themselves).
 *   - A guest reset (i8042) ends the run with status 0 (kvmini does not
 *     reboot); an ACPI S5 poweroff ends it with status 0.
 */
#ifndef KVMINI_VMM_PLATFORM_PLATFORM_H
#define KVMINI_VMM_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/platform/acpi.h"
#include "vmm/platform/i8042.h"
#include "vmm/platform/mptable.h"
#include "vmm/platform/port80.h"
#include "vmm/platform/rtc.h"

#define PLATFORM_ACPI_BASE 0xf0000ull
#define PLATFORM_ACPI_SIZE 0x8000ull
#define PLATFORM_MP_BASE   0xf8000ull
#define PLATFORM_MP_SIZE   0x8000ull

struct vm;

struct platform {
	struct vm *vm;
	struct rtc rtc;
	struct i8042 kbc;
	struct port80 port80;
	struct acpi_pm pm;
	bool tables; /* ACPI and MP tables were written */
	struct acpi_tables acpi;
	struct mptable_info mp;
	bool set_up;
};

/* 0 or -errno with a reason in err. Safe to call platform_teardown()
 * after a failure. */
int platform_setup(struct vm *vm, struct platform *p, bool want_tables,
		   char *err, size_t errlen);
void platform_teardown(struct platform *p);

/* The GSI routing platform_setup installs: PIC pins for GSI 0-15, IOAPIC
 * pin 2 for GSI 0, pin n for GSI 1 and 3-23. Returns the entry count
 * (<= max) written to e. */
struct kvm_irq_routing_entry;
unsigned platform_gsi_routing(struct kvm_irq_routing_entry *e, unsigned max);

#endif
