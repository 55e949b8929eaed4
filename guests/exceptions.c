// SPDX-License-Identifier: MIT
/*
 * exceptions32 / exceptions64: each fault is raised on purpose, caught by
 * the guest's own IDT handler, which prints vector and error code and
 * resumes after the faulting instruction; then the guest checks what the
 * handler saw: vector, error code, the saved IP (the faulting instruction
 * for faults, the next one for the #BP trap) and CR2 for #PF.
 *   #DE div by 0, quotient overflow and INT_MIN/-1; #UD ud2; #GP bad
 *   selector (error code = the selector), #GP non-canonical address
 *   (64-bit) / null SS (32-bit); #PF read and write of a not-present page
 *   (32-bit turns paging on); #NP loading a not-present data descriptor;
 *   #SS: not-present SS (32-bit), non-canonical RBP-based access (64-bit);
 *   #DB single step (EFLAGS.TF, DR6.BS); #BP int3 (last).
 * QEMU 7.2 TCG raises #GP(0) instead of #SS(0) for the non-canonical
 * RBP-based access (exceptions64.qemu.*); KVM and the soft CPU raise #SS.
 */
#include "rt.h"

#ifdef __x86_64__
#define MOVP	     "movq"
#define MODE	     "64"
#define SFX	     "q"
#define SP	     "rsp"
#define MODE_SS_NAME "#SS non-canonical RBP-based load"
#define MODE_SS_ERR  0
#else
#define MOVP	     "movl"
#define MODE	     "32"
#define SFX	     "l"
#define SP	     "esp"
#define MODE_SS_NAME "#SS mov ss, not-present"
#define MODE_SS_ERR  RT_GDT_FREE
#endif

/* Set by each TRY: where the faulting instruction is, where to resume. */
static volatile uintptr_t fault_ip, resume_ip;
static volatile struct {
	unsigned long vec, err, ip, cr2;
	int hits;
} seen;
static int checks, failures;

static void handler(struct rt_frame *f)
{
	seen.vec = f->vec;
	seen.err = f->err;
	seen.ip = f->ip;
	seen.cr2 = f->vec == 14 ? read_cr2() : 0;
	seen.hits++;
	rt_printf("  handler: vector %lu error %lx\n", (unsigned long)f->vec,
		  (unsigned long)f->err);
	f->ip = resume_ip;
	f->flags &= ~0x100ul; /* single step: stop stepping */
}

/* "0:" marks the instruction that should fault, "1:" where to go on. */
#define TRY(insn, ...)                                                         \
	__asm__ volatile(MOVP " $0f, %[fip]\n\t" MOVP " $1f, %[rip]\n\t"       \
			      "0: " insn "\n1:"                                \
			 : [fip] "=m"(fault_ip), [rip] "=m"(resume_ip)         \
			 : __VA_ARGS__)
/* the same for a sequence that places the "0:" and "1:" labels itself */
#define TRYX(insns, ...)                                                       \
	__asm__ volatile(MOVP " $0f, %[fip]\n\t" MOVP " $1f, %[rip]\n\t" insns \
			 : [fip] "=m"(fault_ip), [rip] "=m"(resume_ip)         \
			 : __VA_ARGS__)

static void expect(const char *name, unsigned long vec, unsigned long err,
		   int trap)
{
	unsigned long want_ip = trap ? resume_ip : fault_ip;
	int ok = seen.hits == 1 && seen.vec == vec && seen.err == err &&
		 seen.ip == want_ip;
	checks++;
	rt_printf("%s: vector %lu error %lx, saved ip %s: %s\n", name, seen.vec,
		  seen.err, trap ? "next insn" : "faulting insn",
		  ok ? "ok" : "WRONG");
	if (!ok) {
		failures++;
		rt_printf("  wanted vector %lu error %lx hits 1, got hits %d "
			  "ip %lx want %lx\n",
			  vec, err, seen.hits, seen.ip, want_ip);
	}
	seen.hits = 0;
}

static void expect_cr2(unsigned long want)
{
	checks++;
	rt_printf("  cr2 %lx: %s\n", seen.cr2,
		  seen.cr2 == want ? "ok" : "WRONG");
	if (seen.cr2 != want)
		failures++;
}

int main(void)
{
	for (int v = 0; v < 32; v++)
		rt_set_handler(v, handler);

	rt_puts("exceptions" MODE ": #DE\n");
	{
		unsigned a = 1234, d = 0, zero = 0;
		TRY("divl %[z]", [z] "r"(zero), "a"(a), "d"(d));
		expect("#DE div by zero", 0, 0, 0);
		unsigned one = 1, m1 = 0xffffffff;
		TRY("divl %[s]", [s] "r"(one), "a"(0), "d"(2));
		expect("#DE quotient overflow", 0, 0, 0);
		TRY("idivl %[s]", [s] "r"(m1), "a"(0x80000000), "d"(m1));
		expect("#DE idiv INT_MIN/-1", 0, 0, 0);
	}

	rt_puts("exceptions" MODE ": #UD\n");
	TRY("ud2", "i"(0));
	expect("#UD ud2", 6, 0, 0);

	rt_puts("exceptions" MODE ": #GP\n");
	/* selector 0x1230 is far beyond the GDT limit: #GP(selector) */
	TRY("mov %[sel], %%ds", [sel] "r"(0x1230));
	expect("#GP mov ds, 0x1230", 13, 0x1230, 0);
#ifdef __x86_64__
	{
		uint64_t nc = 0x8000000000000000ull;
		TRY("mov (%[p]), %%al", [p] "r"(nc) : "eax");
		expect("#GP non-canonical load", 13, 0, 0);
	}
#else
	TRY("mov %[sel], %%ss", [sel] "r"(0));
	expect("#GP mov ss, null", 13, 0, 0);
#endif

	rt_puts("exceptions" MODE ": #PF\n");
	{
#ifdef __x86_64__
		rt_map_2m(0x00800000, 0);
#else
		rt_paging32_enable();
		rt_map_4m(0x00800000, 0);
#endif
		volatile uint32_t *p = (volatile uint32_t *)0x00800124;
		TRY("movl (%[p]), %%eax", [p] "r"(p) : "eax");
		expect("#PF read not-present", 14, 0, 0);
		expect_cr2(0x00800124);
		TRY("movl %%eax, (%[p])", [p] "r"(p + 1), "a"(0) : "memory");
		expect("#PF write not-present", 14, 2, 0);
		expect_cr2(0x00800128);
#ifdef __x86_64__
		rt_map_2m(0x00800000, 1);
#else
		rt_map_4m(0x00800000, 1);
#endif
		p[0] = 0xfeedf00d; /* mapped again: no fault */
		checks++;
		int ok = seen.hits == 0 && p[0] == 0xfeedf00d;
		rt_printf("  remapped page reads back: %s\n",
			  ok ? "ok" : "WRONG");
		if (!ok)
			rt_printf("  hits %d value %x\n", seen.hits, p[0]);
		failures += !ok;
	}

	rt_puts("exceptions" MODE ": #NP, #SS\n");
	{
		/* a data descriptor with P=0 in the guests' free GDT slot */
		extern uint64_t rt_gdt[];
		rt_gdt[RT_GDT_FREE / 8] = 0x004f12000000ffffull;
		TRY("mov %[sel], %%es", [sel] "r"(RT_GDT_FREE));
		expect("#NP mov es, not-present", 11, RT_GDT_FREE, 0);
		__asm__ volatile("mov %0, %%es" : : "r"(RT_KDATA));
#ifdef __x86_64__
		/* an RBP-based access uses SS: non-canonical -> #SS(0) */
		uint64_t nc = 0x8000000000000000ull;
		TRYX("push %%rbp; mov %[p], %%rbp\n0: movb (%%rbp), %%al\n1: "
		     "pop %%rbp",
		     [p] "r"(nc)
		     : "eax");
#else
		TRY("mov %[sel], %%ss", [sel] "r"(RT_GDT_FREE));
#endif
		expect(MODE_SS_NAME, 12, MODE_SS_ERR, 0);
	}

	rt_puts("exceptions" MODE ": #DB single step\n");
	{
		unsigned long dr6;
		__asm__ volatile("mov %0, %%dr6" : : "r"(0ul));
		TRYX("pushf; or" SFX " $0x100, (%%" SP "); popf\n0: nop\n1:",
		     "i"(0));
		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		expect("#DB after one instruction", 1, 0, 1);
		checks++;
		rt_printf("  DR6.BS %lu: %s\n", (dr6 >> 14) & 1,
			  (dr6 >> 14) & 1 ? "ok" : "WRONG");
		failures += !((dr6 >> 14) & 1);
	}

	/* last: kvm_pvm hosts cannot emulate INT3 at CPL0, and a run on
	 * such a host is still checked up to here (see guests/README.md) */
	rt_puts("exceptions" MODE ": #BP\n");
	TRY("int3", "i"(0));
	expect("#BP int3", 3, 0, 1);

	if (failures) {
		rt_printf("exceptions" MODE ": %d of %d checks FAILED\n",
			  failures, checks);
		return 3;
	}
	rt_printf("exceptions" MODE ": all %d checks passed\n", checks);
	return 0;
}
