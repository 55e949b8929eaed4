// SPDX-License-Identifier: GPL-2.0
/*
 * The module registry: module_init/module_exit through the linker
 * sections, init in registration order, exit in reverse, and a load that
 * fails half way unwinding exactly the modules it brought up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <kvmini/softkvm.h>

#include "kvm/module.h"
#include "kvm/page_alloc.h"
#include "kvm/x86/kvm_host.h"

static char log_buf[64];
static int fail_b;

static void logc(char c)
{
	size_t n = strlen(log_buf);

	if (n + 1 < sizeof(log_buf))
		log_buf[n] = c;
}

/* Two modules in one file: switch KBUILD_MODNAME between them. */
#define KBUILD_MODNAME test_a
DEFINE_MODULE(test_a);
static int a_init(void)
{
	logc('A');
	return 0;
}
static void a_exit(void)
{
	logc('a');
}
module_init(a_init);
module_exit(a_exit);
#undef KBUILD_MODNAME

#define KBUILD_MODNAME test_b
DEFINE_MODULE(test_b);
static int b_init(void)
{
	logc('B');
	return fail_b ? -5 : 0;
}
static void b_exit(void)
{
	logc('b');
}
module_init(b_init);
module_exit(b_exit);

/* The letter each module logs (kvm_intel logs nothing itself). */
static char letter(struct module *m, bool init)
{
	if (m == &__module_test_a)
		return init ? 'A' : 'a';
	if (m == &__module_test_b)
		return init ? 'B' : 'b';
	return 0;
}

static void test_registry_sees_all(void **state)
{
	bool a = false, b = false, intel = false;

	assert_int_equal(modules_count(), 3);
	for (int i = 0; i < modules_count(); i++) {
		struct module *m = modules_get(i);

		a |= m == &__module_test_a;
		b |= m == &__module_test_b;
		intel |= !strcmp(m->name, "kvm_intel");
	}
	assert_true(a && b && intel);
	assert_string_equal(module_init_fn_name(&__module_test_a), "a_init");
}

static void test_init_order_exit_reverse(void **state)
{
	char want_init[8] = "", want_exit[8] = "", err[128];
	int n = 0;

	for (int i = 0; i < modules_count(); i++) {
		char c = letter(modules_get(i), true);

		if (c)
			want_init[n++] = c;
	}
	n = 0;
	for (int i = modules_count() - 1; i >= 0; i--) {
		char c = letter(modules_get(i), false);

		if (c)
			want_exit[n++] = c;
	}
	memset(log_buf, 0, sizeof(log_buf));
	fail_b = 0;
	assert_int_equal(softkvm_load("default", err, sizeof(err)), 0);
	assert_string_equal(log_buf, want_init);
	for (int i = 0; i < modules_count(); i++)
		assert_int_equal(modules_get(i)->state, MODULE_STATE_LIVE);
	memset(log_buf, 0, sizeof(log_buf));
	softkvm_unload();
	assert_string_equal(log_buf, want_exit);
	for (int i = 0; i < modules_count(); i++)
		assert_int_equal(modules_get(i)->state, MODULE_STATE_UNLOADED);
	assert_int_equal(kvm_pages_live(), 0);
}

static void test_failed_load_unwinds(void **state)
{
	char want[16] = "", err[128];
	int n = 0, pos_b = -1;

	/* Expected: inits up to and including B, then exits of the ones
	 * before B in reverse; nothing after B runs. */
	for (int i = 0; i < modules_count(); i++)
		if (modules_get(i) == &__module_test_b)
			pos_b = i;
	for (int i = 0; i <= pos_b; i++) {
		char c = letter(modules_get(i), true);

		if (c)
			want[n++] = c;
	}
	for (int i = pos_b - 1; i >= 0; i--) {
		char c = letter(modules_get(i), false);

		if (c)
			want[n++] = c;
	}
	memset(log_buf, 0, sizeof(log_buf));
	fail_b = 1;
	assert_int_equal(softkvm_load("default", err, sizeof(err)), -5);
	fail_b = 0;
	assert_string_equal(log_buf, want);
	for (int i = 0; i < modules_count(); i++)
		assert_int_equal(modules_get(i)->state, MODULE_STATE_UNLOADED);
	assert_null(kvm_x86_ops);
	assert_int_equal(kvm_pages_live(), 0);
	assert_int_equal(softkvm_open(), -19 /* ENODEV */);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_sees_all),
	    cmocka_unit_test(test_init_order_exit_reverse),
	    cmocka_unit_test(test_failed_load_unwinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
