# tests/fuzz-linux: libFuzzer target for the Linux boot loader (vmm/boot/).
#   make fuzz-linux [FUZZ_TIME=60] [FUZZ_ARGS=...]
# builds $(BUILD)/fuzz_linux with clang -fsanitize=fuzzer,address,undefined
# and runs it for FUZZ_TIME seconds; a crash leaves crash-* in $(BUILD)/fuzz-linux/.
FUZZ_LINUX_SRC := tests/fuzz-linux/fuzz_linux_load.c vmm/boot/linux.c vmm/boot/pvh.c
FUZZ_TIME ?= 60
FUZZ_ARGS ?=

.PHONY: fuzz-linux
$(BUILD)/fuzz_linux: $(FUZZ_LINUX_SRC) vmm/boot/linux.h
	@mkdir -p $(@D)
	clang -std=gnu11 -O1 -g -I. -Iinclude -Wall -Wextra -Werror -Wno-unused-parameter \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -o $@ $(FUZZ_LINUX_SRC)

fuzz-linux: $(BUILD)/fuzz_linux
	@mkdir -p $(BUILD)/fuzz-linux/corpus
	cd $(BUILD)/fuzz-linux && ../fuzz_linux -max_total_time=$(FUZZ_TIME) \
	  -max_len=4096 -print_final_stats=1 $(FUZZ_ARGS) corpus
