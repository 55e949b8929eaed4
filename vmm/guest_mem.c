// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/guest_mem.h"

int gm_alloc(struct guest_mem *gm, uint64_t ram_size)
{
	uint64_t low;
	void *p;

	memset(gm, 0, sizeof(*gm));
	if (ram_size < GM_MIN_SIZE || ram_size > GM_MAX_SIZE ||
	    (ram_size & 0xfff))
		return -EINVAL;
	/* NORESERVE: pages are only committed when the guest touches them. */
	p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	gm->base = p;
	gm->ram_size = ram_size;
	low = ram_size < GM_HOLE_START ? ram_size : GM_HOLE_START;
	gm->slot[0] = (struct gm_slot){.gpa = 0, .size = low, .hva = p};
	gm->nslots = 1;
	if (ram_size > low) {
		gm->slot[1] = (struct gm_slot){.gpa = GM_HOLE_END,
					       .size = ram_size - low,
					       .hva = gm->base + low};
		gm->nslots = 2;
	}
	return 0;
}

void gm_free(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->ram_size);
	memset(gm, 0, sizeof(*gm));
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < gm->nslots; i++) {
		const struct gm_slot *s = &gm->slot[i];

		/* Written so that no sum can wrap. */
		if (gpa >= s->gpa && gpa - s->gpa <= s->size &&
		    len <= s->size - (gpa - s->gpa))
			return s->hva + (gpa - s->gpa);
	}
	return NULL;
}

bool gm_in_hole(uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (len == 0)
		return false;
	if (end < gpa) /* wraps: certainly crosses the hole */
		return true;
	return gpa < GM_HOLE_END && end > GM_HOLE_START;
}

uint64_t gm_low_end(const struct guest_mem *gm)
{
	return gm->slot[0].size;
}

uint64_t gm_top(const struct guest_mem *gm)
{
	const struct gm_slot *s = &gm->slot[gm->nslots - 1];

	return s->gpa + s->size;
}
