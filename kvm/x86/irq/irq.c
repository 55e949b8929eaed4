// SPDX-License-Identifier: GPL-2.0
/*
 * The irqchip of a VM (arch/x86/kvm/irq.c, irq_comm.c and the irqchip
 * parts of x86.c play this role): creation, GSI routing (PIC, IOAPIC,
 * MSI), the timer thread, interrupt acceptance before VM entry, blocking
 * of halted vCPUs, and the PIO/MMIO/MSR/ioctl entry points.
 */
#include "kvm/x86/irq/irq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "kvm/x86/irq/ioapic.h"
#include "kvm/x86/irq/lapic.h"
#include "kvm/x86/x86.h"

/* ---- time --------------------------------------------------------------- */

static uint64_t host_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t host_guest_tsc(struct kvm_vcpu *vcpu)
{
	return __rdtsc() + (vcpu ? vcpu->arch.tsc_offset : 0);
}

uint64_t (*kvm_irq_clock_ns)(void) = host_clock_ns;
uint64_t (*kvm_irq_guest_tsc)(struct kvm_vcpu *vcpu) = host_guest_tsc;

/* ---- which VM has which irqchip ------------------------------------------ */

/* kvm->arch.irqchip is set once by KVM_CREATE_IRQCHIP (before any vCPU
 * exists) and cleared at VM destruction, when no vCPU runs: readers on
 * the vCPU threads need no lock. */
struct kvm_irqchip_vm *kvm_irqchip(struct kvm *kvm)
{
	return __atomic_load_n(&kvm->arch.irqchip, __ATOMIC_ACQUIRE);
}

static int chip_register(struct kvm *kvm, struct kvm_irqchip_vm *chip)
{
	__atomic_store_n(&kvm->arch.irqchip, chip, __ATOMIC_RELEASE);
	return 0;
}

static void chip_unregister(struct kvm *kvm)
{
	__atomic_store_n(&kvm->arch.irqchip, NULL, __ATOMIC_RELEASE);
}

/* ---- LAPICs of the vCPUs ------------------------------------------------- */

/* Every created vCPU gets its LAPIC before any delivery looks for it
 * (chip->lock held). */
static void chip_sync_vcpus(struct kvm_irqchip_vm *chip)
{
	struct kvm *kvm = chip->kvm;
	int n = atomic_load(&kvm->online_vcpus);

	for (int i = 0; i < n && i < KVM_MAX_VCPUS; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (vcpu && !chip->lapic[i])
			chip->lapic[i] = kvm_create_lapic(chip, vcpu);
		if (chip->lapic[i] && chip->nr_lapics <= i)
			chip->nr_lapics = i + 1;
	}
}

static struct kvm_lapic *vcpu_lapic(struct kvm_irqchip_vm *chip,
				    struct kvm_vcpu *vcpu)
{
	int i = vcpu->vcpu_idx;

	if (i < 0 || i >= KVM_MAX_VCPUS)
		return NULL;
	if (!chip->lapic[i])
		chip_sync_vcpus(chip);
	if (!chip->lapic[i])
		chip->lapic[i] = kvm_create_lapic(chip, vcpu);
	if (chip->lapic[i] && chip->nr_lapics <= i)
		chip->nr_lapics = i + 1;
	return chip->lapic[i];
}

void kvm_irq_wake(struct kvm_irqchip_vm *chip, struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic;

	if (!vcpu || vcpu->vcpu_idx < 0 || vcpu->vcpu_idx >= KVM_MAX_VCPUS)
		return;
	apic = chip->lapic[vcpu->vcpu_idx];
	if (apic && apic->blocked) {
		pthread_cond_signal(&apic->cond);
		return;
	}
	/* Running or about to enter: the kick latches in the CPU, so a vCPU
	 * between its last check and VM entry still exits at once. */
	if (vcpu->cpu >= 0 && kvm_x86_ops && kvm_x86_ops->kick)
		kvm_x86_ops->kick(vcpu);
}

void kvm_irq_vcpu_kick(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);

	if (!chip) {
		if (vcpu->cpu >= 0 && kvm_x86_ops && kvm_x86_ops->kick)
			kvm_x86_ops->kick(vcpu);
		return;
	}
	pthread_mutex_lock(&chip->lock);
	kvm_irq_wake(chip, vcpu);
	pthread_mutex_unlock(&chip->lock);
}

/* ---- routing ------------------------------------------------------------- */

static int route_valid(const struct kvm_irq_routing_entry *e)
{
	if (e->gsi >= KVM_NR_GSIS || e->flags)
		return -EINVAL;
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
			return e->u.irqchip.pin < KVM_IOAPIC_NUM_PINS ? 0
								      : -EINVAL;
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_PIC_MASTER ||
		    e->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE)
			return e->u.irqchip.pin < 8 ? 0 : -EINVAL;
		return -EINVAL;
	case KVM_IRQ_ROUTING_MSI:
		return 0;
	default:
		return -EINVAL;
	}
}

int kvm_set_routing(struct kvm_irqchip_vm *chip,
		    const struct kvm_irq_routing_entry *e, uint32_t nr)
{
	struct kvm_routing_entry *n;

	if (nr > KVM_MAX_IRQ_ROUTES)
		return -EINVAL;
	for (uint32_t i = 0; i < nr; i++) {
		int r = route_valid(&e[i]);

		if (r)
			return r;
		/* One chip per kind per GSI, as KVM requires. */
		for (uint32_t j = 0; j < i; j++)
			if (e[j].gsi == e[i].gsi &&
			    e[j].type == KVM_IRQ_ROUTING_IRQCHIP &&
			    e[i].type == KVM_IRQ_ROUTING_IRQCHIP &&
			    e[j].u.irqchip.irqchip == e[i].u.irqchip.irqchip)
				return -EINVAL;
	}
	n = calloc(nr ? nr : 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		n[i].gsi = e[i].gsi;
		n[i].type = e[i].type;
		if (e[i].type == KVM_IRQ_ROUTING_MSI)
			n[i].u.msi = e[i].u.msi;
		else
			n[i].u.irqchip = e[i].u.irqchip;
	}
	free(chip->routes);
	chip->routes = n;
	chip->nr_routes = nr;
	chip->pit_ioapic_pin = -1;
	for (uint32_t i = 0; i < nr; i++)
		if (n[i].gsi == 0 && n[i].type == KVM_IRQ_ROUTING_IRQCHIP &&
		    n[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
			chip->pit_ioapic_pin = (int)n[i].u.irqchip.pin;
	return 0;
}

/* KVM's default: GSI 0-15 on the PIC pins and the same IOAPIC pins,
 * 16-23 on the IOAPIC only (identity: no IRQ 0 -> pin 2 remap). */
static int set_default_routing(struct kvm_irqchip_vm *chip)
{
	struct kvm_irq_routing_entry e[40];
	uint32_t n = 0;

	memset(e, 0, sizeof(e));
	for (uint32_t gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n].u.irqchip.pin = gsi;
		n++;
		if (gsi < 16) {
			e[n].gsi = gsi;
			e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			e[n].u.irqchip.irqchip = gsi < 8
						     ? KVM_IRQCHIP_PIC_MASTER
						     : KVM_IRQCHIP_PIC_SLAVE;
			e[n].u.irqchip.pin = gsi & 7;
			n++;
		}
	}
	return kvm_set_routing(chip, e, n);
}

static int msi_deliver(struct kvm_irqchip_vm *chip, uint32_t addr_lo,
		       uint32_t addr_hi, uint32_t data)
{
	struct kvm_lapic_irq irq = {
	    .vector = data & 0xff,
	    .delivery_mode = (data >> 8) & 7,
	    .dest_mode = (addr_lo >> 2) & 1,
	    .level = true,
	    .trig_mode = (data >> 15) & 1,
	    /* x2APIC extended destination ID in address_hi[31:8]. */
	    .dest_id = ((addr_lo >> 12) & 0xff) | (addr_hi & 0xffffff00u),
	};

	if ((addr_lo & 0xfff00000u) != 0xfee00000u)
		return -1;
	chip_sync_vcpus(chip);
	return kvm_irq_delivery_to_apic(chip, NULL, &irq);
}

int kvm_set_msi(struct kvm_irqchip_vm *chip, const struct kvm_msi *msi)
{
	return msi_deliver(chip, msi->address_lo, msi->address_hi, msi->data);
}

/* Linux's kvm_set_irq: every route of the GSI; > 0 delivered somewhere,
 * 0 coalesced, < 0 masked everywhere or no route. */
int kvm_set_irq(struct kvm_irqchip_vm *chip, int source, uint32_t gsi,
		bool level)
{
	int ret = -1;

	chip_sync_vcpus(chip);
	for (uint32_t i = 0; i < chip->nr_routes; i++) {
		const struct kvm_routing_entry *e = &chip->routes[i];
		int r;

		if (e->gsi != gsi)
			continue;
		if (e->type == KVM_IRQ_ROUTING_MSI) {
			if (!level)
				continue;
			r = msi_deliver(chip, e->u.msi.address_lo,
					e->u.msi.address_hi, e->u.msi.data);
		} else if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			r = kvm_ioapic_set_irq(chip, (int)e->u.irqchip.pin,
					       source, level);
		} else {
			int irq =
			    (int)e->u.irqchip.pin +
			    (e->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE ? 8
									   : 0);

			r = kvm_pic_set_irq(chip, irq, source, level);
		}
		if (r < 0)
			continue;
		ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}

/* ---- timers ----------------------------------------------------------------
 */

uint64_t kvm_irq_poll_timers(struct kvm_irqchip_vm *chip, uint64_t now)
{
	uint64_t next = 0, t;

	for (int i = 0; i < chip->nr_lapics; i++) {
		struct kvm_lapic *apic = chip->lapic[i];

		if (!apic)
			continue;
		kvm_apic_timer_poll(apic, now);
		t = kvm_apic_next_deadline(apic);
		if (t && (!next || t < next))
			next = t;
	}
	t = kvm_pit_poll(chip, now);
	if (t && (!next || t < next))
		next = t;
	return next;
}

void kvm_irq_timer_changed(struct kvm_irqchip_vm *chip)
{
	if (chip->timer_started)
		pthread_cond_signal(&chip->timer_cond);
}

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

/* Fires due timers on time even while every vCPU runs guest code (the
 * vCPU itself only looks at timers between exits). */
static void *timer_thread(void *arg)
{
	struct kvm_irqchip_vm *chip = arg;

	pthread_mutex_lock(&chip->lock);
	while (!chip->timer_stop) {
		uint64_t next = kvm_irq_poll_timers(chip, kvm_irq_clock_ns());

		if (!next) {
			pthread_cond_wait(&chip->timer_cond, &chip->lock);
		} else {
			struct timespec ts;

			ns_to_timespec(next, &ts);
			pthread_cond_timedwait(&chip->timer_cond, &chip->lock,
					       &ts);
		}
	}
	pthread_mutex_unlock(&chip->lock);
	return NULL;
}

static int start_timer_thread(struct kvm_irqchip_vm *chip)
{
	chip->timer_started = true;
	if (pthread_create(&chip->timer_thread, NULL, timer_thread, chip)) {
		chip->timer_started = false;
		return -ENOMEM;
	}
	return 0;
}

/* ---- creation ------------------------------------------------------------ */

struct kvm_irqchip_vm *kvm_irqchip_create(struct kvm *kvm)
{
	struct kvm_irqchip_vm *chip = calloc(1, sizeof(*chip));
	pthread_condattr_t ca;

	if (!chip)
		return NULL;
	chip->kvm = kvm;
	pthread_mutex_init(&chip->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&chip->timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	kvm_pic_init(&chip->pic);
	kvm_ioapic_init(&chip->ioapic);
	if (set_default_routing(chip) || chip_register(kvm, chip)) {
		kvm_irqchip_free(chip);
		return NULL;
	}
	return chip;
}

void kvm_irqchip_free(struct kvm_irqchip_vm *chip)
{
	if (!chip)
		return;
	chip_unregister(chip->kvm);
	if (chip->timer_started) {
		pthread_mutex_lock(&chip->lock);
		chip->timer_stop = true;
		pthread_cond_signal(&chip->timer_cond);
		pthread_mutex_unlock(&chip->lock);
		pthread_join(chip->timer_thread, NULL);
	}
	for (int i = 0; i < KVM_MAX_VCPUS; i++)
		kvm_free_lapic(chip->lapic[i]);
	free(chip->pit);
	free(chip->routes);
	pthread_cond_destroy(&chip->timer_cond);
	pthread_mutex_destroy(&chip->lock);
	free(chip);
}

void kvm_irq_destroy_vm(struct kvm *kvm)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(kvm);

	if (chip)
		kvm_irqchip_free(chip);
}

/* ---- interrupt acceptance ------------------------------------------------ */

static bool has_extint(struct kvm_irqchip_vm *chip, struct kvm_lapic *apic)
{
	return chip->pic.output && kvm_apic_accept_pic_intr(apic);
}

bool kvm_cpu_has_interrupt(struct kvm_irqchip_vm *chip, struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_lapic(chip, vcpu);

	if (!apic)
		return false;
	return has_extint(chip, apic) || kvm_apic_has_interrupt(apic) >= 0;
}

int kvm_cpu_get_interrupt(struct kvm_irqchip_vm *chip, struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_lapic(chip, vcpu);

	if (!apic)
		return -1;
	if (has_extint(chip, apic))
		return kvm_pic_read_irq(chip);
	return kvm_apic_get_interrupt(apic);
}

static bool interrupt_allowed(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.rflags & X86_EFLAGS_IF) &&
	       !(vcpu->arch.interruptibility & 3);
}

/* INIT and SIPI (kvm_apic_accept_events). */
static void accept_events(struct kvm_lapic *apic)
{
	struct kvm_vcpu *vcpu = apic->vcpu;

	if (apic->pending_init) {
		apic->pending_init = false;
		kvm_vcpu_reset(vcpu, true);
		kvm_lapic_reset(apic, true);
		/* New CR0/CR3: shadow paging must rebuild its roots. */
		kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
		apic->mp_state = vcpu->vcpu_id == 0
				     ? KVM_MP_STATE_RUNNABLE
				     : KVM_MP_STATE_INIT_RECEIVED;
	}
	if (apic->pending_sipi) {
		apic->pending_sipi = false;
		if (apic->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			struct kvm_segment *cs =
			    &vcpu->arch.segments[VCPU_SREG_CS];

			/* Start at VV00:0000 in real mode. */
			cs->selector = (uint16_t)(apic->sipi_vector << 8);
			cs->base = (uint64_t)apic->sipi_vector << 12;
			vcpu->arch.rip = 0;
			apic->mp_state = KVM_MP_STATE_RUNNABLE;
		}
	}
}

static bool vcpu_runnable(struct kvm_irqchip_vm *chip, struct kvm_lapic *apic)
{
	switch (apic->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		return true;
	case KVM_MP_STATE_HALTED:
		if (apic->nmi_pending ||
		    (interrupt_allowed(apic->vcpu) &&
		     kvm_cpu_has_interrupt(chip, apic->vcpu))) {
			apic->mp_state = KVM_MP_STATE_RUNNABLE;
			return true;
		}
		return false;
	default: /* waiting for INIT/SIPI */
		return false;
	}
}

/* A halted vCPU wakes at least this often to look at immediate_exit
 * (the monitor's signal does not interrupt a condition wait). */
#define BLOCK_POLL_NS 10000000ull

int kvm_irq_vcpu_run_check(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_lapic *apic;

	if (!chip)
		return 1;
	pthread_mutex_lock(&chip->lock);
	apic = vcpu_lapic(chip, vcpu);
	if (!apic) {
		pthread_mutex_unlock(&chip->lock);
		return -ENOMEM;
	}
	/* KVM_SET_SREGS may have changed the APIC base behind us. */
	if (a->apic_base != apic->base_msr)
		kvm_lapic_set_base(apic, a->apic_base, true);
	for (;;) {
		uint64_t now = kvm_irq_clock_ns();
		uint64_t next = kvm_irq_poll_timers(chip, now);
		struct timespec ts;

		accept_events(apic);
		if (vcpu_runnable(chip, apic))
			break;
		if (__atomic_load_n(&vcpu->run->immediate_exit,
				    __ATOMIC_ACQUIRE)) {
			pthread_mutex_unlock(&chip->lock);
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		if (!next || next > now + BLOCK_POLL_NS)
			next = now + BLOCK_POLL_NS;
		/* The wait is on CLOCK_MONOTONIC; with an injected clock
		 * (tests) it simply times out early. */
		ns_to_timespec(host_clock_ns() + (next - now), &ts);
		apic->blocked = true;
		pthread_cond_timedwait(&apic->cond, &chip->lock, &ts);
		apic->blocked = false;
	}
	/* MOV to CR8 exits update arch.cr8: carry it into the TPR. */
	if ((uint8_t)(a->cr8 & 0xf) != apic->cr8_seen) {
		apic->cr8_seen = (uint8_t)(a->cr8 & 0xf);
		kvm_lapic_set_reg(apic, APIC_TASKPRI,
				  (uint32_t)apic->cr8_seen << 4);
		kvm_apic_ppr(apic);
	}
	if (a->pending_irq < 0 && !a->exception_pending &&
	    interrupt_allowed(vcpu) && kvm_cpu_has_interrupt(chip, vcpu))
		a->pending_irq = kvm_cpu_get_interrupt(chip, vcpu);
	apic->want_window = kvm_cpu_has_interrupt(chip, vcpu);
	pthread_mutex_unlock(&chip->lock);
	return 1;
}

bool kvm_irq_want_window(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);
	struct kvm_lapic *apic;

	if (!chip || vcpu->vcpu_idx < 0 || vcpu->vcpu_idx >= KVM_MAX_VCPUS)
		return false;
	apic = chip->lapic[vcpu->vcpu_idx];
	return apic && apic->want_window;
}

bool kvm_irq_take_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);
	struct kvm_lapic *apic;
	bool r = false;

	if (!chip || vcpu->vcpu_idx < 0 || vcpu->vcpu_idx >= KVM_MAX_VCPUS)
		return false;
	apic = chip->lapic[vcpu->vcpu_idx];
	/* Unlocked peek first: this runs before every VM entry. */
	if (!apic || !__atomic_load_n(&apic->nmi_pending, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&chip->lock);
	if (apic->nmi_pending) {
		apic->nmi_pending--;
		r = true;
	}
	pthread_mutex_unlock(&chip->lock);
	return r;
}

bool kvm_irq_has_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);
	struct kvm_lapic *apic;

	if (!chip || vcpu->vcpu_idx < 0 || vcpu->vcpu_idx >= KVM_MAX_VCPUS)
		return false;
	apic = chip->lapic[vcpu->vcpu_idx];
	return apic && __atomic_load_n(&apic->nmi_pending, __ATOMIC_RELAXED);
}

void kvm_irq_requeue_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);

	if (!chip || vcpu->vcpu_idx < 0 || vcpu->vcpu_idx >= KVM_MAX_VCPUS)
		return;
	pthread_mutex_lock(&chip->lock);
	if (chip->lapic[vcpu->vcpu_idx])
		chip->lapic[vcpu->vcpu_idx]->nmi_pending++;
	pthread_mutex_unlock(&chip->lock);
}

int kvm_irq_emulate_halt(struct kvm_vcpu *vcpu)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);
	struct kvm_lapic *apic;

	if (!chip)
		return 1;
	pthread_mutex_lock(&chip->lock);
	apic = vcpu_lapic(chip, vcpu);
	if (apic)
		apic->mp_state = KVM_MP_STATE_HALTED;
	pthread_mutex_unlock(&chip->lock);
	return 1;
}

/* ---- PIO, MMIO, MSRs ------------------------------------------------------
 */

static bool irq_port(uint16_t port)
{
	switch (port) {
	case 0x20:
	case 0x21:
	case 0xa0:
	case 0xa1:
	case 0x4d0:
	case 0x4d1:
	case 0x40:
	case 0x41:
	case 0x42:
	case 0x43:
	case 0x61:
		return true;
	default:
		return false;
	}
}

bool kvm_irq_pio(struct kvm_vcpu *vcpu, uint16_t port, int size, bool in,
		 uint32_t *val)
{
	struct kvm_irqchip_vm *chip;
	uint8_t b = (uint8_t)*val;
	bool handled;

	if (!irq_port(port))
		return false;
	chip = kvm_irqchip(vcpu->kvm);
	if (!chip)
		return false;
	pthread_mutex_lock(&chip->lock);
	handled = kvm_pic_pio(chip, port, in, &b) ||
		  kvm_pit_pio(chip, port, in, &b, kvm_irq_clock_ns());
	pthread_mutex_unlock(&chip->lock);
	if (handled && in) {
		/* These are byte registers: wider reads repeat nothing. */
		*val =
		    size == 1 ? b : (b | (size == 2 ? 0xff00u : 0xffffff00u));
	}
	return handled;
}

static bool lapic_mmio(struct kvm_lapic *apic, uint64_t off, bool write,
		       void *data, int len)
{
	uint32_t v;

	if (write) {
		/* Only aligned 32-bit stores reach a register (SDM 10.4.1). */
		if (len == 4 && !(off & 0xf)) {
			memcpy(&v, data, 4);
			kvm_lapic_reg_write(apic, (unsigned)off, v);
		}
		return true;
	}
	v = kvm_lapic_reg_read(apic, (unsigned)(off & 0xff0));
	{
		uint64_t wide = v;
		unsigned sh = (unsigned)(off & 3) * 8;

		wide >>= sh;
		memset(data, 0, (size_t)len);
		memcpy(data, &wide, (size_t)(len > 4 ? 4 : len));
	}
	return true;
}

bool kvm_irq_mmio(struct kvm_vcpu *vcpu, uint64_t gpa, bool write, void *data,
		  int len)
{
	struct kvm_irqchip_vm *chip = kvm_irqchip(vcpu->kvm);
	struct kvm_lapic *apic;
	bool handled = false;

	if (!chip || len < 1 || len > 8)
		return false;
	pthread_mutex_lock(&chip->lock);
	apic = vcpu_lapic(chip, vcpu);
	if (apic && kvm_apic_hw_enabled(apic) && !apic_x2apic_mode(apic)) {
		uint64_t base = apic->base_msr & 0x000ffffffffff000ull;

		if (gpa >= base && gpa + (uint64_t)len <= base + 0x1000)
			handled =
			    lapic_mmio(apic, gpa - base, write, data, len);
	}
	if (!handled && gpa >= chip->ioapic.s.base_address &&
	    gpa + (uint64_t)len <=
		chip->ioapic.s.base_address + IOAPIC_MMIO_LENGTH) {
		uint64_t off = gpa - chip->ioapic.s.base_address;
		uint32_t v = 0;

		if (write) {
			memcpy(&v, data, (size_t)(len > 4 ? 4 : len));
			kvm_ioapic_mmio_write(chip, off, v);
		} else {
			v = kvm_ioapic_mmio_read(chip, off);
			memset(data, 0, (size_t)len);
			v >>= (off & 3) * 8;
			memcpy(data, &v, (size_t)(len > 4 ? 4 : len));
		}
		handled = true;
	}
	pthread_mutex_unlock(&chip->lock);
	return handled;
}

/* The VM's irqchip, locked, when @msr is one of the in-kernel LAPIC's
 * (APIC base, TSC deadline, x2APIC); NULL otherwise. */
static struct kvm_irqchip_vm *lapic_msr_chip(struct kvm_vcpu *vcpu,
					     uint32_t msr)
{
	struct kvm_irqchip_vm *chip;

	if (msr != MSR_IA32_APICBASE && msr != MSR_IA32_TSC_DEADLINE &&
	    (msr < APIC_BASE_MSR || msr > APIC_BASE_MSR + 0xff))
		return NULL;
	chip = kvm_irqchip(vcpu->kvm);
	if (chip)
		pthread_mutex_lock(&chip->lock);
	return chip;
}

int kvm_irq_get_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_irqchip_vm *chip = lapic_msr_chip(vcpu, msr);
	struct kvm_lapic *apic;
	int r = 1;

	if (!chip)
		return 1;
	apic = vcpu_lapic(chip, vcpu);
	if (!apic) {
		r = -1;
	} else if (msr == MSR_IA32_APICBASE) {
		*data = apic->base_msr;
		r = 0;
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		*data = kvm_lapic_get_tscdeadline(apic);
		r = 0;
	} else {
		r = kvm_x2apic_msr_read(apic, msr, data);
	}
	pthread_mutex_unlock(&chip->lock);
	return r;
}

int kvm_irq_set_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data,
		    bool host_initiated)
{
	struct kvm_irqchip_vm *chip = lapic_msr_chip(vcpu, msr);
	struct kvm_lapic *apic;
	int r = 1;

	if (!chip)
		return 1;
	apic = vcpu_lapic(chip, vcpu);
	if (!apic) {
		r = -1;
	} else if (msr == MSR_IA32_APICBASE) {
		r = kvm_lapic_set_base(apic, data, host_initiated);
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		kvm_lapic_set_tscdeadline(apic, data);
		r = 0;
	} else {
		r = kvm_x2apic_msr_write(apic, msr, data);
	}
	pthread_mutex_unlock(&chip->lock);
	return r;
}

/* ---- ioctls ----------------------------------------------------------------
 */

int kvm_irq_check_extension(long ext)
{
	switch (ext) {
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_TSC_DEADLINE_TIMER:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	default:
		return -1;
	}
}

static long create_irqchip(struct kvm *kvm)
{
	struct kvm_irqchip_vm *chip;
	long r;

	pthread_mutex_lock(&kvm->lock);
	if (kvm_irqchip(kvm)) {
		r = -EEXIST;
		goto out;
	}
	/* LAPICs must exist from a vCPU's creation on (as in KVM). */
	if (kvm->created_vcpus) {
		r = -EINVAL;
		goto out;
	}
	chip = kvm_irqchip_create(kvm);
	if (!chip) {
		r = -ENOMEM;
		goto out;
	}
	r = start_timer_thread(chip);
	if (r)
		kvm_irqchip_free(chip);
out:
	pthread_mutex_unlock(&kvm->lock);
	return r;
}

/* KVM_GET/SET_IRQCHIP: the PIC halves and the IOAPIC as <linux/kvm.h>
 * has them. */
static long irqchip_state(struct kvm_irqchip_vm *chip, struct kvm_irqchip *u,
			  bool set)
{
	switch (u->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE: {
		struct kvm_pic_state *s = &chip->pic.pics[u->chip_id];

		if (!set) {
			memcpy(&u->chip.pic, s, sizeof(*s));
			return 0;
		}
		memcpy(s, &u->chip.pic, sizeof(*s));
		/* The fixed edge lines stay edge whatever userspace says. */
		s->elcr_mask =
		    u->chip_id == KVM_IRQCHIP_PIC_MASTER ? 0xf8 : 0xde;
		s->elcr &= s->elcr_mask;
		s->init_state &= 3;
		kvm_pic_update_irq(chip);
		return 0;
	}
	case KVM_IRQCHIP_IOAPIC:
		if (!set) {
			memcpy(&u->chip.ioapic, &chip->ioapic.s,
			       sizeof(chip->ioapic.s));
			return 0;
		}
		memcpy(&chip->ioapic.s, &u->chip.ioapic,
		       sizeof(chip->ioapic.s));
		/* The window stays where the guest finds it (no relocation). */
		chip->ioapic.s.base_address = IO_APIC_DEFAULT_PHYS_BASE;
		chip->ioapic.s.irr &= (1u << KVM_IOAPIC_NUM_PINS) - 1;
		return 0;
	default:
		return -EINVAL;
	}
}

long kvm_irq_vm_ioctl(struct kvm *kvm, unsigned long req, void *arg)
{
	struct kvm_irqchip_vm *chip;
	long r;

	switch (req) {
	case KVM_CREATE_IRQCHIP:
		return create_irqchip(kvm);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
	case KVM_CREATE_PIT2:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_SIGNAL_MSI:
	case KVM_SET_GSI_ROUTING:
		break;
	default:
		return -ENOTTY;
	}
	if (!arg)
		return -EFAULT;
	chip = kvm_irqchip(kvm);
	if (!chip)
		return -ENXIO;
	pthread_mutex_lock(&chip->lock);
	switch (req) {
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS: {
		struct kvm_irq_level *l = arg;

		r = kvm_set_irq(chip, KVM_USERSPACE_IRQ_SOURCE_ID, l->irq,
				l->level != 0);
		if (req == KVM_IRQ_LINE_STATUS)
			l->status = (int32_t)r;
		r = 0;
		break;
	}
	case KVM_CREATE_PIT2: {
		const struct kvm_pit_config *c = arg;

		if (c->flags & ~(uint32_t)KVM_PIT_SPEAKER_DUMMY) {
			r = -EINVAL;
		} else if (chip->pit) {
			r = -EEXIST;
		} else {
			chip->pit = kvm_pit_create();
			r = chip->pit ? 0 : -ENOMEM;
		}
		break;
	}
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		r = irqchip_state(chip, arg, req == KVM_SET_IRQCHIP);
		break;
	case KVM_GET_PIT2:
		if (!chip->pit) {
			r = -ENXIO;
			break;
		}
		memcpy(arg, &chip->pit->state, sizeof(chip->pit->state));
		r = 0;
		break;
	case KVM_SET_PIT2:
		if (!chip->pit) {
			r = -ENXIO;
			break;
		}
		memcpy(&chip->pit->state, arg, sizeof(chip->pit->state));
		for (int i = 0; i < 3; i++) {
			struct kvm_pit_channel_state *c =
			    &chip->pit->state.channels[i];

			if (c->count > 0x10000 || !c->count)
				c->count = 0x10000;
		}
		kvm_pit_state_loaded(chip->pit, kvm_irq_clock_ns());
		kvm_irq_timer_changed(chip);
		r = 0;
		break;
	case KVM_SIGNAL_MSI: {
		const struct kvm_msi *m = arg;

		if (m->flags) {
			r = -EINVAL;
			break;
		}
		r = kvm_set_msi(chip, m);
		if (r < 0)
			r = 0;
		break;
	}
	case KVM_SET_GSI_ROUTING: {
		const struct kvm_irq_routing *rt = arg;

		if (rt->flags)
			r = -EINVAL;
		else
			r = kvm_set_routing(chip, rt->entries, rt->nr);
		break;
	}
	default:
		r = -ENOTTY;
	}
	pthread_mutex_unlock(&chip->lock);
	return r;
}

long kvm_irq_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long req, void *arg)
{
	struct kvm_irqchip_vm *chip;
	struct kvm_lapic *apic;
	long r = 0;

	switch (req) {
	case KVM_GET_LAPIC:
	case KVM_SET_LAPIC:
	case KVM_GET_MP_STATE:
	case KVM_SET_MP_STATE:
		if (!arg)
			return -EFAULT;
		break;
	case KVM_INTERRUPT:
		/* With the PIC in the kernel, userspace injects through
		 * KVM_IRQ_LINE, not KVM_INTERRUPT. */
		return irqchip_in_kernel(vcpu->kvm) ? -ENXIO : -ENOTTY;
	default:
		return -ENOTTY;
	}
	chip = kvm_irqchip(vcpu->kvm);
	if (!chip) {
		/* Without an in-kernel APIC a vCPU is always runnable. */
		if (req == KVM_GET_MP_STATE) {
			((struct kvm_mp_state *)arg)->mp_state =
			    KVM_MP_STATE_RUNNABLE;
			return 0;
		}
		if (req == KVM_SET_MP_STATE)
			return ((struct kvm_mp_state *)arg)->mp_state ==
				       KVM_MP_STATE_RUNNABLE
				   ? 0
				   : -EINVAL;
		return -EINVAL;
	}
	pthread_mutex_lock(&chip->lock);
	apic = vcpu_lapic(chip, vcpu);
	if (!apic) {
		pthread_mutex_unlock(&chip->lock);
		return -ENOMEM;
	}
	switch (req) {
	case KVM_GET_LAPIC:
		kvm_lapic_get_state(apic, arg);
		break;
	case KVM_SET_LAPIC:
		r = kvm_lapic_set_state(apic, arg);
		break;
	case KVM_GET_MP_STATE:
		((struct kvm_mp_state *)arg)->mp_state = apic->mp_state;
		break;
	case KVM_SET_MP_STATE: {
		uint32_t s = ((struct kvm_mp_state *)arg)->mp_state;

		switch (s) {
		case KVM_MP_STATE_SIPI_RECEIVED:
			/* As KVM: waiting for SIPI with one pending. */
			apic->mp_state = KVM_MP_STATE_INIT_RECEIVED;
			apic->pending_sipi = true;
			break;
		case KVM_MP_STATE_RUNNABLE:
		case KVM_MP_STATE_UNINITIALIZED:
		case KVM_MP_STATE_INIT_RECEIVED:
		case KVM_MP_STATE_HALTED:
			apic->mp_state = s;
			break;
		default:
			r = -EINVAL;
		}
		kvm_irq_wake(chip, vcpu);
		break;
	}
	}
	pthread_mutex_unlock(&chip->lock);
	return r;
}
