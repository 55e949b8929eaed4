// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 arch layer (arch/x86/kvm/x86.c): kvm_arch_init and the
 * hardware-setup hooks of the init chain, VM/vCPU life cycle, system and
 * VM ioctls that belong to x86. The run loop is in run.c, register state
 * ioctls in regs.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/smp.h"
#include "kvm/x86/cpuid.h"
#include "kvm/x86/kvmclock.h"
#include "kvm/x86/mmu/mmu.h"
#include "kvm/x86/mmu/shadow.h"
#include "kvm/x86/irq/irq.h"
#include "kvm/x86/x86.h"

struct kvm_x86_ops *kvm_x86_ops;

/* EFER bits a guest may not set; hardware_setup clears NX if the host has it.
 */
uint64_t efer_reserved_bits = ~(EFER_SCE | EFER_LME | EFER_LMA);
unsigned tsc_khz;
uint64_t host_maxphyaddr = 36;
static const char *tsc_khz_source = "none";

void kvm_enable_efer_bits(uint64_t mask)
{
	efer_reserved_bits &= ~mask;
}

bool boot_cpu_has_nx(void)
{
	uint32_t r[4];

	cpu_cpuid(host_cpu(0), 0x80000000, 0, r);
	if (r[0] < 0x80000001)
		return false;
	cpu_cpuid(host_cpu(0), 0x80000001, 0, r);
	return r[3] & CPUID_80000001_EDX_NX;
}

/* ---- kvm_init_msr_list ------------------------------------------------ */

/* MSRs KVM saves/restores for userspace if the host CPU has them. */
static const uint32_t msrs_to_save_all[] = {
    MSR_IA32_SYSENTER_CS,
    MSR_IA32_SYSENTER_ESP,
    MSR_IA32_SYSENTER_EIP,
    MSR_STAR,
    MSR_CSTAR,
    MSR_KERNEL_GS_BASE,
    MSR_SYSCALL_MASK,
    MSR_LSTAR,
    MSR_TSC_AUX,
    MSR_IA32_TSC,
    MSR_IA32_CR_PAT,
    MSR_IA32_DEBUGCTLMSR,
};
/* MSRs KVM emulates itself whatever the host has. */
static const uint32_t emulated_msrs[] = {
    MSR_IA32_MISC_ENABLE, MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW};

uint32_t msrs_to_save[sizeof(msrs_to_save_all) / sizeof(uint32_t) +
		      sizeof(emulated_msrs) / sizeof(uint32_t)];
unsigned num_msrs_to_save;

static void kvm_init_msr_list(void)
{
	unsigned n = 0, dropped = 0;
	char dropped_names[128] = "";

	kvm_report_begin("kvm_init_msr_list");
	for (size_t i = 0; i < sizeof(msrs_to_save_all) / sizeof(uint32_t);
	     i++) {
		uint64_t v;

		/* rdmsr_safe: keep only what the CPU answers without #GP. */
		if (cpu_rdmsr(host_cpu(0), msrs_to_save_all[i], &v) == 0) {
			msrs_to_save[n++] = msrs_to_save_all[i];
		} else {
			size_t l = strlen(dropped_names);

			snprintf(dropped_names + l, sizeof(dropped_names) - l,
				 "%s%#x", dropped ? " " : "",
				 msrs_to_save_all[i]);
			dropped++;
		}
	}
	for (size_t i = 0; i < sizeof(emulated_msrs) / sizeof(uint32_t); i++)
		msrs_to_save[n++] = emulated_msrs[i];
	num_msrs_to_save = n;
	kvm_report_note("msr_list_size", "%u", n);
	kvm_report_end(0, "%u MSRs (%u probed absent: %s), %zu emulated", n,
		       dropped, dropped ? dropped_names : "-",
		       sizeof(emulated_msrs) / sizeof(uint32_t));
}

/* ---- kvm_timer_init ----------------------------------------------------- */

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The host TSC rate. Linux has it from calibration; we have no sysfs file
 * for it on most kernels, so measure the host TSC against
 * CLOCK_MONOTONIC_RAW once per process (rounded to 1 MHz). Each end reads
 * the TSC between two clock reads and keeps the tightest such pair, so
 * the error is the clock's read cost (~50 ns) over the 4 ms window, far
 * below the 1 MHz rounding; the process start waits 4 ms, not 20.
 */
static void tsc_clock_pair(uint64_t *ns, uint64_t *tsc)
{
	uint64_t best = ~0ull;

	for (int i = 0; i < 8; i++) {
		uint64_t a = ns_now(), c = __rdtsc(), b = ns_now();
		if (b - a < best) {
			best = b - a;
			*ns = a + (b - a) / 2;
			*tsc = c;
		}
	}
}

static void kvm_timer_init(void)
{
	static unsigned cached_khz;

	kvm_report_begin("kvm_timer_init");
	if (!cached_khz) {
		FILE *f =
		    fopen("/sys/devices/system/cpu/cpu0/tsc_freq_khz", "r");
		unsigned khz = 0;

		if (f) {
			if (fscanf(f, "%u", &khz) != 1)
				khz = 0;
			fclose(f);
		}
		if (khz) {
			tsc_khz_source = "sysfs tsc_freq_khz";
		} else {
			uint64_t t0, c0, t1, c1;
			struct timespec d = {0, 4 * 1000 * 1000};

			tsc_clock_pair(&t0, &c0);
			nanosleep(&d, NULL);
			tsc_clock_pair(&t1, &c1);
			khz = (unsigned)((c1 - c0) * 1000000ull / (t1 - t0));
			khz = (khz + 500) / 1000 * 1000;
			tsc_khz_source = "measured: host RDTSC vs "
					 "CLOCK_MONOTONIC_RAW, 4 ms";
		}
		cached_khz = khz;
	}
	tsc_khz = cached_khz;
	kvm_report_note("tsc_khz", "%u", tsc_khz);
	kvm_report_end(0, "%u kHz (%s)", tsc_khz, tsc_khz_source);
}

/* ---- kvm_arch_init ------------------------------------------------------ */

static void kvm_set_mmio_spte_mask(void)
{
	uint32_t r[4];
	uint64_t mask;

	cpu_cpuid(host_cpu(0), 0x80000000, 0, r);
	if (r[0] >= 0x80000008) {
		cpu_cpuid(host_cpu(0), 0x80000008, 0, r);
		host_maxphyaddr = r[0] & 0xff;
	}
	/*
	 * Reserved physical-address bits [maxphyaddr, 51] plus present: a
	 * shadow PTE with these faults with PFEC.RSVD, which marks MMIO.
	 * With MAXPHYADDR 52 there is no reserved bit, so no MMIO caching.
	 */
	mask = 0;
	if (host_maxphyaddr < 52)
		mask = ((1ull << 52) - 1) & ~((1ull << host_maxphyaddr) - 1);
	if (mask)
		mask |= 1;
	kvm_report_begin("kvm_set_mmio_spte_mask");
	kvm_mmu_set_mmio_spte_mask(mask, mask);
	kvm_report_end(0, "MAXPHYADDR %llu, mask %#llx",
		       (unsigned long long)host_maxphyaddr,
		       (unsigned long long)mask);
}

int kvm_arch_init(void *opaque)
{
	struct kvm_x86_ops *ops = opaque;
	int r;

	kvm_report_begin("kvm_arch_init");
	if (kvm_x86_ops) {
		pr_err("already loaded the other module (%s)",
		       kvm_x86_ops->name);
		r = -EEXIST;
		goto out;
	}
	if (!ops->cpu_has_kvm_support()) {
		pr_err("no hardware support (CPUID.1:ECX.VMX = 0)");
		r = -EOPNOTSUPP;
		kvm_report_step(r, "cpu_has_kvm_support",
				"CPUID.1:ECX.VMX = 0");
		goto out;
	}
	kvm_report_step(0, "cpu_has_kvm_support", "CPUID.1:ECX.VMX = 1");
	if (ops->disabled_by_bios()) {
		pr_err("disabled by bios (IA32_FEATURE_CONTROL)");
		r = -EOPNOTSUPP;
		kvm_report_step(r, "disabled_by_bios",
				"VMX disabled and locked");
		goto out;
	}
	kvm_report_step(0, "disabled_by_bios", "no: VMX enabled outside SMX");

	r = kvm_mmu_module_init();
	if (r)
		goto out;
	kvm_set_mmio_spte_mask();
	kvm_init_msr_list();
	kvm_x86_ops = ops;
	kvm_report_step(0, "kvm_x86_ops = ops", "vendor %s", ops->name);
	kvm_timer_init();
	r = 0;
out:
	kvm_report_end(r, "%s", "");
	return r;
}

void kvm_arch_exit(void)
{
	kvm_x86_ops = NULL;
	kvm_mmu_module_exit();
	num_msrs_to_save = 0;
	efer_reserved_bits = ~(EFER_SCE | EFER_LME | EFER_LMA);
}

int kvm_arch_hardware_setup(void)
{
	int r;

	kvm_report_begin("kvm_arch_hardware_setup");
	r = kvm_x86_ops->hardware_setup();
	kvm_report_end(r, "%s", "");
	return r;
}

void kvm_arch_hardware_unsetup(void)
{
	kvm_x86_ops->hardware_unsetup();
}

int kvm_arch_check_processor_compat(int cpu)
{
	return kvm_x86_ops->check_processor_compatibility(cpu);
}

int kvm_arch_hardware_enable(int cpu)
{
	return kvm_x86_ops->hardware_enable(cpu);
}

void kvm_arch_hardware_disable(int cpu)
{
	kvm_x86_ops->hardware_disable(cpu);
}

/* ---- VMs and vCPUs ---------------------------------------------------- */

uint64_t kvm_mmu_max_gfn(void)
{
	return 1ull << (host_maxphyaddr - PAGE_SHIFT);
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	int r;

	if (type != 0) /* KVM_X86_DEFAULT_VM only */
		return -EINVAL;
	kvm->arch.tsc_offset = (uint64_t) - (int64_t)__rdtsc();
	kvm->arch.ept_identity_map_addr = 0xfffbc000; /* KVM's default */
	kvmclock_init_vm(kvm);
	/* Without EPT each vCPU gets a shadow MMU instead (mmu/shadow.c). */
	if (kvm_x86_ops->tdp_enabled()) {
		r = kvm_tdp_mmu_init_vm(kvm);
		if (r)
			return r;
	}
	if (kvm_x86_ops->vm_init) {
		r = kvm_x86_ops->vm_init(kvm);
		if (r) {
			kvm_tdp_mmu_destroy_vm(kvm);
			return r;
		}
	}
	r = kvm_start_kick_watcher(kvm);
	if (r) {
		if (kvm_x86_ops->vm_destroy)
			kvm_x86_ops->vm_destroy(kvm);
		kvm_tdp_mmu_destroy_vm(kvm);
	}
	return r;
}

void kvm_arch_pre_destroy_vm(struct kvm *kvm)
{
	kvm_stop_kick_watcher(kvm);
	/* Before the vCPUs go: the irqchip's timer thread kicks them. */
	kvm_irq_destroy_vm(kvm);
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_stop_kick_watcher(kvm); /* if creation failed half way */
	if (kvm_x86_ops->vm_destroy)
		kvm_x86_ops->vm_destroy(kvm);
	kvm_tdp_mmu_destroy_vm(kvm);
}

void kvm_arch_commit_memory_region(struct kvm *kvm, int change)
{
	/* Any change may turn MMIO into RAM or back: drop every SPTE. */
	kvm_tdp_mmu_zap_all(kvm);
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r;

	vcpu->arch.pending_irq = -1;
	r = kvm_x86_ops->vcpu_create(vcpu);
	if (r)
		return r;
	if (kvm_x86_ops->tdp_enabled()) {
		/* The TDP root is per VM; every vCPU's EPTP points at it. */
		kvm_x86_ops->set_tdp_cr3(vcpu, kvm_tdp_root_hpa(vcpu->kvm));
	} else {
		r = kvm_shadow_mmu_create(vcpu);
		if (r) {
			kvm_x86_ops->vcpu_free(vcpu);
			return r;
		}
	}
	kvm_vcpu_reset(vcpu, false);
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_x86_ops->vcpu_free(vcpu);
	kvm_shadow_mmu_destroy(vcpu);
}

/* ---- capabilities and ioctls ----------------------------------------- */

int kvm_arch_check_extension(long ext)
{
	int irq = kvm_irq_check_extension(ext); /* irqchip capabilities */

	if (irq >= 0)
		return irq;
	switch (ext) {
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IMMEDIATE_EXIT:
		return 1;
	case KVM_CAP_GET_TSC_KHZ:
		return 1;
	case KVM_CAP_TSC_CONTROL:
		return 0;
	default:
		return 0;
	}
}

long kvm_arch_dev_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case KVM_GET_MSR_INDEX_LIST: {
		struct kvm_msr_list *l = arg;
		unsigned n;

		if (!l)
			return -EFAULT;
		n = l->nmsrs;
		l->nmsrs = num_msrs_to_save;
		if (n < num_msrs_to_save)
			return -E2BIG;
		memcpy(l->indices, msrs_to_save,
		       num_msrs_to_save * sizeof(uint32_t));
		return 0;
	}
	case KVM_GET_SUPPORTED_CPUID:
		if (!arg)
			return -EFAULT;
		return kvm_dev_ioctl_get_cpuid(arg);
	default:
		return -EINVAL;
	}
}

long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_SET_TSS_ADDR:
		/* Only needed for vm86-based real mode, which kvmini does not
		 * do (real mode needs unrestricted guest); remembered as KVM
		 * would, with Linux's range check. */
		if ((uintptr_t)arg > 0xffffffffu - 3 * PAGE_SIZE)
			return -EINVAL;
		kvm->arch.tss_addr = (uintptr_t)arg;
		kvm->arch.tss_addr_set = true;
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		/* Used only for paging-off guests on EPT without unrestricted
		 * guest, which kvmini refuses; stored as KVM does. */
		if (!arg)
			return -EFAULT;
		if (*(uint64_t *)arg & (PAGE_SIZE - 1))
			return -EINVAL;
		pthread_mutex_lock(&kvm->mmu_lock);
		kvm->arch.ept_identity_map_addr = *(uint64_t *)arg;
		kvm_tdp_mmu_zap_all(kvm);
		pthread_mutex_unlock(&kvm->mmu_lock);
		kvm_flush_remote_tlbs(kvm);
		return 0;
	default:
		return kvm_irq_vm_ioctl(kvm, req, arg); /* irqchip */
	}
}
