/* SPDX-License-Identifier: GPL-2.0 */
/* Default physical bases of the local APIC and the I/O APIC (as Linux's
 * asm/apicdef.h names them): the reset value of IA32_APIC_BASE and where
 * firmware tables place the IOAPIC. */
#ifndef KVMINI_X86_APICDEF_H
#define KVMINI_X86_APICDEF_H

#define APIC_DEFAULT_PHYS_BASE	  0xfee00000ull
#define IO_APIC_DEFAULT_PHYS_BASE 0xfec00000ull

/* IA32_APIC_BASE.EXTD: x2APIC mode */
#define X2APIC_ENABLE (1ull << 10)

#endif
