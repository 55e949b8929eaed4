/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic KVM objects (include/linux/kvm_host.h): the VM, its vCPUs, its
 * memslots; the entry points kvm_main.c offers the arch and the vendor.
 */
#ifndef KVMINI_KVM_KVM_HOST_H
#define KVMINI_KVM_KVM_HOST_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/module.h"
#include "kvm/x86/kvm_host.h"

#define KVM_API_VERSION_NR    12
#define KVM_MAX_VCPUS	      64
#define KVM_MAX_VCPU_IDS      1024
#define KVM_SOFT_MAX_VCPUS    16 /* KVM_CAP_NR_VCPUS: recommended */
#define KVM_USER_MEM_SLOTS    509
#define KVM_ADDRESS_SPACE_NUM 1
#define KVM_MEM_MAX_NR_PAGES  ((1ul << 31) - 1)
/* mmap size of a vCPU: struct kvm_run page + the PIO data page. */
#define KVM_PIO_PAGE_OFFSET 1
#define KVM_VCPU_MMAP_PAGES 2

typedef uint64_t gfn_t;
typedef uint64_t gpa_t;
typedef uint64_t gva_t;
typedef uint64_t hpa_t;

struct kvm_memory_slot {
	gfn_t base_gfn;
	uint64_t npages; /* 0: slot unused */
	uint64_t userspace_addr;
	uint32_t flags;
	int id;
	/* KVM_MEM_LOG_DIRTY_PAGES: one bit per page written since the last
	 * KVM_GET_DIRTY_LOG (atomic: vCPUs set bits concurrently). */
	_Atomic uint64_t *dirty_bitmap;
};

/* Requests to a vCPU, handled before its next entry (kvm_make_request). */
enum {
	KVM_REQ_TLB_FLUSH = 0, /* everything: shadow entries + CPU TLB */
	KVM_REQ_MMU_RELOAD = 1,
	KVM_REQ_TLB_FLUSH_CURRENT = 2, /* the CPU's TLB for this vCPU only */
};

/* vcpu->mode: lets memslot updates know who may hold stale translations. */
enum { OUTSIDE_GUEST_MODE = 0, IN_GUEST_MODE = 1 };

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;	       /* the id userspace chose */
	int vcpu_idx;	       /* index in kvm->vcpus[] */
	int cpu;	       /* host CPU it runs on (vcpu_load); -1 if none */
	pthread_mutex_t mutex; /* one ioctl at a time, as Linux's vcpu->mutex */
	struct kvm_run *run;   /* KVM_VCPU_MMAP_PAGES pages */
	atomic_int mode;
	atomic_ulong requests;
	struct kvm_vcpu_arch arch;
};

struct kvm {
	pthread_mutex_t lock;	    /* vCPU creation */
	pthread_mutex_t slots_lock; /* memslot updates */
	pthread_mutex_t mmu_lock;   /* memslots as the MMU sees them + SPTEs */
	atomic_int users_count;
	struct kvm_memory_slot memslots[KVM_USER_MEM_SLOTS];
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	int created_vcpus;
	atomic_int online_vcpus;
	struct kvm_arch arch;
};

static inline void kvm_make_request(int req, struct kvm_vcpu *vcpu)
{
	atomic_fetch_or(&vcpu->requests, 1ul << req);
}

static inline bool kvm_check_request(int req, struct kvm_vcpu *vcpu)
{
	unsigned long bit = 1ul << req;

	return atomic_fetch_and(&vcpu->requests, ~bit) & bit;
}

/* kvm_main.c */
int kvm_init(void *opaque, unsigned vcpu_size, unsigned vcpu_align,
	     struct module *module);
void kvm_exit(void);
bool kvm_is_initialised(void);

/*
 * The ioctl surface, split as kvm_main.c splits it. Requests that create
 * an object (KVM_CREATE_VM, KVM_CREATE_VCPU) have their own entry so the
 * caller (softkvm.c) can wrap the object in a handle. Integer arguments
 * arrive as the pointer value, as ioctl(2)'s third argument would.
 */
long kvm_dev_ioctl(unsigned long req, void *arg);
struct kvm *kvm_create_vm(unsigned long type, int *err);
void kvm_get_kvm(struct kvm *kvm);
void kvm_put_kvm(struct kvm *kvm);
int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id,
			     struct kvm_vcpu **out);
long kvm_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg);
long kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg);
int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region *mem);

/* Logging in the kernel's style; messages go to stderr. */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Silence pr_err/pr_info (tests that provoke errors on purpose). */
extern bool kvm_quiet;
int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext);

/* Memslots: lookup by gfn (caller holds kvm->mmu_lock). */
struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn);
/* Host address of @gpa's byte if mapped by a slot (NULL otherwise);
 * *writable says whether the slot allows writes. */
void *gpa_to_hva(struct kvm *kvm, gpa_t gpa, bool *writable);
/* Record a write to @gfn for dirty logging (no-op without it). */
void mark_page_dirty(struct kvm *kvm, gfn_t gfn);
void mark_page_dirty_in_slot(struct kvm_memory_slot *slot, gfn_t gfn);

/* Is [hva, hva+len) mapped in this process (userspace memory)? */
bool kvm_hva_mapped(uint64_t hva, uint64_t len);
/* Copy guest memory through the memslots; 0 or -EFAULT. */
int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len);
int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data,
		    unsigned long len);

/* Make every vCPU drop cached translations before it next runs, and wait
 * until none is still in guest mode with the old ones. */
void kvm_flush_remote_tlbs(struct kvm *kvm);

/* Per-CPU virtualization on/off, refcounted by the number of VMs. */
int hardware_enable_all(void);
void hardware_disable_all(void);

#endif
