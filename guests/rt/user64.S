/*
 * rt_user_call(fn, arg, ustack_top, how): run fn(arg) at CPL3 and return
 * its result. The kernel's callee-saved registers and RSP are parked in
 * user_kctx; fn returns into a ring-3 trampoline that re-enters ring 0
 * with INT 0x80 (IDT gate with DPL 3; the CPU switches to TSS.RSP0) or
 * SYSCALL (IA32_LSTAR = rt_syscall_entry; no stack switch, so the entry
 * restores the parked RSP first). Both ends unwind to rt_user_call's
 * caller with RAX = fn's result.
 */
	.text
	.code64
	.globl rt_user_call
rt_user_call:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, user_kctx(%rip)
	/* user stack: 16-byte aligned after the pushed return address */
	and $-16, %rdx
	lea user_ret_int80(%rip), %rax
	test %ecx, %ecx
	jz 1f
	lea user_ret_syscall(%rip), %rax
1:	mov %rax, -8(%rdx)
	sub $8, %rdx
	mov %rdi, %rax			/* fn */
	mov %rsi, %rdi			/* arg */
	push $0x33			/* SS: user data, RPL 3 */
	push %rdx			/* RSP */
	push $0x3002			/* RFLAGS: IOPL 3, IF 0 */
	push $0x3b			/* CS: user code64, RPL 3 */
	push %rax			/* RIP */
	xor %eax, %eax			/* leak nothing into ring 3 */
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %ebp, %ebp
	iretq

	/* ring-3 trampolines: fn returned here with its result in RAX */
user_ret_int80:
	int $0x80
	ud2
user_ret_syscall:
	syscall
	ud2

	/* vector 0x80 and LSTAR: back in ring 0, RAX = result */
	.globl rt_int80_entry, rt_syscall_entry
rt_int80_entry:
rt_syscall_entry:
	mov user_kctx(%rip), %rsp
	push $2				/* drop the user's IOPL 3 */
	popf
	mov $0x10, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %ss
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.bss
	.balign 8
user_kctx:	.quad 0
