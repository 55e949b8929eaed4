// SPDX-License-Identifier: GPL-2.0
/* The module registry: walk the initcall/exitcall sections (see module.h). */
#include "kvm/module.h"

#include <stddef.h>

#include "kvm/report.h"

/* Weak so that a binary without any module still links. */
extern const struct module_initcall __start_kvmini_initcalls[]
    __attribute__((weak));
extern const struct module_initcall __stop_kvmini_initcalls[]
    __attribute__((weak));
extern const struct module_exitcall __start_kvmini_exitcalls[]
    __attribute__((weak));
extern const struct module_exitcall __stop_kvmini_exitcalls[]
    __attribute__((weak));

static unsigned load_counter;

static size_t nr_initcalls(void)
{
	if (!__start_kvmini_initcalls)
		return 0;
	return (size_t)(__stop_kvmini_initcalls - __start_kvmini_initcalls);
}

static size_t nr_exitcalls(void)
{
	if (!__start_kvmini_exitcalls)
		return 0;
	return (size_t)(__stop_kvmini_exitcalls - __start_kvmini_exitcalls);
}

static const struct module_exitcall *find_exit(const struct module *mod)
{
	for (size_t i = 0; i < nr_exitcalls(); i++)
		if (__start_kvmini_exitcalls[i].owner == mod)
			return &__start_kvmini_exitcalls[i];
	return NULL;
}

static void module_do_exit(struct module *mod)
{
	const struct module_exitcall *ec = find_exit(mod);

	kvm_report_begin("module_exit(%s)", ec ? ec->fn_name : "none");
	if (ec)
		ec->fn();
	mod->state = MODULE_STATE_UNLOADED;
	kvm_report_end(0, "module %s unloaded", mod->name);
}

int modules_count(void)
{
	return (int)nr_initcalls();
}

struct module *modules_get(int i)
{
	if (i < 0 || (size_t)i >= nr_initcalls())
		return NULL;
	return __start_kvmini_initcalls[i].owner;
}

const char *module_init_fn_name(const struct module *mod)
{
	for (size_t i = 0; i < nr_initcalls(); i++)
		if (__start_kvmini_initcalls[i].owner == mod)
			return __start_kvmini_initcalls[i].fn_name;
	return NULL;
}

/* The most recently loaded live module loaded after seq @after. */
static struct module *latest_live(unsigned after)
{
	struct module *best = NULL;

	for (size_t i = 0; i < nr_initcalls(); i++) {
		struct module *m = __start_kvmini_initcalls[i].owner;

		if (m->state == MODULE_STATE_LIVE && m->load_seq > after &&
		    (!best || m->load_seq > best->load_seq))
			best = m;
	}
	return best;
}

int modules_init(void)
{
	unsigned start = load_counter;

	for (size_t i = 0; i < nr_initcalls(); i++) {
		const struct module_initcall *ic = &__start_kvmini_initcalls[i];
		int r;

		if (ic->owner->state == MODULE_STATE_LIVE)
			continue;
		kvm_report_begin("module_init(%s)", ic->fn_name);
		r = ic->fn();
		kvm_report_end(r, "module %s", ic->owner->name);
		if (r < 0) {
			/* Unwind what this load brought up, newest first. */
			struct module *m;

			while ((m = latest_live(start)) != NULL)
				module_do_exit(m);
			return r;
		}
		ic->owner->state = MODULE_STATE_LIVE;
		ic->owner->load_seq = ++load_counter;
	}
	return 0;
}

void modules_exit(void)
{
	struct module *m;

	while ((m = latest_live(0)) != NULL)
		module_do_exit(m);
}
