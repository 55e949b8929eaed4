// SPDX-License-Identifier: GPL-2.0
/* The x86 state the loaders leave in guest memory: a GDT, page tables. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/loader/loader.h"

void boot_setup_gdt(struct guest_mem *gm, struct boot_state *bs)
{
	/* Flat 4 GiB descriptors: base 0, limit 0xfffff, G=1. */
	static const uint64_t gdt[BOOT_GDT_SIZE / 8] = {
	    0, 0x00cf9a000000ffffULL, /* 0x08: code, 32-bit (D=1) */
	    0x00cf92000000ffffULL,    /* 0x10: data, read/write */
	    0x00af9a000000ffffULL,    /* 0x18: code, 64-bit (L=1) */
	};
	uint8_t *p = gm_ptr(gm, BOOT_GDT_ADDR, sizeof(gdt));

	if (p) /* RAM is at least 1 MiB, so this always holds */
		memcpy(p, gdt, sizeof(gdt));
	bs->gdt_base = BOOT_GDT_ADDR;
	bs->gdt_limit = sizeof(gdt) - 1;
}

int boot_setup_long_mode(struct guest_mem *gm, struct boot_state *bs,
			 uint64_t *pt_end)
{
	uint64_t top = gm_top(gm) > GM_HOLE_END ? gm_top(gm) : GM_HOLE_END;
	uint64_t npd = (top + (1ULL << 30) - 1) >> 30; /* one PD per GiB */
	uint64_t npdpt = (npd + 511) / 512;
	uint64_t pages = 1 + npdpt + npd;
	uint64_t pml4 = BOOT_PT_ADDR, pdpt = pml4 + 0x1000;
	uint64_t pd = pdpt + npdpt * 0x1000;
	uint64_t *e;

	*pt_end = BOOT_PT_ADDR + pages * 0x1000;
	if (npdpt > 512 || *pt_end > 0x9f000 ||
	    !gm_is_ram(gm, BOOT_PT_ADDR, pages * 0x1000))
		return -ENOSPC;
	memset(gm_ptr(gm, BOOT_PT_ADDR, pages * 0x1000), 0, pages * 0x1000);
	e = gm_ptr(gm, pml4, 0x1000);
	for (uint64_t i = 0; i < npdpt; i++)
		e[i] = (pdpt + i * 0x1000) | 0x3; /* P | RW */
	e = gm_ptr(gm, pdpt, npdpt * 0x1000);
	for (uint64_t i = 0; i < npd; i++)
		e[i] = (pd + i * 0x1000) | 0x3;
	e = gm_ptr(gm, pd, npd * 0x1000);
	for (uint64_t i = 0; i < npd * 512; i++)
		e[i] = (i << 21) | 0x83; /* P | RW | PS: 2 MiB page */
	bs->cr3 = pml4;
	return 0;
}

int boot_check_range(const struct guest_mem *gm, uint64_t gpa, uint64_t len,
		     const struct boot_reserved *rsv, int nrsv,
		     const char *what, char *err, size_t errlen)
{
	uint64_t end = gpa + len;

	if (!len)
		return 0;
	if (end < gpa) {
		snprintf(err, errlen, "%s: address range wraps around", what);
		return -EINVAL;
	}
	if (gm_in_hole(gpa, len)) {
		snprintf(err, errlen,
			 "%s [%#" PRIx64 "-%#" PRIx64 ") overlaps the MMIO "
			 "hole [%#llx-%#llx)",
			 what, gpa, end, GM_HOLE_START, GM_HOLE_END);
		return -EINVAL;
	}
	if (!gm_is_ram(gm, gpa, len)) {
		snprintf(err, errlen,
			 "%s [%#" PRIx64 "-%#" PRIx64 ") lies outside guest "
			 "RAM (%" PRIu64 " MiB); try a larger --mem",
			 what, gpa, end, gm->ram_size >> 20);
		return -E2BIG;
	}
	for (int i = 0; i < nrsv; i++) {
		if (gpa < rsv[i].end && rsv[i].start < end) {
			snprintf(err, errlen,
				 "%s [%#" PRIx64 "-%#" PRIx64 ") overlaps the "
				 "%s kvmini places at [%#" PRIx64 "-%#" PRIx64
				 ")",
				 what, gpa, end, rsv[i].name, rsv[i].start,
				 rsv[i].end);
			return -EINVAL;
		}
	}
	return 0;
}
