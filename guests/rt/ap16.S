/*
 * AP trampoline, copied to RT_AP_TRAMP (apic.h) by rt_smp_start: the SIPI
 * starts the AP in real mode at CS:IP = (RT_AP_TRAMP >> 4):0. It goes to
 * protected mode on its own GDT (same selectors as entry64.S), then to long
 * mode on the BSP's page tables (rt_pml4, below 4 GiB), takes its stack from
 * rt_ap_stack and continues in rt_ap_entry64 inside the image.
 */
#define TRAMP 0x6000
#define A(x) (TRAMP + (x) - rt_ap_tramp_start)

	.section .rodata
	.globl rt_ap_tramp_start, rt_ap_tramp_end
	.code16
rt_ap_tramp_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl A(tgdt_ptr)
	mov %cr0, %eax
	or $1, %eax			/* CR0.PE */
	mov %eax, %cr0
	ljmpl $0x08, $A(pm32)

	.code32
pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $rt_pml4, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx		/* IA32_EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax		/* CR0.PG */
	mov %eax, %cr0
	ljmp $0x18, $A(lm64)

	.code64
lm64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov rt_ap_stack, %rsp
	movabs $rt_ap_entry64, %rax
	call *%rax
1:	cli
	hlt
	jmp 1b

	.balign 8
tgdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code32 */
	.quad 0x00cf92000000ffff	/* 0x10 data */
	.quad 0x00af9a000000ffff	/* 0x18 code64 */
tgdt_ptr:
	.word tgdt_ptr - tgdt - 1
	.long A(tgdt)
rt_ap_tramp_end:
