/*
 * Real-mode runtime for 16-bit flat-binary guests, included at the top of
 * the guest's .S. The monitor loads the binary at 0x7c00 and enters it at
 * CS:IP = 0000:7c00 (a BIOS does the same with a boot sector, so the same
 * file boots under QEMU from a disk). The guest provides main16, which
 * returns an exit code in AL.
 *
 * Calls:  rt16_putc  AL = char          rt16_puts  SI = NUL-terminated string
 *         rt16_puthex AX = 16-bit value rt16_exit  AL = code (0: CLI; HLT)
 * All preserve every register but flags.
 */
	.code16
	.text
	.globl _start
_start:
	cli
	cld
	ljmp $0, $1f			/* CS = 0 even if a BIOS came via 07c0:0 */
1:	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp		/* stack grows down below the image */
	call main16
	jmp rt16_exit

rt16_putc:
	push %ax
	push %cx
	push %dx
	mov %al, %ah
	mov $0x3fd, %dx			/* LSR */
	mov $0xffff, %cx		/* bounded: a missing UART reads 0xff */
2:	in %dx, %al
	test $0x20, %al			/* THR empty */
	loopz 2b
	mov $0x3f8, %dx
	mov %ah, %al
	out %al, %dx
	pop %dx
	pop %cx
	pop %ax
	ret

rt16_puts:
	push %ax
	push %si
3:	lodsb
	test %al, %al
	jz 4f
	call rt16_putc
	jmp 3b
4:	pop %si
	pop %ax
	ret

rt16_puthex:
	push %ax
	push %bx
	push %cx
	mov %ax, %bx
	mov $4, %cx
5:	rol $4, %bx
	mov %bl, %al
	and $0xf, %al
	add $'0', %al
	cmp $'9', %al
	jbe 6f
	add $('a' - '9' - 1), %al
6:	call rt16_putc
	loop 5b
	pop %cx
	pop %bx
	pop %ax
	ret

rt16_exit:
	test %al, %al
	jz 7f
	out %al, $0xf4
7:	cli
	hlt
	jmp 7b
