/*
 * real16's real-mode half. real16_call() (32-bit, from C) copies the
 * blob between blob_start and blob_end to 0x8000, drops to real mode with
 * CS = DS = ES = 0x0800 (so the blob's own offsets address it), runs the
 * tests, which store their results in res[], and comes back to 32-bit
 * protected mode with the runtime's GDT and IDT. Addresses inside the
 * blob are written (label - blob_start).
 */
#define OFF(x) ((x) - blob_start)
#define BLOB_BASE 0x8000
#define SEG	  0x0800

	.text
	.code32
	.globl real16_call
/* uint16_t *real16_call(void): returns the linear address of res[] */
real16_call:
	push %ebp
	push %ebx
	push %esi
	push %edi
	pushf
	cli
	mov %esp, saved_esp
	sgdt saved_gdt
	sidt saved_idt
	/* copy the blob to 0x8000 */
	mov $blob_start, %esi
	mov $BLOB_BASE, %edi
	mov $(blob_end - blob_start), %ecx
	cld
	rep movsb
	/* fill in the far pointer back to 32-bit code and the GDT base */
	movl $back32, BLOB_BASE + OFF(back_ptr)
	movl $(BLOB_BASE + OFF(gdt16)), BLOB_BASE + OFF(gdtr16) + 2
	lgdt BLOB_BASE + OFF(gdtr16)
	ljmp $0x18, $OFF(pm16)		/* 16-bit code, base 0x8000 */

back32:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov saved_esp, %esp
	lgdt saved_gdt
	lidt saved_idt
	ljmp $0x08, $1f			/* CS from the runtime's GDT */
1:	mov $0x10, %eax			/* and the data segments */
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	mov $(BLOB_BASE + OFF(res)), %eax
	ret

	.data
	.balign 4
saved_esp:	.long 0
saved_gdt:	.word 0
		.long 0
		.word 0
saved_idt:	.word 0
		.long 0

/* ---------------------------------------------------------------- */
	.data
	.balign 16
	.globl blob_start, blob_end
blob_start:
	.code16
pm16:
	mov $0x20, %ax			/* 16-bit data, base 0x8000 */
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr0, %eax
	and $0xfe, %al
	mov %eax, %cr0
	ljmp $SEG, $OFF(rm)
rm:
	mov $SEG, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $OFF(stack_top), %sp
	lidt OFF(ivt_ptr)
	call tests
	/* back to protected mode */
	cli
	mov %cr0, %eax
	or $1, %al
	mov %eax, %cr0
	.byte 0x66, 0xea		/* ljmpl $0x08, back32 */
back_ptr: .long 0
	.word 0x08

#define R(n) (OFF(res) + 2 * (n))
tests:
	/* 0: 16-bit add sets CF/ZF: 0xffff + 1 -> flags */
	mov $0xffff, %ax
	add $1, %ax
	pushf
	popw R(0)
	/* 1: operand-size prefix in real mode: 32-bit add, high half */
	mov $0x0000ffff, %eax
	add $1, %eax
	shr $16, %eax
	mov %ax, R(1)
	/* 2: [bp+si] defaults to SS: SS = DS + 0x10 paragraphs */
	mov %ss, %dx
	mov $(SEG + 0x10), %ax
	mov %ax, %ss
	mov $OFF(cell), %bp		/* SS:BP+SI = DS:cell + 0x100 */
	xor %si, %si
	mov (%bp,%si), %ax
	mov %dx, %ss
	mov %ax, R(2)
	/* 3: same offset through DS (no SS default): the cell itself */
	mov $OFF(cell), %bx
	mov (%bx,%si), %ax
	mov %ax, R(3)
	/* 4: ES override */
	mov $(SEG + 0x10), %ax
	mov %ax, %es
	mov %es:OFF(cell), %ax
	mov %ds, %dx
	mov %dx, %es
	mov %ax, R(4)
	/* 5: 16-bit address wrap: lodsb at SI=0xffff, then SI = 0 */
	mov $0xffff, %si
	cld
	lodsb
	mov %si, R(5)
	/* 6: PUSH SP pushes the value before the decrement (286+) */
	mov %sp, %dx
	push %sp
	pop %ax
	sub %dx, %ax
	mov %ax, R(6)
	/* 7: shl by 17 on a 16-bit operand: count masked to 5 bits, not 4 */
	mov $1, %ax
	mov $17, %cl
	shl %cl, %ax
	mov %ax, R(7)
	/* 8: rcl by 17 on 16 bits is a no-op (mod 17), CF kept */
	mov $0x1234, %ax
	stc
	rcl %cl, %ax
	mov %ax, R(8)
	/* 9: INT through the IVT, handler returns AX+1 */
	xor %ax, %ax			/* IVT[0x41] = 0800:int41, via ES=0 */
	mov %ax, %es
	movw $OFF(int41), %es:0x41*4
	movw $SEG, %es:0x41*4+2
	mov %ds, %ax
	mov %ax, %es
	mov $0x2000, %ax
	int $0x41
	mov %ax, R(9)
	/* 10: far call through a segment:offset in memory */
	lcall *OFF(farptr)
	mov %ax, R(10)
	/* 11: PUSHA/POPA round trip, then SP back */
	mov %sp, %dx
	mov $0x1111, %ax
	mov $0x2222, %bx
	pusha
	xor %ax, %ax
	xor %bx, %bx
	popa
	sub %sp, %dx
	add %bx, %ax
	add %dx, %ax
	mov %ax, R(11)			/* 0x3333 */
	/* 12: LES loads ES:reg from memory */
	les OFF(farptr), %di
	mov %es, %ax
	mov %ds, %dx
	mov %dx, %es
	mov %ax, R(12)
	/* 13: imul 16-bit 3-operand overflow flag (CF=OF) */
	mov $0x4000, %ax
	imul $4, %ax, %bx
	pushf
	pop %ax
	and $0x801, %ax
	mov %ax, R(13)
	/* 14: div 32/16: DX:AX = 0x0001_0000 / 3 */
	mov $1, %dx
	xor %ax, %ax
	mov $3, %bx
	div %bx
	mov %ax, R(14)
	mov %dx, R(15)
	/* 16: addr32 in real mode with an offset < 64 KiB */
	mov $OFF(cell), %ebx
	addr32 mov (%ebx), %ax
	mov %ax, R(16)
	/* 17: ENTER/LEAVE with 16-bit frames */
	mov %sp, %dx
	enter $6, $0
	mov %sp, %ax
	leave
	sub %ax, %dx
	mov %dx, R(17)			/* 2 (BP) + 6 */
	/* 18: XCHG with memory, 19: CMPXCHG */
	mov $0x7777, %ax
	xchg %ax, OFF(scratch)
	mov %ax, R(18)			/* old scratch */
	mov $0x7777, %ax
	mov $0x1357, %bx
	cmpxchg %bx, OFF(scratch)
	mov OFF(scratch), %ax
	mov %ax, R(19)
	/* 20: LOOP with CX counting from 10 */
	mov $10, %cx
	xor %ax, %ax
1:	add %cx, %ax
	loop 1b
	mov %ax, R(20)			/* 55 */
	/* 21: string copy with REP MOVSW, DF=1, then CX */
	mov $OFF(src_w + 6), %si
	mov $OFF(dst_w + 6), %di
	mov $4, %cx
	std
	rep movsw
	cld
	mov OFF(dst_w), %ax
	add OFF(dst_w + 6), %ax
	mov %ax, R(21)			/* 0x0101 + 0x0404 */
	/* 22: SAR of a negative 16-bit value, 23: BSF 16-bit */
	mov $0x8000, %ax
	sar $15, %ax
	mov %ax, R(22)
	mov $0x0400, %ax
	bsf %ax, %ax
	mov %ax, R(23)
	ret

int41:
	inc %ax
	iret
far16:
	mov $0xfa12, %ax
	lret

	.balign 2
cell:	.word 0xc0de
	.skip 0x100 - 2
	.word 0x5555			/* cell + 0x100: what SS:BP+SI sees */
scratch: .word 0x2468
farptr:	.word OFF(far16), SEG
src_w:	.word 0x0101, 0x0202, 0x0303, 0x0404
dst_w:	.word 0, 0, 0, 0
ivt_ptr: .word 0x3ff
	.long 0
	.balign 8
gdt16:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code32 flat (back32) */
	.quad 0x00cf92000000ffff	/* 0x10 data32 flat */
	.quad 0x00009a008000ffff	/* 0x18 code16, base 0x8000 */
	.quad 0x000092008000ffff	/* 0x20 data16, base 0x8000 */
gdtr16:	.word 39
	.long 0
	.globl res
res:	.skip 2 * 32
	.skip 512
stack_top:
blob_end:
	.code32
