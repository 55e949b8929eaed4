// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff generator: faulting last instructions and self-modifying code.
 */
#include "x86diff_gen.h"

/*
 * The last group: an instruction that faults. The native run sees the
 * vector, error code and CR2 in the signal frame; the core must raise the
 * same exception at the same instruction with the same state (memory
 * included: a split store that faults writes nothing).
 */
bool x86diff_gen_fault(struct gen *g)
{
	static const uint8_t invalid64[] = {0x06, 0x07, 0x0e, 0x16, 0x17,
					    0x1e, 0x1f, 0x27, 0x2f, 0x37,
					    0x3f, 0x60, 0x61, 0xce, 0xd6};
	static const struct {
		uint8_t b[4];
		unsigned n;
	} priv[] = {
	    {{0xf4}, 1},		   /* hlt */
	    {{0xfa}, 1},		   /* cli (IOPL 0) */
	    {{0xfb}, 1},		   /* sti */
	    {{0xec}, 1},		   /* in al, dx */
	    {{0xef}, 1},		   /* out dx, eax */
	    {{0xe4, 0x60}, 2},		   /* in al, 0x60 */
	    {{0x6c}, 1},		   /* insb */
	    {{0x0f, 0x32}, 2},		   /* rdmsr */
	    {{0x0f, 0x30}, 2},		   /* wrmsr */
	    {{0x0f, 0x20, 0xc0}, 3},	   /* mov rax, cr0 */
	    {{0x0f, 0x22, 0xd8}, 3},	   /* mov cr3, rax */
	    {{0x0f, 0x21, 0xf8}, 3},	   /* mov rax, dr7 */
	    {{0x0f, 0x06}, 2},		   /* clts */
	    {{0x0f, 0x09}, 2},		   /* wbinvd */
	    {{0x0f, 0x08}, 2},		   /* invd */
	    {{0x0f, 0x01, 0x14, 0x24}, 4}, /* lgdt [rsp] */
	    {{0x0f, 0x01, 0x1c, 0x24}, 4}, /* lidt [rsp] */
	    {{0x0f, 0x01, 0x3c, 0x24}, 4}, /* invlpg [rsp] */
	    {{0x0f, 0x01, 0xf0}, 3},	   /* lmsw ax */
	    {{0x0f, 0x00, 0xd8}, 3},	   /* ltr ax */
	    {{0x0f, 0x00, 0xd0}, 3},	   /* lldt ax */
	    {{0x0f, 0x01, 0xf8}, 3},	   /* swapgs */
	};
	struct enc e = enc0();
	unsigned w = rnd_width(g);
	uint32_t end = (uint32_t)(X86DIFF_DATA_ADDR + X86DIFF_DATA_SIZE);

	if (g->group + 1 != g->ngroups)
		return false;
	switch (below(g, 14)) {
	case 13: { /* misaligned 16-byte operands: #GP(0) for cmpxchg16b and
		      movaps/movdqa/packed SSE memory forms; LOCK on mov */
		uint32_t used = 0;
		unsigned k = below(g, 3);

		e.modrm = true;
		e.rm_mem = true;
		if (k == 2) {
			/* lock mov [m], r: #UD */
			e.pfx[e.npfx++] = 0xf0;
			e.op[0] = 0x89;
			e.nop = 1;
			e.reg = rnd_reg(g);
			return gen_mem(g, &e.m, DATA_LO, DATA_HI, 0, &used) &&
			       emit(g, &e);
		}
		if (k == 0 && g->m32)
			return false;
		e.m.base = e.m.index = -1;
		e.m.disp = (int32_t)(X86DIFF_DATA_ADDR +
				     (range(g, DATA_LO, DATA_HI) & ~15u) +
				     range(g, 1, 16));
		e.op[0] = 0x0f;
		e.nop = 2;
		if (k == 0) { /* cmpxchg16b */
			e.w = 8;
			e.op[1] = 0xc7;
			e.reg = 1;
		} else { /* movaps / movdqa / paddd / pxor ... xmm, m128 */
			static const uint8_t ops[][2] = {
			    {0, 0x28},	  {0x66, 0x6f}, {0x66, 0xfe},
			    {0x66, 0xef}, {0, 0x29},	{0x66, 0x7f},
			    {0, 0x58},	  {0x66, 0x59}};
			unsigned o = below(g, 8);

			if (ops[o][0])
				e.pfx[e.npfx++] = ops[o][0];
			e.op[1] = ops[o][1];
			e.reg = rnd_reg(g);
		}
		return emit(g, &e);
	}
	case 12: { /* a segment load that faults: #GP(selector) or #GP(0)
		      (DPL, type, limit, null SS) */
		static const uint16_t bad[] = {0x08, 0x10, 0x18, 0x1b,
					       0x33, 0x23, 0x80, 0x83,
					       0x40, 0x00, 0x2f};
		uint16_t v = bad[below(g, sizeof(bad) / sizeof(bad[0]))];
		int sreg = (int)(uint8_t[]){0, 2, 3}[below(g, 3)];
		int r = rnd_wreg(g, 0);

		if ((v == 0x33 || v == 0x23) && sreg != 2)
			sreg = 2; /* readable code is fine in DS/ES */
		if (v == 0 && sreg != 2)
			sreg = 2; /* null is fine in DS/ES */
		if (!emit_mov32(g, r, v))
			return false;
		e.op[0] = 0x8e;
		e.nop = 1;
		e.modrm = true;
		e.reg = sreg;
		e.rm = r;
		return emit(g, &e);
	}
	case 11: { /* single step: popf sets TF, #DB after the next
		      instruction (after one iteration of a rep string op) */
		uint32_t fl =
		    (uint32_t)(rnd(g) & (X86DIFF_ARITH | X86DIFF_DF)) |
		    X86DIFF_TF | X86DIFF_IF | 2;
		bool str = chance(g, 2);

		if (str) {
			uint32_t a = (uint32_t)(X86DIFF_DATA_ADDR + 0x1800);

			if (!emit_mov32(g, RSI, a) ||
			    !emit_mov32(g, RDI, a + 0x400) ||
			    !emit_mov32(g, RCX, range(g, 2, 9)))
				return false;
		}
		if (!emit_bytes(g,
				(uint8_t[]){0x68, (uint8_t)fl,
					    (uint8_t)(fl >> 8), 0, 0},
				5) ||
		    !emit_bytes(g, (uint8_t[]){0x9d}, 1))
			return false;
		g->undef = 0;
		if (str)
			return emit_bytes(
			    g, (uint8_t[]){0xf3, (uint8_t)(0xa4 + below(g, 2))},
			    2);
		if (chance(g, 3)) {
			/* mov ss, r: no #DB until after the next insn */
			int r = rnd_wreg(g, 0);

			if (!emit_mov32(g, r, 0x2b))
				return false;
			e.op[0] = 0x8e;
			e.nop = 1;
			e.modrm = true;
			e.reg = 2;
			e.rm = r;
			if (!emit(g, &e))
				return false;
		}
		return emit_mov32(g, rnd_wreg(g, 0), (uint32_t)rnd(g));
	}
	case 10: { /* an instruction straddling the end of the code: a
		      fetch #PF (CR2 = the first byte not mapped) */
		uint32_t tail = X86DIFF_CODE_SIZE - range(g, 1, 5);
		uint8_t b[5] = {0xb8};

		if (g->off + 8 > tail)
			return false;
		b[0] = (uint8_t)(0xb8 + below(g, 8)); /* mov r32, imm32 */
		for (int i = 1; i < 5; i++)
			b[i] = (uint8_t)rnd(g);
		memcpy(&g->c->code[tail], b, X86DIFF_CODE_SIZE - tail);
		e.op[0] = 0xe9; /* jmp rel32 */
		e.nop = 1;
		e.imm = tail - (g->off + 5);
		e.immsz = 4;
		return emit(g, &e);
	}
	case 0:	  /* load that runs off the end of the data */
	case 1: { /* store / read-modify-write that does */
		unsigned k = below(g, 3);

		e.w = w;
		e.nop = 1;
		e.modrm = true;
		e.rm_mem = true;
		e.m.base = e.m.index = -1;
		e.m.disp = (int32_t)(end - below(g, w));
		e.reg = rnd_wreg(g, 0);
		if (k == 0) {
			e.op[0] = w == 1 ? 0x8a : 0x8b;
			e.wr_reg = w;
		} else {
			e.op[0] = k == 1 ? (w == 1 ? 0x88 : 0x89)
					 : (w == 1 ? 0x00 : 0x01);
		}
		maybe_rex(g, &e);
		return emit(g, &e);
	}
	case 2: { /* a rep string op whose destination or source runs off
		     the end: the registers show the iterations done */
		static const uint8_t ops[] = {0xaa, 0xa4, 0xac, 0xa6, 0xae};
		unsigned k = range(g, 1, 8), op = below(g, 5);
		bool src = op == 2 || (op == 1 && chance(g, 2)) ||
			   (op == 3 && chance(g, 2));
		uint32_t in = (uint32_t)(X86DIFF_DATA_ADDR + 0x1000);
		uint32_t off = end - k * w + below(g, w);
		struct enc d = enc0();

		if (op == 4)
			src = false;
		d.op[0] = 0xfc; /* cld */
		d.nop = 1;
		if (op >= 3) {
			/* equal data so that repe goes on to the end */
			memmove(
			    &g->c->data[(src ? off : in) - X86DIFF_DATA_ADDR],
			    &g->c->data[(src ? in : off) - X86DIFF_DATA_ADDR],
			    end - off);
		}
		if (!emit(g, &d) || !emit_mov32(g, RDI, src ? in : off) ||
		    !emit_mov32(g, RSI, src ? off : in) ||
		    !emit_mov32(g, RCX, k + range(g, 1, 8)))
			return false;
		e.pfx[e.npfx++] = 0xf3; /* rep / repe */
		e.w = w;
		e.op[0] = (uint8_t)(ops[op] + (w > 1));
		e.nop = 1;
		maybe_rex(g, &e);
		if (!emit(g, &e))
			return false;
		if (op >= 3)
			flags(g, X86DIFF_ARITH, 0);
		return true;
	}
	case 3: /* store into the read-only code */
		if (g->smc)
			return false;
		e.w = w;
		e.op[0] = w == 1 ? 0x88 : 0x89;
		e.nop = 1;
		e.modrm = true;
		e.reg = rnd_reg(g);
		e.rm_mem = true;
		e.m.rip = chance(g, 2);
		e.m.base = e.m.index = -1;
		e.m.target =
		    X86DIFF_CODE_ADDR + below(g, X86DIFF_CODE_SIZE - 8);
		e.m.disp = (int32_t)e.m.target;
		if (chance(g, 2)) {
			/* a shift/rotate whose masked count is 0 changes
			 * nothing, yet is checked as a write */
			static const int ops[] = {0, 1, 2, 3, 4, 5, 7};

			e.op[0] = w == 1 ? 0xc0 : 0xc1;
			e.reg = ops[below(g, 7)];
			e.imm = chance(g, 2) ? 0 : (w == 8 ? 64 : 32);
			e.immsz = 1;
		}
		return emit(g, &e);
	case 4: { /* jump into the NX data */
		int r = rnd_wreg(g, 0);

		if (!emit_mov32(g, r,
				(uint32_t)(X86DIFF_DATA_ADDR +
					   range(g, DATA_LO, DATA_HI))))
			return false;
		e.op[0] = 0xff;
		e.nop = 1;
		e.modrm = true;
		e.reg = chance(g, 2) ? 2 : 4; /* call / jmp */
		e.rm = r;
		return emit(g, &e);
	}
	case 5: { /* non-canonical address: #GP(0), or #SS(0) via rbp/rsp */
		bool ss = chance(g, 3);

		if (g->m32)
			return false;
		int r = ss ? RBP : rnd_wreg(g, 1u << RBP);

		e.w = 8;
		e.op[0] = 0xb8;
		e.nop = 1;
		e.opreg = r;
		e.wr_opreg = 8;
		e.imm = (chance(g, 2) ? 0x8000000000000000ull
				      : 0x0000800000000000ull) |
			(rnd(g) & 0xfffff);
		e.immsz = 8;
		if (!emit(g, &e))
			return false;
		e = enc0();
		e.w = w;
		e.op[0] = w == 1 ? 0x8a : 0x8b;
		e.nop = 1;
		e.modrm = true;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		e.rm_mem = true;
		e.m.base = r;
		e.m.index = -1;
		e.m.disp = (int32_t)below(g, 64);
		return emit(g, &e);
	}
	case 6: { /* #UD: ud2, ud1, opcodes invalid in 64-bit mode, LOCK
		     on a register destination */
		uint8_t b[4];
		unsigned n = 0;

		switch (below(g, 4)) {
		case 0:
			b[n++] = 0x0f;
			b[n++] = 0x0b;
			break;
		case 1:
			b[n++] = 0x0f;
			b[n++] = 0xb9;
			b[n++] = 0xc0 | (uint8_t)below(g, 64);
			break;
		case 2:
			if (g->m32)
				return false; /* valid there */
			b[n++] = invalid64[below(g, sizeof(invalid64))];
			break;
		default:
			b[n++] = 0xf0;
			b[n++] = 0x01;
			b[n++] = 0xc0 | (uint8_t)below(g, 64);
			break;
		}
		return emit_bytes(g, b, n);
	}
	case 7: { /* privileged: #GP(0); int n: #GP(n*8+2) */
		if (chance(g, 3)) {
			uint8_t n;

			do
				n = (uint8_t)range(g, 5, 256);
			while (n == 0x80);
			return emit_bytes(g, (uint8_t[]){0xcd, n}, 2);
		}
		unsigned k = below(g, sizeof(priv) / sizeof(priv[0]));

		return emit_bytes(g, priv[k].b, priv[k].n);
	}
	case 8: /* int3 in the middle */
		return emit_bytes(g, (uint8_t[]){0xcc}, 1);
	default: {	    /* #DE: divide by zero, or INT_MIN / -1 */
		if (g->m32) /* mov ecx, 0|-1; mov eax, 1<<31; cdq; idiv ecx */
			return emit_mov32(g, RCX, chance(g, 2) ? 0 : ~0u) &&
			       emit_mov32(g, RAX, 0x80000000u) &&
			       emit_bytes(g, (uint8_t[]){0x99}, 1) &&
			       emit_bytes(g, (uint8_t[]){0xf7, 0xf9}, 2);
		if (chance(g, 2))
			return emit_mov32(g, RCX, 0) &&
			       emit_bytes(g, (uint8_t[]){0x48, 0xf7, 0xf1}, 3);
		return emit_bytes(
			   g,
			   (uint8_t[]){0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80},
			   10) &&
		       emit_bytes(g, (uint8_t[]){0x48, 0x99}, 2) &&
		       emit_bytes(g,
				  (uint8_t[]){0x48, 0xc7, 0xc1, 0xff, 0xff,
					      0xff, 0xff},
				  7) &&
		       emit_bytes(g, (uint8_t[]){0x48, 0xf7, 0xf9}, 3);
	}
	}
}

/*
 * Self-modifying code: a store into an instruction of the same group that
 * has not run yet (often the very next one, which silicon has already
 * fetched and must notice), then that instruction.
 */
bool x86diff_gen_smc(struct gen *g)
{
	struct enc e = enc0();
	int r = rnd_wreg(g, 0);
	uint32_t at;

	if (!g->smc)
		return false;
	switch (below(g, 3)) {
	case 0: { /* patch the immediate of the next mov r32, imm32 */
		unsigned sz = (unsigned[]){1, 2, 4}[below(g, 3)];
		unsigned skip = below(g, 5 - sz); /* byte within imm32 */

		e.w = sz;
		e.op[0] = sz == 1 ? 0xc6 : 0xc7;
		e.nop = 1;
		e.modrm = true;
		e.reg = 0;
		e.rm_mem = true;
		e.m.rip = true;
		e.imm = rnd(g);
		e.immsz = sz;
		/* store length: [66] op modrm disp32 imm */
		at = g->off + (sz == 2) + 2 + 4 + sz;
		/* mov r32, imm32 is [REX] B8+r imm32 */
		e.m.target = X86DIFF_CODE_ADDR + at + 1 + (r >= 8) + skip;
		if (!emit(g, &e) || g->off != at)
			return false;
		return emit_mov32(g, r, (uint32_t)rnd(g));
	}
	case 1: { /* turn the next add r/m32, r32 into sub/xor/or/and */
		static const uint8_t ops[] = {0x29, 0x31, 0x09, 0x21, 0x11};
		uint8_t op = ops[below(g, 4 + defined(g, X86DIFF_CF))];

		e.w = 1;
		e.op[0] = 0xc6;
		e.nop = 1;
		e.modrm = true;
		e.reg = 0;
		e.rm_mem = true;
		e.m.rip = true;
		e.imm = op;
		e.immsz = 1;
		at = g->off + 2 + 4 + 1;
		e.m.target = X86DIFF_CODE_ADDR + at;
		if (!emit(g, &e) || g->off != at)
			return false;
		e = enc0();
		e.w = 4;
		e.op[0] = 0x01;
		e.nop = 1;
		e.modrm = true;
		/* no REX: the patched byte is the opcode */
		e.reg = (int)below(g, 8);
		e.rm = r & 7;
		e.wr_rm = 4;
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ARITH, X86DIFF_AF);
		return true;
	}
	default: { /* rep stosb NOPs over the next 1..3 instructions */
		unsigned n = 1 + below(g, 3), len = 0;
		uint32_t fix;

		if (!emit_mov32(g, RDI, 0))
			return false;
		fix = g->off - 4;
		if (!emit_bytes(g, (uint8_t[]){0xb0, 0x90}, 2) || /* mov al */
		    !emit_bytes(g, (uint8_t[]){0xfc}, 1) ||	  /* cld */
		    !emit_mov32(g, RCX, 0))
			return false;
		uint32_t cnt = g->off - 4;

		if (!emit_bytes(g, (uint8_t[]){0xf3, 0xaa}, 2))
			return false;
		uint32_t start = g->off;

		for (unsigned i = 0; i < n; i++)
			if (!emit_mov32(g,
					rnd_wreg(g, (1u << RDI) | (1u << RCX)),
					(uint32_t)rnd(g)))
				return false;
		len = g->off - start;
		uint32_t a = (uint32_t)(X86DIFF_CODE_ADDR + start);

		memcpy(&g->c->code[fix], &a, 4);
		memcpy(&g->c->code[cnt], &len, 4);
		return true;
	}
	}
}

/*
 * A selector a CPL3 process may name: Linux's GDT entries (kernel ones
 * included, they fail the DPL checks), null, beyond the limit, LDT. Not
 * 0x78-0x7f: Linux's per-CPU entry differs from CPU to CPU.
 */
uint16_t x86diff_rnd_selector(struct gen *g)
{
	static const uint16_t sel[] = {0x00, 0x03, 0x08, 0x10, 0x18,  0x20,
				       0x23, 0x2b, 0x2b, 0x33, 0x38,  0x40,
				       0x43, 0x48, 0x80, 0x2f, 0xfff8};
	uint16_t s = sel[below(g, sizeof(sel) / sizeof(sel[0]))];

	return (uint16_t)(s | (chance(g, 3) ? below(g, 4) : 0));
}

/* lar lsl verr verw and data segment loads with the selectors that load */
bool x86diff_gen_seg(struct gen *g)
{
	struct enc e = enc0();
	int r = rnd_wreg(g, 0);

	switch (below(g, 3)) {
	case 0: { /* lar/lsl r, r16: ZF; the destination only on success */
		unsigned w = (unsigned[]){2, 4, 8}[below(g, g->m32 ? 2 : 3)];

		if (!emit_mov32(g, r, x86diff_rnd_selector(g)))
			return false;
		e.w = w;
		e.op[0] = 0x0f;
		e.op[1] = chance(g, 2) ? 0x02 : 0x03;
		e.nop = 2;
		e.modrm = true;
		e.reg = rnd_wreg(g, 0);
		e.wr_reg = w;
		e.rm = r;
		maybe_rex(g, &e);
		e.extra66 = false;
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ZF, 0);
		if (e.op[1] == 0x02 && w > 2) {
			/* LAR bits 19:16 are undefined (00FxFF00H): keep ZF
			 * with setz, then clear them */
			int d = e.reg;

			e = enc0();
			e.w = 1;
			e.op[0] = 0x0f;
			e.op[1] = 0x94;
			e.nop = 2;
			e.modrm = true;
			e.rm = rnd_wreg(g, 0);
			e.wr_rm = 1;
			if (!emit(g, &e))
				return false;
			e = enc0();
			e.w = w;
			e.op[0] = 0x81;
			e.nop = 1;
			e.modrm = true;
			e.reg = 4;
			e.rm = d;
			e.wr_rm = w;
			e.imm = 0xfff0ffff;
			e.immsz = 4;
			if (!emit(g, &e))
				return false;
			flags(g, X86DIFF_ARITH, X86DIFF_AF);
		}
		return true;
	}
	case 1: /* verr/verw r16 */
		if (!emit_mov32(g, r, x86diff_rnd_selector(g)))
			return false;
		e.op[0] = 0x0f;
		e.op[1] = 0x00;
		e.nop = 2;
		e.modrm = true;
		e.reg = chance(g, 2) ? 4 : 5;
		e.rm = r;
		if (!emit(g, &e))
			return false;
		flags(g, X86DIFF_ZF, 0);
		return true;
	default: { /* mov ds/es/ss, r16 with __USER_DS (or null DS/ES in
		      64-bit mode); MOV SS also blocks #DB for one insn */
		int sreg = (int)(uint8_t[]){0, 2, 3}[below(g, 3)];
		uint16_t v = 0x2b | (uint16_t)(chance(g, 2) ? 3 : 0);

		if (!g->m32 && sreg != 2 && chance(g, 3))
			v = (uint16_t)below(g, 4); /* null */
		if (!emit_mov32(g, r, v))
			return false;
		e.op[0] = 0x8e;
		e.nop = 1;
		e.modrm = true;
		e.reg = sreg;
		e.rm = r;
		return emit(g, &e);
	}
	}
}
