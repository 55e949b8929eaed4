/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Image loaders. Each one copies an image into guest RAM and describes the
 * CPU state the image must be entered in (struct boot_state); the VM then
 * applies that state with KVM_SET_SREGS/KVM_SET_REGS.
 *
 * Formats, detected in this order:
 *   multiboot v1   header (magic 0x1BADB002 + valid checksum) in the first
 *                  8 KiB; ELF32 or a.out-kludge address fields. Entered as
 *                  the spec says: 32-bit protected mode, paging off,
 *                  EAX=0x2BADB002, EBX=multiboot info.
 *   ELF32 (i386)   PT_LOAD at p_paddr, 32-bit flat protected mode, paging off.
 *   ELF64 (x86-64) PT_LOAD at p_paddr, 64-bit long mode, identity-mapped
 *                  page tables (2 MiB pages) covering 0..max(4 GiB, RAM top).
 *   Linux          a bzImage (64-bit boot protocol), or a vmlinux ELF with a
 *                  PVH entry note: vmm/boot/linux.h does the work; the
 *                  guest args become the kernel command line, --initrd
 *                  the initramfs.
 *   flat binary    only when asked for: --flat, or a ".bin" file name. Real
 *                  mode at --load-addr (default 0x7c00) like a BIOS boot
 *                  sector. Anything else is an error naming these formats.
 *
 * Low memory the loaders own (an image overlapping it is refused):
 *   0x0500 GDT (0x08 code32, 0x10 data, 0x18 code64)    ELF, multiboot
 *   0x7000 initial stack top (grows down)               ELF, multiboot
 *   0x8000-0x9fff multiboot info, memory map, cmdline   multiboot
 *   0x10000- long-mode page tables                      ELF64
 */
#ifndef KVMINI_VMM_LOADER_LOADER_H
#define KVMINI_VMM_LOADER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

#define BOOT_GDT_ADDR	  0x500
#define BOOT_GDT_SIZE	  32
#define BOOT_SEL_CODE32	  0x08
#define BOOT_SEL_DATA	  0x10
#define BOOT_SEL_CODE64	  0x18
#define BOOT_STACK_TOP	  0x7000
#define BOOT_MBI_ADDR	  0x8000
#define BOOT_MBI_END	  0xa000
#define BOOT_PT_ADDR	  0x10000
#define BOOT_FLAT_DEFAULT 0x7c00

enum boot_mode {
	BOOT_REAL16,
	BOOT_PROT32,
	BOOT_LONG64,
	BOOT_LINUX, /* registers and segments from vmm/boot/linux.h */
};

struct linux_boot;

struct boot_state {
	const char *format; /* "flat", "elf32", "elf64", "multiboot" */
	enum boot_mode mode;
	uint64_t rip, rsp;
	uint64_t rax, rbx, rdx, rsi;
	uint16_t real_cs, real_ss; /* BOOT_REAL16: segment values */
	uint64_t cr3;		   /* BOOT_LONG64: the PML4 */
	uint64_t gdt_base;	   /* PROT32/LONG64 */
	uint16_t gdt_limit;
	struct linux_boot *lboot; /* BOOT_LINUX; freed by boot_state_free() */
};

void boot_state_free(struct boot_state *bs);

struct load_opts {
	const char *path;
	bool flat;	    /* --flat */
	bool load_addr_set; /* --load-addr given */
	uint64_t load_addr;
	const char *cmdline; /* "-- guest args", joined; may be NULL */
	const char *initrd;  /* --initrd, Linux only; may be NULL */
};

/* The image in host memory. */
struct image {
	const char *path;
	const uint8_t *data;
	size_t size;
};

/* Reads, detects and loads. -errno with a one-line reason in err. */
int vmm_load_image(struct guest_mem *gm, const struct load_opts *o,
		   struct boot_state *bs, char *err, size_t errlen);

/* Reads a whole file, refusing files larger than max. -errno. */
int image_read(const char *path, uint64_t max, struct image *img, char *err,
	       size_t errlen);
void image_free(struct image *img);

/* Known formats, for messages. */
#define LOADER_KNOWN_FORMATS                                                   \
	"multiboot v1 (header in the first 8 KiB), ELF32 (i386), "             \
	"ELF64 (x86-64), flat binary (--flat or a .bin file name)"

int load_flat(struct guest_mem *gm, const struct image *img,
	      const struct load_opts *o, struct boot_state *bs, char *err,
	      size_t errlen);
bool elf_probe(const struct image *img);
struct boot_reserved;
/* Validates the ELF headers and copies PT_LOAD segments to p_paddr. */
int elf_load_segments(struct guest_mem *gm, const struct image *img,
		      const struct boot_reserved *rsv, int nrsv,
		      uint64_t *entry, int *elf_class, char *err,
		      size_t errlen);
int load_elf(struct guest_mem *gm, const struct image *img,
	     struct boot_state *bs, char *err, size_t errlen);
/* Offset of a valid multiboot header, or -1. */
long multiboot_find(const struct image *img);
int load_multiboot(struct guest_mem *gm, const struct image *img, long hdr_off,
		   const struct load_opts *o, struct boot_state *bs, char *err,
		   size_t errlen);

/*
 * Linux (linux_glue.c). ELF images are offered to the PVH loader first;
 * -ENOENT means "not a PVH kernel": load it as a plain ELF.
 */
int load_linux(struct guest_mem *gm, const struct image *img,
	       const struct load_opts *o, struct boot_state *bs, char *err,
	       size_t errlen);

/* x86 set-up shared by the loaders (x86_setup.c). */
void boot_setup_gdt(struct guest_mem *gm, struct boot_state *bs);
/* Builds identity page tables; -ENOSPC if they do not fit below 640 KiB. */
int boot_setup_long_mode(struct guest_mem *gm, struct boot_state *bs,
			 uint64_t *pt_end);
struct boot_reserved {
	uint64_t start, end;
	const char *name;
};
/*
 * Checks that [gpa, gpa+len) is RAM and avoids the ranges the loader owns;
 * explains in err. what names the thing ("ELF segment 2", "image").
 */
int boot_check_range(const struct guest_mem *gm, uint64_t gpa, uint64_t len,
		     const struct boot_reserved *rsv, int nrsv,
		     const char *what, char *err, size_t errlen);

#endif
