/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place cpu/vmx calls into the x86 execution core (cpu/x86/x86.h).
 */
#ifndef KVMINI_CPU_VMX_CORE_GLUE_H
#define KVMINI_CPU_VMX_CORE_GLUE_H

#include "cpu/internal.h"

struct x86_core *vmx_core_create(void);
void vmx_core_destroy(struct x86_core *core);
struct x86_ctl *vmx_core_ctl(struct cpu *cpu);
uint32_t vmx_core_run(struct cpu *cpu, const struct x86_env_ops *ops, void *env,
		      struct x86_exit *exit);
uint32_t vmx_core_inject(struct cpu *cpu, const struct x86_env_ops *ops,
			 void *env, const struct x86_event *ev,
			 struct x86_exit *exit);
void vmx_core_flush_tlb(struct cpu *cpu, bool global);
void vmx_core_flush_gla(struct cpu *cpu, uint64_t gla);

#endif
