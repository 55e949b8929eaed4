/* SPDX-License-Identifier: GPL-2.0 */
/* Little helpers shared by the firmware-table builders (ACPI, MP table). */
#ifndef KVMINI_VMM_PLATFORM_TABLES_H
#define KVMINI_VMM_PLATFORM_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TBL_OEM_ID	 "KVMINI"   /* 6 bytes */
#define TBL_OEM_TABLE_ID "KVMINI  " /* 8 bytes */
#define TBL_CREATOR_ID	 "KVMI"	    /* 4 bytes */

static inline void tbl_put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void tbl_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void tbl_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint32_t tbl_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The byte that makes the sum of p[0..len) zero (with it in place). */
static inline uint8_t tbl_checksum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += p[i];
	return (uint8_t)-s;
}

/* A bump allocator over a zeroed buffer. */
struct tbl_alloc {
	uint8_t *buf;
	size_t len, used;
};

static inline void tbl_alloc_init(struct tbl_alloc *a, uint8_t *buf, size_t len)
{
	a->buf = buf;
	a->len = len;
	a->used = 0;
	memset(buf, 0, len);
}

/* Offset of size bytes aligned to align (a power of two), or -1. */
static inline long tbl_alloc(struct tbl_alloc *a, size_t size, size_t align)
{
	size_t off = (a->used + align - 1) & ~(align - 1);

	if (off > a->len || size > a->len - off)
		return -1;
	a->used = off + size;
	return (long)off;
}

#endif
