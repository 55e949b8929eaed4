/*
 * boot16: what a boot sector does, from real mode: an IVT handler called
 * by INT n; #DE in real mode (saved IP = the DIV, on 286 and later); a far
 * call into segment 07c0; then the switch to 32-bit protected mode (LGDT,
 * CR0.PE, far jump) where 32-bit code writes above 1 MiB, back through a
 * 16-bit protected-mode segment to real mode with a 4 GiB DS limit still
 * cached ("unreal mode"), which reads the value back with a 32-bit
 * address. Fits one 512-byte sector (QEMU boots it from a disk).
 */
#include "rt16.S"

main16:
	movw $int40, 0x40*4		/* IVT[0x40] = 0000:int40 */
	movw $0, 0x40*4+2
	movw $de, 0			/* IVT[0] = 0000:de */
	movw $0, 2
	mov $0x1234, %ax
	int $0x40			/* handler returns AX + 1 */
	mov $m_int, %si
	call put_ax
	mov $7, %ax
	xor %bl, %bl
	div %bl				/* #DE: handler skips, sets BX */
	mov %bx, %ax
	mov $m_de, %si
	call put_ax
	lcall $0x07c0, $(far - 0x7c00)	/* far returns AX = the CS it saw */
	mov $m_far, %si
	call put_ax

	cli
	lgdt gdtr
	mov %cr0, %eax
	or $1, %al
	mov %eax, %cr0
	ljmp $0x08, $pm32
	.code32
pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	movl $0xcafe1234, 0x200000	/* above 1 MiB: only reachable here */
	mov %cr0, %eax
	mov %eax, %ebx			/* PE bit for the print in real mode */
	ljmp $0x18, $pm16
	.code16
pm16:
	mov %cr0, %eax
	and $0xfe, %al
	mov %eax, %cr0
	ljmp $0, $rm
rm:
	xor %ax, %ax			/* DS keeps its cached 4 GiB limit */
	mov %ax, %ss
	mov %ax, %es
	mov %bx, %ax			/* CR0 low bits in protected mode */
	and $1, %ax
	mov $m_pm, %si
	call put_ax
	mov $0x200000, %ebx
	addr32 mov (%ebx), %eax		/* unreal mode read */
	shr $16, %eax
	mov $m_unreal, %si
	call put_ax
	xor %al, %al
	ret

put_ax:					/* "<SI string> <AX hex>\n" */
	call rt16_puts
	call rt16_puthex
	push %ax
	mov $'\n', %al
	call rt16_putc
	pop %ax
	ret

int40:
	inc %ax
	iret
de:
	push %bp
	mov %sp, %bp
	addw $2, 2(%bp)			/* skip "div %bl" (2 bytes) */
	mov $0xde00, %bx
	pop %bp
	iret
far:
	mov %cs, %ax
	lret

	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code32 flat */
	.quad 0x00cf92000000ffff	/* 0x10 data flat 4 GiB */
	.quad 0x00009a000000ffff	/* 0x18 code16, 64 KiB */
gdtr:	.word 31
	.long gdt

m_int:	.asciz "int 0x40 returned "
m_de:	.asciz "real-mode #DE handler set bx "
m_far:	.asciz "far call saw cs "
m_pm:	.asciz "protected mode CR0.PE "
m_unreal: .asciz "unreal mode read above 1 MiB, high half "

	.org 510
	.byte 0x55, 0xaa
