// SPDX-License-Identifier: GPL-2.0
/* Calls into the x86 core; see core_glue.h. */
#include "cpu/vmx/core_glue.h"
#include "cpu/vmx/tlb.h"

struct x86_core *vmx_core_create(void)
{
	return x86_core_create();
}

void vmx_core_destroy(struct x86_core *core)
{
	if (core)
		x86_core_destroy(core);
}

struct x86_ctl *vmx_core_ctl(struct cpu *cpu)
{
	return x86_core_ctl(cpu->core);
}

uint32_t vmx_core_run(struct cpu *cpu, const struct x86_env_ops *ops, void *env,
		      struct x86_exit *exit)
{
	return x86_run(&cpu->guest, cpu->core, ops, env, exit);
}

uint32_t vmx_core_inject(struct cpu *cpu, const struct x86_env_ops *ops,
			 void *env, const struct x86_event *ev,
			 struct x86_exit *exit)
{
	return x86_inject_event(&cpu->guest, cpu->core, ops, env, ev, exit);
}

void vmx_core_flush_tlb(struct cpu *cpu, bool global)
{
	x86_flush_tlb(cpu->core, global);
}

void vmx_core_flush_gla(struct cpu *cpu, uint64_t gla)
{
	x86_flush_tlb_gla(cpu->core, gla);
}

void cpu_guest_memory_written(struct cpu *cpu, uint64_t gpa, uint64_t len)
{
	x86_code_written(cpu->core, gpa, len);
}

void cpu_get_stats(struct cpu *cpu, struct cpu_stats *st)
{
	struct x86_ctl *ctl = vmx_core_ctl(cpu);

	st->vm_entries = cpu->vm_entries;
	st->vm_exits = cpu->vm_exits;
	st->ept_tlb_hits = cpu->tlb->hits;
	st->ept_tlb_misses = cpu->tlb->misses;
	st->insns_retired = ctl->insns_retired;
}
