// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for linux_load(): the kernel image is untrusted input, so
 * no byte sequence may make the loader read outside the image or write
 * outside guest memory (ASan) or trip UB (UBSan).
 *
 * The first input byte picks how the rest is used, so the fuzzer reaches
 * deep paths without a seed corpus:
 *   0: the rest is the whole image (raw)
 *   1: the rest is XORed over the setup header of a valid bzImage template
 *   2: the rest is XORed over the first 0x300 bytes of a valid PVH ELF
 * (XOR: zero bytes keep the template, so small inputs stay near-valid)
 * and the second byte picks guest RAM size, hole, initrd and cmdline length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot/linux.h"

#define MiB	 0x100000ull
#define MEM_MAX	 (40 * MiB)
#define BZ_SETUP (5 * 512)
#define BZ_LEN	 (BZ_SETUP + 4096)
#define ELF_LEN	 0x2000

static uint8_t *mem;
static uint8_t bz[BZ_LEN], elf[ELF_LEN], img[1 << 20];
static uint8_t initrd[3 * MiB];
static char cmdline[4096];

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)v);
	w16(p + 2, (uint16_t)(v >> 16));
}

static void w64(uint8_t *p, uint64_t v)
{
	w32(p, (uint32_t)v);
	w32(p + 4, (uint32_t)(v >> 32));
}

static void templates(void)
{
	uint8_t *ph, *n;

	bz[0x1f1] = 4;
	w32(bz + 0x1f4, 4096 / 16);
	w16(bz + 0x1fe, 0xaa55);
	bz[0x200] = 0xeb;
	bz[0x201] = 0x6a;
	memcpy(bz + 0x202, "HdrS", 4);
	w16(bz + 0x206, 0x020f);
	w16(bz + 0x20e, 0x300);
	memcpy(bz + 0x500, "6.1.0-fuzz", 10);
	bz[0x211] = 1;
	w32(bz + 0x22c, 0x7fffffff);
	w32(bz + 0x230, 0x200000);
	bz[0x234] = 1;
	w16(bz + 0x236, 3);
	w32(bz + 0x238, 2047);
	w64(bz + 0x258, 0x1000000);
	w32(bz + 0x260, 0x400000);

	memcpy(elf,
	       "\x7f"
	       "ELF",
	       4);
	elf[4] = 2;
	elf[5] = 1;
	elf[6] = 1;
	w16(elf + 16, 2);
	w16(elf + 18, 62);
	w64(elf + 32, 64);
	w16(elf + 54, 56);
	w16(elf + 56, 2);
	ph = elf + 64;
	w32(ph, 1);
	w64(ph + 8, 0x1000);
	w64(ph + 24, 0x200000);
	w64(ph + 32, 0x1000);
	w64(ph + 40, 0x3000);
	ph += 56;
	w32(ph, 4);
	w64(ph + 8, 0x200);
	w64(ph + 32, 0x14);
	n = elf + 0x200;
	w32(n, 4);
	w32(n + 4, 4);
	w32(n + 8, 18);
	memcpy(n + 12, "Xen", 4);
	w32(n + 16, 0x200010);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t mems[] = {1 * MiB, 2 * MiB, 17 * MiB, 24 * MiB,
					40 * MiB};
	struct linux_load_args in = {0};
	struct linux_boot b;
	char err[128];
	uint8_t mode, knobs;
	size_t n;

	if (!mem) {
		mem = malloc(MEM_MAX);
		if (!mem)
			abort();
		templates();
		memset(initrd, 0x42, sizeof(initrd));
		memset(cmdline, 'c', sizeof(cmdline) - 1);
	}
	if (size < 2)
		return 0;
	mode = data[0] % 3;
	knobs = data[1];
	data += 2;
	size -= 2;

	in.mem = mem;
	in.mem_size = mems[knobs % 5];
	in.pci_hole_start = (knobs & 0x08) ? 16 * MiB : 0;
	in.initrd = (knobs & 0x10) ? initrd : NULL;
	in.initrd_len =
	    (knobs & 0x10) ? ((knobs & 0x20) ? sizeof(initrd) : 777) : 0;
	cmdline[(knobs & 0x40) ? 3000 : 20] = 0;
	in.cmdline = cmdline;

	switch (mode) {
	case 0:
		in.kernel = data;
		in.kernel_len = size;
		break;
	case 1:
		memcpy(img, bz, BZ_LEN);
		n = size < 0x300 - 0x1f1 ? size : 0x300 - 0x1f1;
		for (size_t i = 0; i < n; i++)
			img[0x1f1 + i] ^= data[i];
		in.kernel = img;
		/* and the length itself is fuzzed through the tail */
		in.kernel_len =
		    (knobs & 0x80) ? BZ_LEN - (size % BZ_LEN) : BZ_LEN;
		break;
	default:
		memcpy(img, elf, ELF_LEN);
		n = size < 0x300 ? size : 0x300;
		memcpy(img, data, n);
		if (n >= 4)
			memcpy(img,
			       "\x7f"
			       "ELF",
			       4);
		in.kernel = img;
		in.kernel_len =
		    (knobs & 0x80) ? ELF_LEN - (size % ELF_LEN) : ELF_LEN;
		break;
	}
	/* exact-size heap copy so any over-read of the image is caught */
	{
		uint8_t *k = malloc(in.kernel_len ? in.kernel_len : 1);

		if (!k)
			return 0;
		memcpy(k, in.kernel, in.kernel_len);
		in.kernel = k;
		if (linux_load(&in, &b, err, sizeof(err)) == 0) {
			/* a success must describe a sane boot */
			if (b.kernel_addr < MiB || !b.regs.rip ||
			    b.e820_entries == 0)
				abort();
		} else if (!err[0]) {
			abort(); /* every failure names its cause */
		}
		free(k);
	}
	memset(cmdline, 'c', sizeof(cmdline) - 1);
	return 0;
}
