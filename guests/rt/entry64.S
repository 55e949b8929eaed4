/*
 * Multiboot v1 entry for 64-bit guests. The bootloader (kvmini or QEMU's
 * -kernel) enters _start in flat 32-bit protected mode, paging off, with
 * EAX = 0x2BADB002 and EBX = the multiboot info. We zero .bss, build PAE
 * page tables that identity-map 0..4 GiB with 2 MiB pages, turn on long
 * mode and call rt_start64 in 64-bit mode.
 *
 * The image is linked as ELF64 and converted to ELF32 by objcopy, because
 * multiboot loaders (QEMU's among them) take only ELF32.
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
	mov %eax, %esi			/* keep magic and info across the bss clear */
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

	/* PML4[0] -> PDPT; PDPT[0..3] -> rt_pd (4 pages); 2048 2 MiB pages.
	 * U/S is set everywhere so ring-3 tests can run from the image. */
	mov $rt_pml4, %edi
	mov $rt_pdpt, %eax
	or $7, %eax
	mov %eax, (%edi)
	mov $rt_pdpt, %edi
	mov $rt_pd, %eax
	or $7, %eax
	mov $4, %ecx
2:	mov %eax, (%edi)
	add $0x1000, %eax
	add $8, %edi
	loop 2b
	mov $rt_pd, %edi
	mov $0x87, %eax			/* P | RW | US | PS */
	xor %edx, %edx			/* bits 63:32 of the entry */
	mov $2048, %ecx
3:	mov %eax, (%edi)
	mov %edx, 4(%edi)
	add $0x200000, %eax
	adc $0, %edx
	add $8, %edi
	loop 3b

	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $rt_pml4, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx		/* IA32_EFER */
	rdmsr
	or $0x100, %eax			/* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* CR0.PG | CR0.PE */
	mov %eax, %cr0
	ljmp $0x18, $long_mode

	.code64
long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $stack_top, %rsp
	call rt_start64
4:	cli
	hlt
	jmp 4b

	.section .data
	.balign 16
	.globl rt_gdt
rt_gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00cf9a000000ffff	/* 0x08 kernel code32 */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00af9a000000ffff	/* 0x18 kernel code64 */
	.quad 0x00cf92000000ffff	/* 0x20 kernel data (SYSCALL SS) */
	.quad 0x00cffa000000ffff	/* 0x28 user code32 (SYSRET base) */
	.quad 0x00cff2000000ffff	/* 0x30 user data */
	.quad 0x00affa000000ffff	/* 0x38 user code64 */
	.quad 0, 0			/* 0x40 TSS, filled by rt_start64 */
	.quad 0, 0			/* 0x50, 0x58: free for guests */
rt_gdt_end:
gdt_ptr:
	.word rt_gdt_end - rt_gdt - 1
	.long rt_gdt

	.section .bss
	.balign 4096
	.globl rt_pml4, rt_pdpt, rt_pd
rt_pml4:	.skip 4096
rt_pdpt:	.skip 4096
rt_pd:		.skip 4 * 4096
	.balign 16
stack:		.skip STACK_SIZE
	.globl stack_top
stack_top:
