// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini's own KVM, in this process (include/kvmini/softkvm.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kvmini/softkvm.h>

#include "vmm/backend.h"

static struct kvm_run *soft_map_run(int vcpu_fd, size_t size)
{
	return softkvm_run_page(vcpu_fd);
}

static void soft_unmap_run(struct kvm_run *run, size_t size)
{
	/* The page belongs to the vCPU; it goes away with softkvm_close(). */
}

static void soft_close(int fd)
{
	softkvm_close(fd);
}

static const struct vmm_backend_ops soft_ops = {
    .ioctl = softkvm_ioctl,
    .map_run = soft_map_run,
    .unmap_run = soft_unmap_run,
    .close = soft_close,
    .unload = softkvm_unload,
};

int vmm_backend_soft_open(struct vmm_backend *b, const char *cpu_model,
			  char *err, size_t errlen)
{
	char why[256] = "";
	int r, fd;

	r = softkvm_load(cpu_model, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen,
			 "backend soft: loading the KVM module "
			 "for CPU model '%s' failed: %s%s%s",
			 cpu_model ? cpu_model : "default", strerror(-r),
			 why[0] ? ": " : "", why);
		return r;
	}
	fd = softkvm_open();
	if (fd < 0) {
		snprintf(err, errlen, "backend soft: softkvm_open: %s",
			 strerror(-fd));
		softkvm_unload();
		return fd;
	}
	b->name = "soft";
	b->sys = fd;
	b->ops = &soft_ops;
	return 0;
}

int vmm_backend_soft_report(FILE *out)
{
	softkvm_print_report(out);
	return 0;
}
