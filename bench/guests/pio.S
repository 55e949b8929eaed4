/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/guests/pio.S: the exit-cost benchmark guest, standalone (multiboot
 * v1, ELF32). Command line: "n=N cpl=C port=P" (decimal N; C 0 or 3,
 * default 3; P hex-free decimal, default 736 = 0x2e0, unclaimed in kvmini
 * and QEMU). It does N one-byte OUTs to P at CPL C, then writes 0 to the
 * exit port 0xf4 (status 1). CPL3 needs no TSS: IOPL=3 lets ring 3 do port
 * I/O, and nothing ever returns to ring 0. The guest switches to long mode
 * itself (identity map of the first GiB with 2 MiB user pages), because
 * some hosts (kvm_pvm) only run ring 3 natively under paging.
 */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000002	/* want memory info; ELF layout */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	mov %eax, %ebp			/* the multiboot magic */
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	/* Defaults, then the command line (multiboot info flag bit 2). */
	movl $1000000, n
	movl $3, cpl
	movl $0x2e0, port
	cmp $0x2BADB002, %ebp
	jne go
	testl $4, (%ebx)
	jz go
	mov 16(%ebx), %esi
	call parse_cmdline
go:
	/* Identity map 0..1 GiB, 2 MiB pages, user-accessible. */
	mov $pd, %edi
	xor %ecx, %ecx
11:	mov %ecx, %eax
	shl $21, %eax
	or $0x87, %eax			/* P | RW | US | PS */
	mov %eax, (%edi,%ecx,8)
	movl $0, 4(%edi,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 11b
	movl $pd + 7, pdpt
	movl $pdpt + 7, pml4
	mov $pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $0xC0000080, %ecx		/* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax		/* PG */
	mov %eax, %cr0
	ljmp $0x28, $long64

	.code64
long64:
	mov n, %ecx
	mov port, %edx
	cmpl $0, cpl
	je loop0
	/* iretq to ring 3 with IOPL=3. */
	pushq $0x23			/* user data | RPL3 */
	pushq $ustack_top
	pushq $0x3002			/* IOPL=3, IF=0 */
	pushq $0x33			/* user code64 | RPL3 */
	pushq $loop3
	iretq

loop0:					/* ring 0 loop */
	test %ecx, %ecx
	jz done
2:	out %al, %dx
	dec %ecx
	jnz 2b
	jmp done

loop3:					/* ring 3 loop */
	test %ecx, %ecx
	jz done
3:	out %al, %dx
	dec %ecx
	jnz 3b
done:
	xor %eax, %eax
	out %al, $0xf4
	hlt
	.code32

/*
 * esi = the command line, "word key=value ...". Loaders put the kernel's
 * path first (QEMU does), so only whole words n=, cpl=, port= count.
 */
parse_cmdline:
4:	lodsb				/* skip blanks */
	test %al, %al
	jz 9f
	cmp $' ', %al
	je 4b
	lea -1(%esi), %edi		/* word start */
5:	lodsb				/* find the word's '=' or its end */
	test %al, %al
	jz 9f
	cmp $' ', %al
	je 4b
	cmp $'=', %al
	jne 5b
	xor %eax, %eax			/* decimal value */
6:	movzbl (%esi), %edx
	sub $'0', %edx
	cmp $9, %edx
	ja 7f
	imul $10, %eax
	add %edx, %eax
	inc %esi
	jmp 6b
7:	mov %esi, %edx			/* key length = '=' - start */
	sub %edi, %edx
	cmpb $'n', (%edi)
	jne 8f
	cmpb $'=', 1(%edi)
	jne 8f
	mov %eax, n
	jmp 4b
8:	cmpl $0x3d6c7063, (%edi)	/* "cpl=" */
	jne 10f
	mov %eax, cpl
	jmp 4b
10:	cmpl $0x74726f70, (%edi)	/* "port" */
	jne 4b
	cmpb $'=', 4(%edi)
	jne 4b
	mov %eax, port
	jmp 4b
9:	ret

	.data
	.align 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 ring-0 code */
	.quad 0x00cf92000000ffff	/* 0x10 ring-0 data */
	.quad 0x00cffa000000ffff	/* 0x18 ring-3 code */
	.quad 0x00cff2000000ffff	/* 0x20 ring-3 data */
	.quad 0x00af9a000000ffff	/* 0x28 ring-0 code, 64-bit */
	.quad 0x00affa000000ffff	/* 0x30 ring-3 code, 64-bit */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
n:	.long 0
cpl:	.long 0
port:	.long 0

	.bss
	.align 4096
pml4:	.space 4096
pdpt:	.space 4096
pd:	.space 4096
	.space 4096
stack_top:
	.space 4096
ustack_top:
