// SPDX-License-Identifier: GPL-2.0
#include "kvm/slab.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown;

void kmem_cache_fail_nth(long k)
{
	atomic_store(&fail_countdown, k);
}

static int should_fail(void)
{
	long c = atomic_load(&fail_countdown);

	while (c > 0)
		if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1))
			return c == 1;
	return 0;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align)
{
	struct kmem_cache *c;

	/* Alignment must be a power of two at least a pointer (free list). */
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (align & (align - 1) || !size)
		return NULL;
	if (should_fail())
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->align = align;
	c->size = (size + align - 1) & ~(align - 1);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

int kmem_cache_destroy(struct kmem_cache *c)
{
	if (!c)
		return 0;
	if (c->active) {
		fprintf(stderr, "kmem_cache_destroy %s: %ld objects in use\n",
			c->name, c->active);
		return -1;
	}
	while (c->free_list) {
		void *next = *(void **)c->free_list;

		free(c->free_list);
		c->free_list = next;
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
	return 0;
}

void *kmem_cache_zalloc(struct kmem_cache *c)
{
	void *obj;

	if (should_fail())
		return NULL;
	pthread_mutex_lock(&c->lock);
	obj = c->free_list;
	if (obj) {
		c->free_list = *(void **)obj;
	} else {
		obj = aligned_alloc(c->align, c->size);
		if (obj)
			c->total++;
	}
	if (obj)
		c->active++;
	pthread_mutex_unlock(&c->lock);
	if (obj)
		memset(obj, 0, c->size);
	return obj;
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	if (!obj)
		return;
	pthread_mutex_lock(&c->lock);
	*(void **)obj = c->free_list;
	c->free_list = obj;
	c->active--;
	pthread_mutex_unlock(&c->lock);
}
