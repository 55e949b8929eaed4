/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page allocation for kvm/: 4 KiB-aligned, zeroed pages, from a given NUMA
 * node when libnuma works (numa_alloc_onnode), else aligned_alloc. These
 * stand in for the kernel's alloc_pages_node(): VMXON/VMCS regions, EPT
 * tables, MSR bitmaps.
 *
 * Fault injection: kvm_page_alloc_fail_nth(k) makes the k-th allocation
 * from now (1-based) fail, so tests can prove every unwinding path.
 * kvm_pages_live() counts outstanding pages so tests can check for leaks
 * even where LeakSanitizer cannot see (numa_alloc_* uses mmap).
 */
#ifndef KVMINI_KVM_PAGE_ALLOC_H
#define KVMINI_KVM_PAGE_ALLOC_H

#include <stddef.h>

#define PAGE_SIZE  4096ul
#define PAGE_SHIFT 12

/* Returns NULL on failure; @node < 0 means "any" (node 0 fallback). */
void *kvm_alloc_pages_node(int node, size_t size);
void kvm_free_pages(void *p, size_t size);

void kvm_page_alloc_fail_nth(long k); /* 0 disables */
long kvm_pages_live(void);
/* "numa_alloc_onnode" or "aligned_alloc (no NUMA)". */
const char *kvm_page_allocator_name(void);

#endif
