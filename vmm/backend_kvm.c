// SPDX-License-Identifier: GPL-2.0
/* The host's /dev/kvm: real open/ioctl/mmap, errno folded into -errno. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/backend.h"

static int kvm_host_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static struct kvm_run *kvm_host_map_run(int vcpu_fd, size_t size)
{
	void *p =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void kvm_host_unmap_run(struct kvm_run *run, size_t size)
{
	munmap(run, size);
}

static void kvm_host_close(int fd)
{
	close(fd);
}

static const struct vmm_backend_ops kvm_host_ops = {
    .ioctl = kvm_host_ioctl,
    .map_run = kvm_host_map_run,
    .unmap_run = kvm_host_unmap_run,
    .close = kvm_host_close,
};

int vmm_backend_kvm_open(struct vmm_backend *b, char *err, size_t errlen)
{
	const char *path = vmm_kvm_dev_path();
	int fd, r;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT || r == -EACCES || r == -EPERM ||
		    r == -ENXIO || r == -ENODEV)
			snprintf(err, errlen,
				 "backend kvm: cannot open %s: %s; this host "
				 "cannot run --backend kvm, use --backend soft "
				 "(kvmini's own KVM)",
				 path, strerror(-r));
		else
			snprintf(err, errlen,
				 "backend kvm: cannot open %s: %s (try "
				 "--backend soft)",
				 path, strerror(-r));
		return r;
	}
	r = kvm_host_ioctl(fd, KVM_GET_API_VERSION, NULL);
	if (r != KVM_API_VERSION) {
		if (r < 0)
			snprintf(
			    err, errlen,
			    "backend kvm: %s is not a KVM device "
			    "(KVM_GET_API_VERSION: %s); use --backend soft",
			    path, strerror(-r));
		else
			snprintf(err, errlen,
				 "backend kvm: %s speaks KVM API %d, kvmini "
				 "needs %d; use --backend soft",
				 path, r, KVM_API_VERSION);
		close(fd);
		return r < 0 ? r : -EPROTO;
	}
	if (kvm_host_ioctl(fd, KVM_CHECK_EXTENSION,
			   (void *)(long)KVM_CAP_USER_MEMORY) <= 0) {
		snprintf(err, errlen,
			 "backend kvm: %s lacks KVM_CAP_USER_MEMORY; use "
			 "--backend soft",
			 path);
		close(fd);
		return -EOPNOTSUPP;
	}
	b->name = "kvm";
	b->sys = fd;
	b->ops = &kvm_host_ops;
	return 0;
}
