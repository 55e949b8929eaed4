/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM: one host mapping, split into memslots around the PCI hole.
 * RAM below 3 GiB is at GPA 0; RAM beyond 3 GiB continues at 4 GiB, so
 * [3 GiB, 4 GiB) stays free for MMIO (like a PC).
 */
#ifndef KVMINI_VMM_GUEST_MEM_H
#define KVMINI_VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_HOLE_START 0xC0000000ULL
#define GM_HOLE_END   0x100000000ULL
#define GM_MIN_SIZE   (1ULL << 20)
#define GM_MAX_SIZE   (64ULL << 30)
#define GM_MAX_SLOTS  2

struct gm_slot {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	uint64_t ram_size;
	uint8_t *base; /* the host mapping of all RAM */
	int nslots;
	struct gm_slot slot[GM_MAX_SLOTS];
};

/* ram_size must be page aligned, GM_MIN_SIZE..GM_MAX_SIZE. -errno. */
int gm_alloc(struct guest_mem *gm, uint64_t ram_size);
void gm_free(struct guest_mem *gm);

/* Host pointer to [gpa, gpa+len) if it lies wholly in one slot, or NULL. */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
static inline bool gm_is_ram(const struct guest_mem *gm, uint64_t gpa,
			     uint64_t len)
{
	return gm_ptr(gm, gpa, len) != NULL;
}
/* True if [gpa, gpa+len) touches [GM_HOLE_START, GM_HOLE_END). */
bool gm_in_hole(uint64_t gpa, uint64_t len);
/* One past the last RAM byte below the hole / of all RAM. */
uint64_t gm_low_end(const struct guest_mem *gm);
uint64_t gm_top(const struct guest_mem *gm);

#endif
