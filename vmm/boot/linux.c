// SPDX-License-Identifier: GPL-2.0
/*
 * Linux x86 64-bit boot protocol: bzImage setup header checks, placement of
 * the kernel, initrd and command line, the zero page with its e820 table,
 * a GDT and identity page tables, and the long-mode entry state.
 *
 * The image is untrusted input: every field read is bounds-checked against
 * kernel_len, every guest write against the RAM regions (linux_gpa()).
 */
#include "vmm/boot/linux.h"

#include <string.h>
#include <x86/processor-flags.h>

#include "vmm/boot/util.h"

/* Setup header offsets inside the image / zero page (boot protocol). */
#define HDR_SETUP_SECTS	     0x1f1
#define HDR_SYSSIZE	     0x1f4
#define HDR_BOOT_FLAG	     0x1fe
#define HDR_JUMP	     0x200
#define HDR_MAGIC	     0x202
#define HDR_VERSION	     0x206
#define HDR_KERNEL_VERSION   0x20e
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS	     0x211
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_HEAP_END_PTR     0x224
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE	     0x234
#define HDR_XLOADFLAGS	     0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE	     0x260
#define HDR_END_MIN	     0x264 /* through init_size, protocol 2.10+ */
#define HDR_END_MAX	     0x290 /* setup_header's room in boot_params */

/* boot_params (zero page) fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR    0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES	     0x1e8
#define BP_E820_TABLE	     0x2d0
#define BP_E820_MAX	     128

#define LOADED_HIGH   0x01
#define CAN_USE_HEAP  0x80
#define XLF_KERNEL_64 0x01

#define MIN_PROTOCOL 0x020c
#define MiB	     0x100000ull
#define GiB	     0x40000000ull

uint64_t linux_hole_start(const struct linux_load_args *in)
{
	return in->pci_hole_start ? in->pci_hole_start
				  : LINUX_PCI_HOLE_START_DEFAULT;
}

uint64_t linux_low_top(const struct linux_load_args *in)
{
	uint64_t hole = linux_hole_start(in);

	return in->mem_size < hole ? in->mem_size : hole;
}

uint8_t *linux_gpa(const struct linux_load_args *in, uint64_t gpa, uint64_t len)
{
	uint64_t low = linux_low_top(in), high;

	if (gpa <= low && len <= low - gpa)
		return in->mem + gpa;
	if (in->mem_size <= low || gpa < 4 * GiB)
		return NULL;
	high = in->mem_size - low;
	if (gpa - 4 * GiB <= high && len <= high - (gpa - 4 * GiB))
		return in->mem + low + (gpa - 4 * GiB);
	return NULL;
}

int linux_check_args(const struct linux_load_args *in, char *err, size_t errlen)
{
	uint64_t hole;

	if (!in || !in->mem || !in->kernel)
		return fail(err, errlen, LINUX_E_ARGS,
			    "linux: missing guest memory or kernel image");
	if (in->initrd_len && !in->initrd)
		return fail(err, errlen, LINUX_E_ARGS,
			    "linux: initrd length without initrd bytes");
	hole = linux_hole_start(in);
	if (hole < 16 * MiB || hole > 4 * GiB || (hole & (MiB - 1)))
		return fail(err, errlen, LINUX_E_ARGS,
			    "linux: PCI hole start %#llx must be MiB aligned "
			    "in 16 MiB..4 GiB",
			    (unsigned long long)hole);
	/* The boot area (GDT .. command line) and the BIOS holes live in
	 * the first MiB; below that there is nowhere to put them. */
	if (in->mem_size < 2 * MiB)
		return fail(err, errlen, LINUX_E_MEM_SMALL,
			    "linux: guest RAM %#llx bytes is below the 2 MiB "
			    "minimum",
			    (unsigned long long)in->mem_size);
	return 0;
}

unsigned int linux_build_e820(const struct linux_load_args *in,
			      struct linux_e820 *e, unsigned int max)
{
	uint64_t low = linux_low_top(in);
	unsigned int n = 0;

#define ADD(a, s, t)                                                           \
	do {                                                                   \
		if (n < max)                                                   \
			e[n++] = (struct linux_e820){(a), (s), (t)};           \
	} while (0)
	/* Conventional memory, the EBDA, the BIOS ROM area: the layout a PC
	 * BIOS reports and that Linux expects (it scans 0xf0000 for tables). */
	ADD(0, 0x9fc00, LINUX_E820_RAM);
	ADD(0x9fc00, 0x400, LINUX_E820_RESERVED);
	ADD(0xf0000, 0x10000, LINUX_E820_RESERVED);
	ADD(MiB, low - MiB, LINUX_E820_RAM);
	if (in->mem_size > low)
		ADD(4 * GiB, in->mem_size - low, LINUX_E820_RAM);
#undef ADD
	return n;
}

/* GDT (null, null, code 0x10, data 0x18, 16-byte TSS 0x20) and identity page
 * tables for 0..4 GiB with 2 MiB pages, shared with the PVH path. */
int linux_build_gdt_pt(const struct linux_load_args *in, bool long_mode,
		       char *err, size_t errlen)
{
	uint8_t *gdt = linux_gpa(in, LINUX_GDT_ADDR, 6 * 8);
	uint8_t *pml4, *pdpt, *pd;
	int i, j;

	if (!gdt)
		return fail(err, errlen, LINUX_E_MEM_SMALL,
			    "linux: no RAM for the GDT");
	memset(gdt, 0, 6 * 8);
	/* G=1, L=1 (or D=1 for 32-bit), P=1, DPL0, code execute/read */
	wr64(gdt + LINUX_BOOT_CS,
	     long_mode ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull);
	/* G=1, D/B=1, P=1, DPL0, data read/write, accessed */
	wr64(gdt + LINUX_BOOT_DS, 0x00cf93000000ffffull);
	/* 64-bit busy TSS, base 0, limit 0x67: VM entry wants a usable TR */
	wr64(gdt + LINUX_BOOT_TSS, 0x00008b0000000067ull);
	if (!long_mode)
		return 0;

	pml4 = linux_gpa(in, LINUX_PML4_ADDR, 0x1000);
	pdpt = linux_gpa(in, LINUX_PDPT_ADDR, 0x1000);
	pd = linux_gpa(in, LINUX_PD_ADDR, 4 * 0x1000);
	if (!pml4 || !pdpt || !pd)
		return fail(err, errlen, LINUX_E_MEM_SMALL,
			    "linux: no RAM for the page tables");
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	wr64(pml4, LINUX_PDPT_ADDR | 0x3); /* present, writable */
	for (i = 0; i < 4; i++) {
		wr64(pdpt + 8 * i, (LINUX_PD_ADDR + 0x1000ull * i) | 0x3);
		for (j = 0; j < 512; j++)
			wr64(pd + 0x1000 * i + 8 * j,
			     ((uint64_t)i * GiB + (uint64_t)j * 2 * MiB) |
				 0x83); /* present, writable, 2M page */
	}
	return 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
}

void linux_flat_sregs(struct kvm_sregs *s, int long_mode)
{
	memset(s, 0, sizeof(*s));
	seg(&s->cs, LINUX_BOOT_CS, 0xb, long_mode);
	seg(&s->ds, LINUX_BOOT_DS, 0x3, 0);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->tr = (struct kvm_segment){.selector = LINUX_BOOT_TSS,
				     .limit = 0x67,
				     .type = 0xb, /* busy TSS */
				     .present = 1};
	s->ldt = (struct kvm_segment){.type = 0x2, .unusable = 1};
	s->gdt.base = LINUX_GDT_ADDR;
	s->gdt.limit = 6 * 8 - 1;
	/* IDT limit 0: any fault before the kernel's lidt is a shutdown the
	 * monitor reports, instead of a jump through garbage. */
	s->idt.base = 0;
	s->idt.limit = 0;
	if (long_mode) {
		s->cr0 = X86_CR0_PG | X86_CR0_NE | X86_CR0_ET | X86_CR0_PE;
		s->cr3 = LINUX_PML4_ADDR;
		s->cr4 = X86_CR4_PAE;
		s->efer = EFER_LMA | EFER_LME;
	} else {
		s->cr0 = X86_CR0_NE | X86_CR0_ET | X86_CR0_PE;
	}
}

void linux_boot_apply_sregs(const struct linux_boot *b, struct kvm_sregs *sregs)
{
	const struct kvm_sregs *s = &b->sregs;

	sregs->cs = s->cs;
	sregs->ds = s->ds;
	sregs->es = s->es;
	sregs->fs = s->fs;
	sregs->gs = s->gs;
	sregs->ss = s->ss;
	sregs->tr = s->tr;
	sregs->ldt = s->ldt;
	sregs->gdt = s->gdt;
	sregs->idt = s->idt;
	sregs->cr0 = s->cr0;
	sregs->cr3 = s->cr3;
	sregs->cr4 = s->cr4;
	sregs->efer = s->efer;
}

const char *linux_load_strerror(int e)
{
	static const char *const names[] = {
	    [LINUX_E_ARGS] = "LINUX_E_ARGS",
	    [LINUX_E_NOT_BZIMAGE] = "LINUX_E_NOT_BZIMAGE",
	    [LINUX_E_OLD_PROTOCOL] = "LINUX_E_OLD_PROTOCOL",
	    [LINUX_E_TRUNC_SETUP] = "LINUX_E_TRUNC_SETUP",
	    [LINUX_E_TRUNC_PAYLOAD] = "LINUX_E_TRUNC_PAYLOAD",
	    [LINUX_E_NO_64BIT] = "LINUX_E_NO_64BIT",
	    [LINUX_E_NOT_HIGH] = "LINUX_E_NOT_HIGH",
	    [LINUX_E_BAD_HEADER] = "LINUX_E_BAD_HEADER",
	    [LINUX_E_KERNEL_FIT] = "LINUX_E_KERNEL_FIT",
	    [LINUX_E_INITRD_FIT] = "LINUX_E_INITRD_FIT",
	    [LINUX_E_CMDLINE_LONG] = "LINUX_E_CMDLINE_LONG",
	    [LINUX_E_MEM_SMALL] = "LINUX_E_MEM_SMALL",
	    [LINUX_E_ELF] = "LINUX_E_ELF",
	    [LINUX_E_NO_PVH] = "LINUX_E_NO_PVH",
	    [LINUX_E_UNSUPPORTED] = "LINUX_E_UNSUPPORTED",
	};

	if (e < 0)
		e = -e;
	if (e == 0)
		return "OK";
	if ((size_t)e >= sizeof(names) / sizeof(names[0]) || !names[e])
		return "LINUX_E_?";
	return names[e];
}

/* Places the command line at LINUX_CMDLINE_ADDR; limit is the kernel's
 * cmdline_size (the longest line it accepts, without the NUL). */
int linux_place_cmdline(const struct linux_load_args *in, uint64_t limit,
			struct linux_boot *out, char *err, size_t errlen)
{
	const char *cl = in->cmdline ? in->cmdline : "";
	size_t n = strnlen(cl, LINUX_CMDLINE_MAX);
	uint8_t *dst;

	if (n >= LINUX_CMDLINE_MAX || n > limit)
		return fail(err, errlen, LINUX_E_CMDLINE_LONG,
			    "linux: command line is %s%zu bytes, the kernel "
			    "accepts at most %llu",
			    n >= LINUX_CMDLINE_MAX ? "over " : "", n,
			    (unsigned long long)(limit < LINUX_CMDLINE_MAX - 1
						     ? limit
						     : LINUX_CMDLINE_MAX - 1));
	dst = linux_gpa(in, LINUX_CMDLINE_ADDR, n + 1);
	if (!dst)
		return fail(err, errlen, LINUX_E_MEM_SMALL,
			    "linux: no RAM for the command line");
	memcpy(dst, cl, n);
	dst[n] = 0;
	out->cmdline_addr = LINUX_CMDLINE_ADDR;
	return 0;
}

/* Puts the initrd as high as it can go below limit (exclusive), 4K
 * aligned, above lowest (the end of the kernel). */
int linux_place_initrd(const struct linux_load_args *in, uint64_t limit,
		       uint64_t lowest, struct linux_boot *out, char *err,
		       size_t errlen)
{
	uint64_t top = linux_low_top(in), addr;
	uint8_t *dst;

	out->initrd_addr = out->initrd_size = 0;
	if (!in->initrd_len)
		return 0;
	if (limit > top)
		limit = top;
	if (in->initrd_len > limit || limit - in->initrd_len < lowest ||
	    ((limit - in->initrd_len) & ~0xfffull) < lowest)
		return fail(err, errlen, LINUX_E_INITRD_FIT,
			    "linux: initrd of %zu bytes does not fit between "
			    "the kernel end %#llx and %#llx (min of "
			    "initrd_addr_max and RAM below 4 GiB)",
			    in->initrd_len, (unsigned long long)lowest,
			    (unsigned long long)limit);
	addr = (limit - in->initrd_len) & ~0xfffull;
	dst = linux_gpa(in, addr, in->initrd_len);
	if (!dst)
		return fail(err, errlen, LINUX_E_INITRD_FIT,
			    "linux: initrd range %#llx+%zu is not RAM",
			    (unsigned long long)addr, in->initrd_len);
	memcpy(dst, in->initrd, in->initrd_len);
	out->initrd_addr = addr;
	out->initrd_size = in->initrd_len;
	return 0;
}

static void read_version(const uint8_t *k, size_t setup_size,
			 struct linux_boot *out)
{
	uint16_t off = rd16(k + HDR_KERNEL_VERSION);
	size_t p, i = 0;

	out->kernel_version[0] = 0;
	if (!off)
		return;
	for (p = 0x200 + (size_t)off;
	     p < setup_size && i + 1 < sizeof(out->kernel_version); p++) {
		if (k[p] < 0x20 || k[p] > 0x7e)
			break;
		out->kernel_version[i++] = (char)k[p];
	}
	out->kernel_version[i] = 0;
}

static int load_bzimage(const struct linux_load_args *in,
			struct linux_boot *out, char *err, size_t errlen)
{
	const uint8_t *k = in->kernel;
	size_t len = in->kernel_len;
	uint64_t setup_size, payload, syssize, load, align, extent, low_top;
	uint64_t initrd_max, cmdline_size;
	size_t hdr_end, copy;
	uint8_t setup_sects, loadflags, *dst, *zp;
	uint16_t version, xlf;
	int r;

	if (len < HDR_BOOT_FLAG + 2)
		return fail(err, errlen, LINUX_E_NOT_BZIMAGE,
			    "linux: %zu bytes is too short for a boot sector, "
			    "not a bzImage",
			    len);
	if (rd16(k + HDR_BOOT_FLAG) != 0xaa55)
		return fail(err, errlen, LINUX_E_NOT_BZIMAGE,
			    "linux: no 0xAA55 boot flag at 0x1fe, not a "
			    "bzImage");
	if (len < HDR_MAGIC + 4)
		return fail(err, errlen, LINUX_E_TRUNC_SETUP,
			    "linux: image truncated at %zu bytes, inside the "
			    "setup header",
			    len);
	if (memcmp(k + HDR_MAGIC, "HdrS", 4))
		return fail(err, errlen, LINUX_E_NOT_BZIMAGE,
			    "linux: no \"HdrS\" magic at 0x202, not a bzImage "
			    "(boot protocol < 2.00)");
	if (len < HDR_VERSION + 2)
		return fail(err, errlen, LINUX_E_TRUNC_SETUP,
			    "linux: image truncated at %zu bytes, inside the "
			    "setup header",
			    len);
	version = rd16(k + HDR_VERSION);
	out->protocol = version;
	if (version < MIN_PROTOCOL)
		return fail(err, errlen, LINUX_E_OLD_PROTOCOL,
			    "linux: boot protocol %u.%02u is too old, need "
			    "2.12 (64-bit entry, xloadflags)",
			    version >> 8, version & 0xff);
	hdr_end = HDR_JUMP + 2 + k[HDR_JUMP + 1];
	if (hdr_end < HDR_END_MIN)
		return fail(err, errlen, LINUX_E_BAD_HEADER,
			    "linux: setup header ends at %#zx, before "
			    "init_size (%#x) that protocol %u.%02u has",
			    hdr_end, HDR_END_MIN, version >> 8, version & 0xff);
	setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
	setup_size = ((uint64_t)setup_sects + 1) * 512;
	if (setup_size < hdr_end)
		return fail(err, errlen, LINUX_E_BAD_HEADER,
			    "linux: setup_sects %u (%#llx bytes) is shorter "
			    "than the setup header (%#zx)",
			    setup_sects, (unsigned long long)setup_size,
			    hdr_end);
	if (len < setup_size)
		return fail(err, errlen, LINUX_E_TRUNC_SETUP,
			    "linux: image truncated at %zu bytes, setup "
			    "(setup_sects %u) needs %llu",
			    len, setup_sects, (unsigned long long)setup_size);
	loadflags = k[HDR_LOADFLAGS];
	if (!(loadflags & LOADED_HIGH))
		return fail(err, errlen, LINUX_E_NOT_HIGH,
			    "linux: LOADED_HIGH not set: a zImage loads at "
			    "0x10000, only bzImage is supported");
	xlf = rd16(k + HDR_XLOADFLAGS);
	if (!(xlf & XLF_KERNEL_64))
		return fail(err, errlen, LINUX_E_NO_64BIT,
			    "linux: XLF_KERNEL_64 not set in xloadflags "
			    "%#x: no 64-bit entry point",
			    xlf);
	syssize = rd32(k + HDR_SYSSIZE);
	payload = len - setup_size;
	if (!syssize)
		return fail(err, errlen, LINUX_E_BAD_HEADER,
			    "linux: syssize is 0: no protected-mode kernel");
	if (syssize * 16 > payload)
		return fail(err, errlen, LINUX_E_TRUNC_PAYLOAD,
			    "linux: image truncated: syssize says %llu bytes "
			    "of protected-mode kernel, the file has %llu",
			    (unsigned long long)syssize * 16,
			    (unsigned long long)payload);
	payload = syssize * 16;

	/* Placement: pref_address (LOAD_PHYSICAL_ADDR) is where a
	 * non-relocatable kernel must go and where a relocatable one runs
	 * without relocating; keep it, aligned up if it isn't. */
	align = rd32(k + HDR_KERNEL_ALIGNMENT);
	if (align < 0x1000 || (align & (align - 1)))
		return fail(err, errlen, LINUX_E_BAD_HEADER,
			    "linux: kernel_alignment %#llx is not a power of "
			    "two >= 4 KiB",
			    (unsigned long long)align);
	load = rd64(k + HDR_PREF_ADDRESS);
	if (!load)
		load = MiB;
	if (k[HDR_RELOCATABLE]) {
		if (load > UINT64_MAX - align)
			load = 0; /* rejected below */
		else
			load = (load + align - 1) & ~(align - 1);
	}
	if (load < MiB || load >= 4 * GiB)
		return fail(err, errlen, LINUX_E_BAD_HEADER,
			    "linux: load address %#llx (pref_address %#llx) "
			    "is outside 1 MiB..4 GiB",
			    (unsigned long long)load,
			    (unsigned long long)rd64(k + HDR_PREF_ADDRESS));
	extent = rd32(k + HDR_INIT_SIZE);
	if (extent < payload)
		extent = payload;
	extent = (extent + 0xfff) & ~0xfffull;
	low_top = linux_low_top(in);
	if (load > low_top || extent > low_top - load)
		return fail(err, errlen, LINUX_E_KERNEL_FIT,
			    "linux: kernel needs %#llx..%#llx (init_size), "
			    "guest RAM below 4 GiB ends at %#llx",
			    (unsigned long long)load,
			    (unsigned long long)(load + extent),
			    (unsigned long long)low_top);

	cmdline_size = rd32(k + HDR_CMDLINE_SIZE);
	r = linux_place_cmdline(in, cmdline_size, out, err, errlen);
	if (r)
		return r;
	/* initrd_addr_max is the highest byte address the initrd may use. */
	initrd_max = (uint64_t)rd32(k + HDR_INITRD_ADDR_MAX) + 1;
	r = linux_place_initrd(in, initrd_max, load + extent, out, err, errlen);
	if (r)
		return r;

	dst = linux_gpa(in, load, payload);
	if (!dst) /* cannot happen after the fit check; stay safe */
		return fail(err, errlen, LINUX_E_KERNEL_FIT,
			    "linux: kernel range is not RAM");
	memcpy(dst, k + setup_size, payload);
	out->kernel_addr = load;
	out->kernel_size = payload;
	out->kernel_extent = extent;
	read_version(k, setup_size, out);

	/* The zero page: the image's setup header, then what the loader owns.
	 */
	zp = linux_gpa(in, LINUX_ZERO_PAGE_ADDR, 0x1000);
	if (!zp)
		return fail(err, errlen, LINUX_E_MEM_SMALL,
			    "linux: no RAM for the zero page");
	memset(zp, 0, 0x1000);
	copy = hdr_end < HDR_END_MAX ? hdr_end : HDR_END_MAX;
	memcpy(zp + HDR_SETUP_SECTS, k + HDR_SETUP_SECTS,
	       copy - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
	/* No real-mode setup runs: no heap for it */
	zp[HDR_LOADFLAGS] = loadflags & ~CAN_USE_HEAP;
	wr16(zp + HDR_HEAP_END_PTR, 0);
	wr32(zp + HDR_RAMDISK_IMAGE, (uint32_t)out->initrd_addr);
	wr32(zp + HDR_RAMDISK_SIZE, (uint32_t)out->initrd_size);
	wr32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(out->initrd_addr >> 32));
	wr32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(out->initrd_size >> 32));
	wr32(zp + HDR_CMD_LINE_PTR, (uint32_t)out->cmdline_addr);
	wr32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(out->cmdline_addr >> 32));
	wr64(zp + BP_ACPI_RSDP_ADDR, in->acpi_rsdp);
	out->e820_entries = linux_build_e820(in, out->e820, LINUX_E820_MAX);
	zp[BP_E820_ENTRIES] = (uint8_t)out->e820_entries;
	for (unsigned int i = 0; i < out->e820_entries && i < BP_E820_MAX;
	     i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;

		wr64(e, out->e820[i].addr);
		wr64(e + 8, out->e820[i].size);
		wr32(e + 16, out->e820[i].type);
	}
	out->boot_info_addr = LINUX_ZERO_PAGE_ADDR;

	r = linux_build_gdt_pt(in, true, err, errlen);
	if (r)
		return r;
	linux_flat_sregs(&out->sregs, 1);
	memset(&out->regs, 0, sizeof(out->regs));
	out->regs.rip = load + 0x200; /* startup_64 */
	out->regs.rsi = LINUX_ZERO_PAGE_ADDR;
	out->regs.rsp = LINUX_BOOT_STACK_TOP;
	out->regs.rflags = 0x2; /* IF = 0 */
	out->mode = LINUX_ENTRY_64;
	return 0;
}

int linux_load(const struct linux_load_args *in, struct linux_boot *out,
	       char *err, size_t errlen)
{
	int r;

	if (err && errlen)
		err[0] = 0;
	if (!out)
		return fail(err, errlen, LINUX_E_ARGS, "linux: no output");
	memset(out, 0, sizeof(*out));
	r = linux_check_args(in, err, errlen);
	if (r)
		return r;
	if (in->kernel_len >= 4 && !memcmp(in->kernel,
					   "\x7f"
					   "ELF",
					   4))
		return linux_load_pvh(in, out, err, errlen);
	return load_bzimage(in, out, err, errlen);
}
