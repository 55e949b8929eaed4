/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the MMIO emulator: what emulate.c shares with the instruction
 * files next to it (emulate_cmp.c). Not for use outside kvm/x86/emulate*.c.
 */
#ifndef KVMINI_KVM_X86_EMULATE_PRIV_H
#define KVMINI_KVM_X86_EMULATE_PRIV_H

#include <Zydis/Zydis.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

/*
 * One execution of an instruction that reads memory. An instruction may
 * read several times (CMPS: [RSI], then [RDI]); each read that touches
 * MMIO gets the next bytes of vcpu->arch.mmio_value, in order, as Linux's
 * emulator's read cache. When userspace answers one, the instruction is
 * executed again from the start: reads before the answered one and the
 * answered one come from mmio_value (no second device access), later
 * ones go out. While a read is pending, arch.mmio_size is the end of the
 * bytes that are known once it is answered.
 */
struct emul_ctxt {
	bool completing; /* userspace just answered a read */
	unsigned pos;	 /* where the next MMIO read goes in mmio_value */
	unsigned valid;	 /* bytes of mmio_value known (when completing) */
};

bool emul_cs_long(struct kvm_vcpu *vcpu);
/* GPR index and width/high-byte of a Zydis register; -1 if not a GPR. */
int emul_gpr_of(ZydisRegister reg, int *width, bool *high8);
void emul_set_gpr(struct kvm_vcpu *vcpu, int idx, int width, bool high8,
		  uint64_t v);
uint64_t emul_get_gpr(struct kvm_vcpu *vcpu, int idx, int width, bool high8);
/* KVM_EXIT_INTERNAL_ERROR (emulation) with the instruction bytes; 0. */
int emul_failed(struct kvm_vcpu *vcpu, const uint8_t *bytes, unsigned n,
		const char *why);
/* Linear address of a memory operand (segment base included); 0 or -1. */
int emul_mem_linear(struct kvm_vcpu *vcpu, const ZydisDecodedInstruction *insn,
		    const ZydisDecodedOperand *op, uint64_t *lin);
/* RIP past the instruction, STI/MOV SS shadow over. */
void emul_finish_insn(struct kvm_vcpu *vcpu);
/* reg = (reg & ~amask) | ((reg + d) & amask). */
void emul_advance_index(struct kvm_vcpu *vcpu, int reg, uint64_t amask,
			uint64_t d);

/* Read @size (1..8) bytes at guest-linear @lin into @val. 1: done; 0: an
 * MMIO read exit is set up (return 0 from the exit handler); -1: not
 * expressible (unmapped, two MMIO regions); -2: the answered read is no
 * longer this instruction's (KVM_SET_REGS in between: the guest runs the
 * instruction again); -3: #GP queued; -4: the instruction's MMIO reads do
 * not fit mmio_value together. */
int emul_read(struct kvm_vcpu *vcpu, struct emul_ctxt *c, uint64_t lin,
	      unsigned size, uint8_t val[8]);
/* After the last read: -2 if a read userspace answered was not consumed
 * (its operand moved to RAM in between), else 1. */
int emul_reads_done(struct kvm_vcpu *vcpu, const struct emul_ctxt *c);
/* Store: 1 done (RAM or in-kernel irqchip), 0 exit set up, -1 not
 * expressible, -3 #GP queued. */
int emul_write(struct kvm_vcpu *vcpu, uint64_t lin, unsigned size,
	       uint8_t val[8]);

/* emulate_cmp.c: CMPS/SCAS, XADD, CMPXCHG, CMPXCHG8B/16B; -1 if @insn is
 * none of them, else the exit-handler convention. */
int emulate_cmp_insn(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
		     const ZydisDecodedInstruction *insn,
		     const ZydisDecodedOperand *ops, const uint8_t *bytes);

#endif
