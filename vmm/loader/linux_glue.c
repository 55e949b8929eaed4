// SPDX-License-Identifier: GPL-2.0
/* Linux kernels: the monitor's side of vmm/boot/linux.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/linux.h"
#include "vmm/loader/loader.h"

void boot_state_free(struct boot_state *bs)
{
	free(bs->lboot);
	bs->lboot = NULL;
}

int load_linux(struct guest_mem *gm, const struct image *img,
	       const struct load_opts *o, struct boot_state *bs, char *err,
	       size_t errlen)
{
	struct linux_load_args in = {
	    .mem = gm->base,
	    .mem_size = gm->ram_size,
	    .pci_hole_start = GM_HOLE_START,
	    .kernel = img->data,
	    .kernel_len = img->size,
	    .cmdline = o->cmdline,
	};
	struct image initrd = {0};
	struct linux_boot *lb;
	char why[384];
	int r;

	/* Only 64-bit ELFs can be PVH kernels: leave the others alone. */
	if (img->data[0] == 0x7f && (img->size < 5 || img->data[4] != 2))
		return -ENOENT;
	lb = calloc(1, sizeof(*lb));
	if (!lb)
		return -ENOMEM;
	if (o->initrd) {
		r = image_read(o->initrd, gm->ram_size, &initrd, why,
			       sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "--initrd: %s", why);
			free(lb);
			return r;
		}
		in.initrd = initrd.data;
		in.initrd_len = initrd.size;
	}
	r = linux_load(&in, lb, why, sizeof(why));
	image_free(&initrd);
	if (r == -LINUX_E_NO_PVH || (r == -LINUX_E_ELF && !o->initrd)) {
		/* An ordinary ELF: the plain ELF loader takes it. */
		free(lb);
		return -ENOENT;
	}
	if (r < 0) {
		snprintf(err, errlen, "Linux kernel '%s': %s (%s)", o->path,
			 why, linux_load_strerror(-r));
		free(lb);
		return -ENOEXEC;
	}
	bs->format = lb->mode == LINUX_ENTRY_PVH32 ? "linux-pvh" : "bzimage";
	bs->mode = BOOT_LINUX;
	bs->lboot = lb;
	bs->rip = lb->regs.rip;
	return 0;
}
