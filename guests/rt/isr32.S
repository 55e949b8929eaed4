/*
 * 32-bit IDT entry stubs, same shape as isr64.S: dummy error code where
 * the CPU pushes none, the vector, PUSHA, then rt_isr_dispatch(frame).
 */
	.altmacro

	.macro stub v
	.pushsection .rodata
	.long 9f
	.popsection
9:
	/* the CPU pushes an error code for 8, 10-14, 17, 21, 29, 30 */
	.if ((\v == 8) | ((\v >= 10) & (\v <= 14)) | (\v == 17) | (\v == 21) | (\v == 29) | (\v == 30)) == 0
	push $0
	.endif
	push $\v
	jmp isr_common
	.endm

	.section .rodata
	.balign 4
	.globl rt_isr_table
rt_isr_table:
	.text
	.code32
	.set vec, 0
	.rept 256
	stub %vec
	.set vec, vec + 1
	.endr

isr_common:
	pusha
	cld
	mov %esp, %eax
	push %eax
	call rt_isr_dispatch
	add $4, %esp
	popa
	add $8, %esp
	iret
