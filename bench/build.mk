# bench/: exit-cost benchmark guest (bench/guests/) and `make bench`.
# The guest mixes 32- and 64-bit code: assembled and linked as x86-64,
# then converted to ELF32, which multiboot loaders (QEMU's too) require.
BENCH_GUEST := $(BUILD)/bench/pio.elf

$(BUILD)/bench/pio.o: bench/guests/pio.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<

$(BUILD)/bench/pio.elf64: $(BUILD)/bench/pio.o bench/guests/link.ld
	ld -m elf_x86_64 -nostdlib --build-id=none -z noexecstack \
	  -z max-page-size=0x1000 --no-warn-rwx-segments \
	  -T bench/guests/link.ld -o $@ $<

$(BENCH_GUEST): $(BUILD)/bench/pio.elf64
	objcopy -O elf32-i386 $< $@

all: $(BENCH_GUEST)

bench: $(BUILD)/kvmini $(BENCH_GUEST)
	BUILD=$(BUILD) bash bench/pio-exit.sh
