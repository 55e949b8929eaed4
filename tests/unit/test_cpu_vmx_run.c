// SPDX-License-Identifier: GPL-2.0
/*
 * End to end through cpu/vmx and the x86 core: hand-built VMCS + EPT, a
 * real-mode unrestricted guest at GPA 0x1000, VMLAUNCH/VMRESUME, and the
 * exit information KVM would read. Skipped while the core is not linked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "cpu/vmx/core_glue.h"
#include "cpu_vmx_fixture.h"

static int setup(void **state)
{
	*state = vfx_create("default");
	return 0;
}

static int teardown(void **state)
{
	if (*state)
		vfx_destroy(*state);
	return 0;
}

static void code(struct vfx *f, const uint8_t *bytes, size_t n)
{
	memcpy(f->mem[1], bytes, n);
}

static uint64_t launch(struct vfx *f)
{
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_SUCCEED);
	return vfx_rd(f, VM_EXIT_REASON);
}

static uint64_t resume_after(struct vfx *f)
{
	vfx_wr(f, GUEST_RIP,
	       vfx_rd(f, GUEST_RIP) + vfx_rd(f, VM_EXIT_INSTRUCTION_LEN));
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	return vfx_rd(f, VM_EXIT_REASON);
}

static void test_mov_out_hlt(void **state)
{
	struct vfx *f = *state;
	/* mov al, 0x42; out 0x80, al; hlt */
	static const uint8_t prog[] = {0xb0, 0x42, 0xe6, 0x80, 0xf4};

	code(f, prog, sizeof(prog));
	assert_int_equal(launch(f), 30);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION), 0x00800040);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1002);
	assert_int_equal(vfx_rd(f, VM_EXIT_INSTRUCTION_LEN), 2);
	assert_int_equal(cpu_gprs(f->cpu)[X86_RAX] & 0xff, 0x42);
	assert_int_equal(resume_after(f), 12);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1004);

	struct cpu_stats st;
	cpu_get_stats(f->cpu, &st);
	assert_int_equal(st.vm_entries, 2);
	assert_int_equal(st.vm_exits, 2);
	assert_true(st.insns_retired >= 1);  /* mov; out exits unretired */
	assert_true(st.ept_tlb_misses >= 1); /* the code page */
}

static void test_io_bitmaps(void **state)
{
	struct vfx *f = *state;
	uint8_t *a = vfx_page(f), *b = vfx_page(f);
	/* out 0x80, al; out 0x81, al; in al, dx (dx = 0x8001) */
	static const uint8_t prog[] = {0xe6, 0x80, 0xe6, 0x81, 0xec};

	code(f, prog, sizeof(prog));
	a[0x81 / 8] |= 1 << (0x81 % 8);
	b[1 / 8] |= 1 << 1;
	vfx_wr(f, IO_BITMAP_A, vfx_pa(a));
	vfx_wr(f, IO_BITMAP_B, vfx_pa(b));
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL,
	       vfx_rd(f, CPU_BASED_VM_EXEC_CONTROL) | CPU_BASED_USE_IO_BITMAPS);
	cpu_gprs(f->cpu)[X86_RDX] = 0x8001;
	/* Port 0x80 passes through; 0x81 exits. */
	assert_int_equal(launch(f), 30);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1002);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION), 0x00810040);
	/* IN from DX, port in bitmap B. */
	assert_int_equal(resume_after(f), 30);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION), 0x80010008);
}

static void test_cpuid_and_exceptions(void **state)
{
	struct vfx *f = *state;
	/* cpuid; ud2 */
	static const uint8_t prog[] = {0x0f, 0xa2, 0x0f, 0x0b};

	code(f, prog, sizeof(prog));
	vfx_wr(f, EXCEPTION_BITMAP, 1u << 6);
	assert_int_equal(launch(f), 10);
	assert_int_equal(vfx_rd(f, VM_EXIT_INSTRUCTION_LEN), 2);
	assert_int_equal(resume_after(f), 0);
	assert_int_equal(vfx_rd(f, VM_EXIT_INTR_INFO), 0x80000306u);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1002);
}

static void test_ept_exits(void **state)
{
	struct vfx *f = *state;
	/* mov [0x5000], al; mov [0x6000], al */
	static const uint8_t prog[] = {0xa2, 0x00, 0x50, 0xa2, 0x00, 0x60};
	uint8_t *page = vfx_page(f);

	code(f, prog, sizeof(prog));
	assert_int_equal(launch(f), 48);
	assert_int_equal(vfx_rd(f, GUEST_PHYSICAL_ADDRESS), 0x5000);
	assert_int_equal(vfx_rd(f, GUEST_LINEAR_ADDRESS), 0x5000);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION) & 0x1bf, 0x182);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1000);
	/* Map it and retry the same instruction; then a W+X (MMIO-style)
	 * entry for 0x6000 gives a misconfiguration. */
	f->pt[5] = vfx_pa(page) | VFX_EPT_RWX_WB;
	f->pt[6] = vfx_pa(page) | 6 | (6ull << 3);
	cpu_gprs(f->cpu)[X86_RAX] = 0x99;
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 49);
	assert_int_equal(vfx_rd(f, GUEST_PHYSICAL_ADDRESS), 0x6000);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1003);
	assert_int_equal(page[0], 0x99);
}

static void test_injection(void **state)
{
	struct vfx *f = *state;
	uint16_t ivt[2] = {0x2000, 0x0000}; /* vector 0x20 -> 0000:2000 */

	memcpy(f->mem[0] + 0x20 * 4, ivt, 4);
	f->mem[2][0] = 0xf4; /* hlt at 0x2000 */
	f->mem[1][0] = 0xf4;
	vfx_wr(f, GUEST_RFLAGS, 0x202);
	vfx_wr(f, GUEST_RSP, 0x3000);
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000020u);
	assert_int_equal(launch(f), 12);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x2000);
	assert_int_equal(vfx_rd(f, VM_ENTRY_INTR_INFO_FIELD) >> 31, 0);
	/* The interrupt frame: IP 0x1000, CS 0, FLAGS with IF. */
	assert_int_equal(vfx_rd(f, GUEST_RSP), 0x3000 - 6);
	assert_int_equal(f->mem[2][0xffa] | f->mem[2][0xffb] << 8, 0x1000);
	assert_int_equal(vfx_rd(f, GUEST_RFLAGS) & 0x200, 0);
}

static void test_kick_timer_window(void **state)
{
	struct vfx *f = *state;
	uint64_t pin = vfx_rd(f, PIN_BASED_VM_EXEC_CONTROL);

	f->mem[1][0] = 0xf4;
	cpu_kick(f->cpu);
	assert_int_equal(launch(f), 1);
	assert_int_equal(vfx_rd(f, VM_EXIT_INTR_INFO),
			 0x80000000u | CPU_KICK_VECTOR);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1000);
	/* The kick was consumed. */
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 12);

	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL,
	       pin | PIN_BASED_VMX_PREEMPTION_TIMER);
	vfx_wr(f, VMX_PREEMPTION_TIMER_VALUE, 0);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 52);
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL, pin);

	vfx_wr(f, GUEST_RFLAGS, 0x202);
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL,
	       vfx_rd(f, CPU_BASED_VM_EXEC_CONTROL) |
		   CPU_BASED_INTR_WINDOW_EXITING);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 7);
}

static void test_cr_msr(void **state)
{
	struct vfx *f = *state;
	/* mov cr0, eax; rdmsr */
	static const uint8_t prog[] = {0x0f, 0x22, 0xc0, 0x0f, 0x32};

	code(f, prog, sizeof(prog));
	vfx_wr(f, CR0_GUEST_HOST_MASK, 0x80000021u);
	vfx_wr(f, CR0_READ_SHADOW, 0x10);
	cpu_gprs(f->cpu)[X86_RAX] = 0x11; /* sets PE: owned by the host */
	cpu_gprs(f->cpu)[X86_RCX] = 0x174;
	assert_int_equal(launch(f), 28);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION), 0);
	assert_int_equal(vfx_rd(f, VM_EXIT_INSTRUCTION_LEN), 3);
	/* No MSR bitmaps: every RDMSR exits. */
	assert_int_equal(resume_after(f), 31);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1003);
}

/* 32-bit paging guest: linear 0x4000 -> GPA 0 (PD at 0x2000, PT at 0x3000). */
static void paged32(struct vfx *f)
{
	static const uint8_t prog[] = {0xa1, 0x00, 0x40, 0x00, 0x00, 0xf4};
	uint32_t *pd = (uint32_t *)f->mem[2], *pt = (uint32_t *)f->mem[3];

	code(f, prog, sizeof(prog));
	pd[0] = 0x3000 | 7;
	for (int i = 0; i < 4; i++)
		pt[i] = (uint32_t)(i << 12) | 7;
	pt[4] = 0x0000 | 7;
	memcpy(f->mem[0], "\x11\x11\x11\x11", 4);
	vfx_wr(f, GUEST_CR0, 0x80000031u);
	vfx_wr(f, GUEST_CR3, 0x2000);
	vfx_wr(f, GUEST_CS_AR_BYTES, 0xc09b);
	vfx_wr(f, GUEST_CS_LIMIT, 0xffffffffu);
	for (unsigned s = 0; s < 6; s++)
		if (s != 1) {
			vfx_wr(f, GUEST_ES_AR_BYTES + 2 * s, 0xc093);
			vfx_wr(f, GUEST_ES_LIMIT + 2 * s, 0xffffffffu);
		}
}

/* Remap linear 0x4000 to the code page behind the guest's back and run
 * the load again; returns what it read. */
static uint32_t remap_and_rerun(struct vfx *f)
{
	((uint32_t *)f->mem[3])[4] = 0x1000 | 7;
	vfx_wr(f, GUEST_RIP, 0x1000);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 12);
	return (uint32_t)cpu_gprs(f->cpu)[X86_RAX];
}

static void test_vpid_tagging(void **state)
{
	struct vfx *f = *state;
	uint64_t proc2 = vfx_rd(f, SECONDARY_VM_EXEC_CONTROL);

	/* VPID off: every VM entry flushes linear mappings. */
	paged32(f);
	assert_int_equal(launch(f), 12);
	assert_int_equal((uint32_t)cpu_gprs(f->cpu)[X86_RAX], 0x11111111u);
	assert_int_equal(remap_and_rerun(f), 0x004000a1u);

	/* VPID on: the translation survives exit and entry ... */
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL,
	       proc2 | SECONDARY_EXEC_ENABLE_VPID);
	vfx_wr(f, VIRTUAL_PROCESSOR_ID, 7);
	((uint32_t *)f->mem[3])[4] = 0x0000 | 7;
	vfx_wr(f, GUEST_RIP, 0x1000);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal((uint32_t)cpu_gprs(f->cpu)[X86_RAX], 0x11111111u);
	assert_int_equal(remap_and_rerun(f), 0x11111111u);
	/* ... until INVVPID for that VPID (another VPID does nothing). */
	assert_int_equal(cpu_invvpid(f->cpu, 1, 8, 0), VMX_SUCCEED);
	assert_int_equal(remap_and_rerun(f), 0x11111111u);
	assert_int_equal(cpu_invvpid(f->cpu, 0, 7, 0x4000), VMX_SUCCEED);
	assert_int_equal(remap_and_rerun(f), 0x004000a1u);
	/* A different VPID is a different context: no stale hits. */
	((uint32_t *)f->mem[3])[4] = 0x0000 | 7;
	vfx_wr(f, VIRTUAL_PROCESSOR_ID, 9);
	vfx_wr(f, GUEST_RIP, 0x1000);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal((uint32_t)cpu_gprs(f->cpu)[X86_RAX], 0x11111111u);
}

static void test_injection_ept_violation(void **state)
{
	struct vfx *f = *state;

	/* The IVT page (GPA 0) is not mapped: delivering the injected
	 * interrupt exits with the event in the IDT-vectoring info. */
	f->pt[0] = 0;
	f->mem[1][0] = 0xf4;
	vfx_wr(f, GUEST_RFLAGS, 0x202);
	vfx_wr(f, GUEST_RSP, 0x3000);
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000020u);
	assert_int_equal(launch(f), 48);
	assert_int_equal(vfx_rd(f, IDT_VECTORING_INFO_FIELD), 0x80000020u);
	assert_int_equal(vfx_rd(f, VM_ENTRY_INTR_INFO_FIELD) >> 31, 0);
	assert_int_equal(vfx_rd(f, GUEST_PHYSICAL_ADDRESS) & ~0xfffull, 0);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1000);
	/* KVM re-injects it after fixing the mapping. */
	f->pt[0] = vfx_pa(f->mem[0]) | VFX_EPT_RWX_WB;
	memcpy(f->mem[0] + 0x20 * 4, "\x00\x20\x00\x00", 4);
	f->mem[2][0] = 0xf4;
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD,
	       vfx_rd(f, IDT_VECTORING_INFO_FIELD));
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 12);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x2000);
	assert_int_equal(vfx_rd(f, IDT_VECTORING_INFO_FIELD), 0);
}

static void *kicker(void *arg)
{
	const struct timespec ms = {0, 2 * 1000 * 1000};

	nanosleep(&ms, NULL);
	cpu_kick(arg);
	return NULL;
}

/* A kick from another thread ends an endless guest loop. */
static void test_kick_from_thread(void **state)
{
	struct vfx *f = *state;
	static const uint8_t spin[] = {0xeb, 0xfe}; /* jmp $ */
	pthread_t t;

	code(f, spin, sizeof(spin));
	assert_int_equal(pthread_create(&t, NULL, kicker, f->cpu), 0);
	assert_int_equal(launch(f), 1);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1000);
	pthread_join(t, NULL);
}

/*
 * Without EPT guest-physical is host-physical: a 64-bit guest whose page
 * tables (as KVM's shadow MMU builds them) hold pointers of this process.
 */
static void test_no_ept_long_mode(void **state)
{
	struct vfx *f = vfx_create("default,-ept,-unrestricted-guest");
	/* Host pages below 2^46 (cpu/x86 still masks page-table addresses
	 * to 46 bits; process pointers above that are for later). */
	uint8_t *low =
	    mmap((void *)0x300000000000ull, 6 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (low == MAP_FAILED) {
		vfx_destroy(f);
		return;
	}
	uint64_t *pml4 = (uint64_t *)low, *pdpt = (uint64_t *)(low + 4096);
	uint64_t *pd = (uint64_t *)(low + 2 * 4096);
	uint64_t *pt = (uint64_t *)(low + 3 * 4096);
	uint8_t *text = low + 4 * 4096, *data = low + 5 * 4096;
	/* mov eax, [0x401000]; out 0x80, al */
	static const uint8_t prog[] = {0x8b, 0x04, 0x25, 0x00, 0x10,
				       0x40, 0x00, 0xe6, 0x80};

	assert_int_equal(vfx_rd(f, SECONDARY_VM_EXEC_CONTROL), 0);
	memcpy(text, prog, sizeof(prog));
	memcpy(data, "\x78\x56\x34\x12", 4);
	pml4[0] = vfx_pa(pdpt) | 7;
	pdpt[0] = vfx_pa(pd) | 7;
	pd[2] = vfx_pa(pt) | 7; /* 4M..6M */
	pt[0] = vfx_pa(text) | 7;
	pt[1] = vfx_pa(data) | 7;
	vfx_wr(f, GUEST_CR0, 0x80000031u);
	vfx_wr(f, GUEST_CR4, 0x2020);
	vfx_wr(f, GUEST_CR3, vfx_pa(pml4));
	vfx_wr(f, VM_ENTRY_CONTROLS,
	       vfx_rd(f, VM_ENTRY_CONTROLS) | VM_ENTRY_IA32E_MODE);
	vfx_wr(f, GUEST_CS_SELECTOR, 8);
	vfx_wr(f, GUEST_CS_AR_BYTES, 0xa09b);
	vfx_wr(f, GUEST_CS_LIMIT, 0xffffffffu);
	vfx_wr(f, GUEST_SS_SELECTOR, 0x10);
	for (unsigned s = 0; s < 6; s++)
		if (s != 1) {
			vfx_wr(f, GUEST_ES_AR_BYTES + 2 * s, 0xc093);
			vfx_wr(f, GUEST_ES_LIMIT + 2 * s, 0xffffffffu);
		}
	vfx_wr(f, GUEST_LDTR_AR_BYTES, 0x10000);
	vfx_wr(f, GUEST_RIP, 0x400000);
	assert_int_equal(launch(f), 30);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x400007);
	assert_int_equal((uint32_t)cpu_gprs(f->cpu)[X86_RAX], 0x12345678u);
	/* The walk set the accessed bits in the host-side tables. */
	assert_true(pt[1] & 0x20);
	munmap(low, 6 * 4096);
	vfx_destroy(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_mov_out_hlt),
	    T(test_io_bitmaps),
	    T(test_cpuid_and_exceptions),
	    T(test_ept_exits),
	    T(test_injection),
	    T(test_kick_timer_window),
	    T(test_cr_msr),
	    T(test_vpid_tagging),
	    T(test_injection_ept_violation),
	    T(test_kick_from_thread),
	    T(test_no_ept_long_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
