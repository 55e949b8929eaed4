// SPDX-License-Identifier: GPL-2.0
/*
 * Compare-type instructions on MMIO: CMPS and SCAS (REPE/REPNE), XADD,
 * CMPXCHG, CMPXCHG8B. As Linux's emulator does them: each memory operand
 * is read (an MMIO read exit each, replayed from the read cache when the
 * instruction runs again, see struct emul_ctxt), the result and flags are
 * computed here, and the store, where the instruction stores, goes out as
 * a write exit. CMPXCHG and CMPXCHG8B store even when the comparison
 * fails (the old value, as the processor's locked write cycle; Linux
 * does the same). LOCK buys nothing on MMIO: userspace sees the accesses.
 * CMPXCHG16B on MMIO would need 16-byte exits and is refused.
 */
#include <string.h>
#include <x86/processor-flags.h>
#include <x86/trapnr.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/emulate_flags.h"
#include "kvm/x86/emulate_priv.h"
#include "kvm/x86/x86.h"

#define EFL_ZF 0x040ull

/* emul_read's answer other than 1, for the exit handler. */
static int read_not_done(struct kvm_vcpu *vcpu, int r,
			 const ZydisDecodedInstruction *insn,
			 const uint8_t *bytes)
{
	if (r == -4)
		return emul_failed(vcpu, bytes, insn->length,
				   "MMIO reads do not fit the read cache "
				   "(both CMPS operands on MMIO)");
	if (r == -2 || r == -3)
		return 1; /* stale (the guest runs it again) or #GP queued */
	if (r < 0)
		return emul_failed(vcpu, bytes, insn->length,
				   "MMIO operand not accessible");
	return 0; /* the read exit is set up */
}

static int read_operand(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
			const ZydisDecodedInstruction *insn,
			const ZydisDecodedOperand *op, uint64_t *lin,
			uint64_t *v)
{
	unsigned size = op->size / 8;
	uint8_t val[8] = {0};
	int r;

	*v = 0;
	if (emul_mem_linear(vcpu, insn, op, lin))
		return -1;
	r = emul_read(vcpu, c, *lin, size, val);
	if (r == 1)
		memcpy(v, val, size);
	return r;
}

/* Store @v; 1 or 0 (exit set up) to return, -1 failed, -3 #GP queued. */
static int store(struct kvm_vcpu *vcpu, uint64_t lin, unsigned size, uint64_t v)
{
	uint8_t val[8];

	memcpy(val, &v, 8);
	return emul_write(vcpu, lin, size, val);
}

/* CMPS: [seg:rSI] - [ES:rDI]; SCAS: rAX - [ES:rDI]. One element per
 * call; with REPE/REPNE RIP stays until the count runs out or ZF ends
 * the loop, and the guest comes back for the next element. */
static int string_compare(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
			  const ZydisDecodedInstruction *insn,
			  const ZydisDecodedOperand *ops, const uint8_t *bytes)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	bool scas = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER;
	bool repe = insn->attributes & ZYDIS_ATTRIB_HAS_REPE;
	bool repne = insn->attributes & ZYDIS_ATTRIB_HAS_REPNE;
	unsigned size = ops[1].size / 8;
	uint64_t amask = insn->address_width == 64
			     ? ~0ull
			     : (1ull << insn->address_width) - 1;
	uint64_t d = (a->rflags & X86_EFLAGS_DF) ? -(uint64_t)size : size;
	uint64_t s, t, lin, fl = a->rflags;
	int r;

	if (size < 1 || size > 8 || ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    (!scas && ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY))
		return emul_failed(vcpu, bytes, insn->length, "operand form");
	if ((repe || repne) && !(a->regs[VCPU_REGS_RCX] & amask)) {
		emul_finish_insn(vcpu); /* count 0: no access, flags kept */
		return 1;
	}
	/* The source first, as the processor (and Linux) read them. */
	if (scas) {
		s = emul_get_gpr(vcpu, VCPU_REGS_RAX, (int)size * 8, false);
	} else {
		r = read_operand(vcpu, c, insn, &ops[0], &lin, &s);
		if (r != 1)
			return read_not_done(vcpu, r, insn, bytes);
	}
	r = read_operand(vcpu, c, insn, &ops[1], &lin, &t);
	if (r == 1)
		r = emul_reads_done(vcpu, c);
	if (r != 1)
		return read_not_done(vcpu, r, insn, bytes);

	emul_alu(EMUL_CMP, s, t, (int)size, &fl);
	a->rflags = fl;
	if (!scas)
		emul_advance_index(vcpu, VCPU_REGS_RSI, amask, d);
	emul_advance_index(vcpu, VCPU_REGS_RDI, amask, d);
	if (repe || repne) {
		emul_advance_index(vcpu, VCPU_REGS_RCX, amask, ~0ull);
		if (!(a->regs[VCPU_REGS_RCX] & amask) ||
		    (repe && !(fl & EFL_ZF)) || (repne && (fl & EFL_ZF)))
			emul_finish_insn(vcpu);
	} else {
		emul_finish_insn(vcpu);
	}
	return 1;
}

/* XADD m, r: m += r, r = old m; flags of the ADD. */
static int emulate_xadd(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
			const ZydisDecodedInstruction *insn,
			const ZydisDecodedOperand *ops, const uint8_t *bytes)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	unsigned size = ops[0].size / 8;
	uint64_t lin, m, o, res, fl = a->rflags;
	int w, idx, r;
	bool h;

	if (insn->operand_count_visible != 2 ||
	    ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    (idx = emul_gpr_of(ops[1].reg.value, &w, &h)) < 0)
		return emul_failed(vcpu, bytes, insn->length, "operand form");
	o = emul_get_gpr(vcpu, idx, w, h);
	r = read_operand(vcpu, c, insn, &ops[0], &lin, &m);
	if (r == 1)
		r = emul_reads_done(vcpu, c);
	if (r != 1)
		return read_not_done(vcpu, r, insn, bytes);
	res = emul_alu(EMUL_ADD, m, o, (int)size, &fl);
	r = store(vcpu, lin, size, res);
	if (r == -3)
		return 1;
	if (r < 0)
		return emul_failed(vcpu, bytes, insn->length, "XADD store");
	emul_set_gpr(vcpu, idx, w, h, m);
	a->rflags = fl;
	emul_finish_insn(vcpu);
	return r;
}

/* CMPXCHG m, r: flags of CMP rAX, m; equal: m = r; else rAX = m (and m
 * is written back unchanged). */
static int emulate_cmpxchg(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
			   const ZydisDecodedInstruction *insn,
			   const ZydisDecodedOperand *ops, const uint8_t *bytes)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	unsigned size = ops[0].size / 8;
	uint64_t lin, m, src, acc, fl = a->rflags;
	int w, idx, r;
	bool h, equal;

	if (insn->operand_count_visible != 2 ||
	    ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    (idx = emul_gpr_of(ops[1].reg.value, &w, &h)) < 0)
		return emul_failed(vcpu, bytes, insn->length, "operand form");
	src = emul_get_gpr(vcpu, idx, w, h);
	acc = emul_get_gpr(vcpu, VCPU_REGS_RAX, (int)size * 8, false);
	r = read_operand(vcpu, c, insn, &ops[0], &lin, &m);
	if (r == 1)
		r = emul_reads_done(vcpu, c);
	if (r != 1)
		return read_not_done(vcpu, r, insn, bytes);
	emul_alu(EMUL_CMP, acc, m, (int)size, &fl);
	equal = fl & EFL_ZF;
	r = store(vcpu, lin, size, equal ? src : m);
	if (r == -3)
		return 1;
	if (r < 0)
		return emul_failed(vcpu, bytes, insn->length, "CMPXCHG store");
	if (!equal) /* a 32-bit write zero-extends RAX, only on failure */
		emul_set_gpr(vcpu, VCPU_REGS_RAX, (int)size * 8, false, m);
	a->rflags = fl;
	emul_finish_insn(vcpu);
	return r;
}

/* CMPXCHG8B m64: EDX:EAX == m ? (ZF=1, m = ECX:EBX) : (ZF=0, EDX:EAX = m,
 * m written back); the other flags are unchanged. */
static int emulate_cmpxchg8b(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
			     const ZydisDecodedInstruction *insn,
			     const ZydisDecodedOperand *ops,
			     const uint8_t *bytes)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t *g = a->regs;
	uint64_t lin, m, old, new;
	int r;

	if (ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY)
		return emul_failed(vcpu, bytes, insn->length, "operand form");
	if (ops[0].size == 128) {
		/* The alignment check comes first on the processor. */
		if (emul_mem_linear(vcpu, insn, &ops[0], &lin))
			return emul_failed(vcpu, bytes, insn->length,
					   "address");
		if (lin & 15) {
			kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
			return 1;
		}
		return emul_failed(vcpu, bytes, insn->length,
				   "CMPXCHG16B on MMIO (a 16-byte access "
				   "does not fit one MMIO exit)");
	}
	if (ops[0].size != 64)
		return emul_failed(vcpu, bytes, insn->length, "operand size");
	r = read_operand(vcpu, c, insn, &ops[0], &lin, &m);
	if (r == 1)
		r = emul_reads_done(vcpu, c);
	if (r != 1)
		return read_not_done(vcpu, r, insn, bytes);
	old = (g[VCPU_REGS_RDX] & 0xffffffffull) << 32 |
	      (g[VCPU_REGS_RAX] & 0xffffffffull);
	new = (g[VCPU_REGS_RCX] & 0xffffffffull) << 32 |
	      (g[VCPU_REGS_RBX] & 0xffffffffull);
	r = store(vcpu, lin, 8, m == old ? new : m);
	if (r == -3)
		return 1;
	if (r < 0)
		return emul_failed(vcpu, bytes, insn->length,
				   "CMPXCHG8B store");
	if (m == old) {
		a->rflags |= EFL_ZF;
	} else {
		a->rflags &= ~EFL_ZF;
		emul_set_gpr(vcpu, VCPU_REGS_RAX, 32, false, m);
		emul_set_gpr(vcpu, VCPU_REGS_RDX, 32, false, m >> 32);
	}
	emul_finish_insn(vcpu);
	return r;
}

int emulate_cmp_insn(struct kvm_vcpu *vcpu, struct emul_ctxt *c,
		     const ZydisDecodedInstruction *insn,
		     const ZydisDecodedOperand *ops, const uint8_t *bytes)
{
	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_CMPSB:
	case ZYDIS_MNEMONIC_CMPSW:
	case ZYDIS_MNEMONIC_CMPSD:
	case ZYDIS_MNEMONIC_CMPSQ:
	case ZYDIS_MNEMONIC_SCASB:
	case ZYDIS_MNEMONIC_SCASW:
	case ZYDIS_MNEMONIC_SCASD:
	case ZYDIS_MNEMONIC_SCASQ:
		if (insn->operand_count < 2)
			break;
		return string_compare(vcpu, c, insn, ops, bytes);
	case ZYDIS_MNEMONIC_XADD:
	case ZYDIS_MNEMONIC_CMPXCHG:
		if (ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    ops[0].mem.type != ZYDIS_MEMOP_TYPE_MEM ||
		    ops[0].size < 8 || ops[0].size > 64)
			return emul_failed(vcpu, bytes, insn->length,
					   "operand form");
		return insn->mnemonic == ZYDIS_MNEMONIC_XADD
			   ? emulate_xadd(vcpu, c, insn, ops, bytes)
			   : emulate_cmpxchg(vcpu, c, insn, ops, bytes);
	case ZYDIS_MNEMONIC_CMPXCHG8B:
	case ZYDIS_MNEMONIC_CMPXCHG16B:
		return emulate_cmpxchg8b(vcpu, c, insn, ops, bytes);
	default:
		break;
	}
	return -1;
}
