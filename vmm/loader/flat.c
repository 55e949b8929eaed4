// SPDX-License-Identifier: GPL-2.0
/*
 * Flat binaries, entered in real mode like a BIOS boot sector: loaded at
 * the load address A (default 0x7c00), CS:IP = 0:A (A < 64 KiB) or
 * A>>4:0 (A >= 64 KiB, 16-byte aligned), the stack just below A, DL=0x80.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/loader/loader.h"

int load_flat(struct guest_mem *gm, const struct image *img,
	      const struct load_opts *o, struct boot_state *bs, char *err,
	      size_t errlen)
{
	uint64_t a = o->load_addr_set ? o->load_addr : BOOT_FLAT_DEFAULT;

	if (a >= 0x100000) {
		snprintf(err, errlen,
			 "flat binary: load address %#" PRIx64 " is above "
			 "1 MiB, out of real mode's reach",
			 a);
		return -EINVAL;
	}
	if (a >= 0x10000 && (a & 0xf)) {
		snprintf(err, errlen,
			 "flat binary: a load address above 64 KiB must be "
			 "16-byte aligned (got %#" PRIx64 ")",
			 a);
		return -EINVAL;
	}
	if (img->size > gm->ram_size || !gm_is_ram(gm, a, img->size)) {
		snprintf(err, errlen,
			 "flat binary '%s' (%zu bytes at %#" PRIx64 ") is "
			 "larger than guest memory (%" PRIu64 " MiB); try a "
			 "larger --mem",
			 img->path, img->size, a, gm->ram_size >> 20);
		return -E2BIG;
	}
	memcpy(gm_ptr(gm, a, img->size), img->data, img->size);
	bs->format = "flat";
	bs->mode = BOOT_REAL16;
	if (a < 0x10000) {
		bs->real_cs = 0;
		bs->rip = a;
		bs->real_ss = 0;
		bs->rsp = a;
	} else {
		bs->real_cs = a >> 4;
		bs->rip = 0;
		bs->real_ss = (a >> 4) - 0x1000;
		bs->rsp = 0; /* SS:0 - 2 wraps to just below A */
	}
	bs->rdx = 0x80; /* the BIOS passes the boot drive in DL */
	return 0;
}
