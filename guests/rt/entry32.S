/*
 * Multiboot v1 entry for 32-bit guests: entered in flat 32-bit protected
 * mode, paging off, EAX = 0x2BADB002, EBX = multiboot info. We zero .bss,
 * load our own GDT (the loader's may be gone) and call rt_start32.
 */
#include "multiboot.h"

	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, MB_HEADER_CSUM

	.section .text
	.code32
	.globl _start
_start:
	cli
	cld
	mov %eax, %esi
	mov %ebx, %ebp
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	rep stosl
	mov %esi, rt_mb_magic
	mov %ebp, rt_mbi
	mov $stack_top, %esp

	lgdt gdt_ptr
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	call rt_start32
2:	cli
	hlt
	jmp 2b

	.section .data
	.balign 16
	.globl rt_gdt
rt_gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00cf9a000000ffff	/* 0x08 kernel code */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cffa000000ffff	/* 0x18 user code */
	.quad 0x00cff2000000ffff	/* 0x20 user data */
	.quad 0				/* 0x28 TSS, filled by rt_start32 */
	.quad 0, 0			/* 0x30, 0x38: free for guests */
rt_gdt_end:
gdt_ptr:
	.word rt_gdt_end - rt_gdt - 1
	.long rt_gdt

	.section .bss
	.balign 16
stack:		.skip STACK_SIZE
	.globl stack_top
stack_top:
