// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot v1 (the 0.6.96 spec): the header is a 4-byte aligned
 * {magic, flags, checksum} within the first 8192 bytes with
 * magic + flags + checksum == 0. Flag bit 16 says the address fields
 * (the "a.out kludge") describe the load; otherwise the image is ELF.
 * The OS is entered in 32-bit protected mode, paging off, EAX=0x2BADB002,
 * EBX=the multiboot information (mem_lower/mem_upper, the memory map, the
 * command line from "-- guest args", the boot loader name).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/loader/loader.h"

#define MB_MAGIC	 0x1BADB002u
#define MB_BOOT_MAGIC	 0x2BADB002u
#define MB_SEARCH	 8192
#define MB_F_PAGE_ALIGN	 (1u << 0)
#define MB_F_MEMINFO	 (1u << 1)
#define MB_F_VIDEO	 (1u << 2)
#define MB_F_AOUT_KLUDGE (1u << 16)
#define MB_SUPPORTED_REQ (MB_F_PAGE_ALIGN | MB_F_MEMINFO)

/* Information flags and field offsets of struct multiboot_info. */
#define MBI_F_MEM	 (1u << 0)
#define MBI_F_CMDLINE	 (1u << 2)
#define MBI_F_MMAP	 (1u << 6)
#define MBI_F_LOADER	 (1u << 9)
#define MBI_SIZE	 0x100
#define MBI_MMAP_ADDR	 (BOOT_MBI_ADDR + 0x100)
#define MBI_NAME_ADDR	 (BOOT_MBI_ADDR + 0x300)
#define MBI_CMDLINE_ADDR (BOOT_MBI_ADDR + 0x400)

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

long multiboot_find(const struct image *img)
{
	for (size_t off = 0; off + 12 <= img->size && off + 12 <= MB_SEARCH;
	     off += 4) {
		const uint8_t *h = img->data + off;

		if (get32(h) == MB_MAGIC &&
		    (uint32_t)(get32(h) + get32(h + 4) + get32(h + 8)) == 0)
			return off;
	}
	return -1;
}

/* The a.out kludge: the header's address fields say where the file goes. */
static int mb_load_kludge(struct guest_mem *gm, const struct image *img,
			  long off, const struct boot_reserved *rsv, int nrsv,
			  uint64_t *entry, char *err, size_t errlen)
{
	const uint8_t *h = img->data + off;
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t file_off, len, mem_end;
	int r;

	if ((uint64_t)off + 32 > img->size) {
		snprintf(err, errlen,
			 "multiboot '%s': header with address fields is "
			 "truncated",
			 img->path);
		return -ENOEXEC;
	}
	header_addr = get32(h + 12);
	load_addr = get32(h + 16);
	load_end = get32(h + 20);
	bss_end = get32(h + 24);
	*entry = get32(h + 28);
	if (header_addr < load_addr ||
	    header_addr - load_addr > (uint64_t)off) {
		snprintf(err, errlen,
			 "multiboot '%s': header_addr %#x / load_addr %#x "
			 "place the text before the start of the file",
			 img->path, header_addr, load_addr);
		return -ENOEXEC;
	}
	file_off = off - (header_addr - load_addr);
	if (load_end == 0) {
		len = img->size - file_off;
	} else if (load_end < load_addr ||
		   load_end - load_addr > img->size - file_off) {
		snprintf(err, errlen,
			 "multiboot '%s': load_end_addr %#x is outside the "
			 "file",
			 img->path, load_end);
		return -ENOEXEC;
	} else {
		len = load_end - load_addr;
	}
	mem_end = load_addr + len;
	if (bss_end) {
		if (bss_end < mem_end) {
			snprintf(err, errlen,
				 "multiboot '%s': bss_end_addr %#x is below "
				 "the end of the loaded text",
				 img->path, bss_end);
			return -ENOEXEC;
		}
		mem_end = bss_end;
	}
	r = boot_check_range(gm, load_addr, mem_end - load_addr, rsv, nrsv,
			     "multiboot image", err, errlen);
	if (r < 0)
		return r;
	memcpy(gm_ptr(gm, load_addr, len), img->data + file_off, len);
	memset(gm_ptr(gm, load_addr + len, mem_end - load_addr - len), 0,
	       mem_end - load_addr - len);
	return 0;
}

static void mb_mmap_entry(uint8_t **p, uint64_t base, uint64_t len,
			  uint32_t type)
{
	put32(*p, 20); /* size of the rest of the entry */
	put32(*p + 4, base);
	put32(*p + 8, base >> 32);
	put32(*p + 12, len);
	put32(*p + 16, len >> 32);
	put32(*p + 20, type);
	*p += 24;
}

static int mb_write_info(struct guest_mem *gm, const struct load_opts *o,
			 char *err, size_t errlen)
{
	uint8_t *mbi = gm_ptr(gm, BOOT_MBI_ADDR, BOOT_MBI_END - BOOT_MBI_ADDR);
	uint8_t *mm = mbi + (MBI_MMAP_ADDR - BOOT_MBI_ADDR), *p = mm;
	uint64_t low = gm_low_end(gm);
	uint32_t flags = MBI_F_MEM | MBI_F_MMAP | MBI_F_LOADER;
	size_t cmax = BOOT_MBI_END - MBI_CMDLINE_ADDR;

	memset(mbi, 0, BOOT_MBI_END - BOOT_MBI_ADDR);
	/* A PC's map: conventional memory, EBDA and BIOS holes, then RAM. */
	mb_mmap_entry(&p, 0, 0x9fc00, 1);
	mb_mmap_entry(&p, 0x9fc00, 0x400, 2);
	mb_mmap_entry(&p, 0xf0000, 0x10000, 2);
	if (low > 0x100000)
		mb_mmap_entry(&p, 0x100000, low - 0x100000, 1);
	if (gm_top(gm) > GM_HOLE_END)
		mb_mmap_entry(&p, GM_HOLE_END, gm_top(gm) - GM_HOLE_END, 1);
	put32(mbi + 4, 0x9fc00 >> 10); /* mem_lower */
	put32(mbi + 8,
	      low > 0x100000 ? (low - 0x100000) >> 10 : 0); /* mem_upper */
	put32(mbi + 44, p - mm);			    /* mmap_length */
	put32(mbi + 48, MBI_MMAP_ADDR);
	memcpy(mbi + (MBI_NAME_ADDR - BOOT_MBI_ADDR), "kvmini", 7);
	put32(mbi + 64, MBI_NAME_ADDR);
	if (o->cmdline) {
		if (strlen(o->cmdline) >= cmax) {
			snprintf(err, errlen,
				 "multiboot: guest command line is %zu bytes, "
				 "the limit is %zu",
				 strlen(o->cmdline), cmax - 1);
			return -E2BIG;
		}
		strcpy((char *)mbi + (MBI_CMDLINE_ADDR - BOOT_MBI_ADDR),
		       o->cmdline);
		put32(mbi + 16, MBI_CMDLINE_ADDR);
		flags |= MBI_F_CMDLINE;
	}
	put32(mbi, flags);
	return 0;
}

int load_multiboot(struct guest_mem *gm, const struct image *img, long off,
		   const struct load_opts *o, struct boot_state *bs, char *err,
		   size_t errlen)
{
	static const struct boot_reserved rsv[] = {
	    {BOOT_GDT_ADDR, BOOT_GDT_ADDR + BOOT_GDT_SIZE, "GDT"},
	    {BOOT_MBI_ADDR, BOOT_MBI_END, "multiboot information"},
	};
	uint32_t flags = get32(img->data + off + 4);
	uint32_t unknown = flags & 0xffff & ~MB_SUPPORTED_REQ;
	uint64_t entry;
	int r, cls;

	if (unknown) {
		snprintf(err, errlen,
			 "multiboot '%s': requires features kvmini does not "
			 "provide (flags %#x%s)",
			 img->path, unknown,
			 (unknown & MB_F_VIDEO) ? ": a video mode" : "");
		return -ENOEXEC;
	}
	if (flags & MB_F_AOUT_KLUDGE) {
		r = mb_load_kludge(gm, img, off, rsv, 2, &entry, err, errlen);
	} else if (elf_probe(img)) {
		r = elf_load_segments(gm, img, rsv, 2, &entry, &cls, err,
				      errlen);
	} else {
		snprintf(err, errlen,
			 "multiboot '%s': not ELF and no address fields "
			 "(flag bit 16)",
			 img->path);
		r = -ENOEXEC;
	}
	if (r < 0)
		return r;
	if (entry > 0xffffffffULL || !gm_is_ram(gm, entry, 1)) {
		snprintf(err, errlen,
			 "multiboot '%s': entry point %#" PRIx64 " is not in "
			 "guest RAM below 4 GiB",
			 img->path, entry);
		return -ENOEXEC;
	}
	r = mb_write_info(gm, o, err, errlen);
	if (r < 0)
		return r;
	boot_setup_gdt(gm, bs);
	bs->format = "multiboot";
	bs->mode = BOOT_PROT32;
	bs->rip = entry;
	bs->rax = MB_BOOT_MAGIC;
	bs->rbx = BOOT_MBI_ADDR;
	bs->rsp = BOOT_STACK_TOP; /* the spec leaves ESP undefined */
	return 0;
}
