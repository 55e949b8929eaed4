/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backend: the KVM ABI as the monitor sees it. Two implementations
 * answer the same <linux/kvm.h> ioctls: the host's /dev/kvm and kvmini's
 * own in-process KVM (include/kvmini/softkvm.h). Every call returns >= 0 on
 * success or -errno, whichever backend is behind it.
 */
#ifndef KVMINI_VMM_BACKEND_H
#define KVMINI_VMM_BACKEND_H

#include <stddef.h>
#include <stdio.h>

struct kvm_run;

enum vmm_backend_kind {
	VMM_BACKEND_AUTO,
	VMM_BACKEND_KVM,
	VMM_BACKEND_SOFT,
};

struct vmm_backend_ops {
	int (*ioctl)(int fd, unsigned long req, void *arg);
	/* The vCPU's struct kvm_run, size bytes (KVM_GET_VCPU_MMAP_SIZE). */
	struct kvm_run *(*map_run)(int vcpu_fd, size_t size);
	void (*unmap_run)(struct kvm_run *run, size_t size);
	void (*close)(int fd);
	void (*unload)(void);
};

struct vmm_backend {
	const char *name; /* "kvm" or "soft" */
	int sys;	  /* the system handle (host fd or softkvm handle) */
	const struct vmm_backend_ops *ops;
};

/* Overridable for tests with KVMINI_DEV_KVM=/some/path. */
const char *vmm_kvm_dev_path(void);

int vmm_backend_parse(const char *s, enum vmm_backend_kind *kind);

/*
 * Opens a backend. AUTO picks kvm when the device opens and answers
 * KVM_GET_API_VERSION == 12, soft otherwise. cpu_model is for soft only
 * (NULL: its default). On failure returns -errno with a message in err.
 */
int vmm_backend_open(struct vmm_backend *b, enum vmm_backend_kind kind,
		     const char *cpu_model, char *err, size_t errlen);
void vmm_backend_close(struct vmm_backend *b);

static inline int vmm_ioctl(const struct vmm_backend *b, int fd,
			    unsigned long req, void *arg)
{
	return b->ops->ioctl(fd, req, arg);
}

/* The two implementations (backend_kvm.c, backend_soft.c). */
int vmm_backend_kvm_open(struct vmm_backend *b, char *err, size_t errlen);
int vmm_backend_soft_open(struct vmm_backend *b, const char *cpu_model,
			  char *err, size_t errlen);
/* softkvm_print_report(); returns 0. */
int vmm_backend_soft_report(FILE *out);

#endif
