// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory from generated code: the linear address of a memory operand,
 * the inline soft-TLB probe (with or without touching the flags), and the
 * slow-path stubs behind a block; and re-encoding an instruction on host
 * registers with its memory operand on the probed host pointer.
 */
#include <stddef.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/internal.h"
#include "cpu/x86/jit/jit.h"

/* Linear address of memory operand o of t into rsi. */
void jt_emit_ea(struct tctx *x, const struct tinsn *t,
		const ZydisDecodedOperand *o)
{
	struct emit *e = &x->e;
	int64_t disp = o->mem.disp.value;
	bool a32 = t->zi.address_width == 32;

	if (o->mem.base == ZYDIS_REGISTER_RIP) {
		uint64_t v = t->rip + t->zi.length + (uint64_t)disp;
		mov_ri64(e, H_RSI, a32 ? (uint32_t)v : v);
	} else {
		bool hb = o->mem.base != ZYDIS_REGISTER_NONE;
		bool hi = o->mem.index != ZYDIS_REGISTER_NONE;
		unsigned b = hb ? (unsigned)x->host[jt_greg(o->mem.base)] : 0;
		unsigned i = hi ? (unsigned)x->host[jt_greg(o->mem.index)] : 0;
		unsigned sc = o->mem.scale ? o->mem.scale : 1;
		if (!hb && !hi) {
			mov_ri64(e, H_RSI,
				 a32 ? (uint32_t)disp : (uint64_t)disp);
		} else if (!hi) {
			lea(e, H_RSI, b, H_RSP, 1, (int32_t)disp);
		} else if (!hb) {
			mov_ri64(e, H_RSI, (uint64_t)disp);
			lea(e, H_RSI, H_RSI, i, sc, 0);
		} else {
			lea(e, H_RSI, b, i, sc, (int32_t)disp);
		}
		if (a32 && (hb || hi)) {
			e8(e, 0x89); /* mov esi, esi: zero-extend */
			e8(e, 0xf6);
		}
	}
	if (o->mem.segment == ZYDIS_REGISTER_FS ||
	    o->mem.segment == ZYDIS_REGISTER_GS) {
		unsigned s =
		    o->mem.segment == ZYDIS_REGISTER_FS ? X86_FS : X86_GS;
		/* (lea: the guest's flags may be in the host's) */
		ld64(e, H_RCX, H_RBP, OFF_SEGBASE(s));
		lea(e, H_RSI, H_RSI, H_RCX, 1, 0);
	}
}

/* Soft-TLB probe for rsi..rsi+size-1: host pointer in rax, or a jump to
 * the returned site's stub. Clobbers rax, rdx and the flags. */
uint8_t *jt_emit_probe(struct tctx *x, unsigned size, bool write)
{
	struct emit *e = &x->e;
	int32_t tlb = OFF_TLB(x->b->user);

	mov_rr(e, H_RAX, H_RSI);
	shift_ri(e, 5, H_RAX, 12);
	op_ri32(e, 4, H_RAX, TLB_SIZE - 1);
	shift_ri(e, 4, H_RAX, 6);
	/* the tag of the last byte's page: a page-crossing access misses */
	lea(e, H_RDX, H_RSI, H_RSP, 1, (int32_t)size - 1);
	op_ri(e, 4, H_RDX, (int32_t)0xfffff000);
	op_ri(e, 1, H_RDX, 1);
	op_r_mbi(e, 0x3b, H_RDX, H_RBX, H_RAX,
		 tlb + (int32_t)(write ? offsetof(struct x86_tlbe, tag_w)
				       : offsetof(struct x86_tlbe, tag_r)));
	{
		uint8_t *site = jcc32(e, CC_NE);
		op_r_mbi(e, 0x8b, H_RAX, H_RBX, H_RAX,
			 tlb + (int32_t)offsetof(struct x86_tlbe, addend));
		op_rr(e, 0x01, H_RAX, H_RSI);
		return site;
	}
}

static const uint8_t vex_shlx_rax_rsi_rcx[] = {0xc4, 0xe2, 0xf1, 0xf7, 0xc6};
static const uint8_t vex_shrx_rax_rax_rcx[] = {0xc4, 0xe2, 0xf3, 0xf7, 0xc0};
static const uint8_t vex_shrx_rdx_rdx_rcx[] = {0xc4, 0xe2, 0xf3, 0xf7, 0xd2};
static const uint8_t vex_shlx_rdx_rdx_rcx[] = {0xc4, 0xe2, 0xf1, 0xf7, 0xd2};

/*
 * The same probe without touching the flags (BMI2 shifts, LEA arithmetic
 * and JRCXZ), for when the guest's flags are only in the host's: the
 * memory access then costs no flag save and reload. Clobbers rax, rcx,
 * rdx.
 */
uint8_t *jt_emit_probe_nf(struct tctx *x, unsigned size, bool write)
{
	struct emit *e = &x->e;
	int32_t tlb = OFF_TLB(x->b->user);
	uint8_t *site;

	/* rax = ((lin >> 12) & (TLB_SIZE - 1)) * 64 */
	mov_ri64(e, H_RCX, 64 - 12 - TLB_BITS);
	emit_raw(e, vex_shlx_rax_rsi_rcx, sizeof(vex_shlx_rax_rsi_rcx));
	mov_ri64(e, H_RCX, 64 - TLB_BITS);
	emit_raw(e, vex_shrx_rax_rax_rcx, sizeof(vex_shrx_rax_rax_rcx));
	lea_scaled(e, H_RAX, H_RAX, 8);
	lea_scaled(e, H_RAX, H_RAX, 8);
	/* rdx = ~(page of the last byte | 1) */
	lea(e, H_RDX, H_RSI, H_RSP, 1, (int32_t)size - 1);
	mov_ri64(e, H_RCX, 12);
	emit_raw(e, vex_shrx_rdx_rdx_rcx, sizeof(vex_shrx_rdx_rdx_rcx));
	emit_raw(e, vex_shlx_rdx_rdx_rcx, sizeof(vex_shlx_rdx_rdx_rcx));
	lea(e, H_RDX, H_RDX, H_RSP, 1, 1);
	not_r(e, H_RDX);
	/* rcx = tag - (page | 1): zero on a hit */
	op_r_mbi(e, 0x8b, H_RCX, H_RBX, H_RAX,
		 tlb + (int32_t)(write ? offsetof(struct x86_tlbe, tag_w)
				       : offsetof(struct x86_tlbe, tag_r)));
	lea(e, H_RCX, H_RCX, H_RDX, 1, 1);
	e8(e, 0xe3); /* jrcxz over the jmp to the stub */
	e8(e, 5);
	site = jmp32(e);
	op_r_mbi(e, 0x8b, H_RAX, H_RBX, H_RAX,
		 tlb + (int32_t)offsetof(struct x86_tlbe, addend));
	lea(e, H_RAX, H_RAX, H_RSI, 1, 0);
	return site;
}

/* Probe for an access at rsi: without touching the flags when the guest's
 * are only in the host's (the stub saves them), else after saving them. */
uint8_t *jt_probe(struct tctx *x, unsigned size, bool write)
{
	if (x->hd && x->j->bmi2) {
		x->probe_hd = x->hd;
		return jt_emit_probe_nf(x, size, write);
	}
	jt_flags_to_mem(x);
	x->probe_hd = 0;
	return jt_emit_probe(x, size, write);
}

void jt_add_stub(struct tctx *x, uint8_t *site, uint64_t rip, unsigned k,
		 bool leave, bool load_flags)
{
	struct stub *s = &x->stubs[x->nstubs++];
	s->site = site;
	s->resume = x->e.p;
	s->rip = rip;
	s->k = k;
	s->leave = leave;
	s->load_flags = load_flags;
	s->regs = x->stub_regs;
	s->hd = x->probe_hd;
}

/* Re-encode t with host registers (memory operand -> [mbase]). */
bool jt_encode(struct tctx *x, struct tinsn *t, ZydisRegister mbase)
{
	ZydisEncoderRequest req;
	ZyanUSize len = sizeof(t->enc);
	bool lea = t->zi.mnemonic == ZYDIS_MNEMONIC_LEA;

	if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
		&t->zi, t->zops, t->zi.operand_count_visible, &req)))
		return false;
	req.prefixes &= ~(ZydisInstructionAttributes)ZYDIS_ATTRIB_HAS_SEGMENT;
	for (unsigned k = 0; k < req.operand_count; k++) {
		ZydisEncoderOperand *o = &req.operands[k];
		if (t->cl_count && k == 1)
			continue; /* stays CL: rcx is loaded with the guest's */
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			int g = jt_greg(o->reg.value);
			if (g < 0 || x->host[g] < 0)
				return false;
			o->reg.value =
			    jt_hreg_as(o->reg.value, (unsigned)x->host[g]);
		} else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (lea) {
				if (o->mem.base != ZYDIS_REGISTER_NONE) {
					int g = jt_greg(o->mem.base);
					if (g < 0 || x->host[g] < 0)
						return false;
					o->mem.base = jt_hreg_as(
					    o->mem.base, (unsigned)x->host[g]);
				}
				if (o->mem.index != ZYDIS_REGISTER_NONE) {
					int g = jt_greg(o->mem.index);
					if (g < 0 || x->host[g] < 0)
						return false;
					o->mem.index = jt_hreg_as(
					    o->mem.index, (unsigned)x->host[g]);
				}
				continue;
			}
			o->mem.base = mbase;
			o->mem.index = ZYDIS_REGISTER_NONE;
			o->mem.scale = 0;
			o->mem.displacement = 0;
			req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_NONE;
		}
	}
	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, t->enc, &len)))
		return false;
	t->enc_len = (uint8_t)len;
	return true;
}

void jt_emit_bytes(struct emit *e, const uint8_t *p, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		e8(e, p[k]);
}

/*
 * Zydis could not encode t on host registers (no instruction has shown
 * this, but the encoder is the judge): run it in the interpreter. Such an
 * instruction has no memory fault the flag liveness did not expect: with a
 * memory operand it was a fault point anyway, and register forms of the
 * native mnemonics do not fault.
 */
void jt_encode_failed(struct tctx *x, const struct tinsn *t, unsigned k,
		      uint8_t *site)
{
	jt_flags_to_mem(x);
	jt_call_helper(x, t->rip, k, false);
	if (site)
		jt_add_stub(x, site, t->rip, k, false, false);
	x->j->stats.fallback_insns++;
}
