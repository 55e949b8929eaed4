/*
 * rt_user_call(fn, arg, ustack_top, how) for 32-bit guests (cdecl): the
 * same shape as user64.S. The kernel's callee-saved registers and ESP are
 * parked in user_kctx; fn(arg) runs at CPL3 with IOPL 3 and returns into
 * a ring-3 trampoline that re-enters ring 0 by INT 0x80 (DPL-3 gate, the
 * CPU switches to TSS.ESP0) or SYSENTER (IA32_SYSENTER_EIP = here, on
 * IA32_SYSENTER_ESP); both unwind to rt_user_call's caller, EAX = result.
 * DS/ES get the DPL-3 data selector first: IRET to ring 3 would load
 * null into a DPL-0 DS, and ring-3 data accesses would then #GP.
 */
	.text
	.code32
	.globl rt_user_call
rt_user_call:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, user_kctx
	mov 20(%esp), %eax		/* fn */
	mov 24(%esp), %ecx		/* arg */
	mov 28(%esp), %edx		/* ustack_top */
	mov 32(%esp), %ebx		/* how */
	and $-16, %edx
	sub $20, %edx			/* ESP+4 16-byte aligned at fn entry */
	mov %ecx, 4(%edx)		/* fn's argument */
	movl $user_ret_int80, (%edx)	/* fn's return address */
	test %ebx, %ebx
	jz 1f
	movl $user_ret_sysenter, (%edx)
1:	mov $0x23, %ecx			/* user data, RPL 3 */
	mov %ecx, %ds
	mov %ecx, %es
	push $0x23			/* SS */
	push %edx			/* ESP */
	push $0x3002			/* EFLAGS: IOPL 3, IF 0 */
	push $0x1b			/* CS: user code, RPL 3 */
	push %eax			/* EIP */
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	iret

user_ret_int80:
	int $0x80
	ud2
user_ret_sysenter:
	sysenter
	ud2

	.globl rt_int80_entry, rt_sysenter_entry
rt_int80_entry:
rt_sysenter_entry:
	mov $0x10, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	mov %ecx, %ss
	mov user_kctx, %esp
	push $2				/* drop the user's IOPL 3 */
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.bss
	.balign 4
user_kctx:	.long 0
