// SPDX-License-Identifier: GPL-2.0
/* Guest memory layout and the image loaders, without any backend. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/guest_mem.h"
#include "vmm/loader/loader.h"

static char err[512];

static void test_gm_layout(void **state)
{
	struct guest_mem gm;

	assert_int_equal(gm_alloc(&gm, 512 << 10), -EINVAL);
	assert_int_equal(gm_alloc(&gm, (1 << 20) + 1), -EINVAL);
	assert_int_equal(gm_alloc(&gm, 16 << 20), 0);
	assert_int_equal(gm.nslots, 1);
	assert_non_null(gm_ptr(&gm, 0, 16 << 20));
	assert_null(gm_ptr(&gm, 1, 16 << 20));
	assert_null(gm_ptr(&gm, ~0ULL, 2));
	assert_null(gm_ptr(&gm, 16 << 20, 1));
	assert_int_equal(gm_top(&gm), 16 << 20);
	gm_free(&gm);

	/* 5 GiB: 3 GiB below the hole, 2 GiB from 4 GiB. */
	assert_int_equal(gm_alloc(&gm, 5ULL << 30), 0);
	assert_int_equal(gm.nslots, 2);
	assert_int_equal(gm_low_end(&gm), GM_HOLE_START);
	assert_int_equal(gm.slot[1].gpa, GM_HOLE_END);
	assert_int_equal(gm_top(&gm), 6ULL << 30);
	assert_null(gm_ptr(&gm, GM_HOLE_START, 1));
	assert_null(gm_ptr(&gm, GM_HOLE_START - 1, 2));
	assert_ptr_equal(gm_ptr(&gm, GM_HOLE_END, 1), gm.base + GM_HOLE_START);
	assert_true(gm_in_hole(GM_HOLE_START - 1, 2));
	assert_false(gm_in_hole(GM_HOLE_START - 1, 1));
	assert_true(gm_in_hole(~0ULL - 1, 4));
	gm_free(&gm);
}

static struct image img_of(const void *p, size_t n)
{
	return (struct image){.path = "test", .data = p, .size = n};
}

/* A one-segment ELF32/ELF64 in buf; returns its size. */
static size_t mk_elf32(uint8_t *buf, uint32_t paddr, uint32_t filesz,
		       uint32_t memsz)
{
	Elf32_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_386,
			 .e_version = 1,
			 .e_entry = paddr,
			 .e_phoff = sizeof(eh),
			 .e_ehsize = sizeof(eh),
			 .e_phentsize = sizeof(Elf32_Phdr),
			 .e_phnum = 1};
	Elf32_Phdr ph = {.p_type = PT_LOAD,
			 .p_offset = sizeof(eh) + sizeof(ph),
			 .p_paddr = paddr,
			 .p_vaddr = paddr,
			 .p_filesz = filesz,
			 .p_memsz = memsz};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memset(buf + ph.p_offset, 0x90, filesz);
	return ph.p_offset + filesz;
}

static size_t mk_elf64(uint8_t *buf, uint64_t paddr, uint64_t filesz,
		       uint64_t memsz)
{
	Elf64_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_X86_64,
			 .e_version = 1,
			 .e_entry = paddr,
			 .e_phoff = sizeof(eh),
			 .e_ehsize = sizeof(eh),
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 1};
	Elf64_Phdr ph = {.p_type = PT_LOAD,
			 .p_offset = sizeof(eh) + sizeof(ph),
			 .p_paddr = paddr,
			 .p_vaddr = paddr,
			 .p_filesz = filesz,
			 .p_memsz = memsz};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memset(buf + ph.p_offset, 0x90, filesz);
	return ph.p_offset + filesz;
}

static void test_elf32_load(void **state)
{
	static uint8_t buf[8192];
	struct guest_mem gm;
	struct boot_state bs = {0};
	size_t n = mk_elf32(buf, 0x100000, 100, 4096);
	struct image img = img_of(buf, n);
	uint8_t *p;

	assert_int_equal(gm_alloc(&gm, 4 << 20), 0);
	memset(gm_ptr(&gm, 0x100000, 4096), 0xcc, 4096);
	assert_true(elf_probe(&img));
	assert_int_equal(load_elf(&gm, &img, &bs, err, sizeof(err)), 0);
	assert_string_equal(bs.format, "elf32");
	assert_int_equal(bs.mode, BOOT_PROT32);
	assert_int_equal(bs.rip, 0x100000);
	p = gm_ptr(&gm, 0x100000, 4096);
	assert_int_equal(p[0], 0x90);
	assert_int_equal(p[99], 0x90);
	assert_int_equal(p[100], 0); /* bss zeroed */
	assert_int_equal(p[4095], 0);
	assert_int_equal(bs.gdt_base, BOOT_GDT_ADDR);

	/* Every truncation of the file is refused, none crashes. */
	for (size_t cut = 0; cut < n; cut++) {
		struct image t = img_of(buf, cut);

		if (!elf_probe(&t))
			continue;
		assert_true(load_elf(&gm, &t, &bs, err, sizeof(err)) < 0);
	}
	gm_free(&gm);
}

static void test_elf_rejects(void **state)
{
	static uint8_t buf[8192];
	struct guest_mem gm;
	struct boot_state bs;
	size_t n;
	struct image img;

	assert_int_equal(gm_alloc(&gm, 4 << 20), 0);
	/* Outside RAM. */
	n = mk_elf32(buf, 0x400000, 16, 16);
	img = img_of(buf, n);
	assert_int_equal(load_elf(&gm, &img, &bs, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "outside guest RAM"));
	/* Memsz wrapping the address space. */
	n = mk_elf32(buf, 0x100000, 16, 16);
	((Elf32_Phdr *)(buf + sizeof(Elf32_Ehdr)))->p_memsz = 0xffffffff;
	img = img_of(buf, n);
	assert_true(load_elf(&gm, &img, &bs, err, sizeof(err)) < 0);
	/* Wrong machine. */
	n = mk_elf32(buf, 0x100000, 16, 16);
	((Elf32_Ehdr *)buf)->e_machine = EM_ARM;
	img = img_of(buf, n);
	assert_int_equal(load_elf(&gm, &img, &bs, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "i386"));
	/* Shared object. */
	n = mk_elf32(buf, 0x100000, 16, 16);
	((Elf32_Ehdr *)buf)->e_type = ET_DYN;
	img = img_of(buf, n);
	assert_int_equal(load_elf(&gm, &img, &bs, err, sizeof(err)), -ENOEXEC);
	/* Huge phnum. */
	n = mk_elf32(buf, 0x100000, 16, 16);
	((Elf32_Ehdr *)buf)->e_phnum = 0xffff;
	img = img_of(buf, n);
	assert_int_equal(load_elf(&gm, &img, &bs, err, sizeof(err)), -ENOEXEC);
	assert_non_null(strstr(err, "program headers"));
	gm_free(&gm);
}

static void test_elf64_long_mode(void **state)
{
	static uint8_t buf[8192];
	struct guest_mem gm;
	struct boot_state bs;
	size_t n = mk_elf64(buf, 0x200000, 64, 64);
	struct image img = img_of(buf, n);
	uint64_t *pml4, *pdpt, *pd;

	assert_int_equal(gm_alloc(&gm, 5ULL << 30), 0);
	assert_int_equal(load_elf(&gm, &img, &bs, err, sizeof(err)), 0);
	assert_int_equal(bs.mode, BOOT_LONG64);
	assert_int_equal(bs.cr3, BOOT_PT_ADDR);
	pml4 = gm_ptr(&gm, bs.cr3, 4096);
	pdpt = gm_ptr(&gm, pml4[0] & ~0xfffULL, 4096);
	assert_non_null(pdpt);
	/* 6 GiB top: six 1-GiB PDs, 2 MiB identity pages. */
	for (int g = 0; g < 6; g++) {
		pd = gm_ptr(&gm, pdpt[g] & ~0xfffULL, 4096);
		assert_non_null(pd);
		assert_int_equal(pd[0], ((uint64_t)g << 30) | 0x83);
		assert_int_equal(pd[511],
				 ((uint64_t)g << 30) + (511ULL << 21) + 0x83);
	}
	assert_int_equal(pdpt[6], 0);
	gm_free(&gm);
}

static void test_flat(void **state)
{
	static const uint8_t code[] = {0xf4};
	struct guest_mem gm;
	struct boot_state bs;
	struct image img = img_of(code, 1);
	struct load_opts o = {.path = "x.bin"};

	assert_int_equal(gm_alloc(&gm, 1 << 20), 0);
	assert_int_equal(load_flat(&gm, &img, &o, &bs, err, sizeof(err)), 0);
	assert_int_equal(bs.mode, BOOT_REAL16);
	assert_int_equal(bs.real_cs, 0);
	assert_int_equal(bs.rip, 0x7c00);
	assert_int_equal(bs.rsp, 0x7c00);
	assert_int_equal(bs.rdx, 0x80);
	o.load_addr_set = true;
	o.load_addr = 0x20000;
	assert_int_equal(load_flat(&gm, &img, &o, &bs, err, sizeof(err)), 0);
	assert_int_equal(bs.real_cs, 0x2000);
	assert_int_equal(bs.rip, 0);
	assert_int_equal(bs.real_ss * 16 + 0x10000, 0x20000);
	o.load_addr = 0x20001;
	assert_int_equal(load_flat(&gm, &img, &o, &bs, err, sizeof(err)),
			 -EINVAL);
	o.load_addr = 0xfffff;
	img.size = 2;
	assert_int_equal(load_flat(&gm, &img, &o, &bs, err, sizeof(err)),
			 -EINVAL);
	gm_free(&gm);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_multiboot(void **state)
{
	static uint8_t buf[16384];
	struct guest_mem gm;
	struct boot_state bs;
	struct load_opts o = {.path = "mb", .cmdline = "console=ttyS0 x"};
	uint32_t h[8] = {0x1BADB002, 0x00010003, 0,	   0x100000 + 4096,
			 0x100000,   0,		 0x180000, 0x100010};
	struct image img;
	const uint8_t *mbi, *mm;
	long off;

	h[2] = -(h[0] + h[1]);
	memset(buf, 0x90, sizeof(buf));
	memcpy(buf + 4096, h, sizeof(h));
	img = img_of(buf, sizeof(buf));
	off = multiboot_find(&img);
	assert_int_equal(off, 4096);
	/* A bad checksum is no header. */
	h[2]++;
	memcpy(buf + 4096, h, sizeof(h));
	assert_int_equal(multiboot_find(&img), -1);
	h[2]--;
	memcpy(buf + 4096, h, sizeof(h));

	assert_int_equal(gm_alloc(&gm, 64 << 20), 0);
	assert_int_equal(
	    load_multiboot(&gm, &img, off, &o, &bs, err, sizeof(err)), 0);
	assert_int_equal(bs.mode, BOOT_PROT32);
	assert_int_equal(bs.rax, 0x2BADB002);
	assert_int_equal(bs.rbx, BOOT_MBI_ADDR);
	assert_int_equal(bs.rip, 0x100010);
	/* Text = whole file from its start; bss zeroed to 0x180000. */
	assert_int_equal(*(uint8_t *)gm_ptr(&gm, 0x100000, 1), 0x90);
	assert_int_equal(*(uint8_t *)gm_ptr(&gm, 0x17ffff, 1), 0);
	mbi = gm_ptr(&gm, BOOT_MBI_ADDR, 0x100);
	assert_int_equal(rd32(mbi) & 0x245,
			 0x245); /* mem, cmdline, mmap, name */
	assert_int_equal(rd32(mbi + 4), 639);
	assert_int_equal(rd32(mbi + 8), (64 << 10) - 1024);
	assert_string_equal((char *)gm_ptr(&gm, rd32(mbi + 16), 1),
			    "console=ttyS0 x");
	assert_string_equal((char *)gm_ptr(&gm, rd32(mbi + 64), 1), "kvmini");
	mm = gm_ptr(&gm, rd32(mbi + 48), rd32(mbi + 44));
	assert_int_equal(rd32(mbi + 44), 4 * 24);
	/* Last entry: RAM from 1 MiB to the top. */
	assert_int_equal(rd32(mm + 3 * 24), 20);
	assert_int_equal(rd32(mm + 3 * 24 + 4), 0x100000);
	assert_int_equal(rd32(mm + 3 * 24 + 12), (64 << 20) - 0x100000);
	assert_int_equal(rd32(mm + 3 * 24 + 20), 1);

	/* No args: no cmdline flag. */
	o.cmdline = NULL;
	assert_int_equal(
	    load_multiboot(&gm, &img, off, &o, &bs, err, sizeof(err)), 0);
	assert_int_equal(rd32(mbi) & 4, 0);

	/* Required video mode: refused. */
	h[1] |= 4;
	h[2] = -(h[0] + h[1]);
	memcpy(buf + 4096, h, sizeof(h));
	assert_int_equal(
	    load_multiboot(&gm, &img, off, &o, &bs, err, sizeof(err)),
	    -ENOEXEC);
	assert_non_null(strstr(err, "video"));
	/* Header address before the file start. */
	h[1] &= ~4u;
	h[2] = -(h[0] + h[1]);
	h[3] = 0x100000 + 8192;
	memcpy(buf + 4096, h, sizeof(h));
	assert_int_equal(
	    load_multiboot(&gm, &img, off, &o, &bs, err, sizeof(err)),
	    -ENOEXEC);
	/* Load over the multiboot info block. */
	h[3] = 0x8000 + 4096;
	h[4] = 0x8000;
	h[6] = 0;
	memcpy(buf + 4096, h, sizeof(h));
	assert_int_equal(
	    load_multiboot(&gm, &img, off, &o, &bs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "multiboot information"));
	gm_free(&gm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gm_layout),
	    cmocka_unit_test(test_elf32_load),
	    cmocka_unit_test(test_elf_rejects),
	    cmocka_unit_test(test_elf64_long_mode),
	    cmocka_unit_test(test_flat),
	    cmocka_unit_test(test_multiboot),
	};

	return cmocka_run_group_tests_name("vmm_loader", tests, NULL, NULL);
}
