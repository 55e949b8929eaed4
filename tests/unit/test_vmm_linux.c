// SPDX-License-Identifier: GPL-2.0
/*
 * vmm/boot/linux.c and pvh.c: the Linux boot protocol loader, on synthetic
 * bzImage and vmlinux images built here (every malformation gives its own
 * error, every truncation fails cleanly), plus the real Debian kernel when
 * scripts/fetch-guest.sh has put it in the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <kvmini/softkvm.h>

#include "vmm/boot/linux.h"

#define MiB	 0x100000ull
#define GiB	 0x40000000ull
#define SETUP	 (5 * 512) /* setup_sects = 4 */
#define PAYLOAD	 8192
#define IMG_LEN	 (SETUP + PAYLOAD)
#define MEM_SIZE (64 * MiB)

static uint8_t *mem;

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)v);
	w16(p + 2, (uint16_t)(v >> 16));
}

static void w64(uint8_t *p, uint64_t v)
{
	w32(p, (uint32_t)v);
	w32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t r16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t r32(const uint8_t *p)
{
	return (uint32_t)r16(p) | (uint32_t)r16(p + 2) << 16;
}

static uint64_t r64(const uint8_t *p)
{
	return r32(p) | (uint64_t)r32(p + 4) << 32;
}

/* A well-formed protocol 2.15 bzImage: 4 setup sectors, PAYLOAD bytes of
 * protected-mode code, relocatable, 2 MiB aligned, 64-bit entry. */
static void make_bzimage(uint8_t *k)
{
	memset(k, 0, IMG_LEN);
	k[0x1f1] = 4;
	w32(k + 0x1f4, PAYLOAD / 16);
	w16(k + 0x1fe, 0xaa55);
	k[0x200] = 0xeb;
	k[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(k + 0x202, "HdrS", 4);
	w16(k + 0x206, 0x020f);
	w16(k + 0x20e, 0x300); /* version string at 0x500 */
	strcpy((char *)k + 0x500, "6.1.0-test (kvmini@test) #1 SMP");
	k[0x211] = 0x01;	    /* LOADED_HIGH */
	w32(k + 0x22c, 0x7fffffff); /* initrd_addr_max */
	w32(k + 0x230, 0x200000);   /* kernel_alignment */
	k[0x234] = 1;		    /* relocatable */
	w16(k + 0x236, 0x3);	    /* XLF_KERNEL_64 | above 4G */
	w32(k + 0x238, 2047);	    /* cmdline_size */
	w64(k + 0x258, 0x1000000);  /* pref_address */
	w32(k + 0x260, 0x200000);   /* init_size */
	for (int i = 0; i < PAYLOAD; i++)
		k[SETUP + i] = (uint8_t)(i * 7 + 3);
}

static struct linux_load_args args(const uint8_t *k, size_t len)
{
	return (struct linux_load_args){.mem = mem,
					.mem_size = MEM_SIZE,
					.kernel = k,
					.kernel_len = len,
					.cmdline = "console=ttyS0"};
}

static int setup_mem(void **state)
{
	/* page aligned: it doubles as a KVM memslot */
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mem != MAP_FAILED ? 0 : -1;
}

static int teardown_mem(void **state)
{
	munmap(mem, MEM_SIZE);
	mem = NULL;
	return 0;
}

static void test_good_bzimage(void **state)
{
	static uint8_t k[IMG_LEN];
	static uint8_t initrd[100000];
	struct linux_load_args in;
	struct linux_boot b;
	char err[256];
	uint8_t *zp = mem + LINUX_ZERO_PAGE_ADDR;

	make_bzimage(k);
	memset(initrd, 0x5a, sizeof(initrd));
	in = args(k, IMG_LEN);
	in.initrd = initrd;
	in.initrd_len = sizeof(initrd);
	in.acpi_rsdp = 0xf5a10;
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(b.mode, LINUX_ENTRY_64);
	assert_int_equal(b.protocol, 0x20f);
	assert_string_equal(b.kernel_version,
			    "6.1.0-test (kvmini@test) #1 SMP");

	/* kernel at pref_address, payload copied byte for byte */
	assert_int_equal(b.kernel_addr, 0x1000000);
	assert_int_equal(b.kernel_size, PAYLOAD);
	assert_int_equal(b.kernel_extent, 0x200000);
	assert_memory_equal(mem + 0x1000000, k + SETUP, PAYLOAD);

	/* entry state: 64-bit boot protocol */
	assert_int_equal(b.regs.rip, 0x1000200);
	assert_int_equal(b.regs.rsi, LINUX_ZERO_PAGE_ADDR);
	assert_int_equal(b.regs.rflags, 0x2);
	assert_int_equal(b.sregs.cs.selector, 0x10);
	assert_int_equal(b.sregs.cs.l, 1);
	assert_int_equal(b.sregs.cs.db, 0);
	assert_int_equal(b.sregs.cs.type, 0xb);
	assert_int_equal(b.sregs.ds.selector, 0x18);
	assert_int_equal(b.sregs.ss.selector, 0x18);
	assert_int_equal(b.sregs.es.selector, 0x18);
	assert_int_equal(b.sregs.ds.type, 0x3);
	assert_int_equal(b.sregs.ds.limit, 0xffffffff);
	assert_int_equal(b.sregs.tr.type, 0xb);
	assert_int_equal(b.sregs.tr.present, 1);
	assert_true(b.sregs.cr0 & 0x80000001); /* PG, PE */
	assert_int_equal(b.sregs.cr0 & 0x80000001, 0x80000001);
	assert_int_equal(b.sregs.cr4 & 0x20, 0x20);
	assert_int_equal(b.sregs.efer & 0x500, 0x500);
	assert_int_equal(b.sregs.cr3, LINUX_PML4_ADDR);
	assert_int_equal(b.sregs.gdt.base, LINUX_GDT_ADDR);
	assert_int_equal(b.sregs.gdt.limit, 47);

	/* GDT in memory matches the segments */
	assert_int_equal(r64(mem + LINUX_GDT_ADDR + 0x10) >> 53 & 1, 1); /* L */
	assert_int_equal(r64(mem + LINUX_GDT_ADDR + 0x10) >> 40 & 0xff, 0x9b);
	assert_int_equal(r64(mem + LINUX_GDT_ADDR + 0x18) >> 40 & 0xff, 0x93);

	/* zero page: header copy plus the loader's fields */
	assert_int_equal(r16(zp + 0x1fe), 0xaa55);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(r32(zp + 0x218), b.initrd_addr);
	assert_int_equal(r32(zp + 0x21c), sizeof(initrd));
	assert_int_equal(r32(zp + 0x0c0), 0);
	assert_int_equal(r64(zp + 0x070), 0xf5a10);
	assert_int_equal(r32(zp + 0x228), LINUX_CMDLINE_ADDR);
	assert_int_equal(r32(zp + 0x260), 0x200000);
	assert_string_equal((char *)mem + LINUX_CMDLINE_ADDR, "console=ttyS0");
	/* nothing past the setup header was copied over the e820 area */
	assert_int_equal(zp[0x26c], 0);

	/* initrd: highest 4K-aligned spot under RAM top, copied */
	assert_int_equal(b.initrd_addr,
			 (MEM_SIZE - sizeof(initrd)) & ~0xfffull);
	assert_int_equal(b.initrd_addr & 0xfff, 0);
	assert_true(b.initrd_addr + sizeof(initrd) <= MEM_SIZE);
	assert_true(b.initrd_addr >= b.kernel_addr + b.kernel_extent);
	assert_memory_equal(mem + b.initrd_addr, initrd, sizeof(initrd));
}

static void test_e820_layout(void **state)
{
	static uint8_t k[IMG_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	const uint8_t *zp = mem + LINUX_ZERO_PAGE_ADDR;

	make_bzimage(k);
	in = args(k, IMG_LEN);
	assert_int_equal(linux_load(&in, &b, NULL, 0), 0);
	assert_int_equal(b.e820_entries, 4);
	assert_int_equal(zp[0x1e8], 4);
	const uint64_t want[4][3] = {
	    {0, 0x9fc00, 1},
	    {0x9fc00, 0x400, 2},
	    {0xf0000, 0x10000, 2},
	    {MiB, MEM_SIZE - MiB, 1},
	};
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = zp + 0x2d0 + 20 * i;

		assert_int_equal(b.e820[i].addr, want[i][0]);
		assert_int_equal(b.e820[i].size, want[i][1]);
		assert_int_equal(b.e820[i].type, want[i][2]);
		assert_int_equal(r64(e), want[i][0]);
		assert_int_equal(r64(e + 8), want[i][1]);
		assert_int_equal(r32(e + 16), want[i][2]);
	}
	/* sorted, non-overlapping */
	for (int i = 1; i < 4; i++)
		assert_true(b.e820[i - 1].addr + b.e820[i - 1].size <=
			    b.e820[i].addr);
}

/* RAM above the PCI hole moves to 4 GiB: a 48 MiB guest with the hole at
 * 32 MiB has RAM 1..32 MiB and 4 GiB..4 GiB+16 MiB. */
static void test_pci_hole(void **state)
{
	static uint8_t k[IMG_LEN];
	static uint8_t initrd[5000];
	struct linux_load_args in;
	struct linux_boot b;

	make_bzimage(k);
	in = args(k, IMG_LEN);
	in.mem_size = 48 * MiB;
	in.pci_hole_start = 32 * MiB;
	in.initrd = initrd;
	in.initrd_len = sizeof(initrd);
	assert_int_equal(linux_load(&in, &b, NULL, 0), 0);
	assert_int_equal(b.e820_entries, 5);
	assert_int_equal(b.e820[3].addr, MiB);
	assert_int_equal(b.e820[3].size, 31 * MiB);
	assert_int_equal(b.e820[4].addr, 4 * GiB);
	assert_int_equal(b.e820[4].size, 16 * MiB);
	assert_int_equal(b.e820[4].type, 1);
	/* initrd stays below the hole (and below 4 GiB) */
	assert_true(b.initrd_addr + b.initrd_size <= 32 * MiB);
	/* the translation behind it */
	assert_ptr_equal(linux_gpa(&in, 4 * GiB, 16), mem + 32 * MiB);
	assert_ptr_equal(linux_gpa(&in, 4 * GiB + 16 * MiB - 1, 1),
			 mem + 48 * MiB - 1);
	assert_null(linux_gpa(&in, 4 * GiB + 16 * MiB - 1, 2));
	assert_null(linux_gpa(&in, 32 * MiB, 1)); /* the hole itself */
	assert_null(linux_gpa(&in, 32 * MiB - 1, 2));
	assert_null(linux_gpa(&in, UINT64_MAX, 2));
	/* default hole at 3 GiB: a 64 MiB guest has no high RAM */
	in = args(k, IMG_LEN);
	assert_int_equal(linux_hole_start(&in), 3 * GiB);
	assert_null(linux_gpa(&in, 4 * GiB, 1));
}

/* Walks the loader's page tables like the MMU: 4-level, 2 MiB leaves. */
static int walk(uint64_t va, uint64_t *pa)
{
	uint64_t e;

	if (va >> 48)
		return -1;
	e = r64(mem + LINUX_PML4_ADDR + 8 * (va >> 39 & 511));
	if (!(e & 1))
		return -1;
	e = r64(mem + (e & ~0xfffull) + 8 * (va >> 30 & 511));
	if (!(e & 1))
		return -1;
	if (e & 0x80)
		return -2; /* no 1G pages expected */
	e = r64(mem + (e & ~0xfffull) + 8 * (va >> 21 & 511));
	if (!(e & 1) || !(e & 0x80) || !(e & 2))
		return -1;
	*pa = (e & ~0x1fffffull) + (va & 0x1fffff);
	return 0;
}

static void test_page_tables(void **state)
{
	static uint8_t k[IMG_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	uint64_t pa;
	const uint64_t va[] = {0,
			       LINUX_ZERO_PAGE_ADDR,
			       LINUX_CMDLINE_ADDR,
			       0x1000200,
			       0x1000000 + 0x200000 - 1,
			       MEM_SIZE - 1,
			       3 * GiB + 0x12345,
			       4 * GiB - 1};

	make_bzimage(k);
	in = args(k, IMG_LEN);
	assert_int_equal(linux_load(&in, &b, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		assert_int_equal(walk(va[i], &pa), 0);
		assert_int_equal(pa, va[i]);
	}
	/* the tables end at 4 GiB */
	assert_int_equal(walk(4 * GiB, &pa), -1);
	assert_int_equal(walk(512 * GiB, &pa), -1);
	/* and do not overlap what else sits in low memory */
	assert_true(LINUX_PD_ADDR + 4 * 0x1000 <= LINUX_CMDLINE_ADDR);
	assert_true(LINUX_ZERO_PAGE_ADDR + 0x1000 <= LINUX_BOOT_STACK_TOP);
	assert_true(LINUX_BOOT_STACK_TOP < LINUX_PML4_ADDR);
}

static void test_apply_sregs(void **state)
{
	static uint8_t k[IMG_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	struct kvm_sregs s;

	make_bzimage(k);
	in = args(k, IMG_LEN);
	assert_int_equal(linux_load(&in, &b, NULL, 0), 0);
	memset(&s, 0, sizeof(s));
	s.apic_base = 0xfee00900;
	s.cr8 = 3;
	s.interrupt_bitmap[0] = 0x55;
	linux_boot_apply_sregs(&b, &s);
	assert_int_equal(s.apic_base, 0xfee00900);
	assert_int_equal(s.cr8, 3);
	assert_int_equal(s.interrupt_bitmap[0], 0x55);
	assert_int_equal(s.cr3, LINUX_PML4_ADDR);
	assert_int_equal(s.efer, b.sregs.efer);
	assert_int_equal(s.cs.l, 1);
	assert_int_equal(s.tr.selector, LINUX_BOOT_TSS);
}

/* One malformation each, and the error it must give. */
struct bad {
	const char *what;
	void (*mutate)(uint8_t *k, size_t *len, struct linux_load_args *in);
	int err;
	const char *says; /* a word the message must contain */
};

static void m_boot_flag(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w16(k + 0x1fe, 0x1234);
}
static void m_magic(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	memcpy(k + 0x202, "HdrX", 4);
}
static void m_tiny(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	*len = 100;
}
static void m_old(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w16(k + 0x206, 0x020b);
}
static void m_trunc_setup(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	*len = SETUP - 1;
}
static void m_trunc_hdr(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	*len = 0x204;
}
static void m_trunc_payload(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	*len = IMG_LEN - 1;
}
static void m_syssize(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w32(k + 0x1f4, 0x10000000); /* 4 GiB claimed */
}
static void m_syssize0(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w32(k + 0x1f4, 0);
}
static void m_no64(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w16(k + 0x236, 0x2);
}
static void m_not_high(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	k[0x211] = 0;
}
static void m_hdr_short(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	k[0x201] = 0x40;
}
static void m_align(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w32(k + 0x230, 0x3000);
}
static void m_pref_low(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w64(k + 0x258, 0x1000);
	k[0x234] = 0; /* not relocatable: must load there */
}
static void m_pref_huge(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w64(k + 0x258, UINT64_MAX - 5);
}
static void m_kernel_fit(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	in->mem_size = 17 * MiB;
}
static void m_init_size(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w32(k + 0x260, 0xfffff000); /* 4 GiB of init_size */
}
static uint8_t big_initrd[1];
static void m_initrd_big(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	in->initrd = big_initrd;
	in->initrd_len = MEM_SIZE; /* never read: it cannot fit */
}
static void m_initrd_max(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	static uint8_t r[8192];

	w32(k + 0x22c, 0x1100fff); /* below kernel end (18 MiB) */
	in->initrd = r;
	in->initrd_len = sizeof(r);
}
static void m_initrd_null(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	in->initrd_len = 10;
}
static void m_cmdline(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	w32(k + 0x238, 12);
	in->cmdline = "console=ttyS0"; /* 13 > 12 */
}
static void m_mem_small(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	in->mem_size = MiB;
}
static void m_no_mem(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	in->mem = NULL;
}
static void m_hole(uint8_t *k, size_t *len, struct linux_load_args *in)
{
	in->pci_hole_start = 5 * GiB;
}

static const struct bad bads[] = {
    {"boot flag", m_boot_flag, LINUX_E_NOT_BZIMAGE, "0xAA55"},
    {"magic", m_magic, LINUX_E_NOT_BZIMAGE, "HdrS"},
    {"tiny", m_tiny, LINUX_E_NOT_BZIMAGE, "too short"},
    {"old protocol", m_old, LINUX_E_OLD_PROTOCOL, "2.11"},
    {"truncated setup", m_trunc_setup, LINUX_E_TRUNC_SETUP, "truncated"},
    {"truncated header", m_trunc_hdr, LINUX_E_TRUNC_SETUP, "truncated"},
    {"truncated payload", m_trunc_payload, LINUX_E_TRUNC_PAYLOAD, "truncated"},
    {"syssize too big", m_syssize, LINUX_E_TRUNC_PAYLOAD, "syssize"},
    {"syssize 0", m_syssize0, LINUX_E_BAD_HEADER, "syssize"},
    {"no 64-bit", m_no64, LINUX_E_NO_64BIT, "XLF_KERNEL_64"},
    {"zImage", m_not_high, LINUX_E_NOT_HIGH, "LOADED_HIGH"},
    {"short header", m_hdr_short, LINUX_E_BAD_HEADER, "init_size"},
    {"alignment", m_align, LINUX_E_BAD_HEADER, "kernel_alignment"},
    {"pref below 1M", m_pref_low, LINUX_E_BAD_HEADER, "pref_address"},
    {"pref overflow", m_pref_huge, LINUX_E_BAD_HEADER, "pref_address"},
    {"kernel fit", m_kernel_fit, LINUX_E_KERNEL_FIT, "init_size"},
    {"init_size huge", m_init_size, LINUX_E_KERNEL_FIT, "init_size"},
    {"initrd too big", m_initrd_big, LINUX_E_INITRD_FIT, "initrd"},
    {"initrd_addr_max", m_initrd_max, LINUX_E_INITRD_FIT, "initrd_addr_max"},
    {"initrd null", m_initrd_null, LINUX_E_ARGS, "initrd"},
    {"cmdline", m_cmdline, LINUX_E_CMDLINE_LONG, "at most 12"},
    {"mem small", m_mem_small, LINUX_E_MEM_SMALL, "2 MiB"},
    {"no mem", m_no_mem, LINUX_E_ARGS, "memory"},
    {"hole", m_hole, LINUX_E_ARGS, "hole"},
};

static void test_malformed(void **state)
{
	static uint8_t k[IMG_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	char err[256];
	size_t len;
	int r;

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		make_bzimage(k);
		len = IMG_LEN;
		in = args(k, len);
		bads[i].mutate(k, &len, &in);
		in.kernel_len = len;
		r = linux_load(&in, &b, err, sizeof(err));
		if (r != -bads[i].err || !strstr(err, bads[i].says))
			fail_msg("%s: got %s (%d) \"%s\", want %s with \"%s\"",
				 bads[i].what, linux_load_strerror(r), r, err,
				 linux_load_strerror(bads[i].err),
				 bads[i].says);
	}
	/* exactly cmdline_size bytes is fine */
	make_bzimage(k);
	w32(k + 0x238, 13);
	in = args(k, IMG_LEN);
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), 0);
	/* a NULL out and a NULL err never crash */
	assert_int_equal(linux_load(&in, NULL, NULL, 0), -LINUX_E_ARGS);
	assert_int_equal(linux_load(NULL, &b, err, sizeof(err)), -LINUX_E_ARGS);
	assert_string_equal(linux_load_strerror(-LINUX_E_TRUNC_SETUP),
			    "LINUX_E_TRUNC_SETUP");
	assert_string_equal(linux_load_strerror(0), "OK");
	assert_string_equal(linux_load_strerror(999), "LINUX_E_?");
}

/* Cut the image at every length: each must fail with an error, none may
 * read past the end (ASan in make check watches). Copies into an exact-size
 * heap buffer so an over-read is caught. */
static void test_truncated_everywhere(void **state)
{
	static uint8_t k[IMG_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	char err[256];

	make_bzimage(k);
	for (size_t len = 0; len <= IMG_LEN; len++) {
		uint8_t *c = malloc(len ? len : 1);
		int r;

		memcpy(c, k, len);
		in = args(c, len);
		r = linux_load(&in, &b, err, sizeof(err));
		free(c);
		if (len == IMG_LEN) {
			assert_int_equal(r, 0);
			continue;
		}
		if (r >= 0 || !err[0])
			fail_msg("truncated at %zu: r=%d err=\"%s\"", len, r,
				 err);
	}
}

/* Random corruption of the header: any result, but no crash, and a success
 * always leaves a sane entry state. Deterministic PRNG. */
static void test_corrupt_headers(void **state)
{
	static uint8_t k[IMG_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int ok = 0;

	for (int it = 0; it < 3000; it++) {
		make_bzimage(k);
		for (int j = 0; j < 1 + it % 4; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			k[0x1f1 + x % 0x80] = (uint8_t)(x >> 32);
		}
		in = args(k, IMG_LEN);
		if (linux_load(&in, &b, NULL, 0) == 0) {
			ok++;
			assert_true(b.kernel_addr >= MiB);
			assert_true(b.kernel_addr + b.kernel_extent <=
				    MEM_SIZE);
			assert_int_equal(b.regs.rip, b.kernel_addr + 0x200);
		}
	}
	assert_true(ok > 0);
}

/* ---- PVH ---- */
#define ELF_LEN 0x3000

/* A vmlinux-shaped ELF64: one PT_NOTE with the PVH entry, one PT_LOAD of
 * 0x1000 file bytes + 0x1000 bss at 2 MiB, entry 2 MiB + 0x40. */
static void make_elf(uint8_t *e)
{
	uint8_t *ph, *n;

	memset(e, 0, ELF_LEN);
	memcpy(e,
	       "\x7f"
	       "ELF",
	       4);
	e[4] = 2;
	e[5] = 1;
	e[6] = 1;
	w16(e + 16, 2);
	w16(e + 18, 62);
	w32(e + 20, 1);
	w64(e + 24, 0xffffffff81000000ull);
	w64(e + 32, 64); /* phoff */
	w16(e + 52, 64);
	w16(e + 54, 56);
	w16(e + 56, 2);
	ph = e + 64; /* PT_LOAD */
	w32(ph, 1);
	w64(ph + 8, 0x1000);
	w64(ph + 16, 0xffffffff80200000ull);
	w64(ph + 24, 0x200000);
	w64(ph + 32, 0x1000);
	w64(ph + 40, 0x2000);
	ph += 56; /* PT_NOTE */
	w32(ph, 4);
	w64(ph + 8, 0x200);
	w64(ph + 32, 0x30);
	n = e + 0x200; /* an unrelated note first, then the PVH one */
	w32(n, 4);
	w32(n + 4, 4);
	w32(n + 8, 1);
	memcpy(n + 12, "GNU", 4);
	n += 20;
	w32(n, 4);
	w32(n + 4, 4);
	w32(n + 8, 18);
	memcpy(n + 12, "Xen", 4);
	w32(n + 16, 0x200040);
	for (int i = 0; i < 0x1000; i++)
		e[0x1000 + i] = (uint8_t)(i ^ 0xa5);
}

static void test_pvh_good(void **state)
{
	static uint8_t e[ELF_LEN];
	static uint8_t initrd[3000];
	struct linux_load_args in;
	struct linux_boot b;
	char err[256];
	const uint8_t *si = mem + LINUX_ZERO_PAGE_ADDR;

	make_elf(e);
	memset(mem + 0x201000, 0xee, 0x1000); /* bss must get cleared */
	in = args(e, ELF_LEN);
	in.initrd = initrd;
	in.initrd_len = sizeof(initrd);
	in.acpi_rsdp = 0xe0040;
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), 0);
	assert_int_equal(b.mode, LINUX_ENTRY_PVH32);
	assert_int_equal(b.regs.rip, 0x200040);
	assert_int_equal(b.regs.rbx, LINUX_ZERO_PAGE_ADDR);
	assert_int_equal(b.sregs.cs.l, 0);
	assert_int_equal(b.sregs.cs.db, 1);
	assert_int_equal(b.sregs.cr0 & 0x80000001, 1); /* PE, no PG */
	assert_int_equal(b.sregs.efer, 0);
	assert_int_equal(r64(mem + LINUX_GDT_ADDR + 0x10) >> 53 & 1, 0);
	assert_memory_equal(mem + 0x200000, e + 0x1000, 0x1000);
	for (int i = 0; i < 0x1000; i++)
		assert_int_equal(mem[0x201000 + i], 0);
	/* hvm_start_info */
	assert_int_equal(r32(si), 0x336ec578);
	assert_int_equal(r32(si + 4), 1);
	assert_int_equal(r32(si + 12), 1);
	assert_int_equal(r64(mem + r64(si + 16)), b.initrd_addr);
	assert_int_equal(r64(mem + r64(si + 16) + 8), sizeof(initrd));
	assert_string_equal((char *)mem + r64(si + 24), "console=ttyS0");
	assert_int_equal(r64(si + 32), 0xe0040);
	assert_int_equal(r32(si + 48), 4);
	assert_int_equal(r64(mem + r64(si + 40) + 24 * 3), MiB);
	assert_int_equal(r32(mem + r64(si + 40) + 24 * 3 + 16), 1);
	assert_true(b.initrd_addr >= 0x202000);
}

static void test_pvh_malformed(void **state)
{
	static uint8_t e[ELF_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	char err[256];

	make_elf(e);
	w32(e + 0x200 + 20 + 8, 17); /* no type-18 note */
	in = args(e, ELF_LEN);
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)),
			 -LINUX_E_NO_PVH);
	assert_non_null(strstr(err, "CONFIG_PVH"));

	make_elf(e);
	e[4] = 1; /* ELF32 */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), -LINUX_E_ELF);

	make_elf(e);
	w16(e + 56, 500); /* phdrs past the end */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), -LINUX_E_ELF);

	make_elf(e);
	w64(e + 64 + 24, 0x7ff0000); /* segment beyond 64 MiB of RAM */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)),
			 -LINUX_E_KERNEL_FIT);

	make_elf(e);
	w64(e + 64 + 24, 0x1000); /* over the boot area */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)),
			 -LINUX_E_KERNEL_FIT);

	make_elf(e);
	w64(e + 64 + 32, 0x3000); /* filesz > memsz */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), -LINUX_E_ELF);

	make_elf(e);
	w32(e + 0x200 + 20 + 16, 0x900000); /* entry outside the image */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)), -LINUX_E_ELF);

	make_elf(e);
	w32(e + 0x200 + 20 + 4, 0x7ffffff0); /* descsz runs off the note */
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)),
			 -LINUX_E_NO_PVH);

	/* every truncation before the end of the last segment's bytes (0x2000)
	 * fails cleanly */
	make_elf(e);
	for (size_t len = 0; len < 0x2000; len++) {
		uint8_t *c = malloc(len ? len : 1);
		int r;

		memcpy(c, e, len);
		in = args(c, len);
		r = linux_load(&in, &b, err, sizeof(err));
		free(c);
		if (r >= 0)
			fail_msg("ELF truncated at %zu loaded", len);
	}
}

/* ---- the entry state on a real KVM ABI: host /dev/kvm and our softkvm ----
 * The kernel stand-in at the entry point reads what the boot protocol
 * promises (RSI/EBX -> zero page or start_info -> command line) through the
 * loader's segments and page tables, and reports over port 0x80. Accepting
 * the state at all (VM entry checks on TR, LDT, CS.L, EFER/CR0) is the
 * other half of the check. */
struct kvm_api {
	const char *name;
	int (*open)(void);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	struct kvm_run *(*run_page)(int sys, int vcpu);
	void (*close)(int fd);
};

static int host_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int host_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static int host_run_size;

static struct kvm_run *host_run_page(int sys, int vcpu)
{
	void *p;

	host_run_size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (host_run_size <= 0)
		return NULL;
	p = mmap(NULL, (size_t)host_run_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED, vcpu, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void host_close(int fd)
{
	close(fd);
}

static struct kvm_run *soft_run_page(int sys, int vcpu)
{
	return softkvm_run_page(vcpu);
}

static void soft_close(int fd)
{
	softkvm_close(fd);
}

static const struct kvm_api host_kvm = {"host /dev/kvm", host_open, host_ioctl,
					host_run_page, host_close};
static const struct kvm_api soft_kvm = {"softkvm", softkvm_open, softkvm_ioctl,
					soft_run_page, soft_close};

/* 64-bit: out rsi; out [rsi+0x202] ("HdrS"); out first 4 bytes of the
 * command line via cmd_line_ptr; push/pop through RSP; out cs; out ss; hlt */
static const uint8_t entry64_code[] = {
    0x48, 0x89, 0xf0, 0xe7, 0x80, 0x8b, 0x86, 0x02, 0x02, 0x00,
    0x00, 0xe7, 0x80, 0x8b, 0x9e, 0x28, 0x02, 0x00, 0x00, 0x8b,
    0x03, 0xe7, 0x80, 0x50, 0x59, 0x89, 0xc8, 0xe7, 0x80, 0x8c,
    0xc8, 0xe7, 0x80, 0x8c, 0xd0, 0xe7, 0x80, 0xf4,
};
/* PVH, 32-bit: out ebx; out [ebx] (magic); out the command line's first
 * 4 bytes via start_info.cmdline_paddr; out cs; hlt */
static const uint8_t entry_pvh_code[] = {
    0x89, 0xd8, 0xe7, 0x80, 0x8b, 0x03, 0xe7, 0x80, 0x8b, 0x4b,
    0x18, 0x8b, 0x01, 0xe7, 0x80, 0x8c, 0xc8, 0xe7, 0x80, 0xf4,
};

/* Runs the loaded guest to HLT; returns the number of port-0x80 dwords
 * stored in outs, or a negative errno / -1000 - exit_reason. */
static int run_entry(const struct kvm_api *api, const struct linux_boot *b,
		     uint64_t memsz, uint32_t *outs, int max, char *why,
		     size_t whylen)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[128];
	} cpuid = {.c.nent = 128};
	struct kvm_userspace_memory_region r = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = memsz,
	    .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	struct kvm_regs regs = b->regs;
	struct kvm_sregs sregs;
	struct kvm_run *run = NULL;
	int sys, vm = -1, vcpu = -1, n = 0, ret, i;

	sys = api->open();
	if (sys < 0) {
		snprintf(why, whylen, "open: %d", sys);
		return sys;
	}
#define TRY(x, what)                                                           \
	do {                                                                   \
		ret = (x);                                                     \
		if (ret < 0) {                                                 \
			snprintf(why, whylen, "%s: %d", what, ret);            \
			goto out;                                              \
		}                                                              \
	} while (0)
	TRY(vm = api->ioctl(sys, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
	api->ioctl(vm, KVM_SET_TSS_ADDR, (void *)0xfffbd000ul);
	TRY(api->ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r),
	    "KVM_SET_USER_MEMORY_REGION");
	TRY(vcpu = api->ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU");
	TRY(api->ioctl(sys, KVM_GET_SUPPORTED_CPUID, &cpuid),
	    "KVM_GET_SUPPORTED_CPUID");
	TRY(api->ioctl(vcpu, KVM_SET_CPUID2, &cpuid), "KVM_SET_CPUID2");
	TRY(api->ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
	linux_boot_apply_sregs(b, &sregs);
	TRY(api->ioctl(vcpu, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
	TRY(api->ioctl(vcpu, KVM_SET_REGS, &regs), "KVM_SET_REGS");
	run = api->run_page(sys, vcpu);
	if (!run) {
		ret = -ENOMEM;
		snprintf(why, whylen, "no kvm_run page");
		goto out;
	}
	for (i = 0; i < 64; i++) {
		TRY(api->ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.direction == KVM_EXIT_IO_OUT &&
		    run->io.port == 0x80 && run->io.size == 4) {
			if (n < max)
				memcpy(&outs[n++],
				       (uint8_t *)run + run->io.data_offset, 4);
			continue;
		}
		ret = -1000 - (int)run->exit_reason;
		snprintf(why, whylen, "unexpected exit %u after %d outs",
			 run->exit_reason, n);
		goto out;
	}
	ret = n;
out:
#undef TRY
	if (run && api == &host_kvm)
		munmap(run, (size_t)host_run_size);
	if (vcpu >= 0)
		api->close(vcpu);
	if (vm >= 0)
		api->close(vm);
	api->close(sys);
	return ret;
}

static void entry_on(const struct kvm_api *api)
{
	static uint8_t k[IMG_LEN], e[ELF_LEN];
	struct linux_load_args in;
	struct linux_boot b;
	uint32_t outs[8];
	char why[128];
	int n;

	make_bzimage(k);
	memcpy(k + SETUP + 0x200, entry64_code, sizeof(entry64_code));
	in = args(k, IMG_LEN);
	assert_int_equal(linux_load(&in, &b, NULL, 0), 0);
	n = run_entry(api, &b, MEM_SIZE, outs, 8, why, sizeof(why));
	if (n != 6)
		fail_msg("%s, 64-bit entry: %d (%s)", api->name, n, why);
	assert_int_equal(outs[0], LINUX_ZERO_PAGE_ADDR);
	assert_memory_equal(&outs[1], "HdrS", 4);
	assert_memory_equal(&outs[2], "cons", 4);
	assert_int_equal(outs[3], outs[2]); /* through the stack */
	assert_int_equal(outs[4] & 0xffff, LINUX_BOOT_CS);
	assert_int_equal(outs[5] & 0xffff, LINUX_BOOT_DS);

	make_elf(e);
	memcpy(e + 0x1000 + 0x40, entry_pvh_code, sizeof(entry_pvh_code));
	in = args(e, ELF_LEN);
	assert_int_equal(linux_load(&in, &b, NULL, 0), 0);
	n = run_entry(api, &b, MEM_SIZE, outs, 8, why, sizeof(why));
	if (n != 4)
		fail_msg("%s, PVH entry: %d (%s)", api->name, n, why);
	assert_int_equal(outs[0], LINUX_ZERO_PAGE_ADDR);
	assert_int_equal(outs[1], 0x336ec578);
	assert_memory_equal(&outs[2], "cons", 4);
	assert_int_equal(outs[3] & 0xffff, LINUX_BOOT_CS);
}

static void test_entry_host_kvm(void **state)
{
	entry_on(&host_kvm);
}

static void test_entry_softkvm(void **state)
{
	char err[128];

	if (softkvm_load("default", err, sizeof(err)))
		fail_msg("softkvm_load: %s", err);
	entry_on(&soft_kvm);
	softkvm_unload();
}

/* /dev/kvm opens and creates a VM (not every host, container or CI). */
static bool host_kvm_usable(void)
{
	int sys = host_open(), vm;

	if (sys < 0)
		return false;
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm >= 0)
		close(vm);
	close(sys);
	return vm >= 0;
}

/* ---- the real Debian kernel, when fetched ---- */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char kp[4096], ip[4096];

/* The fetched kernel's path, or false if the cache has none. */
static bool real_kernel_present(void)
{
	const char *cache = getenv("KVMINI_CACHE");
	FILE *f;

	snprintf(kp, sizeof(kp), "%s/guest/vmlinuz", cache ? cache : "cache");
	snprintf(ip, sizeof(ip), "%s/guest/initrd.cpio.gz",
		 cache ? cache : "cache");
	f = fopen(kp, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

static const char *dirname_of(const char *path)
{
	static char d[4096];
	char *slash;

	snprintf(d, sizeof(d), "%s", path);
	slash = strrchr(d, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(d, sizeof(d), ".");
	return d;
}

static void test_real_kernel(void **state)
{
	static char vp[4096 + 16];
	char err[256];
	size_t klen = 0, ilen = 0;
	uint8_t *k, *rd, *m;
	struct linux_load_args in;
	struct linux_boot b;
	const uint64_t size = 512 * MiB;

	k = slurp(kp, &klen);
	assert_non_null(k);
	rd = slurp(ip, &ilen);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(m != MAP_FAILED);
	in = (struct linux_load_args){.mem = m,
				      .mem_size = size,
				      .kernel = k,
				      .kernel_len = klen,
				      .initrd = rd,
				      .initrd_len = rd ? ilen : 0,
				      .cmdline = "console=ttyS0 panic=-1"};
	if (linux_load(&in, &b, err, sizeof(err)))
		fail_msg("real kernel %s: %s", kp, err);
	print_message("# %s: protocol %u.%02u, \"%s\", kernel %#llx+%#llx, "
		      "initrd %#llx+%#llx\n",
		      kp, b.protocol >> 8, b.protocol & 0xff, b.kernel_version,
		      (unsigned long long)b.kernel_addr,
		      (unsigned long long)b.kernel_extent,
		      (unsigned long long)b.initrd_addr,
		      (unsigned long long)b.initrd_size);
	assert_true(b.protocol >= 0x20c);
	assert_int_equal(b.mode, LINUX_ENTRY_64);
	assert_int_equal(b.regs.rip, b.kernel_addr + 0x200);
	assert_true(b.kernel_version[0] >= '3' && b.kernel_version[0] <= '9');
	assert_true(b.initrd_addr + b.initrd_size <= size);
	/* too little RAM for its init_size: the specific error */
	in.mem_size = 32 * MiB;
	in.initrd_len = 0;
	assert_int_equal(linux_load(&in, &b, err, sizeof(err)),
			 -LINUX_E_KERNEL_FIT);
	free(k);

	/* the vmlinux ELF inside it (fetch-guest.sh extracts it): PVH */
	snprintf(vp, sizeof(vp), "%s/vmlinux", dirname_of(kp));
	k = slurp(vp, &klen);
	if (k) {
		in.kernel = k;
		in.kernel_len = klen;
		in.mem_size = size;
		in.initrd_len = rd ? ilen : 0;
		if (linux_load(&in, &b, err, sizeof(err)))
			fail_msg("real vmlinux %s: %s", vp, err);
		assert_int_equal(b.mode, LINUX_ENTRY_PVH32);
		assert_int_equal(r32(m + b.regs.rbx), 0x336ec578);
		assert_true(b.regs.rip >= b.kernel_addr &&
			    b.regs.rip < b.kernel_addr + b.kernel_extent);
		print_message("# %s: PVH entry %#llx, image %#llx+%#llx\n", vp,
			      (unsigned long long)b.regs.rip,
			      (unsigned long long)b.kernel_addr,
			      (unsigned long long)b.kernel_extent);
		free(k);
	} else {
		print_message("# no %s: PVH part not run\n", vp);
	}
	munmap(m, size);
	free(rd);
}

int main(void)
{
	struct CMUnitTest tests[16];
	size_t n = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_good_bzimage);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_e820_layout);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_pci_hole);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_page_tables);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_apply_sregs);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_malformed);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_truncated_everywhere);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_corrupt_headers);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_pvh_good);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_pvh_malformed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_entry_softkvm);
	/* cmocka's skip() prints "not ok ... # SKIP", which tests/run.sh
	 * counts as a failure: absent prerequisites are reported here as TAP
	 * skip lines and their tests left out. */
	if (host_kvm_usable())
		tests[n++] =
		    (struct CMUnitTest)cmocka_unit_test(test_entry_host_kvm);
	else
		printf("ok - test_entry_host_kvm # SKIP /dev/kvm cannot create "
		       "a VM here\n");
	if (real_kernel_present())
		tests[n++] =
		    (struct CMUnitTest)cmocka_unit_test(test_real_kernel);
	else
		printf("ok - test_real_kernel # SKIP no %s (run "
		       "scripts/fetch-guest.sh)\n",
		       kp);
	fflush(stdout);
	return _cmocka_run_group_tests("vmm_linux", tests, n, setup_mem,
				       teardown_mem);
}
