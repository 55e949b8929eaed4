# bench/loops: the three throughput guests (alu, mem, call), each a
# multiboot v1 ELF32 (linked as ELF64 and converted, like guests/) built from
# bench/loops/loops.c with guests/rt's 64-bit runtime, compiled here with the
# guests' flags so the generated code matches theirs.
LOOPS_OUT   := $(BUILD)/bench/loops
LOOPS_NAMES := alu mem call
LOOPS_ELF   := $(LOOPS_NAMES:%=$(LOOPS_OUT)/loop-%.elf)
LOOPS_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-Wno-unused-parameter -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fcf-protection=none -mno-red-zone \
	-mgeneral-regs-only -fno-tree-loop-distribute-patterns -nostdlib \
	-Iguests/rt -m64 -mcmodel=small
LOOPS_RT_SRC := entry64.S isr64.S user64.S rt.c console.c lib.c
LOOPS_RT_OBJ := $(LOOPS_RT_SRC:%=$(LOOPS_OUT)/rt/%.o)

$(LOOPS_OUT)/rt/%.o: guests/rt/% $(wildcard guests/rt/*.h)
	@mkdir -p $(@D)
	gcc $(LOOPS_CFLAGS) -c -o $@ $<

$(LOOPS_OUT)/loop-%.o: bench/loops/loops.c $(wildcard guests/rt/*.h)
	@mkdir -p $(@D)
	gcc $(LOOPS_CFLAGS) -DLOOP_$(shell echo $* | tr a-z A-Z) -c -o $@ $<

$(LOOPS_OUT)/loop-%.elf: $(LOOPS_OUT)/loop-%.o $(LOOPS_RT_OBJ) guests/rt/link.ld
	ld -m elf_x86_64 -nostdlib -z max-page-size=0x1000 -z noexecstack \
	  --build-id=none --no-warn-rwx-segments -T guests/rt/link.ld \
	  -o $@.64 $(filter %.o,$^)
	objcopy -O elf32-i386 $@.64 $@

.PHONY: bench-loops bench-profile
all: $(LOOPS_ELF)
bench: bench-loops
bench-loops: $(BUILD)/kvmini $(LOOPS_ELF) guests
	BUILD=$(BUILD) bash bench/loops/run.sh
bench-profile: $(BUILD)/kvmini $(LOOPS_ELF)
	BUILD=$(BUILD) bash bench/profile/profile.sh
# Keep the objects (they are pattern-rule intermediates otherwise).
.PRECIOUS: $(LOOPS_OUT)/loop-%.o $(LOOPS_OUT)/rt/%.o
