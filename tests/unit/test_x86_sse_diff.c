// SPDX-License-Identifier: GPL-2.0
/*
 * x86 core vs the host CPU for SSE/SSE2 register forms: each instruction
 * runs between the same prologue/epilogue natively (in an executable
 * page) and on the core, on random and special inputs (NaNs, infinities,
 * denormals, integer edge values) and random MXCSR rounding modes; XMM0,
 * MXCSR, RAX and the arithmetic flags must match. Deterministic seed.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "test_x86_env.h"

struct sse_case {
	const char *name;
	unsigned len;
	uint8_t b[8];
};

static const struct sse_case cases[] = {
    {"paddb xmm0, xmm1", 4, {0x66, 0x0f, 0xfc, 0xc1}},
    {"paddw xmm0, xmm1", 4, {0x66, 0x0f, 0xfd, 0xc1}},
    {"paddd xmm0, xmm1", 4, {0x66, 0x0f, 0xfe, 0xc1}},
    {"paddq xmm0, xmm1", 4, {0x66, 0x0f, 0xd4, 0xc1}},
    {"psubb xmm0, xmm1", 4, {0x66, 0x0f, 0xf8, 0xc1}},
    {"psubw xmm0, xmm1", 4, {0x66, 0x0f, 0xf9, 0xc1}},
    {"psubd xmm0, xmm1", 4, {0x66, 0x0f, 0xfa, 0xc1}},
    {"psubq xmm0, xmm1", 4, {0x66, 0x0f, 0xfb, 0xc1}},
    {"paddusb xmm0, xmm1", 4, {0x66, 0x0f, 0xdc, 0xc1}},
    {"paddusw xmm0, xmm1", 4, {0x66, 0x0f, 0xdd, 0xc1}},
    {"psubusb xmm0, xmm1", 4, {0x66, 0x0f, 0xd8, 0xc1}},
    {"psubusw xmm0, xmm1", 4, {0x66, 0x0f, 0xd9, 0xc1}},
    {"paddsb xmm0, xmm1", 4, {0x66, 0x0f, 0xec, 0xc1}},
    {"paddsw xmm0, xmm1", 4, {0x66, 0x0f, 0xed, 0xc1}},
    {"psubsb xmm0, xmm1", 4, {0x66, 0x0f, 0xe8, 0xc1}},
    {"psubsw xmm0, xmm1", 4, {0x66, 0x0f, 0xe9, 0xc1}},
    {"pcmpeqb xmm0, xmm1", 4, {0x66, 0x0f, 0x74, 0xc1}},
    {"pcmpeqw xmm0, xmm1", 4, {0x66, 0x0f, 0x75, 0xc1}},
    {"pcmpeqd xmm0, xmm1", 4, {0x66, 0x0f, 0x76, 0xc1}},
    {"pcmpgtb xmm0, xmm1", 4, {0x66, 0x0f, 0x64, 0xc1}},
    {"pcmpgtw xmm0, xmm1", 4, {0x66, 0x0f, 0x65, 0xc1}},
    {"pcmpgtd xmm0, xmm1", 4, {0x66, 0x0f, 0x66, 0xc1}},
    {"pminub xmm0, xmm1", 4, {0x66, 0x0f, 0xda, 0xc1}},
    {"pmaxub xmm0, xmm1", 4, {0x66, 0x0f, 0xde, 0xc1}},
    {"pminsw xmm0, xmm1", 4, {0x66, 0x0f, 0xea, 0xc1}},
    {"pmaxsw xmm0, xmm1", 4, {0x66, 0x0f, 0xee, 0xc1}},
    {"pavgb xmm0, xmm1", 4, {0x66, 0x0f, 0xe0, 0xc1}},
    {"pavgw xmm0, xmm1", 4, {0x66, 0x0f, 0xe3, 0xc1}},
    {"pmullw xmm0, xmm1", 4, {0x66, 0x0f, 0xd5, 0xc1}},
    {"pmulhw xmm0, xmm1", 4, {0x66, 0x0f, 0xe5, 0xc1}},
    {"pmulhuw xmm0, xmm1", 4, {0x66, 0x0f, 0xe4, 0xc1}},
    {"pmuludq xmm0, xmm1", 4, {0x66, 0x0f, 0xf4, 0xc1}},
    {"pmaddwd xmm0, xmm1", 4, {0x66, 0x0f, 0xf5, 0xc1}},
    {"psadbw xmm0, xmm1", 4, {0x66, 0x0f, 0xf6, 0xc1}},
    {"pand xmm0, xmm1", 4, {0x66, 0x0f, 0xdb, 0xc1}},
    {"pandn xmm0, xmm1", 4, {0x66, 0x0f, 0xdf, 0xc1}},
    {"por xmm0, xmm1", 4, {0x66, 0x0f, 0xeb, 0xc1}},
    {"pxor xmm0, xmm1", 4, {0x66, 0x0f, 0xef, 0xc1}},
    {"punpcklbw xmm0, xmm1", 4, {0x66, 0x0f, 0x60, 0xc1}},
    {"punpcklwd xmm0, xmm1", 4, {0x66, 0x0f, 0x61, 0xc1}},
    {"punpckldq xmm0, xmm1", 4, {0x66, 0x0f, 0x62, 0xc1}},
    {"punpcklqdq xmm0, xmm1", 4, {0x66, 0x0f, 0x6c, 0xc1}},
    {"punpckhbw xmm0, xmm1", 4, {0x66, 0x0f, 0x68, 0xc1}},
    {"punpckhwd xmm0, xmm1", 4, {0x66, 0x0f, 0x69, 0xc1}},
    {"punpckhdq xmm0, xmm1", 4, {0x66, 0x0f, 0x6a, 0xc1}},
    {"punpckhqdq xmm0, xmm1", 4, {0x66, 0x0f, 0x6d, 0xc1}},
    {"packsswb xmm0, xmm1", 4, {0x66, 0x0f, 0x63, 0xc1}},
    {"packssdw xmm0, xmm1", 4, {0x66, 0x0f, 0x6b, 0xc1}},
    {"packuswb xmm0, xmm1", 4, {0x66, 0x0f, 0x67, 0xc1}},
    {"psllw xmm0, xmm1", 4, {0x66, 0x0f, 0xf1, 0xc1}},
    {"pslld xmm0, xmm1", 4, {0x66, 0x0f, 0xf2, 0xc1}},
    {"psllq xmm0, xmm1", 4, {0x66, 0x0f, 0xf3, 0xc1}},
    {"psrlw xmm0, xmm1", 4, {0x66, 0x0f, 0xd1, 0xc1}},
    {"psrld xmm0, xmm1", 4, {0x66, 0x0f, 0xd2, 0xc1}},
    {"psrlq xmm0, xmm1", 4, {0x66, 0x0f, 0xd3, 0xc1}},
    {"psraw xmm0, xmm1", 4, {0x66, 0x0f, 0xe1, 0xc1}},
    {"psrad xmm0, xmm1", 4, {0x66, 0x0f, 0xe2, 0xc1}},
    {"psllw xmm0, 3", 5, {0x66, 0x0f, 0x71, 0xf0, 0x03}},
    {"pslld xmm0, 17", 5, {0x66, 0x0f, 0x72, 0xf0, 0x11}},
    {"psllq xmm0, 33", 5, {0x66, 0x0f, 0x73, 0xf0, 0x21}},
    {"psrlw xmm0, 15", 5, {0x66, 0x0f, 0x71, 0xd0, 0x0f}},
    {"psrld xmm0, 1", 5, {0x66, 0x0f, 0x72, 0xd0, 0x01}},
    {"psrlq xmm0, 63", 5, {0x66, 0x0f, 0x73, 0xd0, 0x3f}},
    {"psraw xmm0, 4", 5, {0x66, 0x0f, 0x71, 0xe0, 0x04}},
    {"psrad xmm0, 31", 5, {0x66, 0x0f, 0x72, 0xe0, 0x1f}},
    {"pslldq xmm0, 5", 5, {0x66, 0x0f, 0x73, 0xf8, 0x05}},
    {"psrldq xmm0, 11", 5, {0x66, 0x0f, 0x73, 0xd8, 0x0b}},
    {"pshufd xmm0, xmm1, 0x4e", 5, {0x66, 0x0f, 0x70, 0xc1, 0x4e}},
    {"pshuflw xmm0, xmm1, 0x1b", 5, {0xf2, 0x0f, 0x70, 0xc1, 0x1b}},
    {"pshufhw xmm0, xmm1, 0xd8", 5, {0xf3, 0x0f, 0x70, 0xc1, 0xd8}},
    {"shufps xmm0, xmm1, 0x93", 4, {0x0f, 0xc6, 0xc1, 0x93}},
    {"shufpd xmm0, xmm1, 2", 5, {0x66, 0x0f, 0xc6, 0xc1, 0x02}},
    {"unpcklps xmm0, xmm1", 3, {0x0f, 0x14, 0xc1}},
    {"unpckhps xmm0, xmm1", 3, {0x0f, 0x15, 0xc1}},
    {"unpcklpd xmm0, xmm1", 4, {0x66, 0x0f, 0x14, 0xc1}},
    {"unpckhpd xmm0, xmm1", 4, {0x66, 0x0f, 0x15, 0xc1}},
    {"pinsrw xmm0, ecx, 5", 5, {0x66, 0x0f, 0xc4, 0xc1, 0x05}},
    {"pextrw eax, xmm1, 6", 5, {0x66, 0x0f, 0xc5, 0xc1, 0x06}},
    {"pmovmskb eax, xmm1", 4, {0x66, 0x0f, 0xd7, 0xc1}},
    {"movmskps eax, xmm1", 3, {0x0f, 0x50, 0xc1}},
    {"movmskpd eax, xmm1", 4, {0x66, 0x0f, 0x50, 0xc1}},
    {"movd eax, xmm1", 4, {0x66, 0x0f, 0x7e, 0xc8}},
    {"movq rax, xmm1", 5, {0x66, 0x48, 0x0f, 0x7e, 0xc8}},
    {"movd xmm0, ecx", 4, {0x66, 0x0f, 0x6e, 0xc1}},
    {"movq xmm0, rcx", 5, {0x66, 0x48, 0x0f, 0x6e, 0xc1}},
    {"movq xmm0, xmm1", 4, {0xf3, 0x0f, 0x7e, 0xc1}},
    {"movss xmm0, xmm1", 4, {0xf3, 0x0f, 0x10, 0xc1}},
    {"movsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x10, 0xc1}},
    {"movhlps xmm0, xmm1", 3, {0x0f, 0x12, 0xc1}},
    {"movlhps xmm0, xmm1", 3, {0x0f, 0x16, 0xc1}},
    {"andps xmm0, xmm1", 3, {0x0f, 0x54, 0xc1}},
    {"andnpd xmm0, xmm1", 4, {0x66, 0x0f, 0x55, 0xc1}},
    {"orps xmm0, xmm1", 3, {0x0f, 0x56, 0xc1}},
    {"xorpd xmm0, xmm1", 4, {0x66, 0x0f, 0x57, 0xc1}},
    {"addps xmm0, xmm1", 3, {0x0f, 0x58, 0xc1}},
    {"addpd xmm0, xmm1", 4, {0x66, 0x0f, 0x58, 0xc1}},
    {"addss xmm0, xmm1", 4, {0xf3, 0x0f, 0x58, 0xc1}},
    {"addsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x58, 0xc1}},
    {"subps xmm0, xmm1", 3, {0x0f, 0x5c, 0xc1}},
    {"subsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x5c, 0xc1}},
    {"mulps xmm0, xmm1", 3, {0x0f, 0x59, 0xc1}},
    {"mulsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x59, 0xc1}},
    {"divps xmm0, xmm1", 3, {0x0f, 0x5e, 0xc1}},
    {"divsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x5e, 0xc1}},
    {"divss xmm0, xmm1", 4, {0xf3, 0x0f, 0x5e, 0xc1}},
    {"minps xmm0, xmm1", 3, {0x0f, 0x5d, 0xc1}},
    {"minsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x5d, 0xc1}},
    {"maxps xmm0, xmm1", 3, {0x0f, 0x5f, 0xc1}},
    {"maxsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x5f, 0xc1}},
    {"sqrtps xmm0, xmm1", 3, {0x0f, 0x51, 0xc1}},
    {"sqrtsd xmm0, xmm1", 4, {0xf2, 0x0f, 0x51, 0xc1}},
    {"sqrtss xmm0, xmm1", 4, {0xf3, 0x0f, 0x51, 0xc1}},
    {"cmpps xmm0, xmm1, 0", 4, {0x0f, 0xc2, 0xc1, 0x00}},
    {"cmpps xmm0, xmm1, 1", 4, {0x0f, 0xc2, 0xc1, 0x01}},
    {"cmppd xmm0, xmm1, 2", 5, {0x66, 0x0f, 0xc2, 0xc1, 0x02}},
    {"cmpss xmm0, xmm1, 3", 5, {0xf3, 0x0f, 0xc2, 0xc1, 0x03}},
    {"cmpsd xmm0, xmm1, 4", 5, {0xf2, 0x0f, 0xc2, 0xc1, 0x04}},
    {"cmppd xmm0, xmm1, 5", 5, {0x66, 0x0f, 0xc2, 0xc1, 0x05}},
    {"cmpps xmm0, xmm1, 6", 4, {0x0f, 0xc2, 0xc1, 0x06}},
    {"cmpsd xmm0, xmm1, 7", 5, {0xf2, 0x0f, 0xc2, 0xc1, 0x07}},
    {"comiss xmm0, xmm1", 3, {0x0f, 0x2f, 0xc1}},
    {"ucomiss xmm0, xmm1", 3, {0x0f, 0x2e, 0xc1}},
    {"comisd xmm0, xmm1", 4, {0x66, 0x0f, 0x2f, 0xc1}},
    {"ucomisd xmm0, xmm1", 4, {0x66, 0x0f, 0x2e, 0xc1}},
    {"cvtsi2ss xmm0, ecx", 4, {0xf3, 0x0f, 0x2a, 0xc1}},
    {"cvtsi2sd xmm0, rcx", 5, {0xf2, 0x48, 0x0f, 0x2a, 0xc1}},
    {"cvtsi2ss xmm0, rcx", 5, {0xf3, 0x48, 0x0f, 0x2a, 0xc1}},
    {"cvtss2sd xmm0, xmm1", 4, {0xf3, 0x0f, 0x5a, 0xc1}},
    {"cvtsd2ss xmm0, xmm1", 4, {0xf2, 0x0f, 0x5a, 0xc1}},
    {"cvtps2pd xmm0, xmm1", 3, {0x0f, 0x5a, 0xc1}},
    {"cvtpd2ps xmm0, xmm1", 4, {0x66, 0x0f, 0x5a, 0xc1}},
    {"cvtdq2ps xmm0, xmm1", 3, {0x0f, 0x5b, 0xc1}},
    {"cvtdq2pd xmm0, xmm1", 4, {0xf3, 0x0f, 0xe6, 0xc1}},
    {"cvtps2dq xmm0, xmm1", 4, {0x66, 0x0f, 0x5b, 0xc1}},
    {"cvttps2dq xmm0, xmm1", 4, {0xf3, 0x0f, 0x5b, 0xc1}},
    {"cvtpd2dq xmm0, xmm1", 4, {0xf2, 0x0f, 0xe6, 0xc1}},
    {"cvttpd2dq xmm0, xmm1", 4, {0x66, 0x0f, 0xe6, 0xc1}},
    {"cvtss2si eax, xmm1", 4, {0xf3, 0x0f, 0x2d, 0xc1}},
    {"cvttss2si rax, xmm1", 5, {0xf3, 0x48, 0x0f, 0x2c, 0xc1}},
    {"cvtsd2si rax, xmm1", 5, {0xf2, 0x48, 0x0f, 0x2d, 0xc1}},
    {"cvttsd2si eax, xmm1", 4, {0xf2, 0x0f, 0x2c, 0xc1}},
};

/* stmxcsr [rdi+56]; movdqu xmm0,[rdi]; movdqu xmm1,[rdi+16];
 * ldmxcsr [rdi+32]; mov rcx,[rdi+64]; xor eax,eax */
static const uint8_t pro[] = {0x0f, 0xae, 0x5f, 0x38, 0xf3, 0x0f, 0x6f, 0x07,
			      0xf3, 0x0f, 0x6f, 0x4f, 0x10, 0x0f, 0xae, 0x57,
			      0x20, 0x48, 0x8b, 0x4f, 0x40, 0x31, 0xc0};
/* pushfq; pop rcx; mov [rdi+48],rcx; mov [rdi+40],rax; movdqu [rdi],xmm0;
 * stmxcsr [rdi+36]; ldmxcsr [rdi+56]; ret */
static const uint8_t epi[] = {0x9c, 0x59, 0x48, 0x89, 0x4f, 0x30, 0x48, 0x89,
			      0x47, 0x28, 0xf3, 0x0f, 0x7f, 0x07, 0x0f, 0xae,
			      0x5f, 0x24, 0x0f, 0xae, 0x57, 0x38, 0xc3};

struct buf {
	uint8_t x0[16], x1[16];
	uint32_t mxcsr_in, mxcsr_out;
	uint64_t rax, rflags, host_mxcsr, rcx;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(uint8_t *p)
{
	static const uint32_t f32[] = {
	    0,		0x80000000, 0x3fc00000, 0xc0000000,
	    0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001,
	    0x00000001, 0x7f7fffff, 0x4f000000, 0xcf000000,
	    0x3f000000, 0x40200000, 0x7fffffff, 0xffffffff};
	static const uint64_t f64[] = {0,
				       0x8000000000000000ull,
				       0x3ff8000000000000ull,
				       0x7ff0000000000000ull,
				       0xfff8000000000000ull,
				       0x7ff0000000000001ull,
				       1,
				       0x43e0000000000000ull,
				       0xc1e0000000000000ull,
				       0x4004000000000000ull,
				       0x41dfffffffc00000ull};
	for (unsigned q = 0; q < 2; q++) {
		uint64_t v;
		switch (rnd() % 4) {
		case 0:
			v = rnd();
			break;
		case 1:
			v = f32[rnd() % 16] | (uint64_t)f32[rnd() % 16] << 32;
			break;
		case 2:
			v = f64[rnd() % 11];
			break;
		default:
			v = (rnd() % 2 ? rnd() % 300 : -(rnd() % 300));
			if (rnd() % 2)
				v = (uint32_t)v | (uint64_t)(rnd() % 70000)
						      << 32;
		}
		memcpy(p + 8 * q, &v, 8);
	}
}

static void test_sse_vs_host(void **state)
{
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct tenv *t;
	unsigned bad = 0, runs = 0;

	if (page == MAP_FAILED) {
		skip();
		return;
	}
	t = tenv_new();
	for (unsigned n = 0; n < sizeof(cases) / sizeof(cases[0]); n++) {
		const struct sse_case *k = &cases[n];
		size_t len = 0;
		uint8_t code[64];
		unsigned bad_here = 0;

		memcpy(code, pro, sizeof(pro));
		len = sizeof(pro);
		memcpy(code + len, k->b, k->len);
		len += k->len;
		memcpy(code + len, epi, sizeof(epi));
		len += sizeof(epi);
		memcpy(page, code, len);
		__builtin___clear_cache((char *)page, (char *)page + len);
		code[len - 1] = 0xf4; /* the core stops at HLT instead of RET */

		for (unsigned r = 0; r < 300; r++) {
			struct buf nat, emu;
			memset(&nat, 0, sizeof(nat));
			fill(nat.x0);
			fill(nat.x1);
			nat.mxcsr_in = 0x1f80 | (uint32_t)(rnd() % 4) << 13;
			nat.rcx = rnd() % 3 ? rnd() : rnd() % 1000;
			emu = nat;
			((void (*)(struct buf *))page)(&nat);

			tenv_long_mode(t, 0);
			memcpy(t->mem + 0x20000, &emu, sizeof(emu));
			t->st.gpr[X86_RDI] = 0x20000;
			tenv_load(t, 0x10000, code, len);
			t->st.rip = 0x10000;
			assert_int_equal(tenv_run(t), X86_EXIT_HLT);
			memcpy(&emu, t->mem + 0x20000, sizeof(emu));
			runs++;
			if (memcmp(nat.x0, emu.x0, 16) ||
			    nat.mxcsr_out != emu.mxcsr_out ||
			    nat.rax != emu.rax ||
			    (nat.rflags & 0x8d5) != (emu.rflags & 0x8d5)) {
				if (bad_here++ < 2) {
					uint64_t a[2], b[2], x[2], y[2];
					memcpy(a, nat.x0, 16);
					memcpy(b, emu.x0, 16);
					memcpy(x, emu.x1, 16);
					memset(y, 0, 16);
					printf("# %s: in x1=%016llx:%016llx "
					       "mxcsr %x rcx %llx\n"
					       "#   native x0=%016llx:%016llx "
					       "mxcsr %x rax %llx fl %llx\n"
					       "#   core   x0=%016llx:%016llx "
					       "mxcsr %x rax %llx fl %llx\n",
					       k->name,
					       (unsigned long long)x[1],
					       (unsigned long long)x[0],
					       nat.mxcsr_in,
					       (unsigned long long)nat.rcx,
					       (unsigned long long)a[1],
					       (unsigned long long)a[0],
					       nat.mxcsr_out,
					       (unsigned long long)nat.rax,
					       (unsigned long long)nat.rflags &
						   0x8d5,
					       (unsigned long long)b[1],
					       (unsigned long long)b[0],
					       emu.mxcsr_out,
					       (unsigned long long)emu.rax,
					       (unsigned long long)emu.rflags &
						   0x8d5);
				}
			}
		}
		if (bad_here)
			bad++;
	}
	printf("# sse vs host: %u instructions, %u runs, %u instructions "
	       "diverge\n",
	       (unsigned)(sizeof(cases) / sizeof(cases[0])), runs, bad);
	tenv_free(t);
	munmap(page, 4096);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sse_vs_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
