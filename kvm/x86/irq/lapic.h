/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC of a vCPU (arch/x86/kvm/lapic.h): the 1 KiB register
 * page as KVM_GET/SET_LAPIC carries it, the timer, INIT/SIPI/NMI events.
 * All functions run under chip->lock.
 */
#ifndef KVMINI_KVM_X86_IRQ_LAPIC_H
#define KVMINI_KVM_X86_IRQ_LAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <x86/apicdef.h>
#include <x86/msr-index.h>

#include "kvm/x86/irq/irq.h"

/* Register offsets in the xAPIC page (SDM Vol. 3 Table 11-1). */
enum {
	APIC_ID = 0x20,
	APIC_LVR = 0x30,
	APIC_TASKPRI = 0x80,
	APIC_ARBPRI = 0x90,
	APIC_PROCPRI = 0xa0,
	APIC_EOI = 0xb0,
	APIC_RRR = 0xc0,
	APIC_LDR = 0xd0,
	APIC_DFR = 0xe0,
	APIC_SPIV = 0xf0,
	APIC_ISR = 0x100,
	APIC_TMR = 0x180,
	APIC_IRR = 0x200,
	APIC_ESR = 0x280,
	APIC_LVTCMCI = 0x2f0,
	APIC_ICR = 0x300,
	APIC_ICR2 = 0x310,
	APIC_LVTT = 0x320,
	APIC_LVTTHMR = 0x330,
	APIC_LVTPC = 0x340,
	APIC_LVT0 = 0x350,
	APIC_LVT1 = 0x360,
	APIC_LVTERR = 0x370,
	APIC_TMICT = 0x380,
	APIC_TMCCT = 0x390,
	APIC_TDCR = 0x3e0,
	APIC_SELF_IPI = 0x3f0, /* x2APIC only */
};

#define APIC_VERSION	    0x14
#define APIC_LVT_NUM	    6 /* timer, thermal, perf, LINT0, LINT1, error */
#define APIC_SPIV_ENABLED   (1u << 8)
#define APIC_LVT_MASKED	    (1u << 16)
#define APIC_LVT_LEVEL	    (1u << 15)
#define APIC_LVT_REMOTE	    (1u << 14)
#define APIC_DM_MASK	    0x700u
#define APIC_DM_FIXED	    0
#define APIC_DM_LOWEST	    1
#define APIC_DM_SMI	    2
#define APIC_DM_NMI	    4
#define APIC_DM_INIT	    5
#define APIC_DM_STARTUP	    6
#define APIC_DM_EXTINT	    7
#define APIC_ICR_BUSY	    (1u << 12)
#define APIC_ICR_LEVEL	    (1u << 14)
#define APIC_ICR_TRIGGER    (1u << 15)
#define APIC_TIMER_ONESHOT  0
#define APIC_TIMER_PERIODIC 1
#define APIC_TIMER_TSCDL    2
/* KVM's APIC bus runs at 1 GHz: one timer tick per ns before division. */
#define APIC_BUS_CYCLE_NS 1
/* Periodic timers faster than this are slowed down to it (as KVM's
 * min_timer_period_us): a guest cannot flood the host with interrupts. */
#define APIC_MIN_PERIOD_NS 200000ull

#define APIC_BASE_MSR 0x800

struct kvm_lapic {
	struct kvm_irqchip_vm *chip;
	struct kvm_vcpu *vcpu;
	uint8_t regs[KVM_APIC_REG_SIZE] __attribute__((aligned(16)));
	uint64_t base_msr; /* IA32_APIC_BASE */
	uint32_t mp_state;
	bool pending_init, pending_sipi;
	uint8_t sipi_vector;
	unsigned nmi_pending;
	/* Timer: next expiry in host ns (0: not armed), period (periodic). */
	uint64_t target_ns, period_ns;
	uint64_t tscdeadline;
	uint8_t cr8_seen; /* CR8 as last synced into TPR */
	bool want_window;
	pthread_cond_t cond; /* the vCPU sleeps here while blocked */
	bool blocked;
};

static inline uint32_t kvm_lapic_get_reg(const struct kvm_lapic *apic,
					 unsigned off)
{
	uint32_t v;

	__builtin_memcpy(&v, apic->regs + off, 4);
	return v;
}

static inline void kvm_lapic_set_reg(struct kvm_lapic *apic, unsigned off,
				     uint32_t v)
{
	__builtin_memcpy(apic->regs + off, &v, 4);
}

static inline bool apic_x2apic_mode(const struct kvm_lapic *apic)
{
	return apic->base_msr & X2APIC_ENABLE;
}

static inline bool kvm_apic_hw_enabled(const struct kvm_lapic *apic)
{
	return apic->base_msr & MSR_IA32_APICBASE_ENABLE;
}

static inline bool kvm_apic_sw_enabled(const struct kvm_lapic *apic)
{
	return kvm_lapic_get_reg(apic, APIC_SPIV) & APIC_SPIV_ENABLED;
}

struct kvm_lapic *kvm_create_lapic(struct kvm_irqchip_vm *chip,
				   struct kvm_vcpu *vcpu);
void kvm_free_lapic(struct kvm_lapic *apic);
/* Power-on (init_event false) or INIT reset of the APIC. */
void kvm_lapic_reset(struct kvm_lapic *apic, bool init_event);

/* Register access by offset in the xAPIC page (MMIO and x2APIC MSRs). */
uint32_t kvm_lapic_reg_read(struct kvm_lapic *apic, unsigned off);
/* 0, or -1 if the write is invalid (#GP for an x2APIC MSR). */
int kvm_lapic_reg_write(struct kvm_lapic *apic, unsigned off, uint32_t val);
int kvm_lapic_set_base(struct kvm_lapic *apic, uint64_t value,
		       bool host_initiated);
int kvm_x2apic_msr_read(struct kvm_lapic *apic, uint32_t msr, uint64_t *data);
int kvm_x2apic_msr_write(struct kvm_lapic *apic, uint32_t msr, uint64_t data);
uint32_t kvm_apic_id(const struct kvm_lapic *apic);

/* Interrupt acceptance (Linux: __apic_accept_irq): 1 accepted, 0 not. */
int kvm_apic_set_irq(struct kvm_lapic *apic, const struct kvm_lapic_irq *irq);
/* Deliver to every LAPIC the message addresses (@src: the sender for
 * shorthands, NULL for IOAPIC/MSI). Returns the number accepting, -1 if
 * none matched. */
int kvm_irq_delivery_to_apic(struct kvm_irqchip_vm *chip, struct kvm_lapic *src,
			     const struct kvm_lapic_irq *irq);
/* Highest deliverable vector (IRR above PPR), -1 if none. */
int kvm_apic_has_interrupt(struct kvm_lapic *apic);
/* INTA: move that vector from IRR to ISR and return it. */
int kvm_apic_get_interrupt(struct kvm_lapic *apic);
uint32_t kvm_apic_ppr(struct kvm_lapic *apic);
/* Whether this vCPU takes PIC interrupts (LINT0 ExtINT / APIC off). */
bool kvm_apic_accept_pic_intr(struct kvm_lapic *apic);
/* The PIC's INTR went up: wake the vCPUs that take it. */
void kvm_apic_pic_output_raised(struct kvm_irqchip_vm *chip);

/* Timer. */
void kvm_apic_timer_poll(struct kvm_lapic *apic, uint64_t now);
uint64_t kvm_apic_next_deadline(const struct kvm_lapic *apic);
void kvm_lapic_set_tscdeadline(struct kvm_lapic *apic, uint64_t data);
uint64_t kvm_lapic_get_tscdeadline(const struct kvm_lapic *apic);

/* KVM_GET/SET_LAPIC. */
void kvm_lapic_get_state(struct kvm_lapic *apic, struct kvm_lapic_state *s);
int kvm_lapic_set_state(struct kvm_lapic *apic,
			const struct kvm_lapic_state *s);

#endif
