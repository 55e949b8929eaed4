/* hello16: real mode, flat binary at 0x7c00: serial out, clean halt.
 * Also prints CS and IP as seen by the guest and does a little 16-bit
 * arithmetic so the checked output depends on real-mode execution. */
#include "rt16.S"

main16:
	mov $msg, %si
	call rt16_puts
	mov $msg_cs, %si
	call rt16_puts
	mov %cs, %ax
	call rt16_puthex
	mov $msg_ip, %si
	call rt16_puts
	call 1f				/* IP of the next instruction */
1:	pop %ax
	sub $(1b - _start), %ax		/* = load address */
	call rt16_puthex
	mov $msg_sum, %si
	call rt16_puts
	xor %ax, %ax			/* sum 1..100 = 0x13ba */
	mov $100, %cx
2:	add %cx, %ax
	loop 2b
	call rt16_puthex
	mov $'\n', %al
	call rt16_putc
	xor %al, %al
	ret

msg:	.asciz "hello from 16-bit real mode\n"
msg_cs:	.asciz "cs "
msg_ip:	.asciz " load address "
msg_sum: .asciz " sum(1..100) "

	.org 510
	.byte 0x55, 0xaa
