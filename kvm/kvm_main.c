// SPDX-License-Identifier: GPL-2.0
/*
 * Generic KVM (virt/kvm/kvm_main.c): kvm_init/kvm_exit, VMs, vCPUs,
 * memslots, the system/VM/vCPU ioctl dispatch, and the refcounted
 * per-CPU hardware enable that the first VM triggers.
 */
#include "kvm/kvm_host.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/slab.h"
#include "kvm/smp.h"

bool kvm_quiet;

void pr_err(const char *fmt, ...)
{
	va_list ap;

	if (kvm_quiet)
		return;
	va_start(ap, fmt);
	fputs("kvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	if (kvm_quiet)
		return;
	va_start(ap, fmt);
	fputs("kvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct kmem_cache *kvm_vcpu_cache;
static struct module *kvm_chardev_owner;
static bool kvm_dev_registered; /* "misc_register(&kvm_dev)": /dev/kvm */

/* Per-CPU virtualization state (cpus_hardware_enabled, kvm_usage_count). */
static pthread_mutex_t kvm_lock = PTHREAD_MUTEX_INITIALIZER;
static int kvm_usage_count;
static bool cpu_hw_enabled[KVM_MAX_HOST_CPUS];

bool kvm_is_initialised(void)
{
	return kvm_dev_registered;
}

int kvm_init(void *opaque, unsigned vcpu_size, unsigned vcpu_align,
	     struct module *module)
{
	int r, cpu;

	kvm_report_begin("kvm_init");
	kvm_report_note("vcpu_size/align", "%u / %u", vcpu_size, vcpu_align);
	kvm_report_note("owner", "%s", module ? module->name : "(none)");

	r = kvm_arch_init(opaque);
	if (r)
		goto out_fail;

	r = kvm_arch_hardware_setup();
	if (r < 0)
		goto out_free_0;

	kvm_report_begin("check_processor_compat");
	for_each_possible_cpu(cpu)
	{
		r = kvm_arch_check_processor_compat(cpu);
		if (r < 0)
			break;
	}
	kvm_report_end(r, "%d CPUs", nr_cpu_ids);
	if (r < 0)
		goto out_free_1;

	kvm_report_begin("kmem_cache_create(kvm_vcpu)");
	kvm_vcpu_cache = kmem_cache_create("kvm_vcpu", vcpu_size, vcpu_align);
	r = kvm_vcpu_cache ? 0 : -ENOMEM;
	kvm_report_end(r, "object size %zu, align %zu",
		       kvm_vcpu_cache ? kvm_vcpu_cache->size : 0,
		       kvm_vcpu_cache ? kvm_vcpu_cache->align : 0);
	if (r)
		goto out_free_1;

	kvm_chardev_owner = module;
	kvm_dev_registered = true;
	kvm_report_step(0, "misc_register(/dev/kvm)", "softkvm_open() works");
	kvm_report_end(0, "%s", "");
	return 0;

out_free_1:
	kvm_arch_hardware_unsetup();
out_free_0:
	kvm_arch_exit();
out_fail:
	kvm_report_end(r, "%s", "");
	return r;
}

void kvm_exit(void)
{
	int cpu;

	kvm_report_begin("kvm_exit");
	kvm_dev_registered = false;
	kvm_chardev_owner = NULL;
	kmem_cache_destroy(kvm_vcpu_cache);
	kvm_vcpu_cache = NULL;
	/* Any CPU still in VMX operation (a VM leaked by a caller) leaves it.
	 */
	pthread_mutex_lock(&kvm_lock);
	for_each_possible_cpu(cpu) if (cpu_hw_enabled[cpu])
	{
		kvm_arch_hardware_disable(cpu);
		cpu_hw_enabled[cpu] = false;
	}
	kvm_usage_count = 0;
	pthread_mutex_unlock(&kvm_lock);
	kvm_arch_hardware_unsetup();
	kvm_arch_exit();
	kvm_report_end(0, "%s", "");
}

/* ---- hardware enable/disable (first VM in, last VM out) -------------- */

static void hardware_disable_all_nolock(void)
{
	int cpu;

	for_each_possible_cpu(cpu) if (cpu_hw_enabled[cpu])
	{
		kvm_arch_hardware_disable(cpu);
		cpu_hw_enabled[cpu] = false;
	}
}

int hardware_enable_all(void)
{
	int r = 0, cpu;

	pthread_mutex_lock(&kvm_lock);
	if (++kvm_usage_count == 1) {
		for_each_possible_cpu(cpu)
		{
			r = kvm_arch_hardware_enable(cpu);
			if (r) {
				pr_err("enabling virtualization on CPU%d "
				       "failed (%d)",
				       cpu, r);
				break;
			}
			cpu_hw_enabled[cpu] = true;
		}
		if (r) {
			hardware_disable_all_nolock();
			kvm_usage_count--;
		}
	}
	pthread_mutex_unlock(&kvm_lock);
	return r;
}

void hardware_disable_all(void)
{
	pthread_mutex_lock(&kvm_lock);
	if (kvm_usage_count > 0 && --kvm_usage_count == 0)
		hardware_disable_all_nolock();
	pthread_mutex_unlock(&kvm_lock);
}

/* ---- VMs -------------------------------------------------------------- */

struct kvm *kvm_create_vm(unsigned long type, int *err)
{
	struct kvm *kvm;
	int r;

	if (!kvm_dev_registered) {
		*err = -ENODEV;
		return NULL;
	}
	kvm = calloc(1, sizeof(*kvm));
	if (!kvm) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&kvm->lock, NULL);
	pthread_mutex_init(&kvm->slots_lock, NULL);
	pthread_mutex_init(&kvm->mmu_lock, NULL);
	atomic_init(&kvm->users_count, 1);

	r = kvm_arch_init_vm(kvm, type);
	if (r)
		goto out_free;
	r = hardware_enable_all();
	if (r)
		goto out_arch;
	*err = 0;
	return kvm;

out_arch:
	kvm_arch_destroy_vm(kvm);
out_free:
	pthread_mutex_destroy(&kvm->lock);
	pthread_mutex_destroy(&kvm->slots_lock);
	pthread_mutex_destroy(&kvm->mmu_lock);
	free(kvm);
	*err = r;
	return NULL;
}

static void kvm_destroy_vm(struct kvm *kvm)
{
	kvm_arch_pre_destroy_vm(kvm);
	for (int i = 0; i < kvm->created_vcpus; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (!vcpu)
			continue;
		kvm_arch_vcpu_destroy(vcpu);
		kvm_free_pages(vcpu->run, KVM_VCPU_MMAP_PAGES * PAGE_SIZE);
		pthread_mutex_destroy(&vcpu->mutex);
		kmem_cache_free(kvm_vcpu_cache, vcpu);
		kvm->vcpus[i] = NULL;
	}
	kvm_arch_destroy_vm(kvm);
	for (int i = 0; i < KVM_USER_MEM_SLOTS; i++)
		free((void *)kvm->memslots[i].dirty_bitmap);
	hardware_disable_all();
	pthread_mutex_destroy(&kvm->lock);
	pthread_mutex_destroy(&kvm->slots_lock);
	pthread_mutex_destroy(&kvm->mmu_lock);
	free(kvm);
}

void kvm_get_kvm(struct kvm *kvm)
{
	atomic_fetch_add(&kvm->users_count, 1);
}

void kvm_put_kvm(struct kvm *kvm)
{
	if (atomic_fetch_sub(&kvm->users_count, 1) == 1)
		kvm_destroy_vm(kvm);
}

/* ---- memslots ----------------------------------------------------------- */

struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn)
{
	for (int i = 0; i < KVM_USER_MEM_SLOTS; i++) {
		struct kvm_memory_slot *s = &kvm->memslots[i];

		if (s->npages && gfn >= s->base_gfn &&
		    gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

void *gpa_to_hva(struct kvm *kvm, gpa_t gpa, bool *writable)
{
	struct kvm_memory_slot *s = gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);

	if (!s)
		return NULL;
	if (writable)
		*writable = !(s->flags & KVM_MEM_READONLY);
	return (void *)(uintptr_t)(s->userspace_addr +
				   (gpa - (s->base_gfn << PAGE_SHIFT)));
}

bool kvm_hva_mapped(uint64_t hva, uint64_t len)
{
	/* msync() fails with ENOMEM on any unmapped page in the range: a
	 * cheap way to validate userspace-supplied memory before use. */
	return msync((void *)(uintptr_t)(hva & ~(PAGE_SIZE - 1)),
		     (size_t)(len + (hva & (PAGE_SIZE - 1))), MS_ASYNC) == 0;
}

static int kvm_guest_copy(struct kvm *kvm, gpa_t gpa, void *data,
			  unsigned long len, bool write)
{
	uint8_t *p = data;

	while (len) {
		unsigned long chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
		bool writable;
		uint8_t *hva;

		if (chunk > len)
			chunk = len;
		/* Hold the slots still: userspace may unmap a deleted slot
		 * as soon as KVM_SET_USER_MEMORY_REGION returns. */
		pthread_mutex_lock(&kvm->mmu_lock);
		hva = gpa_to_hva(kvm, gpa, &writable);
		if (!hva || (write && !writable) ||
		    !kvm_hva_mapped((uintptr_t)hva, chunk)) {
			pthread_mutex_unlock(&kvm->mmu_lock);
			return -EFAULT;
		}
		if (write) {
			memcpy(hva, p, chunk);
			mark_page_dirty(kvm, gpa >> PAGE_SHIFT);
		} else {
			memcpy(p, hva, chunk);
		}
		pthread_mutex_unlock(&kvm->mmu_lock);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len)
{
	return kvm_guest_copy(kvm, gpa, data, len, false);
}

int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data,
		    unsigned long len)
{
	return kvm_guest_copy(kvm, gpa, (void *)data, len, true);
}

enum kvm_mr_change {
	KVM_MR_CREATE,
	KVM_MR_DELETE,
	KVM_MR_MOVE,
	KVM_MR_FLAGS_ONLY
};

/* __kvm_set_memory_region's checks, in Linux's order and with its errno. */
int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region *mem)
{
	struct kvm_memory_slot *old, new;
	enum kvm_mr_change change;
	unsigned as_id = mem->slot >> 16, id = mem->slot & 0xffff;
	uint64_t npages;
	int r = 0;

	if (mem->flags &
	    ~(uint32_t)(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
		return -EINVAL;
	if (as_id >= KVM_ADDRESS_SPACE_NUM || id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->userspace_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	npages = mem->memory_size >> PAGE_SHIFT;
	if (npages > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	/* Userspace addresses must be canonical user addresses (access_ok). */
	if (mem->userspace_addr + mem->memory_size < mem->userspace_addr ||
	    mem->userspace_addr + mem->memory_size > (1ull << 47))
		return -EINVAL;

	pthread_mutex_lock(&kvm->slots_lock);
	old = &kvm->memslots[id];
	new.id = (int)id;
	new.base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	new.npages = npages;
	new.userspace_addr = mem->userspace_addr;
	new.flags = mem->flags;
	new.dirty_bitmap = NULL;

	if (!npages) {
		if (!old->npages) {
			r = -EINVAL;
			goto out;
		}
		change = KVM_MR_DELETE;
		memset(&new, 0, sizeof(new));
		new.id = (int)id;
	} else if (!old->npages) {
		change = KVM_MR_CREATE;
	} else {
		/* A slot may move or change flags, but not be resized or
		 * remapped, nor flip read-only. */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((new.flags ^ old->flags) & KVM_MEM_READONLY)) {
			r = -EINVAL;
			goto out;
		}
		if (new.base_gfn != old->base_gfn)
			change = KVM_MR_MOVE;
		else if (new.flags != old->flags)
			change = KVM_MR_FLAGS_ONLY;
		else
			goto out; /* nothing to change */
	}

	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		if (new.base_gfn + npages > kvm_mmu_max_gfn()) {
			r = -EINVAL;
			goto out;
		}
		for (int i = 0; i < KVM_USER_MEM_SLOTS; i++) {
			struct kvm_memory_slot *s = &kvm->memslots[i];

			if (i == (int)id || !s->npages)
				continue;
			if (new.base_gfn < s->base_gfn + s->npages &&
			    s->base_gfn < new.base_gfn + npages) {
				r = -EEXIST;
				goto out;
			}
		}
	}

	/* The dirty bitmap: kept across a move or flags change while logging
	 * stays on, new when logging starts, freed when it stops. */
	_Atomic uint64_t *old_bitmap = old->dirty_bitmap;

	if (change != KVM_MR_DELETE && (new.flags &KVM_MEM_LOG_DIRTY_PAGES)) {
		if (old_bitmap && change != KVM_MR_CREATE) {
			new.dirty_bitmap = old_bitmap;
			old_bitmap = NULL;
		} else {
			new.dirty_bitmap = calloc((npages + 63) / 64, 8);
			if (!new.dirty_bitmap) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	pthread_mutex_lock(&kvm->mmu_lock);
	*old = new;
	/* Also write-protects everything when logging starts: every SPTE
	 * goes, and the next write to a logged page faults. */
	kvm_arch_commit_memory_region(kvm, change);
	pthread_mutex_unlock(&kvm->mmu_lock);
	free((void *)old_bitmap);
	/* Old translations must be gone before the caller may unmap. */
	if (change != KVM_MR_CREATE)
		kvm_flush_remote_tlbs(kvm);
out:
	pthread_mutex_unlock(&kvm->slots_lock);
	return r;
}

void mark_page_dirty_in_slot(struct kvm_memory_slot *slot, gfn_t gfn)
{
	uint64_t rel;

	if (!slot || !slot->dirty_bitmap)
		return;
	rel = gfn - slot->base_gfn;
	if (rel < slot->npages)
		atomic_fetch_or(&slot->dirty_bitmap[rel / 64],
				1ull << (rel % 64));
}

void mark_page_dirty(struct kvm *kvm, gfn_t gfn)
{
	mark_page_dirty_in_slot(gfn_to_memslot(kvm, gfn), gfn);
}

/* KVM_GET_DIRTY_LOG: hand out and clear the bitmap, then write-protect
 * again so the next writes are seen. */
static int kvm_vm_ioctl_get_dirty_log(struct kvm *kvm,
				      struct kvm_dirty_log *log)
{
	unsigned as_id = log->slot >> 16, id = log->slot & 0xffff;
	struct kvm_memory_slot *slot;
	uint64_t n, *out = log->dirty_bitmap;
	int r = 0;

	if (as_id >= KVM_ADDRESS_SPACE_NUM || id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&kvm->slots_lock);
	slot = &kvm->memslots[id];
	if (!slot->npages || !slot->dirty_bitmap) {
		r = -ENOENT;
		goto out;
	}
	if (!out) {
		r = -EFAULT;
		goto out;
	}
	n = (slot->npages + 63) / 64;
	pthread_mutex_lock(&kvm->mmu_lock);
	for (uint64_t i = 0; i < n; i++)
		out[i] = atomic_exchange(&slot->dirty_bitmap[i], 0);
	kvm_arch_commit_memory_region(kvm, -1);
	pthread_mutex_unlock(&kvm->mmu_lock);
	kvm_flush_remote_tlbs(kvm);
out:
	pthread_mutex_unlock(&kvm->slots_lock);
	return r;
}

/* ---- remote TLB flush ------------------------------------------------- */

void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	int n = atomic_load(&kvm->online_vcpus);

	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
		if (atomic_load(&vcpu->mode) == IN_GUEST_MODE &&
		    kvm_x86_ops->kick)
			kvm_x86_ops->kick(vcpu);
	}
	/* Wait until no vCPU is still inside with the old translations: a
	 * vCPU that enters after the request was made flushes first. */
	for (int i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		while (atomic_load(&vcpu->mode) == IN_GUEST_MODE &&
		       (atomic_load(&vcpu->requests) &
			(1ul << KVM_REQ_TLB_FLUSH))) {
			if (kvm_x86_ops->kick)
				kvm_x86_ops->kick(vcpu);
			sched_yield();
		}
	}
}

/* ---- vCPUs ------------------------------------------------------------ */

int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id,
			     struct kvm_vcpu **out)
{
	struct kvm_vcpu *vcpu;
	int r;

	if (id >= KVM_MAX_VCPU_IDS)
		return -EINVAL;
	pthread_mutex_lock(&kvm->lock);
	if (kvm->created_vcpus >= KVM_MAX_VCPUS) {
		pthread_mutex_unlock(&kvm->lock);
		return -EINVAL;
	}
	for (int i = 0; i < kvm->created_vcpus; i++)
		if (kvm->vcpus[i] && kvm->vcpus[i]->vcpu_id == (int)id) {
			pthread_mutex_unlock(&kvm->lock);
			return -EEXIST;
		}
	vcpu = kmem_cache_zalloc(kvm_vcpu_cache);
	if (!vcpu) {
		r = -ENOMEM;
		goto out_unlock;
	}
	vcpu->kvm = kvm;
	vcpu->vcpu_id = (int)id;
	vcpu->vcpu_idx = kvm->created_vcpus;
	vcpu->cpu = -1;
	pthread_mutex_init(&vcpu->mutex, NULL);
	vcpu->run = kvm_alloc_pages_node(-1, KVM_VCPU_MMAP_PAGES * PAGE_SIZE);
	if (!vcpu->run) {
		r = -ENOMEM;
		goto out_free_vcpu;
	}
	r = kvm_arch_vcpu_create(vcpu);
	if (r)
		goto out_free_run;
	kvm->vcpus[kvm->created_vcpus++] = vcpu;
	atomic_fetch_add(&kvm->online_vcpus, 1);
	kvm_get_kvm(kvm); /* the vCPU handle holds the VM */
	pthread_mutex_unlock(&kvm->lock);
	*out = vcpu;
	return 0;

out_free_run:
	kvm_free_pages(vcpu->run, KVM_VCPU_MMAP_PAGES * PAGE_SIZE);
out_free_vcpu:
	pthread_mutex_destroy(&vcpu->mutex);
	kmem_cache_free(kvm_vcpu_cache, vcpu);
out_unlock:
	pthread_mutex_unlock(&kvm->lock);
	return r;
}

/* ---- ioctls ----------------------------------------------------------- */

static int kvm_check_extension_generic(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
		return 1;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return KVM_ADDRESS_SPACE_NUM;
	case KVM_CAP_NR_VCPUS:
		return KVM_SOFT_MAX_VCPUS;
	case KVM_CAP_MAX_VCPUS:
		return KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	default:
		return kvm_arch_check_extension(ext);
	}
}

int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	return kvm_check_extension_generic(kvm, ext);
}

long kvm_dev_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION_NR;
	case KVM_CHECK_EXTENSION:
		return kvm_check_extension_generic(NULL, (long)(uintptr_t)arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return KVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	default:
		return kvm_arch_dev_ioctl(req, arg);
	}
}

long kvm_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (!arg)
			return -EFAULT;
		memcpy(&mem, arg, sizeof(mem));
		return kvm_set_memory_region(kvm, &mem);
	}
	case KVM_GET_DIRTY_LOG:
		if (!arg)
			return -EFAULT;
		return kvm_vm_ioctl_get_dirty_log(kvm, arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension(kvm, (long)(uintptr_t)arg);
	default:
		return kvm_arch_vm_ioctl(kvm, req, arg);
	}
}

long kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg)
{
	long r;

	pthread_mutex_lock(&vcpu->mutex);
	switch (req) {
	case KVM_RUN:
		if (arg)
			r = -EINVAL;
		else
			r = kvm_arch_vcpu_ioctl_run(vcpu);
		break;
	default:
		r = kvm_arch_vcpu_ioctl(vcpu, req, arg);
		break;
	}
	pthread_mutex_unlock(&vcpu->mutex);
	return r;
}
