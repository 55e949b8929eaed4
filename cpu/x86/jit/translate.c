// SPDX-License-Identifier: GPL-2.0
/*
 * Translation of one basic block of 64-bit guest code into host code.
 *
 * Three passes over the block's instructions (at most JIT_MAX_INSNS, never
 * past the page):
 *   1. decode with Zydis and classify: native (re-encoded with host
 *      registers: ALU, MOV/MOVZX/MOVSX, LEA, shifts by an immediate, IMUL,
 *      CMOVcc/SETcc, BT*, BSF/BSR, XCHG/XADD, with at most one memory
 *      operand), direct branches (Jcc, JMP, CALL rel, RET), or fallback
 *      (the interpreter's handler, called from the block);
 *   2. allocate the guest registers the block uses to r8-r15 (the most used
 *      first); an instruction using one left in memory falls back;
 *   3. flag liveness backwards, then emit. Guest flags live in the host's
 *      flags after a native instruction writes them and go to memory
 *      (st->rflags) only where something may read them there: a fallback,
 *      a memory access (it may fault), a block exit.
 *
 * Memory operands: the linear address goes to rsi, the soft-TLB probe
 * (the same entries the interpreter fills) gives the host pointer in rax,
 * and the instruction runs on [rax] — so LOCKed instructions stay atomic.
 * A miss jumps to a stub that runs the whole instruction in the
 * interpreter (which refills the TLB, or faults, or exits for MMIO).
 */
#include <stddef.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/jit/emit.h"
#include "cpu/x86/jit/jit.h"

#define A6 0x8d5u /* CF PF AF ZF SF OF */

enum tkind {
	T_FALLBACK,
	T_NATIVE,
	T_NOP,
	T_LEA_RIP,
	T_JCC,
	T_JMP,
	T_CALL,
	T_RET,
	T_PUSH,	    /* PUSH r64 / imm */
	T_POP,	    /* POP r64 */
	T_RAXRDX,   /* MUL, IMUL r/m, CQO...: hidden RAX/RDX through rax/rdx */
	T_JMP_IND,  /* JMP r/m64 (near) */
	T_CALL_IND, /* CALL r/m64 (near) */
};

struct tinsn {
	struct x86_insn insn; /* the interpreter's form (fallback, stubs) */
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
	uint64_t rip;
	uint64_t target;  /* JCC/JMP/CALL; LEA_RIP value */
	uint32_t uses;	  /* guest GPRs read or written (bitmap) */
	uint32_t writes;  /* guest GPRs written */
	uint16_t fread;	  /* arithmetic flags read */
	uint16_t fwrite;  /* arithmetic flags written */
	int8_t mem;	  /* operand index of the memory access, -1 none */
	uint8_t kind;	  /* enum tkind */
	uint8_t msize;	  /* bytes */
	bool mwrite;	  /* the access writes (probe the write tag) */
	bool live_before; /* guest flags observable before this insn */
	bool cl_count;	  /* shift/rotate by CL: host cl = guest cl */
	uint8_t enc_len;
	uint8_t enc[15];
};

_Static_assert(sizeof(struct x86_tlbe) == 64, "probe indexes by << 6");

size_t jit_tinsn_size(void);
size_t jit_tinsn_size(void)
{
	return sizeof(struct tinsn);
}

/* ---- pass 1: decode and classify --------------------------------------- */

/* Guest GPR number of a Zydis register, -1 not a GPR, -2 AH/CH/DH/BH. */
static int greg(ZydisRegister r)
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
static ZydisRegister hreg_as(ZydisRegister r, unsigned h)
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
static bool ends_block(const struct tinsn *t)
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
			    greg(o->reg.value) != -1)
				return false;
			continue;
		}
		switch (o->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			g = greg(o->reg.value);
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
				g = greg(o->mem.base);
				if (g < 0)
					return false;
				t->uses |= 1u << g;
			}
			if (o->mem.index != ZYDIS_REGISTER_NONE) {
				g = greg(o->mem.index);
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

static void classify(struct tinsn *t)
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
			    ? greg(o->reg.value)
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
			g = greg(o->reg.value);
			if (g == -1)
				continue;
			if (g != X86_RAX && g != X86_RDX)
				return;
		}
		for (unsigned k = 0; k < zi->operand_count_visible; k++) {
			const ZydisDecodedOperand *o = &t->zops[k];
			if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    greg(o->reg.value) < 0)
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

/* ---- pass 3: emission ---------------------------------------------------- */

/*
 * Where the guest's arithmetic flags are, per flag: hv = valid in the
 * host's flags, hd = only there (st->rflags is stale for them; hd <= hv).
 * A partial writer (INC, DEC, rotates) adds to both without loading the
 * rest; a reader needs its flags in hv (else st->rflags is loaded).
 */

/*
 * Guest registers live in r8-r15 while a block uses them: loaded on first
 * use, written back (when changed) before anything that reads st->gpr —
 * a helper, an exit — and evicted least-recently-used when an
 * instruction needs a register and all eight hold others.
 */
struct regs {
	int8_t host[16];  /* guest GPR -> host register, -1 in memory */
	int8_t guest[16]; /* host register -> guest GPR, -1 free */
	uint32_t dirty;	  /* guest GPRs whose host copy is newer */
};

struct stub {
	uint8_t *site;	  /* rel32 of the jne to the stub */
	uint8_t *resume;  /* where the fast path continues */
	uint64_t rip;	  /* of the instruction the stub runs */
	unsigned k;	  /* instructions before this one in the block */
	bool leave;	  /* the instruction always leaves the block */
	bool load_flags;  /* the fast path has guest flags in host flags */
	struct regs regs; /* registers as they were before the instruction */
	uint16_t hd;	  /* flags only in the host's when it jumped here */
};

struct tctx {
	struct x86_core *c;
	struct jit *j;
	struct jit_block *b;
	struct emit e;
	struct regs r;
	int8_t host[16];	   /* = r.host while encoding */
	unsigned stamp[16], clock; /* LRU of host registers */
	uint16_t hv, hd;
	struct regs stub_regs; /* registers before the current instruction */
	uint16_t probe_hd;     /* hd at the last probe (0: flags saved) */
	struct stub stubs[JIT_MAX_INSNS];
	uint8_t *exits[JIT_MAX_INSNS * 2]; /* rel32s of direct exits */
	unsigned nexits;
	unsigned nstubs;
};

static void spill_regs(struct emit *e, const struct regs *r)
{
	for (unsigned g = 0; g < 16; g++)
		if (r->dirty & (1u << g))
			st64(e, H_RBP, OFF_GPR(g), (unsigned)r->host[g]);
}

static void load_regs(struct emit *e, const struct regs *r)
{
	for (unsigned g = 0; g < 16; g++)
		if (r->host[g] >= 0)
			ld64(e, (unsigned)r->host[g], H_RBP, OFF_GPR(g));
}

/* Write back what changed (before a helper or an exit). */
static void spill(struct tctx *x)
{
	spill_regs(&x->e, &x->r);
	x->r.dirty = 0;
}

/* After a helper: st->gpr may have changed, so nothing is cached. */
static void forget(struct tctx *x)
{
	memset(x->r.host, -1, sizeof(x->r.host));
	memset(x->r.guest, -1, sizeof(x->r.guest));
	x->r.dirty = 0;
}

/* Bring the guest registers in `uses` into host registers. */
static void map_regs(struct tctx *x, uint32_t uses)
{
	for (unsigned g = 0; g < 16; g++) {
		unsigned h, best = 0;
		if (!(uses & (1u << g)))
			continue;
		if (x->r.host[g] >= 0) {
			x->stamp[x->r.host[g]] = ++x->clock;
			continue;
		}
		for (h = H_R8; h <= H_R15; h++) {
			int o = x->r.guest[h];
			if (o < 0) {
				best = h;
				break;
			}
			if (uses & (1u << o))
				continue;
			if (!best || x->stamp[h] < x->stamp[best])
				best = h;
		}
		if (x->r.guest[best] >= 0) {
			unsigned o = (unsigned)x->r.guest[best];
			if (x->r.dirty & (1u << o))
				st64(&x->e, H_RBP, OFF_GPR(o), best);
			x->r.dirty &= ~(1u << o);
			x->r.host[o] = -1;
		}
		ld64(&x->e, best, H_RBP, OFF_GPR(g));
		x->r.host[g] = (int8_t)best;
		x->r.guest[best] = (int8_t)g;
		x->stamp[best] = ++x->clock;
	}
	memcpy(x->host, x->r.host, sizeof(x->host));
}

/* The host's flags in hd -> st->rflags. */
static void flags_store(struct tctx *x)
{
	struct emit *e = &x->e;
	pushfq(e);
	pop_r(e, H_RCX);
	op_ri32(e, 4, H_RCX, x->hd);
	ld64(e, H_RDX, H_RBP, OFF_RFLAGS);
	op_ri(e, 4, H_RDX, (int32_t) ~(uint32_t)x->hd);
	op_rr(e, 0x09, H_RDX, H_RCX);
	st64(e, H_RBP, OFF_RFLAGS, H_RDX);
	x->hd = 0;
}

/* st->rflags (arithmetic bits) -> host flags. DF, TF, AC stay 0. Only
 * with hd empty (st->rflags current). */
static void flags_load(struct tctx *x)
{
	struct emit *e = &x->e;
	ld64(e, H_RCX, H_RBP, OFF_RFLAGS);
	op_ri32(e, 4, H_RCX, A6);
	push_r(e, H_RCX);
	popfq(e);
	x->hv = A6;
}

/* Host flags captured in rdi -> st->rflags (the JCC's two exits). */
static void flags_store_from_rdi(struct tctx *x, uint16_t hd)
{
	struct emit *e = &x->e;
	op_ri32(e, 4, H_RDI, hd);
	ld64(e, H_RDX, H_RBP, OFF_RFLAGS);
	op_ri(e, 4, H_RDX, (int32_t) ~(uint32_t)hd);
	op_rr(e, 0x09, H_RDX, H_RDI);
	st64(e, H_RBP, OFF_RFLAGS, H_RDX);
}

/* Make st->rflags current before something that reads it or clobbers
 * the host's flags (a fault point, a helper, an exit, a TLB probe). */
static void flags_to_mem(struct tctx *x)
{
	if (x->hd)
		flags_store(x);
	x->hv = 0;
}

/* Make the flags in `need` valid in the host's flags. */
static void flags_to_host(struct tctx *x, uint16_t need)
{
	if (!(need & ~x->hv))
		return;
	if (x->hd)
		flags_store(x);
	flags_load(x);
}

static void jmp_leave(struct tctx *x)
{
	patch32(jmp32(&x->e), x->j->leave);
}

static void jcc_leave(struct tctx *x, unsigned cc)
{
	patch32(jcc32(&x->e, cc), x->j->leave);
}

/* A direct exit to `target` after n instructions: chainable. */
/*
 * A direct exit to `target` after n instructions: its jmp first goes to a
 * stub (after the block) that tells the dispatcher which exit of which
 * block this was, so it can patch the jmp to go straight to the next
 * block; once patched, the exit costs no more than the jmp.
 */
static void exit_direct(struct tctx *x, uint64_t target, unsigned n)
{
	struct emit *e = &x->e;

	spill(x);
	mov_ri64(e, H_RAX, target);
	st64(e, H_RBP, OFF_RIP, H_RAX);
	op_mi(e, 0, H_RBX, OFF_INSNS, (int32_t)n);
	if (x->nexits < JIT_MAX_INSNS * 2)
		x->exits[x->nexits++] = jmp32(e);
	else
		patch32(jmp32(e), x->j->leave); /* (cannot happen) */
}

static void emit_exit_stubs(struct tctx *x)
{
	struct emit *e = &x->e;
	for (unsigned k = 0; k < x->nexits; k++) {
		uint8_t *lea_at;
		patch32(x->exits[k], e->p);
		lea_at = lea_rip(e, H_RAX);
		patch32(lea_at, x->exits[k]);
		st64(e, H_RBX, OFF_SITE, H_RAX);
		mov_ri64(e, H_RAX, (uint64_t)(uintptr_t)x->b);
		st64(e, H_RBX, OFF_FROM, H_RAX);
		jmp_leave(x);
	}
}

/*
 * Leave for the block at rcx (an indirect target) through the jump cache:
 * taken only if the cache has a block for that RIP and this core's TLB
 * still maps its page, for fetch, to the guest-physical page the block was
 * translated from. st->rip must already be rcx.
 */
static void emit_jc_jump(struct tctx *x)
{
	struct emit *e = &x->e;
	int32_t tlb = OFF_TLB(x->b->user);

	mov_rr(e, H_RAX, H_RCX);
	shift_ri(e, 5, H_RAX, 12);
	op_rr(e, 0x31, H_RAX, H_RCX);
	op_ri32(e, 4, H_RAX, JIT_JC_SIZE - 1);
	shift_ri(e, 4, H_RAX, 5);
	mov_ri64(e, H_RDX, (uint64_t)(uintptr_t)&x->j->jc[x->b->user][0]);
	op_rr(e, 0x01, H_RAX, H_RDX);
	op_rm(e, 0x3b, H_RCX, H_RAX, 0); /* cmp rcx, [rax].rip */
	jcc_leave(x, CC_NE);
	mov_rr(e, H_RDX, H_RCX);
	shift_ri(e, 5, H_RDX, 12);
	op_ri32(e, 4, H_RDX, TLB_SIZE - 1);
	shift_ri(e, 4, H_RDX, 6);
	mov_rr(e, H_RSI, H_RCX);
	op_ri(e, 4, H_RSI, (int32_t)0xfffff000);
	op_ri(e, 1, H_RSI, 1);
	op_r_mbi(e, 0x3b, H_RSI, H_RBX, H_RDX,
		 tlb + (int32_t)offsetof(struct x86_tlbe, tag_x));
	jcc_leave(x, CC_NE);
	op_r_mbi(e, 0x8b, H_RSI, H_RBX, H_RDX,
		 tlb + (int32_t)offsetof(struct x86_tlbe, gpa));
	op_rm(e, 0x3b, H_RSI, H_RAX, 8); /* cmp rsi, [rax].gpa */
	jcc_leave(x, CC_NE);
	e8(e, 0xff); /* jmp [rax + 16] (.code) */
	e8(e, 0x60);
	e8(e, 16);
}

/* Call the interpreter for the instruction at rip (k before it). */
static void call_helper(struct tctx *x, uint64_t rip, unsigned k, bool leave)
{
	struct emit *e = &x->e;
	spill(x);
	mov_rr(e, H_RDI, H_RBX);
	mov_ri64(e, H_RSI, rip);
	mov_ri64(e, H_RCX, (uint64_t)(uintptr_t)x->b);
	mov_ri64(e, H_RDX, k | (leave ? 1u << 31 : 0));
	call_abs(e, (const void *)jit_exec_insn);
	if (leave) {
		jmp_leave(x);
		return;
	}
	forget(x);
	test_eax(e);
	jcc_leave(x, CC_NE);
}

/* Linear address of memory operand o of t into rsi. */
static void emit_ea(struct tctx *x, const struct tinsn *t,
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
		unsigned b = hb ? (unsigned)x->host[greg(o->mem.base)] : 0;
		unsigned i = hi ? (unsigned)x->host[greg(o->mem.index)] : 0;
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
static uint8_t *emit_probe(struct tctx *x, unsigned size, bool write)
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
static uint8_t *emit_probe_nf(struct tctx *x, unsigned size, bool write)
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
static uint8_t *probe(struct tctx *x, unsigned size, bool write)
{
	if (x->hd && x->j->bmi2) {
		x->probe_hd = x->hd;
		return emit_probe_nf(x, size, write);
	}
	flags_to_mem(x);
	x->probe_hd = 0;
	return emit_probe(x, size, write);
}

static void add_stub(struct tctx *x, uint8_t *site, uint64_t rip, unsigned k,
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
static bool encode(struct tctx *x, struct tinsn *t, ZydisRegister mbase)
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
			int g = greg(o->reg.value);
			if (g < 0 || x->host[g] < 0)
				return false;
			o->reg.value =
			    hreg_as(o->reg.value, (unsigned)x->host[g]);
		} else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (lea) {
				if (o->mem.base != ZYDIS_REGISTER_NONE) {
					int g = greg(o->mem.base);
					if (g < 0 || x->host[g] < 0)
						return false;
					o->mem.base = hreg_as(
					    o->mem.base, (unsigned)x->host[g]);
				}
				if (o->mem.index != ZYDIS_REGISTER_NONE) {
					int g = greg(o->mem.index);
					if (g < 0 || x->host[g] < 0)
						return false;
					o->mem.index = hreg_as(
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

static void emit_bytes(struct emit *e, const uint8_t *p, unsigned n)
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
static void encode_failed(struct tctx *x, const struct tinsn *t, unsigned k,
			  uint8_t *site)
{
	flags_to_mem(x);
	call_helper(x, t->rip, k, false);
	if (site)
		add_stub(x, site, t->rip, k, false, false);
	x->j->stats.fallback_insns++;
}

/* ---- the block ----------------------------------------------------------- */

struct jit_block *jit_translate(struct x86_core *c, struct jit *j, uint64_t rip,
				uint64_t gpa, const uint8_t *page)
{
	struct tinsn *ti = j->ti;
	struct tctx x = {.c = c, .j = j};
	struct jit_block *b;
	unsigned n = 0;
	uint64_t r = rip;

	if (j->data_cur + sizeof(*b) + 64 > j->data_end ||
	    j->code_cur + JIT_BLOCK_ROOM > j->code_end)
		return NULL; /* caller flushes and retries */
	b = (struct jit_block *)j->data_cur;
	j->data_cur += (sizeof(*b) + 63) & ~(size_t)63;
	memset(b, 0, sizeof(*b));
	b->rip = rip;
	b->gpa = gpa;
	b->user = c->cpl == 3;
	b->gen = __atomic_load_n(&c->page_gen[(gpa >> 12) & (PAGEGEN_SIZE - 1)],
				 __ATOMIC_ACQUIRE);
	x.b = b;

	/* pass 1 */
	while (n < JIT_MAX_INSNS && (r & ~0xfffull) == (rip & ~0xfffull)) {
		struct tinsn *t = &ti[n];
		unsigned off = (unsigned)(r & 0xfff);
		if (!x86_decode_insn(c, page + off, 0x1000 - off, &t->insn,
				     &t->zi, t->zops))
			break; /* crosses the page, or #UD: interpret */
		t->rip = r;
		classify(t);
		if (t->kind == T_FALLBACK || t->mem >= 0)
			x86_icache_put(c, gpa + (r - rip), &t->insn);
		r += t->zi.length;
		n++;
		if (ends_block(t))
			break;
	}
	if (!n)
		return b; /* code NULL: interpret */
	x86_note_code_page(c, gpa);

	forget(&x);
	/* flag liveness, backwards: live at the end of the block */
	{
		bool live = true;
		for (unsigned k = n; k-- > 0;) {
			struct tinsn *t = &ti[k];
			switch (t->kind) {
			case T_NATIVE:
			case T_RAXRDX:
				if (t->mem >= 0 || t->fread)
					live = true;
				else if (t->fwrite == A6)
					live = false;
				break;
			case T_NOP:
			case T_LEA_RIP:
				break;
			default: /* fallbacks, branches, exits */
				live = true;
			}
			t->live_before = live;
		}
	}

	/* pass 3 */
	x.e.p = j->code_cur;
	x.e.end = j->code_cur + JIT_BLOCK_ROOM;
	x.hv = x.hd = 0;
	b->code = x.e.p;
	b->ninsns = (uint8_t)n;
	{
		struct emit *e = &x.e;
		/* prologue: budget, generation, kick */
		op_mi(e, 5, H_RBX, OFF_BUDGET, (int32_t)n);
		jcc_leave(&x, CC_S);
		mov_ri64(e, H_RAX,
			 (uint64_t)(uintptr_t)&c
			     ->page_gen[(gpa >> 12) & (PAGEGEN_SIZE - 1)]);
		e8(e, 0x81); /* cmp dword [rax], gen */
		e8(e, 0x38);
		e32(e, b->gen);
		jcc_leave(&x, CC_NE);
		ld64(e, H_RAX, H_RBX, OFF_KICK);
		e8(e, 0x83); /* cmp dword [rax], 0 */
		e8(e, 0x38);
		e8(e, 0);
		jcc_leave(&x, CC_NE);
	}
	for (unsigned k = 0; k < n; k++) {
		struct tinsn *t = &ti[k];
		struct emit *e = &x.e;
		bool live_after = k + 1 < n ? ti[k + 1].live_before : true;
		uint64_t rec = t->rip; /* what a helper runs */

		if (t->kind != T_FALLBACK) {
			/* (writing back a register before the instruction
			 * changed it is harmless, so it is dirty from here) */
			map_regs(&x, t->uses);
			x.r.dirty |= t->writes;
			x.stub_regs = x.r;
		}
		switch (t->kind) {
		case T_FALLBACK:
			flags_to_mem(&x);
			call_helper(&x, rec, k, false);
			j->stats.fallback_insns++;
			break;
		case T_NOP:
			break;
		case T_LEA_RIP:
			mov_ri64(e,
				 (unsigned)x.host[greg(t->zops[0].reg.value)],
				 t->target);
			break;
		case T_NATIVE: {
			uint8_t *site = NULL;
			if (t->mem >= 0) {
				emit_ea(&x, t, &t->zops[t->mem]);
				site = probe(&x, t->msize, t->mwrite);
			}
			if (!encode(&x, t, ZYDIS_REGISTER_RAX)) {
				encode_failed(&x, t, k, site);
				break;
			}
			flags_to_host(&x, t->fread);
			if (t->cl_count)
				mov_rr(e, H_RCX, (unsigned)x.host[X86_RCX]);
			emit_bytes(e, t->enc, t->enc_len);
			x.hv |= t->fwrite;
			x.hd |= t->fwrite;
			/* the interpreter leaves all flags in st->rflags: load
			 * the ones the fast path has in the host */
			if (site)
				add_stub(&x, site, rec, k, false, x.hv != 0);
			j->stats.native_insns++;
			break;
		}
		case T_RAXRDX: {
			uint8_t *site = NULL;
			if (t->mem >= 0) {
				emit_ea(&x, t, &t->zops[t->mem]);
				site = probe(&x, t->msize, t->mwrite);
				mov_rr(e, H_RSI, H_RAX);
			}
			flags_to_host(&x, t->fread);
			if (!encode(&x, t, ZYDIS_REGISTER_RSI)) {
				encode_failed(&x, t, k, site);
				break;
			}
			mov_rr(e, H_RAX, (unsigned)x.host[X86_RAX]);
			mov_rr(e, H_RDX, (unsigned)x.host[X86_RDX]);
			emit_bytes(e, t->enc, t->enc_len);
			mov_rr(e, (unsigned)x.host[X86_RAX], H_RAX);
			mov_rr(e, (unsigned)x.host[X86_RDX], H_RDX);
			x.hv |= t->fwrite;
			x.hd |= t->fwrite;
			if (site)
				add_stub(&x, site, rec, k, false, x.hv != 0);
			j->stats.native_insns++;
			break;
		}
		case T_PUSH:
		case T_POP: {
			unsigned sp = (unsigned)x.host[X86_RSP];
			const ZydisDecodedOperand *o = &t->zops[0];
			bool reg = o->type == ZYDIS_OPERAND_TYPE_REGISTER;
			unsigned r =
			    reg ? (unsigned)x.host[greg(o->reg.value)] : 0;
			uint8_t *site;
			if (t->kind == T_PUSH) {
				lea(e, H_RSI, sp, H_RSP, 1, -8);
				site = probe(&x, 8, true);
				if (!reg) {
					mov_ri64(e, H_RCX,
						 (uint64_t)o->imm.value.s);
					r = H_RCX;
				}
				st64(e, H_RAX, 0, r);
				lea(e, sp, sp, H_RSP, 1, -8);
			} else {
				mov_rr(e, H_RSI, sp);
				site = probe(&x, 8, false);
				ld64(e, H_RCX, H_RAX, 0);
				/* POP RSP: the loaded value wins */
				lea(e, sp, sp, H_RSP, 1, 8);
				mov_rr(e, r, H_RCX);
			}
			add_stub(&x, site, rec, k, false, x.hv != 0);
			j->stats.native_insns++;
			break;
		}
		case T_JMP:
			flags_to_mem(&x);
			exit_direct(&x, t->target, k + 1);
			j->stats.native_insns++;
			goto done;
		case T_JCC: {
			struct regs saved;
			uint16_t hd;
			uint8_t *taken;
			flags_to_host(&x, t->fread);
			hd = x.hd;
			if (hd) {
				pushfq(e);
				pop_r(e, H_RDI);
			}
			taken = jcc32(e, t->zi.opcode & 0xf);
			saved = x.r;
			if (hd)
				flags_store_from_rdi(&x, hd);
			exit_direct(&x, t->rip + t->zi.length, k + 1);
			patch32(taken, e->p);
			x.r = saved; /* the other path spills the same */
			if (hd)
				flags_store_from_rdi(&x, hd);
			exit_direct(&x, t->target, k + 1);
			j->stats.native_insns++;
			goto done;
		}
		case T_CALL: {
			unsigned sp = (unsigned)x.host[X86_RSP];
			uint8_t *site;
			flags_to_mem(&x);
			x.probe_hd = 0;
			lea(e, H_RSI, sp, H_RSP, 1, -8);
			site = emit_probe(&x, 8, true);
			mov_ri64(e, H_RCX, t->rip + t->zi.length);
			st64(e, H_RAX, 0, H_RCX);
			lea(e, sp, sp, H_RSP, 1, -8);
			exit_direct(&x, t->target, k + 1);
			add_stub(&x, site, rec, k, true, false);
			j->stats.native_insns++;
			goto done;
		}
		case T_JMP_IND:
		case T_CALL_IND: {
			const ZydisDecodedOperand *o = &t->zops[0];
			uint8_t *site = NULL, *bad, *push = NULL;
			flags_to_mem(&x);
			x.probe_hd = 0;
			if (t->mem >= 0) {
				emit_ea(&x, t, o);
				site = emit_probe(&x, 8, false);
				ld64(e, H_RCX, H_RAX, 0);
			} else {
				mov_rr(e, H_RCX,
				       (unsigned)x.host[greg(o->reg.value)]);
			}
			/* a non-canonical target: #GP, interpreted */
			mov_rr(e, H_RDX, H_RCX);
			shift_ri(e, 4, H_RDX, 16);
			shift_ri(e, 7, H_RDX, 16);
			op_rr(e, 0x39, H_RDX, H_RCX);
			bad = jcc32(e, CC_NE);
			if (t->kind == T_CALL_IND) {
				unsigned sp = (unsigned)x.host[X86_RSP];
				lea(e, H_RSI, sp, H_RSP, 1, -8);
				push = emit_probe(&x, 8, true);
				mov_ri64(e, H_RDX, t->rip + t->zi.length);
				st64(e, H_RAX, 0, H_RDX);
				lea(e, sp, sp, H_RSP, 1, -8);
			}
			spill(&x);
			st64(e, H_RBP, OFF_RIP, H_RCX);
			op_mi(e, 0, H_RBX, OFF_INSNS, (int32_t)(k + 1));
			emit_jc_jump(&x);
			if (site)
				add_stub(&x, site, rec, k, true, false);
			if (push)
				add_stub(&x, push, rec, k, true, false);
			add_stub(&x, bad, rec, k, true, false);
			j->stats.native_insns++;
			goto done;
		}
		case T_RET: {
			unsigned sp = (unsigned)x.host[X86_RSP];
			uint8_t *site, *bad;
			flags_to_mem(&x);
			x.probe_hd = 0;
			mov_rr(e, H_RSI, sp);
			site = emit_probe(&x, 8, false);
			ld64(e, H_RCX, H_RAX, 0);
			/* a non-canonical return address: #GP, interpreted */
			mov_rr(e, H_RDX, H_RCX);
			shift_ri(e, 4, H_RDX, 16);
			shift_ri(e, 7, H_RDX, 16);
			op_rr(e, 0x39, H_RDX, H_RCX);
			bad = jcc32(e, CC_NE);
			lea(e, sp, sp, H_RSP, 1, 8);
			spill(&x);
			st64(e, H_RBP, OFF_RIP, H_RCX);
			op_mi(e, 0, H_RBX, OFF_INSNS, (int32_t)(k + 1));
			emit_jc_jump(&x);
			add_stub(&x, site, rec, k, true, false);
			add_stub(&x, bad, rec, k, true, false);
			j->stats.native_insns++;
			goto done;
		}
		}
		if (!live_after)
			x.hd = 0; /* overwritten before anyone looks */
	}
	/* fell off the end (page end, length limit, or a fallback branch
	 * that was not taken) */
	flags_to_mem(&x);
	exit_direct(&x, r, n);
done:
	emit_exit_stubs(&x);
	for (unsigned s = 0; s < x.nstubs; s++) {
		struct stub *st = &x.stubs[s];
		patch32(st->site, x.e.p);
		x.r = st->regs;
		x.hd = st->hd;
		if (x.hd)
			flags_store(&x); /* the interpreter reads st->rflags */
		call_helper(&x, st->rip, st->k, st->leave);
		if (st->leave)
			continue;
		/* the fast path goes on with the registers it had */
		load_regs(&x.e, &st->regs);
		if (st->load_flags)
			flags_load(&x);
		patch32(jmp32(&x.e), st->resume);
	}
	if (x.e.overflow)
		return NULL;
	j->code_cur = x.e.p;
	j->stats.blocks++;
	return b;
}
