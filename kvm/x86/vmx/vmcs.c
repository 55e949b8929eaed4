// SPDX-License-Identifier: GPL-2.0
/*
 * VMCS regions: alloc_vmcs_cpu (one zeroed page from the CPU's NUMA node,
 * stamped with the revision id), the per-CPU VMXON areas (alloc_kvm_area /
 * free_kvm_area), and VMREAD/VMWRITE wrappers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm/page_alloc.h"
#include "kvm/report.h"
#include "kvm/x86/vmx/vmx.h"

struct vmcs *vmxarea[KVM_MAX_HOST_CPUS];

struct vmcs *alloc_vmcs_cpu(int cpu)
{
	int node = cpu_to_node(cpu);
	struct vmcs *vmcs;

	vmcs = kvm_alloc_pages_node(node, PAGE_SIZE);
	if (!vmcs)
		return NULL;
	/* kvm_alloc_pages_node zeroes; the header is all software writes. */
	vmcs->hdr.revision_id = vmcs_config.revision_id;
	return vmcs;
}

void free_vmcs(struct vmcs *vmcs)
{
	kvm_free_pages(vmcs, PAGE_SIZE);
}

void free_kvm_area(void)
{
	int cpu;

	for (cpu = 0; cpu < KVM_MAX_HOST_CPUS; cpu++) {
		free_vmcs(vmxarea[cpu]);
		vmxarea[cpu] = NULL;
	}
}

int alloc_kvm_area(void)
{
	int cpu;

	kvm_report_begin("alloc_kvm_area");
	kvm_report_note("allocator", "%s", kvm_page_allocator_name());
	for_each_possible_cpu(cpu)
	{
		struct vmcs *vmcs = alloc_vmcs_cpu(cpu);

		if (!vmcs) {
			kvm_report_note("failed", "alloc_vmcs_cpu(%d)", cpu);
			free_kvm_area();
			kvm_report_end(-ENOMEM, "freed every region allocated");
			return -ENOMEM;
		}
		vmxarea[cpu] = vmcs;
		kvm_report_note("vmxarea", "cpu %d node %d at %p rev %#x", cpu,
				cpu_to_node(cpu), (void *)vmcs,
				vmcs->hdr.revision_id);
	}
	kvm_report_end(0, "%d regions of %d bytes", nr_cpu_ids,
		       vmcs_config.size);
	return 0;
}

/* -1: not shadowed (read-only data, the entry interruption field whose
 * valid bit the CPU clears, indexes beyond the table). */
static inline __attribute__((always_inline)) int
shadow_slot(enum vmcs_field field)
{
	unsigned type = (field >> 10) & 3, width = (field >> 13) & 3;
	unsigned index = (field >> 1) & 0x1ff;

	if (type == 1 || index >= 64 || (field & 1) ||
	    field == VM_ENTRY_INTR_INFO_FIELD)
		return -1;
	return (int)(type << 8 | width << 6 | index);
}

void vmcs_shadow_drop_guest_state(struct kvm_vcpu *vcpu)
{
	memset(to_vmx(vcpu)->vmcs_shadow_valid + VMCS_SHADOW_GUEST_FIRST, 0,
	       VMCS_SHADOW_GUEST_COUNT);
}

uint64_t vmcs_read(struct kvm_vcpu *vcpu, enum vmcs_field field)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	uint64_t v = 0;
	enum vmx_result r = cpu_vmread(vcpu_host_cpu(vcpu), field, &v);
	int slot = shadow_slot(field);

	if (r != VMX_SUCCEED) {
		static bool warned;

		if (!warned)
			pr_err("vmread %#x failed (%d)", field, r);
		warned = true;
		return 0;
	}
	if (slot >= 0) {
		vmx->vmcs_shadow[slot] = v;
		vmx->vmcs_shadow_valid[slot] = 1;
	}
	return v;
}

void vmcs_write(struct kvm_vcpu *vcpu, enum vmcs_field field, uint64_t val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int slot = shadow_slot(field);
	enum vmx_result r;

	if (slot >= 0 && vmx->vmcs_shadow_valid[slot] &&
	    vmx->vmcs_shadow[slot] == val)
		return;
	r = cpu_vmwrite(vcpu_host_cpu(vcpu), field, val);
	if (r != VMX_SUCCEED) {
		static bool warned;

		if (slot >= 0)
			vmx->vmcs_shadow_valid[slot] = 0;
		if (!warned)
			pr_err("vmwrite %#x = %#llx failed (%d)", field,
			       (unsigned long long)val, r);
		warned = true;
		return;
	}
	if (slot >= 0) {
		vmx->vmcs_shadow[slot] = val;
		vmx->vmcs_shadow_valid[slot] = 1;
	}
}
