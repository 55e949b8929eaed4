#!/usr/bin/env bash
# Malformed images are refused with a reason (checked before any backend
# runs, so these hold on every host).
. "$(dirname "$0")/lib.sh"
code=66baf803b045eef4
B="--backend soft" # never reached: the loader refuses first

bad() { # name pattern image [args]
	local name=$1 pat=$2
	shift 2
	run_kvmini $T/o $T/e run $B "$@"
	check "$name" $([ $rc = 126 ] && grep -q -- "$pat" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"
}

elf32 0x100000 0x100000 0x10000 1 84 8 8 $code >$T/1.elf
bad "ELF: program headers beyond the file" "program headers" $T/1.elf
elf32 0x100000 0x100000 52 1 84 4096 4096 $code >$T/2.elf
bad "ELF: segment beyond the file (truncated)" "truncated" $T/2.elf
elf32 0x100000 0x100000 52 1 84 8 8 $code | head -c 40 >$T/3.elf
bad "ELF: truncated header" "truncated header" $T/3.elf
elf32 0x10000000 0x10000000 52 1 84 8 8 $code >$T/4.elf
bad "ELF: segment outside guest RAM" "outside guest RAM" $T/4.elf --mem 16M
elf32 0xc0001000 0xc0001000 52 1 84 8 8 $code >$T/5.elf
bad "ELF: segment in the MMIO hole" "MMIO hole" $T/5.elf --mem 4G
elf32 0x100000 0x100000 52 1 84 16 8 $code$code >$T/6.elf
bad "ELF: p_filesz > p_memsz" "p_filesz" $T/6.elf
elf32 0x100000 0x100000 52 0 84 8 8 $code >$T/7.elf
bad "ELF: no program headers" "program headers" $T/7.elf
elf32 0x500 0x500 52 1 84 8 8 $code >$T/8.elf
bad "ELF: segment over kvmini's GDT" "GDT" $T/8.elf
elf64 0x10000 0x10000 64 1 120 8 8 $code >$T/9.elf
bad "ELF64: segment over the page tables" "page tables" $T/9.elf
elf32 0x100000 0x900000 52 1 84 8 8 $code >$T/10.elf
bad "ELF: entry point outside RAM" "entry point" $T/10.elf --mem 2M
{ printf '\x7fELF\x03'; head -c 60 /dev/zero; } >$T/11.elf
bad "ELF: bad class" "class" $T/11.elf
# Multiboot header requiring a video mode (flag bit 2).
printf "$(le32 0x1BADB002)$(le32 4)$(le32 $(( (0x100000000 - 0x1BADB002 - 4) & 0xffffffff )))" >$T/mbv.img
bad "multiboot: unsupported required flag named" "video mode" $T/mbv.img
# Multiboot with no ELF and no address fields.
printf "$(le32 0x1BADB002)$(le32 0)$(le32 $(( (0x100000000 - 0x1BADB002) & 0xffffffff )))" >$T/mbn.img
bad "multiboot: neither ELF nor a.out kludge" "not ELF" $T/mbn.img
# a.out kludge with load_end beyond the file.
printf "$(le32 0x1BADB002)$(le32 0x10000)$(le32 $(( (0x100000000 - 0x1BADB002 - 0x10000) & 0xffffffff )))$(le32 0x100000)$(le32 0x100000)$(le32 0x200000)$(le32 0)$(le32 0x100000)" >$T/mbk.img
bad "multiboot: load_end_addr beyond the file" "load_end_addr" $T/mbk.img
# A bzImage is recognised, not called unknown.
{ head -c 514 /dev/zero; printf 'HdrS'; head -c 100 /dev/zero; } >$T/bz.img
run_kvmini $T/o $T/e run $B $T/bz.img
check "bzImage recognised as Linux" $([ $rc = 126 ] && grep -qi "linux" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"

# --initrd is for Linux kernels only; a missing initrd is named.
hex2bin f4 >$T/h.bin
bad "--initrd with a flat binary is refused" "Linux kernels only" --initrd $T/h.bin $T/h.bin
elf32 0x100000 0x100000 52 1 84 8 8 $code >$T/ok.elf
bad "--initrd with an ELF32 is refused" "Linux kernels only" --initrd $T/h.bin $T/ok.elf
if [ -f cache/guest/vmlinuz ]; then
	bad "bzImage with a missing --initrd" "initrd" --initrd $T/none.cpio cache/guest/vmlinuz
else
	skip "bzImage with a missing --initrd" "no cache/guest/vmlinuz (scripts/fetch-guest.sh)"
fi
