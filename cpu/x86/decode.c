// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction fetch and decode. Zydis decodes an instruction once; the
 * result is kept in compact form (struct x86_insn, with its handler) in a
 * direct-mapped cache keyed by guest-physical address and decoder mode.
 * An entry is valid while its page's generation is unchanged: writes to a
 * page holding decoded code bump the generation (the soft TLB sends such
 * writes down the slow path). Instructions that cross a page are decoded
 * every time and never cached.
 */
#include <pthread.h>
#include <stdlib.h>

#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

static x86_handler handlers[ZYDIS_MNEMONIC_MAX_VALUE + 1];

struct regmap {
	uint8_t rk, reg;
};
static struct regmap regmap[ZYDIS_REGISTER_MAX_VALUE + 1];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static HANDLER(h_unimpl)
{
	x86_unimplemented(c, ZydisMnemonicGetString(i->mnemonic));
}

static void init_tables(void)
{
	for (unsigned r = 0; r <= ZYDIS_REGISTER_MAX_VALUE; r++) {
		ZydisRegisterClass cl = ZydisRegisterGetClass(r);
		struct regmap *m = &regmap[r];
		m->rk = RK_OTHER;
		m->reg = REG_NONE;
		switch (cl) {
		case ZYDIS_REGCLASS_GPR8:
			if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) {
				m->rk = RK_GPR8H;
				m->reg = r - ZYDIS_REGISTER_AH;
				break;
			}
			/* fallthrough */
		case ZYDIS_REGCLASS_GPR16:
		case ZYDIS_REGCLASS_GPR32:
		case ZYDIS_REGCLASS_GPR64:
			m->rk = RK_GPR;
			m->reg =
			    ZydisRegisterGetId(ZydisRegisterGetLargestEnclosing(
				ZYDIS_MACHINE_MODE_LONG_64, r));
			break;
		case ZYDIS_REGCLASS_SEGMENT:
			m->rk = RK_SEG;
			m->reg = r - ZYDIS_REGISTER_ES;
			break;
		case ZYDIS_REGCLASS_CONTROL:
			m->rk = RK_CR;
			m->reg = r - ZYDIS_REGISTER_CR0;
			break;
		case ZYDIS_REGCLASS_DEBUG:
			m->rk = RK_DR;
			m->reg = r - ZYDIS_REGISTER_DR0;
			break;
		case ZYDIS_REGCLASS_XMM:
			m->rk = RK_XMM;
			m->reg = r - ZYDIS_REGISTER_XMM0;
			break;
		case ZYDIS_REGCLASS_X87:
			m->rk = RK_ST;
			m->reg = r - ZYDIS_REGISTER_ST0;
			break;
		case ZYDIS_REGCLASS_MMX:
			m->rk = RK_MMX;
			m->reg = r - ZYDIS_REGISTER_MM0;
			break;
		case ZYDIS_REGCLASS_IP:
			m->rk = RK_OTHER;
			m->reg = REG_RIP;
			break;
		default:
			break;
		}
	}
	for (unsigned n = 0; n <= ZYDIS_MNEMONIC_MAX_VALUE; n++)
		handlers[n] = h_unimpl;
	x86_register_alu(handlers);
	x86_register_data(handlers);
	x86_register_string(handlers);
	x86_register_control(handlers);
	x86_register_system(handlers);
	x86_register_sse(handlers);
	x86_register_legacy(handlers);
	x86_register_fpu(handlers);
}

void x86_decode_init(struct x86_core *c)
{
	static const struct {
		ZydisMachineMode mm;
		ZydisStackWidth sw;
	} modes[DM_NR] = {
	    [DM_REAL] = {ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16},
	    [DM_PROT16] = {ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16},
	    [DM_PROT32] = {ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32},
	    [DM_COMPAT16] = {ZYDIS_MACHINE_MODE_LONG_COMPAT_16,
			     ZYDIS_STACK_WIDTH_16},
	    [DM_COMPAT32] = {ZYDIS_MACHINE_MODE_LONG_COMPAT_32,
			     ZYDIS_STACK_WIDTH_32},
	    [DM_LONG64] = {ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64},
	};
	ZydisDecoder *d = calloc(DM_NR, sizeof(*d));

	pthread_once(&tables_once, init_tables);
	if (!d)
		return;
	for (unsigned m = 0; m < DM_NR; m++) {
		if (!ZYAN_SUCCESS(
			ZydisDecoderInit(&d[m], modes[m].mm, modes[m].sw))) {
			free(d);
			return;
		}
	}
	c->dec = d;
}

static bool is_string_opcode(const ZydisDecodedInstruction *zi)
{
	uint8_t op = zi->opcode;
	return zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
	       ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
		(op >= 0x6c && op <= 0x6f));
}

static void fill_insn(struct x86_insn *ins, const ZydisDecodedInstruction *zi,
		      const ZydisDecodedOperand *zops)
{
	uint64_t a = zi->attributes;
	unsigned n = 0;

	memset(ins, 0, sizeof(*ins));
	ins->mnemonic = zi->mnemonic;
	ins->len = zi->length;
	ins->osz = zi->operand_width / 8;
	if (!ins->osz)
		ins->osz = 4;
	ins->asz = zi->address_width / 8;
	ins->opcode = zi->opcode;
	ins->map = zi->opcode_map;
	ins->modrm_reg = zi->raw.modrm.reg;
	ins->cc = zi->opcode & 0xf;
	if (a & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		ins->pfx |= PFX_REP;
	if (a & ZYDIS_ATTRIB_HAS_REPNE)
		ins->pfx |= PFX_REPNE;
	if (a & ZYDIS_ATTRIB_HAS_LOCK)
		ins->pfx |= PFX_LOCK;
	if (a & ZYDIS_ATTRIB_HAS_REX)
		ins->pfx |= PFX_REX;
	ins->seg = X86_DS;
	if (a & ZYDIS_ATTRIB_HAS_SEGMENT) {
		ins->pfx |= PFX_SEG;
		if (a & ZYDIS_ATTRIB_HAS_SEGMENT_ES)
			ins->seg = X86_ES;
		else if (a & ZYDIS_ATTRIB_HAS_SEGMENT_CS)
			ins->seg = X86_CS;
		else if (a & ZYDIS_ATTRIB_HAS_SEGMENT_SS)
			ins->seg = X86_SS;
		else if (a & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
			ins->seg = X86_FS;
		else if (a & ZYDIS_ATTRIB_HAS_SEGMENT_GS)
			ins->seg = X86_GS;
	}

	for (unsigned k = 0; k < zi->operand_count && n < 4; k++) {
		const ZydisDecodedOperand *z = &zops[k];
		struct x86_op *o = &ins->op[n];
		if (z->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			continue;
		o->size = z->size / 8;
		switch (z->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER:
			o->kind = OPK_REG;
			o->rk = regmap[z->reg.value].rk;
			o->reg = regmap[z->reg.value].reg;
			break;
		case ZYDIS_OPERAND_TYPE_MEMORY:
			o->kind = OPK_MEM;
			o->seg = z->mem.segment == ZYDIS_REGISTER_NONE
				     ? X86_DS
				     : regmap[z->mem.segment].reg;
			o->base = z->mem.base == ZYDIS_REGISTER_NONE
				      ? REG_NONE
				      : regmap[z->mem.base].reg;
			o->index = z->mem.index == ZYDIS_REGISTER_NONE
				       ? REG_NONE
				       : regmap[z->mem.index].reg;
			o->scale = z->mem.scale ? z->mem.scale : 1;
			o->disp = z->mem.disp.value;
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			o->kind = OPK_IMM;
			o->disp = z->imm.is_signed ? z->imm.value.s
						   : (int64_t)z->imm.value.u;
			break;
		case ZYDIS_OPERAND_TYPE_POINTER:
			o->kind = OPK_PTR;
			o->disp = (int64_t)((uint64_t)z->ptr.offset |
					    (uint64_t)z->ptr.segment << 32);
			break;
		default:
			continue;
		}
		n++;
	}
	ins->nops = n;
	ins->fn = x86_handler_for(ins);
	{
		x86_handler spec = x86_alu_specialise(ins);
		if (!spec)
			spec = x86_data_specialise(ins);
		if (!spec)
			spec = x86_control_specialise(ins);
		if (spec)
			ins->fn = spec;
	}
	if (is_string_opcode(zi))
		ins->fn = x86_string_handler(zi->opcode);
	if (zi->opcode_map == ZYDIS_OPCODE_MAP_0F &&
	    zi->mnemonic == ZYDIS_MNEMONIC_MOV) {
		if (zi->opcode == 0x20 || zi->opcode == 0x22)
			ins->fn = x86_h_mov_cr;
		else if (zi->opcode == 0x21 || zi->opcode == 0x23)
			ins->fn = x86_h_mov_dr;
	}
	if (zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
	    (zi->opcode == 0xca || zi->opcode == 0xcb))
		ins->fn = x86_h_retf;
}

bool x86_decode_insn(struct x86_core *c, const uint8_t *p, unsigned avail,
		     struct x86_insn *ins, struct ZydisDecodedInstruction_ *zi,
		     struct ZydisDecodedOperand_ *zops)
{
	if (!ZYAN_SUCCESS(
		ZydisDecoderDecodeFull(&((ZydisDecoder *)c->dec)[c->mode], p,
				       avail < 15 ? avail : 15, zi, zops)))
		return false;
	fill_insn(ins, zi, zops);
	return true;
}

void x86_icache_put(struct x86_core *c, uint64_t gpa,
		    const struct x86_insn *ins)
{
	uint32_t idx =
	    (uint32_t)(gpa ^ (gpa >> ICACHE_BITS)) & (ICACHE_SIZE - 1);
	struct x86_insn *e = &c->icache[idx];

	*e = *ins;
	e->key = (gpa << 4) | (c->mode + 1);
	e->gen = __atomic_load_n(&c->page_gen[(gpa >> 12) & (PAGEGEN_SIZE - 1)],
				 __ATOMIC_ACQUIRE);
}

x86_handler x86_handler_for(const struct x86_insn *i)
{
	x86_handler h = handlers[i->mnemonic];
	return h ? h : h_unimpl;
}

static HANDLER(h_fetch_fault)
{
	x86_ud(c);
}

const struct x86_insn *x86_fetch_decode(struct x86_core *c)
{
	struct x86_state *st = c->st;
	uint64_t lin, gpa, key;
	uint32_t idx, pg;
	uint8_t *p;
	struct x86_tlbe *e;
	struct x86_insn *ins;
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanStatus s;
	unsigned avail;
	uint8_t buf[16];
	bool cross = false;

	if (c->long64) {
		lin = st->rip;
		if (((int64_t)(lin << 16) >> 16) != (int64_t)lin)
			x86_gp(c, 0);
	} else {
		if (st->rip > st->seg[X86_CS].limit)
			x86_gp(c, 0);
		lin = (uint32_t)(st->seg[X86_CS].base + st->rip);
	}
	if (__builtin_expect((lin & ~0xfffull) == c->fetch_page, 1)) {
		gpa = c->fetch_gpa | (lin & 0xfff);
		p = c->fetch_hva + (lin & 0xfff);
	} else {
		p = tlb_hit(c, lin, MA_EXEC);
		if (!p)
			p = x86_lin_ptr_slow(c, lin, MA_EXEC);
		e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
		gpa = e->gpa | (lin & 0xfff);
		c->fetch_page = lin & ~0xfffull;
		c->fetch_gpa = e->gpa;
		c->fetch_hva = p - (lin & 0xfff);
	}
	key = (gpa << 4) | (c->mode + 1);
	idx = (uint32_t)(gpa ^ (gpa >> ICACHE_BITS)) & (ICACHE_SIZE - 1);
	pg = (gpa >> 12) & (PAGEGEN_SIZE - 1);
	ins = &c->icache[idx];
	if (__builtin_expect(ins->key == key &&
				 ins->gen == __atomic_load_n(&c->page_gen[pg],
							     __ATOMIC_RELAXED),
			     1))
		goto check_limit;

	avail = 0x1000 - (lin & 0xfff);
	s = ZydisDecoderDecodeFull(&((ZydisDecoder *)c->dec)[c->mode], p,
				   avail < 15 ? avail : 15, &zi, zops);
	if (s == ZYDIS_STATUS_NO_MORE_DATA && avail < 15) {
		uint8_t *q;
		memcpy(buf, p, avail);
		q = tlb_hit(c, lin + avail, MA_EXEC);
		if (!q)
			q = x86_lin_ptr_slow(c, lin + avail, MA_EXEC);
		memcpy(buf + avail, q, 15 - avail);
		s = ZydisDecoderDecodeFull(&((ZydisDecoder *)c->dec)[c->mode],
					   buf, 15, &zi, zops);
		cross = true;
	}
	if (!ZYAN_SUCCESS(s)) {
		if (s == ZYDIS_STATUS_INSTRUCTION_TOO_LONG)
			x86_gp(c, 0);
		ins = &c->scratch;
		memset(ins, 0, sizeof(*ins));
		ins->fn = h_fetch_fault;
		ins->len = 1;
		return ins;
	}
	if (cross) {
		ins = &c->scratch;
		fill_insn(ins, &zi, zops);
		ins->key = 0;
	} else {
		x86_note_code_page(c, gpa);
		fill_insn(ins, &zi, zops);
		ins->key = key;
		ins->gen = __atomic_load_n(&c->page_gen[pg], __ATOMIC_ACQUIRE);
	}
check_limit:
	if (!c->long64 && st->rip + ins->len - 1 > st->seg[X86_CS].limit)
		x86_gp(c, 0);
	return ins;
}

/* ---- operands -------------------------------------------------------- */

uint64_t x86_op_read_slow(struct x86_core *c, const struct x86_insn *i,
			  unsigned n)
{
	const struct x86_op *o = &i->op[n];
	switch (o->kind) {
	case OPK_REG:
		if (o->rk == RK_GPR)
			return gpr_read(c, o->reg, o->size);
		if (o->rk == RK_GPR8H)
			return (c->st->gpr[o->reg] >> 8) & 0xff;
		if (o->rk == RK_SEG)
			return c->st->seg[o->reg].sel;
		break;
	case OPK_MEM:
		return mem_read(c, o->seg, x86_ea(c, i, o), o->size);
	case OPK_IMM:
		return (uint64_t)o->disp;
	default:
		break;
	}
	x86_unimplemented(c, "operand kind");
}

void x86_op_write_slow(struct x86_core *c, const struct x86_insn *i, unsigned n,
		       uint64_t v)
{
	const struct x86_op *o = &i->op[n];
	switch (o->kind) {
	case OPK_REG:
		if (o->rk == RK_GPR) {
			gpr_write(c, o->reg, o->size, v);
			return;
		}
		if (o->rk == RK_GPR8H) {
			uint64_t *r = &c->st->gpr[o->reg];
			*r = (*r & ~0xff00ull) | ((v & 0xff) << 8);
			return;
		}
		break;
	case OPK_MEM:
		mem_write(c, o->seg, x86_ea(c, i, o), o->size, v);
		return;
	default:
		break;
	}
	x86_unimplemented(c, "operand write");
}
