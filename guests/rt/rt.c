// SPDX-License-Identifier: MIT
/* Runtime start-up, IDT and exception dispatch, exit. 32- and 64-bit. */
#include "rt.h"

uint32_t rt_mb_magic;
struct multiboot_info *rt_mbi;

extern const uintptr_t rt_isr_table[256];
static rt_handler_t handlers[256];

#ifdef __x86_64__
struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));
#else
struct idt_gate {
	uint16_t off0, sel;
	uint8_t zero, type;
	uint16_t off1;
} __attribute__((packed));
#endif

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void set_gate(int vec, uintptr_t addr, int dpl)
{
	struct idt_gate *g = &idt[vec];
	memset(g, 0, sizeof(*g));
	g->off0 = (uint16_t)addr;
	g->off1 = (uint16_t)(addr >> 16);
#ifdef __x86_64__
	g->off2 = (uint32_t)(addr >> 32);
	g->sel = RT_KCODE;
#else
	g->sel = RT_KCODE;
#endif
	/* interrupt gate (IF cleared on entry), present */
	g->type = (uint8_t)(0x8e | (dpl & 3) << 5);
}

void rt_set_gate_dpl(int vec, int dpl)
{
	if (vec >= 0 && vec < 256)
		idt[vec].type = (uint8_t)(0x8e | (dpl & 3) << 5);
}

void rt_set_handler(int vec, rt_handler_t h)
{
	if (vec >= 0 && vec < 256)
		handlers[vec] = h;
}

/* Loads the IDT (also on APs, which share it). */
void rt_idt_load(void);
void rt_idt_load(void)
{
	struct {
		uint16_t limit;
		uintptr_t base;
	} __attribute__((packed)) p = {sizeof(idt) - 1, (uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(p));
}

static void load_idt(void)
{
	for (int i = 0; i < 256; i++)
		set_gate(i, rt_isr_table[i], 0);
	rt_idt_load();
}

void rt_isr_dispatch(struct rt_frame *f)
{
	if (f->vec < 256 && handlers[f->vec]) {
		handlers[f->vec](f);
		return;
	}
	rt_printf("unexpected exception: vector %u error %lx ip %lx cs %lx "
		  "cr2 %lx\n",
		  (unsigned)f->vec, (unsigned long)f->err, (unsigned long)f->ip,
		  (unsigned long)f->cs, read_cr2());
	rt_exit(0x7f);
}

void rt_exit(unsigned int code)
{
	if (code)
		outb(RT_EXIT_PORT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void rt_fail(unsigned int code, const char *fmt, ...)
{
	va_list ap;
	rt_puts("FAIL: ");
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_putc('\n');
	rt_exit(code ? code : 1);
}

#ifdef __x86_64__
struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iomap_base;
} __attribute__((packed));

extern uint64_t rt_gdt[];
extern void rt_int80_entry(void);
extern void rt_syscall_entry(void);
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ring0_stack[8192] __attribute__((aligned(16)));

#define MSR_EFER  0xc0000080
#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084

static void tss_init(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	tss.rsp[0] = (uintptr_t)(ring0_stack + sizeof(ring0_stack));
	/* no I/O bitmap: IOPL alone decides ring-3 port access */
	tss.iomap_base = sizeof(tss);
	rt_gdt[RT_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			     0x89ull << 40 /* present, available 64-bit TSS */
			     | ((limit >> 16) & 0xf) << 48 |
			     ((base >> 24) & 0xff) << 56;
	rt_gdt[RT_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(RT_TSS));
}

void rt_user_init(void)
{
	set_gate(0x80, (uintptr_t)rt_int80_entry, 3);
	wrmsr(MSR_STAR, (uint64_t)RT_KCODE << 32 | (uint64_t)0x28 << 48);
	wrmsr(MSR_LSTAR, (uintptr_t)rt_syscall_entry);
	/* clear TF IF DF IOPL NT AC on SYSCALL */
	wrmsr(MSR_FMASK, 0x47700);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1 /* SCE */);
}

void rt_map_2m(uint64_t addr, int present)
{
	if (addr >= (4ull << 30))
		return;
	uint64_t *e = &rt_pd[addr >> 21];
	*e = present ? (*e | 1) : (*e & ~1ull);
	invlpg((void *)(uintptr_t)addr);
}

void rt_start64(void);
void rt_start64(void)
{
	load_idt();
	tss_init();
	rt_exit(main());
}
#else
struct tss32 {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t unused[22]; /* esp1..ldt: not used by a flat ring 0/3 */
	uint16_t trap, iomap_base;
} __attribute__((packed));

extern uint64_t rt_gdt[];
extern void rt_int80_entry(void);
extern void rt_sysenter_entry(void);
static struct tss32 tss __attribute__((aligned(16)));
static uint8_t ring0_stack[8192] __attribute__((aligned(16)));
static uint8_t sysenter_stack[1024] __attribute__((aligned(16)));

#define MSR_SYSENTER_CS	 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

static void tss_init(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	tss.esp0 = (uintptr_t)(ring0_stack + sizeof(ring0_stack));
	tss.ss0 = RT_KDATA;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: IOPL decides */
	rt_gdt[RT_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			     0x89ull << 40 /* present, available 32-bit TSS */
			     | ((limit >> 16) & 0xf) << 48 |
			     ((base >> 24) & 0xff) << 56;
	__asm__ volatile("ltr %w0" : : "r"(RT_TSS));
}

void rt_user_init(void)
{
	set_gate(0x80, (uintptr_t)rt_int80_entry, 3);
	/* SYSENTER: CS = 0x08, SS = 0x10; SYSEXIT would use 0x1b/0x23 */
	wrmsr(MSR_SYSENTER_CS, RT_KCODE);
	wrmsr(MSR_SYSENTER_ESP,
	      (uintptr_t)(sysenter_stack + sizeof(sysenter_stack)));
	wrmsr(MSR_SYSENTER_EIP, (uintptr_t)rt_sysenter_entry);
}

uint32_t rt_pd32[1024] __attribute__((aligned(4096)));

void rt_paging32_enable(void)
{
	unsigned long v;
	for (uint32_t i = 0; i < 1024; i++)
		rt_pd32[i] = i << 22 | 0x87; /* P | RW | US | PS (4 MiB) */
	__asm__ volatile("mov %%cr4, %0; or $0x10, %0; mov %0, %%cr4" /* PSE */
			 : "=&r"(v));
	__asm__ volatile("mov %0, %%cr3" : : "r"(rt_pd32) : "memory");
	__asm__ volatile("mov %%cr0, %0; or $0x80000000, %0; mov %0, %%cr0"
			 : "=&r"(v)
			 :
			 : "memory");
}

void rt_map_4m(uint32_t addr, int present)
{
	uint32_t *e = &rt_pd32[addr >> 22];
	*e = present ? (*e | 1) : (*e & ~1u);
	invlpg((void *)(uintptr_t)addr);
}

void rt_start32(void);
void rt_start32(void)
{
	load_idt();
	tss_init();
	rt_exit(main());
}
#endif
