/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux x86 boot: loads a bzImage (64-bit boot protocol) or a PVH vmlinux
 * ELF (picked by the image's magic) into a guest-memory buffer and returns
 * the vCPU state to start it with. Pure data in, data out: no KVM calls, no
 * files. Validated by booting Debian's 6.1 kernel from exactly this layout
 * and state under QEMU TCG (tests/linux/t_loader_qemu.sh).
 *
 * Guest memory contract (the monitor's RAM layout):
 *   mem[0 .. min(mem_size, pci_hole_start))  is guest-physical 0 ..
 *   mem[pci_hole_start .. mem_size)          is guest-physical 4 GiB ..
 * i.e. one host buffer of mem_size bytes, with the part above the 32-bit PCI
 * hole remapped to 4 GiB (register it as two memslots). pci_hole_start = 0
 * means LINUX_PCI_HOLE_START_DEFAULT (3 GiB).
 *
 * What linux_load() writes into guest memory (guest-physical addresses):
 *   0x000500  GDT: 0x10 flat 64-bit code, 0x18 flat data, 0x20 64-bit TSS
 *   0x007000  zero page (struct boot_params, 4 KiB)
 *   0x008000  a small boot stack (RSP = 0x8ff0)
 *   0x009000  PML4, 0xa000 PDPT, 0xb000..0xefff four PDs: identity map of
 *             the first 4 GiB with 2 MiB pages
 *   0x020000  kernel command line (NUL-terminated, <= cmdline_size)
 *   pref_address (16 MiB for Debian) the protected-mode kernel; init_size
 *             bytes from there must be free RAM
 *   below min(initrd_addr_max, top of RAM under 4 GiB): the initrd, 4K aligned
 * and the e820 table in the zero page: RAM 0..0x9fc00, reserved 0x9fc00..
 * 0xa0000 and 0xf0000..0x100000, RAM 1 MiB..min(mem_size, hole), and RAM
 * 4 GiB..4 GiB+(mem_size-hole) when mem_size exceeds the hole start.
 * The monitor may place its own tables (MP table, ACPI) in 0xf0000..0xfffff.
 *
 * The vCPU state returned (LINUX_ENTRY_64, the 64-bit boot protocol): long
 * mode, paging on (CR3 = 0x9000), CS = 0x10 (L=1), DS/ES/SS/FS/GS = 0x18,
 * TR = 0x20, RIP = kernel load address + 0x200, RSI = zero page, RFLAGS = 2
 * (IF = 0). The guest CPUID must report long mode (and PAE, NX as the host
 * has them); that is the monitor's KVM_SET_CPUID2.
 *
 * PVH (LINUX_ENTRY_PVH32, an ELF with XEN_ELFNOTE_PHYS32_ENTRY): the same
 * GDT but 0x10 is flat 32-bit code; struct hvm_start_info (version 1, with
 * the e820 map as its memmap and the initrd as module 0) replaces the zero
 * page at 0x7000; no page tables. State: 32-bit protected mode, paging off,
 * RIP = the note's entry, RBX = 0x7000, RFLAGS = 2. PT_LOAD segments go to
 * their p_paddr (must be >= 1 MiB), bss zeroed. No decompressor runs, which
 * makes it the cheaper boot for a software CPU.
 *
 * On failure nothing is promised about guest memory (it may be partly
 * written); every check on the image happens before the kernel is copied.
 *
 * Why boot protocol >= 2.12: the 64-bit entry is only advertised by
 * xloadflags (XLF_KERNEL_64), which exists from 2.12 (Linux 3.8); 2.12 also
 * guarantees pref_address/init_size (2.10), cmdline_size (2.06) and
 * kernel_alignment/relocatable_kernel (2.05), which the placement relies on.
 */
#ifndef KVMINI_VMM_BOOT_LINUX_H
#define KVMINI_VMM_BOOT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define LINUX_PCI_HOLE_START_DEFAULT 0xc0000000ull /* 3 GiB */

/* Guest-physical addresses of what the loader builds (see above). */
#define LINUX_GDT_ADDR	     0x500ull
#define LINUX_ZERO_PAGE_ADDR 0x7000ull
#define LINUX_BOOT_STACK_TOP 0x8ff0ull
#define LINUX_PML4_ADDR	     0x9000ull
#define LINUX_PDPT_ADDR	     0xa000ull
#define LINUX_PD_ADDR	     0xb000ull /* 4 pages */
#define LINUX_CMDLINE_ADDR   0x20000ull
#define LINUX_CMDLINE_MAX    0x10000ull /* space reserved at 0x20000 */
#define LINUX_BOOT_CS	     0x10
#define LINUX_BOOT_DS	     0x18
#define LINUX_BOOT_TSS	     0x20

/* Error codes: linux_load() returns 0 or the negative of one of these, and
 * writes a sentence naming what is wrong into err. */
enum linux_load_error {
	LINUX_E_ARGS = 1,      /* NULL pointers, zero sizes in the request */
	LINUX_E_NOT_BZIMAGE,   /* no 0xAA55 boot flag or no "HdrS" magic */
	LINUX_E_OLD_PROTOCOL,  /* boot protocol < 2.12 */
	LINUX_E_TRUNC_SETUP,   /* file shorter than its setup sectors */
	LINUX_E_TRUNC_PAYLOAD, /* file shorter than setup + syssize*16 */
	LINUX_E_NO_64BIT,      /* XLF_KERNEL_64 not set */
	LINUX_E_NOT_HIGH,      /* LOADED_HIGH not set (zImage) */
	LINUX_E_BAD_HEADER,    /* inconsistent field (alignment, sizes) */
	LINUX_E_KERNEL_FIT,    /* kernel (init_size) does not fit in RAM */
	LINUX_E_INITRD_FIT,    /* initrd too big for RAM under the limit */
	LINUX_E_CMDLINE_LONG,  /* command line longer than cmdline_size */
	LINUX_E_MEM_SMALL,     /* guest RAM too small for the boot area */
	LINUX_E_ELF,	       /* malformed ELF (PVH path) */
	LINUX_E_NO_PVH,	       /* ELF without a PVH entry note */
	LINUX_E_UNSUPPORTED,   /* a format this build does not load */
};

struct linux_load_args {
	uint8_t *mem;		 /* host view of guest RAM (see contract) */
	uint64_t mem_size;	 /* bytes of guest RAM */
	uint64_t pci_hole_start; /* 0: LINUX_PCI_HOLE_START_DEFAULT */
	const uint8_t *kernel;	 /* bzImage or vmlinux ELF bytes */
	size_t kernel_len;
	const uint8_t *initrd; /* NULL (with len 0) for none */
	size_t initrd_len;
	const char *cmdline; /* NULL: empty */
	/* Guest-physical address of the ACPI RSDP the monitor built, or 0
	 * (the kernel then scans the EBDA and 0xe0000..0xfffff for one). */
	uint64_t acpi_rsdp;
};

enum linux_entry_mode {
	LINUX_ENTRY_64 = 1,    /* 64-bit boot protocol, long mode, RSI */
	LINUX_ENTRY_PVH32 = 2, /* PVH: 32-bit protected, paging off, EBX */
};

#define LINUX_E820_MAX	    16
#define LINUX_E820_RAM	    1
#define LINUX_E820_RESERVED 2

struct linux_e820 {
	uint64_t addr, size;
	uint32_t type;
};

struct linux_boot {
	enum linux_entry_mode mode;
	/* Full general registers: KVM_SET_REGS as is. */
	struct kvm_regs regs;
	/*
	 * Segments, descriptor tables, CR0/CR3/CR4/EFER. Do not KVM_SET_SREGS
	 * this as is: take the vCPU's KVM_GET_SREGS and apply it with
	 * linux_boot_apply_sregs(), so apic_base and the rest stay the vCPU's.
	 */
	struct kvm_sregs sregs;
	/* Where things went (guest-physical), for logs and tests. */
	uint64_t kernel_addr;	/* protected-mode kernel load address */
	uint64_t kernel_size;	/* bytes copied there */
	uint64_t kernel_extent; /* bytes reserved there (init_size) */
	uint64_t initrd_addr;	/* 0 when no initrd */
	uint64_t initrd_size;
	uint64_t cmdline_addr;
	uint64_t boot_info_addr;  /* zero page (64) or hvm_start_info (PVH) */
	uint16_t protocol;	  /* boot protocol version, e.g. 0x20f */
	char kernel_version[128]; /* the image's version string, or "" */
	unsigned int e820_entries;
	struct linux_e820 e820[LINUX_E820_MAX];
};

/*
 * Loads in->kernel (+ initrd, cmdline) into in->mem and fills *out.
 * Returns 0, or -LINUX_E_* with a message in err (errlen may be 0).
 * Never reads outside in->kernel/in->initrd or writes outside in->mem,
 * whatever the image says.
 */
int linux_load(const struct linux_load_args *in, struct linux_boot *out,
	       char *err, size_t errlen);

/* Copies the boot state's segments, GDT/IDT, CR0/CR3/CR4 and EFER into
 * sregs (fetched with KVM_GET_SREGS), leaving apic_base, CR8 and the
 * interrupt bitmap as they were. */
void linux_boot_apply_sregs(const struct linux_boot *b,
			    struct kvm_sregs *sregs);

/* Name of an error code (e.g. "LINUX_E_TRUNC_SETUP"). */
const char *linux_load_strerror(int err);

/*
 * Internal to vmm/boot/ (shared by linux.c and pvh.c; tests use them too).
 */
/* Host pointer for guest-physical [gpa, gpa+len), NULL unless all RAM. */
uint8_t *linux_gpa(const struct linux_load_args *in, uint64_t gpa,
		   uint64_t len);
uint64_t linux_hole_start(const struct linux_load_args *in);
/* End of RAM below 4 GiB: min(mem_size, hole start). */
uint64_t linux_low_top(const struct linux_load_args *in);
int linux_check_args(const struct linux_load_args *in, char *err,
		     size_t errlen);
unsigned int linux_build_e820(const struct linux_load_args *in,
			      struct linux_e820 *e, unsigned int max);
/* GDT at LINUX_GDT_ADDR (code 0x10 is 64-bit if long_mode, else 32-bit)
 * and, if long_mode, the identity page tables. */
int linux_build_gdt_pt(const struct linux_load_args *in, bool long_mode,
		       char *err, size_t errlen);
void linux_flat_sregs(struct kvm_sregs *s, int long_mode);
int linux_place_cmdline(const struct linux_load_args *in, uint64_t limit,
			struct linux_boot *out, char *err, size_t errlen);
int linux_place_initrd(const struct linux_load_args *in, uint64_t limit,
		       uint64_t lowest, struct linux_boot *out, char *err,
		       size_t errlen);
/* The PVH path (pvh.c), for an ELF vmlinux with XEN_ELFNOTE_PHYS32_ENTRY. */
int linux_load_pvh(const struct linux_load_args *in, struct linux_boot *out,
		   char *err, size_t errlen);

#endif
