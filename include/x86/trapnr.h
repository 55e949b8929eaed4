/* SPDX-License-Identifier: GPL-2.0 */
/* Exception vectors (SDM vol. 3A 6.3), as Linux's uapi/asm/kvm.h names them. */
#ifndef KVMINI_X86_TRAPNR_H
#define KVMINI_X86_TRAPNR_H

#define DE_VECTOR 0
#define DB_VECTOR 1
#define BP_VECTOR 3
#define UD_VECTOR 6
#define DF_VECTOR 8
#define TS_VECTOR 10
#define NP_VECTOR 11
#define GP_VECTOR 13
#define PF_VECTOR 14
#define AC_VECTOR 17
#define MC_VECTOR 18

#endif
