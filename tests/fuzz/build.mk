# tests/fuzz: the CPU-vs-silicon differential fuzzer (see tests/unit/x86diff.h).
#   make fuzz-cpu [SEED=0x..] [COUNT=N] [CLASSES=alu,shift,..] [MAXINSNS=N]
# runs COUNT random sequences (random seed unless SEED is given) plus the
# hand-assembled cases, prints every divergence, exits non-zero on any.

FUZZ_SRC := $(wildcard tests/fuzz/*.c)
FUZZ_OBJ := $(call obj,$(FUZZ_SRC)) \
            $(filter $(BUILD)/obj/tests/unit/x86diff_%,$(TESTLIB_OBJ))

SEED     ?=
COUNT    ?= 100000
CLASSES  ?=
MAXINSNS ?= 20

# Only the execution core: the fuzzer does not depend on cpu/vmx, kvm/, vmm/.
$(BUILD)/fuzz_cpu: $(FUZZ_OBJ) $(filter $(BUILD)/obj/cpu/x86/%,$(CPU_OBJ))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Built with the tests so that it never rots.
tests: $(BUILD)/fuzz_cpu

fuzz-cpu: $(BUILD)/fuzz_cpu
	$(BUILD)/fuzz_cpu -s "$(SEED)" -n $(COUNT) -c "$(CLASSES)" -m $(MAXINSNS) -f
