// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN (arch/x86/kvm/x86.c: kvm_arch_vcpu_ioctl_run, vcpu_run,
 * vcpu_enter_guest) and the common instruction emulation exit handlers
 * call: PIO to userspace, CPUID, HLT, RDMSR/WRMSR.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/x86/cpuid.h"
#include "kvm/x86/emulate.h"
#include "kvm/x86/irq/irq.h"
#include "kvm/x86/x86.h"

void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned vector, bool has_error,
			 uint32_t error_code)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	/* A second contributory fault while one is pending: #DF (simplified:
	 * any exception on top of a pending one becomes #DF, a third one
	 * a triple fault the CPU will report). */
	if (a->exception_pending && vector != 8) {
		vector = 8;
		has_error = true;
		error_code = 0;
	}
	a->exception_pending = true;
	a->exception_vector = vector;
	a->exception_has_error = has_error;
	a->exception_error_code = error_code;
}

int kvm_internal_error(struct kvm_vcpu *vcpu, uint32_t suberror, int ndata,
		       const uint64_t *data)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	if (ndata > 16)
		ndata = 16;
	run->internal.ndata = (uint32_t)ndata;
	for (int i = 0; i < ndata; i++)
		run->internal.data[i] = data[i];
	return 0;
}

static void skip(struct kvm_vcpu *vcpu)
{
	kvm_x86_ops->skip_emulated_instruction(vcpu);
}

int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	uint32_t out[4];
	uint64_t *r = vcpu->arch.regs;

	kvm_cpuid(vcpu, (uint32_t)r[VCPU_REGS_RAX], (uint32_t)r[VCPU_REGS_RCX],
		  out);
	r[VCPU_REGS_RAX] = out[0];
	r[VCPU_REGS_RBX] = out[1];
	r[VCPU_REGS_RCX] = out[2];
	r[VCPU_REGS_RDX] = out[3];
	skip(vcpu);
	return 1;
}

int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	skip(vcpu);
	/* In-kernel LAPIC: the vCPU blocks in KVM_RUN until an interrupt. */
	if (irqchip_in_kernel(vcpu->kvm))
		return kvm_irq_emulate_halt(vcpu);
	/* No in-kernel LAPIC: userspace decides what HLT means. */
	vcpu->arch.halted = true;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu)
{
	uint64_t *r = vcpu->arch.regs, v;
	uint32_t msr = (uint32_t)r[VCPU_REGS_RCX];

	if (kvm_get_msr(vcpu, msr, &v)) {
		kvm_queue_exception(vcpu, 13, true, 0);
		return 1;
	}
	r[VCPU_REGS_RAX] = v & 0xffffffffull;
	r[VCPU_REGS_RDX] = v >> 32;
	skip(vcpu);
	return 1;
}

int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	uint64_t *r = vcpu->arch.regs;
	uint32_t msr = (uint32_t)r[VCPU_REGS_RCX];
	uint64_t v =
	    (r[VCPU_REGS_RAX] & 0xffffffffull) | (r[VCPU_REGS_RDX] << 32);

	if (kvm_set_msr(vcpu, msr, v)) {
		kvm_queue_exception(vcpu, 13, true, 0);
		return 1;
	}
	skip(vcpu);
	return 1;
}

int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, uint16_t port, bool in)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + PAGE_SIZE * KVM_PIO_PAGE_OFFSET;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint32_t v = (uint32_t)a->regs[VCPU_REGS_RAX];

	/* PIC, ELCR, PIT and port 0x61 of the in-kernel irqchip. */
	if (kvm_irq_pio(vcpu, port, size, in, &v)) {
		if (in) {
			uint64_t *rax = &a->regs[VCPU_REGS_RAX];

			if (size == 1)
				*rax = (*rax & ~0xffull) | (v & 0xff);
			else if (size == 2)
				*rax = (*rax & ~0xffffull) | (v & 0xffff);
			else
				*rax = v;
		}
		skip(vcpu);
		return 1;
	}
	memset(&run->io, 0, sizeof(run->io));
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = PAGE_SIZE * KVM_PIO_PAGE_OFFSET;
	if (!in) {
		uint64_t v = a->regs[VCPU_REGS_RAX];

		memcpy(data, &v, (size_t)size);
		skip(vcpu); /* OUT is complete once userspace has the data */
		return 0;
	}
	a->pio_size = size;
	a->pending_io = PENDING_PIO_IN;
	return 0;
}

/* complete_fast_pio_in: the value userspace left in the data page. */
static int complete_fast_pio_in(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint8_t *data = (uint8_t *)vcpu->run + PAGE_SIZE * KVM_PIO_PAGE_OFFSET;
	uint64_t v = 0, *rax = &a->regs[VCPU_REGS_RAX];

	memcpy(&v, data, (size_t)a->pio_size);
	if (a->pio_size == 1)
		*rax = (*rax & ~0xffull) | v;
	else if (a->pio_size == 2)
		*rax = (*rax & ~0xffffull) | v;
	else
		*rax = v; /* IN EAX zero-extends into RAX */
	a->pending_io = PENDING_NONE;
	skip(vcpu);
	return 1;
}

static int complete_userspace_io(struct kvm_vcpu *vcpu)
{
	switch (vcpu->arch.pending_io) {
	case PENDING_PIO_IN:
		return complete_fast_pio_in(vcpu);
	case PENDING_STRING_IN:
		return complete_emulated_string_in(vcpu);
	case PENDING_MMIO_READ:
		return complete_emulated_mmio(vcpu);
	default:
		return 1;
	}
}

static bool kvm_run_interrupted(struct kvm_vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->run->immediate_exit, __ATOMIC_ACQUIRE);
}

/* vcpu_enter_guest + handle_exit, until something needs userspace. */
static int vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	for (;;) {
		const char *why;

		/* In-kernel irqchip: timers, INIT/SIPI, HLT blocking, and
		 * the interrupt to inject at this entry. First, so an AP
		 * waiting for SIPI blocks before its state is judged. */
		r = kvm_irq_vcpu_run_check(vcpu);
		if (r <= 0)
			return r;
		why = kvm_x86_ops->guest_state_unsupported(vcpu);
		if (why) {
			uint64_t d[2] = {vcpu->arch.cr0, vcpu->arch.rip};

			pr_err("vcpu %d: %s", vcpu->vcpu_id, why);
			return kvm_internal_error(
			    vcpu, KVM_INTERNAL_ERROR_EMULATION, 2, d);
		}
		if (kvm_run_interrupted(vcpu)) {
			run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		r = kvm_x86_ops->run(vcpu);
		if (r < 0)
			return r;
		r = kvm_x86_ops->handle_exit(vcpu);
		if (r <= 0)
			return r;
	}
}

int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	run->flags = 0;
	if (vcpu->arch.pending_io != PENDING_NONE) {
		r = complete_userspace_io(vcpu);
		if (r <= 0)
			return r;
	}
	r = vcpu_run(vcpu);
	run->if_flag = !!(vcpu->arch.rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->arch.cr8;
	run->apic_base = vcpu->arch.apic_base;
	run->ready_for_interrupt_injection =
	    vcpu->arch.pending_irq < 0 && (vcpu->arch.rflags & X86_EFLAGS_IF) &&
	    !(vcpu->arch.interruptibility & 3);
	return r;
}

/* ---- interrupting KVM_RUN without a preemption timer ---------------- */

static void *kick_watcher(void *arg)
{
	struct kvm *kvm = arg;
	struct timespec d = {0, 5 * 1000 * 1000};

	while (!atomic_load(&kvm->arch.kick_watcher_stop)) {
		int n = atomic_load(&kvm->online_vcpus);

		for (int i = 0; i < n; i++) {
			struct kvm_vcpu *vcpu = kvm->vcpus[i];

			if (atomic_load(&vcpu->mode) == IN_GUEST_MODE &&
			    __atomic_load_n(&vcpu->run->immediate_exit,
					    __ATOMIC_ACQUIRE))
				kvm_x86_ops->kick(vcpu);
		}
		nanosleep(&d, NULL);
	}
	return NULL;
}

int kvm_start_kick_watcher(struct kvm *kvm)
{
	if (kvm_x86_ops->guest_time_bounded &&
	    kvm_x86_ops->guest_time_bounded())
		return 0;
	atomic_store(&kvm->arch.kick_watcher_stop, false);
	if (pthread_create(&kvm->arch.kick_watcher, NULL, kick_watcher, kvm))
		return -ENOMEM;
	kvm->arch.kick_watcher_started = true;
	return 0;
}

void kvm_stop_kick_watcher(struct kvm *kvm)
{
	if (!kvm->arch.kick_watcher_started)
		return;
	atomic_store(&kvm->arch.kick_watcher_stop, true);
	pthread_join(kvm->arch.kick_watcher, NULL);
	kvm->arch.kick_watcher_started = false;
}
