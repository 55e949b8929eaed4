# kvmini — GNU Make. `make` builds build/kvmini, the guests and the tests;
# `make check` runs every test in a normal and an ASan+UBSan build.
#
# Layers are separate object sets; tools/kvmini links them all. Objects are
# linked directly (no archives) so module_init() registrations, which nothing
# references by name, are never dropped by the linker.

BUILD   ?= build
CC      ?= gcc
SAN     ?=
OPT     ?= -O2

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS  := -std=gnu11 $(OPT) -g $(WARN) -I. -Iinclude -MMD -MP -pthread \
           -fno-strict-aliasing $(EXTRA_CFLAGS)
LDFLAGS := -pthread $(EXTRA_LDFLAGS)
LDLIBS  := -lZydis -lnuma -lm

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

rwildcard = $(foreach d,$(wildcard $(1:=/*)),$(call rwildcard,$d,$2) $(filter $(subst *,%,$2),$d))

CPU_SRC  := $(call rwildcard,cpu,*.c)
KVM_SRC  := $(call rwildcard,kvm,*.c)
VMM_SRC  := $(call rwildcard,vmm,*.c)
TOOL_SRC := $(wildcard tools/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_LIB := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CPU_OBJ  := $(call obj,$(CPU_SRC))
KVM_OBJ  := $(call obj,$(KVM_SRC))
VMM_OBJ  := $(call obj,$(VMM_SRC))
TOOL_OBJ := $(call obj,$(TOOL_SRC))
TESTLIB_OBJ := $(call obj,$(TEST_LIB))
TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all kvmini guests tests check check-fast demo clean format tidy fuzz-cpu bench
all: kvmini guests tests

kvmini: $(BUILD)/kvmini
$(BUILD)/kvmini: $(TOOL_OBJ) $(VMM_OBJ) $(KVM_OBJ) $(CPU_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

tests: $(TESTS)
# Unit tests may look inside any layer; they link every layer but tools/.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TESTLIB_OBJ) $(VMM_OBJ) $(KVM_OBJ) $(CPU_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

guests:
	$(MAKE) -C guests BUILD=$(abspath $(BUILD))/guests

check:
	bash scripts/check.sh

check-fast: all
	BUILD=$(BUILD) bash tests/run.sh

demo:
	bash scripts/demo.sh

format:
	clang-format -i $(CPU_SRC) $(KVM_SRC) $(VMM_SRC) $(TOOL_SRC) $(TEST_SRC) \
	  $(call rwildcard,cpu kvm vmm tools include,*.h)

clean:
	rm -rf build build-asan

-include $(call rwildcard,$(BUILD)/obj,*.d)
-include $(wildcard */build.mk */*/build.mk)
