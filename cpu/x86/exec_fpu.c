// SPDX-License-Identifier: GPL-2.0
/*
 * x87 FPU. Every computing x87 instruction (loads, stores, arithmetic,
 * compares, FCMOVcc, transcendentals, stack ops) runs as itself on the
 * host's x87 unit: the guest's register stack, tags, FSW and FCW (with
 * exceptions masked) are loaded with FXRSTOR, the instruction's own opcode
 * and ModRM execute from a stub table (memory operands redirected to a
 * local copy at [rdi]), and FXSAVE brings the state back. So results,
 * condition codes (C0-C3, including FPREM's quotient bits and C1 on stack
 * faults and rounding), exception flags (DE, SF ...) and stack-fault
 * behaviour are the host silicon's, bit for bit.
 *
 * Emulated here instead: what touches state outside the register stack
 * (FNINIT FNCLEX FLDCW FNSTCW FNSTSW FNSTENV FLDENV FWAIT) and the
 * bookkeeping pointers FIP/FDP/FOP. Not modelled: unmasked exceptions
 * (#MF; flags only), FSAVE/FRSTOR.
 */
#include <Zydis/Zydis.h>

#include "cpu/x86/core.h"

#define FSW_TOP_SHIFT 11
#define FSW_ES_B      0x8080u /* error summary, busy */

static void fpu_check(struct x86_core *c)
{
	if (c->st->cr0 & (CR0_EM | CR0_TS))
		x86_raise(c, X86_EXC_NM, false, 0);
}

static unsigned top(struct x86_core *c)
{
	return (c->st->fpu.fsw >> FSW_TOP_SHIFT) & 7;
}

static void note_insn(struct x86_core *c, const struct x86_insn *i)
{
	struct x86_fpu *f = &c->st->fpu;
	f->fip = c->st->rip;
	f->fop = ((uint16_t)i->opcode & 7) << 8; /* low bits only; approx. */
	for (unsigned n = 0; n < i->nops; n++)
		if (i->op[n].kind == OPK_MEM)
			f->fdp = x86_ea(c, i, &i->op[n]);
}

/* ---- control (state outside the register stack) ----------------------- */

static HANDLER(h_fninit)
{
	struct x86_fpu *f = &c->st->fpu;
	fpu_check(c);
	f->fcw = 0x37f;
	f->fsw = 0;
	f->ftw = 0;
	f->fop = 0;
	f->fip = f->fdp = 0;
}

static HANDLER(h_fwait)
{
	if ((c->st->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		x86_raise(c, X86_EXC_NM, false, 0);
}

static HANDLER(h_fnstsw)
{
	fpu_check(c);
	x86_op_write(c, i, 0, c->st->fpu.fsw);
}

static HANDLER(h_fnstcw)
{
	fpu_check(c);
	x86_op_write(c, i, 0, c->st->fpu.fcw);
}

static HANDLER(h_fldcw)
{
	fpu_check(c);
	c->st->fpu.fcw = (uint16_t)x86_op_read(c, i, 0) | 0x40;
}

static HANDLER(h_fnclex)
{
	fpu_check(c);
	c->st->fpu.fsw &= 0x7f00;
}

/* FLDENV, 32-bit protected-mode format (28 bytes). */
static HANDLER(h_fldenv)
{
	const struct x86_op *o = &i->op[0];
	struct x86_fpu *f = &c->st->fpu;
	uint64_t ea = x86_ea(c, i, o);
	uint16_t tw;
	fpu_check(c);
	f->fcw = mem_read(c, o->seg, ea, 2);
	f->fsw = mem_read(c, o->seg, ea + 4, 2);
	tw = mem_read(c, o->seg, ea + 8, 2);
	f->ftw = 0;
	for (unsigned r = 0; r < 8; r++)
		if (((tw >> (2 * r)) & 3) != 3)
			f->ftw |= 1u << r;
}

/* ---- everything else: the instruction itself on the host x87 ----------- */

/*
 * x86_x87_stubs + 8 * ((opcode - 0xd8) * 256 + modrm): "endbr64; opcode
 * modrm; ret" for every x87 opcode/ModRM pair. Only the register forms
 * (mod = 3) and mod = 0, rm = 7 ([rdi]) are ever called. Fixed code, no
 * JIT; endbr64 keeps the indirect call valid under CET/IBT.
 */
extern const uint8_t x86_x87_stubs[] __attribute__((visibility("hidden")));
__asm__(".pushsection .text.x86_x87_stubs,\"ax\",@progbits\n"
	".balign 16\n"
	".globl x86_x87_stubs\n"
	".hidden x86_x87_stubs\n"
	"x86_x87_stubs:\n"
	".irp op,0xd8,0xd9,0xda,0xdb,0xdc,0xdd,0xde,0xdf\n"
	".set x87m,0\n"
	".rept 256\n"
	".byte 0xf3, 0x0f, 0x1e, 0xfa, \\op, x87m, 0xc3, 0xcc\n"
	".set x87m,x87m+1\n"
	".endr\n"
	".endr\n"
	".popsection\n");

/* FXSAVE image offsets (legacy layout). */
#define FX_FCW	 0
#define FX_FSW	 2
#define FX_FTW	 4
#define FX_MXCSR 24
#define FX_ST	 32

/*
 * Run one stub with `img` as the x87 state and the guest's arithmetic
 * flags in RFLAGS; `img` and *rflags get the state after it. The host's
 * own FPU/SSE state is saved and restored around it in the same asm
 * statement, so nothing the compiler keeps in x87/XMM registers is lost.
 * The stack pointer skips the red zone before the call.
 */
static void x87_host_run(const uint8_t *stub, uint8_t *img, void *mem,
			 uint64_t *rflags)
{
	uint8_t host[512] __attribute__((aligned(16)));
	uint64_t fl = *rflags & F_ARITH;

	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
			 "fxsave (%[host])\n\t"
			 "fxrstor (%[img])\n\t"
			 "pushfq\n\t"
			 "andq $~0x8d5, (%%rsp)\n\t"
			 "orq %[fl], (%%rsp)\n\t"
			 "popfq\n\t"
			 "call *%[stub]\n\t"
			 "pushfq\n\t"
			 "popq %[fl]\n\t"
			 "fxsave (%[img])\n\t"
			 "fxrstor (%[host])\n\t"
			 "lea 128(%%rsp), %%rsp"
			 : [fl] "+r"(fl)
			 : [host] "r"(host), [img] "r"(img), [stub] "r"(stub),
			   "D"(mem)
			 : "memory", "cc");
	*rflags = (*rflags & ~F_ARITH) | (fl & F_ARITH);
}

static void x87_exec(struct x86_core *c, uint8_t opcode, uint8_t modrm,
		     void *mem)
{
	struct x86_fpu *f = &c->st->fpu;
	uint8_t img[512] __attribute__((aligned(16)));
	uint16_t w;
	unsigned t = top(c);

	memset(img, 0, sizeof(img));
	/* exceptions masked (no #MF is modelled); ES/B cleared so the host
	 * has nothing pending; both kept from the guest's FSW below */
	w = f->fcw | 0x3f;
	memcpy(img + FX_FCW, &w, 2);
	w = f->fsw & ~FSW_ES_B;
	memcpy(img + FX_FSW, &w, 2);
	img[FX_FTW] = f->ftw;
	w = 0x1f80;
	memcpy(img + FX_MXCSR, &w, 2);
	for (unsigned n = 0; n < 8; n++)
		memcpy(img + FX_ST + 16 * n, f->st[(t + n) & 7], 10);

	x87_host_run(x86_x87_stubs + 8 * ((opcode - 0xd8) * 256u + modrm), img,
		     mem, &c->st->rflags);

	memcpy(&w, img + FX_FSW, 2);
	f->fsw = (w & ~FSW_ES_B) | (f->fsw & FSW_ES_B);
	f->ftw = img[FX_FTW];
	t = top(c);
	for (unsigned n = 0; n < 8; n++) {
		memset(f->st[(t + n) & 7], 0, 16);
		memcpy(f->st[(t + n) & 7], img + FX_ST + 16 * n, 10);
	}
}

/*
 * FNSTENV, 32-bit protected-mode format (28 bytes). Run on the host too:
 * the full tag word (valid/zero/special/empty as silicon classifies each
 * register) and the reserved upper halves come from silicon; FCW/FSW and
 * the instruction/operand pointers are the guest's.
 */
static HANDLER(h_fnstenv)
{
	const struct x86_op *o = &i->op[0];
	struct x86_fpu *f = &c->st->fpu;
	uint64_t ea = x86_ea(c, i, o);
	uint8_t env[32] __attribute__((aligned(16))) = {0};
	uint32_t d;
	fpu_check(c);
	x86_mem_probe_write(c, o->seg, ea, 28);
	x87_exec(c, 0xd9, 6 << 3 | 7, env);
	memcpy(env + 0, &f->fcw, 2);
	memcpy(env + 4, &f->fsw, 2);
	d = (uint32_t)f->fip;
	memcpy(env + 12, &d, 4);
	d = (uint32_t)f->fop << 16;
	memcpy(env + 16, &d, 4);
	d = (uint32_t)f->fdp;
	memcpy(env + 20, &d, 4);
	for (unsigned n = 0; n < 28; n += 4) {
		memcpy(&d, env + n, 4);
		mem_write(c, o->seg, ea + n, 4, d);
	}
	f->fcw |= 0x3f; /* FNSTENV masks all exceptions */
}

/* The ModRM byte of a register form: the instruction's last byte (x87
 * register forms have no displacement or immediate). It was fetched
 * just now, so the read cannot fault. */
static uint8_t code_last_byte(struct x86_core *c, const struct x86_insn *i)
{
	uint64_t off = c->st->rip + i->len - 1;
	uint64_t lin =
	    c->long64 ? off : (uint32_t)(c->st->seg[X86_CS].base + off);
	const uint8_t *p = tlb_hit(c, lin, MA_EXEC);

	return p ? *p : (uint8_t)x86_lin_read_slow(c, lin, 1, MA_EXEC);
}

static bool x87_stores(uint16_t mn)
{
	return mn == ZYDIS_MNEMONIC_FST || mn == ZYDIS_MNEMONIC_FSTP ||
	       mn == ZYDIS_MNEMONIC_FIST || mn == ZYDIS_MNEMONIC_FISTP ||
	       mn == ZYDIS_MNEMONIC_FISTTP || mn == ZYDIS_MNEMONIC_FBSTP;
}

static HANDLER(h_fhost)
{
	const struct x86_op *o = NULL;
	uint8_t buf[16] __attribute__((aligned(16))) = {0};
	uint64_t ea = 0, lo = 0, hi = 0;
	bool store = false;
	uint8_t modrm;

	fpu_check(c);
	if (i->opcode < 0xd8 || i->opcode > 0xdf)
		x86_unimplemented(c, "x87 opcode");
	for (unsigned n = 0; n < i->nops; n++)
		if (i->op[n].kind == OPK_MEM)
			o = &i->op[n];
	if (o) {
		/* the operand is read, or the store checked, before any
		 * FPU state changes, so a fault leaves it untouched */
		if (o->size != 2 && o->size != 4 && o->size != 8 &&
		    o->size != 10)
			x86_unimplemented(c, "x87 memory format");
		ea = x86_ea(c, i, o);
		store = x87_stores(i->mnemonic);
		if (store) {
			x86_mem_probe_write(c, o->seg, ea, o->size);
		} else {
			lo = mem_read(c, o->seg, ea,
				      o->size == 10 ? 8 : o->size);
			if (o->size == 10)
				hi = mem_read(c, o->seg,
					      (ea + 8) & size_mask(i->asz), 2);
			memcpy(buf, &lo, 8);
			memcpy(buf + 8, &hi, 2);
		}
		modrm = (uint8_t)(i->modrm_reg << 3 | 7); /* [rdi] */
	} else {
		modrm = code_last_byte(c, i);
		if (modrm < 0xc0)
			x86_unimplemented(c, "x87 form");
	}
	note_insn(c, i);
	x87_exec(c, i->opcode, modrm, buf);
	if (!store)
		return;
	memcpy(&lo, buf, 8);
	if (o->size == 10) {
		memcpy(&hi, buf + 8, 2);
		mem_write(c, o->seg, ea, 8, lo);
		mem_write(c, o->seg, (ea + 8) & size_mask(i->asz), 2, hi);
	} else {
		mem_write(c, o->seg, ea, o->size, lo);
	}
}

void x86_register_fpu(x86_handler *t)
{
	static const uint16_t host[] = {
	    /* loads, stores, constants */
	    ZYDIS_MNEMONIC_FLD, ZYDIS_MNEMONIC_FILD, ZYDIS_MNEMONIC_FBLD,
	    ZYDIS_MNEMONIC_FST, ZYDIS_MNEMONIC_FSTP, ZYDIS_MNEMONIC_FIST,
	    ZYDIS_MNEMONIC_FISTP, ZYDIS_MNEMONIC_FISTTP, ZYDIS_MNEMONIC_FBSTP,
	    ZYDIS_MNEMONIC_FSTPNCE, ZYDIS_MNEMONIC_FLD1, ZYDIS_MNEMONIC_FLDZ,
	    ZYDIS_MNEMONIC_FLDPI, ZYDIS_MNEMONIC_FLDL2E, ZYDIS_MNEMONIC_FLDL2T,
	    ZYDIS_MNEMONIC_FLDLG2, ZYDIS_MNEMONIC_FLDLN2,
	    /* arithmetic */
	    ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FIADD,
	    ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FISUB,
	    ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FSUBRP, ZYDIS_MNEMONIC_FISUBR,
	    ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FMULP, ZYDIS_MNEMONIC_FIMUL,
	    ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FDIVP, ZYDIS_MNEMONIC_FIDIV,
	    ZYDIS_MNEMONIC_FDIVR, ZYDIS_MNEMONIC_FDIVRP, ZYDIS_MNEMONIC_FIDIVR,
	    ZYDIS_MNEMONIC_FCHS, ZYDIS_MNEMONIC_FABS, ZYDIS_MNEMONIC_FSQRT,
	    ZYDIS_MNEMONIC_FRNDINT, ZYDIS_MNEMONIC_FSCALE,
	    ZYDIS_MNEMONIC_FXTRACT, ZYDIS_MNEMONIC_FPREM, ZYDIS_MNEMONIC_FPREM1,
	    ZYDIS_MNEMONIC_FSIN, ZYDIS_MNEMONIC_FCOS, ZYDIS_MNEMONIC_FSINCOS,
	    ZYDIS_MNEMONIC_FPTAN, ZYDIS_MNEMONIC_FPATAN, ZYDIS_MNEMONIC_F2XM1,
	    ZYDIS_MNEMONIC_FYL2X, ZYDIS_MNEMONIC_FYL2XP1,
	    /* compares, classification, conditional moves */
	    ZYDIS_MNEMONIC_FCOM, ZYDIS_MNEMONIC_FCOMP, ZYDIS_MNEMONIC_FCOMPP,
	    ZYDIS_MNEMONIC_FUCOM, ZYDIS_MNEMONIC_FUCOMP, ZYDIS_MNEMONIC_FUCOMPP,
	    ZYDIS_MNEMONIC_FCOMI, ZYDIS_MNEMONIC_FCOMIP, ZYDIS_MNEMONIC_FUCOMI,
	    ZYDIS_MNEMONIC_FUCOMIP, ZYDIS_MNEMONIC_FICOM, ZYDIS_MNEMONIC_FICOMP,
	    ZYDIS_MNEMONIC_FTST, ZYDIS_MNEMONIC_FXAM, ZYDIS_MNEMONIC_FCMOVB,
	    ZYDIS_MNEMONIC_FCMOVE, ZYDIS_MNEMONIC_FCMOVBE,
	    ZYDIS_MNEMONIC_FCMOVU, ZYDIS_MNEMONIC_FCMOVNB,
	    ZYDIS_MNEMONIC_FCMOVNE, ZYDIS_MNEMONIC_FCMOVNBE,
	    ZYDIS_MNEMONIC_FCMOVNU,
	    /* stack */
	    ZYDIS_MNEMONIC_FXCH, ZYDIS_MNEMONIC_FFREE, ZYDIS_MNEMONIC_FFREEP,
	    ZYDIS_MNEMONIC_FINCSTP, ZYDIS_MNEMONIC_FDECSTP, ZYDIS_MNEMONIC_FNOP,
	    ZYDIS_MNEMONIC_FDISI8087_NOP, ZYDIS_MNEMONIC_FENI8087_NOP,
	    ZYDIS_MNEMONIC_FSETPM287_NOP};

	for (unsigned n = 0; n < sizeof(host) / sizeof(host[0]); n++)
		t[host[n]] = h_fhost;
	t[ZYDIS_MNEMONIC_FNINIT] = h_fninit;
	t[ZYDIS_MNEMONIC_FWAIT] = h_fwait;
	t[ZYDIS_MNEMONIC_FNSTSW] = h_fnstsw;
	t[ZYDIS_MNEMONIC_FNSTCW] = h_fnstcw;
	t[ZYDIS_MNEMONIC_FLDCW] = h_fldcw;
	t[ZYDIS_MNEMONIC_FNCLEX] = h_fnclex;
	t[ZYDIS_MNEMONIC_FNSTENV] = h_fnstenv;
	t[ZYDIS_MNEMONIC_FLDENV] = h_fldenv;
}
