/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitor's seccomp sandbox (libseccomp), as Firecracker does it: once
 * guest RAM, the vCPUs and the devices exist, the process may only make
 * the system calls its run loop needs. Everything the guest can reach
 * after that point — exit handlers, device models and, on the soft
 * backend, our whole KVM and CPU — runs inside the filter, on every
 * thread (TSYNC), and the threads started later inherit it.
 *
 * What stays allowed: I/O on fds that are already open (read/write/poll
 * on the console, eventfds), close, memory management (PROT_EXEC only
 * on the soft backend, whose CPU may translate guest code),
 * threads (clone with CLONE_THREAD only), futexes, signals to our own
 * threads, clocks and sleeps, getrusage/mincore (--stats), the terminal
 * ioctls of the console and, on --backend kvm, the KVM ioctls of a
 * running VM (KVM_RUN, register state, interrupt lines) but none that
 * creates a VM, vCPU or memslot. Not allowed, among everything else:
 * open/openat, execve, fork, socket, ptrace, kill of other processes.
 *
 * A forbidden call raises SIGSYS (SCMP_ACT_TRAP); the handler names the
 * call and its first arguments on stderr, restores the terminal and
 * exits with status 126. clone3 fails with ENOSYS instead, so that glibc
 * falls back to clone, whose flags a filter can see.
 *
 * ASan/UBSan builds keep the filter but also allow what the sanitizer
 * runtime needs after setup (LeakSanitizer's ptrace'ing helper at exit,
 * open/readlink for symbolised reports): they are test builds, and a
 * SIGSYS there would hide the sanitizer's own diagnosis.
 */
#ifndef KVMINI_VMM_SANDBOX_H
#define KVMINI_VMM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Installs the filter on every thread of the process. kvm_ioctls: allow
 * the run-time ioctls of the host's /dev/kvm (backend kvm). exec_mem:
 * allow PROT_EXEC in mmap/mprotect (backend soft: a CPU that translates
 * guest code into host code needs it). -errno with a reason in err;
 * nothing is installed then.
 */
int vmm_sandbox_enter(bool kvm_ioctls, bool exec_mem, char *err, size_t errlen);

#endif
