/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arithmetic and RFLAGS of the read-modify-write instructions the MMIO
 * emulator completes (kvm/ may not use the soft CPU's ALU: it talks to the
 * CPU only through cpu/cpu.h).
 */
#ifndef KVMINI_KVM_X86_EMULATE_FLAGS_H
#define KVMINI_KVM_X86_EMULATE_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

enum emul_op {
	EMUL_ADD,
	EMUL_OR,
	EMUL_ADC,
	EMUL_SBB,
	EMUL_AND,
	EMUL_SUB,
	EMUL_XOR,
	EMUL_CMP,
	EMUL_TEST,
	EMUL_INC,
	EMUL_DEC,
	EMUL_NEG,
	EMUL_NOT,
	EMUL_BT,
	EMUL_BTS,
	EMUL_BTR,
	EMUL_BTC,
};

/* @dst op @src on @bytes (1, 2, 4, 8) bytes; updates the status flags of
 * *@rflags as the instruction does and returns the result (for BT*, @src is
 * the bit offset already reduced modulo the operand width). */
uint64_t emul_alu(enum emul_op op, uint64_t dst, uint64_t src, int bytes,
		  uint64_t *rflags);
/* Whether the operation stores its result (CMP, TEST, BT do not). */
bool emul_op_writes(enum emul_op op);

#endif
