// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/platform inside a real VM on the soft backend: vm_create() installs
 * the devices, the GSI routing and the tables in guest RAM; a real-mode
 * guest reads the CMOS clock and powers off through ACPI PM1a_CNT, which
 * ends vm_run() with status 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/backend.h"
#include "vmm/platform/platform.h"
#include "vmm/vm.h"

static int make_vm(struct vmm_backend *b, struct vm *vm, int ncpus,
		   bool irqchip)
{
	struct vm_config cfg = {.ram_size = 16ull << 20,
				.nr_vcpus = ncpus,
				.console_out = -1,
				.console_in = -1,
				.irqchip = irqchip};
	struct guest_mem gm;
	char err[256];
	int r;

	r = vmm_backend_open(b, VMM_BACKEND_SOFT, NULL, err, sizeof(err));
	if (r < 0)
		fail_msg("soft backend: %s", err);
	assert_int_equal(gm_alloc(&gm, cfg.ram_size), 0);
	r = vm_create(vm, b, &cfg, &gm, err, sizeof(err));
	if (r < 0)
		fail_msg("vm_create: %s", err);
	return r;
}

static void test_platform_in_vm(void **state)
{
	struct vmm_backend b;
	struct vm vm;
	const uint8_t *rsdp, *madt;
	uint8_t d = 0;
	int lapics = 0;

	make_vm(&b, &vm, 3, true);
	assert_true(vm.irqchip);
	assert_true(vm.platform.tables);
	rsdp = gm_ptr(&vm.mem, vm.platform.acpi.rsdp, 36);
	assert_non_null(rsdp);
	assert_int_equal(vm.platform.acpi.rsdp, PLATFORM_ACPI_BASE);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	madt = gm_ptr(&vm.mem, vm.platform.acpi.madt, 44);
	assert_memory_equal(madt, "APIC", 4);
	for (unsigned off = 44; off < madt[4]; off += madt[off + 1])
		lapics += madt[off] == 0;
	assert_int_equal(lapics, 3);
	assert_memory_equal(gm_ptr(&vm.mem, vm.platform.mp.mpfp, 4), "_MP_", 4);
	/* the ports are the platform's */
	d = RTC_REG_D;
	assert_true(iobus_write(&vm.pio, 0x70, &d, 1));
	assert_true(iobus_read(&vm.pio, 0x71, &d, 1));
	assert_int_equal(d, RTC_D_VRT);
	assert_true(iobus_read(&vm.pio, 0x80, &d, 1));
	assert_true(iobus_read(&vm.pio, 0x608, &d, 1));
	/* an i8042 reset ends the run with status 0 */
	assert_false(vm_stopping(&vm));
	d = 0xfe;
	assert_true(iobus_write(&vm.pio, 0x64, &d, 1));
	assert_true(vm_stopping(&vm));
	assert_int_equal(vm.status, 0);
	vm_destroy(&vm);
	vmm_backend_close(&b);
}

static void test_guest_acpi_poweroff(void **state)
{
	/* real mode at 0x7c00: read the CMOS seconds, then S5 via PM1a_CNT */
	static const uint8_t code[] = {
	    0xb0, 0x00,	      /* mov al, 0 (seconds) */
	    0xe6, 0x70,	      /* out 0x70, al */
	    0xe4, 0x71,	      /* in al, 0x71 */
	    0xba, 0x04, 0x06, /* mov dx, 0x604 */
	    0xb8, 0x00, 0x34, /* mov ax, SLP_TYP(5) | SLP_EN */
	    0xef,	      /* out dx, ax */
	    0xf4,	      /* hlt */
	    0xeb, 0xfd,	      /* jmp hlt */
	};
	struct boot_state bs = {.format = "flat",
				.mode = BOOT_REAL16,
				.rip = 0x7c00,
				.rsp = 0x7000};
	struct vmm_backend b;
	struct vm vm;
	char err[256];

	make_vm(&b, &vm, 1, false);
	assert_false(vm.platform.tables); /* no irqchip asked: no tables */
	memcpy(gm_ptr(&vm.mem, 0x7c00, sizeof(code)), code, sizeof(code));
	if (vm_set_boot_state(&vm, &bs, err, sizeof(err)))
		fail_msg("boot state: %s", err);
	assert_int_equal(vm_run(&vm), 0);
	assert_int_equal((vm.platform.pm.cnt >> 10) & 7, ACPI_SLP_TYP_S5);
	vm_destroy(&vm);
	vmm_backend_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_platform_in_vm),
	    cmocka_unit_test(test_guest_acpi_poweroff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
