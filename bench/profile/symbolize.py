#!/usr/bin/env python3
"""Guest RIP histogram -> kernel functions.

usage: symbolize.py RIPS_FILE VMLINUX|KALLSYMS [TOP]
Debian ships a stripped vmlinux and a placeholder System.map: take the
symbols from the guest's /proc/kallsyms (booted with nokaslr; profile.sh
saves it).
RIPS_FILE: "hexrip count" lines (prof_counters.c's $KVMINI_PROF.rips, 1 kHz
samples of the vCPU's RIP). The kernel must have run with nokaslr so
vmlinux's addresses apply. RIPs outside the kernel image are grouped
(below 4 GiB: decompressor / early boot code at physical addresses;
user space; other kernel addresses: modules, BPF, vsyscall).
"""
import bisect
import subprocess
import sys

rips_path, vmlinux = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
syms = []
if not vmlinux.endswith("vmlinux"):  # System.map or /proc/kallsyms text
    lines = open(vmlinux).read().splitlines()
else:
    lines = subprocess.run(["nm", "-n", vmlinux], capture_output=True,
                           text=True).stdout.splitlines()
for line in lines:
    parts = line.split()
    if len(parts) == 3 and parts[1] in "tTwW":
        syms.append((int(parts[0], 16), parts[2]))
syms.sort()
addrs = [a for a, _ in syms]
hist, total = {}, 0
for line in open(rips_path):
    r, n = line.split()
    r, n = int(r, 16), int(n)
    total += n
    if r < 1 << 32:
        name = "[boot code below 4 GiB: decompressor/setup]"
    elif r < 0xffff800000000000:
        name = "[user space]"
    else:
        i = bisect.bisect_right(addrs, r) - 1
        name = syms[i][1] if i >= 0 and r - addrs[i] < 1 << 20 else "[kernel: other]"
    hist[name] = hist.get(name, 0) + n
print(f"{total} samples (1 kHz of vCPU wall time)")
for name, n in sorted(hist.items(), key=lambda x: -x[1])[:top]:
    print(f"{100.0 * n / total:6.2f}% {n:7d}  {name}")
