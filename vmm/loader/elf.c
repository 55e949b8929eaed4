// SPDX-License-Identifier: GPL-2.0
/*
 * ELF32 (i386) and ELF64 (x86-64) executables. Segments go to p_paddr
 * (paging is off, or identity-mapped, at entry). ELF32 is entered in flat
 * 32-bit protected mode with paging off; ELF64 in long mode on identity
 * page tables that cover RAM, with flat segments (CS=0x18, others 0x10).
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/loader/loader.h"

bool elf_probe(const struct image *img)
{
	return img->size >= EI_NIDENT && !memcmp(img->data, ELFMAG, SELFMAG);
}

/* One program header, widened to 64 bits. */
struct elf_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static int elf_header(const struct image *img, int *cls, uint64_t *entry,
		      uint64_t *phoff, unsigned *phnum, unsigned *phentsize,
		      char *err, size_t errlen)
{
	const uint8_t *id = img->data;
	const char *p = img->path;

	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) {
		snprintf(err, errlen, "ELF '%s': bad class %u", p,
			 id[EI_CLASS]);
		return -ENOEXEC;
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "ELF '%s': not little-endian", p);
		return -ENOEXEC;
	}
	*cls = id[EI_CLASS] == ELFCLASS32 ? 32 : 64;
	if (*cls == 32) {
		Elf32_Ehdr eh;

		if (img->size < sizeof(eh))
			goto truncated;
		memcpy(&eh, img->data, sizeof(eh));
		if (eh.e_machine != EM_386) {
			snprintf(err, errlen,
				 "ELF32 '%s': machine %u is not i386", p,
				 eh.e_machine);
			return -ENOEXEC;
		}
		if (eh.e_type != ET_EXEC) {
			snprintf(err, errlen,
				 "ELF32 '%s': not an executable (e_type %u)", p,
				 eh.e_type);
			return -ENOEXEC;
		}
		*entry = eh.e_entry;
		*phoff = eh.e_phoff;
		*phnum = eh.e_phnum;
		*phentsize = eh.e_phentsize;
		if (*phentsize != sizeof(Elf32_Phdr))
			goto bad_phentsize;
	} else {
		Elf64_Ehdr eh;

		if (img->size < sizeof(eh))
			goto truncated;
		memcpy(&eh, img->data, sizeof(eh));
		if (eh.e_machine != EM_X86_64) {
			snprintf(err, errlen,
				 "ELF64 '%s': machine %u is not x86-64", p,
				 eh.e_machine);
			return -ENOEXEC;
		}
		if (eh.e_type != ET_EXEC) {
			snprintf(err, errlen,
				 "ELF64 '%s': not an executable (e_type %u)", p,
				 eh.e_type);
			return -ENOEXEC;
		}
		*entry = eh.e_entry;
		*phoff = eh.e_phoff;
		*phnum = eh.e_phnum;
		*phentsize = eh.e_phentsize;
		if (*phentsize != sizeof(Elf64_Phdr))
			goto bad_phentsize;
	}
	if (*phnum == 0 || *phoff > img->size ||
	    (uint64_t)*phnum * *phentsize > img->size - *phoff) {
		snprintf(err, errlen,
			 "ELF '%s': program headers (%u at offset %#" PRIx64
			 ") lie outside the %zu-byte file",
			 p, *phnum, *phoff, img->size);
		return -ENOEXEC;
	}
	return 0;
truncated:
	snprintf(err, errlen, "ELF '%s': truncated header (%zu bytes)", p,
		 img->size);
	return -ENOEXEC;
bad_phentsize:
	snprintf(err, errlen, "ELF '%s': bad program header size %u", p,
		 *phentsize);
	return -ENOEXEC;
}

static void elf_get_seg(const struct image *img, int cls, uint64_t off,
			struct elf_seg *s)
{
	if (cls == 32) {
		Elf32_Phdr ph;

		memcpy(&ph, img->data + off, sizeof(ph));
		*s = (struct elf_seg){ph.p_type, ph.p_offset, ph.p_paddr,
				      ph.p_filesz, ph.p_memsz};
	} else {
		Elf64_Phdr ph;

		memcpy(&ph, img->data + off, sizeof(ph));
		*s = (struct elf_seg){ph.p_type, ph.p_offset, ph.p_paddr,
				      ph.p_filesz, ph.p_memsz};
	}
}

int elf_load_segments(struct guest_mem *gm, const struct image *img,
		      const struct boot_reserved *rsv, int nrsv,
		      uint64_t *entry, int *cls, char *err, size_t errlen)
{
	uint64_t phoff;
	unsigned phnum, phentsize, nload = 0;
	char what[64];
	int r;

	r = elf_header(img, cls, entry, &phoff, &phnum, &phentsize, err,
		       errlen);
	if (r < 0)
		return r;
	/* Validate everything before writing anything. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < phnum; i++) {
			struct elf_seg s;

			elf_get_seg(img, *cls, phoff + (uint64_t)i * phentsize,
				    &s);
			if (s.type != PT_LOAD || !s.memsz)
				continue;
			if (pass == 1) {
				uint8_t *dst = gm_ptr(gm, s.paddr, s.memsz);

				memcpy(dst, img->data + s.offset, s.filesz);
				memset(dst + s.filesz, 0, s.memsz - s.filesz);
				continue;
			}
			snprintf(what, sizeof(what), "ELF segment %u", i);
			if (s.offset > img->size ||
			    s.filesz > img->size - s.offset) {
				snprintf(err, errlen,
					 "ELF '%s': %s (offset %#" PRIx64
					 ", %" PRIu64 " bytes) lies outside "
					 "the %zu-byte file (truncated?)",
					 img->path, what, s.offset, s.filesz,
					 img->size);
				return -ENOEXEC;
			}
			if (s.filesz > s.memsz) {
				snprintf(err, errlen,
					 "ELF '%s': %s has p_filesz > p_memsz",
					 img->path, what);
				return -ENOEXEC;
			}
			r = boot_check_range(gm, s.paddr, s.memsz, rsv, nrsv,
					     what, err, errlen);
			if (r < 0)
				return r;
			nload++;
		}
		if (!nload) {
			snprintf(err, errlen, "ELF '%s': no loadable segment",
				 img->path);
			return -ENOEXEC;
		}
	}
	return 0;
}

int load_elf(struct guest_mem *gm, const struct image *img,
	     struct boot_state *bs, char *err, size_t errlen)
{
	struct boot_reserved rsv[2] = {
	    {BOOT_GDT_ADDR, BOOT_GDT_ADDR + BOOT_GDT_SIZE, "GDT"},
	};
	uint64_t entry, pt_end = BOOT_PT_ADDR;
	int cls, r, nrsv = 1;

	/* The page tables' extent depends on RAM only: know it up front. */
	if (img->size > EI_CLASS && img->data[EI_CLASS] == ELFCLASS64) {
		uint64_t top =
		    gm_top(gm) > GM_HOLE_END ? gm_top(gm) : GM_HOLE_END;
		uint64_t npd = (top + (1ULL << 30) - 1) >> 30;

		pt_end = BOOT_PT_ADDR + (1 + (npd + 511) / 512 + npd) * 0x1000;
		rsv[nrsv++] =
		    (struct boot_reserved){BOOT_PT_ADDR, pt_end, "page tables"};
	}
	r = elf_load_segments(gm, img, rsv, nrsv, &entry, &cls, err, errlen);
	if (r < 0)
		return r;
	if (!gm_is_ram(gm, entry, 1)) {
		snprintf(err, errlen,
			 "ELF '%s': entry point %#" PRIx64 " is not in guest "
			 "RAM (kvmini maps RAM 1:1)",
			 img->path, entry);
		return -ENOEXEC;
	}
	boot_setup_gdt(gm, bs);
	bs->rip = entry;
	bs->rsp = BOOT_STACK_TOP;
	if (cls == 32) {
		bs->format = "elf32";
		bs->mode = BOOT_PROT32;
		return 0;
	}
	bs->format = "elf64";
	bs->mode = BOOT_LONG64;
	r = boot_setup_long_mode(gm, bs, &pt_end);
	if (r < 0)
		snprintf(err, errlen,
			 "ELF64 '%s': no room for page tables below 640 KiB",
			 img->path);
	return r;
}
