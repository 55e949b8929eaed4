/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 arch layer's objects (arch/x86/include/asm/kvm_host.h): the
 * vendor seam struct kvm_x86_ops, per-vCPU architectural state, per-VM
 * MMU state.
 */
#ifndef KVMINI_KVM_X86_KVM_HOST_H
#define KVMINI_KVM_X86_KVM_HOST_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct kvm_vcpu;
struct kvm_mmu_page;
struct kvm_shadow_mmu;
struct kvm_irqchip_vm;

#define KVM_MAX_CPUID_ENTRIES 256

/* Segment order of the VMCS (ES, CS, SS, DS, FS, GS, LDTR, TR). */
enum kvm_sreg {
	VCPU_SREG_ES,
	VCPU_SREG_CS,
	VCPU_SREG_SS,
	VCPU_SREG_DS,
	VCPU_SREG_FS,
	VCPU_SREG_GS,
	VCPU_SREG_LDTR,
	VCPU_SREG_TR,
	VCPU_SREG_NR
};

/* GPR order of the ModRM encoding (RAX, RCX, RDX, RBX, RSP, ...). */
enum kvm_reg {
	VCPU_REGS_RAX,
	VCPU_REGS_RCX,
	VCPU_REGS_RDX,
	VCPU_REGS_RBX,
	VCPU_REGS_RSP,
	VCPU_REGS_RBP,
	VCPU_REGS_RSI,
	VCPU_REGS_RDI,
	VCPU_REGS_R8,
	VCPU_REGS_R9,
	VCPU_REGS_R10,
	VCPU_REGS_R11,
	VCPU_REGS_R12,
	VCPU_REGS_R13,
	VCPU_REGS_R14,
	VCPU_REGS_R15,
	NR_VCPU_REGS
};

/* What KVM_RUN must finish when userspace comes back (complete_userspace_io).
 */
enum kvm_pending_io {
	PENDING_NONE,
	PENDING_PIO_IN,
	PENDING_STRING_IN,
	PENDING_MMIO_READ
};

struct kvm_vcpu_arch {
	uint64_t regs[NR_VCPU_REGS];
	uint64_t rip, rflags;
	struct kvm_segment segments[VCPU_SREG_NR];
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t db[4], dr6, dr7;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux, pat;
	uint64_t misc_enable, tsc_offset;
	uint64_t kvmclock_msr;		  /* MSR_KVM_SYSTEM_TIME_NEW */
	uint64_t mtrr[27], mtrr_def_type; /* variable, then fixed ranges */
	uint32_t interruptibility;
	bool halted;

	struct kvm_cpuid_entry2 cpuid_entries[KVM_MAX_CPUID_ENTRIES];
	int cpuid_nent;
	struct kvm_fpu fpu; /* used only while the CPU cannot move FPU state */
	/* guest x87/SSE as an FXSAVE64 image, moved in and out of the CPU
	 * around each entry (x86/fpu.c, cpu_set_fxsave/cpu_get_fxsave) */
	uint8_t fxsave[512] __attribute__((aligned(16)));

	/* An external interrupt queued by KVM_INTERRUPT, -1 if none. */
	int pending_irq;
	/* A hardware exception to inject at the next entry. */
	bool exception_pending, exception_has_error;
	unsigned exception_vector;
	uint32_t exception_error_code;

	/* I/O to finish on the next KVM_RUN (see x86.c). */
	enum kvm_pending_io pending_io;
	int pio_size, pio_count;
	uint64_t pio_string_lin, pio_addr_mask;
	bool pio_string_rep;
	int mmio_size, mmio_reg, mmio_reg_width; /* destination of a read */
	bool mmio_sign_extend, mmio_reg_high8;
	uint8_t mmio_value[16]; /* the access's bytes, RAM parts filled in;
				  16: CMPSQ with both operands on MMIO */
	unsigned mmio_frag_off, mmio_frag_len; /* the part userspace serves */
	uint64_t pending_rip; /* RIP after the instruction that did the I/O */

	struct kvm_shadow_mmu *shadow; /* NULL with TDP */
	/* The last exit interrupted the delivery of an event (IDT-vectoring
	 * information valid): the instruction at RIP did not run yet. */
	bool event_vectoring;
	bool ran_once;
	uint64_t exits;
};

struct kvm_arch {
	/* TDP MMU (mmu/tdp_mmu.c). */
	struct kvm_mmu_page *root;	/* the PML4 table, NULL if none */
	struct kvm_mmu_page *mmu_pages; /* every table page of this VM */
	long ept_pages;
	uint64_t tdp_faults, tdp_maps_2m, tdp_maps_4k, mmio_sptes;
	uint64_t tss_addr, ept_identity_map_addr;
	/* EPT without unrestricted guest runs paging-off guests on this
	 * identity-mapping page table (1024 4 MiB PDEs), mapped by the TDP
	 * MMU at ept_identity_map_addr (KVM: a private memslot). */
	uint32_t *identity_pagetable;
	/* TSC offset every vCPU starts with: the guest TSC is 0 at
	 * KVM_CREATE_VM and the same on all vCPUs (kvm_synchronize_tsc). */
	uint64_t tsc_offset;
	uint64_t kvmclock_boot_ns, kvmclock_wall_msr; /* kvmclock.c */
	bool tss_addr_set;
	/* Without a way to bound guest time (VMX-preemption timer), a thread
	 * notices run->immediate_exit set by another thread and kicks. */
	/* The in-kernel irqchip (x86/irq/), NULL without KVM_CREATE_IRQCHIP.
	 * Owned by x86/irq/irq.c. */
	struct kvm_irqchip_vm *irqchip;
	pthread_t kick_watcher;
	bool kick_watcher_started;
	atomic_bool kick_watcher_stop;
};

struct kvm_x86_ops {
	const char *name;
	/* Support checks kvm_arch_init asks the vendor (4.x names). */
	bool (*cpu_has_kvm_support)(void);
	bool (*disabled_by_bios)(void);

	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	int (*check_processor_compatibility)(int cpu);
	int (*hardware_enable)(int cpu);
	void (*hardware_disable)(int cpu);

	int (*vm_init)(struct kvm *kvm);
	void (*vm_destroy)(struct kvm *kvm);

	int (*vcpu_create)(struct kvm_vcpu *vcpu);
	void (*vcpu_free)(struct kvm_vcpu *vcpu);
	void (*vcpu_reset)(struct kvm_vcpu *vcpu, bool init_event);
	void (*vcpu_load)(struct kvm_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct kvm_vcpu *vcpu);

	void (*set_cr3)(struct kvm_vcpu *vcpu, uint64_t cr3);
	void (*set_tdp_cr3)(struct kvm_vcpu *vcpu, uint64_t root_hpa);
	void (*tlb_flush)(struct kvm_vcpu *vcpu);

	/* Enter the guest once; returns 0 after a VM exit or entry failure
	 * (recorded for handle_exit), -errno if it could not try. */
	int (*run)(struct kvm_vcpu *vcpu);
	/* 1: resume the guest; 0: exit to userspace (run->exit_reason set);
	 * < 0: error to the KVM_RUN caller. */
	int (*handle_exit)(struct kvm_vcpu *vcpu);
	void (*skip_emulated_instruction)(struct kvm_vcpu *vcpu);
	/* Why a guest in this state cannot run on this CPU (NULL if it can). */
	const char *(*guest_state_unsupported)(struct kvm_vcpu *vcpu);
	bool (*tdp_enabled)(void);
	/* Whether a stay in the guest is bounded in time (so KVM_RUN sees
	 * immediate_exit without being kicked). */
	bool (*guest_time_bounded)(void);
	/* Kick: make the vCPU leave the guest soon (from another thread). */
	void (*kick)(struct kvm_vcpu *vcpu);
};

extern struct kvm_x86_ops *kvm_x86_ops;

/* run.c */
int kvm_start_kick_watcher(struct kvm *kvm);
void kvm_stop_kick_watcher(struct kvm *kvm);

/* x86.c */
int kvm_arch_init(void *opaque);
void kvm_arch_exit(void);
int kvm_arch_hardware_setup(void);
void kvm_arch_hardware_unsetup(void);
int kvm_arch_check_processor_compat(int cpu);
int kvm_arch_hardware_enable(int cpu);
void kvm_arch_hardware_disable(int cpu);
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type);
/* Stop everything that looks at the vCPUs before they are freed. */
void kvm_arch_pre_destroy_vm(struct kvm *kvm);
void kvm_arch_destroy_vm(struct kvm *kvm);
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);
long kvm_arch_dev_ioctl(unsigned long req, void *arg);
long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg);
long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg);
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
int kvm_arch_check_extension(long ext);
/* Called with the memslots already changed (kvm->mmu_lock held). */
void kvm_arch_commit_memory_region(struct kvm *kvm, int change);
uint64_t kvm_mmu_max_gfn(void);

void kvm_enable_efer_bits(uint64_t mask);
extern uint64_t efer_reserved_bits;
extern unsigned tsc_khz;
extern uint64_t host_maxphyaddr;

/* Which MSRs this host has (kvm_init_msr_list). */
extern uint32_t msrs_to_save[];
extern unsigned num_msrs_to_save;

/* The boot CPU (host CPU 0) answers "boot_cpu_has" questions. */
bool boot_cpu_has_nx(void);

#endif
