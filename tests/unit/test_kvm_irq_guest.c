// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip through the KVM ABI on the soft CPU: real-mode
 * guests that take PIT interrupts through the PIC, LAPIC timer interrupts
 * (periodic and TSC-deadline) through the APIC page, and bring up an AP
 * with INIT/SIPI; the ioctl round trips (GET/SET_IRQCHIP, GET/SET_LAPIC,
 * MP state, IRQ_LINE_STATUS, SIGNAL_MSI, GSI routing) and their errors.
 * Nothing is timed: the guests wait in HLT for as long as it takes, a
 * watchdog only turns a hang into a failure.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>
#include <linux/kvm.h>

#include "softkvm_guest.h"

#define RAM_SIZE 0x8000 /* the APIC page is moved to 0x9000, past RAM */
#define CODE	 0x1000
#define HANDLER	 0x2000
#define AP_CODE	 0x3000
#define COUNTER	 0x500
#define AP_FLAG	 0x600

/* A VM on the default model with the in-kernel irqchip and/or PIT. */
static struct skg *vm_new(bool irqchip, bool pit)
{
	struct skg *g = skg_new("default", RAM_SIZE);

	if (irqchip)
		assert_int_equal(softkvm_ioctl(g->vm, KVM_CREATE_IRQCHIP, 0),
				 0);
	if (pit) {
		struct kvm_pit_config pc = {0};

		assert_int_equal(softkvm_ioctl(g->vm, KVM_CREATE_PIT2, &pc), 0);
	}
	return g;
}

/* vCPU @i; the BSP (0) in real mode at CS:IP = 0:CODE, an AP waits for
 * SIPI. */
static void vcpu_new(struct skg *g, int i)
{
	skg_vcpu_new(g, i);
	if (i == 0)
		skg_real_mode(g, 0, CODE, 0x7000);
}

/* Real-mode IVT entry: vector -> 0:HANDLER. */
static void ivt(struct skg *g, int vector)
{
	uint8_t e[4] = {HANDLER & 0xff, HANDLER >> 8, 0, 0};

	skg_load(g, (uint32_t)vector * 4, e, 4);
}

struct watchdog {
	struct kvm_run *run;
	volatile bool done;
	pthread_t t;
};

static void *watchdog_fn(void *arg)
{
	struct watchdog *w = arg;

	/* Only a hang guard: a correct run ends long before. */
	for (int i = 0; i < 3000 && !w->done; i++)
		usleep(10000);
	if (!w->done)
		__atomic_store_n(&w->run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Run vCPU 0 until OUT to port 0x10; port 0x11 exits are re-entered. */
static void run_to_done(struct skg *g)
{
	struct watchdog w = {.run = g->run[0]};
	int r;

	pthread_create(&w.t, NULL, watchdog_fn, &w);
	for (;;) {
		r = softkvm_ioctl(g->vcpu[0], KVM_RUN, NULL);
		if (r != 0)
			break;
		if (g->run[0]->exit_reason != KVM_EXIT_IO)
			break;
		if (g->run[0]->io.port == 0x10)
			break;
		if (g->run[0]->io.port != 0x11)
			break;
	}
	w.done = true;
	pthread_join(w.t, NULL);
	assert_int_equal(r, 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_IO);
	assert_int_equal(g->run[0]->io.port, 0x10);
}

static uint16_t counter(struct skg *g)
{
	uint16_t v;

	memcpy(&v, g->ram + COUNTER, 2);
	return v;
}

/* Move the APIC page to 0x9000 (EN|BSP) and software-enable it. */
static const uint8_t apic_setup[] = {
    0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00,			  /* mov ecx, 0x1b */
    0x66, 0xb8, 0x00, 0x99, 0x00, 0x00,			  /* mov eax, 0x9900 */
    0x66, 0x31, 0xd2,					  /* xor edx, edx */
    0x0f, 0x30,						  /* wrmsr */
    0x66, 0xc7, 0x06, 0xf0, 0x90, 0xff, 0x01, 0x00, 0x00, /* SVR=0x1ff */
};

/* Wait until [COUNTER] >= n, then out 0x10. The check runs with IF=0 and
 * "sti; hlt" sleeps atomically: an interrupt between the check and HLT
 * would otherwise be taken before HLT, which then sleeps forever. */
static size_t wait_loop(uint8_t *p, uint8_t n)
{
	const uint8_t code[] = {
	    0xfa,		       /* w: cli */
	    0x83, 0x3e, 0x00, 0x05, n, /* cmp word [0x500], n */
	    0x73, 0x04,		       /* jae done */
	    0xfb, 0xf4,		       /* sti; hlt */
	    0xeb, 0xf4,		       /* jmp w */
	    0xe6, 0x10, 0xf4,	       /* done: out 0x10, al; hlt */
	};

	memcpy(p, code, sizeof(code));
	return sizeof(code);
}

static void test_pit_through_pic(void **state)
{
	struct skg *g = vm_new(true, true);
	uint8_t code[64];
	size_t n;
	/* PIC: ICW1-4 (base 0x20), unmask IRQ 0; PIT ch0 mode 2, 1 ms. */
	const uint8_t init[] = {
	    0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, 0xb0, 0x04, 0xe6,
	    0x21, 0xb0, 0x01, 0xe6, 0x21, 0xb0, 0xfe, 0xe6, 0x21, 0xb0, 0x34,
	    0xe6, 0x43, 0xb0, 0xa9, 0xe6, 0x40, 0xb0, 0x04, 0xe6, 0x40,
	};
	/* inc word [0x500]; non-specific EOI; iret */
	const uint8_t handler[] = {0xff, 0x06, 0x00, 0x05, 0xb0,
				   0x20, 0xe6, 0x20, 0xcf};
	struct kvm_mp_state mp;

	(void)state;
	vcpu_new(g, 0);
	memcpy(code, init, sizeof(init));
	n = sizeof(init) + wait_loop(code + sizeof(init), 5);
	skg_load(g, CODE, code, n);
	skg_load(g, HANDLER, handler, sizeof(handler));
	ivt(g, 0x20);
	run_to_done(g);
	assert_true(counter(g) >= 5);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_MP_STATE, &mp), 0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_RUNNABLE);
	skg_free(g);
}

/* EOI through the APIC page at 0x9000. */
static const uint8_t apic_handler[] = {
    0xff, 0x06, 0x00, 0x05,				  /* inc */
    0x66, 0xc7, 0x06, 0xb0, 0x90, 0x00, 0x00, 0x00, 0x00, /* EOI */
    0xcf,						  /* iret */
};

static void test_lapic_timer_periodic(void **state)
{
	struct skg *g = vm_new(true, false);
	uint8_t code[128];
	size_t n = 0;
	const uint8_t timer[] = {
	    /* TDCR = 0xb (divide by 1) */
	    0x66,
	    0xc7,
	    0x06,
	    0xe0,
	    0x93,
	    0x0b,
	    0x00,
	    0x00,
	    0x00,
	    /* LVTT = periodic, vector 0x40 */
	    0x66,
	    0xc7,
	    0x06,
	    0x20,
	    0x93,
	    0x40,
	    0x00,
	    0x02,
	    0x00,
	    /* TMICT = 1000000 (1 ms) */
	    0x66,
	    0xc7,
	    0x06,
	    0x80,
	    0x93,
	    0x40,
	    0x42,
	    0x0f,
	    0x00,
	};

	(void)state;
	vcpu_new(g, 0);
	memcpy(code + n, apic_setup, sizeof(apic_setup));
	n += sizeof(apic_setup);
	memcpy(code + n, timer, sizeof(timer));
	n += sizeof(timer);
	n += wait_loop(code + n, 3);
	skg_load(g, CODE, code, n);
	skg_load(g, HANDLER, apic_handler, sizeof(apic_handler));
	ivt(g, 0x40);
	run_to_done(g);
	assert_true(counter(g) >= 3);
	skg_free(g);
}

static void test_lapic_tsc_deadline(void **state)
{
	struct skg *g = vm_new(true, false);
	uint8_t code[128];
	size_t n = 0;
	const uint8_t timer[] = {
	    /* LVTT = TSC-deadline, vector 0x41 */
	    0x66, 0xc7, 0x06, 0x20, 0x93, 0x41,
	    0x00, 0x04, 0x00, 0x0f, 0x31,	/* rdtsc */
	    0x66, 0x05, 0x40, 0x42, 0x0f, 0x00, /* add eax, 1000000 */
	    0x66, 0x83, 0xd2, 0x00,		/* adc edx, 0 */
	    0x66, 0xb9, 0xe0, 0x06, 0x00, 0x00, /* mov ecx, 0x6e0 */
	    0x0f, 0x30,				/* wrmsr */
	};

	(void)state;
	vcpu_new(g, 0);
	memcpy(code + n, apic_setup, sizeof(apic_setup));
	n += sizeof(apic_setup);
	memcpy(code + n, timer, sizeof(timer));
	n += sizeof(timer);
	n += wait_loop(code + n, 1);
	skg_load(g, CODE, code, n);
	skg_load(g, HANDLER, apic_handler, sizeof(apic_handler));
	ivt(g, 0x41);
	run_to_done(g);
	assert_int_equal(counter(g), 1); /* one deadline, one interrupt */
	skg_free(g);
}

/* NMIs to self through the ICR: NMI injection, the second NMI held while
 * the first handler runs (NMI blocking until IRET), HLT woken by an NMI
 * with IF=0. */
static void test_nmi_self(void **state)
{
	struct skg *g = vm_new(true, false);
	uint8_t code[128];
	size_t n = 0;
	const uint8_t nmis[] = {
	    0xfa, /* cli: NMIs do not care */
	    /* ICR = NMI, self shorthand, twice */
	    0x66, 0xc7, 0x06, 0x00, 0x93, 0x00, 0x44, 0x04, 0x00, 0x66, 0xc7,
	    0x06, 0x00, 0x93, 0x00, 0x44, 0x04, 0x00,
	    /* w: cmp word [0x500], 2; jae done; hlt; jmp w */
	    0x83, 0x3e, 0x00, 0x05, 0x02, 0x73, 0x03, 0xf4, 0xeb, 0xf6, 0xe6,
	    0x10, 0xf4, /* done: out 0x10; hlt */
	};
	/* NMI handler: inc word [0x500]; iret (no EOI for NMIs) */
	const uint8_t handler[] = {0xff, 0x06, 0x00, 0x05, 0xcf};

	(void)state;
	vcpu_new(g, 0);
	memcpy(code + n, apic_setup, sizeof(apic_setup));
	n += sizeof(apic_setup);
	memcpy(code + n, nmis, sizeof(nmis));
	n += sizeof(nmis);
	skg_load(g, CODE, code, n);
	skg_load(g, HANDLER, handler, sizeof(handler));
	ivt(g, 2);
	run_to_done(g);
	assert_int_equal(counter(g), 2);
	skg_free(g);
}

struct ap {
	struct skg *g;
	int r;
};

static void *ap_thread(void *arg)
{
	struct ap *ap = arg;

	/* Blocks until SIPI, then runs until HLT with IF=0 blocks it again;
	 * the test ends it with immediate_exit. */
	ap->r = softkvm_ioctl(ap->g->vcpu[1], KVM_RUN, NULL);
	return NULL;
}

static void test_ap_init_sipi(void **state)
{
	struct skg *g = vm_new(true, false);
	uint8_t code[128];
	size_t n = 0;
	const uint8_t ipis[] = {
	    /* ICR2 = APIC ID 1 */
	    0x66,
	    0xc7,
	    0x06,
	    0x10,
	    0x93,
	    0x00,
	    0x00,
	    0x00,
	    0x01,
	    /* ICR = INIT, assert */
	    0x66,
	    0xc7,
	    0x06,
	    0x00,
	    0x93,
	    0x00,
	    0x45,
	    0x00,
	    0x00,
	    /* ICR = SIPI, vector 3 (start at 0x3000) */
	    0x66,
	    0xc7,
	    0x06,
	    0x00,
	    0x93,
	    0x03,
	    0x46,
	    0x00,
	    0x00,
	    /* loop: out 0x11; cmp word [0x600], 1; jne loop; out 0x10 */
	    0xe6,
	    0x11,
	    0x83,
	    0x3e,
	    0x00,
	    0x06,
	    0x01,
	    0x75,
	    0xf7,
	    0xe6,
	    0x10,
	    0xf4,
	};
	/* AP: mov word [0x600], 1; hlt; jmp hlt */
	const uint8_t ap_code[] = {0xc7, 0x06, 0x00, 0x06, 0x01,
				   0x00, 0xf4, 0xeb, 0xfd};
	struct kvm_mp_state mp;
	struct ap ap = {.g = g};
	pthread_t t;

	(void)state;
	vcpu_new(g, 0);
	vcpu_new(g, 1);
	assert_int_equal(softkvm_ioctl(g->vcpu[1], KVM_GET_MP_STATE, &mp), 0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_UNINITIALIZED);
	memcpy(code + n, apic_setup, sizeof(apic_setup));
	n += sizeof(apic_setup);
	memcpy(code + n, ipis, sizeof(ipis));
	n += sizeof(ipis);
	skg_load(g, CODE, code, n);
	skg_load(g, AP_CODE, ap_code, sizeof(ap_code));
	pthread_create(&t, NULL, ap_thread, &ap);
	run_to_done(g);
	/* The AP is parked in HLT with IF=0: end its KVM_RUN. */
	__atomic_store_n(&g->run[1]->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(ap.r, -EINTR);
	assert_int_equal(g->run[1]->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(softkvm_ioctl(g->vcpu[1], KVM_GET_MP_STATE, &mp), 0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_HALTED);
	skg_free(g);
}

/* Fixed IPIs between two vCPU threads: the BSP sends vector 0x50 to APIC
 * 1, whose handler EOIs and answers with 0x51; 200 round trips. */
static void test_ipi_ping_pong(void **state)
{
	struct skg *g = vm_new(true, false);
	uint8_t code[256];
	size_t n = 0;
	const uint8_t start_ap[] = {
	    0x66, 0xc7, 0x06, 0x10, 0x93, 0x00, 0x00, 0x00, 0x01, /* ICR2 */
	    0x66, 0xc7, 0x06, 0x00, 0x93, 0x00, 0x45, 0x00, 0x00, /* INIT */
	    0x66, 0xc7, 0x06, 0x00, 0x93, 0x03, 0x46, 0x00, 0x00, /* SIPI */
	    0xe6, 0x11, 0x83, 0x3e, 0x00, 0x06, 0x01, 0x75, 0xf7, /* wait */
	};
	const uint8_t ping[] = {
	    0x31, 0xdb, /* xor bx, bx */
	    0x43,	/* l: inc bx */
	    0x66, 0xc7, 0x06, 0x10, 0x93, 0x00, 0x00, 0x00, 0x01, /* ICR2=1 */
	    0x66, 0xc7, 0x06, 0x00, 0x93, 0x50, 0x40, 0x00, 0x00, /* 0x50 */
	    0xfa,						  /* w: cli */
	    0x39, 0x1e, 0x00, 0x05, /* cmp [0x500], bx */
	    0x73, 0x04,		    /* jae next */
	    0xfb, 0xf4,		    /* sti; hlt */
	    0xeb, 0xf5,		    /* jmp w */
	    0x81, 0xfb, 0xc8, 0x00, /* next: cmp bx, 200 */
	    0x72, 0xdc,		    /* jb l */
	    0xe6, 0x10, 0xf4,	    /* out 0x10; hlt */
	};
	/* AP: stack, APIC page at 0x9000 (no BSP bit), SVR, flag, idle. */
	const uint8_t ap_code[] = {
	    0xbc, 0x00, 0x78,			/* mov sp, 0x7800 */
	    0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b */
	    0x66, 0xb8, 0x00, 0x98, 0x00, 0x00, /* mov eax, 0x9800 */
	    0x66, 0x31, 0xd2, 0x0f, 0x30,	/* xor edx, edx; wrmsr */
	    0x66, 0xc7, 0x06, 0xf0, 0x90, 0xff, 0x01, 0x00, 0x00, /* SVR */
	    0xc7, 0x06, 0x00, 0x06, 0x01, 0x00, /* mov word [0x600], 1 */
	    0xfb, 0xf4, 0xeb, 0xfd,		/* sti; hlt; jmp hlt */
	};
	/* AP handler for 0x50: EOI, answer 0x51 to APIC 0. */
	const uint8_t ap_handler[] = {
	    0x66, 0xc7, 0x06, 0xb0, 0x90, 0x00, 0x00, 0x00, 0x00, 0x66,
	    0xc7, 0x06, 0x10, 0x93, 0x00, 0x00, 0x00, 0x00, 0x66, 0xc7,
	    0x06, 0x00, 0x93, 0x51, 0x40, 0x00, 0x00, 0xcf,
	};
	uint8_t e50[4] = {0x00, 0x21, 0, 0};
	struct ap ap = {.g = g};
	pthread_t t;

	(void)state;
	vcpu_new(g, 0);
	vcpu_new(g, 1);
	memcpy(code + n, apic_setup, sizeof(apic_setup));
	n += sizeof(apic_setup);
	memcpy(code + n, start_ap, sizeof(start_ap));
	n += sizeof(start_ap);
	memcpy(code + n, ping, sizeof(ping));
	n += sizeof(ping);
	skg_load(g, CODE, code, n);
	skg_load(g, AP_CODE, ap_code, sizeof(ap_code));
	skg_load(g, HANDLER, apic_handler, sizeof(apic_handler));
	skg_load(g, 0x2100, ap_handler, sizeof(ap_handler));
	ivt(g, 0x51);
	skg_load(g, 0x50 * 4, e50, 4);
	pthread_create(&t, NULL, ap_thread, &ap);
	run_to_done(g);
	assert_int_equal(counter(g), 200);
	__atomic_store_n(&g->run[1]->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(ap.r, -EINTR);
	skg_free(g);
}

static void test_abi_round_trips(void **state)
{
	struct skg *g = vm_new(true, true);
	struct kvm_irqchip chip = {.chip_id = KVM_IRQCHIP_PIC_MASTER};
	struct kvm_lapic_state ls;
	struct kvm_irq_level line = {.irq = 4, .level = 1};
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_HALTED};
	struct kvm_pit_state2 ps;
	struct kvm_msi msi = {.address_lo = 0xfee00000, .data = 0x55};
	uint32_t v;

	(void)state;
	assert_int_equal(
	    softkvm_ioctl(g->sys, KVM_CHECK_EXTENSION, (void *)KVM_CAP_IRQCHIP),
	    1);
	assert_true(softkvm_ioctl(g->vm, KVM_CHECK_EXTENSION,
				  (void *)KVM_CAP_IRQ_ROUTING) > 24);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_CREATE_IRQCHIP, 0), -EEXIST);
	vcpu_new(g, 0);
	/* After a vCPU exists no second irqchip could be made anyway. */

	/* PIC master: IMR and vector base survive a SET/GET. */
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_IRQCHIP, &chip), 0);
	assert_int_equal(chip.chip.pic.elcr_mask, 0xf8);
	chip.chip.pic.imr = 0x5a;
	chip.chip.pic.irq_base = 0x30;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SET_IRQCHIP, &chip), 0);
	memset(&chip.chip, 0, sizeof(chip.chip));
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_IRQCHIP, &chip), 0);
	assert_int_equal(chip.chip.pic.imr, 0x5a);
	assert_int_equal(chip.chip.pic.irq_base, 0x30);
	/* IOAPIC: a redirection entry, and the IRR a line sets. */
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_IRQCHIP, &chip), 0);
	assert_int_equal(chip.chip.ioapic.base_address, 0xfec00000);
	chip.chip.ioapic.redirtbl[4].bits = 0x8031 | (1ull << 16);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SET_IRQCHIP, &chip), 0);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_IRQ_LINE_STATUS, &line), 0);
	assert_int_equal(line.status, -1); /* masked in PIC (0x5a) and IOAPIC */
	memset(&chip.chip, 0, sizeof(chip.chip));
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_IRQCHIP, &chip), 0);
	assert_int_equal(chip.chip.ioapic.redirtbl[4].bits,
			 0x8031 | (1ull << 16));
	assert_int_equal(chip.chip.ioapic.irr, 1u << 4);
	chip.chip_id = 3;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_IRQCHIP, &chip), -EINVAL);

	/* LAPIC page: ID 0, version, and a TPR/SVR written back. */
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_LAPIC, &ls), 0);
	memcpy(&v, ls.regs + 0x30, 4);
	assert_int_equal(v, 0x50014);
	v = 0x1ff;
	memcpy(ls.regs + 0xf0, &v, 4);
	v = 0x20;
	memcpy(ls.regs + 0x80, &v, 4);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_LAPIC, &ls), 0);
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_LAPIC, &ls), 0);
	memcpy(&v, ls.regs + 0xf0, 4);
	assert_int_equal(v, 0x1ff);
	memcpy(&v, ls.regs + 0xa0, 4); /* PPR follows TPR */
	assert_int_equal(v, 0x20);
	/* MSI to APIC 0: lands in its IRR. */
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SIGNAL_MSI, &msi), 1);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_LAPIC, &ls), 0);
	memcpy(&v, ls.regs + 0x200 + 0x20, 4);
	assert_true(v & (1u << (0x55 - 64)));
	msi.flags = 1;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SIGNAL_MSI, &msi), -EINVAL);

	/* MP state. */
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_MP_STATE, &mp), 0);
	memset(&mp, 0xff, sizeof(mp));
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_MP_STATE, &mp), 0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_HALTED);
	mp.mp_state = 99;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_MP_STATE, &mp),
			 -EINVAL);
	/* KVM_INTERRUPT belongs to a userspace PIC. */
	struct kvm_interrupt irq = {.irq = 0x20};

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_INTERRUPT, &irq),
			 -ENXIO);

	/* PIT state: channel 2's gate starts low, survives SET. */
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_PIT2, &ps), 0);
	assert_int_equal(ps.channels[0].gate, 1);
	assert_int_equal(ps.channels[2].gate, 0);
	ps.channels[1].mode = 3;
	ps.channels[1].count = 1000;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SET_PIT2, &ps), 0);
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_PIT2, &ps), 0);
	assert_int_equal(ps.channels[1].mode, 3);
	assert_int_equal(ps.channels[1].count, 1000);

	/* GSI routing: a table with a bad pin is refused. */
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = {.r = {.nr = 1}};

	rt.e[0].gsi = 5;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_PIC_MASTER;
	rt.e[0].u.irqchip.pin = 9;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SET_GSI_ROUTING, &rt),
			 -EINVAL);
	rt.e[0].u.irqchip.pin = 5;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_SET_GSI_ROUTING, &rt), 0);
	skg_free(g);
}

static void test_abi_without_irqchip(void **state)
{
	struct skg *g = vm_new(false, false);
	struct kvm_irq_level line = {.irq = 4, .level = 1};
	struct kvm_pit_config pc = {0};
	struct kvm_lapic_state ls;
	struct kvm_mp_state mp;

	(void)state;
	assert_int_equal(softkvm_ioctl(g->vm, KVM_IRQ_LINE, &line), -ENXIO);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_CREATE_PIT2, &pc), -ENXIO);
	vcpu_new(g, 0);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_LAPIC, &ls),
			 -EINVAL);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_MP_STATE, &mp), 0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_RUNNABLE);
	/* The irqchip must come before the vCPUs. */
	assert_int_equal(softkvm_ioctl(g->vm, KVM_CREATE_IRQCHIP, 0), -EINVAL);
	skg_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abi_round_trips),
	    cmocka_unit_test(test_abi_without_irqchip),
	    cmocka_unit_test(test_pit_through_pic),
	    cmocka_unit_test(test_lapic_timer_periodic),
	    cmocka_unit_test(test_lapic_tsc_deadline),
	    cmocka_unit_test(test_ap_init_sipi),
	    cmocka_unit_test(test_ipi_ping_pong),
	    cmocka_unit_test(test_nmi_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
