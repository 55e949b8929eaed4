/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtual machine as the monitor builds it over a backend: guest RAM in
 * memslots, vCPUs (one thread each), the port and MMIO buses with their
 * devices, and the stop protocol (first reason to stop wins; the other
 * vCPUs are kicked out of KVM_RUN with a signal + immediate_exit).
 */
#ifndef KVMINI_VMM_VM_H
#define KVMINI_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/backend.h"
#include "vmm/console.h"
#include "vmm/devices/debug_exit.h"
#include "vmm/devices/reset.h"
#include "vmm/devices/uart8250.h"
#include "vmm/guest_mem.h"
#include "vmm/iobus.h"
#include "vmm/loader/loader.h"
#include "vmm/platform/platform.h"

#define VM_MAX_VCPUS 64

struct kvm_run;
struct kvm_cpuid2;
struct vm;

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

struct vm_config {
	uint64_t ram_size;
	int nr_vcpus;
	bool trace;
	int console_out; /* fd for the UART's output */
	/* fd for its input (a terminal gets raw mode and Ctrl-A), -1: none */
	int console_in;
	/*
	 * Ask for the in-kernel irqchip and PIT (Linux guests). Where the
	 * backend has them, every vCPU runs (APs wait in KVM for INIT/SIPI),
	 * HLT stays in the kernel, and the UART raises IRQ 4.
	 */
	bool irqchip;
};

struct vm {
	struct vmm_backend *b;
	int fd;
	struct vm_config cfg;
	struct guest_mem mem;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	int nr_vcpus;
	struct vcpu vcpus[VM_MAX_VCPUS];
	struct io_bus pio, mmio;
	struct uart8250 uart;
	struct debug_exit dbg;
	struct reset_dev reset; /* 0xcf9; the i8042 is the platform's */
	struct platform platform;
	bool irqchip; /* the in-kernel irqchip exists */
	struct console console;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	int status;
};

/*
 * Builds the machine around guest RAM the caller allocated (and usually
 * loaded already: image errors come before any backend work). The VM
 * takes mem over and frees it in vm_destroy(), even after a failure.
 * -errno with a reason in err.
 */
int vm_create(struct vm *vm, struct vmm_backend *b, const struct vm_config *cfg,
	      struct guest_mem *mem, char *err, size_t errlen);
void vm_destroy(struct vm *vm);
/* Puts the BSP in the state a loader described. */
int vm_set_boot_state(struct vm *vm, const struct boot_state *bs, char *err,
		      size_t errlen);
/* Runs every vCPU to the end; returns the process exit status. */
int vm_run(struct vm *vm);
/* Ends the run with status (the first request wins). */
void vm_request_stop(struct vm *vm, int status);
static inline bool vm_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE);
}

/* vcpu.c */
void *vcpu_thread(void *arg);
void vcpu_dump_regs(struct vcpu *vcpu, FILE *out);
const char *kvm_exit_reason_name(unsigned reason);

/* kvm_info.c: `kvmini info --backend kvm` */
int vmm_kvm_print_info(struct vmm_backend *b, FILE *out);

#endif
