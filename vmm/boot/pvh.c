// SPDX-License-Identifier: GPL-2.0
/*
 * PVH boot of an uncompressed vmlinux ELF: the kernel's
 * XEN_ELFNOTE_PHYS32_ENTRY note gives a 32-bit entry point that expects
 * flat protected mode, paging off, and EBX = struct hvm_start_info (magic,
 * command line, modules for the initrd, memory map). No real-mode setup,
 * no decompressor: the cheapest way into Linux for a software CPU.
 *
 * Guest-physical layout: as for bzImage (linux.h), with hvm_start_info in
 * place of the zero page: start_info at 0x7000, the module list at 0x7040,
 * the memory map at 0x7080.
 */
#include "vmm/boot/linux.h"

#include <string.h>

#include "vmm/boot/util.h"

#define EI_CLASS		 4
#define EI_DATA			 5
#define ELFCLASS64		 2
#define ELFDATA2LSB		 1
#define ET_EXEC			 2
#define EM_X86_64		 62
#define PT_LOAD			 1
#define PT_NOTE			 4
#define EHDR64_SIZE		 64
#define PHDR64_SIZE		 56
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define HVM_START_MAGIC 0x336ec578u
#define START_INFO_ADDR LINUX_ZERO_PAGE_ADDR
#define MODLIST_ADDR	(START_INFO_ADDR + 0x40)
#define MEMMAP_ADDR	(START_INFO_ADDR + 0x80)
/* x86 COMMAND_LINE_SIZE is 2048: the PVH entry copies at most that. */
#define PVH_CMDLINE_LIMIT 2047

/* True if [off, off+n) lies inside a buffer of len bytes. */
static bool in_file(uint64_t off, uint64_t n, size_t len)
{
	return off <= len && n <= len - off;
}

/* Walks the notes of one PT_NOTE segment for the PVH entry. */
static bool find_pvh_note(const uint8_t *k, uint64_t off, uint64_t size,
			  uint64_t *entry)
{
	uint64_t p = 0;

	while (size - p >= 12) {
		uint32_t namesz = rd32(k + off + p);
		uint32_t descsz = rd32(k + off + p + 4);
		uint32_t type = rd32(k + off + p + 8);
		uint64_t name = p + 12;
		uint64_t desc = name + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ull);

		if (next > size)
			return false;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    !memcmp(k + off + name, "Xen", 4)) {
			if (descsz == 4)
				*entry = rd32(k + off + desc);
			else if (descsz == 8)
				*entry = rd64(k + off + desc);
			else
				return false;
			return true;
		}
		p = next;
	}
	return false;
}

int linux_load_pvh(const struct linux_load_args *in, struct linux_boot *out,
		   char *err, size_t errlen)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;
	uint64_t phoff, entry = 0, lo = UINT64_MAX, hi = 0, copied = 0;
	uint16_t phentsize, phnum, i;
	bool have_entry = false;
	uint8_t *si, *ml, *mm;
	int r;

	if (len < EHDR64_SIZE)
		return fail(err, errlen, LINUX_E_ELF,
			    "pvh: ELF truncated at %zu bytes, inside the ELF "
			    "header",
			    len);
	if (k[EI_CLASS] != ELFCLASS64 || k[EI_DATA] != ELFDATA2LSB ||
	    rd16(k + 16) != ET_EXEC || rd16(k + 18) != EM_X86_64)
		return fail(err, errlen, LINUX_E_ELF,
			    "pvh: not a little-endian x86-64 ELF executable");
	phoff = rd64(k + 32);
	phentsize = rd16(k + 54);
	phnum = rd16(k + 56);
	if (phentsize < PHDR64_SIZE || !phnum ||
	    !in_file(phoff, (uint64_t)phentsize * phnum, len))
		return fail(err, errlen, LINUX_E_ELF,
			    "pvh: program headers (%u x %u at %#llx) are not "
			    "inside the %zu-byte file",
			    phnum, phentsize, (unsigned long long)phoff, len);

	for (i = 0; i < phnum && !have_entry; i++) {
		const uint8_t *ph = k + phoff + (uint64_t)i * phentsize;
		uint64_t off = rd64(ph + 8), filesz = rd64(ph + 32);

		if (rd32(ph) != PT_NOTE)
			continue;
		if (!in_file(off, filesz, len))
			return fail(err, errlen, LINUX_E_ELF,
				    "pvh: note segment %u is outside the file",
				    i);
		have_entry = find_pvh_note(k, off, filesz, &entry);
	}
	if (!have_entry)
		return fail(err, errlen, LINUX_E_NO_PVH,
			    "pvh: no XEN_ELFNOTE_PHYS32_ENTRY note: the kernel "
			    "was built without CONFIG_PVH");
	if (entry < 0x100000 || entry >= 0x100000000ull)
		return fail(err, errlen, LINUX_E_ELF,
			    "pvh: entry point %#llx is not in 1 MiB..4 GiB",
			    (unsigned long long)entry);

	/* First pass: validate every PT_LOAD before writing any. */
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = k + phoff + (uint64_t)i * phentsize;
		uint64_t off = rd64(ph + 8), pa = rd64(ph + 24);
		uint64_t filesz = rd64(ph + 32), memsz = rd64(ph + 40);

		if (rd32(ph) != PT_LOAD || !memsz)
			continue;
		if (filesz > memsz || !in_file(off, filesz, len))
			return fail(err, errlen, LINUX_E_ELF,
				    "pvh: load segment %u (offset %#llx, "
				    "filesz %#llx, memsz %#llx) is malformed "
				    "or truncated",
				    i, (unsigned long long)off,
				    (unsigned long long)filesz,
				    (unsigned long long)memsz);
		/* Below 1 MiB are the boot structures and BIOS areas. */
		if (pa < 0x100000 || !linux_gpa(in, pa, memsz))
			return fail(err, errlen, LINUX_E_KERNEL_FIT,
				    "pvh: segment %u at %#llx+%#llx is not in "
				    "guest RAM above 1 MiB",
				    i, (unsigned long long)pa,
				    (unsigned long long)memsz);
		if (pa < lo)
			lo = pa;
		if (pa + memsz > hi)
			hi = pa + memsz;
	}
	if (hi == 0)
		return fail(err, errlen, LINUX_E_ELF,
			    "pvh: no loadable segment");
	if (entry < lo || entry >= hi)
		return fail(err, errlen, LINUX_E_ELF,
			    "pvh: entry %#llx is outside the loaded image "
			    "%#llx..%#llx",
			    (unsigned long long)entry, (unsigned long long)lo,
			    (unsigned long long)hi);

	r = linux_place_cmdline(in, PVH_CMDLINE_LIMIT, out, err, errlen);
	if (r)
		return r;
	r = linux_place_initrd(in, linux_low_top(in), (hi + 0xfff) & ~0xfffull,
			       out, err, errlen);
	if (r)
		return r;

	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = k + phoff + (uint64_t)i * phentsize;
		uint64_t off = rd64(ph + 8), pa = rd64(ph + 24);
		uint64_t filesz = rd64(ph + 32), memsz = rd64(ph + 40);
		uint8_t *dst;

		if (rd32(ph) != PT_LOAD || !memsz)
			continue;
		dst = linux_gpa(in, pa, memsz);
		memcpy(dst, k + off, filesz);
		memset(dst + filesz, 0, memsz - filesz);
		copied += filesz;
	}
	out->kernel_addr = lo;
	out->kernel_size = copied;
	out->kernel_extent = hi - lo;

	/* struct hvm_start_info (version 1), its module list and memory map */
	si = linux_gpa(in, START_INFO_ADDR, 0x1000);
	if (!si)
		return fail(err, errlen, LINUX_E_MEM_SMALL,
			    "pvh: no RAM for hvm_start_info");
	memset(si, 0, 0x1000);
	ml = si + (MODLIST_ADDR - START_INFO_ADDR);
	mm = si + (MEMMAP_ADDR - START_INFO_ADDR);
	wr32(si + 0, HVM_START_MAGIC);
	wr32(si + 4, 1); /* version: has memmap */
	wr32(si + 8, 0); /* flags */
	if (out->initrd_size) {
		wr32(si + 12, 1); /* nr_modules */
		wr64(si + 16, MODLIST_ADDR);
		wr64(ml + 0, out->initrd_addr);
		wr64(ml + 8, out->initrd_size);
	}
	wr64(si + 24, out->cmdline_addr);
	wr64(si + 32, in->acpi_rsdp); /* 0: the kernel scans for it */
	out->e820_entries = linux_build_e820(in, out->e820, LINUX_E820_MAX);
	wr64(si + 40, MEMMAP_ADDR);
	wr32(si + 48, out->e820_entries);
	for (unsigned int e = 0; e < out->e820_entries; e++) {
		wr64(mm + 24 * e, out->e820[e].addr);
		wr64(mm + 24 * e + 8, out->e820[e].size);
		wr32(mm + 24 * e + 16, out->e820[e].type);
	}
	out->boot_info_addr = START_INFO_ADDR;

	r = linux_build_gdt_pt(in, false, err, errlen);
	if (r)
		return r;
	linux_flat_sregs(&out->sregs, 0);
	memset(&out->regs, 0, sizeof(out->regs));
	out->regs.rip = entry;
	out->regs.rbx = START_INFO_ADDR;
	out->regs.rflags = 0x2;
	out->mode = LINUX_ENTRY_PVH32;
	return 0;
}
