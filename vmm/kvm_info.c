// SPDX-License-Identifier: GPL-2.0
/* `kvmini info --backend kvm`: what the host's KVM offers. */
#include <dirent.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vm.h"

static const struct {
	int cap;
	const char *name;
} kvm_caps[] = {
    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
    {KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR"},
    {KVM_CAP_SET_IDENTITY_MAP_ADDR, "SET_IDENTITY_MAP_ADDR"},
    {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
    {KVM_CAP_IRQCHIP, "IRQCHIP"},
    {KVM_CAP_PIT2, "PIT2"},
    {KVM_CAP_IRQ_ROUTING, "IRQ_ROUTING"},
    {KVM_CAP_NR_VCPUS, "NR_VCPUS"},
    {KVM_CAP_MAX_VCPUS, "MAX_VCPUS"},
    {KVM_CAP_MAX_VCPU_ID, "MAX_VCPU_ID"},
    {KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS"},
    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
    {KVM_CAP_SYNC_MMU, "SYNC_MMU"},
    {KVM_CAP_TSC_CONTROL, "TSC_CONTROL"},
    {KVM_CAP_VCPU_EVENTS, "VCPU_EVENTS"},
    {KVM_CAP_XSAVE, "XSAVE"},
    {KVM_CAP_SPLIT_IRQCHIP, "SPLIT_IRQCHIP"},
    {KVM_CAP_X2APIC_API, "X2APIC_API"},
    {KVM_CAP_NESTED_STATE, "NESTED_STATE"},
    {KVM_CAP_COALESCED_MMIO, "COALESCED_MMIO"},
    {KVM_CAP_IOEVENTFD, "IOEVENTFD"},
    {KVM_CAP_IRQFD, "IRQFD"},
};

static void print_params(FILE *out, const char *module)
{
	char dir[128], path[512], val[128];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", module);
	d = opendir(dir);
	if (!d) {
		fprintf(out, "  (no %s: %s)\n", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(val, sizeof(val), f))
			val[0] = 0;
		fclose(f);
		val[strcspn(val, "\n")] = 0;
		fprintf(out, "  %s.%s=%s\n", module, de->d_name, val);
	}
	closedir(d);
}

int vmm_kvm_print_info(struct vmm_backend *b, FILE *out)
{
	struct dirent *de;
	DIR *d;
	int r;

	fprintf(out, "backend kvm: %s\n", vmm_kvm_dev_path());
	r = vmm_ioctl(b, b->sys, KVM_GET_API_VERSION, NULL);
	fprintf(out, "KVM_GET_API_VERSION: %d\n", r);
	r = vmm_ioctl(b, b->sys, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (r < 0)
		fprintf(out, "KVM_GET_VCPU_MMAP_SIZE: error %s\n",
			strerror(-r));
	else
		fprintf(out, "KVM_GET_VCPU_MMAP_SIZE: %d bytes\n", r);
	fprintf(out, "capabilities (KVM_CHECK_EXTENSION):\n");
	for (size_t i = 0; i < sizeof(kvm_caps) / sizeof(kvm_caps[0]); i++) {
		r = vmm_ioctl(b, b->sys, KVM_CHECK_EXTENSION,
			      (void *)(long)kvm_caps[i].cap);
		if (r < 0)
			fprintf(out, "  KVM_CAP_%-22s error %s\n",
				kvm_caps[i].name, strerror(-r));
		else
			fprintf(out, "  KVM_CAP_%-22s %d\n", kvm_caps[i].name,
				r);
	}
	/* The vendor module: whichever kvm_* module is loaded. */
	d = opendir("/sys/module");
	if (!d) {
		fprintf(out, "vendor module: unknown (/sys/module: %s)\n",
			strerror(errno));
		return 0;
	}
	fprintf(out, "kvm module parameters:\n");
	print_params(out, "kvm");
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "kvm_", 4))
			continue;
		fprintf(out, "vendor module: %s\n", de->d_name);
		print_params(out, de->d_name);
	}
	closedir(d);
	return 0;
}
