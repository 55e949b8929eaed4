// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN on the soft CPU: tiny real-mode guests (unrestricted guest)
 * written straight into guest memory. PIO out/in with completion, HLT,
 * MMIO write/read with completion, read-only slots, memslot delete and
 * re-create zapping the EPT, CPUID from KVM_SET_CPUID2, string OUT,
 * immediate_exit, triple fault, VM-entry failure, a CPU model that cannot
 * run real mode.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>
#include <linux/kvm.h>

#include "kvm/kvm_host.h"
#include "softkvm_guest.h"
#include "kvm/smp.h"

#define RAM_SIZE 0x8000 /* GPA [0, 0x8000): code at 0x1000 */
#define CODE	 0x1000

/* A second buffer for slot 1 (memslot, dirty-log and MMIO tests). */
static uint8_t *ram2;

/* Real mode at 0:CODE with @code there, RAM [0, RAM_SIZE) in slot 0. */
static struct skg *guest(const char *model, const uint8_t *code, size_t len)
{
	struct skg *g = skg_new(model, RAM_SIZE);

	ram2 = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram2 != MAP_FAILED);
	skg_load(g, CODE, code, len);
	skg_vcpu_new(g, 0);
	skg_real_mode(g, 0, CODE, 0x7000);
	return g;
}

static void done(struct skg *g)
{
	munmap(ram2, 0x2000);
	skg_free(g);
}

static int run(struct skg *g)
{
	return skg_run(g, 0);
}

static uint64_t reg(struct skg *g, int which)
{
	struct kvm_regs r;

	softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r);
	switch (which) {
	case 'a':
		return r.rax;
	case 'b':
		return r.rbx;
	case 'c':
		return r.rcx;
	case 'd':
		return r.rdx;
	default:
		return r.rip;
	}
}

static void set_rip(struct skg *g, uint64_t rip)
{
	struct kvm_regs r;

	softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r);
	r.rip = rip;
	softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, &r);
}

static uint8_t *pio_data(struct skg *g)
{
	return (uint8_t *)g->run[0] + g->run[0]->io.data_offset;
}

static void test_pio_and_hlt(void **state)
{
	static const uint8_t code[] = {
	    0xb0, 0x41, /* mov al, 0x41 */
	    0xe6, 0x10, /* out 0x10, al */
	    0xe4, 0x11, /* in al, 0x11 */
	    0x88, 0xc3, /* mov bl, al */
	    0xf4,	/* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_IO);
	assert_int_equal(g->run[0]->io.direction, KVM_EXIT_IO_OUT);
	assert_int_equal(g->run[0]->io.port, 0x10);
	assert_int_equal(g->run[0]->io.size, 1);
	assert_int_equal(g->run[0]->io.count, 1);
	assert_int_equal(pio_data(g)[0], 0x41);

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_IO);
	assert_int_equal(g->run[0]->io.direction, KVM_EXIT_IO_IN);
	assert_int_equal(g->run[0]->io.port, 0x11);
	pio_data(g)[0] = 0x5a;

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b') & 0xff, 0x5a);
	assert_int_equal(reg(g, 'i'), CODE + sizeof(code));
	done(g);
}

static void test_mmio(void **state)
{
	static const uint8_t code[] = {
	    0xb8, 0x34, 0x12,	    /* mov ax, 0x1234 */
	    0xa3, 0x00, 0x90,	    /* mov [0x9000], ax */
	    0x8b, 0x1e, 0x04, 0x90, /* mov bx, [0x9004] */
	    0xf4,		    /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_true(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x9000);
	assert_int_equal(g->run[0]->mmio.len, 2);
	assert_int_equal(g->run[0]->mmio.data[0], 0x34);
	assert_int_equal(g->run[0]->mmio.data[1], 0x12);

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_false(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x9004);
	assert_int_equal(g->run[0]->mmio.len, 2);
	g->run[0]->mmio.data[0] = 0xef;
	g->run[0]->mmio.data[1] = 0xbe;

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b') & 0xffff, 0xbeef);
	done(g);
}

/* 64-bit guest with 4-level paging: MMIO decoding walks the guest's page
 * tables (a 2 MiB page maps GPA 0xd0000000 where no memslot is). */
static void test_mmio_long_mode(void **state)
{
	static const uint8_t code[] = {
	    0x48, 0xbb, 0x00, 0x00, 0x00, 0xd0, 0, 0, 0, 0, /* mov rbx, imm */
	    0x48, 0x8b, 0x03,				    /* mov rax, [rbx] */
	    0x89, 0x43, 0x08,	    /* mov [rbx+8], eax */
	    0x0f, 0xb6, 0x4b, 0x10, /* movzx ecx, byte [rbx+16] */
	    0xf4,		    /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	uint32_t v;

	/* GPA 0..2M and 0xd0000000 identity-mapped (PD for it at 0x5000) */
	skg_long_mode(g, 0, 0x2000, 0x5000, 0xd0000000ull);

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_false(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xd0000000);
	assert_int_equal(g->run[0]->mmio.len, 8);
	uint64_t q = 0x1122334455667788ull;
	memcpy(g->run[0]->mmio.data, &q, 8);

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_true(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xd0000008);
	assert_int_equal(g->run[0]->mmio.len, 4);
	memcpy(&v, g->run[0]->mmio.data, 4);
	assert_int_equal(v, 0x55667788);

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xd0000010);
	assert_int_equal(g->run[0]->mmio.len, 1);
	g->run[0]->mmio.data[0] = 0xfe;

	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'a'), 0x1122334455667788ull);
	assert_int_equal(reg(g, 'c'), 0xfe);
	done(g);
}

/* An access straddling the end of RAM: the RAM half is done by KVM, only
 * the other half goes to userspace (Linux splits at the page boundary). */
static void test_mmio_straddling_ram_end(void **state)
{
	static const uint8_t code[] = {
	    0x66, 0xa1, 0xfe, 0x7f,		/* mov eax, [0x7ffe] */
	    0x66, 0xb8, 0x55, 0x66, 0x77, 0x88, /* mov eax, 0x88776655 */
	    0x66, 0xa3, 0xfe, 0x7f,		/* mov [0x7ffe], eax */
	    0xf4,				/* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));

	g->ram[0x7ffe] = 0x11;
	g->ram[0x7fff] = 0x22;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_false(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8000);
	assert_int_equal(g->run[0]->mmio.len, 2);
	g->run[0]->mmio.data[0] = 0x33;
	g->run[0]->mmio.data[1] = 0x44;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_true(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0x8000);
	assert_int_equal(g->run[0]->mmio.len, 2);
	assert_int_equal(g->run[0]->mmio.data[0], 0x77);
	assert_int_equal(g->run[0]->mmio.data[1], 0x88);
	assert_int_equal(g->ram[0x7ffe], 0x55);
	assert_int_equal(g->ram[0x7fff], 0x66);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	done(g);
}

static void test_readonly_slot(void **state)
{
	static const uint8_t code[] = {
	    0xa0, 0x00, 0xa0, /* mov al, [0xa000] */
	    0xa2, 0x01, 0xa0, /* mov [0xa001], al */
	    0xf4,	      /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));

	ram2[0] = 0x77;
	assert_int_equal(
	    skg_set_mem(g, 1, KVM_MEM_READONLY, 0xa000, 0x1000, ram2), 0);
	/* The read is served from memory; the write comes out as MMIO. */
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_true(g->run[0]->mmio.is_write);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xa001);
	assert_int_equal(g->run[0]->mmio.data[0], 0x77);
	assert_int_equal(ram2[1], 0);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	done(g);
}

static void test_memslot_delete_recreate(void **state)
{
	static const uint8_t code[] = {
	    0x8b, 0x1e, 0x00, 0xb0, /* mov bx, [0xb000] */
	    0xf4,		    /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));

	ram2[0] = 0x11;
	ram2[0x1000] = 0x22;
	assert_int_equal(skg_set_mem(g, 1, 0, 0xb000, 0x1000, ram2), 0);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b') & 0xff, 0x11);

	/* Deleted: the same load is now MMIO (the EPT entry was zapped). */
	assert_int_equal(skg_set_mem(g, 1, 0, 0xb000, 0, NULL), 0);
	set_rip(g, CODE);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xb000);
	g->run[0]->mmio.data[0] = 0x33;
	g->run[0]->mmio.data[1] = 0;
	assert_int_equal(run(g), 0);
	assert_int_equal(reg(g, 'b') & 0xff, 0x33);

	/* Re-created over other memory: the cached MMIO entry is gone too. */
	assert_int_equal(skg_set_mem(g, 1, 0, 0xb000, 0x1000, ram2 + 0x1000),
			 0);
	set_rip(g, CODE);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b') & 0xff, 0x22);

	/* Moved: memory answers at the new address, MMIO at the old. */
	assert_int_equal(skg_set_mem(g, 1, 0, 0xc000, 0x1000, ram2 + 0x1000),
			 0);
	set_rip(g, CODE);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	done(g);
}

/* A memslot whose userspace memory is not mapped: KVM_RUN fails with
 * -EFAULT when the guest touches it (as Linux), the process survives. */
static void test_slot_with_unmapped_memory(void **state)
{
	static const uint8_t code[] = {
	    0x8b, 0x1e, 0x00, 0xb0, /* mov bx, [0xb000] */
	    0xf4,		    /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	/* Far below where mmap places things (top-down from 2^47). */
	void *hole = (void *)0x4f0000000000ull;

	if (msync(hole, 0x1000, MS_ASYNC) == 0) {
		/* Mapped after all (a sanitizer's shadow lives there). */
		printf("# %p is mapped in this build: not checked\n", hole);
		done(g);
		return;
	}
	assert_int_equal(skg_set_mem(g, 1, 0, 0xb000, 0x1000, hole), 0);
	assert_int_equal(run(g), -EFAULT);
	done(g);
}

/* KVM_MEM_LOG_DIRTY_PAGES / KVM_GET_DIRTY_LOG: written pages show up
 * once, then the slot is write-protected again. */
static void check_dirty_log(const char *model)
{
	static const uint8_t code[] = {
	    0xb8, 0x11, 0x00, /* mov ax, 0x11 */
	    0xa3, 0x10, 0xb0, /* mov [0xb010], ax */
	    0xa1, 0x00, 0xc0, /* mov ax, [0xc000]: a read only */
	    0xf4,	      /* hlt */
	};
	struct skg *g = guest(model, code, sizeof(code));
	uint64_t bm[1] = {~0ull};
	struct kvm_dirty_log log = {.slot = 1, .dirty_bitmap = bm};
	struct kvm_sregs s;

	softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s);
	if (!strstr(model, "-ept")) {
		/* real mode as elsewhere */
	} else {
		/* Shadow paging needs protected mode; paging off is fine. */
		struct kvm_segment cs = {.limit = 0xffffffff,
					 .selector = 8,
					 .type = 11,
					 .present = 1,
					 .s = 1,
					 .g = 1};
		struct kvm_segment ds = {.limit = 0xffffffff,
					 .selector = 0x10,
					 .type = 3,
					 .present = 1,
					 .s = 1,
					 .g = 1};

		s.cs = cs;
		s.ds = s.es = s.ss = ds;
		s.cr0 = 0x11;
		assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s),
				 0);
	}
	assert_int_equal(
	    skg_set_mem(g, 1, KVM_MEM_LOG_DIRTY_PAGES, 0xb000, 0x2000, ram2),
	    0);
	kvm_quiet = true;
	assert_int_equal(run(g), 0);
	kvm_quiet = false;
	if (g->run[0]->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		/* -ept on a CPU model that cannot run shadow paging yet. */
		done(g);
		return;
	}
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_DIRTY_LOG, &log), 0);
	assert_int_equal(bm[0], 1); /* page 0xb000 only, not 0xc000 */
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_DIRTY_LOG, &log), 0);
	assert_int_equal(bm[0], 0);
	/* Write-protected again: the same write is logged again. */
	set_rip(g, CODE);
	assert_int_equal(run(g), 0);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_DIRTY_LOG, &log), 0);
	assert_int_equal(bm[0], 1);
	assert_int_equal(ram2[0x10], 0x11);
	/* Logging off: the bitmap goes away. */
	assert_int_equal(skg_set_mem(g, 1, 0, 0xb000, 0x2000, ram2), 0);
	assert_int_equal(softkvm_ioctl(g->vm, KVM_GET_DIRTY_LOG, &log),
			 -ENOENT);
	done(g);
}

static void test_dirty_log(void **state)
{
	check_dirty_log("default");
	check_dirty_log("default,-ept");
}

/* kvmclock: MSR_KVM_SYSTEM_TIME_NEW makes KVM write a pvclock record
 * whose scale turns the guest TSC rate into nanoseconds. */
static void test_kvmclock(void **state)
{
	static const uint8_t code[] = {
	    0x66, 0xb9, 0x01, 0x4d, 0x56, 0x4b, /* mov ecx, 0x4b564d01 */
	    0x66, 0xb8, 0x01, 0x20, 0x00, 0x00, /* mov eax, 0x2001 */
	    0x66, 0x31, 0xd2,			/* xor edx, edx */
	    0x0f, 0x30,				/* wrmsr */
	    0xf4,				/* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	uint8_t *rec = g->ram + 0x2000;
	uint32_t version, mul;
	int8_t shift;
	long khz = softkvm_ioctl(g->vcpu[0], KVM_GET_TSC_KHZ, NULL);
	unsigned __int128 ghz_scaled;
	uint64_t pv_khz;

	assert_true(khz > 0);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	memcpy(&version, rec, 4);
	memcpy(&mul, rec + 24, 4);
	memcpy(&shift, rec + 28, 1);
	assert_int_equal(version & 1, 0); /* stable */
	assert_int_equal(rec[29] & 1, 1); /* PVCLOCK_TSC_STABLE_BIT */
	/* The guest derives its TSC kHz from the scale: it must match. */
	ghz_scaled = ((unsigned __int128)1000000 << 32) / mul;
	pv_khz =
	    (uint64_t)(shift < 0 ? ghz_scaled << -shift : ghz_scaled >> shift);
	assert_true(pv_khz >= (uint64_t)khz - 1 && pv_khz <= (uint64_t)khz + 1);
	done(g);
}

/* x87/SSE state is per vCPU: two vCPUs on the same soft CPU keep their
 * own XMM0 (KVM_SET_FPU in, MOVD out through the guest). */
static void test_fpu_per_vcpu(void **state)
{
	static const uint8_t code[] = {
	    0x66, 0x0f, 0x7e, 0xc0, /* movd eax, xmm0 */
	    0xf4,		    /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_fpu fpu;
	int v[2];
	uint32_t want[2] = {0x11111111, 0x22222222};

	/* vCPU index nr_cpu_ids runs on the same soft CPU as vCPU 0. */
	for (int i = 1; i < nr_cpu_ids; i++)
		assert_true(softkvm_ioctl(g->vm, KVM_CREATE_VCPU,
					  (void *)(long)(100 + i)) >= 0);
	v[0] = g->vcpu[0];
	v[1] = softkvm_ioctl(g->vm, KVM_CREATE_VCPU, (void *)200l);
	assert_true(v[1] >= 0);
	softkvm_ioctl(v[0], KVM_GET_SREGS, &s);
	s.cr4 |= 1u << 9; /* OSFXSR: SSE allowed */
	softkvm_ioctl(v[0], KVM_GET_REGS, &r);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(softkvm_ioctl(v[i], KVM_SET_SREGS, &s), 0);
		assert_int_equal(softkvm_ioctl(v[i], KVM_SET_REGS, &r), 0);
		assert_int_equal(softkvm_ioctl(v[i], KVM_GET_FPU, &fpu), 0);
		assert_int_equal(fpu.fcw, 0x37f);
		assert_int_equal(fpu.mxcsr, 0x1f80);
		memcpy(fpu.xmm[0], &want[i], 4);
		assert_int_equal(softkvm_ioctl(v[i], KVM_SET_FPU, &fpu), 0);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 2; i++) {
			struct kvm_regs o;

			assert_int_equal(softkvm_ioctl(v[i], KVM_SET_REGS, &r),
					 0);
			assert_int_equal(softkvm_ioctl(v[i], KVM_RUN, NULL), 0);
			assert_int_equal(softkvm_run_page(v[i])->exit_reason,
					 KVM_EXIT_HLT);
			softkvm_ioctl(v[i], KVM_GET_REGS, &o);
			assert_int_equal(o.rax & 0xffffffff, want[i]);
		}
	assert_int_equal(softkvm_ioctl(v[1], KVM_GET_FPU, &fpu), 0);
	assert_memory_equal(fpu.xmm[0], &want[1], 4);
	softkvm_close(v[1]);
	done(g);
}

/* KVM_GET/SET_FPU speak the FXSAVE order: fpr[i] is ST(i), relative to
 * FSW.TOP, whatever physical register the CPU keeps it in. */
static void test_fpu_x87_stack_order(void **state)
{
	static const uint8_t code[] = {
	    0xd8, 0xc1, /* fadd st(0), st(1) */
	    0xf4,	/* hlt */
	};
	static const uint8_t one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
	static const uint8_t two[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40};
	static const uint8_t three[10] = {0, 0, 0,    0,    0,
					  0, 0, 0xc0, 0x00, 0x40};
	struct skg *g = guest("default", code, sizeof(code));
	struct kvm_fpu fpu;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_FPU, &fpu), 0);
	fpu.fsw = 6u << 11; /* TOP = 6: ST0 = R6, ST1 = R7 */
	fpu.ftwx = 0xc0;    /* R6, R7 valid */
	memset(fpu.fpr, 0, sizeof(fpu.fpr));
	memcpy(fpu.fpr[0], one, 10);
	memcpy(fpu.fpr[1], two, 10);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_FPU, &fpu), 0);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	memset(&fpu, 0xcc, sizeof(fpu));
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_FPU, &fpu), 0);
	assert_int_equal((fpu.fsw >> 11) & 7, 6);
	assert_int_equal(fpu.ftwx, 0xc0);
	assert_int_equal(fpu.fcw, 0x37f);
	assert_memory_equal(fpu.fpr[0], three, 10);
	assert_memory_equal(fpu.fpr[1], two, 10);
	done(g);
}

/* KVM_SET_FPU with reserved MXCSR bits (where FXRSTOR would #GP): the
 * CPU drops them rather than loading them into the host's SSE unit. */
static void test_fpu_reserved_mxcsr(void **state)
{
	static const uint8_t code[] = {
	    0x0f, 0x58, 0xc1, /* addps xmm0, xmm1 */
	    0xf4,	      /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	struct kvm_sregs s;
	struct kvm_fpu fpu;

	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	s.cr4 |= 1u << 9; /* OSFXSR */
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_FPU, &fpu), 0);
	fpu.mxcsr = 0xffff1f80u;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_FPU, &fpu), 0);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_FPU, &fpu), 0);
	assert_int_equal(fpu.mxcsr, 0x1f80);
	done(g);
}

static void test_cpuid(void **state)
{
	static const uint8_t code[] = {
	    0x66, 0x31, 0xc0, /* xor eax, eax */
	    0x0f, 0xa2,	      /* cpuid */
	    0xf4,	      /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + sizeof(c->entries[0]));

	c->nent = 1;
	c->entries[0].function = 0;
	c->entries[0].eax = 0;
	c->entries[0].ebx = 0x61626364;
	c->entries[0].ecx = 0x65666768;
	c->entries[0].edx = 0x696a6b6c;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_CPUID2, c), 0);
	free(c);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b'), 0x61626364);
	assert_int_equal(reg(g, 'c'), 0x65666768);
	assert_int_equal(reg(g, 'd'), 0x696a6b6c);
	done(g);
}

static void test_string_out(void **state)
{
	static const uint8_t code[] = {
	    0xbe, 0x00, 0x30, /* mov si, 0x3000 */
	    0xb9, 0x04, 0x00, /* mov cx, 4 */
	    0xba, 0xe9, 0x00, /* mov dx, 0xe9 */
	    0xf3, 0x6e,	      /* rep outsb */
	    0xf4,	      /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));

	memcpy(g->ram + 0x3000, "kvm!", 4);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_IO);
	assert_int_equal(g->run[0]->io.port, 0xe9);
	assert_int_equal(g->run[0]->io.count, 4);
	assert_memory_equal(pio_data(g), "kvm!", 4);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'c') & 0xffff, 0);
	done(g);
}

static void test_immediate_exit(void **state)
{
	static const uint8_t code[] = {0xf4};
	struct skg *g = guest("default", code, sizeof(code));

	g->run[0]->immediate_exit = 1;
	assert_int_equal(run(g), -EINTR);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(reg(g, 'i'), CODE); /* nothing ran */
	g->run[0]->immediate_exit = 0;
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	done(g);
}

struct kicker {
	struct kvm_run *run;
};

static void *set_immediate_exit(void *arg)
{
	struct kvm_run *run = arg;
	struct timespec d = {0, 2 * 1000 * 1000};

	nanosleep(&d, NULL); /* usually lands while the guest spins */
	__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Another thread interrupts a guest spinning forever (as vmm does with
 * immediate_exit + a signal): KVM_RUN returns -EINTR. With and without
 * the VMX-preemption timer (then a watcher thread kicks the CPU). */
static void check_interrupt_spin(const char *model)
{
	static const uint8_t code[] = {0xeb, 0xfe}; /* jmp $ */
	struct skg *g = guest(model, code, sizeof(code));
	pthread_t t;

	pthread_create(&t, NULL, set_immediate_exit, g->run[0]);
	assert_int_equal(run(g), -EINTR);
	pthread_join(t, NULL);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(reg(g, 'i'), CODE);
	done(g);
}

static void test_interrupt_spinning_guest(void **state)
{
	check_interrupt_spin("default");
	check_interrupt_spin("default,-preemption-timer");
}

/* Several vCPUs of one VM running at once from their own threads, more
 * vCPUs than host CPUs (they share soft CPUs), while another thread moves
 * a memslot under them: every vCPU finishes its OUT loop. */
struct vthread {
	int fd;
	struct kvm_run *run;
	int outs;
};

static void *vcpu_loop(void *arg)
{
	struct vthread *t = arg;

	for (;;) {
		int r = softkvm_ioctl(t->fd, KVM_RUN, NULL);

		if (r < 0 || t->run->exit_reason != KVM_EXIT_IO)
			break;
		t->outs++;
	}
	return NULL;
}

static void test_concurrent_vcpus(void **state)
{
	static const uint8_t code[] = {
	    0xb9, 0xe8, 0x03,	    /* mov cx, 1000 */
	    0xe6, 0x10,		    /* 1: out 0x10, al */
	    0x8b, 0x1e, 0x00, 0xb0, /* mov bx, [0xb000] */
	    0xe2, 0xf8,		    /* loop 1b */
	    0xf4,		    /* hlt */
	};
	struct skg *g = guest("default", code, sizeof(code));
	struct vthread t[4];
	pthread_t th[4];
	struct kvm_regs r;
	struct kvm_sregs s;

	assert_int_equal(skg_set_mem(g, 1, 0, 0xb000, 0x1000, ram2), 0);
	softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s);
	softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r);
	t[0].fd = g->vcpu[0];
	for (int i = 1; i < 4; i++) {
		t[i].fd =
		    softkvm_ioctl(g->vm, KVM_CREATE_VCPU, (void *)(long)i);
		assert_true(t[i].fd >= 0);
		assert_int_equal(softkvm_ioctl(t[i].fd, KVM_SET_SREGS, &s), 0);
		assert_int_equal(softkvm_ioctl(t[i].fd, KVM_SET_REGS, &r), 0);
	}
	for (int i = 0; i < 4; i++) {
		t[i].run = softkvm_run_page(t[i].fd);
		t[i].outs = 0;
		pthread_create(&th[i], NULL, vcpu_loop, &t[i]);
	}
	/* Churn the data slot: the loads either hit memory or become MMIO
	 * exits (which end that vCPU's loop early, also fine): no crash, no
	 * stale mapping after the move returns. */
	for (int k = 0; k < 50; k++) {
		skg_set_mem(g, 1, 0, 0xc000, 0x1000, ram2);
		skg_set_mem(g, 1, 0, 0xb000, 0x1000, ram2);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++) {
		assert_true(t[i].run->exit_reason == KVM_EXIT_HLT ||
			    t[i].run->exit_reason == KVM_EXIT_MMIO);
		if (t[i].run->exit_reason == KVM_EXIT_HLT)
			assert_int_equal(t[i].outs, 1000);
	}
	for (int i = 1; i < 4; i++)
		softkvm_close(t[i].fd);
	done(g);
}

static void test_triple_fault(void **state)
{
	static const uint8_t code[] = {0x0f, 0x0b}; /* ud2 */
	struct skg *g = guest("default", code, sizeof(code));
	struct kvm_sregs s;

	/* An empty real-mode IVT: #UD cannot be delivered -> #DF -> shutdown.
	 */
	softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s);
	s.idt.limit = 0;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_SHUTDOWN);
	done(g);
}

static void test_fail_entry(void **state)
{
	static const uint8_t code[] = {0xf4};
	struct skg *g = guest("default", code, sizeof(code));
	struct kvm_sregs s;

	/* TR must be usable: the CPU refuses the entry (exit 33 | bit 31). */
	softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s);
	s.tr.unusable = 1;
	s.tr.present = 0;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
	kvm_quiet = true;
	assert_int_equal(run(g), 0);
	kvm_quiet = false;
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_FAIL_ENTRY);
	assert_int_equal(g->run[0]->fail_entry.hardware_entry_failure_reason,
			 0x80000021);
	done(g);
}

/* Without EPT: shadow paging. Protected mode with paging off runs on an
 * identity shadow; the long-mode MMIO guest above runs on 4-level shadow
 * tables built from its own page tables. */
static void test_shadow_paging(void **state)
{
	static const uint8_t code[] = {
	    0xb8, 0x78, 0x56, 0x34, 0x12,	/* mov eax, 0x12345678 */
	    0xa3, 0x00, 0x30, 0x00, 0x00,	/* mov [0x3000], eax */
	    0x8b, 0x1d, 0x00, 0x30, 0x00, 0x00, /* mov ebx, [0x3000] */
	    0xa3, 0x00, 0x00, 0x00, 0xd0,	/* mov [0xd0000000], eax */
	    0xf4,				/* hlt */
	};
	struct skg *g = guest("default,-ept", code, sizeof(code));

	skg_flat32(g, 0); /* PE, no paging */
	kvm_quiet = true;
	assert_int_equal(run(g), 0);
	kvm_quiet = false;
	if (g->run[0]->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		/* Either shadow paging runs the guest, or the CPU model
		 * rejects process addresses in page-table entries (its
		 * MAXPHYADDR is too small) and KVM says so plainly: a
		 * reserved-bit #PF on its own entry, not a hang. */
		assert_int_equal(g->run[0]->internal.ndata, 2);
		assert_true(g->run[0]->internal.data[1] & 8 /* PFERR_RSVD */);
		printf("# shadow paging: CPU model rejects host addresses "
		       "(reserved bits); checked the error path only\n");
		done(g);
		return;
	}
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xd0000000);
	assert_int_equal(*(uint32_t *)(g->ram + 0x3000), 0x12345678);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b'), 0x12345678);
	done(g);
}

/* EPT without unrestricted guest: protected mode with paging off runs on
 * KVM's identity page table; the guest's own CR3 is kept for it. */
static void test_identity_map_without_ug(void **state)
{
	static const uint8_t code[] = {
	    0xb8, 0x00, 0x50, 0x00, 0x00, /* mov eax, 0x5000 */
	    0x0f, 0x22, 0xd8,		  /* mov cr3, eax */
	    0x0f, 0x20, 0xdb,		  /* mov ebx, cr3 */
	    0xa3, 0x00, 0x30, 0x00, 0x00, /* mov [0x3000], eax */
	    0xa3, 0x00, 0x00, 0x00, 0xd0, /* mov [0xd0000000], eax */
	    0xf4,			  /* hlt */
	};
	struct skg *g =
	    guest("default,-unrestricted-guest", code, sizeof(code));
	struct kvm_sregs s;

	skg_flat32(g, 0); /* PE, paging off */
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(g->run[0]->mmio.phys_addr, 0xd0000000);
	assert_int_equal(*(uint32_t *)(g->ram + 0x3000), 0x5000);
	assert_int_equal(run(g), 0);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'b'), 0x5000);
	softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s);
	assert_int_equal(s.cr3, 0x5000);
	done(g);
}

struct watchdog {
	struct kvm_run *run;
	volatile bool done;
};

static void *watchdog_fn(void *arg)
{
	struct watchdog *w = arg;

	/* Only a hang guard: a correct run takes a few exits. */
	for (int i = 0; i < 1000 && !w->done; i++) {
		struct timespec d = {0, 10 * 1000 * 1000};

		nanosleep(&d, NULL);
	}
	if (!w->done)
		__atomic_store_n(&w->run->immediate_exit, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A 64-bit guest's #PF whose delivery touches pages KVM has not mapped
 * yet (IDT, GDT, the IST stack): on shadow paging KVM injects the #PF,
 * the CPU exits with the nested #PF (IDT-vectoring = the injected one),
 * KVM maps the page and injects again until delivery succeeds. */
static void check_pf_on_ist_stack(const char *model)
{
	static const uint8_t code[] = {
	    0x48, 0xa1, 0, 0, 0, 0x40, 0, 0, 0, 0, /* mov rax, [0x40000000] */
	    0xf4,				   /* hlt */
	};
	static const uint8_t handler[] = {
	    0x0f, 0x20, 0xd0,	    /* mov rax, cr2 */
	    0x48, 0x8b, 0x1c, 0x24, /* mov rbx, [rsp] (error code) */
	    0x48, 0x89, 0xe1,	    /* mov rcx, rsp */
	    0xf4,		    /* hlt */
	};
	/* IDT at 0, code at CODE, handler at 0x1800, page tables at
	 * 0x2000-0x4fff, GDT at 0x5000, TSS at 0x5100, IST1 stack below
	 * 0x7000, the stack below 0x7f00. 1 GiB up is not mapped. */
	const uint64_t gate =
	    0x1800 | (8ull << 16) | (1ull << 32) | (0x8eull << 40);
	const uint64_t code64 = 0x00af9b000000ffffull;
	const uint64_t ist1 = 0x7000;
	struct skg *g = guest(model, code, sizeof(code));
	struct watchdog w = {.run = g->run[0]};
	struct kvm_sregs s;
	struct kvm_regs r;
	pthread_t t;

	skg_load(g, 0x1800, handler, sizeof(handler));
	skg_load(g, 14 * 16, &gate, 8);
	skg_load(g, 0x5008, &code64, 8);
	skg_load(g, 0x5100 + 0x24, &ist1, 8);
	skg_long_mode(g, 0, 0x2000, 0, 0);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_SREGS, &s), 0);
	s.idt.base = 0;
	s.idt.limit = 16 * 16 - 1;
	s.gdt.base = 0x5000;
	s.gdt.limit = 0x17;
	s.tr = (struct kvm_segment){
	    .base = 0x5100, .limit = 0x67, .type = 11, .present = 1};
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_SREGS, &s), 0);
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_GET_REGS, &r), 0);
	r.rsp = 0x7f00;
	assert_int_equal(softkvm_ioctl(g->vcpu[0], KVM_SET_REGS, &r), 0);

	pthread_create(&t, NULL, watchdog_fn, &w);
	assert_int_equal(run(g), 0);
	w.done = true;
	pthread_join(t, NULL);
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_HLT);
	assert_int_equal(reg(g, 'i'), 0x1800 + sizeof(handler));
	assert_int_equal(reg(g, 'a'), 0x40000000);
	assert_int_equal(reg(g, 'b'), 0); /* supervisor read, not present */
	assert_int_equal(reg(g, 'c'), ist1 - 48);
	done(g);
}

static void test_pf_delivery_on_unmapped_ist(void **state)
{
	check_pf_on_ist_stack("default");
	check_pf_on_ist_stack("default,-ept");
}

static void test_real_mode_needs_ug(void **state)
{
	static const uint8_t code[] = {0xf4};
	struct skg *g =
	    guest("default,-unrestricted-guest", code, sizeof(code));

	kvm_quiet = true;
	assert_int_equal(run(g), 0);
	kvm_quiet = false;
	assert_int_equal(g->run[0]->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	done(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pio_and_hlt),
	    cmocka_unit_test(test_mmio),
	    cmocka_unit_test(test_mmio_long_mode),
	    cmocka_unit_test(test_mmio_straddling_ram_end),
	    cmocka_unit_test(test_readonly_slot),
	    cmocka_unit_test(test_memslot_delete_recreate),
	    cmocka_unit_test(test_slot_with_unmapped_memory),
	    cmocka_unit_test(test_dirty_log),
	    cmocka_unit_test(test_kvmclock),
	    cmocka_unit_test(test_fpu_per_vcpu),
	    cmocka_unit_test(test_fpu_x87_stack_order),
	    cmocka_unit_test(test_fpu_reserved_mxcsr),
	    cmocka_unit_test(test_cpuid),
	    cmocka_unit_test(test_string_out),
	    cmocka_unit_test(test_immediate_exit),
	    cmocka_unit_test(test_interrupt_spinning_guest),
	    cmocka_unit_test(test_concurrent_vcpus),
	    cmocka_unit_test(test_triple_fault),
	    cmocka_unit_test(test_fail_entry),
	    cmocka_unit_test(test_shadow_paging),
	    cmocka_unit_test(test_identity_map_without_ug),
	    cmocka_unit_test(test_real_mode_needs_ug),
	    cmocka_unit_test(test_pf_delivery_on_unmapped_ist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
