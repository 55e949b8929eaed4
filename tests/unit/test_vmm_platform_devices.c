// SPDX-License-Identifier: GPL-2.0
/* vmm/platform: i8042 (reset, Linux's probe, no devices), port 0x80, the
 * ACPI PM1a block (S5 poweroff, status, PM timer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/iobus.h"
#include "vmm/platform/acpi.h"
#include "vmm/platform/i8042.h"
#include "vmm/platform/port80.h"
#include "vmm/platform/rtc.h"

static int resets, poweroffs;
static int levels[16];

static void on_reset(void *ctx, const char *how)
{
	assert_non_null(how);
	resets++;
}

static void on_poweroff(void *ctx)
{
	poweroffs++;
}

static void on_irq(void *ctx, int irq, int level)
{
	assert_true(irq == I8042_KBD_IRQ || irq == I8042_AUX_IRQ);
	levels[irq] = level;
}

static void kbc_setup(struct i8042 *k)
{
	resets = 0;
	memset(levels, 0, sizeof(levels));
	i8042_init(k, on_reset, NULL);
	k->set_irq = on_irq;
}

static uint8_t cmd(struct i8042 *k, uint8_t c)
{
	i8042_write_port(k, I8042_STATUS_PORT, c);
	return i8042_read_port(k, I8042_STATUS_PORT);
}

static void test_i8042_reset(void **state)
{
	struct i8042 k;
	struct io_bus bus;
	uint8_t v = 0xfe;

	kbc_setup(&k);
	iobus_init(&bus, "pio");
	assert_int_equal(iobus_register(&bus, &k.cmd_dev), 0);
	assert_int_equal(iobus_register(&bus, &k.data_dev), 0);
	/* Linux's reboot: wait for IBF clear, then 0xfe */
	assert_true(iobus_read(&bus, 0x64, &v, 1));
	assert_false(v & I8042_STR_IBF);
	v = 0xfe;
	assert_true(iobus_write(&bus, 0x64, &v, 1));
	assert_int_equal(resets, 1);
	/* 0xff pulses nothing; 0xf0 pulses all lines including reset */
	cmd(&k, 0xff);
	assert_int_equal(resets, 1);
	cmd(&k, 0xf0);
	assert_int_equal(resets, 2);
	/* output port write with bit 0 clear resets, with it set does not */
	cmd(&k, 0xd1);
	i8042_write_port(&k, I8042_DATA_PORT, 0x03);
	assert_int_equal(resets, 2);
	cmd(&k, 0xd1);
	i8042_write_port(&k, I8042_DATA_PORT, 0x02);
	assert_int_equal(resets, 3);
	iobus_destroy(&bus);
}

static void test_i8042_probe(void **state)
{
	struct i8042 k;
	uint8_t st, ctr;

	kbc_setup(&k);
	/* empty controller: no data */
	assert_false(i8042_read_port(&k, I8042_STATUS_PORT) & I8042_STR_OBF);
	/* self-test */
	st = cmd(&k, 0xaa);
	assert_true(st & I8042_STR_OBF);
	assert_true(st & I8042_STR_SYS);
	assert_true(st & I8042_STR_CMD);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0x55);
	assert_false(i8042_read_port(&k, I8042_STATUS_PORT) & I8042_STR_OBF);
	/* command byte read/write */
	cmd(&k, 0x20);
	ctr = i8042_read_port(&k, I8042_DATA_PORT);
	assert_true(ctr & I8042_CTR_SYS);
	cmd(&k, 0x60);
	i8042_write_port(&k, I8042_DATA_PORT, 0x30 | I8042_CTR_SYS);
	cmd(&k, 0x20);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT),
			 0x30 | I8042_CTR_SYS);
	/* port enable/disable bits */
	cmd(&k, 0xa8);
	cmd(&k, 0xae);
	cmd(&k, 0x20);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), I8042_CTR_SYS);
	cmd(&k, 0xa7);
	cmd(&k, 0x20);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT),
			 I8042_CTR_SYS | I8042_CTR_AUXDIS);
	/* interface tests pass */
	cmd(&k, 0xab);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0);
	cmd(&k, 0xa9);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0);
	/* AUX loopback comes back as AUX data */
	cmd(&k, 0xd3);
	i8042_write_port(&k, I8042_DATA_PORT, 0x5a);
	st = i8042_read_port(&k, I8042_STATUS_PORT);
	assert_int_equal(st & (I8042_STR_OBF | I8042_STR_AUXDATA),
			 I8042_STR_OBF | I8042_STR_AUXDATA);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0x5a);
	/* other RAM bytes */
	cmd(&k, 0x65);
	i8042_write_port(&k, I8042_DATA_PORT, 0x77);
	cmd(&k, 0x25);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0x77);
	/* unknown commands change nothing */
	cmd(&k, 0x01);
	cmd(&k, 0xc7);
	assert_false(i8042_read_port(&k, I8042_STATUS_PORT) & I8042_STR_OBF);
	assert_int_equal(resets, 0);
}

static void test_i8042_no_devices(void **state)
{
	struct i8042 k;
	uint8_t st;

	kbc_setup(&k);
	cmd(&k, 0x60);
	i8042_write_port(&k, I8042_DATA_PORT,
			 I8042_CTR_SYS | I8042_CTR_KBDINT | I8042_CTR_AUXINT);
	/* a keyboard command (GET ID): answered at once, timeout bit, IRQ 1 */
	i8042_write_port(&k, I8042_DATA_PORT, 0xf2);
	st = i8042_read_port(&k, I8042_STATUS_PORT);
	assert_true(st & I8042_STR_OBF);
	assert_true(st & I8042_STR_TIMEOUT);
	assert_false(st & I8042_STR_AUXDATA);
	assert_int_equal(levels[I8042_KBD_IRQ], 1);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0xfe);
	assert_int_equal(levels[I8042_KBD_IRQ], 0);
	/* a mouse command via 0xd4: AUX data, IRQ 12 */
	cmd(&k, 0xd4);
	i8042_write_port(&k, I8042_DATA_PORT, 0xff);
	st = i8042_read_port(&k, I8042_STATUS_PORT);
	assert_int_equal(st & (I8042_STR_AUXDATA | I8042_STR_TIMEOUT),
			 I8042_STR_AUXDATA | I8042_STR_TIMEOUT);
	assert_int_equal(levels[I8042_AUX_IRQ], 1);
	assert_int_equal(levels[I8042_KBD_IRQ], 0);
	assert_int_equal(i8042_read_port(&k, I8042_DATA_PORT), 0xfe);
	assert_int_equal(levels[I8042_AUX_IRQ], 0);
	/* interrupts off in the command byte: no line */
	cmd(&k, 0x60);
	i8042_write_port(&k, I8042_DATA_PORT, I8042_CTR_SYS);
	i8042_write_port(&k, I8042_DATA_PORT, 0xf2);
	assert_int_equal(levels[I8042_KBD_IRQ], 0);
	/* the queue never overflows, whatever the guest writes */
	for (int i = 0; i < 100; i++)
		i8042_write_port(&k, I8042_DATA_PORT, i);
	assert_true(k.q_count <= I8042_QUEUE);
	for (int i = 0; i < 20; i++)
		i8042_read_port(&k, I8042_DATA_PORT);
	assert_int_equal(k.q_count, 0);
	/* other ports read as all ones */
	assert_int_equal(i8042_read_port(&k, 0x61), 0xff);
	i8042_write_port(&k, 0x61, 0xfe);
	assert_int_equal(resets, 0);
}

static void test_port80(void **state)
{
	struct port80 p;
	struct io_bus bus;
	uint8_t v = 0x42, w[4] = {1, 2, 3, 4};

	port80_init(&p);
	iobus_init(&bus, "pio");
	assert_int_equal(iobus_register(&bus, &p.dev), 0);
	assert_true(iobus_write(&bus, 0x80, &v, 1));
	v = 0;
	assert_true(iobus_read(&bus, 0x80, &v, 1));
	assert_int_equal(v, 0x42);
	/* a wider access does not fit the 1-port device: unclaimed */
	assert_false(iobus_write(&bus, 0x80, w, 4));
	iobus_destroy(&bus);
}

static int64_t pm_clock_ns;

static int64_t pm_clock(void *ctx)
{
	return pm_clock_ns;
}

static uint64_t pm_rd(struct acpi_pm *pm, unsigned off, unsigned size)
{
	uint8_t d[4];

	pm->dev.read(pm, off, d, size);
	return io_le_get(d, size);
}

static void pm_wr(struct acpi_pm *pm, unsigned off, unsigned size, uint64_t v)
{
	uint8_t d[4];

	io_le_put(d, size, v);
	pm->dev.write(pm, off, d, size);
}

static void test_acpi_pm_poweroff(void **state)
{
	struct acpi_pm pm;

	poweroffs = 0;
	acpi_pm_init(&pm, on_poweroff, NULL, pm_clock, NULL);
	assert_int_equal(pm.dev.base, 0x600);
	/* SCI_EN reads 1 (ACPI mode), SLP_EN reads 0 */
	assert_int_equal(pm_rd(&pm, ACPI_PM1_CNT, 2) & ACPI_CNT_SCI_EN, 1);
	/* ACPICA's sequence: SLP_TYP first, then SLP_TYP | SLP_EN */
	pm_wr(&pm, ACPI_PM1_CNT, 2, ACPI_CNT_SCI_EN | ACPI_CNT_SLP_TYP(5));
	assert_int_equal(poweroffs, 0);
	pm_wr(&pm, ACPI_PM1_CNT, 2,
	      ACPI_CNT_SCI_EN | ACPI_CNT_SLP_TYP(5) | ACPI_CNT_SLP_EN);
	assert_int_equal(poweroffs, 1);
	assert_int_equal(pm_rd(&pm, ACPI_PM1_CNT, 2) & ACPI_CNT_SLP_EN, 0);
	assert_int_equal((pm_rd(&pm, ACPI_PM1_CNT, 2) >> 10) & 7, 5);
	/* other sleep types are not offered: ignored */
	pm_wr(&pm, ACPI_PM1_CNT, 2, ACPI_CNT_SLP_TYP(1) | ACPI_CNT_SLP_EN);
	pm_wr(&pm, ACPI_PM1_CNT, 2, ACPI_CNT_SLP_TYP(3) | ACPI_CNT_SLP_EN);
	assert_int_equal(poweroffs, 1);
	/* byte writes: the high byte carries SLP_TYP and SLP_EN */
	pm_wr(&pm, ACPI_PM1_CNT + 1, 1,
	      (ACPI_CNT_SLP_TYP(5) | ACPI_CNT_SLP_EN) >> 8);
	assert_int_equal(poweroffs, 2);
	/* a 32-bit write over the enable and control registers */
	pm_wr(&pm, ACPI_PM1_EN, 4,
	      (uint32_t)(ACPI_CNT_SLP_TYP(5) | ACPI_CNT_SLP_EN) << 16 | 0x0100);
	assert_int_equal(poweroffs, 3);
	assert_int_equal(pm_rd(&pm, ACPI_PM1_EN, 2), 0x0100);
}

static void test_acpi_pm_status_timer(void **state)
{
	struct acpi_pm pm;

	acpi_pm_init(&pm, on_poweroff, NULL, pm_clock, NULL);
	pm.sts = 0x8101;		     /* WAK, PWRBTN, TMR */
	pm_wr(&pm, ACPI_PM1_STS, 2, 0x0100); /* write 1 to clear */
	assert_int_equal(pm_rd(&pm, ACPI_PM1_STS, 2), 0x8001);
	pm_wr(&pm, ACPI_PM1_STS, 2, 0xffff);
	assert_int_equal(pm_rd(&pm, ACPI_PM1_STS, 2), 0);
	pm_wr(&pm, ACPI_PM1_EN, 2, 0x0321);
	assert_int_equal(pm_rd(&pm, ACPI_PM1_EN, 2), 0x0321);
	/* PM timer: 3.579545 MHz, 24 bits, read-only */
	pm_clock_ns = 0;
	assert_int_equal(pm_rd(&pm, ACPI_PM_TMR, 4), 0);
	pm_clock_ns = 1000000000;
	assert_int_equal(pm_rd(&pm, ACPI_PM_TMR, 4), 3579545);
	pm_clock_ns = 5000000000ll; /* 17897725 wraps at 2^24 */
	assert_int_equal(pm_rd(&pm, ACPI_PM_TMR, 4), 17897725 & 0xffffff);
	pm_wr(&pm, ACPI_PM_TMR, 4, 0);
	assert_int_equal(pm_rd(&pm, ACPI_PM_TMR, 4), 17897725 & 0xffffff);
	/* reads past the block are all ones; writes there are dropped */
	assert_int_equal(pm_rd(&pm, ACPI_PM_LEN - 1, 2) >> 8, 0xff);
	pm_wr(&pm, ACPI_PM_LEN - 1, 2, 0);
}

static void count_irq(void *ctx, int irq, int level)
{
	assert_true(irq == 1 || irq == 8 || irq == 12);
	assert_true(level == 0 || level == 1);
}

/* Whatever the guest writes to any platform port, in any size, nothing
 * breaks and the state stays in range. */
static void test_hostile_port_io(void **state)
{
	static struct rtc r;
	struct i8042 k;
	struct port80 p;
	struct acpi_pm pm;
	struct io_bus bus;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static const uint16_t ports[] = {0x60,	0x64,  0x70,  0x71,  0x80,
					 0x600, 0x602, 0x604, 0x606, 0x608,
					 0x60a, 0x60b, 0x61,  0x72};

	resets = poweroffs = 0;
	rtc_init(&r, 1ull << 30, 1ull << 30, 2, NULL, NULL);
	r.set_irq = count_irq;
	i8042_init(&k, on_reset, NULL);
	k.set_irq = count_irq;
	port80_init(&p);
	acpi_pm_init(&pm, on_poweroff, NULL, NULL, NULL);
	iobus_init(&bus, "pio");
	assert_int_equal(iobus_register(&bus, &r.dev), 0);
	assert_int_equal(iobus_register(&bus, &k.data_dev), 0);
	assert_int_equal(iobus_register(&bus, &k.cmd_dev), 0);
	assert_int_equal(iobus_register(&bus, &p.dev), 0);
	assert_int_equal(iobus_register(&bus, &pm.dev), 0);
	for (int i = 0; i < 200000; i++) {
		uint8_t d[8];
		unsigned size;
		uint16_t port;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		port = ports[x % (sizeof(ports) / sizeof(ports[0]))];
		size = 1u << ((x >> 8) % 4);
		io_le_put(d, 8, x >> 16);
		if ((x >> 12) & 1)
			iobus_write(&bus, port, d, size);
		else
			iobus_read(&bus, port, d, size);
		assert_true(r.index < RTC_NREGS);
		assert_true(k.q_count <= I8042_QUEUE);
		assert_true(k.q_head < I8042_QUEUE);
	}
	/* the random stream did hit the reset and poweroff paths */
	assert_true(resets > 0);
	assert_true(poweroffs > 0);
	iobus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_i8042_reset),
	    cmocka_unit_test(test_i8042_probe),
	    cmocka_unit_test(test_i8042_no_devices),
	    cmocka_unit_test(test_port80),
	    cmocka_unit_test(test_acpi_pm_poweroff),
	    cmocka_unit_test(test_acpi_pm_status_timer),
	    cmocka_unit_test(test_hostile_port_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
