/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini's own KVM, in this process: the part of the KVM ABI that differs
 * from the host's /dev/kvm. Everything else is <linux/kvm.h> itself: the
 * same ioctl request numbers, the same structs, the same errno values.
 *
 *   softkvm_load()   ~ modprobe kvm_intel: brings up the software CPUs of a
 *                      CPU model, then runs module_init (vmx_init -> kvm_init
 *                      -> kvm_arch_init -> hardware_setup -> alloc_kvm_area)
 *   softkvm_open()   ~ open("/dev/kvm")
 *   softkvm_ioctl()  ~ ioctl(fd, req, arg) on the system, VM or vCPU handle
 *   softkvm_run_page() ~ mmap(vcpu_fd) of struct kvm_run
 *   softkvm_close()  ~ close(fd)
 *   softkvm_unload() ~ rmmod: module_exit in reverse, CPUs torn down
 *
 * Handles are small integers of our own, not host file descriptors.
 * Every call returns >= 0 on success and -errno on failure (not -1/errno).
 */
#ifndef KVMINI_SOFTKVM_H
#define KVMINI_SOFTKVM_H

#include <stddef.h>
#include <stdio.h>

struct kvm_run;

int softkvm_load(const char *cpu_model, char *err, size_t errlen);
void softkvm_unload(void);
int softkvm_open(void);
int softkvm_ioctl(int fd, unsigned long req, void *arg);
struct kvm_run *softkvm_run_page(int vcpu_fd);
int softkvm_close(int fd);

/* The init chain as it ran at the last softkvm_load(): every step, what it
 * found and what it chose (for `kvmini info --backend soft`). */
void softkvm_print_report(FILE *out);

#endif
