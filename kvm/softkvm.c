// SPDX-License-Identifier: GPL-2.0
/*
 * include/kvmini/softkvm.h: "modprobe kvm_intel" (softkvm_load), the
 * /dev/kvm, VM and vCPU file descriptors as a handle table, and the report
 * of the init chain.
 */
#include <kvmini/softkvm.h>

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "cpu/cpu.h"
#include "kvm/kvm_host.h"
#include "kvm/module.h"
#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/smp.h"

enum kvm_file_type { KVM_FILE_SYSTEM = 1, KVM_FILE_VM, KVM_FILE_VCPU };

struct kvm_file {
	enum kvm_file_type type;
	void *obj;
	int refs;    /* the table's reference + calls in progress */
	bool closed; /* no longer in the table */
};

#define SOFTKVM_MAX_FDS 4096
#define SOFTKVM_FD_BASE 3 /* look like fds, never 0-2 */

static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kvm_file *files[SOFTKVM_MAX_FDS];
static bool loaded;
static char loaded_model[64];

static int fd_install(enum kvm_file_type type, void *obj)
{
	struct kvm_file *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->type = type;
	f->obj = obj;
	f->refs = 1;
	pthread_mutex_lock(&files_lock);
	for (int i = 0; i < SOFTKVM_MAX_FDS; i++)
		if (!files[i]) {
			files[i] = f;
			pthread_mutex_unlock(&files_lock);
			return i + SOFTKVM_FD_BASE;
		}
	pthread_mutex_unlock(&files_lock);
	free(f);
	return -EMFILE;
}

static void file_release(struct kvm_file *f)
{
	switch (f->type) {
	case KVM_FILE_VM:
		kvm_put_kvm(f->obj);
		break;
	case KVM_FILE_VCPU:
		kvm_put_kvm(((struct kvm_vcpu *)f->obj)->kvm);
		break;
	default:
		break;
	}
	free(f);
}

static struct kvm_file *fdget(int fd)
{
	struct kvm_file *f = NULL;
	int i = fd - SOFTKVM_FD_BASE;

	if (i < 0 || i >= SOFTKVM_MAX_FDS)
		return NULL;
	pthread_mutex_lock(&files_lock);
	if (files[i]) {
		f = files[i];
		f->refs++;
	}
	pthread_mutex_unlock(&files_lock);
	return f;
}

static void fdput(struct kvm_file *f)
{
	bool last;

	pthread_mutex_lock(&files_lock);
	last = --f->refs == 0;
	pthread_mutex_unlock(&files_lock);
	if (last)
		file_release(f);
}

int softkvm_open(void)
{
	if (!loaded || !kvm_is_initialised())
		return -ENODEV;
	return fd_install(KVM_FILE_SYSTEM, NULL);
}

int softkvm_close(int fd)
{
	int i = fd - SOFTKVM_FD_BASE;
	struct kvm_file *f;

	if (i < 0 || i >= SOFTKVM_MAX_FDS)
		return -EBADF;
	pthread_mutex_lock(&files_lock);
	f = files[i];
	files[i] = NULL;
	pthread_mutex_unlock(&files_lock);
	if (!f)
		return -EBADF;
	fdput(f);
	return 0;
}

int softkvm_ioctl(int fd, unsigned long req, void *arg)
{
	struct kvm_file *f = fdget(fd);
	long r;

	if (!f)
		return -EBADF;
	switch (f->type) {
	case KVM_FILE_SYSTEM:
		if (req == KVM_CREATE_VM) {
			int err;
			struct kvm *kvm = kvm_create_vm((uintptr_t)arg, &err);

			if (!kvm) {
				r = err;
				break;
			}
			r = fd_install(KVM_FILE_VM, kvm);
			if (r < 0)
				kvm_put_kvm(kvm);
		} else {
			r = kvm_dev_ioctl(req, arg);
		}
		break;
	case KVM_FILE_VM:
		if (req == KVM_CREATE_VCPU) {
			struct kvm_vcpu *vcpu;

			r = kvm_vm_ioctl_create_vcpu(f->obj, (uintptr_t)arg,
						     &vcpu);
			if (r == 0) {
				r = fd_install(KVM_FILE_VCPU, vcpu);
				/* On failure the vCPU stays with the VM, as
				 * in Linux after a failed fd install. */
				if (r < 0)
					kvm_put_kvm(vcpu->kvm);
			}
		} else {
			r = kvm_vm_ioctl(f->obj, req, arg);
		}
		break;
	case KVM_FILE_VCPU:
		r = kvm_vcpu_ioctl(f->obj, req, arg);
		break;
	default:
		r = -EBADF;
	}
	fdput(f);
	return (int)r;
}

struct kvm_run *softkvm_run_page(int vcpu_fd)
{
	struct kvm_file *f = fdget(vcpu_fd);
	struct kvm_run *run = NULL;

	if (!f)
		return NULL;
	if (f->type == KVM_FILE_VCPU)
		run = ((struct kvm_vcpu *)f->obj)->run;
	fdput(f);
	return run;
}

int softkvm_load(const char *cpu_model, char *err, size_t errlen)
{
	struct cpu_model model;
	char why[256] = "";
	int r, n;

	if (loaded) {
		snprintf(err, errlen, "already loaded (model %s)",
			 loaded_model);
		return -EEXIST;
	}
	if (!cpu_model || !*cpu_model)
		cpu_model = "default";
	kvm_report_reset();
	kvm_report_begin("softkvm_load(%s)", cpu_model);
	if (cpu_model_parse(cpu_model, &model, why, sizeof(why))) {
		snprintf(err, errlen, "CPU model: %s", why);
		kvm_report_end(-EINVAL, "%s", why);
		return -EINVAL;
	}
	n = get_nprocs_conf();
	if (n > KVM_MAX_HOST_CPUS)
		n = KVM_MAX_HOST_CPUS;
	r = smp_create_cpus(&model, n);
	kvm_report_step(r, "cpu_create",
			"%d soft CPUs (get_nprocs_conf), model %s", n,
			model.name);
	if (r) {
		snprintf(err, errlen, "creating %d soft CPUs failed", n);
		kvm_report_end(r, "%s", "");
		return r;
	}
	r = modules_init();
	if (r) {
		const char *mc = kvm_report_value("missing_control");

		snprintf(err, errlen, "module init failed: %s%s%s",
			 strerror(-r), mc ? "; missing required control " : "",
			 mc ? mc : "");
		smp_destroy_cpus();
		kvm_report_end(r, "%s", "");
		return r;
	}
	loaded = true;
	snprintf(loaded_model, sizeof(loaded_model), "%s", cpu_model);
	kvm_report_end(0, "%s", "");
	return 0;
}

void softkvm_unload(void)
{
	if (!loaded)
		return;
	/* rmmod with files still open: close them for the caller. */
	for (int i = 0; i < SOFTKVM_MAX_FDS; i++)
		if (files[i])
			softkvm_close(i + SOFTKVM_FD_BASE);
	kvm_report_begin("softkvm_unload");
	modules_exit();
	smp_destroy_cpus();
	kvm_report_end(0, "pages still allocated: %ld", kvm_pages_live());
	loaded = false;
}

void softkvm_print_report(FILE *out)
{
	fprintf(out, "kvmini soft KVM: the init chain as it ran\n");
	kvm_report_print(out);
}
