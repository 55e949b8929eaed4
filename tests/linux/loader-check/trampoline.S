/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A multiboot (v1) stub that lets QEMU TCG run what vmm/boot/linux.c built:
 * the module is a dump (loaddump.c) of the guest memory ranges linux_load()
 * wrote plus its entry state. The stub copies the ranges to their guest
 * addresses, then performs the mode switch the monitor will do with
 * KVM_SET_SREGS: CR4, CR3, EFER, the loader's GDT, CR0, a far return to the
 * loader's CS, its data selectors, RSP/RSI/RBX/RFLAGS, and jumps to RIP.
 * So the zero page, e820, page tables, GDT, command line, kernel and initrd
 * placement all come from linux_load(), checked by a real Linux booting.
 *
 * For a PVH dump (mode 2) it stays in 32-bit protected mode: the loader's
 * GDT, a far return to its 32-bit CS, EBX = hvm_start_info, jump to the entry.
 *
 * Built with -DEMBED_DUMP='"file"' the dump is linked into the stub itself,
 * for VMMs that load a multiboot/ELF32 image but no modules (kvmini run).
 *
 * Dump header (little endian): 0 magic "KVML", 4 nchunks, 8 cr0, 12 cr3,
 * 16 cr4, 20 efer, 24 gdt limit (u16) + base (u32), 30 mode (u16: 1 = 64-bit
 * boot protocol, 2 = PVH), 32 cs, 36 ds, 40 rip,
 * 48 rsi, 56 rsp, 64 rflags, 72 rbx (u64 each), 80 chunks:
 * { u32 gpa, u32 len, len bytes, padded to 4 }.
 */
	.section .text
	.code32
	.align 4
multiboot_header:
	.long 0x1badb002
	.long 0x00000003 /* modules page aligned, memory info */
	.long -(0x1badb002 + 0x00000003)

	.globl _start
_start:
	cli
	mov $stack_top, %esp
#ifdef EMBED_DUMP
	/* the dump is part of this image: no multiboot module needed */
	mov $embedded_dump, %ebp
	jmp have_dump
#endif
	cmp $0x2badb002, %eax
	jne fail
	testl $8, (%ebx) /* mods_* valid */
	jz fail
	cmpl $1, 20(%ebx)
	jb fail
	mov 24(%ebx), %eax
	mov (%eax), %ebp /* module start: the dump header */
have_dump:
	cmpl $0x4c4d564b, (%ebp)
	jne fail
	mov 4(%ebp), %edx
	lea 80(%ebp), %esi
	cld
1:	test %edx, %edx
	jz 2f
	mov (%esi), %edi
	mov 4(%esi), %ecx
	add $8, %esi
	rep movsb
	add $3, %esi
	and $~3, %esi
	dec %edx
	jmp 1b

2:	cmpw $2, 30(%ebp)
	je pvh32
	mov 16(%ebp), %eax
	mov %eax, %cr4
	mov 12(%ebp), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	mov 20(%ebp), %eax
	and $~0x400, %eax /* LMA is the CPU's to set */
	xor %edx, %edx
	wrmsr
	lgdt 24(%ebp)
	mov 8(%ebp), %eax
	mov %eax, %cr0 /* paging on: long mode, compatibility submode */
	pushl 32(%ebp)
	pushl $long64
	lret

	.code64
long64:
	mov %ebp, %ebp /* zero-extend */
	mov 36(%rbp), %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	pushq 64(%rbp)
	popfq
	mov 56(%rbp), %rsp
	mov 48(%rbp), %rsi
	mov 72(%rbp), %rbx
	mov 40(%rbp), %rax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %edi, %edi
	xor %ebp, %ebp
	jmp *%rax

	.code32
pvh32:	/* CR0 from the loader: PE, paging off */
	lgdt 24(%ebp)
	mov 8(%ebp), %eax
	mov %eax, %cr0
	pushl 32(%ebp)
	pushl $pm32
	lret
pm32:	mov 36(%ebp), %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	pushl 64(%ebp)
	popfl
	mov 56(%ebp), %esp
	mov 48(%ebp), %esi
	mov 72(%ebp), %ebx
	mov 40(%ebp), %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %edi, %edi
	xor %ebp, %ebp
	jmp *%eax

fail:
	mov $0x3f8, %dx
	mov $msg, %esi
3:	lodsb
	test %al, %al
	jz 4f
	out %al, %dx
	jmp 3b
4:	hlt
	jmp 4b

msg:	.asciz "loader-check: trampoline: bad multiboot module\n"

#ifdef EMBED_DUMP
	.section .data
	.align 4096
embedded_dump:
	.incbin EMBED_DUMP
#endif

	.section .bss
	.align 16
stack:	.space 4096
stack_top:
