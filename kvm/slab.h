/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small kmem_cache: fixed-size objects of a given alignment, with a
 * free list so freed objects are reused (as a slab would), and a count of
 * active objects so destroying a cache that still has users is caught.
 */
#ifndef KVMINI_KVM_SLAB_H
#define KVMINI_KVM_SLAB_H

#include <pthread.h>
#include <stddef.h>

struct kmem_cache {
	char name[32];
	size_t size; /* object size, rounded up to align */
	size_t align;
	long active; /* objects handed out */
	long total;  /* objects allocated from the system */
	void *free_list;
	pthread_mutex_t lock;
};

struct kmem_cache *kmem_cache_create(const char *name, size_t size,
				     size_t align);
/* Returns non-zero (and does not destroy) if objects are still active. */
int kmem_cache_destroy(struct kmem_cache *c);
void *kmem_cache_zalloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);

/* Fault injection for tests: the k-th cache allocation from now fails. */
void kmem_cache_fail_nth(long k);

#endif
