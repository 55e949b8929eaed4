#!/usr/bin/env bash
# The serial console: on a terminal (a pty here) raw mode, Ctrl-A escapes
# and the terminal restored on every exit path; on pipes, bytes pass
# through untouched. Timeouts are hang guards only.
. "$(dirname "$0")/lib.sh"

G="$BUILD/guests"
if ! command -v python3 >/dev/null; then
	skip "console tests" "python3 not installed"
	exit 0
fi
for g in hello64 serialin; do
	if [ ! -f "$G/$g.elf" ]; then
		skip "console tests" "$G/$g.elf not built"
		exit 0
	fi
done

# ptyrun.py LOG SCRIPT: runs `sh -c SCRIPT` on a new pty, then follows steps
# from stdin, one a line: "wait TEXT" (until TEXT was output), "send HEX",
# "kill SIG" (to the pid the script printed as "pid=N"), "state X" (until
# that pid's /proc state is X), "mode raw|cooked" (until the pty is).
# Saves all output to LOG; exits 1 if a wait hit its hang guard.
cat >"$T/ptyrun.py" <<'EOF'
import os, pty, re, select, signal, sys, termios, time
log, script = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", script])
buf, ok = b"", True
def pump(t):
    global buf
    r, _, _ = select.select([fd], [], [], t)
    if not r:
        return True
    try:
        d = os.read(fd, 65536)
    except OSError:
        return False
    buf += d
    return bool(d)
def wait(text, guard=90):
    end = time.time() + guard
    while text not in buf:
        if time.time() > end or not pump(1):
            return text in buf
    return True
for line in sys.stdin:
    cmd, _, arg = line.rstrip("\n").partition(" ")
    if cmd == "wait":
        ok = wait(arg.encode()) and ok
    elif cmd == "send":
        os.write(fd, bytes.fromhex(arg))
    elif cmd == "kill":
        m = re.search(rb"pid=(\d+)", buf)
        if m:
            os.kill(int(m.group(1)), getattr(signal, arg))
    elif cmd in ("state", "mode"):
        # state S: the pid's /proc state letter; mode raw|cooked: ICANON
        # of the pty (tcgetattr on the master reads the slave's).
        m = re.search(rb"pid=(\d+)", buf)
        end, seen = time.time() + 90, False
        while m and time.time() < end and not seen:
            if cmd == "state":
                st = open("/proc/%s/stat" % m.group(1).decode()).read()
                seen = st.rsplit(")", 1)[1].split()[0] == arg
            else:
                canon = bool(termios.tcgetattr(fd)[3] & termios.ICANON)
                seen = canon == (arg == "cooked")
            if not seen:
                pump(0.05)
        ok = seen and ok
end = time.time() + 90
while time.time() < end and pump(1):
    pass
os.waitpid(pid, 0)
open(log, "wb").write(buf)
sys.exit(0 if ok else 1)
EOF

# The shell prints the terminal mode, runs kvmini, prints its status (on
# a line of its own: a killed guest may leave half a line) and the mode.
wrap() {
	echo "echo before=\$(stty -g); $1; r=\$?; echo; echo rc=\$r; echo after=\$(stty -g)"
}

# stty_same LOG: the mode after equals the mode before.
stty_same() {
	local b a
	b=$(grep -a '^before=' "$1" | tr -d '\r')
	a=$(grep -a '^after=' "$1" | tr -d '\r')
	[ -n "$b" ] && [ "${b#before=}" = "${a#after=}" ]
}

rc_is() { grep -aq "^rc=$2"$'\r'"\?\$" "$1"; }

K="$KVMINI run --backend soft"

# 1. Ctrl-A X ends a guest that waits forever (HLT inside KVM) and never
#    reads its input (8 KiB typed first).
typed=$(printf '61%.0s' $(seq 8192))
timeout 200 python3 "$T/ptyrun.py" "$T/quit.log" "$(wrap "$K --irqchip $G/hello64.elf")" \
	<<<"wait hello from 64-bit"$'\n'"send $typed"$'\nsend 0178\nwait rc=' >/dev/null 2>&1
check "Ctrl-A X quits with status 0 and says so" \
	"$(rc_is "$T/quit.log" 0 && grep -aq 'kvmini: terminated by Ctrl-A X' "$T/quit.log"; echo $?)" \
	"$(tail -c 400 "$T/quit.log" | cat -v)"
check "typed input beyond what the guest takes is dropped, with a note" \
	"$(grep -aq 'typed bytes dropped' "$T/quit.log"; echo $?)"
check "terminal mode restored after Ctrl-A X" \
	"$(stty_same "$T/quit.log"; echo $?)" "$(grep -a -e before= -e after= "$T/quit.log")"

# 2. Ctrl-A H prints help; typed bytes reach the guest; Ctrl-A Ctrl-A is a
#    literal ^A; the guest ends itself (status 0).
timeout 200 python3 "$T/ptyrun.py" "$T/type.log" "$(wrap "$K $G/serialin.elf")" \
	<<<$'wait quit" ends\nsend 0168\nwait this help\nsend 61620101630a\nwait 4: AB\nsend 717569740a\nwait rc=' \
	>/dev/null 2>&1
check "Ctrl-A H prints the escape help" \
	"$(grep -aq 'Ctrl-A   send Ctrl-A' "$T/type.log"; echo $?)"
check "terminal input reaches the guest, Ctrl-A Ctrl-A sends ^A" \
	"$(grep -aq $'4: AB\x01C' "$T/type.log" && grep -aq 'serialin: bye' "$T/type.log" && rc_is "$T/type.log" 0; echo $?)" \
	"$(tail -c 400 "$T/type.log" | cat -v)"
check "terminal mode restored after the guest's own exit" \
	"$(stty_same "$T/type.log"; echo $?)"

# 3. A guest flooding output while the pty is not read: Ctrl-A X still ends it.
printf '\xba\xf8\x03\xb0\x79\xee\xeb\xfb' >"$T/flood.bin" # out 'y' forever
timeout 200 python3 "$T/ptyrun.py" "$T/flood.log" "$(wrap "$K --flat $T/flood.bin")" \
	<<<$'wait yyyy\nsend 0178\nwait rc=' >/dev/null 2>&1
check "Ctrl-A X ends a guest flooding a stalled terminal" \
	"$(rc_is "$T/flood.log" 0 && grep -aq 'terminated by Ctrl-A X' "$T/flood.log"; echo $?)" \
	"$(tail -c 300 "$T/flood.log" | cat -v)"
check "terminal mode restored after the flood" "$(stty_same "$T/flood.log"; echo $?)"

# 3b. A guest spinning in compute, no exits: Ctrl-A X still ends it.
printf '\xba\xf8\x03\xb0\x52\xee\xeb\xfe' >"$T/spin.bin" # out 'R'; jmp $
timeout 200 python3 "$T/ptyrun.py" "$T/spin.log" "$(wrap "$K --flat $T/spin.bin")" \
	<<<$'wait R\nsend 0178\nwait rc=' >/dev/null 2>&1
check "Ctrl-A X ends a guest spinning without exits" \
	"$(rc_is "$T/spin.log" 0 && grep -aq 'terminated by Ctrl-A X' "$T/spin.log" && stty_same "$T/spin.log"; echo $?)" \
	"$(tail -c 300 "$T/spin.log" | cat -v)"

# 4. Signals: the terminal is restored, then kvmini dies of the signal.
for sig in TERM HUP INT SEGV; do
	s="sh -c 'echo pid=\$\$; exec $K --irqchip $G/hello64.elf'"
	timeout 200 python3 "$T/ptyrun.py" "$T/sig.log" "$(wrap "$s")" \
		<<<$'wait hello from 64-bit\nkill SIG'"$sig"$'\nwait rc=' >/dev/null 2>&1
	want=$((128 + $(kill -l "$sig")))
	# A crash signal goes on to the previous handler: under ASan that
	# one reports and aborts (abort_on_error=1: 134).
	[ $sig = SEGV ] && want='\(139\|134\|1\)'
	check "SIG$sig: kvmini dies of it, terminal mode restored" \
		"$(rc_is "$T/sig.log" "$want" && stty_same "$T/sig.log"; echo $?)" \
		"$(grep -a -e rc= -e before= -e after= "$T/sig.log" | cat -v)"
done

# 4b. Stopped by SIGTSTP: cooked while stopped, raw again when continued.
s="sh -c 'echo pid=\$\$; exec $K --irqchip $G/hello64.elf'"
timeout 200 python3 "$T/ptyrun.py" "$T/tstp.log" "$(wrap "$s")" \
	<<<$'wait hello from 64-bit\nmode raw\nkill SIGTSTP\nstate T\nmode cooked\nkill SIGCONT\nmode raw\nsend 0178\nwait rc=' \
	>/dev/null 2>&1
r=$?
check "SIGTSTP/SIGCONT: cooked while stopped, raw again, Ctrl-A X after" \
	"$([ $r = 0 ] && rc_is "$T/tstp.log" 0 && stty_same "$T/tstp.log"; echo $?)" \
	"ptyrun=$r" "$(tail -c 300 "$T/tstp.log" | cat -v)"

# 5. Piped stdin: bytes pass through untouched (no escapes), EOF is fine.
printf 'hello\na\001xb\nquit\n' | timeout 60 $K "$G/serialin.elf" >"$T/pipe.out" 2>"$T/pipe.err"
rc=$?
check "piped stdin reaches the guest, ^A X passes through" \
	"$([ $rc = 0 ] && grep -q '^5: HELLO$' "$T/pipe.out" && grep -aq $'^4: A\x01XB$' "$T/pipe.out"; echo $?)" \
	"rc=$rc" "$(cat -v "$T/pipe.out" "$T/pipe.err")"
head -c 100000 /dev/zero | timeout 60 $K "$G/hello64.elf" >"$T/unread.out" 2>&1
rc=$?
check "piped input the guest never reads does not hold up its exit" \
	"$([ $rc = 0 ] && grep -q 'multiboot magic ok' "$T/unread.out"; echo $?)" "rc=$rc" "$(cat "$T/unread.out")"
$K --irqchip "$G/hello64.elf" </dev/null >"$T/eof.out" 2>&1 &
p=$!
# hello64 halts with interrupts off: with the irqchip it waits for ever;
# stdin's EOF must not end or break the run. Stop it once it printed.
for _ in $(seq 600); do grep -q 'multiboot magic ok' "$T/eof.out" && break; sleep 0.1; done
kill -TERM $p 2>/dev/null
wait $p
rc=$?
check "EOF on piped stdin leaves the guest running" \
	"$([ $rc = 143 ] && grep -q 'multiboot magic ok' "$T/eof.out"; echo $?)" "rc=$rc" "$(cat "$T/eof.out")"
