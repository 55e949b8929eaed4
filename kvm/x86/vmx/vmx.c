// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX vendor module (arch/x86/kvm/vmx/vmx.c): vmx_init/vmx_exit, the
 * kvm_x86_ops table, per-CPU VMXON, and the vCPU life cycle. Setup is in
 * setup.c, VMCS regions in vmcs.c, VMCS programming in init_vmcs.c, exit
 * handling in handle_exit.c.
 */
#define KBUILD_MODNAME kvm_intel
#include "kvm/module.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/x86/cpuid.h"
#include "kvm/x86/vmx/vmx.h"
#include "kvm/x86/x86.h"

DEFINE_MODULE(kvm_intel);

/* ---- support checks --------------------------------------------------- */

static bool cpu_has_kvm_support(void)
{
	uint32_t r[4];

	cpu_cpuid(host_cpu(0), 1, 0, r);
	return r[2] & CPUID_1_ECX_VMX;
}

static bool vmx_disabled_by_bios(void)
{
	uint64_t msr;

	/* Without the MSR there is nothing the firmware could have enabled. */
	if (cpu_rdmsr(host_cpu(0), MSR_IA32_FEAT_CTL, &msr))
		return true;
	/* Locked without VMX outside SMX: VMXON would #GP. Unlocked is fine:
	 * hardware_enable locks it with VMX enabled, as 4.x KVM does. */
	return (msr & FEAT_CTL_LOCKED) &&
	       !(msr & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
}

/* ---- per-CPU enable --------------------------------------------------- */

static void ept_sync_global(struct cpu *cpu)
{
	cpu_invept(cpu, VMX_EPT_EXTENT_GLOBAL, 0);
}

static int vmx_hardware_enable(int c)
{
	struct cpu *cpu = host_cpu(c);
	uint64_t cr4 = cpu_read_cr4(cpu), fc;
	int r = 0;

	host_cpu_get(c);
	if (cr4 & X86_CR4_VMXE) {
		r = -EBUSY;
		goto out;
	}
	if (cpu_rdmsr(cpu, MSR_IA32_FEAT_CTL, &fc) == 0 &&
	    !(fc & FEAT_CTL_LOCKED))
		cpu_wrmsr(cpu, MSR_IA32_FEAT_CTL,
			  fc | FEAT_CTL_LOCKED |
			      FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
	if (cpu_write_cr4(cpu, cr4 | X86_CR4_VMXE)) {
		r = -EIO;
		goto out;
	}
	if (cpu_vmxon(cpu, vmxarea[c]) != VMX_SUCCEED) {
		cpu_write_cr4(cpu, cr4);
		r = -EFAULT;
		goto out;
	}
	if (enable_ept)
		ept_sync_global(cpu);
out:
	host_cpu_put(c);
	return r;
}

static void vmx_hardware_disable(int c)
{
	struct cpu *cpu = host_cpu(c);

	/* Every vCPU VMCLEARs its VMCS when freed, so nothing is left
	 * active here; VMXOFF and clear CR4.VMXE regardless of faults. */
	host_cpu_get(c);
	cpu_vmxoff(cpu);
	cpu_write_cr4(cpu, cpu_read_cr4(cpu) & ~X86_CR4_VMXE);
	host_cpu_put(c);
}

/* ---- VPIDs ------------------------------------------------------------ */

#define VMX_NR_VPIDS (1 << 16)
static uint8_t vmx_vpid_bitmap[VMX_NR_VPIDS / 8];
static pthread_mutex_t vmx_vpid_lock = PTHREAD_MUTEX_INITIALIZER;

static uint16_t allocate_vpid(void)
{
	uint16_t vpid = 0;

	if (!enable_vpid)
		return 0;
	pthread_mutex_lock(&vmx_vpid_lock);
	vmx_vpid_bitmap[0] |= 1; /* VPID 0 is the host's */
	for (int i = 1; i < VMX_NR_VPIDS; i++)
		if (!(vmx_vpid_bitmap[i / 8] & (1u << (i % 8)))) {
			vmx_vpid_bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
			vpid = (uint16_t)i;
			break;
		}
	pthread_mutex_unlock(&vmx_vpid_lock);
	return vpid; /* 0 when exhausted: run without VPID */
}

static void free_vpid(uint16_t vpid)
{
	if (!vpid)
		return;
	pthread_mutex_lock(&vmx_vpid_lock);
	vmx_vpid_bitmap[vpid / 8] &= (uint8_t) ~(1u << (vpid % 8));
	pthread_mutex_unlock(&vmx_vpid_lock);
}

/* ---- vCPU life cycle --------------------------------------------------- */

static void vmx_vcpu_load(struct kvm_vcpu *vcpu, int c)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	host_cpu_get(c);
	vmx->loaded_vmcs->cpu = c;
	cpu_vmptrld(host_cpu(c), vmx->loaded_vmcs->vmcs);
}

static void vmx_vcpu_put(struct kvm_vcpu *vcpu)
{
	host_cpu_put(vcpu->cpu);
}

static int vmx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* A vCPU runs on a fixed host CPU; VMCS and bitmaps from its node. */
	vcpu->cpu = vcpu->vcpu_idx % nr_cpu_ids;
	vmx->vpid = allocate_vpid();
	vmx->vmcs01.vmcs = alloc_vmcs_cpu(vcpu->cpu);
	vmx->vmcs01.cpu = -1;
	vmx->vmcs01.launched = false;
	if (!vmx->vmcs01.vmcs)
		goto fail;
	vmx->loaded_vmcs = &vmx->vmcs01;
	if (cpu_has_vmx_msr_bitmap()) {
		vmx->msr_bitmap =
		    kvm_alloc_pages_node(cpu_to_node(vcpu->cpu), PAGE_SIZE);
		if (!vmx->msr_bitmap)
			goto fail;
		/* Intercept every MSR: guest MSR state lives in vcpu->arch. */
		memset(vmx->msr_bitmap, 0xff, PAGE_SIZE);
	}
	/* VMCLEAR makes the new VMCS clear and inactive before first use. */
	host_cpu_get(vcpu->cpu);
	cpu_vmclear(vcpu_host_cpu(vcpu), vmx->vmcs01.vmcs);
	host_cpu_put(vcpu->cpu);

	vmx_vcpu_load(vcpu, vcpu->cpu);
	vmx_init_vmcs(vmx);
	vmx_vcpu_put(vcpu);
	return 0;
fail:
	free_vmcs(vmx->vmcs01.vmcs);
	vmx->vmcs01.vmcs = NULL;
	free_vpid(vmx->vpid);
	return -ENOMEM;
}

static void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	host_cpu_get(vcpu->cpu);
	cpu_vmclear(vcpu_host_cpu(vcpu), vmx->vmcs01.vmcs);
	host_cpu_put(vcpu->cpu);
	free_vmcs(vmx->vmcs01.vmcs);
	vmx->vmcs01.vmcs = NULL;
	kvm_free_pages(vmx->msr_bitmap, PAGE_SIZE);
	vmx->msr_bitmap = NULL;
	free_vpid(vmx->vpid);
}

static void vmx_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	/* Architectural state lives in vcpu->arch and is loaded into the
	 * VMCS before every entry; only VMX-private state resets here. */
	to_vmx(vcpu)->injected_intr_info = 0;
}

static void vmx_set_cr3(struct kvm_vcpu *vcpu, uint64_t cr3)
{
	/* With EPT the guest owns CR3: GUEST_CR3 is written from arch.cr3
	 * at the next entry (vmx_load_guest_state). */
	vcpu->arch.cr3 = cr3;
}

uint64_t vmx_construct_eptp(uint64_t root_hpa)
{
	return root_hpa | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
}

static void vmx_set_tdp_cr3(struct kvm_vcpu *vcpu, uint64_t root_hpa)
{
	to_vmx(vcpu)->eptp = vmx_construct_eptp(root_hpa);
}

static void vmx_tlb_flush(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct cpu *cpu = vcpu_host_cpu(vcpu);

	/* Caller holds the vCPU's host CPU. Guest-physical mappings are
	 * tagged by EPTP, linear ones by VPID: flush both. */
	if (enable_ept)
		cpu_invept(cpu,
			   cpu_has_vmx_invept_context() ? VMX_EPT_EXTENT_CONTEXT
							: VMX_EPT_EXTENT_GLOBAL,
			   vmx->eptp);
	if (vmx->vpid)
		cpu_invvpid(cpu, VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid, 0);
}

static bool vmx_tdp_enabled(void)
{
	return enable_ept;
}

static const char *vmx_guest_state_unsupported(struct kvm_vcpu *vcpu)
{
	if (!enable_unrestricted_guest && !(vcpu->arch.cr0 & X86_CR0_PE))
		return "real mode (CR0.PE=0) needs unrestricted guest, which "
		       "this CPU model lacks (no vm86 real-mode support)";
	return NULL;
}

static bool vmx_guest_time_bounded(void)
{
	return enable_preemption_timer;
}

static void vmx_kick(struct kvm_vcpu *vcpu)
{
	if (vcpu->cpu >= 0)
		cpu_kick(vcpu_host_cpu(vcpu));
}

int vmx_vcpu_run(struct kvm_vcpu *vcpu);

struct kvm_x86_ops vmx_x86_ops = {
    .name = "kvm_intel",
    .cpu_has_kvm_support = cpu_has_kvm_support,
    .disabled_by_bios = vmx_disabled_by_bios,
    .hardware_setup = vmx_hardware_setup,
    .hardware_unsetup = vmx_hardware_unsetup,
    .check_processor_compatibility = vmx_check_processor_compat,
    .hardware_enable = vmx_hardware_enable,
    .hardware_disable = vmx_hardware_disable,
    .vcpu_create = vmx_vcpu_create,
    .vcpu_free = vmx_vcpu_free,
    .vcpu_reset = vmx_vcpu_reset,
    .vcpu_load = vmx_vcpu_load,
    .vcpu_put = vmx_vcpu_put,
    .set_cr3 = vmx_set_cr3,
    .set_tdp_cr3 = vmx_set_tdp_cr3,
    .tlb_flush = vmx_tlb_flush,
    .run = vmx_vcpu_run,
    .handle_exit = vmx_handle_exit,
    .skip_emulated_instruction = vmx_skip_emulated_instruction,
    .guest_state_unsupported = vmx_guest_state_unsupported,
    .tdp_enabled = vmx_tdp_enabled,
    .guest_time_bounded = vmx_guest_time_bounded,
    .kick = vmx_kick,
};

/* ---- module ----------------------------------------------------------- */

static int vmx_init(void)
{
	return kvm_init(&vmx_x86_ops, sizeof(struct vcpu_vmx),
			__alignof__(struct vcpu_vmx), THIS_MODULE);
}

static void vmx_exit(void)
{
	kvm_exit();
}

module_init(vmx_init);
module_exit(vmx_exit);
