// SPDX-License-Identifier: GPL-2.0
#include "kvm/report.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

static struct kvm_report report;
static int open_steps[64];
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

void kvm_report_reset(void)
{
	pthread_mutex_lock(&report_lock);
	memset(&report, 0, sizeof(report));
	pthread_mutex_unlock(&report_lock);
}

void kvm_report_begin(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	if (report.nr_steps >= KVM_REPORT_MAX_STEPS ||
	    report.depth >= (int)(sizeof(open_steps) / sizeof(open_steps[0]))) {
		report.truncated = 1;
		report.depth++;
		pthread_mutex_unlock(&report_lock);
		return;
	}
	struct kvm_report_step *s = &report.steps[report.nr_steps];
	va_start(ap, fmt);
	vsnprintf(s->name, sizeof(s->name), fmt, ap);
	va_end(ap);
	s->depth = report.depth;
	s->seq = report.seq++;
	open_steps[report.depth++] = report.nr_steps++;
	pthread_mutex_unlock(&report_lock);
}

void kvm_report_end(int result, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	if (report.depth <= 0) {
		pthread_mutex_unlock(&report_lock);
		return;
	}
	report.depth--;
	if (report.depth < (int)(sizeof(open_steps) / sizeof(open_steps[0])) &&
	    open_steps[report.depth] < report.nr_steps) {
		struct kvm_report_step *s =
		    &report.steps[open_steps[report.depth]];

		s->result = result;
		s->done = 1;
		va_start(ap, fmt);
		vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&report_lock);
}

void kvm_report_note(const char *key, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_lock);
	if (report.nr_notes >= KVM_REPORT_MAX_NOTES) {
		report.truncated = 1;
		pthread_mutex_unlock(&report_lock);
		return;
	}
	struct kvm_report_note *n = &report.notes[report.nr_notes++];
	n->step = report.depth > 0 ? open_steps[report.depth - 1] : -1;
	n->seq = report.seq++;
	snprintf(n->key, sizeof(n->key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(n->value, sizeof(n->value), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&report_lock);
}

void kvm_report_step(int result, const char *name, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	kvm_report_begin("%s", name);
	kvm_report_end(result, "%s", detail);
}

const struct kvm_report *kvm_report_get(void)
{
	return &report;
}

const struct kvm_report_step *kvm_report_find(const char *prefix)
{
	for (int i = 0; i < report.nr_steps; i++)
		if (!strncmp(report.steps[i].name, prefix, strlen(prefix)))
			return &report.steps[i];
	return NULL;
}

const char *kvm_report_value(const char *key)
{
	for (int i = 0; i < report.nr_notes; i++)
		if (!strcmp(report.notes[i].key, key))
			return report.notes[i].value;
	return NULL;
}

static const char *errname(int r)
{
	static __thread char buf[32];

	if (r >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%s (%d)", strerror(-r), r);
	return buf;
}

void kvm_report_print(FILE *out)
{
	int i = 0, j = 0;

	pthread_mutex_lock(&report_lock);
	/* Steps and notes in the order they happened. */
	while (i < report.nr_steps || j < report.nr_notes) {
		if (j >= report.nr_notes ||
		    (i < report.nr_steps &&
		     report.steps[i].seq < report.notes[j].seq)) {
			const struct kvm_report_step *s = &report.steps[i++];

			fprintf(
			    out, "%*s%s: %s%s%s\n", 2 * s->depth, "", s->name,
			    s->done ? errname(s->result) : "(did not return)",
			    s->detail[0] ? " - " : "", s->detail);
		} else {
			const struct kvm_report_note *n = &report.notes[j++];
			int d =
			    n->step >= 0 ? report.steps[n->step].depth + 1 : 0;

			fprintf(out, "%*s%-26s %s\n", 2 * d, "", n->key,
				n->value);
		}
	}
	if (report.truncated)
		fprintf(out, "(report truncated)\n");
	pthread_mutex_unlock(&report_lock);
}
