// SPDX-License-Identifier: GPL-2.0
/* VM entry checks of cpu/vmx: errors 7/8, failed entries 33/34. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
	vfx_destroy(*state);
	return 0;
}

/* VMLAUNCH must fail with VMfailValid(err) and leave the VMCS clear. */
static void expect_fail(struct vfx *f, unsigned err)
{
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), err);
	assert_int_equal(((struct vmcs *)f->vmcs)->launch_state,
			 VMCS_LAUNCH_CLEAR);
}

/* VMLAUNCH must "succeed" with a failed-entry exit 33 and qualification. */
#define expect_bad_guest(f, q) expect_bad_guest_at(f, q, __LINE__)
static void expect_bad_guest_at(struct vfx *f, uint64_t qual, int line)
{
	if (cpu_vmlaunch(f->cpu) != VMX_SUCCEED ||
	    vfx_rd(f, VM_EXIT_REASON) != 0x80000021u)
		fail_msg("line %d: no invalid-guest-state exit", line);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION), qual);
	/* Launch state stays clear: VMRESUME still fails with 5. */
	assert_int_equal(cpu_vmresume(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), 5);
	/* Host state was loaded. */
	assert_int_equal(cpu_gprs(f->cpu)[X86_RSP], 0xffffc90000004000ull);
}

static void test_valid_entry(void **state)
{
	struct vfx *f = *state;

	f->mem[1][0] = 0xf4; /* hlt */
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 12);
	assert_int_equal(vfx_rd(f, GUEST_RIP), 0x1000);
	assert_int_equal(vfx_rd(f, VM_EXIT_INSTRUCTION_LEN), 1);
	assert_int_equal(((struct vmcs *)f->vmcs)->launch_state,
			 VMCS_LAUNCH_LAUNCHED);
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), 4);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	/* Checks are redone after a VMWRITE to a control or host field. */
	vfx_wr(f, CR3_TARGET_COUNT, 5);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), 7);
	vfx_wr(f, CR3_TARGET_COUNT, 0);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
	vfx_wr(f, HOST_TR_SELECTOR, 0);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_FAIL_VALID);
	assert_int_equal(vfx_rd(f, VM_INSTRUCTION_ERROR), 8);
	vfx_wr(f, HOST_TR_SELECTOR, 0x40);
	assert_int_equal(cpu_vmresume(f->cpu), VMX_SUCCEED);
}

static void test_bad_controls(void **state)
{
	struct vfx *f = *state;
	uint64_t pin = vfx_rd(f, PIN_BASED_VM_EXEC_CONTROL);
	uint64_t proc = vfx_rd(f, CPU_BASED_VM_EXEC_CONTROL);
	uint64_t proc2 = vfx_rd(f, SECONDARY_VM_EXEC_CONTROL);
	uint64_t eptp = vfx_rd(f, EPT_POINTER);

	/* Default-1 pin bit cleared (TRUE MSR keeps bits 1,2,4 fixed). */
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL, pin & ~0x2ull);
	expect_fail(f, 7);
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL, pin);
	/* Unsupported primary (TPR shadow) and secondary (APIC access). */
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_TPR_SHADOW);
	expect_fail(f, 7);
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc);
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL, proc2 | 1);
	expect_fail(f, 7);
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL, proc2);
	/* CR3-target count above VMX_MISC[24:16]. */
	vfx_wr(f, CR3_TARGET_COUNT, 5);
	expect_fail(f, 7);
	vfx_wr(f, CR3_TARGET_COUNT, 4);
	/* I/O bitmaps not page aligned. */
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_USE_IO_BITMAPS);
	vfx_wr(f, IO_BITMAP_A, vfx_pa(f->mem[2]) + 8);
	vfx_wr(f, IO_BITMAP_B, vfx_pa(f->mem[3]));
	expect_fail(f, 7);
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc | CPU_BASED_USE_MSR_BITMAPS);
	vfx_wr(f, MSR_BITMAP, 0);
	expect_fail(f, 7);
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc);
	/* NMI-window exiting needs virtual NMIs. */
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL,
	       proc | CPU_BASED_NMI_WINDOW_EXITING);
	expect_fail(f, 7);
	vfx_wr(f, CPU_BASED_VM_EXEC_CONTROL, proc);
	/* Virtual NMIs need NMI exiting. */
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL,
	       (pin & ~(uint64_t)PIN_BASED_NMI_EXITING) |
		   PIN_BASED_VIRTUAL_NMIS);
	expect_fail(f, 7);
	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL, pin);
	/* EPTP: memory type 1, walk length 5, reserved bit 7, no root. */
	vfx_wr(f, EPT_POINTER, (eptp & ~7ull) | 1);
	expect_fail(f, 7);
	vfx_wr(f, EPT_POINTER, (eptp & ~0x38ull) | 0x20);
	expect_fail(f, 7);
	vfx_wr(f, EPT_POINTER, eptp | 0x80);
	expect_fail(f, 7);
	vfx_wr(f, EPT_POINTER, 0x1e);
	expect_fail(f, 7);
	vfx_wr(f, EPT_POINTER, eptp);
	/* VPID enabled with VPID 0. */
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL,
	       proc2 | SECONDARY_EXEC_ENABLE_VPID);
	expect_fail(f, 7);
	vfx_wr(f, VIRTUAL_PROCESSOR_ID, 1);
	/* Unrestricted guest without EPT. */
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL,
	       proc2 & ~(uint64_t)SECONDARY_EXEC_ENABLE_EPT);
	expect_fail(f, 7);
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL, proc2);
	/* Save preemption timer without the timer. */
	vfx_wr(f, VM_EXIT_CONTROLS,
	       vfx_rd(f, VM_EXIT_CONTROLS) | VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	expect_fail(f, 7);
	vfx_wr(f, VM_EXIT_CONTROLS,
	       vfx_rd(f, VM_EXIT_CONTROLS) &
		   ~VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	/* MSR-load area not 16-byte aligned. */
	vfx_wr(f, VM_ENTRY_MSR_LOAD_COUNT, 1);
	vfx_wr(f, VM_ENTRY_MSR_LOAD_ADDR, vfx_pa(f->mem[2]) + 8);
	expect_fail(f, 7);
	vfx_wr(f, VM_ENTRY_MSR_LOAD_COUNT, 0);
}

static void test_bad_injection(void **state)
{
	struct vfx *f = *state;

	/* NMI with vector 3. */
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000203u);
	expect_fail(f, 7);
	/* #GP (13) with protected-mode off must not deliver an error code. */
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000b0du);
	expect_fail(f, 7);
	/* Hardware exception vector 32. */
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000320u);
	expect_fail(f, 7);
	/* Software interrupt with instruction length 0. */
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000480u);
	vfx_wr(f, VM_ENTRY_INSTRUCTION_LEN, 0);
	expect_fail(f, 7);
	/* Reserved bits. */
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80001020u);
	expect_fail(f, 7);
	/* Type 1 is reserved. */
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000120u);
	expect_fail(f, 7);
	/* An invalid entry leaves the field as it was. */
	assert_int_equal(vfx_rd(f, VM_ENTRY_INTR_INFO_FIELD), 0x80000120u);
}

static void test_bad_host_state(void **state)
{
	struct vfx *f = *state;
	uint64_t cr4 = vfx_rd(f, HOST_CR4), exitc = vfx_rd(f, VM_EXIT_CONTROLS);

	vfx_wr(f, HOST_CR4, cr4 & ~0x2000ull);
	expect_fail(f, 8);
	vfx_wr(f, HOST_CR4, cr4);
	vfx_wr(f, HOST_CR0, vfx_rd(f, HOST_CR0) & ~0x20ull); /* NE */
	expect_fail(f, 8);
	vfx_wr(f, HOST_CR0, cpu_read_cr0(f->cpu));
	vfx_wr(f, HOST_CS_SELECTOR, 0);
	expect_fail(f, 8);
	vfx_wr(f, HOST_CS_SELECTOR, 0x13); /* RPL 3 */
	expect_fail(f, 8);
	vfx_wr(f, HOST_CS_SELECTOR, 0x10);
	vfx_wr(f, HOST_TR_SELECTOR, 0);
	expect_fail(f, 8);
	vfx_wr(f, HOST_TR_SELECTOR, 0x40);
	vfx_wr(f, VM_EXIT_CONTROLS,
	       exitc & ~(uint64_t)VM_EXIT_HOST_ADDR_SPACE_SIZE);
	expect_fail(f, 8);
	vfx_wr(f, VM_EXIT_CONTROLS, exitc);
	vfx_wr(f, HOST_RIP, 0x0000800000000000ull);
	expect_fail(f, 8);
	vfx_wr(f, HOST_RIP, 0xffffffff81000000ull);
	vfx_wr(f, HOST_GS_BASE, 0x0001000000000000ull);
	expect_fail(f, 8);
	vfx_wr(f, HOST_GS_BASE, 0);
	vfx_wr(f, HOST_CR3, 1ull << 52);
	expect_fail(f, 8);
	vfx_wr(f, HOST_CR3, 0x100000);
	vfx_wr(f, VM_EXIT_CONTROLS, exitc | VM_EXIT_LOAD_IA32_PAT);
	vfx_wr(f, HOST_IA32_PAT, 0x0202020202020202ull);
	expect_fail(f, 8);
	vfx_wr(f, VM_EXIT_CONTROLS, exitc);
	/* Control errors are found before host-state errors. */
	vfx_wr(f, HOST_CS_SELECTOR, 0);
	vfx_wr(f, CR3_TARGET_COUNT, 9);
	expect_fail(f, 7);
}

static void test_bad_guest_state(void **state)
{
	struct vfx *f = *state;
	uint64_t proc2 = vfx_rd(f, SECONDARY_VM_EXEC_CONTROL);

	/* UG relaxes PE/PG; without UG the same CR0 is invalid. */
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL,
	       proc2 & ~(uint64_t)SECONDARY_EXEC_UNRESTRICTED_GUEST);
	expect_bad_guest(f, 0);
	vfx_wr(f, SECONDARY_VM_EXEC_CONTROL, proc2);
	/* PG without PE. */
	vfx_wr(f, GUEST_CR0, 0x80000030u);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_CR0, 0x30);
	/* NE is still required. */
	vfx_wr(f, GUEST_CR0, 0x10);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_CR0, 0x30);
	/* CR4.VMXE required. */
	vfx_wr(f, GUEST_CR4, 0);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_CR4, 0x2000);
	/* IA-32e mode guest needs PG and PAE. */
	vfx_wr(f, VM_ENTRY_CONTROLS,
	       vfx_rd(f, VM_ENTRY_CONTROLS) | VM_ENTRY_IA32E_MODE);
	expect_bad_guest(f, 0);
	vfx_wr(f, VM_ENTRY_CONTROLS,
	       vfx_rd(f, VM_ENTRY_CONTROLS) & ~VM_ENTRY_IA32E_MODE);
	/* RFLAGS bit 1 must be 1; reserved bit 15 must be 0. */
	vfx_wr(f, GUEST_RFLAGS, 0);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_RFLAGS, 0x8002);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_RFLAGS, 2);
	/* RIP above 4G outside 64-bit mode. */
	vfx_wr(f, GUEST_RIP, 1ull << 32);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_RIP, 0x1000);
	/* CS must be code (type 3 is allowed only with UG; 1 never). */
	vfx_wr(f, GUEST_CS_AR_BYTES, 0x91);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_CS_AR_BYTES, 0x93);
	f->mem[1][0] = 0xf4; /* hlt */
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_SUCCEED);
	assert_int_not_equal(vfx_rd(f, VM_EXIT_REASON), 0x80000021u);
	assert_int_equal(cpu_vmclear(f->cpu, f->vmcs), VMX_SUCCEED);
	assert_int_equal(cpu_vmptrld(f->cpu, f->vmcs), VMX_SUCCEED);
	vfx_wr(f, GUEST_CS_AR_BYTES, 0x9b);
	/* AR reserved bits, G inconsistent with limit. */
	vfx_wr(f, GUEST_DS_AR_BYTES, 0x193);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_DS_AR_BYTES, 0x8093); /* G with limit 0xfff0 */
	vfx_wr(f, GUEST_DS_LIMIT, 0xfff0);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_DS_AR_BYTES, 0x93);
	vfx_wr(f, GUEST_DS_LIMIT, 0x100000); /* > 1M needs G */
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_DS_LIMIT, 0xffff);
	/* SS DPL must be 0 with CR0.PE = 0. */
	vfx_wr(f, GUEST_SS_AR_BYTES, 0xf3);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_SS_AR_BYTES, 0x93);
	/* TR must be a usable busy TSS. */
	vfx_wr(f, GUEST_TR_AR_BYTES, 0x10000);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_TR_AR_BYTES, 0x89);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_TR_AR_BYTES, 0x8b);
	/* LDTR usable must be an LDT. */
	vfx_wr(f, GUEST_LDTR_AR_BYTES, 0x83);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_LDTR_AR_BYTES, 0x10000);
	/* Activity state 3 (wait-for-SIPI) is not supported. */
	vfx_wr(f, GUEST_ACTIVITY_STATE, 3);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_ACTIVITY_STATE, 0);
	/* STI blocking with IF = 0; STI and MOV-SS together. */
	vfx_wr(f, GUEST_INTERRUPTIBILITY_INFO, 1);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_RFLAGS, 0x202);
	vfx_wr(f, GUEST_INTERRUPTIBILITY_INFO, 3);
	expect_bad_guest(f, 0);
	/* External-interrupt injection while blocked by STI. */
	vfx_wr(f, GUEST_INTERRUPTIBILITY_INFO, 1);
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000020u);
	expect_bad_guest(f, 0);
	/* ... and with IF = 0. */
	vfx_wr(f, GUEST_INTERRUPTIBILITY_INFO, 0);
	vfx_wr(f, GUEST_RFLAGS, 0x2);
	expect_bad_guest(f, 0);
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0);
	/* Pending debug exceptions: reserved bits. */
	vfx_wr(f, GUEST_PENDING_DBG_EXCEPTIONS, 0x20);
	expect_bad_guest(f, 0);
	vfx_wr(f, GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* VMCS link pointer: qualification 4. */
	vfx_wr(f, VMCS_LINK_POINTER, 0x1000);
	expect_bad_guest(f, 4);
	vfx_wr(f, VMCS_LINK_POINTER, ~0ull);
	/* Guest EFER loaded with LMA but not IA-32e mode. */
	vfx_wr(f, VM_ENTRY_CONTROLS,
	       vfx_rd(f, VM_ENTRY_CONTROLS) | VM_ENTRY_LOAD_IA32_EFER);
	vfx_wr(f, GUEST_IA32_EFER, 0x500);
	expect_bad_guest(f, 0);
	vfx_wr(f, VM_ENTRY_CONTROLS,
	       vfx_rd(f, VM_ENTRY_CONTROLS) & ~VM_ENTRY_LOAD_IA32_EFER);
}

static void test_nmi_blocked(void **state)
{
	struct vfx *f = *state;
	uint64_t pin = vfx_rd(f, PIN_BASED_VM_EXEC_CONTROL);

	vfx_wr(f, PIN_BASED_VM_EXEC_CONTROL, pin | PIN_BASED_VIRTUAL_NMIS);
	vfx_wr(f, GUEST_INTERRUPTIBILITY_INFO, X86_INTR_BLOCK_NMI);
	vfx_wr(f, VM_ENTRY_INTR_INFO_FIELD, 0x80000202u);
	expect_bad_guest(f, 3);
	/* A failed entry leaves the injection pending. */
	assert_int_equal(vfx_rd(f, VM_ENTRY_INTR_INFO_FIELD), 0x80000202u);
}

static void test_msr_load_fail(void **state)
{
	struct vfx *f = *state;
	uint64_t *area = (uint64_t *)f->mem[3];

	area[0] = 0xc0000081; /* STAR: fine */
	area[1] = 0x0023001000000000ull;
	area[2] = 0x12345678; /* unknown MSR: entry 2 fails */
	area[3] = 0;
	vfx_wr(f, VM_ENTRY_MSR_LOAD_ADDR, vfx_pa(area));
	vfx_wr(f, VM_ENTRY_MSR_LOAD_COUNT, 2);
	assert_int_equal(cpu_vmlaunch(f->cpu), VMX_SUCCEED);
	assert_int_equal(vfx_rd(f, VM_EXIT_REASON), 0x80000022u);
	assert_int_equal(vfx_rd(f, EXIT_QUALIFICATION), 2);
	struct cpu_stats st;
	cpu_get_stats(f->cpu, &st);
	assert_int_equal(st.vm_entries, 0);
	assert_int_equal(st.vm_exits, 1);
	assert_int_equal(((struct vmcs *)f->vmcs)->launch_state,
			 VMCS_LAUNCH_CLEAR);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_valid_entry),     T(test_bad_controls),
	    T(test_bad_injection),   T(test_bad_host_state),
	    T(test_bad_guest_state), T(test_nmi_blocked),
	    T(test_msr_load_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
