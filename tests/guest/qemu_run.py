#!/usr/bin/env python3
"""Run one kvmini test guest under QEMU and report like build/kvmini run.

usage: qemu_run.py [--accel tcg|kvm] [--cpu MODEL] [--mem SIZE] [--smp N] [--append CMDLINE]
                   [--stdin FILE] [--timeout S] IMAGE

IMAGE.elf is booted with -kernel (multiboot), IMAGE.bin (16-bit flat, with a
boot-sector signature) as a raw disk, which SeaBIOS loads at 0000:7c00.
The guest's serial output goes to stdout; the exit status follows kvmini's
contract: a write of V to the isa-debug-exit port 0xf4 gives V*2+1 (QEMU
does that itself), and a guest that ends in HLT with interrupts disabled
gives 0. QEMU has no "halted forever" exit, so we ask its monitor
("info registers") until the CPU reports HLT=1 with EFLAGS.IF clear: the
state in which kvmini ends a run with status 0. No output timing is
involved: --timeout only turns a hung guest into a failure (status 124).
"""
import argparse, os, re, select, subprocess, sys, tempfile, threading, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--append", default=None)
    ap.add_argument("--cpu", default=None, help="QEMU -cpu model")
    ap.add_argument("--mem", default="256", help="QEMU -m (default 256)")
    ap.add_argument("--smp", default=None, help="QEMU -smp (kvmini --cpus)")
    ap.add_argument("--stdin", default=None,
                    help="file whose bytes the guest receives on the UART")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("image")
    a = ap.parse_args()

    fd, out = tempfile.mkstemp(prefix="kvmini-qemu-serial.")
    os.close(fd)
    serial = "file:" + out
    fifo = None
    if a.stdin:
        # QEMU 7.2's file chardev has no input: use a pipe chardev
        # (FIFOs base.in / base.out), fed and drained by threads.
        fifo = tempfile.mkdtemp(prefix="kvmini-qemu-pipe.") + "/s"
        os.mkfifo(fifo + ".in")
        os.mkfifo(fifo + ".out")
        serial = "pipe:" + fifo
    cmd = [a.qemu, "-accel", a.accel, "-nodefaults", "-display", "none",
           "-no-reboot", "-m", a.mem, "-monitor", "stdio",
           "-serial", serial,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if a.cpu:
        cmd += ["-cpu", a.cpu]
    if a.smp:
        cmd += ["-smp", a.smp]
    if a.image.endswith(".bin"):
        cmd += ["-drive", "file=%s,format=raw,if=ide,index=0,snapshot=on"
                % a.image]
    else:
        cmd += ["-kernel", a.image]
        if a.append is not None:
            cmd += ["-append", a.append]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    threads = []
    if fifo:
        def feed():
            with open(fifo + ".in", "wb") as w, open(a.stdin, "rb") as r:
                w.write(r.read())

        def drain():
            with open(fifo + ".out", "rb") as r, open(out, "wb") as w:
                for chunk in iter(lambda: r.read1(4096), b""):
                    w.write(chunk)
                    w.flush()
        threads = [threading.Thread(target=feed, daemon=True),
                   threading.Thread(target=drain, daemon=True)]
        for t in threads:
            t.start()
    status = None
    deadline = time.monotonic() + a.timeout
    buf = b""
    try:
        while status is None:
            if p.poll() is not None:
                status = p.returncode
                break
            if time.monotonic() > deadline:
                status = 124
                break
            try:
                p.stdin.write(b"info registers\n")
                p.stdin.flush()
            except BrokenPipeError:
                continue
            # read until the next prompt (or QEMU exits)
            buf = b""
            while not re.search(rb"[ER]FL=.*HLT=.*\(qemu\)", buf, re.S):
                r, _, _ = select.select([p.stdout], [], [], 0.5)
                if not r:
                    if p.poll() is not None or time.monotonic() > deadline:
                        break
                    continue
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
            m = re.search(rb"[ER]FL=([0-9a-f]+).*?HLT=(\d)", buf, re.S)
            if m and m.group(2) == b"1" and not int(m.group(1), 16) & 0x200:
                status = 0
                p.stdin.write(b"quit\n")
                p.stdin.flush()
                break
            time.sleep(0.05)
    finally:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for t in threads:
        t.join(timeout=10)
    if fifo:
        for suffix in (".in", ".out"):
            os.unlink(fifo + suffix)
        os.rmdir(os.path.dirname(fifo))
    with open(out, "rb") as f:
        sys.stdout.buffer.write(f.read())
    os.unlink(out)
    if status not in (0, 124) and p.stderr:
        err = p.stderr.read().decode(errors="replace").strip()
        if err:
            print("qemu: " + err, file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
