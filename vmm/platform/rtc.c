// SPDX-License-Identifier: GPL-2.0
/* MC146818 RTC + CMOS RAM; see rtc.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "vmm/platform/rtc.h"

#define NS_PER_S 1000000000ll
#define KiB	 1024ull
#define MiB	 (1024ull * KiB)
#define GiB	 (1024ull * MiB)

/* CMOS RAM bytes the PC BIOS convention defines. */
#define CMOS_FLOPPY	    0x10
#define CMOS_EQUIPMENT	    0x14
#define CMOS_BASE_KB_LO	    0x15
#define CMOS_EXT_KB_LO	    0x17
#define CMOS_CSUM_HI	    0x2e
#define CMOS_EXT_KB2_LO	    0x30
#define CMOS_MEM16M_64K_LO  0x34
#define CMOS_MEM4G_64K_LO   0x5b
#define CMOS_NR_CPUS_MINUS1 0x5f

static int64_t host_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Floor division: the clock may sit before 1970 after a guest write. */
static int64_t fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Howard Hinnant's days-from-civil, for any year. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = fdiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rtc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = fdiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

struct rtc_tm {
	int64_t year;
	unsigned mon, mday, hour, min, sec, wday; /* wday 1 = Sunday */
};

static void tm_from_secs(int64_t s, struct rtc_tm *t)
{
	int64_t days = fdiv(s, 86400), rem = s - days * 86400;

	rtc_civil_from_days(days, &t->year, &t->mon, &t->mday);
	t->hour = rem / 3600;
	t->min = rem / 60 % 60;
	t->sec = rem % 60;
	/* 1970-01-01 was a Thursday (5 in the RTC's 1 = Sunday count). */
	t->wday = (unsigned)((days % 7 + 7 + 4) % 7) + 1;
}

static int64_t tm_to_secs(const struct rtc_tm *t)
{
	return rtc_days_from_civil(t->year, t->mon, t->mday) * 86400 +
	       t->hour * 3600 + t->min * 60 + t->sec;
}

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM;
}

static uint8_t enc(const struct rtc *r, unsigned v)
{
	v %= 100;
	return rtc_binary(r) ? v : ((v / 10) << 4) | (v % 10);
}

/* -1 if v is no valid number in the current format. */
static int dec(const struct rtc *r, uint8_t v)
{
	if (rtc_binary(r))
		return v;
	if ((v >> 4) > 9 || (v & 15) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 15);
}

static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
	unsigned h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return enc(r, h);
	h12 = h % 12 ? h % 12 : 12;
	return enc(r, h12) | (h >= 12 ? 0x80 : 0);
}

static int dec_hour(const struct rtc *r, uint8_t v)
{
	int h;

	if (r->cmos[RTC_REG_B] & RTC_B_24H) {
		h = dec(r, v);
		return h < 24 ? h : -1;
	}
	h = dec(r, v & 0x7f);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + (v & 0x80 ? 12 : 0);
}

static int64_t guest_ns(struct rtc *r)
{
	return r->now_ns(r->clock_ctx) + r->offset_ns;
}

/* The seconds count the time registers show. */
static int64_t shown_secs(struct rtc *r)
{
	if (r->cmos[RTC_REG_B] & RTC_B_SET)
		return r->frozen_s;
	return fdiv(guest_ns(r), NS_PER_S);
}

static bool divider_running(const struct rtc *r)
{
	return ((r->cmos[RTC_REG_A] >> 4) & 7) == 2;
}

static uint8_t read_time_reg(struct rtc *r, unsigned idx)
{
	struct rtc_tm t;

	tm_from_secs(shown_secs(r), &t);
	switch (idx) {
	case RTC_SECONDS:
		return enc(r, t.sec);
	case RTC_MINUTES:
		return enc(r, t.min);
	case RTC_HOURS:
		return enc_hour(r, t.hour);
	case RTC_WEEKDAY:
		return enc(r, t.wday);
	case RTC_DAY:
		return enc(r, t.mday);
	case RTC_MONTH:
		return enc(r, t.mon);
	case RTC_YEAR:
		return enc(r, (unsigned)((t.year % 100 + 100) % 100));
	case RTC_CENTURY:
		return enc(r,
			   (unsigned)((fdiv(t.year, 100) % 100 + 100) % 100));
	}
	return 0xff;
}

/*
 * The guest may write any date (century 99, year 99 ...), but the clock is
 * kept in int64 nanoseconds: clamp to +-7e9 s around the epoch (years
 * 1748..2191), which leaves room for the host clock to be added.
 */
#define RTC_SECS_LIMIT 7000000000ll

static void set_shown_secs(struct rtc *r, int64_t s)
{
	if (s > RTC_SECS_LIMIT)
		s = RTC_SECS_LIMIT;
	if (s < -RTC_SECS_LIMIT)
		s = -RTC_SECS_LIMIT;
	if (r->cmos[RTC_REG_B] & RTC_B_SET) {
		r->frozen_s = s;
		return;
	}
	/* Keep the sub-second phase: only whole seconds move. */
	int64_t g = guest_ns(r);
	int64_t phase = g - fdiv(g, NS_PER_S) * NS_PER_S;
	r->offset_ns = s * NS_PER_S + phase - r->now_ns(r->clock_ctx);
	r->flags_ns = guest_ns(r);
}

/* The guest sets a field of the clock; invalid values change nothing. */
static void write_time_reg(struct rtc *r, unsigned idx, uint8_t val)
{
	struct rtc_tm t;
	int v = idx == RTC_HOURS ? dec_hour(r, val) : dec(r, val);

	if (v < 0)
		return;
	tm_from_secs(shown_secs(r), &t);
	switch (idx) {
	case RTC_SECONDS:
		if (v > 59)
			return;
		t.sec = v;
		break;
	case RTC_MINUTES:
		if (v > 59)
			return;
		t.min = v;
		break;
	case RTC_HOURS:
		t.hour = v;
		break;
	case RTC_DAY:
		if (v < 1 || v > 31)
			return;
		t.mday = v;
		break;
	case RTC_MONTH:
		if (v < 1 || v > 12)
			return;
		t.mon = v;
		break;
	case RTC_YEAR:
		if (v > 99)
			return;
		t.year = fdiv(t.year, 100) * 100 + v;
		break;
	case RTC_CENTURY:
		if (v > 99)
			return;
		t.year = (int64_t)v * 100 + (t.year % 100 + 100) % 100;
		break;
	default: /* the weekday follows from the date */
		return;
	}
	set_shown_secs(r, tm_to_secs(&t));
}

static bool alarm_field_matches(const struct rtc *r, uint8_t alarm, uint8_t now)
{
	return (alarm & 0xc0) == 0xc0 || alarm == now;
}

static bool alarm_matches(struct rtc *r, int64_t s)
{
	struct rtc_tm t;

	tm_from_secs(s, &t);
	return alarm_field_matches(r, r->cmos[RTC_SECONDS_ALM],
				   enc(r, t.sec)) &&
	       alarm_field_matches(r, r->cmos[RTC_MINUTES_ALM],
				   enc(r, t.min)) &&
	       alarm_field_matches(r, r->cmos[RTC_HOURS_ALM],
				   enc_hour(r, t.hour));
}

/* ns between periodic interrupts, 0 for none (rate 0 or divider off). */
static int64_t periodic_ns(const struct rtc *r)
{
	unsigned rate = r->cmos[RTC_REG_A] & 15;

	if (!rate || !divider_running(r))
		return 0;
	if (rate < 3) /* 32.768 kHz time base: rates 1, 2 repeat 8, 9 */
		rate += 7;
	return (NS_PER_S << (rate - 1)) / 32768;
}

/* Sets PF/UF/AF for everything that happened since flags_ns. */
static void rtc_sync_flags(struct rtc *r)
{
	int64_t g = guest_ns(r), period = periodic_ns(r);
	uint8_t c = r->cmos[RTC_REG_C];

	if (g < r->flags_ns) { /* the host clock stepped back */
		r->flags_ns = g;
		return;
	}
	if (period && fdiv(g, period) > fdiv(r->flags_ns, period))
		c |= RTC_C_PF;
	if (!(r->cmos[RTC_REG_B] & RTC_B_SET) && divider_running(r)) {
		int64_t s0 = fdiv(r->flags_ns, NS_PER_S),
			s1 = fdiv(g, NS_PER_S);

		if (s1 > s0) {
			c |= RTC_C_UF;
			/* An alarm matches at most once a second: a day of
			 * seconds covers every pattern. */
			if (s1 - s0 > 86400)
				s0 = s1 - 86400;
			for (int64_t s = s1; s > s0 && !(c & RTC_C_AF); s--)
				if (alarm_matches(r, s))
					c |= RTC_C_AF;
		}
	}
	r->flags_ns = g;
	if (c & r->cmos[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
		c |= RTC_C_IRQF;
	r->cmos[RTC_REG_C] = c;
}

static void rtc_set_irq(struct rtc *r, int level)
{
	if (r->irq_level == level)
		return;
	r->irq_level = level;
	if (r->set_irq)
		r->set_irq(r->irq_ctx, RTC_IRQ, level);
}

void rtc_update_irq(struct rtc *r)
{
	rtc_sync_flags(r);
	rtc_set_irq(r, !!(r->cmos[RTC_REG_C] & RTC_C_IRQF));
}

static void rtc_kick_thread(struct rtc *r)
{
	if (r->thread_started)
		pthread_cond_signal(&r->cond);
}

static uint8_t rtc_read_data(struct rtc *r)
{
	unsigned idx = r->index;
	uint8_t v;

	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_WEEKDAY:
	case RTC_DAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return read_time_reg(r, idx);
	case RTC_REG_A: {
		int64_t frac =
		    guest_ns(r) - fdiv(guest_ns(r), NS_PER_S) * NS_PER_S;
		bool uip = divider_running(r) &&
			   !(r->cmos[RTC_REG_B] & RTC_B_SET) &&
			   frac >= NS_PER_S - (int64_t)RTC_UIP_NS;

		return (r->cmos[RTC_REG_A] & 0x7f) | (uip ? RTC_A_UIP : 0);
	}
	case RTC_REG_C:
		rtc_sync_flags(r);
		v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0;
		rtc_set_irq(r, 0);
		rtc_kick_thread(r);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	}
	return r->cmos[idx];
}

static void rtc_write_data(struct rtc *r, uint8_t val)
{
	unsigned idx = r->index;
	uint8_t old;

	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_WEEKDAY:
	case RTC_DAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		write_time_reg(r, idx, val);
		return;
	case RTC_REG_A:
		rtc_sync_flags(r);
		r->cmos[RTC_REG_A] = val & 0x7f; /* UIP is read-only */
		r->flags_ns = guest_ns(r);
		rtc_update_irq(r);
		rtc_kick_thread(r);
		return;
	case RTC_REG_B:
		rtc_sync_flags(r);
		old = r->cmos[RTC_REG_B];
		if (val & RTC_B_SET)
			val &= ~RTC_B_UIE; /* the data sheet: SET clears UIE */
		if ((val & RTC_B_SET) && !(old & RTC_B_SET)) {
			r->frozen_s = shown_secs(r);
		} else if (!(val & RTC_B_SET) && (old & RTC_B_SET)) {
			/* The clock restarts at the start of the set second. */
			r->offset_ns =
			    r->frozen_s * NS_PER_S - r->now_ns(r->clock_ctx);
			r->flags_ns = guest_ns(r);
		}
		r->cmos[RTC_REG_B] = val;
		rtc_update_irq(r);
		rtc_kick_thread(r);
		return;
	case RTC_REG_C:
	case RTC_REG_D:
		return; /* read-only */
	}
	r->cmos[idx] = val;
}

uint8_t rtc_read(struct rtc *r, unsigned port_off)
{
	if (port_off == 0)
		return r->index | (r->nmi_disabled ? 0x80 : 0);
	if (port_off == 1)
		return rtc_read_data(r);
	return 0xff;
}

void rtc_write(struct rtc *r, unsigned port_off, uint8_t val)
{
	if (port_off == 0) {
		r->index = val & 0x7f;
		r->nmi_disabled = val & 0x80;
	} else if (port_off == 1) {
		rtc_write_data(r, val);
	}
}

/* A wider access covers consecutive ports, byte by byte (outw 0x70). */
static void rtc_io_read(void *o, uint64_t off, uint8_t *d, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		d[i] = rtc_read(o, off + i);
}

static void rtc_io_write(void *o, uint64_t off, const uint8_t *d, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		rtc_write(o, off + i, d[i]);
}

static void put16(uint8_t *p, uint64_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void rtc_init_cmos(struct rtc *r, uint64_t ram_size,
			  uint64_t low_ram_end, int ncpus)
{
	uint64_t ext_kb = low_ram_end > MiB ? (low_ram_end - MiB) / KiB : 0;
	uint64_t above16 =
	    low_ram_end > 16 * MiB ? (low_ram_end - 16 * MiB) / (64 * KiB) : 0;
	uint64_t above4g =
	    ram_size > low_ram_end ? (ram_size - low_ram_end) / (64 * KiB) : 0;
	unsigned sum = 0;

	r->cmos[RTC_REG_A] = 0x26; /* 32.768 kHz divider, 1024 Hz rate */
	r->cmos[RTC_REG_B] = RTC_B_24H;
	r->cmos[RTC_REG_D] = RTC_D_VRT;
	r->cmos[CMOS_FLOPPY] = 0;	/* no floppy drives */
	r->cmos[CMOS_EQUIPMENT] = 0x02; /* FPU, VGA-class display */
	put16(r->cmos + CMOS_BASE_KB_LO, 640);
	if (ext_kb > 0xffff)
		ext_kb = 0xffff;
	put16(r->cmos + CMOS_EXT_KB_LO, ext_kb);
	put16(r->cmos + CMOS_EXT_KB2_LO, ext_kb);
	if (above16 > 0xffff)
		above16 = 0xffff;
	put16(r->cmos + CMOS_MEM16M_64K_LO, above16);
	if (above4g > 0xffffff)
		above4g = 0xffffff;
	r->cmos[CMOS_MEM4G_64K_LO] = above4g;
	r->cmos[CMOS_MEM4G_64K_LO + 1] = above4g >> 8;
	r->cmos[CMOS_MEM4G_64K_LO + 2] = above4g >> 16;
	r->cmos[CMOS_NR_CPUS_MINUS1] = ncpus > 0 ? ncpus - 1 : 0;
	/* The standard checksum covers 0x10-0x2d, stored big-endian. */
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += r->cmos[i];
	r->cmos[CMOS_CSUM_HI] = sum >> 8;
	r->cmos[CMOS_CSUM_HI + 1] = sum;
}

void rtc_init(struct rtc *r, uint64_t ram_size, uint64_t low_ram_end, int ncpus,
	      int64_t (*now_ns)(void *ctx), void *clock_ctx)
{
	memset(r, 0, sizeof(*r));
	r->now_ns = now_ns ? now_ns : host_now_ns;
	r->clock_ctx = clock_ctx;
	r->dev = (struct io_device){.name = "rtc",
				    .base = RTC_PORT,
				    .len = 2,
				    .opaque = r,
				    .read = rtc_io_read,
				    .write = rtc_io_write};
	rtc_init_cmos(r, ram_size, low_ram_end, ncpus);
	r->flags_ns = guest_ns(r);
}

/* Host-clock ns of the next event that can raise IRQF, or -1 for none. */
static int64_t rtc_next_event(struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	int64_t g = guest_ns(r), next = -1, period = periodic_ns(r);

	if (r->cmos[RTC_REG_C] & RTC_C_IRQF)
		return -1; /* the line is up until the guest reads C */
	if ((b & RTC_B_PIE) && period)
		next = (fdiv(g, period) + 1) * period;
	if ((b & (RTC_B_UIE | RTC_B_AIE)) && !(b & RTC_B_SET) &&
	    divider_running(r)) {
		int64_t s = (fdiv(g, NS_PER_S) + 1) * NS_PER_S;

		if (next < 0 || s < next)
			next = s;
	}
	return next < 0 ? -1 : next - r->offset_ns;
}

static void *rtc_thread(void *arg)
{
	struct rtc *r = arg;

	pthread_mutex_lock(r->lock);
	while (!r->thread_stop) {
		int64_t next = rtc_next_event(r);

		if (next < 0) {
			pthread_cond_wait(&r->cond, r->lock);
		} else {
			struct timespec ts = {.tv_sec = next / NS_PER_S,
					      .tv_nsec = next % NS_PER_S};

			pthread_cond_timedwait(&r->cond, r->lock, &ts);
		}
		if (!r->thread_stop)
			rtc_update_irq(r);
	}
	pthread_mutex_unlock(r->lock);
	return NULL;
}

int rtc_start(struct rtc *r, pthread_mutex_t *lock)
{
	int e;

	if (r->thread_started)
		return 0;
	r->lock = lock;
	r->thread_stop = false;
	pthread_cond_init(&r->cond, NULL);
	/* Set before the thread runs: the port callbacks signal cond. */
	pthread_mutex_lock(lock);
	r->thread_started = true;
	e = pthread_create(&r->thread, NULL, rtc_thread, r);
	if (e)
		r->thread_started = false;
	pthread_mutex_unlock(lock);
	if (e) {
		pthread_cond_destroy(&r->cond);
		return -e;
	}
	return 0;
}

void rtc_stop(struct rtc *r)
{
	if (!r->thread_started)
		return;
	pthread_mutex_lock(r->lock);
	r->thread_stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	r->thread_started = false;
}
