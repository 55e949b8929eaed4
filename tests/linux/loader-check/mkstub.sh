#!/usr/bin/env bash
# Builds a self-contained multiboot/ELF32 image that boots Linux from
# linux_load()'s layout: loaddump runs the loader on the kernel + initrd, and
# trampoline.S (with the dump linked in) copies it into place, switches to
# the loader's entry state and jumps to the kernel. Any VMM that loads an
# ELF32/multiboot image can then run Debian's kernel, e.g. before its own
# --kernel option exists:
#   bash tests/linux/loader-check/mkstub.sh -o /tmp/linux-stub.elf
#   build/kvmini run --backend soft --mem 512M /tmp/linux-stub.elf
# Options: -k KERNEL (default cache/guest/vmlinuz; an ELF vmlinux gives PVH)
#          -i INITRD (default cache/guest/initrd.cpio.gz)
#          -a CMDLINE (default "console=ttyS0 panic=-1")
#          -m MiB of RAM the loader may use (default 448: leave the VMM's
#             top of RAM alone) -o OUT (required)
set -euo pipefail
cd "$(dirname "$0")/../../.."
c=${KVMINI_CACHE:-cache}
kernel=$c/guest/vmlinuz initrd=$c/guest/initrd.cpio.gz
cmdline="console=ttyS0 panic=-1" mib=448 out=""
while getopts k:i:a:m:o: o; do
	case $o in
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	a) cmdline=$OPTARG ;;
	m) mib=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '2,16p' "$0"; exit 2 ;;
	esac
done
[ -n "$out" ] || { sed -n '2,16p' "$0"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d=tests/linux/loader-check
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I. -Iinclude \
	"$d/loaddump.c" vmm/boot/linux.c vmm/boot/pvh.c -o "$work/loaddump"
"$work/loaddump" "$kernel" "$initrd" "$cmdline" "$mib" "$work/dump.bin" >&2
gcc -m32 -nostdlib -static -Wl,-Ttext=0x10000000 -Wl,--build-id=none \
	-Wl,-e,_start -DEMBED_DUMP="\"$work/dump.bin\"" "$d/trampoline.S" -o "$out"
echo "mkstub: $out (load at 256 MiB; give the VM at least $((mib + 64)) MiB)" >&2
