// SPDX-License-Identifier: GPL-2.0
#include "kvm/page_alloc.h"

#include <numa.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown;
static atomic_long live_pages;
static int numa_state = -2; /* -2 unknown, -1 unavailable, 0 available */

static bool use_numa(void)
{
	if (numa_state == -2)
		numa_state = numa_available() < 0 ? -1 : 0;
	return numa_state == 0;
}

const char *kvm_page_allocator_name(void)
{
	return use_numa() ? "numa_alloc_onnode"
			  : "aligned_alloc (numa_available() < 0)";
}

void kvm_page_alloc_fail_nth(long k)
{
	atomic_store(&fail_countdown, k);
}

long kvm_pages_live(void)
{
	return atomic_load(&live_pages);
}

static size_t round_pages(size_t size)
{
	return (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

void *kvm_alloc_pages_node(int node, size_t size)
{
	long c = atomic_load(&fail_countdown);
	void *p;

	size = round_pages(size ? size : 1);
	/* Count down only while armed; the k-th allocation fails once. */
	while (c > 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1)) {
			if (c == 1)
				return NULL;
			break;
		}
	}
	if (use_numa()) {
		/* numa_alloc_onnode mmaps: page aligned and zero-filled. */
		p = numa_alloc_onnode(size, node < 0 ? 0 : node);
	} else {
		p = aligned_alloc(PAGE_SIZE, size);
	}
	if (!p)
		return NULL;
	memset(p, 0, size);
	atomic_fetch_add(&live_pages, (long)(size / PAGE_SIZE));
	return p;
}

void kvm_free_pages(void *p, size_t size)
{
	if (!p)
		return;
	size = round_pages(size ? size : 1);
	if (use_numa())
		numa_free(p, size);
	else
		free(p);
	atomic_fetch_sub(&live_pages, (long)(size / PAGE_SIZE));
}
