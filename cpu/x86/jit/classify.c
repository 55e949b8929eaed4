// SPDX-License-Identifier: GPL-2.0
/*
 * Pass 1 of a translation: what each decoded instruction becomes — re-encoded
 * natively, a branch the block handles itself, or a call to the
 * interpreter — and which guest registers and flags it reads and writes.
 */
#include <stddef.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/internal.h"
#include "cpu/x86/jit/jit.h"

/* Guest GPR number of a Zydis register, -1 not a GPR, -2 AH/CH/DH/BH. */
int jt_greg(ZydisRegister r)
{
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH)
			return -2;
		/* fallthrough */
	case ZYDIS_REGCLASS_GPR16:
	case ZYDIS_REGCLASS_GPR32:
	case ZYDIS_REGCLASS_GPR64:
		return ZydisRegisterGetLargestEnclosing(
			   ZYDIS_MACHINE_MODE_LONG_64, r) -
		       ZYDIS_REGISTER_RAX;
	default:
		return -1;
	}
}

/* Host register h (r8-r15, or rax for a memory base) as r's size. */
ZydisRegister jt_hreg_as(ZydisRegister r, unsigned h)
{
	static const ZydisRegister low[4][2] = {
	    {ZYDIS_REGISTER_AL, ZYDIS_REGISTER_R8B},
	    {ZYDIS_REGISTER_AX, ZYDIS_REGISTER_R8W},
	    {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_R8D},
	    {ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_R8},
	};
	unsigned sz;
	switch (ZydisRegisterGetClass(r)) {
	case ZYDIS_REGCLASS_GPR8:
		sz = 0;
		break;
	case ZYDIS_REGCLASS_GPR16:
		sz = 1;
		break;
	case ZYDIS_REGCLASS_GPR32:
		sz = 2;
		break;
	default:
		sz = 3;
	}
	return h >= 8 ? (ZydisRegister)(low[sz][1] + (h - 8)) : low[sz][0];
}

static bool canonical(uint64_t v)
{
	return ((int64_t)(v << 16) >> 16) == (int64_t)v;
}

static bool native_mnemonic(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SBB:
	case ZYDIS_MNEMONIC_AND:
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_XOR:
	case ZYDIS_MNEMONIC_CMP:
	case ZYDIS_MNEMONIC_TEST:
	case ZYDIS_MNEMONIC_INC:
	case ZYDIS_MNEMONIC_DEC:
	case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_NOT:
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
	case ZYDIS_MNEMONIC_LEA:
	case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR:
	case ZYDIS_MNEMONIC_IMUL:
	case ZYDIS_MNEMONIC_BSWAP:
	case ZYDIS_MNEMONIC_XCHG:
	case ZYDIS_MNEMONIC_XADD:
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
	case ZYDIS_MNEMONIC_BSF:
	case ZYDIS_MNEMONIC_BSR:
	case ZYDIS_MNEMONIC_CMOVB:
	case ZYDIS_MNEMONIC_CMOVBE:
	case ZYDIS_MNEMONIC_CMOVL:
	case ZYDIS_MNEMONIC_CMOVLE:
	case ZYDIS_MNEMONIC_CMOVNB:
	case ZYDIS_MNEMONIC_CMOVNBE:
	case ZYDIS_MNEMONIC_CMOVNL:
	case ZYDIS_MNEMONIC_CMOVNLE:
	case ZYDIS_MNEMONIC_CMOVNO:
	case ZYDIS_MNEMONIC_CMOVNP:
	case ZYDIS_MNEMONIC_CMOVNS:
	case ZYDIS_MNEMONIC_CMOVNZ:
	case ZYDIS_MNEMONIC_CMOVO:
	case ZYDIS_MNEMONIC_CMOVP:
	case ZYDIS_MNEMONIC_CMOVS:
	case ZYDIS_MNEMONIC_CMOVZ:
	case ZYDIS_MNEMONIC_SETB:
	case ZYDIS_MNEMONIC_SETBE:
	case ZYDIS_MNEMONIC_SETL:
	case ZYDIS_MNEMONIC_SETLE:
	case ZYDIS_MNEMONIC_SETNB:
	case ZYDIS_MNEMONIC_SETNBE:
	case ZYDIS_MNEMONIC_SETNL:
	case ZYDIS_MNEMONIC_SETNLE:
	case ZYDIS_MNEMONIC_SETNO:
	case ZYDIS_MNEMONIC_SETNP:
	case ZYDIS_MNEMONIC_SETNS:
	case ZYDIS_MNEMONIC_SETNZ:
	case ZYDIS_MNEMONIC_SETO:
	case ZYDIS_MNEMONIC_SETP:
	case ZYDIS_MNEMONIC_SETS:
	case ZYDIS_MNEMONIC_SETZ:
		return true;
	default:
		return false;
	}
}

static bool is_jcc(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_JB:
	case ZYDIS_MNEMONIC_JBE:
	case ZYDIS_MNEMONIC_JL:
	case ZYDIS_MNEMONIC_JLE:
	case ZYDIS_MNEMONIC_JNB:
	case ZYDIS_MNEMONIC_JNBE:
	case ZYDIS_MNEMONIC_JNL:
	case ZYDIS_MNEMONIC_JNLE:
	case ZYDIS_MNEMONIC_JNO:
	case ZYDIS_MNEMONIC_JNP:
	case ZYDIS_MNEMONIC_JNS:
	case ZYDIS_MNEMONIC_JNZ:
	case ZYDIS_MNEMONIC_JO:
	case ZYDIS_MNEMONIC_JP:
	case ZYDIS_MNEMONIC_JS:
	case ZYDIS_MNEMONIC_JZ:
		return true;
	default:
		return false;
	}
}

/* Does the block end after t (control leaves the straight line)? */
bool jt_ends_block(const struct tinsn *t)
{
	switch (t->zi.meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
		return true;
	default:
		return t->zi.mnemonic == ZYDIS_MNEMONIC_HLT ||
		       t->zi.mnemonic == ZYDIS_MNEMONIC_UD2;
	}
}

/* Classify a native candidate's operands; false = fallback. */
static bool native_operands(struct tinsn *t)
{
	const ZydisDecodedInstruction *zi = &t->zi;
	bool lea = zi->mnemonic == ZYDIS_MNEMONIC_LEA;

	for (unsigned k = 0; k < zi->operand_count; k++) {
		const ZydisDecodedOperand *o = &t->zops[k];
		bool wr = o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
		int g;

		if (k >= zi->operand_count_visible) {
			/* hidden operands: flags and RIP only */
			if (o->type == ZYDIS_OPERAND_TYPE_MEMORY)
				return false;
			if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    jt_greg(o->reg.value) != -1)
				return false;
			continue;
		}
		switch (o->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			g = jt_greg(o->reg.value);
			if (g < 0)
				return false;
			t->uses |= 1u << g;
			if (wr)
				t->writes |= 1u << g;
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM &&
			    o->mem.type != ZYDIS_MEMOP_TYPE_AGEN)
				return false;
			if (o->mem.base == ZYDIS_REGISTER_RIP) {
				if (o->mem.index != ZYDIS_REGISTER_NONE)
					return false;
			} else if (o->mem.base != ZYDIS_REGISTER_NONE) {
				g = jt_greg(o->mem.base);
				if (g < 0)
					return false;
				t->uses |= 1u << g;
			}
			if (o->mem.index != ZYDIS_REGISTER_NONE) {
				g = jt_greg(o->mem.index);
				if (g < 0)
					return false;
				t->uses |= 1u << g;
			}
			if (o->mem.disp.value != (int32_t)o->mem.disp.value &&
			    (o->mem.base != ZYDIS_REGISTER_NONE ||
			     o->mem.index != ZYDIS_REGISTER_NONE))
				return false;
			if (lea)
				break;
			if (t->mem >= 0)
				return false;
			if (o->size != 8 && o->size != 16 && o->size != 32 &&
			    o->size != 64)
				return false;
			if (zi->address_width != 64 && zi->address_width != 32)
				return false;
			t->mem = (int8_t)k;
			t->msize = (uint8_t)(o->size / 8);
			t->mwrite = wr;
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			break;
		default:
			return false;
		}
	}
	return true;
}

void jt_classify(struct tinsn *t)
{
	const ZydisDecodedInstruction *zi = &t->zi;
	ZydisMnemonic m = zi->mnemonic;
	uint64_t next = t->rip + zi->length;
	uint32_t all = 0;

	t->kind = T_FALLBACK;
	t->mem = -1;
	t->cl_count = false;
	t->uses = t->writes = 0;
	t->fread = t->fwrite = 0;
	if (zi->cpu_flags) {
		const ZydisAccessedFlags *f = zi->cpu_flags;
		uint32_t w = f->modified | f->set_0 | f->set_1 | f->undefined;
		all = f->tested | w;
		t->fread = f->tested & A6;
		t->fwrite = w & A6;
	}
	if (all & ~A6)
		return; /* DF, IF, TF, AC...: the interpreter's */

	if (is_jcc(m) && t->zops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		t->target = next + (uint64_t)t->zops[0].imm.value.s;
		if (canonical(t->target) && zi->operand_width == 64)
			t->kind = T_JCC;
		return;
	}
	if (m == ZYDIS_MNEMONIC_JMP &&
	    t->zops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		t->target = next + (uint64_t)t->zops[0].imm.value.s;
		if (canonical(t->target) && zi->operand_width == 64)
			t->kind = T_JMP;
		return;
	}
	if (m == ZYDIS_MNEMONIC_CALL &&
	    t->zops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		t->target = next + (uint64_t)t->zops[0].imm.value.s;
		if (canonical(t->target) && zi->operand_width == 64) {
			t->kind = T_CALL;
			t->uses = t->writes = 1u << X86_RSP;
			t->mem = 0;
			t->msize = 8;
			t->mwrite = true;
		}
		return;
	}
	if ((m == ZYDIS_MNEMONIC_JMP || m == ZYDIS_MNEMONIC_CALL) &&
	    zi->meta.branch_type == ZYDIS_BRANCH_TYPE_NEAR &&
	    zi->operand_width == 64 &&
	    (t->zops[0].type == ZYDIS_OPERAND_TYPE_REGISTER ||
	     t->zops[0].type == ZYDIS_OPERAND_TYPE_MEMORY)) {
		uint8_t cnt = t->zi.operand_count;
		bool ok;
		/* the target operand only: RIP/RSP/the stack are ours */
		t->zi.operand_count = 1;
		ok = native_operands(t);
		t->zi.operand_count = cnt;
		if (!ok || t->writes || (t->mem >= 0 && t->msize != 8) ||
		    (t->zops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
		     ZydisRegisterGetClass(t->zops[0].reg.value) !=
			 ZYDIS_REGCLASS_GPR64))
			return;
		t->mwrite = false;
		if (m == ZYDIS_MNEMONIC_CALL) {
			t->uses |= 1u << X86_RSP;
			t->writes |= 1u << X86_RSP;
		}
		t->kind = m == ZYDIS_MNEMONIC_JMP ? T_JMP_IND : T_CALL_IND;
		return;
	}
	if (m == ZYDIS_MNEMONIC_RET && zi->opcode == 0xc3 &&
	    zi->operand_width == 64) {
		t->kind = T_RET;
		t->uses = t->writes = 1u << X86_RSP;
		t->mem = 0;
		t->msize = 8;
		return;
	}
	if ((m == ZYDIS_MNEMONIC_PUSH || m == ZYDIS_MNEMONIC_POP) &&
	    zi->operand_width == 64) {
		const ZydisDecodedOperand *o = &t->zops[0];
		int g = o->type == ZYDIS_OPERAND_TYPE_REGISTER
			    ? jt_greg(o->reg.value)
			    : -1;
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER && g < 0)
			return;
		if (o->type != ZYDIS_OPERAND_TYPE_REGISTER &&
		    (m == ZYDIS_MNEMONIC_POP ||
		     o->type != ZYDIS_OPERAND_TYPE_IMMEDIATE))
			return;
		t->kind = m == ZYDIS_MNEMONIC_PUSH ? T_PUSH : T_POP;
		t->uses = t->writes = 1u << X86_RSP;
		if (g >= 0) {
			t->uses |= 1u << g;
			if (m == ZYDIS_MNEMONIC_POP)
				t->writes |= 1u << g;
		}
		t->mem = 0;
		t->msize = 8;
		t->mwrite = m == ZYDIS_MNEMONIC_PUSH;
		return;
	}
	if (m == ZYDIS_MNEMONIC_MUL ||
	    (m == ZYDIS_MNEMONIC_IMUL && zi->operand_count_visible == 1) ||
	    m == ZYDIS_MNEMONIC_CQO || m == ZYDIS_MNEMONIC_CDQ ||
	    m == ZYDIS_MNEMONIC_CDQE || m == ZYDIS_MNEMONIC_CWDE ||
	    m == ZYDIS_MNEMONIC_CMPXCHG) {
		/* the hidden operands are exactly rax/rdx (and flags) */
		for (unsigned k = zi->operand_count_visible;
		     k < zi->operand_count; k++) {
			const ZydisDecodedOperand *o = &t->zops[k];
			int g;
			if (o->type != ZYDIS_OPERAND_TYPE_REGISTER)
				return;
			g = jt_greg(o->reg.value);
			if (g == -1)
				continue;
			if (g != X86_RAX && g != X86_RDX)
				return;
		}
		for (unsigned k = 0; k < zi->operand_count_visible; k++) {
			const ZydisDecodedOperand *o = &t->zops[k];
			if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    jt_greg(o->reg.value) < 0)
				return;
		}
		{
			/* hide them from native_operands' check */
			uint8_t cnt = t->zi.operand_count;
			t->zi.operand_count = t->zi.operand_count_visible;
			if (!native_operands(t)) {
				t->zi.operand_count = cnt;
				return;
			}
			t->zi.operand_count = cnt;
		}
		/* a written register operand that is RAX/RDX itself would
		 * be overwritten by the copy back from rax/rdx */
		if (t->writes & (1u << X86_RAX | 1u << X86_RDX))
			return;
		t->uses |= 1u << X86_RAX | 1u << X86_RDX;
		t->writes |= 1u << X86_RAX | 1u << X86_RDX;
		t->kind = T_RAXRDX;
		return;
	}
	if (m == ZYDIS_MNEMONIC_NOP || m == ZYDIS_MNEMONIC_PREFETCHT0 ||
	    m == ZYDIS_MNEMONIC_PREFETCHT1 || m == ZYDIS_MNEMONIC_PREFETCHT2 ||
	    m == ZYDIS_MNEMONIC_PREFETCHNTA || m == ZYDIS_MNEMONIC_PREFETCHW) {
		/* hints: no access, no fault, nothing to do */
		t->kind = T_NOP;
		return;
	}
	if (!native_mnemonic(m) || !native_operands(t))
		return;
	if (m == ZYDIS_MNEMONIC_LEA) {
		const ZydisDecodedOperand *o = &t->zops[1];
		if (o->mem.base == ZYDIS_REGISTER_RIP) {
			if (zi->operand_width != 64 || zi->address_width != 64)
				return;
			t->target = next + (uint64_t)o->mem.disp.value;
			t->kind = T_LEA_RIP;
			return;
		}
	}
	switch (m) {
	case ZYDIS_MNEMONIC_SHL:
	case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR:
	case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR: {
		/* a count of 0 leaves the flags alone: not "writes all" */
		const ZydisDecodedOperand *o = &t->zops[1];
		unsigned mask = zi->operand_width == 64 ? 63 : 31;
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
		    o->reg.value == ZYDIS_REGISTER_CL) {
			/* the count is known only at run time: the host's
			 * flags must hold all the guest's before (a count
			 * of 0 leaves them), i.e. it reads them all */
			t->cl_count = true;
			t->fread = A6;
			break;
		}
		if (o->type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
		    !(o->imm.value.u & mask))
			return;
		break;
	}
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
		/* a register bit offset reaches outside the memory operand */
		if (t->mem >= 0 &&
		    t->zops[1].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
			return;
		break;
	default:
		break;
	}
	t->kind = T_NATIVE;
}
