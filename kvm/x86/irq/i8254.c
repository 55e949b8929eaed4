// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT (arch/x86/kvm/i8254.c plays this role): channels 0-2 at
 * 0x40-0x42, control word at 0x43 (latch and read-back commands), modes
 * 0-5, counters computed from the host clock at 1.193182 MHz, channel 0
 * raising IRQ 0, and port 0x61 (channel 2 gate, speaker data, OUT2).
 * State is struct kvm_pit_state2 with count_load_time in host ns.
 */
#include <stdlib.h>
#include <string.h>

#include "kvm/x86/irq/irq.h"

enum { RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4 };
#define PIT_MODE_UNSET	  0xff
#define PIT_MIN_PERIOD_NS 200000ull /* as KVM's min_timer_period_us */

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000000u / PIT_FREQ);
}

static uint64_t elapsed_ticks(const struct kvm_pit_channel_state *c,
			      uint64_t now)
{
	uint64_t t0 = (uint64_t)c->count_load_time;

	if (now <= t0)
		return 0;
	return (uint64_t)((unsigned __int128)(now - t0) * PIT_FREQ /
			  1000000000u);
}

static uint32_t chan_count(const struct kvm_pit_channel_state *c)
{
	return c->count ? c->count : 0x10000;
}

uint16_t kvm_pit_get_count(struct kvm_pit *pit, int ch, uint64_t now)
{
	const struct kvm_pit_channel_state *c = &pit->state.channels[ch];
	uint64_t d = elapsed_ticks(c, now), count = chan_count(c);

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		return (uint16_t)((count - d) & 0xffff);
	case 3:
		/* Square wave: counts down by two, twice per period. */
		return (uint16_t)(count - ((2 * d) % count));
	default:
		return (uint16_t)(count - (d % count));
	}
}

int kvm_pit_get_out(struct kvm_pit *pit, int ch, uint64_t now)
{
	const struct kvm_pit_channel_state *c = &pit->state.channels[ch];
	uint64_t d = elapsed_ticks(c, now), count = chan_count(c);

	switch (c->mode) {
	case 0: /* high at terminal count, until reprogrammed */
		return d >= count;
	case 1: /* low while the one-shot runs */
		return d >= count;
	case 2: /* high, one tick low before each reload */
		return (d % count) != count - 1;
	case 3: /* high for the first half of each period */
		return (d % count) < ((count + 1) >> 1);
	case 4:
	case 5: /* one tick low at terminal count */
		return d != count;
	default:
		return 0;
	}
}

/* Channel 0's IRQ schedule after a count load or a gate edge. */
static void pit_arm_irq0(struct kvm_pit *pit, uint64_t now)
{
	const struct kvm_pit_channel_state *c = &pit->state.channels[0];
	uint64_t period = ticks_to_ns(chan_count(c));

	pit->next_irq_ns = 0;
	pit->period_ns = 0;
	pit->pending = 0;
	pit->in_flight = false;
	switch (c->mode) {
	case 2:
	case 3:
		if (period < PIT_MIN_PERIOD_NS)
			period = PIT_MIN_PERIOD_NS;
		pit->period_ns = period;
		pit->next_irq_ns = now + period;
		break;
	case 0:
	case 1:
	case 4:
	case 5:
		pit->next_irq_ns = now + period;
		break;
	default:
		break; /* not programmed yet */
	}
}

static void pit_load_count(struct kvm_irqchip_vm *chip, int ch, uint32_t val,
			   uint64_t now)
{
	struct kvm_pit *pit = chip->pit;
	struct kvm_pit_channel_state *c = &pit->state.channels[ch];

	c->count = val ? val : 0x10000;
	c->count_load_time = (int64_t)now;
	if (ch == 0) {
		pit_arm_irq0(pit, now);
		kvm_irq_timer_changed(chip);
	}
}

void kvm_pit_reset(struct kvm_pit *pit, uint64_t now)
{
	memset(&pit->state, 0, sizeof(pit->state));
	for (int i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &pit->state.channels[i];

		c->mode = PIT_MODE_UNSET;
		c->gate = i != 2;
		c->count = 0x10000;
		c->count_load_time = (int64_t)now;
	}
	pit->next_irq_ns = 0;
	pit->period_ns = 0;
}

struct kvm_pit *kvm_pit_create(void)
{
	struct kvm_pit *pit = calloc(1, sizeof(*pit));

	if (pit)
		kvm_pit_reset(pit, kvm_irq_clock_ns());
	return pit;
}

void kvm_pit_state_loaded(struct kvm_pit *pit, uint64_t now)
{
	const struct kvm_pit_channel_state *c = &pit->state.channels[0];

	/* Continue channel 0 from its load time, not from now. */
	pit_arm_irq0(pit, (uint64_t)c->count_load_time);
	/* Userspace's load time may be long past: next edge after now. */
	if (pit->period_ns && pit->next_irq_ns && pit->next_irq_ns <= now)
		pit->next_irq_ns +=
		    ((now - pit->next_irq_ns) / pit->period_ns + 1) *
		    pit->period_ns;
}

static void pit_latch_count(struct kvm_pit *pit, int ch, uint64_t now)
{
	struct kvm_pit_channel_state *c = &pit->state.channels[ch];

	/* A second latch before the read keeps the first value. */
	if (!c->count_latched) {
		c->latched_count = kvm_pit_get_count(pit, ch, now);
		c->count_latched = c->rw_mode;
	}
}

static void pit_latch_status(struct kvm_pit *pit, int ch, uint64_t now)
{
	struct kvm_pit_channel_state *c = &pit->state.channels[ch];

	if (!c->status_latched) {
		c->status = (uint8_t)((kvm_pit_get_out(pit, ch, now) << 7) |
				      (c->rw_mode << 4) | ((c->mode & 7) << 1) |
				      c->bcd);
		c->status_latched = 1;
	}
}

static void pit_write_control(struct kvm_irqchip_vm *chip, uint8_t val,
			      uint64_t now)
{
	struct kvm_pit *pit = chip->pit;
	int ch = val >> 6;

	if (ch == 3) {
		/* Read-back: bits 1-3 select channels; bit 5 clear latches
		 * the count, bit 4 clear the status. */
		for (int i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20))
				pit_latch_count(pit, i, now);
			if (!(val & 0x10))
				pit_latch_status(pit, i, now);
		}
		return;
	}
	struct kvm_pit_channel_state *c = &pit->state.channels[ch];
	uint8_t access = (val >> 4) & 3;

	if (!access) {
		pit_latch_count(pit, ch, now);
		return;
	}
	c->rw_mode = access;
	c->read_state = access;
	c->write_state = access;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6, 7 are aliases of 2, 3 */
	c->bcd = val & 1;
	c->count_latched = 0;
	c->status_latched = 0;
}

static void pit_write_data(struct kvm_irqchip_vm *chip, int ch, uint8_t val,
			   uint64_t now)
{
	struct kvm_pit_channel_state *c = &chip->pit->state.channels[ch];

	switch (c->write_state) {
	case RW_LSB:
		pit_load_count(chip, ch, val, now);
		break;
	case RW_MSB:
		pit_load_count(chip, ch, (uint32_t)val << 8, now);
		break;
	case RW_WORD0:
		c->write_latch = val;
		c->write_state = RW_WORD1;
		break;
	case RW_WORD1:
		pit_load_count(chip, ch, c->write_latch | ((uint32_t)val << 8),
			       now);
		c->write_state = RW_WORD0;
		break;
	default:
		break; /* never programmed: ignored */
	}
}

static uint8_t pit_read_data(struct kvm_pit *pit, int ch, uint64_t now)
{
	struct kvm_pit_channel_state *c = &pit->state.channels[ch];
	uint16_t count;
	uint8_t ret;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		switch (c->count_latched) {
		case RW_MSB:
			ret = (uint8_t)(c->latched_count >> 8);
			c->count_latched = 0;
			break;
		case RW_WORD0:
			ret = (uint8_t)c->latched_count;
			c->count_latched = RW_MSB;
			break;
		default: /* RW_LSB */
			ret = (uint8_t)c->latched_count;
			c->count_latched = 0;
			break;
		}
		return ret;
	}
	count = kvm_pit_get_count(pit, ch, now);
	switch (c->read_state) {
	case RW_MSB:
		return (uint8_t)(count >> 8);
	case RW_WORD0:
		c->read_state = RW_WORD1;
		return (uint8_t)count;
	case RW_WORD1:
		c->read_state = RW_WORD0;
		return (uint8_t)(count >> 8);
	default:
		return (uint8_t)count;
	}
}

static void pit_set_gate(struct kvm_irqchip_vm *chip, int ch, int val,
			 uint64_t now)
{
	struct kvm_pit_channel_state *c = &chip->pit->state.channels[ch];

	/* A rising edge (re)starts counting; in modes 0/4 the count only
	 * runs while the gate is high, so the start is the edge too. */
	if (val && !c->gate) {
		c->count_load_time = (int64_t)now;
		if (ch == 0) {
			pit_arm_irq0(chip->pit, now);
			kvm_irq_timer_changed(chip);
		}
	}
	c->gate = (uint8_t)val;
}

bool kvm_pit_pio(struct kvm_irqchip_vm *chip, uint16_t port, bool in,
		 uint8_t *val, uint64_t now)
{
	struct kvm_pit *pit = chip->pit;

	if (!pit)
		return false;
	switch (port) {
	case 0x40:
	case 0x41:
	case 0x42:
		if (in)
			*val = pit_read_data(pit, port - 0x40, now);
		else
			pit_write_data(chip, port - 0x40, *val, now);
		return true;
	case 0x43:
		if (in)
			*val = 0xff; /* the control word is write-only */
		else
			pit_write_control(chip, *val, now);
		return true;
	case 0x61:
		if (in) {
			/* Bit 4 toggles with the DRAM refresh (~15 us). */
			*val = (uint8_t)(pit->state.channels[2].gate |
					 ((pit->state.flags &
					   KVM_PIT_FLAGS_SPEAKER_DATA_ON)
					      ? 2
					      : 0) |
					 (((now >> 14) & 1) << 4) |
					 (kvm_pit_get_out(pit, 2, now) << 5));
		} else {
			if (*val & 2)
				pit->state.flags |=
				    KVM_PIT_FLAGS_SPEAKER_DATA_ON;
			else
				pit->state.flags &=
				    ~(uint32_t)KVM_PIT_FLAGS_SPEAKER_DATA_ON;
			pit_set_gate(chip, 2, *val & 1, now);
		}
		return true;
	default:
		return false;
	}
}

/* Upper bound of owed ticks (a second at 1 kHz): after a longer stall the
 * guest's clock is allowed to lag rather than run a storm of handlers. */
#define PIT_MAX_PENDING	   1000
#define PIT_ACK_TIMEOUT_NS 100000000ull

static void pit_inject(struct kvm_irqchip_vm *chip)
{
	struct kvm_pit *pit = chip->pit;
	int r;

	/* An edge on IRQ 0 (PIC edge-triggered, IOAPIC edge). */
	r = kvm_set_irq(chip, KVM_PIT_IRQ_SOURCE_ID, 0, true);
	kvm_set_irq(chip, KVM_PIT_IRQ_SOURCE_ID, 0, false);
	/* Masked everywhere: nobody will acknowledge it, owe nothing. */
	if (r < 0) {
		pit->pending = 0;
		return;
	}
	pit->in_flight = true;
	pit->in_flight_ns = kvm_irq_clock_ns();
}

void kvm_pit_ack_irq(struct kvm_irqchip_vm *chip)
{
	struct kvm_pit *pit = chip->pit;

	if (!pit || !pit->in_flight)
		return;
	pit->in_flight = false;
	if (pit->pending) {
		pit->pending--;
		pit_inject(chip);
	}
}

void kvm_pit_mask_changed(struct kvm_irqchip_vm *chip)
{
	if (!chip->pit)
		return;
	chip->pit->in_flight = false;
	chip->pit->pending = 0;
}

uint64_t kvm_pit_poll(struct kvm_irqchip_vm *chip, uint64_t now)
{
	struct kvm_pit *pit = chip->pit;

	if (!pit || !pit->next_irq_ns)
		return 0;
	/* Never acknowledged (masked while pending, say): stop waiting. */
	if (pit->in_flight && now - pit->in_flight_ns > PIT_ACK_TIMEOUT_NS)
		pit->in_flight = false;
	if (now < pit->next_irq_ns)
		return pit->next_irq_ns;
	if (pit->period_ns) {
		uint64_t due = (now - pit->next_irq_ns) / pit->period_ns + 1;

		pit->next_irq_ns += due * pit->period_ns;
		pit->pending +=
		    (uint32_t)(due < PIT_MAX_PENDING ? due : PIT_MAX_PENDING);
		if (pit->pending > PIT_MAX_PENDING)
			pit->pending = PIT_MAX_PENDING;
	} else {
		pit->next_irq_ns = 0;
		pit->pending++;
	}
	if (!pit->in_flight && pit->pending) {
		pit->pending--;
		pit_inject(chip);
	}
	return pit->next_irq_ns;
}
