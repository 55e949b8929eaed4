// SPDX-License-Identifier: GPL-2.0
/*
 * x86diff generator: random valid 64-bit CPL3 instruction sequences.
 *
 * Instructions are encoded by hand here (not with Zydis's encoder) so that
 * the core's Zydis-based decoder is not checked against Zydis's own tables.
 *
 * The sequence is a list of groups: one instruction under test plus the
 * setup it needs to stay defined and in bounds (a base register pointing
 * into the data buffer, a masked index, a known shift count, ...). Forward
 * branches only target group boundaries, so setup is never skipped.
 *
 * Flags the SDM leaves undefined are tracked along every path: no
 * instruction may consume an undefined flag, and the ones still undefined
 * at the end are masked out of the comparison.
 */
#include "x86diff_gen.h"

static bool (*const class_gen[X86DIFF_C_COUNT])(struct gen *) = {
    [X86DIFF_C_X87EXT] = x86diff_gen_x87,
    [X86DIFF_C_FXSAVE] = x86diff_gen_fxsave,
    [X86DIFF_C_SEG] = x86diff_gen_seg,
    [X86DIFF_C_BCD] = x86diff_gen_bcd,
    [X86DIFF_C_X87] = x86diff_gen_x87,
    [X86DIFF_C_SMC] = x86diff_gen_smc,
    [X86DIFF_C_SSE] = x86diff_gen_sse,
    [X86DIFF_C_EXTRA] = x86diff_gen_extra,
    [X86DIFF_C_FAULT] = x86diff_gen_fault,
    [X86DIFF_C_ALU] = x86diff_gen_alu,
    [X86DIFF_C_SHIFT] = x86diff_gen_shift,
    [X86DIFF_C_MULDIV] = x86diff_gen_muldiv,
    [X86DIFF_C_BIT] = x86diff_gen_bit,
    [X86DIFF_C_STRING] = x86diff_gen_string,
    [X86DIFF_C_COND] = x86diff_gen_cond,
    [X86DIFF_C_XCHG] = x86diff_gen_xchg,
    [X86DIFF_C_MOV] = x86diff_gen_mov,
    [X86DIFF_C_CONVERT] = x86diff_gen_convert,
    [X86DIFF_C_FLAGS] = x86diff_gen_flags,
    [X86DIFF_C_STACK] = x86diff_gen_stack,
    [X86DIFF_C_BRANCH] = x86diff_gen_branch,
};

static const char *const class_names[X86DIFF_C_COUNT] = {
    "alu",     "shift", "muldiv", "bit",    "string", "cond",	  "xchg", "mov",
    "convert", "flags", "stack",  "branch", "extra",  "fault",	  "smc",  "x87",
    "x87ext",  "sse",	"fxsave", "seg",    "bcd",    "compat32",
};

const char *x86diff_class_name(enum x86diff_class c)
{
	return c < X86DIFF_C_COUNT ? class_names[c] : "?";
}

int x86diff_parse_classes(const char *list, uint32_t *mask)
{
	*mask = 0;
	while (*list) {
		size_t n = strcspn(list, ",");
		unsigned i;

		if (n == 3 && !strncmp(list, "all", 3)) {
			*mask |= X86DIFF_ALL_CLASSES;
		} else {
			for (i = 0; i < X86DIFF_C_COUNT; i++)
				if (strlen(class_names[i]) == n &&
				    !strncmp(list, class_names[i], n))
					break;
			if (i == X86DIFF_C_COUNT)
				return -1;
			*mask |= 1u << i;
		}
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* ---- cases ---------------------------------------------------------- */

/* A valid 80-bit value: no pseudo-NaN/-infinity/-denormal, no unnormal */
void x86diff_rand_ext(uint64_t *rng, uint8_t out[10])
{
	static const struct {
		uint16_t se;
		uint64_t m;
	} v[] = {
	    {0x0000, 0},
	    {0x8000, 0},
	    {0x3fff, 0x8000000000000000ull}, /* 1 */
	    {0xbfff, 0xc000000000000000ull}, /* -1.5 */
	    {0x4000, 0xc90fdaa22168c235ull}, /* pi */
	    {0x7fff, 0x8000000000000000ull}, /* inf */
	    {0xffff, 0x8000000000000000ull},
	    {0x7fff, 0xc000000000000000ull}, /* qnan */
	    {0x7fff, 0xa000000000000000ull}, /* snan */
	    {0x0000, 0x0000000000000001ull}, /* denormal */
	    {0x0001, 0x8000000000000000ull}, /* smallest normal */
	    {0x7ffe, 0xffffffffffffffffull}, /* largest */
	    {0x403e, 0x8000000000000000ull}, /* 2^63 */
	    {0x401d, 0xffffffff00000000ull}, /* 2^31 - 1 ish */
	};
	uint64_t r = x86diff_rand(rng), m;
	uint16_t se;

	if (r % 3 == 0) {
		unsigned k = (unsigned)(r >> 8) % (sizeof(v) / sizeof(v[0]));

		se = v[k].se;
		m = v[k].m;
	} else {
		/* a normal number of moderate magnitude */
		se = (uint16_t)(0x3fff - 40 + (r >> 8) % 80) |
		     (uint16_t)((r >> 20) & 1) << 15;
		m = x86diff_rand(rng) | 0x8000000000000000ull;
	}
	memcpy(out, &m, 8);
	memcpy(out + 8, &se, 2);
}

static void init_state(struct x86diff_case *c, uint64_t *rng)
{
	struct gen g = {.rng = *rng};

	for (unsigned i = 0; i < 16; i++)
		c->init.gpr[i] = interesting(&g);
	c->init.gpr[RSP] = X86DIFF_STACK_TOP;
	c->init.rip = X86DIFF_CODE_ADDR;
	c->init.rflags = 0x202 | (rnd(&g) & (X86DIFF_ARITH | X86DIFF_DF));
	for (unsigned i = 0; i < X86DIFF_DATA_SIZE; i += 8) {
		uint64_t v = chance(&g, 4) ? interesting(&g) : rnd(&g);

		memcpy(&c->data[i], &v, 8);
	}
	/* XMM lanes: floats and doubles worth having (signed zeros,
	 * infinities, quiet/signalling NaNs, denormals) or random bits */
	static const uint32_t f32[] = {
	    0,		0x80000000, 0x3f800000, 0xbfc00000, 0x7f800000,
	    0xff800000, 0x7fc00000, 0x7fa00000, 0x00000001, 0x007fffff,
	    0x00800000, 0x7f7fffff, 0x4f000000, 0xcf000000, 0x3effffff};
	static const uint64_t f64[] = {0,
				       0x8000000000000000ull,
				       0x3ff0000000000000ull,
				       0x7ff0000000000000ull,
				       0xfff8000000000000ull,
				       0x7ff4000000000000ull,
				       0x0000000000000001ull,
				       0x000fffffffffffffull,
				       0x41e0000000000000ull,
				       0xc3e0000000000000ull,
				       0x3fdfffffffffffffull,
				       0x7fefffffffffffffull};
	for (unsigned i = 0; i < 16; i++)
		for (unsigned l = 0; l < 16; l += 8) {
			uint64_t v;

			switch (below(&g, 4)) {
			case 0: {
				uint32_t a = f32[below(&g, 15)],
					 b = f32[below(&g, 15)];

				v = a | (uint64_t)b << 32;
				break;
			}
			case 1:
				v = f64[below(&g, 12)];
				break;
			case 2:
				v = interesting(&g);
				break;
			default:
				v = rnd(&g);
				break;
			}
			memcpy(&c->init.xmm[i][l], &v, 8);
		}
	/* all exceptions masked, no DAZ/FTZ; a random rounding mode and
	 * random sticky flags */
	c->init.mxcsr = 0x1f80 | (uint32_t)(rnd(&g) & 0x603f);
	/* x87: 0-5 values on the stack, masked exceptions, extended
	 * precision, a random rounding mode */
	unsigned depth = below(&g, 6), top = (8 - depth) & 7;

	c->init.fcw = (uint16_t)(0x037f | (below(&g, 4) << 10));
	c->init.fsw = (uint16_t)(top << 11);
	c->init.ftw = 0;
	for (unsigned i = 0; i < 8; i++) {
		if (i < depth)
			c->init.ftw |= (uint8_t)(1u << ((top + i) & 7));
		x86diff_rand_ext(&g.rng, c->init.st[i]);
	}
	*rng = g.rng;
}

static uint64_t seed_mix(uint64_t seed)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ull;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z ? z : 1;
}

static bool gen_try(struct x86diff_case *c, uint64_t seed, uint64_t attempt,
		    uint32_t classes, unsigned min_groups, unsigned max_groups)
{
	struct gen g = {.c = c, .classes = classes};
	unsigned ncls = 0, cls[X86DIFF_C_COUNT];

	g.rng = seed_mix(seed ^ (attempt << 48));
	memset(c->code, 0xcc, sizeof(c->code));
	c->ninsn = 0;
	memset(c->group_start, 0, sizeof(c->group_start));
	c->classes = 0;
	c->seed = seed;
	c->name = NULL;
	init_state(c, &g.rng);
	uint32_t compat = 1u << X86DIFF_C_COMPAT;

	uint32_t smc = 1u << X86DIFF_C_SMC;

	g.fdepth = (unsigned)__builtin_popcount(c->init.ftw);

	g.smc = (classes & smc) && (classes == smc || chance(&g, 2));
	c->smc = g.smc;
	g.m32 = ((classes & compat) && (classes == compat || chance(&g, 2))) ||
		(classes & ~compat) == 1u << X86DIFF_C_BCD;
	c->compat = g.m32;
	if (g.m32)
		c->classes |= compat;
	classes &= ~compat;
	if (!classes)
		classes = X86DIFF_ALL_CLASSES & ~compat;
	for (unsigned i = 0; i < X86DIFF_C_COUNT; i++)
		if (classes & (1u << i))
			cls[ncls++] = i;
	if (!ncls)
		return false;
	if (max_groups > MAX_GROUPS)
		max_groups = MAX_GROUPS;
	if (min_groups < 1)
		min_groups = 1;
	if (min_groups > max_groups)
		min_groups = max_groups;
	g.ngroups = min_groups + below(&g, max_groups - min_groups + 1);
	/* sometimes start just before a page end: instructions straddle */
	c->entry = chance(&g, 4) ? 0x1000 - range(&g, 1, 40) : 0;
	c->init.rip = X86DIFF_CODE_ADDR + c->entry;
	g.off = c->entry;
	g.undef = 0;
	c->undef_any = 0;
	for (g.group = 0; g.group < g.ngroups && !g.full; g.group++) {
		g.undef |= g.pending[g.group];
		c->undef_any |= g.undef;
		g.group_off[g.group] = g.off;
		if (c->ninsn < X86DIFF_MAX_INSNS)
			c->group_start[c->ninsn] = true;
		for (unsigned tries = 0;; tries++) {
			struct gen save = g;
			uint32_t ninsn = c->ninsn;
			unsigned k = cls[below(&g, ncls)];

			if (g.group + 1 == g.ngroups &&
			    (classes & (1u << X86DIFF_C_FAULT)) &&
			    chance(&g, 2))
				k = X86DIFF_C_FAULT;

			if (tries > 30) {
				k = X86DIFF_C_MOV;
				if (!(classes & (1u << k)))
					break;
			}
			if (class_gen[k](&g)) {
				c->classes |= 1u << k;
				break;
			}
			/* roll back, keep the random stream moving */
			uint64_t rng = g.rng;
			bool full = g.full;

			g = save;
			g.rng = rng;
			g.full = full;
			c->ninsn = ninsn;
			if (g.full || tries > 40)
				break;
		}
	}
	/* groups never generated (buffer full) end at the marker too */
	for (unsigned i = g.group; i <= g.ngroups; i++) {
		g.undef |= g.pending[i];
		g.group_off[i] = g.off;
	}
	c->len = g.off;
	c->undef_flags = g.undef;
	for (unsigned i = 0; i < g.nfix; i++) {
		const struct fixup *f = &g.fix[i];
		int64_t d = (int64_t)g.group_off[f->group] - f->next;

		if (f->abs) {
			uint32_t a = (uint32_t)(X86DIFF_CODE_ADDR +
						g.group_off[f->group]);

			memcpy(&c->code[f->at], &a, 4);
		} else if (f->size == 1) {
			if (d > 127)
				return false;
			c->code[f->at] = (uint8_t)d;
		} else {
			int32_t d32 = (int32_t)d;

			memcpy(&c->code[f->at], &d32, 4);
		}
	}
	return true;
}

void x86diff_gen(struct x86diff_case *c, uint64_t seed, uint32_t classes,
		 unsigned min_groups, unsigned max_groups)
{
	for (uint64_t attempt = 0;; attempt++)
		if (gen_try(c, seed, attempt, classes, min_groups,
			    max_groups) ||
		    attempt > 1000)
			break;
}

void x86diff_from_bytes(struct x86diff_case *c, const struct x86diff_fixed *f,
			uint64_t seed)
{
	uint64_t rng = seed_mix(seed);
	uint32_t len =
	    f->len < X86DIFF_CODE_SIZE - 16 ? f->len : X86DIFF_CODE_SIZE - 16;
	unsigned n = 0;

	memset(c->code, 0xcc, sizeof(c->code));
	init_state(c, &rng);
	/* every other seed runs the bytes across a page boundary */
	c->entry = (seed & 1) && len > 1 ? 0x1000 - len / 2 : 0;
	c->init.rip = X86DIFF_CODE_ADDR + c->entry;
	memcpy(c->code + c->entry, f->bytes, len);
	c->len = c->entry + len;
	c->seed = seed;
	c->name = f->name;
	c->compat = (f->classes >> X86DIFF_C_COMPAT) & 1;
	c->smc = (f->classes >> X86DIFF_C_SMC) & 1;
	c->undef_flags = f->undef_flags;
	c->undef_any = f->undef_flags;
	c->classes = f->classes;
	for (uint32_t off = c->entry; off < c->len && n < X86DIFF_MAX_INSNS;) {
		char buf[8];
		unsigned l =
		    x86diff_disasm(&c->code[off], c->len - off,
				   X86DIFF_CODE_ADDR + off, buf, sizeof(buf));

		c->group_start[n] = true;
		c->insn_off[n++] = (uint16_t)off;
		off += l ? l : 1;
	}
	c->ninsn = n;
	if (f->setup)
		f->setup(c);
}
