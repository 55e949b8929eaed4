/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IOAPIC (arch/x86/kvm/ioapic.h): 24 redirection entries at
 * 0xfec00000, reached through IOREGSEL/IOWIN. State is struct
 * kvm_ioapic_state itself. All functions run under chip->lock.
 */
#ifndef KVMINI_KVM_X86_IRQ_IOAPIC_H
#define KVMINI_KVM_X86_IRQ_IOAPIC_H

#include <stdint.h>
#include <x86/apicdef.h>

#include "kvm/x86/irq/irq.h"

#define IOAPIC_MMIO_LENGTH 0x100
#define IOAPIC_VERSION_ID  0x11
#define IOAPIC_REG_SELECT  0x00
#define IOAPIC_REG_WINDOW  0x10

void kvm_ioapic_init(struct kvm_ioapic *ioapic);
/* Line @pin from @source at @level: 1 delivered, 0 coalesced, -1 masked. */
int kvm_ioapic_set_irq(struct kvm_irqchip_vm *chip, int pin, int source,
		       bool level);
/* A LAPIC EOI of @vector (EOI broadcast). For a level-triggered one
 * (TMR set): clear remote IRR and deliver again if the line is still
 * asserted. Either way the PIT learns its tick was taken. */
void kvm_ioapic_eoi(struct kvm_irqchip_vm *chip, int vector, bool level);
uint32_t kvm_ioapic_mmio_read(struct kvm_irqchip_vm *chip, uint64_t off);
void kvm_ioapic_mmio_write(struct kvm_irqchip_vm *chip, uint64_t off,
			   uint32_t val);

#endif
