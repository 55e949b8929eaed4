#!/usr/bin/env bash
# Tiny hand-assembled guests on --backend kvm: output, exit statuses, the
# UART, the exit port, unclaimed ports, string I/O, ELF32/ELF64/multiboot
# entry, and guest faults reported with registers.
. "$(dirname "$0")/lib.sh"

why=$(kvm_unusable)
if [ -n "$why" ]; then
	skip "run guests on --backend kvm" "$why"
	exit 0
fi
B="--backend kvm"

# expect NAME STATUS STDOUT-FILE-OR-STRING IMAGE [ARGS...]
expect() {
	local name=$1 status=$2 want=$3
	shift 3
	run_kvmini $T/o $T/e run $B "$@"
	if [ -f "$want" ]; then cmp -s "$want" $T/o; same=$?; else [ "$(cat $T/o)" = "$want" ]; same=$?; fi
	check "$name" $([ $rc = "$status" ] && [ $same = 0 ] && echo 0) \
		"status $rc (want $status)" "stdout: $(head -c 200 $T/o | od -c | head -3)" "stderr: $(head -5 $T/e)"
}

# mov dx,0x3f8; mov al,'A'; out dx,al; mov al,10; out dx,al; hlt
hex2bin baf803b041eeb00aeef4 >$T/a.bin
expect "flat: UART output 'A', clean HLT -> 0" 0 "A" $T/a.bin
hex2bin baf803b041eeb00aeef4 >$T/a.img
expect "flat via --flat (no .bin name)" 0 "A" --flat $T/a.img
expect "flat at --load-addr 0x1000" 0 "A" --load-addr 0x1000 $T/a.bin
expect "flat at --load-addr 0x20000 (CS=0x2000)" 0 "A" --load-addr 0x20000 $T/a.bin
hex2bin fbf4 >$T/sti.bin
expect "sti; hlt with no interrupt source ends cleanly" 0 "" $T/sti.bin

# mov al,5; out 0xf4,al; hlt
hex2bin b005e6f4f4 >$T/x.bin
expect "exit port byte write 5 -> status 11" 11 "" $T/x.bin
# mov ax,0x1234; out 0xf4,ax
hex2bin b83412e7f4f4 >$T/x16.bin
expect "exit port word write 0x1234 -> status 0x69" 105 "" $T/x16.bin
# mov eax,1; out 0xf4,eax
hex2bin 66b80100000066e7f4f4 >$T/x32.bin
expect "exit port dword write 1 -> status 3" 3 "" $T/x32.bin
# mov dx,0xf6; mov al,2; out dx,al  (inside the 4-byte window)
hex2bin baf600b002eef4 >$T/x2.bin
expect "exit port at 0xf6 (iosize 4 window) -> status 5" 5 "" $T/x2.bin

# in al,0x61 (unclaimed); inc al; out 0xf4,al -> 0xff+1 = 0 -> status 1
hex2bin e461fec0e6f4f4 >$T/u.bin
expect "unclaimed port reads 0xff" 1 "" $T/u.bin
# in ax,0x61; inc ax; mov al,ah... : in ax -> 0xffff; add ax,1 -> 0; out 0xf4,al
hex2bin e561050100e6f4f4 >$T/u16.bin
expect "unclaimed port word read is 0xffff" 1 "" $T/u16.bin
run_kvmini $T/o $T/e run $B --trace $T/u.bin
check "--trace logs the unclaimed read" $(grep -q "unclaimed port read 0x61" $T/e && echo 0) "$(cat $T/e)"

# Garbage: rep outsb 16 code bytes to THR; MCR loopback; THR 'Z' comes back
# on RBR; exit with it: 'Z'*2+1 = 181.
hex2bin baf803be007cb91000f36ebafc03b010eebaf803b05aeeece6f4f4 >$T/g.bin
head -c 16 $T/g.bin >$T/g.want
expect "string OUT to the UART, then loopback echo via RBR" 181 $T/g.want $T/g.bin

# Scratch register and DLAB divisor latch read back:
# out 0x3ff,0x5a; out 0x3fb,0x80; out 0x3f8,0x07; in 0x3f8 -> 7; out 0x3fb,3;
# in 0x3ff -> 0x5a; add al,(0x07) ... exit (0x5a+7)=0x61 -> status 0xc3=195
hex2bin baff03b05aeebafb03b080eebaf803b007eeec88c3bafb03b003eebaff03ec00d8e6f4f4 >$T/s.bin
expect "UART scratch + divisor latch read back" 195 "" $T/s.bin

# Input: stdin (not a tty) -> RBR. Poll LSR.DR, read a byte, exit with it.
# mov dx,0x3fd; l: in al,dx; test al,1; jz l; mov dx,0x3f8; in al,dx; out 0xf4,al
hex2bin bafd03eca80174fbbaf803ece6f4f4 >$T/in.bin
printf 'a' | timeout 60 "$KVMINI" run $B $T/in.bin >$T/o 2>$T/e
rc=$?
check "UART input from stdin: 'a' -> status 195" $([ $rc = 195 ] && echo 0) "rc=$rc" "$(cat $T/e)"

# Triple fault: lidt [0x7c08] (limit 0); int3. KVM reports a shutdown (or,
# on hosts that emulate real mode, may give up with an internal error):
# either way status 128 with the registers on stderr.
hex2bin 0f011e087ccc90f4000000000000 >$T/tf.bin
run_kvmini $T/o $T/e run $B $T/tf.bin
check "real-mode guest crash: status 128, registers on stderr" \
	$([ $rc = 128 ] && grep -qE "triple fault|internal error" $T/e && grep -q "rip=" $T/e && grep -q "cr0=" $T/e && echo 0) \
	"rc=$rc" "$(head -5 $T/e)"

# Protected-mode triple fault: lidt [0x100009] (limit 0); ud2.
elf32 0x100000 0x100000 52 1 84 15 15 0f011d090010000f0b000000000000 >$T/tf32.elf
run_kvmini $T/o $T/e run $B $T/tf32.elf
check "triple fault: status 128, KVM_EXIT_SHUTDOWN, registers" \
	$([ $rc = 128 ] && grep -q "triple fault" $T/e && grep -q "rip=0000000000100007" $T/e && echo 0) \
	"rc=$rc" "$(head -5 $T/e)"

# ELF32 and ELF64 at 1 MiB: mov dx,0x3f8; mov al,'E'; out dx,al; hlt
code=66baf803b045eef4
elf32 0x100000 0x100000 52 1 84 8 8 $code >$T/e32.elf
expect "ELF32: loaded at p_paddr, 32-bit protected mode" 0 "E" $T/e32.elf
elf64 0x100000 0x100000 64 1 120 8 4096 $code >$T/e64.elf
expect "ELF64: long mode on identity page tables" 0 "E" $T/e64.elf
elf64 0x100000 0x100000 64 1 120 8 8 $code >$T/e64h.elf
expect "ELF64 with --mem 5G (RAM above the hole)" 0 "E" --mem 5G $T/e64h.elf

# MMIO: a write to the hole is dropped, a read returns all ones:
# mov dword [0xd0000000],0x12345678; mov eax,[0xd0000000]; inc eax; out 0xf4,al
elf32 0x100000 0x100000 52 1 84 19 19 c705000000d078563412a1000000d040e6f4f4 >$T/mmio.elf
expect "unclaimed MMIO: writes dropped, reads all ones" 1 "" $T/mmio.elf
run_kvmini $T/o $T/e run $B --trace $T/mmio.elf
check "--trace logs unclaimed MMIO" $(grep -q "unclaimed MMIO write 0xd0000000" $T/e &&
	grep -q "unclaimed MMIO read 0xd0000000" $T/e && echo 0) "$(cat $T/e)"

# Multiboot (a.out kludge): checks EAX, prints the command line, exits
# with mem_upper in MiB: --mem 16M -> 15 -> status 31.
hex2bin 02b0ad1b00000100fe4f51e400001000000010000000000000000000200010003d02b0ad2b751ff7030400000074178b731066baf803ac84c07403eeebf88b4308c1e80ae6f4b07fe6f4 >$T/mb.img
expect "multiboot: EAX magic, cmdline from -- args, mem_upper" 31 "hello guest" --mem 16M $T/mb.img -- hello guest
expect "multiboot without args: no cmdline flag -> status 0x7f*2+1" 255 "" --mem 16M $T/mb.img

# --cpus 2: vCPU 1 is parked, vCPU 0 runs.
expect "--cpus 2 runs the BSP" 0 "A" --cpus 2 $T/a.bin
# With the in-kernel irqchip the AP sits in KVM_RUN waiting for SIPI; the
# exit port must still end the run (the AP is kicked out).
expect "--irqchip --cpus 2: exit port ends the run" 11 "" --irqchip --cpus 2 $T/x.bin
# Reset control register: out 0xcf9, 6 -> a reset request ends the run, 0.
hex2bin baf90cb006eeebfe >$T/rst.bin
run_kvmini $T/o $T/e run $B $T/rst.bin
check "reset via 0xcf9 ends the run with 0" $([ $rc = 0 ] && grep -q "reset" $T/e && echo 0) "rc=$rc" "$(cat $T/e)"

