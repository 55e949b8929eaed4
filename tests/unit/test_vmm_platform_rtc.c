// SPDX-License-Identifier: GPL-2.0
/* vmm/platform/rtc.c: the MC146818 RTC and CMOS RAM, on an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <pthread.h>
#include <time.h>

#include "vmm/platform/rtc.h"

#define NS 1000000000ll
/* 1700000000 = Tuesday 2023-11-14 22:13:20 UTC */
#define T0 1700000000ll

static int64_t fake_ns;
static int irq_calls, irq_level = -1;

static int64_t fake_clock(void *ctx)
{
	return fake_ns;
}

static void fake_irq(void *ctx, int irq, int level)
{
	assert_int_equal(irq, RTC_IRQ);
	irq_calls++;
	irq_level = level;
}

static uint8_t rd(struct rtc *r, uint8_t idx)
{
	rtc_write(r, 0, idx);
	return rtc_read(r, 1);
}

static void wr(struct rtc *r, uint8_t idx, uint8_t v)
{
	rtc_write(r, 0, idx);
	rtc_write(r, 1, v);
}

static void setup_rtc(struct rtc *r, int64_t ns)
{
	fake_ns = ns;
	irq_calls = 0;
	irq_level = -1;
	rtc_init(r, 512ull << 20, 512ull << 20, 1, fake_clock, NULL);
}

static void test_rtc_bcd_24h(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS + 5);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x20);
	assert_int_equal(rd(&r, RTC_MINUTES), 0x13);
	assert_int_equal(rd(&r, RTC_HOURS), 0x22);
	assert_int_equal(rd(&r, RTC_WEEKDAY), 3); /* Tuesday, 1 = Sunday */
	assert_int_equal(rd(&r, RTC_DAY), 0x14);
	assert_int_equal(rd(&r, RTC_MONTH), 0x11);
	assert_int_equal(rd(&r, RTC_YEAR), 0x23);
	assert_int_equal(rd(&r, RTC_CENTURY), 0x20);
	assert_int_equal(rd(&r, RTC_REG_D), RTC_D_VRT);
	/* The clock follows the host. */
	fake_ns += 61 * NS;
	assert_int_equal(rd(&r, RTC_SECONDS), 0x21);
	assert_int_equal(rd(&r, RTC_MINUTES), 0x14);
}

static void test_rtc_binary_and_12h(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS);
	wr(&r, RTC_REG_B, RTC_B_DM | RTC_B_24H);
	assert_int_equal(rd(&r, RTC_SECONDS), 20);
	assert_int_equal(rd(&r, RTC_HOURS), 22);
	assert_int_equal(rd(&r, RTC_YEAR), 23);
	assert_int_equal(rd(&r, RTC_CENTURY), 20);
	/* 12-hour binary: 22h = 10 PM */
	wr(&r, RTC_REG_B, RTC_B_DM);
	assert_int_equal(rd(&r, RTC_HOURS), 0x80 | 10);
	/* 12-hour BCD at 00:xx (12 AM) and 12:xx (12 PM) */
	wr(&r, RTC_REG_B, 0);
	fake_ns = (T0 + 2 * 3600) * NS; /* 00:13:20 on the 15th */
	assert_int_equal(rd(&r, RTC_HOURS), 0x12);
	assert_int_equal(rd(&r, RTC_DAY), 0x15);
	fake_ns = (T0 + 14 * 3600) * NS; /* 12:13:20 */
	assert_int_equal(rd(&r, RTC_HOURS), 0x92);
	fake_ns = (T0 + 15 * 3600) * NS; /* 13:13:20 = 1 PM */
	assert_int_equal(rd(&r, RTC_HOURS), 0x81);
}

static void test_rtc_uip_window(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS);
	assert_false(rd(&r, RTC_REG_A) & RTC_A_UIP);
	assert_int_equal(rd(&r, RTC_REG_A), 0x26);
	fake_ns = T0 * NS + NS - 300000; /* 300 us before the update */
	assert_false(rd(&r, RTC_REG_A) & RTC_A_UIP);
	fake_ns = T0 * NS + NS - 244000; /* the window opens */
	assert_true(rd(&r, RTC_REG_A) & RTC_A_UIP);
	fake_ns = T0 * NS + NS - 1;
	assert_true(rd(&r, RTC_REG_A) & RTC_A_UIP);
	/* during UIP the old second still shows */
	assert_int_equal(rd(&r, RTC_SECONDS), 0x20);
	fake_ns = (T0 + 1) * NS;
	assert_false(rd(&r, RTC_REG_A) & RTC_A_UIP);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x21);
	/* no updates while SET is on, nor with the divider stopped */
	fake_ns = T0 * NS + NS - 100000;
	wr(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	assert_false(rd(&r, RTC_REG_A) & RTC_A_UIP);
	wr(&r, RTC_REG_B, RTC_B_24H);
	wr(&r, RTC_REG_A, 0x66);
	fake_ns = T0 * NS + NS - 100000;
	assert_false(rd(&r, RTC_REG_A) & RTC_A_UIP);
	/* UIP is read-only */
	wr(&r, RTC_REG_A, 0xa6);
	assert_int_equal(rd(&r, RTC_REG_A) & 0x7f, 0x26);
}

static void test_rtc_guest_sets_time(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS + NS / 2);
	wr(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	wr(&r, RTC_HOURS, 0x05);
	wr(&r, RTC_MINUTES, 0x06);
	wr(&r, RTC_SECONDS, 0x07);
	wr(&r, RTC_YEAR, 0x30);
	wr(&r, RTC_MONTH, 0x02);
	wr(&r, RTC_DAY, 0x29); /* 2030-02-29 does not exist: rolls to Mar 1 */
	fake_ns += 10 * NS;    /* frozen while SET */
	assert_int_equal(rd(&r, RTC_SECONDS), 0x07);
	wr(&r, RTC_DAY, 0x28);
	wr(&r, RTC_MONTH, 0x02);
	wr(&r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(rd(&r, RTC_HOURS), 0x05);
	assert_int_equal(rd(&r, RTC_MINUTES), 0x06);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x07);
	assert_int_equal(rd(&r, RTC_YEAR), 0x30);
	assert_int_equal(rd(&r, RTC_MONTH), 0x02);
	assert_int_equal(rd(&r, RTC_DAY), 0x28);
	fake_ns += 3 * NS;
	assert_int_equal(rd(&r, RTC_SECONDS), 0x10);
	/* invalid BCD and out-of-range values change nothing */
	wr(&r, RTC_SECONDS, 0xff);
	wr(&r, RTC_MINUTES, 0x60);
	wr(&r, RTC_MONTH, 0x13);
	wr(&r, RTC_HOURS, 0x24);
	assert_int_equal(rd(&r, RTC_SECONDS), 0x10);
	assert_int_equal(rd(&r, RTC_MINUTES), 0x06);
	assert_int_equal(rd(&r, RTC_MONTH), 0x02);
	assert_int_equal(rd(&r, RTC_HOURS), 0x05);
	/* a direct write without SET keeps running */
	wr(&r, RTC_MINUTES, 0x30);
	assert_int_equal(rd(&r, RTC_MINUTES), 0x30);
	/* 12-hour writes: 11 PM */
	wr(&r, RTC_REG_B, 0);
	wr(&r, RTC_HOURS, 0x91);
	wr(&r, RTC_REG_B, RTC_B_24H);
	assert_int_equal(rd(&r, RTC_HOURS), 0x23);
}

static void test_rtc_flags_and_irq(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS + 100);
	r.set_irq = fake_irq;
	assert_int_equal(rd(&r, RTC_REG_C), 0);
	/* UF after a second boundary, without interrupt: flag only */
	fake_ns += NS;
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_UF | RTC_C_PF);
	assert_int_equal(rd(&r, RTC_REG_C), 0); /* read-clear */
	assert_int_equal(irq_calls, 0);
	/* UIE: IRQF and the line go up, reading C drops them */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	fake_ns += NS;
	rtc_update_irq(&r);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF | RTC_C_PF);
	assert_int_equal(irq_level, 0);
	assert_int_equal(irq_calls, 2);
	/* periodic: rate 6 = 1024 Hz */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	fake_ns += 500000; /* 0.5 ms: maybe not yet */
	rd(&r, RTC_REG_C);
	fake_ns += 1000000; /* > 976.5625 us: at least one period passed */
	assert_int_equal(rd(&r, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
	/* rate 0: no periodic flag */
	wr(&r, RTC_REG_A, 0x20);
	fake_ns += 10000000;
	assert_false(rd(&r, RTC_REG_C) & RTC_C_PF);
	/* SET clears UIE */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE | RTC_B_SET);
	assert_false(rd(&r, RTC_REG_B) & RTC_B_UIE);
}

static void test_rtc_alarm(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS); /* 22:13:20 */
	wr(&r, RTC_SECONDS_ALM, 0x25);
	wr(&r, RTC_MINUTES_ALM, 0x13);
	wr(&r, RTC_HOURS_ALM, 0xc0); /* don't care */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	rd(&r, RTC_REG_C);
	fake_ns += 3 * NS; /* :23 */
	assert_false(rd(&r, RTC_REG_C) & RTC_C_AF);
	fake_ns += 3 * NS; /* :26, passed :25 */
	assert_int_equal(rd(&r, RTC_REG_C) & (RTC_C_AF | RTC_C_IRQF),
			 RTC_C_AF | RTC_C_IRQF);
	/* a long gap (a day) still finds the match */
	fake_ns += 86400ll * 3 * NS;
	assert_true(rd(&r, RTC_REG_C) & RTC_C_AF);
}

static void test_rtc_cmos_memory(void **state)
{
	struct rtc r;
	unsigned sum = 0;

	setup_rtc(&r, T0 * NS);
	assert_int_equal(rd(&r, 0x15) | rd(&r, 0x16) << 8, 640);
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 0xffff);
	assert_int_equal(rd(&r, 0x30) | rd(&r, 0x31) << 8, 0xffff);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8, (512 - 16) * 16);
	assert_int_equal(rd(&r, 0x5b) | rd(&r, 0x5c) << 8 | rd(&r, 0x5d) << 16,
			 0);
	assert_int_equal(rd(&r, 0x5f), 0);
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += rd(&r, i);
	assert_int_equal(rd(&r, 0x2e) << 8 | rd(&r, 0x2f), sum & 0xffff);

	/* 6 GiB: 3 GiB below the hole, 3 GiB at 4 GiB; 4 vCPUs */
	rtc_init(&r, 6ull << 30, 3ull << 30, 4, fake_clock, NULL);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8,
			 ((3u << 30) - (16u << 20)) >> 16);
	assert_int_equal(rd(&r, 0x5b) | rd(&r, 0x5c) << 8 | rd(&r, 0x5d) << 16,
			 (3u << 30) >> 16);
	assert_int_equal(rd(&r, 0x5f), 3);
	/* 8 MiB: small fields are exact */
	rtc_init(&r, 8ull << 20, 8ull << 20, 1, fake_clock, NULL);
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 7 * 1024);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8, 0);
}

static void test_rtc_index_and_ram(void **state)
{
	struct rtc r;

	setup_rtc(&r, T0 * NS);
	/* bit 7 is NMI disable, not part of the index */
	rtc_write(&r, 0, 0x80 | RTC_REG_A);
	assert_true(r.nmi_disabled);
	assert_int_equal(rtc_read(&r, 1), 0x26);
	assert_int_equal(rtc_read(&r, 0), 0x80 | RTC_REG_A);
	rtc_write(&r, 0, 0x0d);
	assert_false(r.nmi_disabled);
	/* RAM bytes keep what is written, every index is in range */
	for (unsigned i = 0; i < 256; i++) {
		rtc_write(&r, 0, i);
		if ((i & 0x7f) >= 0x40 && (i & 0x7f) != RTC_CENTURY)
			rtc_write(&r, 1, i ^ 0x5a);
	}
	assert_int_equal(rd(&r, 0x7f), 0xff ^ 0x5a);
	assert_int_equal(rd(&r, 0x40), 0xc0 ^ 0x5a);
	/* C and D are read-only */
	wr(&r, RTC_REG_D, 0);
	assert_int_equal(rd(&r, RTC_REG_D), RTC_D_VRT);
	/* other port offsets read all ones */
	assert_int_equal(rtc_read(&r, 2), 0xff);
	/* a 16-bit access to 0x70 sets the index and writes the data */
	r.dev.write(r.dev.opaque, 0, (const uint8_t[]){0x50, 0xab}, 2);
	assert_int_equal(rd(&r, 0x50), 0xab);
}

static void test_rtc_civil(void **state)
{
	int64_t y;
	unsigned m, d;

	assert_int_equal(rtc_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(rtc_days_from_civil(2000, 3, 1) -
			     rtc_days_from_civil(2000, 2, 28),
			 2);
	assert_int_equal(rtc_days_from_civil(2100, 3, 1) -
			     rtc_days_from_civil(2100, 2, 28),
			 1);
	for (int64_t z = -800000; z < 800000; z += 997) {
		rtc_civil_from_days(z, &y, &m, &d);
		assert_int_equal(rtc_days_from_civil(y, m, d), z);
	}
}

static int64_t real_clock(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* Waits (up to 10 s, no timing assertion) for the line to reach level. */
static bool wait_level(pthread_mutex_t *m, int level)
{
	for (int i = 0; i < 10000; i++) {
		int l;

		pthread_mutex_lock(m);
		l = irq_level;
		pthread_mutex_unlock(m);
		if (l == level)
			return true;
		usleep(1000);
	}
	return false;
}

/* The timer thread raises IRQ 8 by itself for a periodic interrupt and
 * again after the guest acknowledged the first one by reading C. */
static void test_rtc_thread_periodic_irq(void **state)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct rtc r;

	setup_rtc(&r, 0);
	rtc_init(&r, 64ull << 20, 64ull << 20, 1, real_clock, NULL);
	r.set_irq = fake_irq;
	assert_int_equal(rtc_start(&r, &m), 0);
	pthread_mutex_lock(&m);
	wr(&r, RTC_REG_A, 0x23); /* 8192 Hz */
	wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	pthread_mutex_unlock(&m);
	assert_true(wait_level(&m, 1));
	pthread_mutex_lock(&m);
	assert_true(rd(&r, RTC_REG_C) & RTC_C_PF);
	assert_int_equal(irq_level, 0);
	pthread_mutex_unlock(&m);
	assert_true(wait_level(&m, 1));
	rtc_stop(&r);
	rtc_stop(&r); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rtc_bcd_24h),
	    cmocka_unit_test(test_rtc_binary_and_12h),
	    cmocka_unit_test(test_rtc_uip_window),
	    cmocka_unit_test(test_rtc_guest_sets_time),
	    cmocka_unit_test(test_rtc_flags_and_irq),
	    cmocka_unit_test(test_rtc_alarm),
	    cmocka_unit_test(test_rtc_cmos_memory),
	    cmocka_unit_test(test_rtc_index_and_ram),
	    cmocka_unit_test(test_rtc_civil),
	    cmocka_unit_test(test_rtc_thread_periodic_irq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
