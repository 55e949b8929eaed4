/* SPDX-License-Identifier: MIT */
/*
 * kvmini guest runtime: the small freestanding library every multiboot
 * guest links with. The same API is built twice, -m32 (guest runs in flat
 * protected mode, paging off) and -m64 (the entry stub switches to long
 * mode with the first 4 GiB identity-mapped by 2 MiB pages, U/S=1 so the
 * CPL3 tests can reach their code and data).
 *
 * Devices used: 8250 UART at 0x3f8 (polled), exit port 0xf4 (QEMU
 * isa-debug-exit compatible: monitor exit status = value * 2 + 1).
 */
#ifndef KVMINI_GUEST_RT_H
#define KVMINI_GUEST_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define RT_COM1	     0x3f8
#define RT_EXIT_PORT 0xf4

/* Selectors (see entry32.S / entry64.S for the GDTs). */
#ifdef __x86_64__
#define RT_KCODE32  0x08
#define RT_KDATA    0x10
#define RT_KCODE    0x18
#define RT_KDATA2   0x20 /* SYSCALL loads SS = STAR[47:32] + 8 */
#define RT_UCODE32  0x2b
#define RT_UDATA    0x33
#define RT_UCODE    0x3b
#define RT_TSS	    0x40
#define RT_GDT_FREE 0x50 /* 0x50 and 0x58 are free for a guest's own use */
#else
#define RT_KCODE    0x08
#define RT_KDATA    0x10
#define RT_UCODE    0x1b
#define RT_UDATA    0x23
#define RT_TSS	    0x28
#define RT_GDT_FREE 0x30 /* 0x30 and 0x38 are free for a guest's own use */
#endif

/* The register frame the IDT stubs build; a handler may change it. */
struct rt_frame {
#ifdef __x86_64__
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t di, si, bp, bx, dx, cx, ax;
	uint64_t vec, err;
	uint64_t ip, cs, flags, sp, ss; /* sp/ss always pushed in long mode */
#else
	uint32_t di, si, bp, esp_unused, bx, dx, cx, ax; /* PUSHA order */
	uint32_t vec, err;
	uint32_t ip, cs, flags;
	uint32_t sp, ss; /* only valid when the trap came from CPL3 */
#endif
};

typedef void (*rt_handler_t)(struct rt_frame *f);

/* Multiboot v1 information, the part we read. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};
#define MB_INFO_MEM	0x001
#define MB_INFO_CMDLINE 0x004
#define MB_INFO_MMAP	0x040
#define MB_BOOT_MAGIC	0x2BADB002

/* Set by the entry stub before main() runs. */
extern uint32_t rt_mb_magic;
extern struct multiboot_info *rt_mbi;

/* The guest's entry point, called with interrupts disabled. */
int main(void);

/* --- ports and CPU helpers --- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline unsigned long read_cr2(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline unsigned long read_cr3(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void invlpg(const volatile void *p)
{
	__asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* --- serial console --- */
void rt_putc(char c);
void rt_puts(const char *s);
/* printf-lite: %d %u %x %s %c %p, 'l' and 'll' size prefixes, a zero-pad
 * width (%08x), a width for %s (%-10s left-justifies). No 64-bit decimal on the
 * 32-bit runtime (no libgcc). */
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vprintf(const char *fmt, va_list ap);

/* --- exit --- */
/* 0: CLI; HLT (monitor exits 0). Otherwise writes code to port 0xf4
 * (monitor exits code * 2 + 1) and halts in case nothing listens. */
void rt_exit(unsigned int code) __attribute__((noreturn));
/* Prints "FAIL: <msg>" and exits with code. */
void rt_fail(unsigned int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* --- exceptions --- */
/* Installs h for vector vec (0..255); 0 restores the default handler,
 * which reports the exception and exits with 0x7f. */
void rt_set_handler(int vec, rt_handler_t h);
/* Gate DPL: 3 lets INT n from ring 3 reach vector vec. */
void rt_set_gate_dpl(int vec, int dpl);

/* --- multiboot command line: value of "key=NUM" (dec or 0x hex) --- */
unsigned long rt_cmdline_ulong(const char *key, unsigned long dflt);

#ifdef __x86_64__
/* Page tables built by entry64.S: PML4[0] -> PDPT[0..3] -> 4 PDs of
 * 2 MiB pages for the first 4 GiB; the rest of the PDPT is free. */
extern uint64_t rt_pml4[512], rt_pdpt[512];
extern uint64_t rt_pd[4 * 512];
/* Clears/sets the present bit of the 2 MiB page holding addr (< 4 GiB). */
void rt_map_2m(uint64_t addr, int present);

#else
/* 32-bit paging with 4 MiB pages over the first 4 GiB, identity. */
void rt_paging32_enable(void);
extern uint32_t rt_pd32[1024];
void rt_map_4m(uint32_t addr, int present);
#endif

/*
 * Runs fn(arg) at CPL3 on ustack_top with EFLAGS.IOPL=3 (the ring-3 code
 * may use port I/O) and returns its result once fn returns: the return
 * lands in a ring-3 trampoline that goes back to ring 0 with INT 0x80
 * (how = RT_USER_INT80) or the fast system call of the mode: SYSCALL in
 * 64-bit, SYSENTER in 32-bit (how = RT_USER_SYSCALL).
 */
#define RT_USER_INT80	0
#define RT_USER_SYSCALL 1
/* Must run once before rt_user_call: the INT 0x80 gate and the fast-call
 * MSRs (the TSS with the ring-0 stack is loaded at start-up). */
void rt_user_init(void);
unsigned long rt_user_call(unsigned long (*fn)(unsigned long),
			   unsigned long arg, void *ustack_top, int how);

/* libc bits gcc may call even when freestanding. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
