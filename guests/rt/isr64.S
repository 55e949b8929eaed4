/*
 * 64-bit IDT entry stubs: one per vector, each pushes a dummy error code
 * when the CPU does not push one, then the vector, and joins isr_common,
 * which saves the GPRs as struct rt_frame and calls rt_isr_dispatch.
 * rt_isr_table holds the stub addresses for the C side to build the IDT.
 */
	.altmacro

	.macro stub v
	.pushsection .rodata
	.quad 9f
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
	.balign 8
	.globl rt_isr_table
rt_isr_table:
	.text
	.code64
	.set vec, 0
	.rept 256
	stub %vec
	.set vec, vec + 1
	.endr

isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	call rt_isr_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq
