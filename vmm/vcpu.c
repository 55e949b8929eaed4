// SPDX-License-Identifier: GPL-2.0
/* One thread per vCPU: KVM_RUN and the exits the monitor handles. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "vmm/exit_status.h"
#include "vmm/vm.h"

const char *kvm_exit_reason_name(unsigned reason)
{
	static const char *const names[] = {
	    [KVM_EXIT_UNKNOWN] = "UNKNOWN",
	    [KVM_EXIT_EXCEPTION] = "EXCEPTION",
	    [KVM_EXIT_IO] = "IO",
	    [KVM_EXIT_HYPERCALL] = "HYPERCALL",
	    [KVM_EXIT_DEBUG] = "DEBUG",
	    [KVM_EXIT_HLT] = "HLT",
	    [KVM_EXIT_MMIO] = "MMIO",
	    [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	    [KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	    [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	    [KVM_EXIT_INTR] = "INTR",
	    [KVM_EXIT_SET_TPR] = "SET_TPR",
	    [KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	    [KVM_EXIT_NMI] = "NMI",
	    [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	    [KVM_EXIT_OSI] = "OSI",
	    [KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "?";
}

static void dump_seg(FILE *out, const char *n, const struct kvm_segment *s)
{
	fprintf(out,
		"  %-3s sel=%04x base=%016llx limit=%08x type=%x s=%u dpl=%u "
		"p=%u db=%u l=%u g=%u\n",
		n, s->selector, (unsigned long long)s->base, s->limit, s->type,
		s->s, s->dpl, s->present, s->db, s->l, s->g);
}

void vcpu_dump_regs(struct vcpu *v, FILE *out)
{
	struct vmm_backend *b = v->vm->b;
	struct kvm_regs r;
	struct kvm_sregs s;
	int e;

	e = vmm_ioctl(b, v->fd, KVM_GET_REGS, &r);
	if (e < 0) {
		fprintf(out, "  (KVM_GET_REGS failed: %s)\n", strerror(-e));
	} else {
		fprintf(out,
			"  rip=%016llx rsp=%016llx rflags=%016llx\n"
			"  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
			"  rsi=%016llx rdi=%016llx rbp=%016llx\n"
			"  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n"
			"  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n",
			r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
			r.rsi, r.rdi, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12,
			r.r13, r.r14, r.r15);
	}
	e = vmm_ioctl(b, v->fd, KVM_GET_SREGS, &s);
	if (e < 0) {
		fprintf(out, "  (KVM_GET_SREGS failed: %s)\n", strerror(-e));
		return;
	}
	fprintf(out,
		"  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx\n"
		"  efer=%016llx apic_base=%016llx\n",
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.apic_base);
	dump_seg(out, "cs", &s.cs);
	dump_seg(out, "ss", &s.ss);
	dump_seg(out, "ds", &s.ds);
	dump_seg(out, "es", &s.es);
	dump_seg(out, "fs", &s.fs);
	dump_seg(out, "gs", &s.gs);
	dump_seg(out, "tr", &s.tr);
	fprintf(out,
		"  gdt base=%016llx limit=%04x  idt base=%016llx "
		"limit=%04x\n",
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

/* Reports a guest-side failure with the vCPU's state and ends the run. */
static void vcpu_fail(struct vcpu *v, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void vcpu_fail(struct vcpu *v, int status, const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fprintf(stderr, "kvmini: vcpu%d: ", v->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	vcpu_dump_regs(v, stderr);
	funlockfile(stderr);
	vm_request_stop(v->vm, status);
}

static void trace(struct vcpu *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void trace(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->vm->cfg.trace)
		return;
	flockfile(stderr);
	fprintf(stderr, "kvmini: trace: vcpu%d: ", v->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	uint64_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data;

	/* The exit is built from guest input: trust nothing in it. */
	if ((size != 1 && size != 2 && size != 4 && size != 8) || !count ||
	    off > vm->run_size || size * count > vm->run_size - off) {
		vcpu_fail(v, VMM_EXIT_MONITOR,
			  "malformed KVM_EXIT_IO: port %#x size %" PRIu64
			  " count %" PRIu64 " data_offset %#" PRIx64,
			  run->io.port, size, count, off);
		return;
	}
	data = (uint8_t *)run + off;
	trace(v, "exit IO %s port %#x size %" PRIu64 " count %" PRIu64,
	      out ? "out" : "in", run->io.port, size, count);
	for (uint64_t i = 0; i < count && !vm_stopping(vm); i++) {
		uint8_t *d = data + i * size;
		bool claimed;

		if (out)
			claimed = iobus_write(&vm->pio, run->io.port, d, size);
		else
			claimed = iobus_read(&vm->pio, run->io.port, d, size);
		if (!claimed)
			trace(v,
			      "unclaimed port %s %#x size %" PRIu64
			      " %s %#" PRIx64,
			      out ? "write" : "read", run->io.port, size,
			      out ? "value" : "->", io_le_get(d, size));
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;
	unsigned len = run->mmio.len;
	bool claimed;

	if (len < 1 || len > sizeof(run->mmio.data)) {
		vcpu_fail(v, VMM_EXIT_MONITOR,
			  "malformed KVM_EXIT_MMIO: addr %#llx len %u",
			  (unsigned long long)run->mmio.phys_addr, len);
		return;
	}
	trace(v, "exit MMIO %s %#llx len %u",
	      run->mmio.is_write ? "write" : "read",
	      (unsigned long long)run->mmio.phys_addr, len);
	if (run->mmio.is_write)
		claimed = iobus_write(&vm->mmio, run->mmio.phys_addr,
				      run->mmio.data, len);
	else
		claimed = iobus_read(&vm->mmio, run->mmio.phys_addr,
				     run->mmio.data, len);
	if (!claimed)
		trace(v, "unclaimed MMIO %s %#llx len %u %s %#" PRIx64,
		      run->mmio.is_write ? "write" : "read",
		      (unsigned long long)run->mmio.phys_addr, len,
		      run->mmio.is_write ? "value" : "->",
		      io_le_get(run->mmio.data, len));
}

static void handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		trace(v, "system event: poweroff");
		vm_request_stop(v->vm, VMM_EXIT_OK);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		fprintf(stderr,
			"kvmini: vcpu%d: guest asked for a reset; "
			"kvmini does not reboot, stopping\n",
			v->id);
		vm_request_stop(v->vm, VMM_EXIT_OK);
		break;
	default:
		vcpu_fail(v, VMM_EXIT_GUEST_CRASH, "system event %u",
			  v->run->system_event.type);
	}
}

static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		/*
		 * No in-kernel irqchip and no device of ours raises an
		 * interrupt yet: nothing can ever wake this vCPU.
		 */
		trace(v, "exit HLT: no interrupt source, stopping");
		vm_request_stop(v->vm, VMM_EXIT_OK);
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fail(v, VMM_EXIT_GUEST_CRASH,
			  "triple fault (KVM_EXIT_SHUTDOWN)");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_fail(v, VMM_EXIT_GUEST_CRASH,
			  "VM entry failed (KVM_EXIT_FAIL_ENTRY), hardware "
			  "reason %#llx",
			  (unsigned long long)
			      run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR: {
		char data[160] = "";
		unsigned n = run->internal.ndata;

		if (n >
		    sizeof(run->internal.data) / sizeof(run->internal.data[0]))
			n = sizeof(run->internal.data) /
			    sizeof(run->internal.data[0]);
		for (unsigned i = 0, len = 0; i < n && len < sizeof(data); i++)
			len +=
			    snprintf(data + len, sizeof(data) - len, " %#llx",
				     (unsigned long long)run->internal.data[i]);
		vcpu_fail(v, VMM_EXIT_GUEST_CRASH,
			  "KVM internal error, suberror %u%s%s",
			  run->internal.suberror, n ? ", data:" : "", data);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(v);
		return false;
	default:
		vcpu_fail(v, VMM_EXIT_GUEST_CRASH,
			  "unexpected exit reason %u (KVM_EXIT_%s)",
			  run->exit_reason,
			  kvm_exit_reason_name(run->exit_reason));
		return false;
	}
}

/* With no irqchip to deliver INIT/SIPI, an AP only waits for the end. */
static void vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->lock);
	while (!vm_stopping(vm))
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	int r;

	/* Without an in-kernel LAPIC nothing would hold an AP at reset. */
	if (v->id != 0 && !vm->irqchip) {
		vcpu_park(v);
		return NULL;
	}
	while (!vm_stopping(vm)) {
		r = vmm_ioctl(vm->b, v->fd, KVM_RUN, NULL);
		if (r == -EINTR || r == -EAGAIN) {
			v->run->immediate_exit = 0;
			continue;
		}
		if (r < 0) {
			const char *hint = "";

			if (!strcmp(vm->b->name, "soft") &&
			    (r == -ENOSYS || r == -EOPNOTSUPP || r == -ENOTTY))
				hint = " — the software CPU cannot run guests "
				       "yet";
			fprintf(stderr,
				"kvmini: backend %s: KVM_RUN failed: "
				"%s%s\n",
				vm->b->name, strerror(-r), hint);
			vm_request_stop(vm, VMM_EXIT_MONITOR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}
