/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A structured record of the init chain as it runs: every step (nested,
 * like the call tree), its result and what it found or chose. Steps are
 * recorded by the code that does the work, at the time it does it;
 * softkvm_print_report() only formats the record.
 */
#ifndef KVMINI_KVM_REPORT_H
#define KVMINI_KVM_REPORT_H

#include <stdio.h>

#define KVM_REPORT_MAX_STEPS 256
#define KVM_REPORT_MAX_NOTES 512

struct kvm_report_step {
	char name[64];
	int depth;
	int result; /* valid once done */
	int seq;    /* order among steps and notes */
	int done;
	char detail[160];
};

struct kvm_report_note {
	int step; /* index of the step it belongs to */
	int seq;
	char key[40];
	char value[400];
};

struct kvm_report {
	int nr_steps, nr_notes, depth, seq;
	int truncated;
	struct kvm_report_step steps[KVM_REPORT_MAX_STEPS];
	struct kvm_report_note notes[KVM_REPORT_MAX_NOTES];
};

void kvm_report_reset(void);
/* Open a step (nested under the currently open one). */
void kvm_report_begin(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Close the innermost open step with its result (0 or -errno). */
void kvm_report_end(int result, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A key/value fact found or chosen inside the innermost open step. */
void kvm_report_note(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A one-shot step: begin + end. */
void kvm_report_step(int result, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const struct kvm_report *kvm_report_get(void);
void kvm_report_print(FILE *out);
/* Find the first step whose name starts with @prefix; NULL if none. */
const struct kvm_report_step *kvm_report_find(const char *prefix);
/* Value of the first note with @key; NULL if none. */
const char *kvm_report_value(const char *key);

#endif
