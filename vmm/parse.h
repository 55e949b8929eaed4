/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line value parsing shared by tools/ and tests. */
#ifndef KVMINI_VMM_PARSE_H
#define KVMINI_VMM_PARSE_H

#include <stdint.h>

/* "64M", "1G", "1048576", "512K" (suffixes K M G, powers of 1024).
 * -EINVAL/-ERANGE. */
int vmm_parse_size(const char *s, uint64_t *out);
/* Decimal or 0x hex, whole string, no sign. */
int vmm_parse_u64(const char *s, uint64_t *out);

#endif
