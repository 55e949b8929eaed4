/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The silicon seam: what kvm/ may do to a logical processor of kvmini's
 * software x86-64 CPU. It mirrors what Linux KVM does to Intel hardware:
 * CPUID, RDMSR/WRMSR (capability MSRs included), MOV CR4, and the VMX
 * instructions. Nothing here knows about KVM, devices or files.
 *
 * Host-physical addresses (VMXON region, VMCS pointers, EPT entries) are
 * this process's virtual addresses: the host "RAM" is our address space.
 */
#ifndef KVMINI_CPU_CPU_H
#define KVMINI_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- CPU models ---------------------------------------------------- */

/* Feature switches of a CPU model; "-name" in a model spec clears one. */
enum cpu_feature {
	CPU_FEAT_VMX,		/* CPUID.1:ECX.VMX and the VMX instructions */
	CPU_FEAT_NX,		/* EFER.NX / CPUID.80000001:EDX.NX */
	CPU_FEAT_EPT,		/* secondary control "enable EPT" */
	CPU_FEAT_EPT_4LEVEL,	/* EPT_VPID_CAP bit 6: 4-level page walk */
	CPU_FEAT_EPT_2M,	/* EPT_VPID_CAP bit 16 */
	CPU_FEAT_EPT_1G,	/* EPT_VPID_CAP bit 17 */
	CPU_FEAT_EPT_AD,	/* EPT_VPID_CAP bit 21: accessed/dirty flags */
	CPU_FEAT_VPID,		/* secondary control "enable VPID" + INVVPID */
	CPU_FEAT_UG,		/* secondary control "unrestricted guest" */
	CPU_FEAT_PREEMPT_TIMER, /* pin-based "activate VMX-preemption timer" */
	CPU_FEAT_TRUE_CTLS,	/* VMX_BASIC bit 55: the IA32_VMX_TRUE_* MSRs */
	CPU_FEAT_IO_BITMAPS,	/* primary control "use I/O bitmaps" */
	CPU_FEAT_MSR_BITMAPS,	/* primary control "use MSR bitmaps" */
	CPU_FEAT_EPT_EXEC_ONLY, /* EPT_VPID_CAP bit 0: execute-only entries */
	CPU_FEAT_UNCOND_IO, /* primary control "unconditional I/O exiting" */
	CPU_FEAT_JIT, /* not architectural: 64-bit code runs as translated host
			 code (cpu/x86/jit); -jit interprets every instruction */
	CPU_FEAT_COUNT
};

struct cpu_model {
	char name[32];
	uint64_t features; /* bit (1 << enum cpu_feature) */
};

/*
 * Parse "default", "default,-ept,-vpid", "default,+x" ...; the first word
 * names a base model. Returns 0, or -1 with a message in err.
 */
int cpu_model_parse(const char *spec, struct cpu_model *model, char *err,
		    size_t errlen);
bool cpu_model_has(const struct cpu_model *model, enum cpu_feature f);
const char *cpu_feature_name(enum cpu_feature f);
/* Comma-separated list of base model names and feature names, for --help. */
const char *cpu_model_help(void);

/* ---- a logical processor ------------------------------------------- */

struct cpu;

/* One logical processor of the given model; index is its APIC id. */
struct cpu *cpu_create(const struct cpu_model *model, unsigned index);
void cpu_destroy(struct cpu *cpu);
const struct cpu_model *cpu_get_model(const struct cpu *cpu);

void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t subleaf,
	       uint32_t out[4] /* eax, ebx, ecx, edx */);
/* 0, or -1 where the real instruction would raise #GP. */
int cpu_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
int cpu_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);
/* The host's (VMX-root) CR0/CR4; writing CR4.VMXE=0 in VMX operation is #GP. */
uint64_t cpu_read_cr0(struct cpu *cpu);
uint64_t cpu_read_cr4(struct cpu *cpu);
int cpu_write_cr4(struct cpu *cpu, uint64_t val);

/* ---- VMX instructions (SDM vol. 3C ch. 30) ------------------------- */

/*
 * The outcome of a VMX instruction, as RFLAGS would show it:
 * VMsucceed (CF=ZF=0), VMfailInvalid (CF=1), VMfailValid (ZF=1, error
 * number in the current VMCS's VM-instruction error field).
 * A fault the real instruction would raise (#UD, #GP) is VMX_FAULT_*.
 */
enum vmx_result {
	VMX_SUCCEED = 0,
	VMX_FAIL_INVALID,
	VMX_FAIL_VALID,
	VMX_FAULT_UD,
	VMX_FAULT_GP,
};

/* VM-instruction error numbers (SDM 30.4). */
enum vm_instruction_error {
	VMXERR_VMCALL_IN_ROOT = 1,
	VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
	VMXERR_VMCLEAR_VMXON_POINTER = 3,
	VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
	VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
	VMXERR_VMRESUME_AFTER_VMXOFF = 6,
	VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7,
	VMXERR_ENTRY_INVALID_HOST_STATE_FIELD = 8,
	VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
	VMXERR_VMPTRLD_VMXON_POINTER = 10,
	VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID = 11,
	VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12,
	VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT = 13,
	VMXERR_VMXON_IN_VMX_ROOT_OPERATION = 15,
	VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER = 16,
	VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS = 17,
	VMXERR_ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER = 18,
	VMXERR_VMCALL_NONCLEAR_VMCS = 19,
	VMXERR_VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS = 20,
	VMXERR_VMCALL_INCORRECT_MSEG_REVISION_ID = 22,
	VMXERR_VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM = 23,
	VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES = 24,
	VMXERR_ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS = 25,
	VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
	VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID = 28,
};

/* Pointers are host-physical, i.e. addresses in this process. */
enum vmx_result cpu_vmxon(struct cpu *cpu, void *vmxon_region);
enum vmx_result cpu_vmxoff(struct cpu *cpu);
enum vmx_result cpu_vmclear(struct cpu *cpu, void *vmcs);
enum vmx_result cpu_vmptrld(struct cpu *cpu, void *vmcs);
enum vmx_result cpu_vmptrst(struct cpu *cpu, void **vmcs);
enum vmx_result cpu_vmread(struct cpu *cpu, uint64_t field, uint64_t *val);
enum vmx_result cpu_vmwrite(struct cpu *cpu, uint64_t field, uint64_t val);
enum vmx_result cpu_invept(struct cpu *cpu, uint64_t type, uint64_t eptp);
enum vmx_result cpu_invvpid(struct cpu *cpu, uint64_t type, uint16_t vpid,
			    uint64_t gla);

/*
 * Processor registers the VMCS does not hold. As on hardware, a VMM loads
 * the guest's values into them before VMLAUNCH/VMRESUME and finds the
 * guest's values there after the VM exit: the general-purpose registers
 * (X86_RAX.. order of cpu/x86/x86.h; the RSP slot is ignored on entry,
 * GUEST_RSP is used, and holds HOST_RSP after an exit), CR2, DR0-DR3,
 * DR6, and the MSRs STAR/LSTAR/CSTAR/SFMASK/KERNEL_GS_BASE (cpu_wrmsr).
 */
uint64_t *cpu_gprs(struct cpu *cpu); /* 16 entries */
/*
 * The x87/SSE register file, likewise the processor's own, moved as the
 * 512-byte image FXSAVE64 stores (SDM vol. 1 10.5.1: FCW, FSW, abridged
 * FTW, FOP, 64-bit FIP/FDP, MXCSR, MXCSR_MASK, ST0-ST7 in stack order,
 * XMM0-XMM15), whatever CR0/CR4 say: a VMM's FXSAVE/FXRSTOR of the guest
 * state (Linux: guest_fpu). Bytes 416-511 are written as zero and ignored.
 * cpu_set_fxsave drops MXCSR bits outside MXCSR_MASK (where FXRSTOR would
 * #GP), so a bad image can never fault the host's SSE unit.
 */
#define CPU_FXSAVE_SIZE 512
void cpu_get_fxsave(struct cpu *cpu, uint8_t image[CPU_FXSAVE_SIZE]);
void cpu_set_fxsave(struct cpu *cpu, const uint8_t image[CPU_FXSAVE_SIZE]);
/* The image of a processor after RESET/INIT (FCW 0x37f, MXCSR 0x1f80). */
void cpu_fxsave_reset_image(uint8_t image[CPU_FXSAVE_SIZE]);
uint64_t cpu_read_cr2(struct cpu *cpu);
void cpu_write_cr2(struct cpu *cpu, uint64_t val);
/* n = 0..3 or 6; other n read 0 / are ignored. */
uint64_t cpu_read_dr(struct cpu *cpu, unsigned n);
void cpu_write_dr(struct cpu *cpu, unsigned n, uint64_t val);

/*
 * Guest-physical memory [gpa, gpa+len) was written by someone other than
 * this processor (the monitor loading an image, a device, another vCPU).
 * Real CPUs snoop such writes; the software CPU caches decoded guest code
 * by guest-physical page and must be told. Safe from any thread that owns
 * this cpu (not concurrently with its VMLAUNCH/VMRESUME).
 */
void cpu_guest_memory_written(struct cpu *cpu, uint64_t gpa, uint64_t len);

/* Counters for benchmarks and `kvmini info` (monotonic since cpu_create). */
struct cpu_stats {
	uint64_t vm_entries;	 /* VMLAUNCH/VMRESUME that entered the guest */
	uint64_t vm_exits;	 /* VM exits, failed entries (33/34) included */
	uint64_t ept_tlb_hits;	 /* guest-physical translations from the TLB */
	uint64_t ept_tlb_misses; /* ... that needed an EPT walk */
	uint64_t insns_retired;	 /* guest instructions the core retired */
};
void cpu_get_stats(struct cpu *cpu, struct cpu_stats *stats);

/*
 * kvmini-specific basic exit reasons (the SDM leaves these numbers unused):
 * the software CPU met an instruction it does not implement yet, or an
 * internal error. Guest state is as before that instruction;
 * cpu_exit_diag() says what it was (e.g. "unimplemented vpgatherdd at
 * 0x1234"). KVM treats them like any unknown exit reason.
 */
#define CPU_EXIT_REASON_UNIMPLEMENTED 0xfffe
#define CPU_EXIT_REASON_INTERNAL      0xffff
const char *cpu_exit_diag(struct cpu *cpu);
/* The vector VM_EXIT_INTR_INFO reports for a cpu_kick() with
 * "acknowledge interrupt on exit" (Linux's reschedule IPI vector). */
#define CPU_KICK_VECTOR 0xfd

/*
 * VMLAUNCH / VMRESUME: enter the guest described by the current VMCS and
 * run it until the next VM exit. VMX_SUCCEED means a VM exit happened (the
 * exit reason and guest state are in the VMCS; host state was loaded from
 * it). VMX_FAIL_* means the entry did not happen at all.
 */
enum vmx_result cpu_vmlaunch(struct cpu *cpu);
enum vmx_result cpu_vmresume(struct cpu *cpu);

/*
 * Ask the processor to leave non-root operation soon (an IPI/"kick" from
 * another host thread). Safe to call from any thread; the running guest
 * takes an EXTERNAL_INTERRUPT exit at its next instruction boundary if
 * external-interrupt exiting is on. Must not block.
 */
void cpu_kick(struct cpu *cpu);

#endif
