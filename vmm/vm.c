// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86/processor-flags.h>

#include "vmm/boot/linux.h"
#include "vmm/exit_status.h"
#include "vmm/vm.h"

/* Where KVM on Intel keeps the real-mode TSS: 3 pages below the BIOS. */
#define VM_TSS_ADDR 0xfffbd000UL

static void vm_debug_exit(void *ctx, int status, uint64_t value)
{
	vm_request_stop(ctx, status);
}

static void vm_reset(void *ctx, const char *how)
{
	fprintf(stderr,
		"kvmini: guest asked for a reset (%s); kvmini does "
		"not reboot, stopping\n",
		how);
	vm_request_stop(ctx, VMM_EXIT_OK);
}

/* Called with the port bus locked, from whichever thread touched the UART. */
static void vm_uart_irq(void *ctx, int level)
{
	struct vm *vm = ctx;
	struct kvm_irq_level irq = {.irq = 4, .level = level};

	vmm_ioctl(vm->b, vm->fd, KVM_IRQ_LINE, &irq);
}

/*
 * Console input into the UART. Waits for the port bus only briefly: a
 * vCPU may hold it while stdout is stalled, and the console must go on
 * reading the terminal for Ctrl-A X.
 */
static int vm_console_deliver(void *ctx, const uint8_t *buf, unsigned n)
{
	struct vm *vm = ctx;
	struct timespec until;
	unsigned room;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 10 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_timedlock(&vm->pio.lock, &until))
		return -EBUSY;
	room = uart8250_rx_room(&vm->uart);
	if (n > room)
		n = room;
	if (n)
		uart8250_receive(&vm->uart, buf, n);
	pthread_mutex_unlock(&vm->pio.lock);
	return n;
}

static void vm_console_quit(void *ctx)
{
	vm_request_stop(ctx, VMM_EXIT_OK);
}

static void vm_uart_rx_space(void *ctx)
{
	struct vm *vm = ctx;

	console_rx_space(&vm->console);
}

static bool vm_uart_out_abort(void *ctx)
{
	return vm_stopping(ctx);
}

static int vm_create_irqchip(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = {.flags = 0};
	struct vmm_backend *b = vm->b;
	int r;

	if (vmm_ioctl(b, b->sys, KVM_CHECK_EXTENSION,
		      (void *)(long)KVM_CAP_IRQCHIP) <= 0) {
		fprintf(stderr,
			"kvmini: note: backend %s has no in-kernel "
			"irqchip; the guest gets no interrupts\n",
			b->name);
		return 0;
	}
	r = vmm_ioctl(b, vm->fd, KVM_CREATE_IRQCHIP, NULL);
	if (r < 0) {
		snprintf(err, errlen, "backend %s: KVM_CREATE_IRQCHIP: %s",
			 b->name, strerror(-r));
		return r;
	}
	vm->irqchip = true;
	if (vmm_ioctl(b, b->sys, KVM_CHECK_EXTENSION,
		      (void *)(long)KVM_CAP_PIT2) <= 0) {
		fprintf(stderr,
			"kvmini: note: backend %s has no in-kernel "
			"PIT\n",
			b->name);
		return 0;
	}
	r = vmm_ioctl(b, vm->fd, KVM_CREATE_PIT2, &pit);
	if (r < 0)
		snprintf(err, errlen, "backend %s: KVM_CREATE_PIT2: %s",
			 b->name, strerror(-r));
	return r;
}

/*
 * kvm_pvm (no VMX: guest CPL0 is emulated) advertises CMPXCHG16B but its
 * emulator cannot execute it at CPL0: Linux's SLUB then dies with
 * KVM_EXIT_INTERNAL_ERROR. Hide CX16 there; nothing requires it.
 */
static void vm_cpuid_host_quirks(struct vm *vm)
{
	if (strcmp(vm->b->name, "kvm") || access("/sys/module/kvm_pvm", F_OK))
		return;
	for (unsigned i = 0; i < vm->cpuid->nent; i++)
		if (vm->cpuid->entries[i].function == 1)
			vm->cpuid->entries[i].ecx &= ~(1u << 13); /* CX16 */
}

static int vm_get_cpuid(struct vm *vm, char *err, size_t errlen)
{
	int nent = 64, r;

	for (;;) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = nent;
		r = vmm_ioctl(vm->b, vm->b->sys, KVM_GET_SUPPORTED_CPUID, c);
		if (r >= 0) {
			vm->cpuid = c;
			vm_cpuid_host_quirks(vm);
			return 0;
		}
		free(c);
		if (r != -E2BIG || nent >= 4096) {
			snprintf(err, errlen,
				 "backend %s: KVM_GET_SUPPORTED_CPUID: %s",
				 vm->b->name, strerror(-r));
			return r;
		}
		nent *= 2;
	}
}

/*
 * KVM_GET_SUPPORTED_CPUID leaves the per-CPU fields to userspace: the
 * initial APIC ID (leaf 1 EBX[31:24]) and the x2APIC ID (leaves 0xB and
 * 0x1F EDX) must name this vCPU.
 */
static void vcpu_fixup_cpuid(struct kvm_cpuid2 *c, int id)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | ((uint32_t)id << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = id;
	}
}

static int vcpu_create(struct vm *vm, int id, char *err, size_t errlen)
{
	struct vcpu *v = &vm->vcpus[id];
	int r;

	v->vm = vm;
	v->id = id;
	v->fd = vmm_ioctl(vm->b, vm->fd, KVM_CREATE_VCPU, (void *)(long)id);
	if (v->fd < 0) {
		r = v->fd;
		snprintf(err, errlen, "backend %s: KVM_CREATE_VCPU %d: %s",
			 vm->b->name, id, strerror(-r));
		return r;
	}
	v->run = vm->b->ops->map_run(v->fd, vm->run_size);
	if (!v->run) {
		snprintf(err, errlen,
			 "backend %s: cannot map vCPU %d's "
			 "kvm_run",
			 vm->b->name, id);
		return -ENOMEM;
	}
	vcpu_fixup_cpuid(vm->cpuid, id);
	r = vmm_ioctl(vm->b, v->fd, KVM_SET_CPUID2, vm->cpuid);
	if (r < 0) {
		snprintf(err, errlen,
			 "backend %s: KVM_SET_CPUID2 on vCPU %d: "
			 "%s",
			 vm->b->name, id, strerror(-r));
		return r;
	}
	return 0;
}

static int vm_add_device(struct vm *vm, struct io_bus *bus, struct io_device *d,
			 char *err, size_t errlen)
{
	int r = iobus_register(bus, d);

	if (r < 0)
		snprintf(err, errlen, "cannot register %s: %s", d->name,
			 strerror(-r));
	return r;
}

int vm_create(struct vm *vm, struct vmm_backend *b, const struct vm_config *cfg,
	      struct guest_mem *mem, char *err, size_t errlen)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->b = b;
	vm->fd = -1;
	vm->cfg = *cfg;
	vm->mem = *mem;
	memset(mem, 0, sizeof(*mem));
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	iobus_init(&vm->pio, "pio");
	iobus_init(&vm->mmio, "mmio");
	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > VM_MAX_VCPUS) {
		snprintf(err, errlen, "vCPU count %d out of range 1..%d",
			 cfg->nr_vcpus, VM_MAX_VCPUS);
		return -EINVAL;
	}

	vm->fd = vmm_ioctl(b, b->sys, KVM_CREATE_VM, NULL);
	if (vm->fd < 0) {
		r = vm->fd;
		snprintf(err, errlen, "backend %s: KVM_CREATE_VM: %s", b->name,
			 strerror(-r));
		return r;
	}
	if (vmm_ioctl(b, b->sys, KVM_CHECK_EXTENSION,
		      (void *)(long)KVM_CAP_SET_TSS_ADDR) > 0) {
		r = vmm_ioctl(b, vm->fd, KVM_SET_TSS_ADDR, (void *)VM_TSS_ADDR);
		if (r < 0) {
			snprintf(err, errlen,
				 "backend %s: KVM_SET_TSS_ADDR: "
				 "%s",
				 b->name, strerror(-r));
			return r;
		}
	}
	for (int i = 0; i < vm->mem.nslots; i++) {
		struct kvm_userspace_memory_region reg = {
		    .slot = i,
		    .guest_phys_addr = vm->mem.slot[i].gpa,
		    .memory_size = vm->mem.slot[i].size,
		    .userspace_addr = (uintptr_t)vm->mem.slot[i].hva,
		};

		r = vmm_ioctl(b, vm->fd, KVM_SET_USER_MEMORY_REGION, &reg);
		if (r < 0) {
			snprintf(err, errlen,
				 "backend %s: "
				 "KVM_SET_USER_MEMORY_REGION slot %d: %s",
				 b->name, i, strerror(-r));
			return r;
		}
	}
	if (cfg->irqchip) {
		r = vm_create_irqchip(vm, err, errlen);
		if (r < 0)
			return r;
	}
	r = vmm_ioctl(b, b->sys, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (r < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "backend %s: KVM_GET_VCPU_MMAP_SIZE: %s",
			 b->name, r < 0 ? strerror(-r) : "too small");
		return r < 0 ? r : -EPROTO;
	}
	vm->run_size = r;
	r = vm_get_cpuid(vm, err, errlen);
	if (r < 0)
		return r;
	for (int i = 0; i < cfg->nr_vcpus; i++) {
		vm->vcpus[i].fd = -1;
		vm->nr_vcpus = i + 1;
		r = vcpu_create(vm, i, err, errlen);
		if (r < 0)
			return r;
	}

	/* Input comes from the console thread (vm_run), with or without IRQ. */
	uart8250_init(&vm->uart, UART_COM1_BASE, cfg->console_out, -1);
	vm->uart.rx_space = vm_uart_rx_space;
	vm->uart.rx_space_ctx = vm;
	vm->uart.out_abort = vm_uart_out_abort;
	vm->uart.out_abort_ctx = vm;
	vm->console.wake_fd = -1;
	if (vm->irqchip) {
		vm->uart.set_irq = vm_uart_irq;
		vm->uart.irq_ctx = vm;
	}
	debug_exit_init(&vm->dbg, DEBUG_EXIT_PORT, vm_debug_exit, vm);
	reset_dev_init(&vm->reset, vm_reset, vm);
	r = vm_add_device(vm, &vm->pio, &vm->uart.dev, err, errlen);
	if (r >= 0)
		r = vm_add_device(vm, &vm->pio, &vm->dbg.dev, err, errlen);
	if (r >= 0)
		r = vm_add_device(vm, &vm->pio, &vm->reset.rst_cnt, err,
				  errlen);
	/* RTC, i8042, port 0x80, ACPI PM; firmware tables for Linux guests. */
	if (r >= 0)
		r = platform_setup(vm, &vm->platform,
				   vm->cfg.irqchip && vm->irqchip, err, errlen);
	return r;
}

void vm_destroy(struct vm *vm)
{
	/* First: the RTC thread may still raise IRQ 8 through the VM fd. */
	platform_teardown(&vm->platform);
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			vm->b->ops->unmap_run(v->run, vm->run_size);
		if (v->fd >= 0)
			vm->b->ops->close(v->fd);
	}
	if (vm->fd >= 0)
		vm->b->ops->close(vm->fd);
	free(vm->cpuid);
	gm_free(&vm->mem);
	iobus_destroy(&vm->pio);
	iobus_destroy(&vm->mmio);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	vm->nr_vcpus = 0;
	vm->fd = -1;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     bool code64)
{
	*s = (struct kvm_segment){.base = 0,
				  .limit = 0xffffffff,
				  .selector = sel,
				  .type = type,
				  .present = 1,
				  .dpl = 0,
				  .db = code64 ? 0 : 1,
				  .s = 1,
				  .l = code64,
				  .g = 1};
}

static void seg_real(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){.base = (uint64_t)sel << 4,
				  .limit = 0xffff,
				  .selector = sel,
				  .type = type,
				  .present = 1,
				  .s = 1};
}

int vm_set_boot_state(struct vm *vm, const struct boot_state *bs, char *err,
		      size_t errlen)
{
	struct vcpu *v = &vm->vcpus[0];
	struct kvm_sregs sr;
	struct kvm_regs regs = {0};
	int r;

	r = vmm_ioctl(vm->b, v->fd, KVM_GET_SREGS, &sr);
	if (r < 0)
		goto fail_get;
	switch (bs->mode) {
	case BOOT_LINUX:
		linux_boot_apply_sregs(bs->lboot, &sr);
		regs = bs->lboot->regs;
		break;
	case BOOT_REAL16:
		seg_real(&sr.cs, bs->real_cs, 0xb);
		seg_real(&sr.ss, bs->real_ss, 0x3);
		seg_real(&sr.ds, 0, 0x3);
		sr.es = sr.fs = sr.gs = sr.ds;
		sr.cr0 &= ~0x80000001ULL; /* PG, PE */
		break;
	case BOOT_PROT32:
	case BOOT_LONG64:
		seg_flat(&sr.cs,
			 bs->mode == BOOT_LONG64 ? BOOT_SEL_CODE64
						 : BOOT_SEL_CODE32,
			 0xb, bs->mode == BOOT_LONG64);
		seg_flat(&sr.ds, BOOT_SEL_DATA, 0x3, false);
		sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
		sr.gdt.base = bs->gdt_base;
		sr.gdt.limit = bs->gdt_limit;
		sr.idt.base = 0;
		sr.idt.limit = 0;
		sr.cr0 = X86_CR0_PE | X86_CR0_ET;
		sr.cr4 = 0;
		sr.efer = 0;
		if (bs->mode == BOOT_LONG64) {
			sr.cr0 |= X86_CR0_PG | X86_CR0_NE | X86_CR0_MP;
			sr.cr3 = bs->cr3;
			sr.cr4 = X86_CR4_PAE;
			sr.efer = EFER_LME | EFER_LMA;
		}
		break;
	}
	r = vmm_ioctl(vm->b, v->fd, KVM_SET_SREGS, &sr);
	if (r < 0) {
		snprintf(err, errlen,
			 "backend %s: KVM_SET_SREGS (%s entry): "
			 "%s",
			 vm->b->name, bs->format, strerror(-r));
		return r;
	}
	if (bs->mode != BOOT_LINUX) {
		regs.rflags = 0x2;
		regs.rip = bs->rip;
		regs.rsp = bs->rsp;
		regs.rax = bs->rax;
		regs.rbx = bs->rbx;
		regs.rdx = bs->rdx;
		regs.rsi = bs->rsi;
	}
	r = vmm_ioctl(vm->b, v->fd, KVM_SET_REGS, &regs);
	if (r < 0) {
		snprintf(err, errlen, "backend %s: KVM_SET_REGS: %s",
			 vm->b->name, strerror(-r));
		return r;
	}
	return 0;
fail_get:
	snprintf(err, errlen, "backend %s: KVM_GET_SREGS: %s", vm->b->name,
		 strerror(-r));
	return r;
}

static void vm_kick(int sig)
{
	/* Only there to make KVM_RUN return -EINTR. */
}

void vm_request_stop(struct vm *vm, int status)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&vm->lock);
	/*
	 * Only the first request kicks: later ones may come while vm_run()
	 * is already joining threads, and a joined thread must not be
	 * signalled.
	 */
	if (vm->stopping) {
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	vm->status = status;
	__atomic_store_n(&vm->stopping, true, __ATOMIC_RELEASE);
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->thread_started || pthread_equal(v->thread, self))
			continue;
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, SIGUSR1);
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

int vm_run(struct vm *vm)
{
	struct sigaction sa = {.sa_handler = vm_kick};
	struct console_ops cops = {
	    .deliver = vm_console_deliver, .quit = vm_console_quit, .ctx = vm};
	bool failed = false, quit;
	int r;

	/* No SA_RESTART: the kick must interrupt KVM_RUN. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* Raw mode from here on; console_stop() below puts it back. */
	r = console_start(&vm->console, vm->cfg.console_in, &cops);
	if (r < 0)
		fprintf(stderr, "kvmini: console input disabled: %s\n",
			strerror(-r));
	pthread_mutex_lock(&vm->lock);
	for (int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		r = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (r) {
			fprintf(stderr,
				"kvmini: cannot start vCPU %d's "
				"thread: %s\n",
				i, strerror(r));
			failed = true;
			break;
		}
		v->thread_started = true;
	}
	pthread_mutex_unlock(&vm->lock);
	if (failed)
		vm_request_stop(vm, VMM_EXIT_MONITOR);
	for (int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	quit = console_stop(&vm->console);
	if (quit)
		fprintf(stderr, "kvmini: terminated by Ctrl-A X\n");
	return vm->status;
}
