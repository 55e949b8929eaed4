// SPDX-License-Identifier: GPL-2.0
/*
 * Local APIC emulation (arch/x86/kvm/lapic.c plays this role): the
 * register page, priorities (TPR/PPR), IRR/ISR/TMR, EOI with the IOAPIC
 * EOI broadcast, ICR IPIs (fixed, lowest priority, NMI, INIT, SIPI;
 * physical/logical destinations and shorthands), the LVT and the timer
 * (one-shot, periodic, TSC-deadline) on the host clock, xAPIC MMIO and
 * x2APIC MSRs. Runs under chip->lock.
 */
#include "kvm/x86/irq/lapic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/x86/irq/ioapic.h"
#include "kvm/x86/kvm_host.h"

/* Writable bits of each LVT entry (the rest read as 0). */
#define LVT_BASE_MASK (0xffu | (1u << 12) | APIC_LVT_MASKED)
static const uint32_t lvt_mask[APIC_LVT_NUM] = {
    LVT_BASE_MASK | (3u << 17),		       /* timer */
    LVT_BASE_MASK | APIC_DM_MASK,	       /* thermal */
    LVT_BASE_MASK | APIC_DM_MASK,	       /* perf */
    LVT_BASE_MASK | APIC_DM_MASK | (7u << 13), /* LINT0 */
    LVT_BASE_MASK | APIC_DM_MASK | (7u << 13), /* LINT1 */
    LVT_BASE_MASK,			       /* error */
};

static unsigned lvt_index(unsigned off)
{
	return (off - APIC_LVTT) >> 4;
}

/* ---- vector bitmaps (ISR, TMR, IRR: 8 words at 16-byte stride) ------- */

static void vec_set(struct kvm_lapic *apic, unsigned base, int vec)
{
	unsigned off = base + ((unsigned)vec >> 5) * 0x10;

	kvm_lapic_set_reg(apic, off,
			  kvm_lapic_get_reg(apic, off) | (1u << (vec & 31)));
}

static void vec_clear(struct kvm_lapic *apic, unsigned base, int vec)
{
	unsigned off = base + ((unsigned)vec >> 5) * 0x10;

	kvm_lapic_set_reg(apic, off,
			  kvm_lapic_get_reg(apic, off) & ~(1u << (vec & 31)));
}

static bool vec_test(const struct kvm_lapic *apic, unsigned base, int vec)
{
	return kvm_lapic_get_reg(apic, base + ((unsigned)vec >> 5) * 0x10) &
	       (1u << (vec & 31));
}

static int find_highest(const struct kvm_lapic *apic, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t w = kvm_lapic_get_reg(apic, base + (unsigned)i * 0x10);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* ---- identity and destinations ---------------------------------------- */

uint32_t kvm_apic_id(const struct kvm_lapic *apic)
{
	if (apic_x2apic_mode(apic))
		return (uint32_t)apic->vcpu->vcpu_id;
	return kvm_lapic_get_reg(apic, APIC_ID) >> 24;
}

static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static bool match_physical(const struct kvm_lapic *apic, uint32_t dest,
			   bool from_ipi)
{
	if (apic_x2apic_mode(apic)) {
		if (dest == 0xffffffffu)
			return true;
		/* 8-bit IOAPIC/MSI destinations: 0xff still broadcasts. */
		if (!from_ipi && dest == 0xff)
			return true;
		return dest == kvm_apic_id(apic);
	}
	dest &= 0xff;
	return dest == 0xff || dest == kvm_apic_id(apic);
}

static bool match_logical(const struct kvm_lapic *apic, uint32_t mda)
{
	uint32_t ldr = kvm_lapic_get_reg(apic, APIC_LDR);

	if (apic_x2apic_mode(apic)) {
		if (mda == 0xffffffffu)
			return true;
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff);
	}
	mda &= 0xff;
	ldr >>= 24;
	if (mda == 0xff)
		return true;
	switch (kvm_lapic_get_reg(apic, APIC_DFR) >> 28) {
	case 0xf: /* flat */
		return ldr & mda;
	case 0x0: /* cluster: high nibble cluster, low nibble members */
		return (ldr >> 4) == (mda >> 4) && (ldr & mda & 0xf);
	default:
		return false;
	}
}

static bool apic_match_dest(const struct kvm_lapic *target,
			    const struct kvm_lapic *src,
			    const struct kvm_lapic_irq *irq)
{
	switch (irq->shorthand) {
	case 0:
		return irq->dest_mode
			   ? match_logical(target, irq->dest_id)
			   : match_physical(target, irq->dest_id, src != NULL);
	case 1:
		return target == src;
	case 2:
		return true;
	default:
		return target != src;
	}
}

/* ---- priorities ------------------------------------------------------- */

uint32_t kvm_apic_ppr(struct kvm_lapic *apic)
{
	uint32_t tpr = kvm_lapic_get_reg(apic, APIC_TASKPRI) & 0xff;
	int isr = find_highest(apic, APIC_ISR);
	uint32_t isrv = isr < 0 ? 0 : (uint32_t)isr;
	uint32_t ppr = (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : (isrv & 0xf0);

	kvm_lapic_set_reg(apic, APIC_PROCPRI, ppr);
	return ppr;
}

int kvm_apic_has_interrupt(struct kvm_lapic *apic)
{
	int irr;

	if (!kvm_apic_hw_enabled(apic) || !kvm_apic_sw_enabled(apic))
		return -1;
	irr = find_highest(apic, APIC_IRR);
	if (irr < 0 || ((uint32_t)irr & 0xf0) <= (kvm_apic_ppr(apic) & 0xf0))
		return -1;
	return irr;
}

int kvm_apic_get_interrupt(struct kvm_lapic *apic)
{
	int vec = kvm_apic_has_interrupt(apic);

	if (vec < 0)
		return -1;
	vec_clear(apic, APIC_IRR, vec);
	vec_set(apic, APIC_ISR, vec);
	kvm_apic_ppr(apic);
	return vec;
}

bool kvm_apic_accept_pic_intr(struct kvm_lapic *apic)
{
	uint32_t lvt0 = kvm_lapic_get_reg(apic, APIC_LVT0);

	/* An APIC that is off passes INTR straight through (as on a CPU
	 * without one); otherwise only LINT0 in ExtINT mode (virtual wire). */
	if (!kvm_apic_hw_enabled(apic))
		return true;
	return !(lvt0 & APIC_LVT_MASKED) &&
	       ((lvt0 & APIC_DM_MASK) >> 8) == APIC_DM_EXTINT;
}

void kvm_apic_pic_output_raised(struct kvm_irqchip_vm *chip)
{
	for (int i = 0; i < chip->nr_lapics; i++) {
		struct kvm_lapic *apic = chip->lapic[i];

		if (apic && kvm_apic_accept_pic_intr(apic))
			kvm_irq_wake(chip, apic->vcpu);
	}
}

/* ---- acceptance and delivery ------------------------------------------ */

int kvm_apic_set_irq(struct kvm_lapic *apic, const struct kvm_lapic_irq *irq)
{
	if (!kvm_apic_hw_enabled(apic))
		return 0;
	switch (irq->delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* Vectors 0-15 are illegal; a disabled APIC takes nothing. */
		if (!kvm_apic_sw_enabled(apic) || irq->vector < 16 ||
		    irq->vector > 255)
			return 0;
		vec_set(apic, APIC_IRR, (int)irq->vector);
		if (irq->trig_mode)
			vec_set(apic, APIC_TMR, (int)irq->vector);
		else
			vec_clear(apic, APIC_TMR, (int)irq->vector);
		break;
	case APIC_DM_NMI:
		apic->nmi_pending++;
		break;
	case APIC_DM_INIT:
		/* INIT level de-assert (trigger level, level 0) does nothing
		 * on modern CPUs. */
		if (irq->trig_mode && !irq->level)
			return 0;
		apic->pending_init = true;
		break;
	case APIC_DM_STARTUP:
		apic->sipi_vector = (uint8_t)irq->vector;
		apic->pending_sipi = true;
		break;
	case APIC_DM_EXTINT:
		break; /* the vCPU reads the vector from the PIC */
	default:
		return 0; /* SMI and reserved modes: no SMM */
	}
	kvm_irq_wake(apic->chip, apic->vcpu);
	return 1;
}

int kvm_irq_delivery_to_apic(struct kvm_irqchip_vm *chip, struct kvm_lapic *src,
			     const struct kvm_lapic_irq *irq)
{
	struct kvm_lapic *lowest = NULL;
	int r = -1;

	for (int i = 0; i < chip->nr_lapics; i++) {
		struct kvm_lapic *apic = chip->lapic[i];

		if (!apic || !kvm_apic_hw_enabled(apic) ||
		    !apic_match_dest(apic, src, irq))
			continue;
		if (irq->delivery_mode == APIC_DM_LOWEST) {
			/* Arbitration: the lowest task priority wins. */
			if (!kvm_apic_sw_enabled(apic))
				continue;
			if (!lowest ||
			    (kvm_lapic_get_reg(apic, APIC_TASKPRI) & 0xff) <
				(kvm_lapic_get_reg(lowest, APIC_TASKPRI) &
				 0xff))
				lowest = apic;
			continue;
		}
		if (r < 0)
			r = 0;
		r += kvm_apic_set_irq(apic, irq);
	}
	if (lowest)
		r = kvm_apic_set_irq(lowest, irq);
	return r;
}

static void apic_send_ipi(struct kvm_lapic *apic, uint32_t icr_low,
			  uint32_t icr_high)
{
	struct kvm_lapic_irq irq = {
	    .vector = icr_low & 0xff,
	    .delivery_mode = (icr_low & APIC_DM_MASK) >> 8,
	    .dest_mode = (icr_low >> 11) & 1,
	    .level = icr_low & APIC_ICR_LEVEL,
	    .trig_mode = (icr_low & APIC_ICR_TRIGGER) ? 1 : 0,
	    .shorthand = (icr_low >> 18) & 3,
	    .dest_id = apic_x2apic_mode(apic) ? icr_high : icr_high >> 24,
	};

	kvm_irq_delivery_to_apic(apic->chip, apic, &irq);
}

static void apic_eoi(struct kvm_lapic *apic)
{
	int vec = find_highest(apic, APIC_ISR);

	if (vec < 0)
		return;
	vec_clear(apic, APIC_ISR, vec);
	kvm_apic_ppr(apic);
	/* EOI broadcast to the IOAPIC: remote IRR of level lines, and the
	 * PIT's acknowledge for its edge pin. */
	kvm_ioapic_eoi(apic->chip, vec, vec_test(apic, APIC_TMR, vec));
}

/* ---- timer ------------------------------------------------------------ */

static unsigned timer_mode(const struct kvm_lapic *apic)
{
	return (kvm_lapic_get_reg(apic, APIC_LVTT) >> 17) & 3;
}

static uint64_t timer_divisor(const struct kvm_lapic *apic)
{
	uint32_t d = kvm_lapic_get_reg(apic, APIC_TDCR);
	uint32_t v = (d & 3) | ((d & 8) >> 1);

	return 1ull << ((v + 1) & 7);
}

static void timer_cancel(struct kvm_lapic *apic)
{
	apic->target_ns = 0;
	apic->period_ns = 0;
}

static void timer_start(struct kvm_lapic *apic)
{
	uint64_t count = kvm_lapic_get_reg(apic, APIC_TMICT);
	uint64_t now = kvm_irq_clock_ns();

	timer_cancel(apic);
	if (!count || timer_mode(apic) == APIC_TIMER_TSCDL)
		goto out;
	apic->period_ns = count * timer_divisor(apic) * APIC_BUS_CYCLE_NS;
	if (timer_mode(apic) == APIC_TIMER_PERIODIC &&
	    apic->period_ns < APIC_MIN_PERIOD_NS)
		apic->period_ns = APIC_MIN_PERIOD_NS;
	/* One-shot keeps period_ns too: TMCCT counts down from it. */
	apic->target_ns = now + apic->period_ns;
out:
	kvm_irq_timer_changed(apic->chip);
}

static uint32_t timer_current_count(struct kvm_lapic *apic)
{
	uint64_t now = kvm_irq_clock_ns(), rem;

	if (!apic->target_ns || timer_mode(apic) == APIC_TIMER_TSCDL ||
	    !apic->period_ns)
		return 0;
	if (now >= apic->target_ns) {
		if (timer_mode(apic) != APIC_TIMER_PERIODIC)
			return 0;
		/* Between expiry and the poll that re-arms it. */
		rem =
		    apic->period_ns - (now - apic->target_ns) % apic->period_ns;
	} else {
		rem = apic->target_ns - now;
	}
	return (uint32_t)(rem / (timer_divisor(apic) * APIC_BUS_CYCLE_NS));
}

void kvm_apic_timer_poll(struct kvm_lapic *apic, uint64_t now)
{
	uint32_t lvtt;

	if (!apic->target_ns || now < apic->target_ns)
		return;
	lvtt = kvm_lapic_get_reg(apic, APIC_LVTT);
	if (!(lvtt & APIC_LVT_MASKED)) {
		struct kvm_lapic_irq irq = {
		    .vector = lvtt & 0xff,
		    .delivery_mode = APIC_DM_FIXED,
		};

		kvm_apic_set_irq(apic, &irq);
	}
	switch (timer_mode(apic)) {
	case APIC_TIMER_PERIODIC:
		apic->target_ns += apic->period_ns;
		/* Far behind (host busy): skip, do not burst. */
		if (apic->target_ns <= now)
			apic->target_ns = now + apic->period_ns;
		break;
	case APIC_TIMER_TSCDL:
		apic->tscdeadline = 0;
		apic->target_ns = 0;
		break;
	default:
		apic->target_ns = 0;
		break;
	}
}

uint64_t kvm_apic_next_deadline(const struct kvm_lapic *apic)
{
	return apic->target_ns;
}

void kvm_lapic_set_tscdeadline(struct kvm_lapic *apic, uint64_t data)
{
	uint64_t now, tsc, ns;

	/* Ignored unless LVTT is in TSC-deadline mode. */
	if (timer_mode(apic) != APIC_TIMER_TSCDL)
		return;
	timer_cancel(apic);
	apic->tscdeadline = data;
	if (data) {
		now = kvm_irq_clock_ns();
		tsc = kvm_irq_guest_tsc(apic->vcpu);
		if (data <= tsc || !tsc_khz)
			ns = 0;
		else {
			unsigned __int128 d = (unsigned __int128)(data - tsc) *
					      1000000u / tsc_khz;

			/* A deadline centuries away is simply "never". */
			ns = d > (1ull << 62) ? (1ull << 62) : (uint64_t)d;
		}
		apic->target_ns = now + ns;
		if (!apic->target_ns)
			apic->target_ns = 1;
	}
	kvm_irq_timer_changed(apic->chip);
}

uint64_t kvm_lapic_get_tscdeadline(const struct kvm_lapic *apic)
{
	if (timer_mode(apic) != APIC_TIMER_TSCDL)
		return 0;
	return apic->tscdeadline;
}

/* ---- register access -------------------------------------------------- */

uint32_t kvm_lapic_reg_read(struct kvm_lapic *apic, unsigned off)
{
	off &= 0xff0;
	switch (off) {
	case APIC_ARBPRI:
		return 0;
	case APIC_PROCPRI:
		return kvm_apic_ppr(apic);
	case APIC_TMCCT:
		return timer_current_count(apic);
	case APIC_ID:
		if (apic_x2apic_mode(apic))
			return kvm_apic_id(apic);
		return kvm_lapic_get_reg(apic, APIC_ID);
	case APIC_EOI:
	case APIC_SELF_IPI:
		return 0;
	default:
		if (off >= KVM_APIC_REG_SIZE)
			return 0;
		return kvm_lapic_get_reg(apic, off);
	}
}

static void apic_set_spiv(struct kvm_lapic *apic, uint32_t val)
{
	/* Vector, enable, focus check; no directed-EOI (LVR bit 24 clear). */
	kvm_lapic_set_reg(apic, APIC_SPIV, val & 0x3ff);
	if (!(val & APIC_SPIV_ENABLED)) {
		/* Software disable masks every LVT entry. */
		for (unsigned i = 0; i < APIC_LVT_NUM; i++) {
			unsigned off = APIC_LVTT + i * 0x10;

			kvm_lapic_set_reg(apic, off,
					  kvm_lapic_get_reg(apic, off) |
					      APIC_LVT_MASKED);
		}
		timer_cancel(apic);
	}
}

int kvm_lapic_reg_write(struct kvm_lapic *apic, unsigned off, uint32_t val)
{
	bool x2 = apic_x2apic_mode(apic);

	switch (off) {
	case APIC_ID:
		if (x2)
			return -1;
		kvm_lapic_set_reg(apic, APIC_ID, val & 0xff000000u);
		break;
	case APIC_TASKPRI:
		kvm_lapic_set_reg(apic, APIC_TASKPRI, val & 0xff);
		kvm_apic_ppr(apic);
		if (apic->vcpu)
			apic->vcpu->arch.cr8 = (val & 0xff) >> 4;
		apic->cr8_seen = (uint8_t)((val & 0xff) >> 4);
		break;
	case APIC_EOI:
		apic_eoi(apic);
		break;
	case APIC_LDR:
		if (x2)
			return -1;
		kvm_lapic_set_reg(apic, APIC_LDR, val & 0xff000000u);
		break;
	case APIC_DFR:
		if (x2)
			return -1;
		kvm_lapic_set_reg(apic, APIC_DFR, val | 0x0fffffffu);
		break;
	case APIC_SPIV:
		apic_set_spiv(apic, val);
		break;
	case APIC_ESR:
		/* Errors are not latched (none are generated): reads 0. */
		kvm_lapic_set_reg(apic, APIC_ESR, 0);
		break;
	case APIC_ICR:
		kvm_lapic_set_reg(apic, APIC_ICR, val & ~APIC_ICR_BUSY);
		apic_send_ipi(apic, val, kvm_lapic_get_reg(apic, APIC_ICR2));
		break;
	case APIC_ICR2:
		if (x2)
			return -1;
		kvm_lapic_set_reg(apic, APIC_ICR2, val & 0xff000000u);
		break;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR: {
		unsigned i = lvt_index(off);
		uint32_t old_mode = timer_mode(apic);

		val &= lvt_mask[i];
		if (!kvm_apic_sw_enabled(apic))
			val |= APIC_LVT_MASKED;
		/* Mode 3 is reserved: keep one-shot. */
		if (off == APIC_LVTT && ((val >> 17) & 3) == 3)
			val &= ~(3u << 17);
		kvm_lapic_set_reg(apic, off, val);
		if (off == APIC_LVTT && timer_mode(apic) != old_mode) {
			/* Switching timer mode stops the timer. */
			timer_cancel(apic);
			kvm_lapic_set_reg(apic, APIC_TMICT, 0);
			apic->tscdeadline = 0;
			kvm_irq_timer_changed(apic->chip);
		}
		break;
	}
	case APIC_TMICT:
		if (timer_mode(apic) == APIC_TIMER_TSCDL)
			break;
		kvm_lapic_set_reg(apic, APIC_TMICT, val);
		timer_start(apic);
		break;
	case APIC_TDCR: {
		kvm_lapic_set_reg(apic, APIC_TDCR, val & 0xb);
		break;
	}
	case APIC_SELF_IPI:
		if (!x2)
			return -1;
		apic_send_ipi(apic, (val & 0xff) | (1u << 18), 0);
		break;
	default:
		/* Read-only or reserved: ignored in xAPIC, #GP in x2APIC. */
		return x2 ? -1 : 0;
	}
	return 0;
}

/* ---- x2APIC MSRs and IA32_APIC_BASE ----------------------------------- */

int kvm_x2apic_msr_read(struct kvm_lapic *apic, uint32_t msr, uint64_t *data)
{
	unsigned off = (msr - APIC_BASE_MSR) << 4;

	if (!apic_x2apic_mode(apic))
		return -1;
	switch (off) {
	case APIC_ICR:
		*data = kvm_lapic_get_reg(apic, APIC_ICR) |
			((uint64_t)kvm_lapic_get_reg(apic, APIC_ICR2) << 32);
		return 0;
	case APIC_ID:
	case APIC_LVR:
	case APIC_TASKPRI:
	case APIC_PROCPRI:
	case APIC_LDR:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TMCCT:
	case APIC_TDCR:
		*data = kvm_lapic_reg_read(apic, off);
		return 0;
	default:
		if ((off >= APIC_ISR && off < APIC_ISR + 0x80) ||
		    (off >= APIC_TMR && off < APIC_TMR + 0x80) ||
		    (off >= APIC_IRR && off < APIC_IRR + 0x80)) {
			*data = kvm_lapic_get_reg(apic, off);
			return 0;
		}
		return -1; /* EOI, SELF_IPI (write-only), DFR, ICR2, reserved */
	}
}

int kvm_x2apic_msr_write(struct kvm_lapic *apic, uint32_t msr, uint64_t data)
{
	unsigned off = (msr - APIC_BASE_MSR) << 4;

	if (!apic_x2apic_mode(apic))
		return -1;
	switch (off) {
	case APIC_ICR:
		/* One 64-bit write: destination first, then the send. */
		kvm_lapic_set_reg(apic, APIC_ICR2, (uint32_t)(data >> 32));
		kvm_lapic_set_reg(apic, APIC_ICR, (uint32_t)data);
		apic_send_ipi(apic, (uint32_t)data, (uint32_t)(data >> 32));
		return 0;
	case APIC_EOI:
	case APIC_SELF_IPI:
	case APIC_TASKPRI:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TDCR:
		if (data >> 32)
			return -1;
		return kvm_lapic_reg_write(apic, off, (uint32_t)data);
	default:
		return -1;
	}
}

int kvm_lapic_set_base(struct kvm_lapic *apic, uint64_t value,
		       bool host_initiated)
{
	uint64_t old = apic->base_msr;
	bool en = value & MSR_IA32_APICBASE_ENABLE, ext = value & X2APIC_ENABLE;

	/* Reserved bits: above MAXPHYADDR and 0-7, 9. */
	if (value & ~(0x000ffffffffff000ull | MSR_IA32_APICBASE_BSP |
		      X2APIC_ENABLE | MSR_IA32_APICBASE_ENABLE))
		return -1;
	if (!host_initiated) {
		/* SDM 10.12.5: x2APIC needs enabled; x2APIC -> xAPIC only
		 * through disabled. */
		if (ext && !en)
			return -1;
		if ((old & X2APIC_ENABLE) && (old & MSR_IA32_APICBASE_ENABLE) &&
		    en && !ext)
			return -1;
	}
	apic->base_msr = value;
	if (apic->vcpu)
		apic->vcpu->arch.apic_base = value;
	if (ext && !(old & X2APIC_ENABLE)) {
		/* Entering x2APIC: ID and LDR derive from the vCPU id. */
		uint32_t id = (uint32_t)apic->vcpu->vcpu_id;

		kvm_lapic_set_reg(apic, APIC_ID, id << 24);
		kvm_lapic_set_reg(apic, APIC_LDR, x2apic_ldr(id));
	}
	if (!en && (old & MSR_IA32_APICBASE_ENABLE)) {
		/* Hardware disable: like a reset of the APIC state that
		 * keeps the base (SDM 10.4.3). */
		timer_cancel(apic);
		kvm_irq_timer_changed(apic->chip);
	}
	return 0;
}

/* ---- life cycle and state --------------------------------------------- */

void kvm_lapic_reset(struct kvm_lapic *apic, bool init_event)
{
	uint32_t id = apic->vcpu ? (uint32_t)apic->vcpu->vcpu_id : 0;
	bool bsp = id == 0;

	timer_cancel(apic);
	if (!init_event) {
		apic->base_msr = APIC_DEFAULT_PHYS_BASE |
				 MSR_IA32_APICBASE_ENABLE |
				 (bsp ? MSR_IA32_APICBASE_BSP : 0);
		if (apic->vcpu)
			apic->vcpu->arch.apic_base = apic->base_msr;
		memset(apic->regs, 0, sizeof(apic->regs));
		kvm_lapic_set_reg(apic, APIC_ID, id << 24);
	} else {
		uint32_t keep_id = kvm_lapic_get_reg(apic, APIC_ID);

		memset(apic->regs, 0, sizeof(apic->regs));
		kvm_lapic_set_reg(apic, APIC_ID, keep_id);
	}
	kvm_lapic_set_reg(apic, APIC_LVR,
			  APIC_VERSION | ((APIC_LVT_NUM - 1) << 16));
	kvm_lapic_set_reg(apic, APIC_DFR, 0xffffffffu);
	kvm_lapic_set_reg(apic, APIC_SPIV, 0xff);
	for (unsigned i = 0; i < APIC_LVT_NUM; i++)
		kvm_lapic_set_reg(apic, APIC_LVTT + i * 0x10, APIC_LVT_MASKED);
	/* The BSP's LINT0 starts in ExtINT (virtual wire): PIC interrupts
	 * reach it before the guest programs its APIC, as KVM does. */
	if (bsp)
		kvm_lapic_set_reg(apic, APIC_LVT0, APIC_DM_EXTINT << 8);
	if (apic_x2apic_mode(apic))
		kvm_lapic_set_reg(apic, APIC_LDR, x2apic_ldr(id));
	apic->tscdeadline = 0;
	apic->nmi_pending = 0;
	apic->cr8_seen = 0;
	if (apic->vcpu)
		apic->vcpu->arch.cr8 = 0;
	kvm_apic_ppr(apic);
}

struct kvm_lapic *kvm_create_lapic(struct kvm_irqchip_vm *chip,
				   struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = calloc(1, sizeof(*apic));

	if (!apic)
		return NULL;
	apic->chip = chip;
	apic->vcpu = vcpu;
	/* HLT waits with a CLOCK_MONOTONIC deadline (irq.c): the condvar must
	 * use that clock, or every wait has already expired and a halted vCPU
	 * spins. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&apic->cond, &ca);
	pthread_condattr_destroy(&ca);
	kvm_lapic_reset(apic, false);
	/* Application processors wait for INIT/SIPI (KVM's default with an
	 * in-kernel APIC). */
	apic->mp_state = vcpu->vcpu_id == 0 ? KVM_MP_STATE_RUNNABLE
					    : KVM_MP_STATE_UNINITIALIZED;
	return apic;
}

void kvm_free_lapic(struct kvm_lapic *apic)
{
	if (!apic)
		return;
	pthread_cond_destroy(&apic->cond);
	free(apic);
}

void kvm_lapic_get_state(struct kvm_lapic *apic, struct kvm_lapic_state *s)
{
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	/* Derived registers as the guest would read them now. */
	uint32_t ppr = kvm_apic_ppr(apic), cct = timer_current_count(apic);

	memcpy(s->regs + APIC_PROCPRI, &ppr, 4);
	memcpy(s->regs + APIC_TMCCT, &cct, 4);
}

int kvm_lapic_set_state(struct kvm_lapic *apic, const struct kvm_lapic_state *s)
{
	memcpy(apic->regs, s->regs, sizeof(apic->regs));
	kvm_lapic_set_reg(apic, APIC_LVR,
			  APIC_VERSION | ((APIC_LVT_NUM - 1) << 16));
	kvm_lapic_set_reg(apic, APIC_TMCCT, 0);
	if (apic_x2apic_mode(apic))
		kvm_lapic_set_reg(apic, APIC_LDR,
				  x2apic_ldr((uint32_t)apic->vcpu->vcpu_id));
	kvm_apic_ppr(apic);
	apic->cr8_seen =
	    (uint8_t)((kvm_lapic_get_reg(apic, APIC_TASKPRI) & 0xff) >> 4);
	if (apic->vcpu)
		apic->vcpu->arch.cr8 = apic->cr8_seen;
	/* The timer restarts from the initial count. */
	timer_start(apic);
	kvm_irq_wake(apic->chip, apic->vcpu);
	return 0;
}
