/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest on the soft KVM, driven through the KVM ABI (<linux/kvm.h> +
 * <kvmini/softkvm.h>) as a VMM would, for unit tests (the idea of Linux's
 * KVM selftests' kvm_util): load a CPU model, create a VM with RAM at GPA
 * 0 in slot 0, add vCPUs, put them in real, flat 32-bit or 64-bit mode,
 * run them. Every helper asserts (cmocka) that its ioctls succeed.
 */
#ifndef KVMINI_TESTS_SOFTKVM_GUEST_H
#define KVMINI_TESTS_SOFTKVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#define SKG_MAX_VCPUS 2

struct skg {
	int sys, vm;
	int vcpu[SKG_MAX_VCPUS]; /* -1 until skg_vcpu_new */
	struct kvm_run *run[SKG_MAX_VCPUS];
	uint8_t *ram; /* GPA [0, ram_size), slot 0 */
	size_t ram_size;
};

/* softkvm_load(@model), /dev/kvm, KVM_CREATE_VM, @ram_size bytes of
 * anonymous memory as slot 0 at GPA 0. No vCPU yet. */
struct skg *skg_new(const char *model, size_t ram_size);
/* Close the vCPUs, the VM and the system handle, unload, free the RAM;
 * asserts that KVM freed all its pages. */
void skg_free(struct skg *g);

/* KVM_SET_USER_MEMORY_REGION; returns the ioctl's result (tests check
 * errors themselves). */
int skg_set_mem(struct skg *g, uint32_t slot, uint32_t flags, uint64_t gpa,
		uint64_t size, void *hva);
/* Copy @len bytes to guest RAM at @gpa (bounds asserted). */
void skg_load(struct skg *g, uint64_t gpa, const void *p, size_t len);

/* KVM_CREATE_VCPU with id @i, and its run page. */
void skg_vcpu_new(struct skg *g, int i);
/* Real mode at CS:IP = 0:@rip (CS base 0), SP = @rsp, CR0 = ET (caches
 * on: CD/NW clear). */
void skg_real_mode(struct skg *g, int i, uint64_t rip, uint64_t rsp);
/* Protected mode, paging off: flat 32-bit CS = 8, DS/ES/SS = 0x10. */
void skg_flat32(struct skg *g, int i);
/*
 * 64-bit mode: 4-level paging with the PML4 at GPA @pml4, the PDPT at
 * @pml4 + 0x1000 and a PD at @pml4 + 0x2000 identity-mapping GPA [0, 2M)
 * with one 2 MiB page; if @hi_2m (2 MiB aligned, below 512 GiB) is not 0,
 * another 2 MiB identity page there through the PD at @hi_pd (which may
 * be the same PD only when it covers the same GiB). CS = 8 (64-bit),
 * DS/ES/SS = 0x10, CR4.PAE, EFER.LME|LMA, CR0.PG|PE.
 */
void skg_long_mode(struct skg *g, int i, uint64_t pml4, uint64_t hi_pd,
		   uint64_t hi_2m);

/* KVM_RUN on vCPU @i: 0 or -errno; the exit is in g->run[i]. */
int skg_run(struct skg *g, int i);

#endif
