/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel irqchip (arch/x86/kvm/irq.h, irq_comm.c): one per VM,
 * created by KVM_CREATE_IRQCHIP. It holds the PIC pair, the IOAPIC, the
 * per-vCPU LAPICs, the optional PIT and the GSI routing table, all under
 * one lock (chip->lock): interrupts cross from one device to another
 * (PIT -> PIC -> LAPIC, LAPIC EOI -> IOAPIC) and one lock keeps those
 * paths simple and deadlock-free.
 *
 * The first half of this header is what the rest of KVM calls (the run
 * loop, the ioctl dispatch, PIO/MMIO/MSR emulation); the second half is
 * shared by the device models in this directory.
 */
#ifndef KVMINI_KVM_X86_IRQ_IRQ_H
#define KVMINI_KVM_X86_IRQ_IRQ_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm_host.h"

struct kvm_irqchip_vm;
struct kvm_lapic;

/* ---- hooks for the rest of KVM ---------------------------------------- */

/* The VM's irqchip, NULL before KVM_CREATE_IRQCHIP. */
struct kvm_irqchip_vm *kvm_irqchip(struct kvm *kvm);
static inline bool irqchip_in_kernel(struct kvm *kvm)
{
	return kvm_irqchip(kvm) != NULL;
}

/* VM ioctls of the irqchip (KVM_CREATE_IRQCHIP, KVM_IRQ_LINE(_STATUS),
 * KVM_CREATE_PIT2, KVM_GET/SET_IRQCHIP, KVM_GET/SET_PIT2, KVM_SIGNAL_MSI,
 * KVM_SET_GSI_ROUTING); -ENOTTY for any other request. */
long kvm_irq_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg);
/* vCPU ioctls (KVM_GET/SET_LAPIC, KVM_GET/SET_MP_STATE, and KVM_INTERRUPT,
 * which is -ENXIO with an in-kernel PIC); -ENOTTY for any other request. */
long kvm_irq_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg);
/* KVM_CHECK_EXTENSION answers; -1 if the capability is not ours. */
int kvm_irq_check_extension(long ext);
/* Stop the timer thread and free everything (VM destruction). */
void kvm_irq_destroy_vm(struct kvm *kvm);

/*
 * Before every VM entry (vcpu_run loop): run expired timers, take INIT and
 * SIPI, block while the vCPU is halted or waiting for SIPI (sleeping on a
 * condition variable until an interrupt, a kick or the next timer
 * deadline), and move the highest pending interrupt into
 * vcpu->arch.pending_irq when the guest can take it.
 * Returns 1 to enter the guest, -EINTR (run->exit_reason = KVM_EXIT_INTR)
 * when run->immediate_exit was set while blocked.
 */
int kvm_irq_vcpu_run_check(struct kvm_vcpu *vcpu);
/* Whether an interrupt is still pending that the guest could not take
 * yet: the vendor arms interrupt-window exiting for it. */
bool kvm_irq_want_window(struct kvm_vcpu *vcpu);
/* NMIs from the LAPIC (ICR, LVT with NMI delivery): take one for
 * injection now (false if none is pending), or give back one whose
 * delivery a VM exit interrupted. */
bool kvm_irq_take_nmi(struct kvm_vcpu *vcpu);
/* Whether an NMI is pending, without taking it (NMI-window exiting). */
bool kvm_irq_has_nmi(struct kvm_vcpu *vcpu);
void kvm_irq_requeue_nmi(struct kvm_vcpu *vcpu);
/* HLT with an in-kernel irqchip (instruction already skipped): the vCPU
 * becomes KVM_MP_STATE_HALTED; returns 1 (the run loop blocks). */
int kvm_irq_emulate_halt(struct kvm_vcpu *vcpu);
/* Wake a vCPU blocked in kvm_irq_vcpu_run_check (and kick it out of the
 * guest if it is running). */
void kvm_irq_vcpu_kick(struct kvm_vcpu *vcpu);

/* Port I/O to the PIC, ELCR, PIT and port 0x61: true if handled (for IN,
 * *val holds the result in its low @size bytes). */
bool kvm_irq_pio(struct kvm_vcpu *vcpu, uint16_t port, int size, bool in,
		 uint32_t *val);
/* MMIO to the LAPIC page or the IOAPIC window: true if handled (for a
 * read, @data is filled). */
bool kvm_irq_mmio(struct kvm_vcpu *vcpu, uint64_t gpa, bool write, void *data,
		  int len);
/* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs 0x800-0x8ff.
 * Returns 1 if the MSR is not ours (or there is no irqchip), 0 on
 * success, -1 for #GP. */
int kvm_irq_get_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data);
int kvm_irq_set_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data,
		    bool host_initiated);

/* ---- shared by the device models ---------------------------------------
 */

/* Time: CLOCK_MONOTONIC in ns and the guest TSC; tests replace both. */
extern uint64_t (*kvm_irq_clock_ns)(void);
extern uint64_t (*kvm_irq_guest_tsc)(struct kvm_vcpu *vcpu);

enum { KVM_USERSPACE_IRQ_SOURCE_ID = 0, KVM_PIT_IRQ_SOURCE_ID = 1 };

#define KVM_IRQCHIP_NUM_PINS 24
#define KVM_MAX_IRQ_ROUTES   1024
#define KVM_NR_GSIS	     1024

struct kvm_pic {
	struct kvm_pic_state pics[2]; /* master, slave */
	uint32_t irq_states[16];      /* per line: one bit per source */
	bool output;		      /* INTR of the master */
};

#define PIT_FREQ 1193182u

struct kvm_pit {
	struct kvm_pit_state2 state; /* count_load_time in ns */
	/* Channel 0 drives IRQ 0: next edge (0 = none), period (0 = once). */
	uint64_t next_irq_ns;
	uint64_t period_ns;
	/* KVM's "reinject" policy: ticks the guest has not acknowledged yet
	 * are delivered one per acknowledge, so a guest counting ticks
	 * (jiffies) keeps time when the host falls behind. */
	uint32_t pending;
	bool in_flight;
	uint64_t in_flight_ns;
};

struct kvm_ioapic {
	struct kvm_ioapic_state s;
	uint32_t irq_states[KVM_IRQCHIP_NUM_PINS];
};

struct kvm_routing_entry {
	uint32_t gsi, type;
	union {
		struct kvm_irq_routing_irqchip irqchip;
		struct kvm_irq_routing_msi msi;
	} u;
};

/* An interrupt message to LAPICs (from an IOAPIC, an MSI or an IPI). */
struct kvm_lapic_irq {
	uint32_t vector;
	uint32_t delivery_mode; /* APIC_DM_* >> 8 */
	uint32_t dest_mode;	/* 0 physical, 1 logical */
	bool level;		/* assert (INIT level de-assert is 0) */
	uint32_t trig_mode;	/* 0 edge, 1 level */
	uint32_t shorthand;	/* 0 none, 1 self, 2 all, 3 all but self */
	uint32_t dest_id;
};

struct kvm_irqchip_vm {
	struct kvm *kvm;
	pthread_mutex_t lock;
	struct kvm_pic pic;
	struct kvm_ioapic ioapic;
	struct kvm_pit *pit; /* KVM_CREATE_PIT2 */
	struct kvm_lapic *lapic[KVM_MAX_VCPUS];
	int nr_lapics; /* lapic[] slots in use are below this */
	struct kvm_routing_entry *routes;
	uint32_t nr_routes;
	int pit_ioapic_pin; /* IOAPIC pin of GSI 0 (-1: none) */
	/* Timer thread: fires LAPIC timers and PIT channel 0 on time. */
	pthread_t timer_thread;
	pthread_cond_t timer_cond;
	bool timer_started, timer_stop;
};

/* irq.c */
struct kvm_irqchip_vm *kvm_irqchip_create(struct kvm *kvm);
void kvm_irqchip_free(struct kvm_irqchip_vm *chip);
int kvm_set_irq(struct kvm_irqchip_vm *chip, int source, uint32_t gsi,
		bool level);
int kvm_set_msi(struct kvm_irqchip_vm *chip, const struct kvm_msi *msi);
int kvm_set_routing(struct kvm_irqchip_vm *chip,
		    const struct kvm_irq_routing_entry *e, uint32_t nr);
/* Run every timer due at @now; returns the next deadline (0: none). */
uint64_t kvm_irq_poll_timers(struct kvm_irqchip_vm *chip, uint64_t now);
/* Wake @vcpu (blocked or in the guest). */
void kvm_irq_wake(struct kvm_irqchip_vm *chip, struct kvm_vcpu *vcpu);
/* A timer deadline changed: let the timer thread recompute. */
void kvm_irq_timer_changed(struct kvm_irqchip_vm *chip);
/* Interrupt acceptance for a vCPU, PIC (ExtINT) first (chip->lock held). */
bool kvm_cpu_has_interrupt(struct kvm_irqchip_vm *chip, struct kvm_vcpu *vcpu);
int kvm_cpu_get_interrupt(struct kvm_irqchip_vm *chip, struct kvm_vcpu *vcpu);

/* i8259.c (chip->lock held) */
void kvm_pic_init(struct kvm_pic *pic);
void kvm_pic_reset(struct kvm_pic_state *s);
int kvm_pic_set_irq(struct kvm_irqchip_vm *chip, int irq, int source,
		    bool level);
/* INTA: the vector the PIC pair delivers (spurious IRQ 7/15 if none). */
int kvm_pic_read_irq(struct kvm_irqchip_vm *chip);
void kvm_pic_update_irq(struct kvm_irqchip_vm *chip);
bool kvm_pic_pio(struct kvm_irqchip_vm *chip, uint16_t port, bool in,
		 uint8_t *val);

/* i8254.c (chip->lock held) */
struct kvm_pit *kvm_pit_create(void);
void kvm_pit_reset(struct kvm_pit *pit, uint64_t now);
bool kvm_pit_pio(struct kvm_irqchip_vm *chip, uint16_t port, bool in,
		 uint8_t *val, uint64_t now);
/* Raise IRQ 0 if channel 0 is due; returns the next deadline (0: none). */
uint64_t kvm_pit_poll(struct kvm_irqchip_vm *chip, uint64_t now);
/* Current count / OUT of @ch at @now (for tests and port reads). */
uint16_t kvm_pit_get_count(struct kvm_pit *pit, int ch, uint64_t now);
int kvm_pit_get_out(struct kvm_pit *pit, int ch, uint64_t now);
/* The guest acknowledged IRQ 0 (PIC INTA or IOAPIC EOI of its pin). */
void kvm_pit_ack_irq(struct kvm_irqchip_vm *chip);
/* IRQ 0 was masked or unmasked somewhere (KVM's mask notifier): a tick
 * in flight there may never be acknowledged; start owing afresh. */
void kvm_pit_mask_changed(struct kvm_irqchip_vm *chip);
/* KVM_SET_PIT2: restart channel 0 from the loaded state. */
void kvm_pit_state_loaded(struct kvm_pit *pit, uint64_t now);

#endif
