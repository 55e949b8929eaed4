/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The instruction emulator, as far as KVM needs one when the guest runs
 * on VMX with EPT: an access to guest-physical memory with nothing (or
 * read-only memory) behind it becomes KVM_EXIT_MMIO, and string I/O
 * becomes KVM_EXIT_IO with a count. Read-modify-write instructions and
 * MOVS on MMIO take two exits (the read, then the write), as Linux's
 * emulator: see "read-modify-write" in emulate.c; CMPS/SCAS, XADD, CMPXCHG
 * and CMPXCHG8B are in emulate_cmp.c (an instruction's MMIO reads are
 * replayed from a read cache, struct emul_ctxt in emulate_priv.h).
 * Instructions are decoded with Zydis; guest linear addresses are
 * translated by walking the guest's page tables in software through the
 * memslots.
 */
#ifndef KVMINI_KVM_X86_EMULATE_H
#define KVMINI_KVM_X86_EMULATE_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

/* Emulate the instruction at RIP that accessed @gpa (EPT violation or
 * misconfig with no writable memory there). Exit-handler convention. */
int kvm_emulate_mmio(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
		     bool fetch);
/* INS/OUTS (exit qualification decoded by the caller). */
int kvm_emulate_string_io(struct kvm_vcpu *vcpu, int size, uint16_t port,
			  bool in, bool rep);
/* Finish an MMIO read / string IN with the data userspace supplied. */
int complete_emulated_mmio(struct kvm_vcpu *vcpu);
int complete_emulated_string_in(struct kvm_vcpu *vcpu);

/* Copy guest-linear memory through the guest's page tables and the
 * memslots; 0 or -1. */
int kvm_read_linear(struct kvm_vcpu *vcpu, uint64_t gva, void *buf,
		    unsigned len);
int kvm_write_linear(struct kvm_vcpu *vcpu, uint64_t gva, const void *buf,
		     unsigned len);

/* Guest linear -> guest physical through the guest's page tables;
 * 0, or -1 if not mapped. */
int kvm_gva_to_gpa(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa);

#endif
