// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff: comparing two runs and printing a case so that a divergence can
 * be reproduced from the report alone (bytes, disassembly, initial state).
 */
#include <inttypes.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "x86diff.h"

static const char *const x86diff_reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

unsigned x86diff_disasm(const uint8_t *p, size_t len, uint64_t addr, char *buf,
			size_t bufsz)
{
	return x86diff_disasm_mode(p, len, addr, buf, bufsz, false);
}

unsigned x86diff_disasm_mode(const uint8_t *p, size_t len, uint64_t addr,
			     char *buf, size_t bufsz, bool m32)
{
	ZydisDecoder dec;
	ZydisFormatter fmt;
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (bufsz)
		buf[0] = 0;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(
		&dec,
		m32 ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32
		    : ZYDIS_MACHINE_MODE_LONG_64,
		m32 ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_64)) ||
	    !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, p, len, &insn, ops)))
		return 0;
	if (bufsz > 1 &&
	    ZYAN_SUCCESS(ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL)))
		ZydisFormatterFormatInstruction(&fmt, &insn, ops,
						insn.operand_count_visible, buf,
						bufsz, addr, ZYAN_NULL);
	return insn.length;
}

static void x86diff_print_flags(uint64_t f, FILE *out)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
	    {X86DIFF_CF, "CF"}, {X86DIFF_PF, "PF"}, {X86DIFF_AF, "AF"},
	    {X86DIFF_ZF, "ZF"}, {X86DIFF_SF, "SF"}, {X86DIFF_TF, "TF"},
	    {X86DIFF_IF, "IF"}, {X86DIFF_DF, "DF"}, {X86DIFF_OF, "OF"},
	    {X86DIFF_AC, "AC"}, {X86DIFF_ID, "ID"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			fprintf(out, " %s", names[i].name);
}

static void x86diff_print_regs(const struct x86diff_regs *r, FILE *out)
{
	for (int i = 0; i < 16; i++)
		fprintf(out, "  %-3s=%016" PRIx64 "%s", x86diff_reg_names[i],
			r->gpr[i], i % 4 == 3 ? "\n" : "");
	fprintf(out, "  rip=%016" PRIx64 " (+%#" PRIx64 ")  rflags=%08" PRIx64,
		r->rip, r->rip - X86DIFF_CODE_ADDR, r->rflags);
	x86diff_print_flags(r->rflags, out);
	fprintf(out, "\n");
}

void x86diff_print_case(const struct x86diff_case *c, FILE *out)
{
	fprintf(out,
		"case %s seed=%#" PRIx64 "%s code +%#x..+%#x undefined-at-end:",
		c->name ? c->name : "random", c->seed,
		c->compat ? " (32-bit compatibility mode)" : "", c->entry,
		c->len);
	x86diff_print_flags(c->undef_flags, out);
	fprintf(out, "\n  bytes:");
	for (uint32_t i = c->entry; i < c->len; i++)
		fprintf(out, " %02x", c->code[i]);
	fprintf(out, "\n");
	for (uint32_t i = 0; i < c->ninsn; i++) {
		uint32_t off = c->insn_off[i];
		uint32_t end = i + 1 < c->ninsn ? c->insn_off[i + 1] : c->len;
		char text[96];
		char hex[48] = "";

		x86diff_disasm_mode(&c->code[off], c->len - off,
				    X86DIFF_CODE_ADDR + off, text, sizeof(text),
				    c->compat);
		for (uint32_t j = off; j < end && j < off + 15; j++)
			snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex),
				 "%02x", c->code[j]);
		fprintf(out, "  +%04x  %-30s %s\n", off, hex,
			text[0] ? text : "(undecodable)");
	}
	fprintf(out, "  initial state:\n");
	x86diff_print_regs(&c->init, out);
	if (c->classes & (1u << X86DIFF_C_X87)) {
		fprintf(out, "  fcw=%04x fsw=%04x ftw=%02x\n", c->init.fcw,
			c->init.fsw, c->init.ftw);
		for (int i = 0; i < 8; i++) {
			uint64_t m;
			uint16_t e;

			memcpy(&m, c->init.st[i], 8);
			memcpy(&e, c->init.st[i] + 8, 2);
			fprintf(out, "  st%d=%04x_%016" PRIx64 "%s", i, e, m,
				i % 2 ? "\n" : "");
		}
	}
	if (c->classes & (1u << X86DIFF_C_SSE)) {
		fprintf(out, "  mxcsr=%08x\n", c->init.mxcsr);
		for (int i = 0; i < 16; i++) {
			uint64_t v[2];

			memcpy(v, c->init.xmm[i], 16);
			fprintf(out,
				"  xmm%-2d=%016" PRIx64 "_%016" PRIx64 "%s", i,
				v[1], v[0], i % 2 ? "\n" : "");
		}
	}
}

void x86diff_print_result(const char *who, const struct x86diff_result *r,
			  FILE *out)
{
	static const char *const ends[] = {"reached the end", "fault",
					   "harness error"};

	fprintf(out, "  %s: %s", who, ends[r->end]);
	if (r->end == X86DIFF_END_FAULT)
		fprintf(out, " vector %d error %#x cr2 %#" PRIx64, r->vector,
			r->error, r->cr2);
	if (r->msg[0])
		fprintf(out, " (%s)", r->msg);
	fprintf(out, "\n");
	if (r->end != X86DIFF_END_ERROR)
		x86diff_print_regs(&r->regs, out);
}

uint16_t x86diff_fsw_ignore;

bool x86diff_compare(const struct x86diff_case *c,
		     const struct x86diff_result *want,
		     const struct x86diff_result *got, FILE *out)
{
	uint32_t undef =
	    want->end == X86DIFF_END_FAULT ? c->undef_any : c->undef_flags;
	uint64_t fmask = X86DIFF_CMP_FLAGS & ~(uint64_t)undef;
	bool ok = true;

	if (want->end != got->end ||
	    (want->end == X86DIFF_END_FAULT && want->vector != got->vector)) {
		fprintf(out,
			"  MISMATCH: end (native %d/vector %d, core %d/vector "
			"%d)\n",
			want->end, want->vector, got->end, got->vector);
		ok = false;
	}
	if (want->end == X86DIFF_END_ERROR || got->end == X86DIFF_END_ERROR)
		return false;
	if (want->end == X86DIFF_END_FAULT && got->end == X86DIFF_END_FAULT &&
	    want->vector == got->vector) {
		/* error codes of contributory faults and #PF (P W U RSVD I) */
		uint32_t emask = want->vector == 14 ? 0x1f : 0xffff;
		bool has = want->vector == 8 ||
			   (want->vector >= 10 && want->vector <= 14) ||
			   want->vector == 17;

		if (has && (want->error ^ got->error) & emask) {
			fprintf(out,
				"  MISMATCH: error code native %#x core %#x\n",
				want->error, got->error);
			ok = false;
		}
		if (want->vector == 14 && want->cr2 != got->cr2) {
			fprintf(out,
				"  MISMATCH: cr2 native %#" PRIx64
				" core %#" PRIx64 "\n",
				want->cr2, got->cr2);
			ok = false;
		}
	}
	/* 32-bit code: the upper halves are undefined after the mode switch,
	 * r8-r15 unreachable */
	uint64_t gmask = c->compat ? 0xffffffffull : ~0ull;

	for (int i = 0; i < (c->compat ? 8 : 16); i++)
		if ((want->regs.gpr[i] ^ got->regs.gpr[i]) & gmask) {
			fprintf(out,
				"  MISMATCH: %s native %016" PRIx64
				" core %016" PRIx64 "\n",
				x86diff_reg_names[i], want->regs.gpr[i],
				got->regs.gpr[i]);
			ok = false;
		}
	for (int i = 0; i < (c->compat ? 8 : 16); i++)
		if (memcmp(want->regs.xmm[i], got->regs.xmm[i], 16)) {
			uint64_t w[2], g[2];

			memcpy(w, want->regs.xmm[i], 16);
			memcpy(g, got->regs.xmm[i], 16);
			fprintf(out,
				"  MISMATCH: xmm%d native %016" PRIx64
				"_%016" PRIx64 " core %016" PRIx64
				"_%016" PRIx64 "\n",
				i, w[1], w[0], g[1], g[0]);
			ok = false;
		}
	if (want->regs.fcw != got->regs.fcw ||
	    ((want->regs.fsw ^ got->regs.fsw) & ~x86diff_fsw_ignore) ||
	    want->regs.ftw != got->regs.ftw) {
		fprintf(
		    out,
		    "  MISMATCH: x87 fcw/fsw/ftw native %04x/%04x/%02x core "
		    "%04x/%04x/%02x\n",
		    want->regs.fcw, want->regs.fsw, want->regs.ftw,
		    got->regs.fcw, got->regs.fsw, got->regs.ftw);
		ok = false;
	}
	for (int i = 0; i < 8; i++)
		if (memcmp(want->regs.st[i], got->regs.st[i], 10)) {
			uint64_t wm, gm;
			uint16_t we, ge;

			memcpy(&wm, want->regs.st[i], 8);
			memcpy(&we, want->regs.st[i] + 8, 2);
			memcpy(&gm, got->regs.st[i], 8);
			memcpy(&ge, got->regs.st[i] + 8, 2);
			fprintf(out,
				"  MISMATCH: st%d native %04x_%016" PRIx64
				" core %04x_%016" PRIx64 "\n",
				i, we, wm, ge, gm);
			ok = false;
		}
	if (want->regs.mxcsr != got->regs.mxcsr) {
		fprintf(out, "  MISMATCH: mxcsr native %#x core %#x\n",
			want->regs.mxcsr, got->regs.mxcsr);
		ok = false;
	}
	if (want->regs.rip != got->regs.rip) {
		fprintf(out,
			"  MISMATCH: rip native +%#" PRIx64 " core +%#" PRIx64
			"\n",
			want->regs.rip - X86DIFF_CODE_ADDR,
			got->regs.rip - X86DIFF_CODE_ADDR);
		ok = false;
	}
	if ((want->regs.rflags ^ got->regs.rflags) & fmask) {
		fprintf(out,
			"  MISMATCH: rflags native %08" PRIx64
			" core %08" PRIx64 " differ in:",
			want->regs.rflags, got->regs.rflags);
		x86diff_print_flags(
		    (want->regs.rflags ^ got->regs.rflags) & fmask, out);
		fprintf(out, " (ignored as undefined:");
		x86diff_print_flags(undef, out);
		fprintf(out, ")\n");
		ok = false;
	}
	unsigned shown = 0;

	for (uint32_t i = 0; i < X86DIFF_DATA_SIZE; i++) {
		if (want->data[i] == got->data[i])
			continue;
		if (shown++ < 8)
			fprintf(out,
				"  MISMATCH: data %#" PRIx64
				" native %02x core %02x\n",
				X86DIFF_DATA_ADDR + i, want->data[i],
				got->data[i]);
		ok = false;
	}
	if (shown > 8)
		fprintf(out, "  ... %u data bytes differ\n", shown);
	return ok;
}
