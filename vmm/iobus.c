// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "vmm/iobus.h"

void iobus_init(struct io_bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_mutex_init(&bus->lock, NULL);
}

void iobus_destroy(struct io_bus *bus)
{
	pthread_mutex_destroy(&bus->lock);
	bus->ndev = 0;
}

int iobus_register(struct io_bus *bus, struct io_device *dev)
{
	uint64_t end = dev->base + dev->len;

	if (!dev->len || end < dev->base)
		return -EINVAL;
	if (bus->ndev >= IOBUS_MAX_DEVICES)
		return -ENOSPC;
	for (int i = 0; i < bus->ndev; i++) {
		const struct io_device *d = bus->dev[i];

		if (dev->base < d->base + d->len && d->base < end)
			return -EBUSY;
	}
	bus->dev[bus->ndev++] = dev;
	return 0;
}

/* The device whose range holds the whole access, or NULL. */
static struct io_device *iobus_find(struct io_bus *bus, uint64_t addr,
				    unsigned size)
{
	for (int i = 0; i < bus->ndev; i++) {
		struct io_device *d = bus->dev[i];

		if (addr >= d->base && addr - d->base < d->len &&
		    size <= d->len - (addr - d->base))
			return d;
	}
	return NULL;
}

bool iobus_read(struct io_bus *bus, uint64_t addr, uint8_t *data, unsigned size)
{
	struct io_device *d;

	if (size < 1 || size > 8)
		return false;
	memset(data, 0xff, size);
	pthread_mutex_lock(&bus->lock);
	d = iobus_find(bus, addr, size);
	if (d && d->read)
		d->read(d->opaque, addr - d->base, data, size);
	pthread_mutex_unlock(&bus->lock);
	return d != NULL;
}

bool iobus_write(struct io_bus *bus, uint64_t addr, const uint8_t *data,
		 unsigned size)
{
	struct io_device *d;

	if (size < 1 || size > 8)
		return false;
	pthread_mutex_lock(&bus->lock);
	d = iobus_find(bus, addr, size);
	if (d && d->write)
		d->write(d->opaque, addr - d->base, data, size);
	pthread_mutex_unlock(&bus->lock);
	return d != NULL;
}
