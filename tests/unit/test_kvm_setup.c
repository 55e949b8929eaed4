// SPDX-License-Identifier: GPL-2.0
/*
 * The init chain through CPU models: every branch of hardware_setup, the
 * -EIO of a missing required control, -EOPNOTSUPP without VMX, unwinding
 * of alloc_kvm_area failures at every CPU, a second vendor refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>
#include <linux/kvm.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/slab.h"
#include "kvm/smp.h"
#include "kvm/x86/vmx/vmx.h"

static char err[256];

static int load(const char *model)
{
	err[0] = 0;
	return softkvm_load(model, err, sizeof(err));
}

static void unload_clean(void)
{
	softkvm_unload();
	assert_int_equal(kvm_pages_live(), 0);
	assert_null(kvm_x86_ops);
}

static void test_default(void **state)
{
	assert_int_equal(load("default"), 0);
	assert_true(enable_ept);
	assert_true(enable_vpid);
	assert_true(enable_unrestricted_guest);
	assert_false(efer_reserved_bits & (1ull << 11)); /* NX allowed */
	assert_int_equal(vmcs_config.size, 4096);
	assert_true(vmcs_config.revision_id != 0);
	assert_true(vmcs_config.cpu_based_exec_ctrl &
		    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	assert_true(num_msrs_to_save > 0);
	assert_true(tsc_khz > 0);
	for (int c = 0; c < nr_cpu_ids; c++) {
		assert_non_null(vmxarea[c]);
		assert_int_equal(((uintptr_t)vmxarea[c]) & 4095, 0);
		assert_int_equal(vmxarea[c]->hdr.revision_id,
				 vmcs_config.revision_id);
	}
	assert_non_null(kvm_report_find("alloc_kvm_area"));
	assert_non_null(kvm_report_value("tsc_khz"));
	/* /dev/kvm registered. */
	int fd = softkvm_open();
	assert_true(fd >= 0);
	assert_int_equal(softkvm_close(fd), 0);
	unload_clean();
	/* After unload, /dev/kvm is gone. */
	assert_int_equal(softkvm_open(), -ENODEV);
}

/* IA32_VMX_BASIC[55] clear: the plain control MSRs are read and their
 * default-1 bits stay forced; with it set the TRUE MSRs are used. */
static void test_true_ctls(void **state)
{
	uint32_t with_true_must1;

	assert_int_equal(load("default"), 0);
	assert_true(vmcs_config.true_ctls);
	with_true_must1 = vmcs_config.cpu_must1;
	unload_clean();
	assert_int_equal(load("default,-true-ctls"), 0);
	assert_false(vmcs_config.true_ctls);
	/* Primary default-1 set of the non-TRUE MSR (SDM A.3.2). */
	assert_int_equal(vmcs_config.cpu_must1 & 0x0401e172, 0x0401e172);
	assert_true((vmcs_config.cpu_must1 & ~with_true_must1) != 0);
	assert_non_null(strstr(kvm_report_value("IA32_VMX_BASIC"), "no TRUE"));
	unload_clean();
}

static void test_no_vpid(void **state)
{
	assert_int_equal(load("default,-vpid"), 0);
	assert_false(enable_vpid);
	assert_true(enable_ept);
	unload_clean();
}

static void check_no_ept(const char *model)
{
	int fd, vm;

	assert_int_equal(load(model), 0);
	assert_false(enable_ept);
	assert_false(enable_unrestricted_guest);
	assert_true(enable_vpid);
	/* VMs still work: shadow paging instead of EPT. */
	fd = softkvm_open();
	vm = softkvm_ioctl(fd, KVM_CREATE_VM, 0);
	assert_true(vm >= 0);
	assert_true(softkvm_ioctl(vm, KVM_CREATE_VCPU, 0) >= 0);
	softkvm_close(fd);
	unload_clean();
}

static void test_no_ept(void **state)
{
	check_no_ept("default,-ept");
}

static void test_no_ept_4level(void **state)
{
	check_no_ept("default,-ept-4level");
	assert_non_null(kvm_report_value("enable_ept"));
	assert_non_null(strstr(kvm_report_value("enable_ept"), "4-level"));
}

static void test_no_ug(void **state)
{
	assert_int_equal(load("default,-unrestricted-guest"), 0);
	assert_true(enable_ept);
	assert_false(enable_unrestricted_guest);
	unload_clean();
}

static void test_no_nx(void **state)
{
	assert_int_equal(load("default,-nx"), 0);
	assert_true(efer_reserved_bits & (1ull << 11));
	assert_true(enable_ept);
	unload_clean();
	/* Without EPT shadow paging would need NX: refused like 6.x KVM. */
	kvm_quiet = true;
	assert_int_equal(load("default,-nx,-ept"), -EOPNOTSUPP);
	kvm_quiet = false;
	assert_int_equal(kvm_pages_live(), 0);
}

static void test_missing_required_control(void **state)
{
	struct cpu_model m;
	char e[128];

	if (cpu_model_parse("default,-uncond-io", &m, e, sizeof(e))) {
		/* (cmocka's skip() reads as "not ok" in TAP) */
		printf("# no uncond-io switch in this cpu/: not checked\n");
		return;
	}
	kvm_quiet = true;
	assert_int_equal(load("default,-uncond-io"), -EIO);
	kvm_quiet = false;
	assert_non_null(strstr(err, "UNCOND_IO_EXITING"));
	assert_non_null(strstr(kvm_report_value("missing_control"),
			       "UNCOND_IO_EXITING (bit 24)"));
	assert_int_equal(kvm_pages_live(), 0);
	assert_null(kvm_x86_ops);
	/* And the module can be loaded again afterwards. */
	assert_int_equal(load("default"), 0);
	unload_clean();
}

static void test_no_vmx(void **state)
{
	kvm_quiet = true;
	assert_int_equal(load("default,-vmx"), -EOPNOTSUPP);
	kvm_quiet = false;
	assert_int_equal(kvm_report_find("cpu_has_kvm_support")->result,
			 -EOPNOTSUPP);
	assert_null(kvm_x86_ops);
	assert_int_equal(softkvm_open(), -ENODEV);
}

/* alloc_kvm_area: the k-th page allocation fails, for every CPU k. */
static void test_alloc_failure_every_cpu(void **state)
{
	int n;

	assert_int_equal(load("default"), 0);
	n = nr_cpu_ids;
	unload_clean();
	for (int k = 1; k <= n; k++) {
		char want[64];

		kvm_page_alloc_fail_nth(k);
		assert_int_equal(load("default"), -ENOMEM);
		kvm_page_alloc_fail_nth(0);
		snprintf(want, sizeof(want), "alloc_vmcs_cpu(%d)", k - 1);
		assert_string_equal(kvm_report_value("failed"), want);
		assert_int_equal(kvm_report_find("alloc_kvm_area")->result,
				 -ENOMEM);
		/* Nothing leaked, nothing half-registered. */
		assert_int_equal(kvm_pages_live(), 0);
		assert_null(kvm_x86_ops);
		for (int c = 0; c < KVM_MAX_HOST_CPUS; c++)
			assert_null(vmxarea[c]);
		assert_int_equal(softkvm_open(), -ENODEV);
	}
	/* A later load works. */
	assert_int_equal(load("default"), 0);
	unload_clean();
}

/* The vCPU cache (last step before /dev/kvm) failing unwinds setup. */
static void test_vcpu_cache_failure(void **state)
{
	/* Cache allocations during load: mmu header cache, then kvm_vcpu. */
	kmem_cache_fail_nth(2);
	assert_int_equal(load("default"), -ENOMEM);
	kmem_cache_fail_nth(0);
	assert_int_equal(kvm_report_find("kmem_cache_create(kvm_vcpu)")->result,
			 -ENOMEM);
	assert_int_equal(kvm_pages_live(), 0);
	assert_null(kvm_x86_ops);
	kmem_cache_fail_nth(1);
	assert_int_equal(load("default"), -ENOMEM);
	kmem_cache_fail_nth(0);
	assert_int_equal(kvm_report_find("kvm_mmu_module_init")->result,
			 -ENOMEM);
	assert_int_equal(kvm_pages_live(), 0);
}

/* VMXON happens when the first VM is created, VMXOFF when the last goes;
 * not at module load (as KVM does). */
static void test_hardware_enable_on_first_vm(void **state)
{
	int fd, vm1, vm2, vcpu;

	assert_int_equal(load("default"), 0);
	for (int c = 0; c < nr_cpu_ids; c++)
		assert_false(cpu_read_cr4(host_cpu(c)) & (1u << 13));
	fd = softkvm_open();
	vm1 = softkvm_ioctl(fd, KVM_CREATE_VM, 0);
	assert_true(vm1 >= 0);
	for (int c = 0; c < nr_cpu_ids; c++)
		assert_true(cpu_read_cr4(host_cpu(c)) & (1u << 13));
	vm2 = softkvm_ioctl(fd, KVM_CREATE_VM, 0);
	vcpu = softkvm_ioctl(vm2, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	softkvm_close(vm1);
	for (int c = 0; c < nr_cpu_ids; c++)
		assert_true(cpu_read_cr4(host_cpu(c)) & (1u << 13));
	/* The vCPU handle keeps VM 2 (and VMX operation) alive. */
	softkvm_close(vm2);
	assert_true(cpu_read_cr4(host_cpu(0)) & (1u << 13));
	softkvm_close(vcpu);
	for (int c = 0; c < nr_cpu_ids; c++)
		assert_false(cpu_read_cr4(host_cpu(c)) & (1u << 13));
	/* VMXON again works (the VMXON regions were not damaged). */
	vm1 = softkvm_ioctl(fd, KVM_CREATE_VM, 0);
	assert_true(vm1 >= 0);
	softkvm_close(vm1);
	softkvm_close(fd);
	unload_clean();
}

static struct kvm_x86_ops other_vendor = {.name = "kvm_other"};

static void test_second_vendor(void **state)
{
	int fd;

	assert_int_equal(load("default"), 0);
	kvm_quiet = true;
	assert_int_equal(kvm_init(&other_vendor, 64, 8, NULL), -EEXIST);
	kvm_quiet = false;
	/* The first vendor is untouched. */
	assert_ptr_equal(kvm_x86_ops, &vmx_x86_ops);
	fd = softkvm_open();
	assert_true(fd >= 0);
	assert_int_equal(softkvm_ioctl(fd, KVM_GET_API_VERSION, NULL), 12);
	softkvm_close(fd);
	/* A second load of the module itself is refused too. */
	assert_int_equal(load("default"), -EEXIST);
	unload_clean();
}

static void test_report_printed(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(load("default,-vpid"), 0);
	f = open_memstream(&buf, &len);
	softkvm_print_report(f);
	fclose(f);
	assert_non_null(strstr(buf, "kvm_arch_init: ok"));
	assert_non_null(strstr(buf, "setup_vmcs_config: ok"));
	assert_non_null(strstr(buf, "cpu_based_exec_ctrl"));
	assert_non_null(strstr(buf, "enable_vpid                0"));
	assert_non_null(strstr(buf, "vmxarea"));
	free(buf);
	unload_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default),
	    cmocka_unit_test(test_true_ctls),
	    cmocka_unit_test(test_no_vpid),
	    cmocka_unit_test(test_no_ept),
	    cmocka_unit_test(test_no_ept_4level),
	    cmocka_unit_test(test_no_ug),
	    cmocka_unit_test(test_no_nx),
	    cmocka_unit_test(test_missing_required_control),
	    cmocka_unit_test(test_no_vmx),
	    cmocka_unit_test(test_alloc_failure_every_cpu),
	    cmocka_unit_test(test_vcpu_cache_failure),
	    cmocka_unit_test(test_hardware_enable_on_first_vm),
	    cmocka_unit_test(test_second_vendor),
	    cmocka_unit_test(test_report_printed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
