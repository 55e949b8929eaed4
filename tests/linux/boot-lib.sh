# Sourced by tests/linux/t_*.sh and bench/boot/*.sh: boots the cached Debian
# guest under some VMM whose serial console is its stdio, waits for the
# initramfs marker, then types commands into the shell and collects output.
#
#   guest_paths            sets VMLINUZ, INITRD, KVER from $KVMINI_CACHE
#                          (default ./cache); returns 1 if not fetched
#   guest_session OUT TIMEOUT CMD...
#                          runs CMD as a coprocess, writes its console to
#                          OUT, sets MARKER_S (seconds from start to the
#                          marker line, "" if never seen), EXIT_S (to exit)
#                          SESSION_RC (0 ok, 1 no marker, 2 no exit) and
#                          VMM_RC (the VMM's exit status)
#   GUEST_SCRIPT           what is typed after the marker (default below)
#   GUEST_END              its last command (default "poweroff -f", which
#                          needs ACPI to end the VM; without ACPI the kernel
#                          only halts: use "reboot -f" with -no-reboot)
#
# Typing only after the marker matters: bytes that reach the UART before
# the shell has the console open are dropped by the kernel's serial driver.

KVMINI_MARKER="kvmini-init: ready"

guest_paths() {
	local c=${KVMINI_CACHE:-cache}
	VMLINUZ=$c/guest/vmlinuz
	INITRD=$c/guest/initrd.cpio.gz
	KVER=$(cat "$c/guest/kernel-version" 2>/dev/null || true)
	[ -f "$VMLINUZ" ] && [ -f "$INITRD" ]
}

# Each answer line starts with "@@<tag> " so it cannot be confused with the
# echo of the typed command (echo is turned off first anyway).
GUEST_SCRIPT_DEFAULT='stty -echo
echo "@@uname $(uname -r)"
echo "@@cpu $(head -1 /proc/cpuinfo)"
echo "@@ncpu $(grep -c ^processor /proc/cpuinfo)"
dd if=/dev/zero bs=1024 count=64 2>/dev/null | tr "\000" k >/tmp/f
echo "@@md5 $(md5sum </tmp/f)"
echo "@@done"
'"${GUEST_END:-poweroff -f}"'
'

now_s() { # seconds since the epoch with microseconds
	echo "${EPOCHREALTIME/,/.}"
}

guest_session() {
	local out=$1 tmo=$2 t0 line deadline el
	shift 2
	MARKER_S="" EXIT_S="" SESSION_RC=1
	: >"$out"
	t0=$(now_s)
	deadline=$((${t0%.*} + tmo))
	# Plain fifos, not a bash coproc: bash closes a coproc's fds when it
	# reaps it, which can lose the last lines of output.
	local fdir gin gout gpid
	fdir=$(mktemp -d)
	mkfifo "$fdir/in" "$fdir/out"
	"$@" <"$fdir/in" >"$fdir/out" 2>&1 &
	gpid=$!
	exec {gin}>"$fdir/in" {gout}<"$fdir/out"
	local carry="" rc
	while :; do
		IFS= read -r -t 5 line <&"$gout"
		rc=$?
		if [ $rc -eq 0 ]; then
			line=$carry$line carry=""
			printf '%s\n' "${line%$'\r'}" >>"$out"
			if [ -z "$MARKER_S" ] && [[ $line == *"$KVMINI_MARKER"* ]]; then
				el=$(now_s)
				MARKER_S=$(awk -v a="$t0" -v b="$el" 'BEGIN{printf "%.3f", b-a}')
				printf '%s' "${GUEST_SCRIPT:-$GUEST_SCRIPT_DEFAULT}" >&"$gin"
			fi
		elif [ $rc -gt 128 ]; then
			# timed out: keep the partial line (a prompt) for later
			carry=$carry$line
		else
			[ -n "$carry$line" ] && printf '%s\n' "$carry$line" >>"$out"
			break # EOF: the VMM exited
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "guest_session: timeout after ${tmo}s" >>"$out"
			kill "$gpid" 2>/dev/null
			break
		fi
	done
	exec {gin}>&- {gout}<&-
	wait "$gpid" 2>/dev/null
	VMM_RC=$?
	rm -rf "$fdir"
	el=$(now_s)
	EXIT_S=$(awk -v a="$t0" -v b="$el" 'BEGIN{printf "%.3f", b-a}')
	if [ -z "$MARKER_S" ]; then
		SESSION_RC=1
	elif grep -qE '^(kvmini# )*@@done$' "$out"; then
		SESSION_RC=0
	else
		SESSION_RC=2
	fi
	return 0
}

# QEMU_CMD=(the QEMU command line for the cached guest); $1 = accel.
qemu_cmd() {
	QEMU_CMD=(qemu-system-x86_64 -accel "$1" -m 512 -smp 1
		-kernel "$VMLINUZ" -initrd "$INITRD"
		-append "console=ttyS0 panic=-1 ${GUEST_APPEND:-}"
		-nographic -nodefaults -serial stdio -no-reboot)
}

# guest_answer OUT TAG: the guest's answer line "@@TAG value" (value only).
guest_answer() {
	sed -n "s/^\(kvmini# \)*@@$2 //p" "$1" | head -1
}
