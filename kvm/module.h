/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A module registry shaped like the kernel's: module_init(fn) and
 * module_exit(fn) put {owner, fn} records into linker sections
 * (kvmini_initcalls / kvmini_exitcalls); the __start_/__stop_ symbols GNU ld
 * provides for such sections let modules_init() find them without any list
 * being written by hand. The Makefile links objects directly, so nothing
 * that is only referenced from a section is dropped.
 *
 * A file names its module by defining KBUILD_MODNAME (a bare identifier)
 * before including this header; THIS_MODULE then points at that module's
 * struct module, which exactly one file defines with DEFINE_MODULE().
 */
#ifndef KVMINI_KVM_MODULE_H
#define KVMINI_KVM_MODULE_H

#include <stdbool.h>

enum module_state { MODULE_STATE_UNLOADED, MODULE_STATE_LIVE };

struct module {
	const char *name;
	enum module_state state;
	unsigned load_seq; /* order in which the live modules were loaded */
};

typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);

struct module_initcall {
	struct module *owner;
	initcall_t fn;
	const char *fn_name;
};

struct module_exitcall {
	struct module *owner;
	exitcall_t fn;
	const char *fn_name;
};

#define __MODULE_SYM2(name) __module_##name
#define __MODULE_SYM(name)  __MODULE_SYM2(name)
#define __MODULE_STR2(name) #name
#define __MODULE_STR(name)  __MODULE_STR2(name)

#define DEFINE_MODULE(modname)                                                 \
	struct module __module_##modname = {.name = #modname}

/* Expanded where used, so KBUILD_MODNAME is the one in force there. */
#define THIS_MODULE (&__MODULE_SYM(KBUILD_MODNAME))
#ifdef KBUILD_MODNAME
extern struct module __MODULE_SYM(KBUILD_MODNAME);
#endif

#define module_init(fn)                                                        \
	static const struct module_initcall __initcall_##fn                    \
	    __attribute__((used, section("kvmini_initcalls"),                  \
			   aligned(sizeof(void *)))) = {THIS_MODULE, fn, #fn}

#define module_exit(fn)                                                        \
	static const struct module_exitcall __exitcall_##fn                    \
	    __attribute__((used, section("kvmini_exitcalls"),                  \
			   aligned(sizeof(void *)))) = {THIS_MODULE, fn, #fn}

/*
 * Run every registered module's init in registration (link) order. If one
 * fails, the modules already live are exited in reverse order, the failing
 * one is not exited (its init is expected to have cleaned up after itself,
 * as in the kernel), and the error is returned.
 */
int modules_init(void);
/* Exit every live module in the reverse of the order it was loaded. */
void modules_exit(void);

/* Registered modules, in init order (for tests and the report). */
int modules_count(void);
struct module *modules_get(int i);
const char *module_init_fn_name(const struct module *mod);

#endif
