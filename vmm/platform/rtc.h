/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MC146818 CMOS real-time clock at ports 0x70 (index, bit 7 = NMI
 * disable) and 0x71 (data). Time registers 0-9 follow the host's UTC clock
 * plus an offset the guest sets by writing them; register A shows the
 * update-in-progress bit for the 244 us before each second's update; B
 * selects BCD/binary, 12/24h and the interrupt enables; C holds the
 * interrupt flags (read-clear), computed from the clock whenever they are
 * looked at; D says the RAM is valid. Bytes 0x0e-0x7f are battery-backed
 * RAM, preset with the PC BIOS fields (memory sizes, CPU count, checksum).
 *
 * Interrupts (IRQ 8) go through set_irq when the monitor provides one; a
 * timer thread (rtc_start) raises them while an interrupt is enabled.
 * Without set_irq the flags still work for polling.
 *
 * Locking: the port callbacks run under the caller's bus lock; the timer
 * thread takes the same lock (rtc_start's mutex) before touching state.
 */
#ifndef KVMINI_VMM_PLATFORM_RTC_H
#define KVMINI_VMM_PLATFORM_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/iobus.h"

#define RTC_PORT   0x70
#define RTC_IRQ	   8
#define RTC_NREGS  128
#define RTC_UIP_NS 244000ull /* UIP is set this long before an update */

/* Register indexes and bits. */
#define RTC_SECONDS	0x00
#define RTC_SECONDS_ALM 0x01
#define RTC_MINUTES	0x02
#define RTC_MINUTES_ALM 0x03
#define RTC_HOURS	0x04
#define RTC_HOURS_ALM	0x05
#define RTC_WEEKDAY	0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32

#define RTC_A_UIP  0x80
#define RTC_B_SET  0x80
#define RTC_B_PIE  0x40
#define RTC_B_AIE  0x20
#define RTC_B_UIE  0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM   0x04 /* 1 = binary, 0 = BCD */
#define RTC_B_24H  0x02
#define RTC_B_DSE  0x01
#define RTC_C_IRQF 0x80
#define RTC_C_PF   0x40
#define RTC_C_AF   0x20
#define RTC_C_UF   0x10
#define RTC_D_VRT  0x80

struct rtc {
	struct io_device dev; /* ports 0x70-0x71 */
	uint8_t index;	      /* last index written, masked to 0x7f */
	bool nmi_disabled;    /* bit 7 of the last index write */
	uint8_t cmos[RTC_NREGS];
	/* Guest time = host time + offset_ns (the guest may set the clock). */
	int64_t offset_ns;
	/* Broken-down time frozen while B.SET is on (writes go here). */
	int64_t frozen_s;
	/* Where the interrupt flags were last brought up to date. */
	int64_t flags_ns;
	/* Host clock in ns since the epoch (UTC); tests inject their own. */
	int64_t (*now_ns)(void *ctx);
	void *clock_ctx;
	/* IRQ 8; may be NULL. */
	void (*set_irq)(void *ctx, int irq, int level);
	void *irq_ctx;
	int irq_level;
	/* Timer thread for interrupts (rtc_start). */
	pthread_mutex_t *lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_started, thread_stop;
};

/*
 * ram_size: guest RAM in bytes; low_ram_end: RAM top below the 32-bit hole
 * (RAM beyond it sits at 4 GiB); ncpus for CMOS 0x5f. now_ns NULL = host
 * CLOCK_REALTIME.
 */
void rtc_init(struct rtc *r, uint64_t ram_size, uint64_t low_ram_end, int ncpus,
	      int64_t (*now_ns)(void *ctx), void *clock_ctx);
/* Starts the interrupt timer thread; lock is the bus lock the port
 * callbacks run under. 0 or -errno. */
int rtc_start(struct rtc *r, pthread_mutex_t *lock);
/* Stops the thread (call without holding lock). */
void rtc_stop(struct rtc *r);

/* Port-level access for tests and the bus (offset 0 = 0x70, 1 = 0x71). */
uint8_t rtc_read(struct rtc *r, unsigned port_off);
void rtc_write(struct rtc *r, unsigned port_off, uint8_t val);
/* Brings the flags in register C up to date and drives IRQ 8. */
void rtc_update_irq(struct rtc *r);

/* Days since 1970-01-01 of a (proleptic Gregorian) date, and back. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);
void rtc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
