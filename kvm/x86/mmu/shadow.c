// SPDX-License-Identifier: GPL-2.0
/* See shadow.h. */
#include "kvm/x86/mmu/shadow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/x86/emulate.h"
#include "kvm/x86/x86.h"

#define PT_P	  (1ull << 0)
#define PT_W	  (1ull << 1)
#define PT_U	  (1ull << 2)
#define PT_A	  (1ull << 5)
#define PT_D	  (1ull << 6)
#define PT_PS	  (1ull << 7)
#define PT_NX	  (1ull << 63)
#define PT64_ADDR 0x000ffffffffff000ull

#define PFERR_P	   1u
#define PFERR_W	   2u
#define PFERR_U	   4u
#define PFERR_RSVD 8u
#define PFERR_I	   16u

struct shadow_page {
	struct shadow_page *next;
	uint64_t *spt;
};

struct kvm_shadow_mmu {
	/* The root lives below 4 GiB: in PAE mode CR3 holds 32 bits. */
	uint64_t *root;
	bool long_mode; /* format of the entries under root */
	struct shadow_page *pages;
	long nr_pages;
};

int kvm_shadow_mmu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_shadow_mmu *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->root = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (m->root == MAP_FAILED) {
		free(m);
		return -ENOMEM;
	}
	vcpu->arch.shadow = m;
	return 0;
}

static void free_pages(struct kvm_shadow_mmu *m)
{
	struct shadow_page *p = m->pages, *n;

	for (; p; p = n) {
		n = p->next;
		kvm_free_pages(p->spt, PAGE_SIZE);
		free(p);
	}
	m->pages = NULL;
	m->nr_pages = 0;
}

void kvm_shadow_mmu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_shadow_mmu *m = vcpu->arch.shadow;

	if (!m)
		return;
	free_pages(m);
	munmap(m->root, PAGE_SIZE);
	free(m);
	vcpu->arch.shadow = NULL;
}

void kvm_shadow_mmu_zap(struct kvm_vcpu *vcpu)
{
	struct kvm_shadow_mmu *m = vcpu->arch.shadow;

	memset(m->root, 0, PAGE_SIZE);
	free_pages(m);
	m->long_mode = is_long_mode(vcpu);
}

uint64_t kvm_shadow_mmu_root(struct kvm_vcpu *vcpu)
{
	struct kvm_shadow_mmu *m = vcpu->arch.shadow;

	if (m->long_mode != is_long_mode(vcpu))
		kvm_shadow_mmu_zap(vcpu);
	return (uintptr_t)m->root;
}

static uint64_t *alloc_table(struct kvm_shadow_mmu *m)
{
	struct shadow_page *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	p->spt = kvm_alloc_pages_node(-1, PAGE_SIZE);
	if (!p->spt) {
		free(p);
		return NULL;
	}
	p->next = m->pages;
	m->pages = p;
	m->nr_pages++;
	return p->spt;
}

/* The leaf slot for @gva, allocating tables on the way (NULL: -ENOMEM). */
static uint64_t *shadow_leaf(struct kvm_shadow_mmu *m, uint64_t gva, bool alloc)
{
	uint64_t *table = m->root;
	int levels = m->long_mode ? 4 : 3;

	for (int level = levels; level > 1; level--) {
		int shift = 12 + 9 * (level - 1);
		unsigned idx = level == 3 && !m->long_mode
				   ? (unsigned)((gva >> 30) & 3)
				   : (unsigned)((gva >> shift) & 511);
		uint64_t *e = &table[idx];

		if (!(*e & PT_P)) {
			uint64_t *t;

			if (!alloc)
				return NULL;
			t = alloc_table(m);
			if (!t)
				return NULL;
			/* PAE PDPTEs have no R/W or U/S bits. */
			*e = (uintptr_t)t | PT_P |
			     (level == 3 && !m->long_mode ? 0 : PT_W | PT_U);
		}
		table = (uint64_t *)(uintptr_t)(*e & PT64_ADDR);
	}
	return &table[(gva >> 12) & 511];
}

void kvm_shadow_invlpg(struct kvm_vcpu *vcpu, uint64_t gva)
{
	uint64_t *leaf = shadow_leaf(vcpu->arch.shadow, gva, false);

	if (leaf)
		*leaf = 0;
}

/* ---- the guest's page walk, with permissions and A/D ------------------ */

struct guest_walk {
	uint64_t gpa;
	bool w, u, nx; /* effective rights along the walk */
	bool dirty;    /* leaf D bit (after this access) */
	bool faulted;
	uint32_t fault; /* error code of the #PF to reflect */
};

static int rd(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t *v, int n)
{
	*v = 0;
	return kvm_read_guest(vcpu->kvm, gpa, v, (unsigned long)n);
}

static void set_bits(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t *pte,
		     uint64_t bits, int n)
{
	if ((*pte & bits) == bits)
		return;
	*pte |= bits;
	kvm_write_guest(vcpu->kvm, gpa, pte, (unsigned long)n);
}

static void walk_guest(struct kvm_vcpu *vcpu, uint64_t gva, uint32_t access,
		       struct guest_walk *w)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	bool nxe = a->efer & EFER_NX, pae = a->cr4 & X86_CR4_PAE;
	bool lm = is_long_mode(vcpu);
	int levels = lm ? 4 : pae ? 3 : 2, n = lm || pae ? 8 : 4;
	uint64_t table, pte = 0, pte_gpa = 0, page_mask = 0xfff;
	uint32_t base_err = access & (PFERR_W | PFERR_U);

	/* PFEC.I is reported only where execute rights exist (NX or SMEP). */
	if ((access & PFERR_I) &&
	    ((nxe && (lm || pae)) || (a->cr4 & (1ull << 20))))
		base_err |= PFERR_I;
	memset(w, 0, sizeof(*w));
	w->w = w->u = true;
	if (!lm)
		gva &= 0xffffffffull;
	table = lm    ? a->cr3 & PT64_ADDR
		: pae ? a->cr3 & 0xffffffe0ull
		      : a->cr3 & 0xfffff000ull;
	for (int level = levels; level >= 1; level--) {
		unsigned idx;

		if (!lm && pae && level == 3) {
			idx = (unsigned)((gva >> 30) & 3);
		} else if (n == 8) {
			idx = (unsigned)((gva >> (12 + 9 * (level - 1))) & 511);
		} else {
			idx =
			    (unsigned)((gva >> (12 + 10 * (level - 1))) & 1023);
		}
		pte_gpa = table + (uint64_t)idx * (uint64_t)n;
		if (rd(vcpu, pte_gpa, &pte, n)) {
			/* Page tables outside RAM: treat as not present. */
			w->fault = base_err;
			w->faulted = true;
			return;
		}
		if (!(pte & PT_P)) {
			w->fault = base_err;
			w->faulted = true;
			return;
		}
		if (n == 8) {
			/* Reserved bits (SDM 4.4.2/4.5.4): above MAXPHYADDR,
			 * PS in a PML4E, the low bits of a large-page address,
			 * XD without EFER.NXE, PDPTE rights bits in PAE. */
			uint64_t rsvd = ((1ull << 52) - 1) &
					~((1ull << host_maxphyaddr) - 1);
			int shift = 12 + 9 * (level - 1);

			if (!nxe)
				rsvd |= PT_NX;
			if (lm && level == 4)
				rsvd |= PT_PS;
			if (!lm && pae && level == 3)
				rsvd |= 0x1e6ull;
			else if ((pte & PT_PS) && (level == 2 || level == 3))
				rsvd |= ((1ull << shift) - 1) & ~0x1fffull;
			if (pte & rsvd) {
				w->fault = base_err | PFERR_P | PFERR_RSVD;
				w->faulted = true;
				return;
			}
		}
		if (!(!lm && pae && level == 3)) { /* PDPTEs carry no rights */
			w->w &= !!(pte & PT_W);
			w->u &= !!(pte & PT_U);
			if (n == 8 && nxe)
				w->nx |= !!(pte & PT_NX);
			set_bits(vcpu, pte_gpa, &pte, PT_A, n);
		}
		if (level == 1 ||
		    ((pte & PT_PS) && (level == 2 || (level == 3 && lm)) &&
		     (n == 8 || (a->cr4 & X86_CR4_PSE)))) {
			if (level == 2)
				page_mask = n == 8 ? 0x1fffff : 0x3fffff;
			else if (level == 3)
				page_mask = 0x3fffffff;
			break;
		}
		table = n == 8 ? pte & PT64_ADDR : pte & 0xfffff000ull;
	}

	/* Permission checks (SDM 4.6). */
	bool user = access & PFERR_U, write = access & PFERR_W;
	bool fetch = access & PFERR_I;

	if ((user && !w->u) ||
	    (write && !w->w && (user || (a->cr0 & X86_CR0_WP))) ||
	    (fetch && w->nx) ||
	    (fetch && !user && w->u && (a->cr4 & (1ull << 20)) /* SMEP */)) {
		w->fault = base_err | PFERR_P;
		w->faulted = true;
		return;
	}
	if (write)
		set_bits(vcpu, pte_gpa, &pte, PT_D, n);
	w->dirty = pte & PT_D;
	if (n == 8) {
		w->gpa = (pte & PT64_ADDR & ~page_mask) | (gva & page_mask);
	} else if (page_mask == 0x3fffff) {
		w->gpa = (pte & 0xffc00000ull) | ((pte >> 13) & 0xffull) << 32 |
			 (gva & page_mask);
	} else {
		w->gpa = (pte & 0xfffff000ull) | (gva & 0xfff);
	}
}

int kvm_shadow_page_fault(struct kvm_vcpu *vcpu, uint64_t gva,
			  uint32_t error_code)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_shadow_mmu *m = vcpu->arch.shadow;
	struct guest_walk w;
	uint64_t *leaf, spte;
	bool writable, write = error_code & PFERR_W;
	void *hva;

	if (error_code & PFERR_RSVD) {
		/* Our entries never set reserved bits on purpose: the CPU
		 * rejects the host addresses in them (physical-address width
		 * narrower than this process's addresses). Say so instead of
		 * faulting forever. */
		uint64_t d[2] = {gva, error_code};

		pr_err(
		    "vcpu %d: shadow paging: the CPU reports reserved bits in "
		    "KVM's shadow entry for %#llx (host addresses wider than "
		    "its MAXPHYADDR?)",
		    vcpu->vcpu_id, (unsigned long long)gva);
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, 2,
					  d);
	}
	if (!is_paging(vcpu)) {
		/* Paging off (protected mode without UG): identity. */
		memset(&w, 0, sizeof(w));
		w.gpa = gva & 0xffffffffull;
		w.w = w.u = w.dirty = true;
	} else {
		walk_guest(vcpu, gva, error_code, &w);
		if (w.faulted) {
			/* The guest's own fault: deliver it. */
			a->cr2 = gva;
			kvm_queue_exception(vcpu, 14, true, w.fault);
			return 1;
		}
	}
	bool logging;

	pthread_mutex_lock(&vcpu->kvm->mmu_lock);
	hva = gpa_to_hva(vcpu->kvm, w.gpa & ~0xfffull, &writable);
	{
		struct kvm_memory_slot *slot =
		    gfn_to_memslot(vcpu->kvm, w.gpa >> PAGE_SHIFT);

		logging = slot && slot->dirty_bitmap;
		if (logging && write && hva && writable)
			mark_page_dirty_in_slot(slot, w.gpa >> PAGE_SHIFT);
	}
	pthread_mutex_unlock(&vcpu->kvm->mmu_lock);
	if (!hva || (write && !writable))
		return kvm_emulate_mmio(vcpu, w.gpa, write,
					error_code & PFERR_I);
	if (!kvm_hva_mapped((uintptr_t)hva, PAGE_SIZE))
		return -EFAULT; /* userspace gave a slot without memory */

	spte = ((uintptr_t)hva & PT64_ADDR) | PT_P | PT_A | PT_D;
	if (w.w && w.dirty && writable && (!logging || write))
		spte |= PT_W;
	if (w.u)
		spte |= PT_U;
	/* CR0.WP=0: supervisor writes to read-only pages are allowed; give
	 * the kernel a writable, user-inaccessible entry (as KVM does). */
	if (!(a->cr0 & X86_CR0_WP) && !w.w && write &&
	    !(error_code & PFERR_U) && writable)
		spte = (spte | PT_W) & ~PT_U;
	if (w.nx && (a->efer & EFER_NX))
		spte |= PT_NX;

	if (m->long_mode != is_long_mode(vcpu))
		kvm_shadow_mmu_zap(vcpu);
	leaf = shadow_leaf(m, gva, true);
	if (!leaf)
		return -ENOMEM;
	*leaf = spte;
	/* The processor may still hold the old translation. */
	kvm_make_request(KVM_REQ_TLB_FLUSH_CURRENT, vcpu);
	return 1;
}
