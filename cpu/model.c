// SPDX-License-Identifier: GPL-2.0
/*
 * CPU models: a base model plus "+feature"/"-feature" switches, so every
 * branch of KVM's hardware_setup() can be exercised on the same silicon.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/internal.h"

static const char *const feature_names[CPU_FEAT_COUNT] = {
    [CPU_FEAT_VMX] = "vmx",
    [CPU_FEAT_NX] = "nx",
    [CPU_FEAT_EPT] = "ept",
    [CPU_FEAT_EPT_4LEVEL] = "ept-4level",
    [CPU_FEAT_EPT_2M] = "ept-2m",
    [CPU_FEAT_EPT_1G] = "ept-1g",
    [CPU_FEAT_EPT_AD] = "ept-ad",
    [CPU_FEAT_VPID] = "vpid",
    [CPU_FEAT_UG] = "unrestricted-guest",
    [CPU_FEAT_PREEMPT_TIMER] = "preemption-timer",
    [CPU_FEAT_TRUE_CTLS] = "true-ctls",
    [CPU_FEAT_IO_BITMAPS] = "io-bitmaps",
    [CPU_FEAT_MSR_BITMAPS] = "msr-bitmaps",
    [CPU_FEAT_EPT_EXEC_ONLY] = "ept-exec-only",
    [CPU_FEAT_UNCOND_IO] = "uncond-io",
    [CPU_FEAT_JIT] = "jit",
};

#define F(x)	     (1ull << (x))
#define ALL_FEATURES ((1ull << CPU_FEAT_COUNT) - 1)

struct base_model {
	const char *name;
	uint64_t features;
};

static const struct base_model base_models[] = {
    /* A modern Intel core: everything kvmini's VMX implements. */
    {"default", ALL_FEATURES},
    /* VMX with nothing optional: no EPT, VPID, UG, timer, bitmaps. */
    {"minimal", F(CPU_FEAT_VMX) | F(CPU_FEAT_NX) | F(CPU_FEAT_UNCOND_IO) |
		    F(CPU_FEAT_JIT)},
    /* An x86-64 core without VMX at all. */
    {"novmx", F(CPU_FEAT_NX) | F(CPU_FEAT_JIT)},
};

const char *cpu_feature_name(enum cpu_feature f)
{
	if ((unsigned)f >= CPU_FEAT_COUNT)
		return "?";
	return feature_names[f];
}

bool cpu_model_has(const struct cpu_model *model, enum cpu_feature f)
{
	return (unsigned)f < CPU_FEAT_COUNT && (model->features & F(f));
}

/* Append to buf without ever overrunning it. */
static void append(char *buf, size_t size, size_t *n, const char *a,
		   const char *b)
{
	int r;

	if (*n >= size)
		return;
	r = snprintf(buf + *n, size - *n, "%s%s", a, b);
	if (r > 0)
		*n += (size_t)r;
}

const char *cpu_model_help(void)
{
	static char buf[1024];
	size_t n = 0;

	if (buf[0])
		return buf;
	append(buf, sizeof(buf), &n, "models:", "");
	for (size_t i = 0; i < sizeof(base_models) / sizeof(base_models[0]);
	     i++)
		append(buf, sizeof(buf), &n, i ? "," : " ",
		       base_models[i].name);
	append(buf, sizeof(buf), &n, "; features:", "");
	for (int f = 0; f < CPU_FEAT_COUNT; f++)
		append(buf, sizeof(buf), &n, f ? "," : " ", feature_names[f]);
	return buf;
}

static int find_feature(const char *name, size_t len)
{
	for (int f = 0; f < CPU_FEAT_COUNT; f++)
		if (strlen(feature_names[f]) == len &&
		    !strncmp(feature_names[f], name, len))
			return f;
	return -1;
}

int cpu_model_parse(const char *spec, struct cpu_model *model, char *err,
		    size_t errlen)
{
	const char *p = spec ? spec : "default";
	const char *comma = strchr(p, ',');
	size_t len = comma ? (size_t)(comma - p) : strlen(p);
	const struct base_model *base = NULL;

	if (len == 0) {
		p = "default";
		len = strlen(p);
	}
	for (size_t i = 0; i < sizeof(base_models) / sizeof(base_models[0]);
	     i++)
		if (strlen(base_models[i].name) == len &&
		    !strncmp(base_models[i].name, p, len))
			base = &base_models[i];
	if (!base) {
		snprintf(err, errlen, "unknown CPU model '%.*s' (%s)", (int)len,
			 p, cpu_model_help());
		return -1;
	}
	memset(model, 0, sizeof(*model));
	snprintf(model->name, sizeof(model->name), "%s", base->name);
	model->features = base->features;

	while (comma) {
		const char *w = comma + 1;
		char sign = *w;

		comma = strchr(w, ',');
		len = comma ? (size_t)(comma - w) : strlen(w);
		if (sign != '+' && sign != '-') {
			snprintf(
			    err, errlen,
			    "CPU model switch '%.*s' must start with + or -",
			    (int)len, w);
			return -1;
		}
		int f = find_feature(w + 1, len - 1);
		if (f < 0) {
			snprintf(err, errlen, "unknown CPU feature '%.*s' (%s)",
				 (int)len - 1, w + 1, cpu_model_help());
			return -1;
		}
		if (sign == '+')
			model->features |= F(f);
		else
			model->features &= ~F(f);
	}
	/* Record the switches in the name for `kvmini info`. */
	if (strlen(spec ? spec : "") < sizeof(model->name) && spec && *spec)
		snprintf(model->name, sizeof(model->name), "%s", spec);
	return 0;
}

uint64_t cpu_cr4_supported(const struct cpu *cpu)
{
	uint64_t v = CPU_CR4_SUPPORTED_BASE;

	if (cpu_has(cpu, CPU_FEAT_VMX))
		v |= X86_CR4_VMXE;
	return v;
}
