/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O buses: one for x86 ports, one for MMIO. A device claims a range;
 * accesses nobody claims read as all ones and drop writes, as on a PC.
 * Data is little-endian, 1..8 bytes.
 */
#ifndef KVMINI_VMM_IOBUS_H
#define KVMINI_VMM_IOBUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IOBUS_MAX_DEVICES 32

struct io_device {
	const char *name;
	uint64_t base;
	uint64_t len;
	void *opaque;
	/* offset is relative to base; size is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, uint8_t *data,
		     unsigned size);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      unsigned size);
};

struct io_bus {
	const char *name;     /* "pio" or "mmio", for traces */
	pthread_mutex_t lock; /* devices see one access at a time */
	int ndev;
	struct io_device *dev[IOBUS_MAX_DEVICES];
};

void iobus_init(struct io_bus *bus, const char *name);
void iobus_destroy(struct io_bus *bus);
/* -EBUSY if the range overlaps a device, -ENOSPC if full, -EINVAL. */
int iobus_register(struct io_bus *bus, struct io_device *dev);
/* Return true if a device claimed the access. size must be 1..8. */
bool iobus_read(struct io_bus *bus, uint64_t addr, uint8_t *data,
		unsigned size);
bool iobus_write(struct io_bus *bus, uint64_t addr, const uint8_t *data,
		 unsigned size);

static inline uint64_t io_le_get(const uint8_t *d, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size && i < 8; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static inline void io_le_put(uint8_t *d, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size && i < 8; i++)
		d[i] = v >> (8 * i);
}

#endif
