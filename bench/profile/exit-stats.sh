#!/usr/bin/env bash
# Builds a diagnostic copy of kvmini with counters (bench/profile/
# prof_counters.c): VM exits by basic reason, port I/O exits by port and
# direction, MMIO exits by page, time blocked in HLT, retired instructions,
# decode-cache misses (Zydis decodes), soft-TLB slow paths, page walks, VM
# entries. The copy lives in $PROF_DIR (default /tmp/kvmini-prof); the tree
# is not touched. Prints the path of the built binary.
#
#   bash bench/profile/exit-stats.sh            # -> /tmp/kvmini-prof/build/kvmini
#   KVMINI_PROF=/tmp/p.txt /tmp/kvmini-prof/build/kvmini run ...
set -eu
cd "$(dirname "$0")/../.."
D=${PROF_DIR:-/tmp/kvmini-prof}
rm -rf "$D/src"
mkdir -p "$D/src"
cp -r Makefile cpu kvm vmm tools include "$D/src/"
cp bench/profile/prof_counters.c "$D/src/tools/prof_counters.c"
cd "$D/src"
python3 - <<'PY'
import re, sys
def patch(path, anchor, text, after=True, count=1):
    s = open(path).read()
    if anchor not in s:
        sys.exit(f"exit-stats: anchor not found in {path}: {anchor!r}")
    s = s.replace(anchor, anchor + text if after else text + anchor, count)
    open(path, 'w').write(s)
ext = "extern unsigned long long prof_dummy;\n"
# VM exits by reason, I/O by port, MMIO by page
patch("kvm/x86/vmx/handle_exit.c", "int vmx_handle_exit(struct kvm_vcpu *vcpu)\n{",
      "", after=True)
patch("kvm/x86/vmx/handle_exit.c", "\tif (basic < NR_HANDLERS && kvm_vmx_exit_handlers[basic])\n",
      "\t{ extern uint64_t prof_exits[80], prof_io[65536][2]; extern void prof_mmio_note(uint64_t);\n"
      "\t  if (basic < 80) prof_exits[basic]++;\n"
      "\t  if (basic == 30) prof_io[(e->qualification >> 16) & 0xffff][(e->qualification >> 3) & 1]++;\n"
      "\t  if (basic == 48 || basic == 49) prof_mmio_note(e->gpa); }\n", after=False)
# time blocked in HLT (in-kernel irqchip)
patch("kvm/x86/irq/irq.c", "\t\tapic->blocked = true;\n\t\tpthread_cond_timedwait(&apic->cond, &chip->lock, &ts);\n\t\tapic->blocked = false;\n",
      "", after=True)
s = open("kvm/x86/irq/irq.c").read()
s = s.replace("\t\tapic->blocked = true;\n\t\tpthread_cond_timedwait(&apic->cond, &chip->lock, &ts);\n\t\tapic->blocked = false;\n",
 "\t\tapic->blocked = true;\n\t\t{ extern uint64_t prof_halt_ns, prof_halt_waits; struct timespec a_, b_;\n"
 "\t\t  clock_gettime(CLOCK_MONOTONIC, &a_);\n"
 "\t\tpthread_cond_timedwait(&apic->cond, &chip->lock, &ts);\n"
 "\t\t  clock_gettime(CLOCK_MONOTONIC, &b_); prof_halt_waits++;\n"
 "\t\t  prof_halt_ns += (uint64_t)((b_.tv_sec - a_.tv_sec) * 1000000000ll + (b_.tv_nsec - a_.tv_nsec)); }\n"
 "\t\tapic->blocked = false;\n", 1)
open("kvm/x86/irq/irq.c", "w").write(s)
# retired instructions, VM entries
patch("cpu/x86/core.c", "\tx86_fpu_ensure(st);\n",
      "\t{ extern uint64_t *prof_insns_p, prof_runs; prof_insns_p = &c->ctl.insns_retired; prof_runs++; }\n"
      "\t{ extern volatile uint64_t *prof_rip_p; prof_rip_p = &st->rip; }\n")
# decode-cache misses, fetch-page misses
patch("cpu/x86/decode.c", "\tavail = 0x1000 - (lin & 0xfff);\n",
      "\t{ extern uint64_t prof_decodes; prof_decodes++; }\n", after=False)
patch("cpu/x86/decode.c", "\t\tp = tlb_hit(c, lin, MA_EXEC);\n",
      "\t\t{ extern uint64_t prof_fetch_miss; prof_fetch_miss++; }\n", after=False)
# soft-TLB slow path and page walks
patch("cpu/x86/mem.c", "\tif (!(st->efer & EFER_LMA) && !c->ctl.flat_paging)\n",
      "\t{ extern uint64_t prof_tlb_slow; prof_tlb_slow++; }\n", after=False)
patch("cpu/x86/paging.c", "\t\t   struct x86_walk *w)\n{\n",
      "\t{ extern uint64_t prof_walks; prof_walks++; }\n")
PY
make -j2 BUILD="$D/build" "$D/build/kvmini" >"$D/build.log" 2>&1 || {
	tail -20 "$D/build.log" >&2
	exit 1
}
echo "$D/build/kvmini"
