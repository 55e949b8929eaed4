// SPDX-License-Identifier: GPL-2.0
/*
 * Runs linux_load() on a kernel + initrd into a guest-memory buffer and
 * writes what it placed, plus the entry state, in the format trampoline.S
 * reads. Usage: loaddump KERNEL INITRD CMDLINE MEM_MIB OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/linux.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc(n > 0 ? (size_t)n : 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* host is little endian x86 */
}

static void put64(FILE *f, uint64_t v)
{
	fwrite(&v, 8, 1, f);
}

static void chunk(FILE *f, const uint8_t *mem, uint64_t gpa, uint64_t len)
{
	static const uint8_t zero[4];

	put32(f, (uint32_t)gpa);
	put32(f, (uint32_t)len);
	fwrite(mem + gpa, 1, len, f);
	fwrite(zero, 1, (4 - len % 4) % 4, f);
}

int main(int argc, char **argv)
{
	struct linux_load_args in = {0};
	struct linux_boot b;
	char err[256];
	FILE *out;

	if (argc != 6) {
		fprintf(stderr, "usage: %s KERNEL INITRD CMDLINE MEM_MIB OUT\n",
			argv[0]);
		return 2;
	}
	in.mem_size = strtoull(argv[4], NULL, 0) << 20;
	in.mem = calloc(1, in.mem_size);
	in.kernel = slurp(argv[1], &in.kernel_len);
	in.initrd = slurp(argv[2], &in.initrd_len);
	in.cmdline = argv[3];
	if (!in.mem || !in.kernel || !in.initrd) {
		fprintf(stderr, "loaddump: cannot read inputs\n");
		return 1;
	}
	if (linux_load(&in, &b, err, sizeof(err))) {
		fprintf(stderr, "loaddump: %s\n", err);
		return 1;
	}
	out = fopen(argv[5], "wb");
	if (!out)
		return 1;
	fwrite("KVML", 1, 4, out);
	put32(out, 3);
	put32(out, (uint32_t)b.sregs.cr0);
	put32(out, (uint32_t)b.sregs.cr3);
	put32(out, (uint32_t)b.sregs.cr4);
	put32(out, (uint32_t)b.sregs.efer);
	fwrite(&b.sregs.gdt.limit, 2, 1, out);
	put32(out, (uint32_t)b.sregs.gdt.base);
	fwrite(&(uint16_t){(uint16_t)b.mode}, 2, 1, out);
	put32(out, b.sregs.cs.selector);
	put32(out, b.sregs.ds.selector);
	put64(out, b.regs.rip);
	put64(out, b.regs.rsi);
	put64(out, b.regs.rsp);
	put64(out, b.regs.rflags);
	put64(out, b.regs.rbx);
	/* the boot area: GDT, zero page or start_info, stack, page tables,
	 * command line; then the kernel (for PVH its whole span: segments and
	 * the zeroed bss between them) and the initrd */
	chunk(out, in.mem, LINUX_GDT_ADDR,
	      LINUX_CMDLINE_ADDR + LINUX_CMDLINE_MAX - LINUX_GDT_ADDR);
	chunk(out, in.mem, b.kernel_addr,
	      b.mode == LINUX_ENTRY_64 ? b.kernel_size : b.kernel_extent);
	chunk(out, in.mem, b.initrd_addr, b.initrd_size);
	fclose(out);
	for (unsigned int i = 0; i < b.e820_entries; i++)
		printf(
		    "e820 %#llx-%#llx %u\n", (unsigned long long)b.e820[i].addr,
		    (unsigned long long)(b.e820[i].addr + b.e820[i].size - 1),
		    b.e820[i].type);
	printf("mode %s kernel %#llx initrd %#llx+%#llx rip %#llx\n",
	       b.mode == LINUX_ENTRY_64 ? "64" : "pvh",
	       (unsigned long long)b.kernel_addr,
	       (unsigned long long)b.initrd_addr,
	       (unsigned long long)b.initrd_size,
	       (unsigned long long)b.regs.rip);
	return 0;
}
