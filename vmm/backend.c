// SPDX-License-Identifier: GPL-2.0
/* Backend selection: --backend auto|kvm|soft. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/backend.h"

const char *vmm_kvm_dev_path(void)
{
	const char *p = getenv("KVMINI_DEV_KVM");

	return p && *p ? p : "/dev/kvm";
}

int vmm_backend_parse(const char *s, enum vmm_backend_kind *kind)
{
	if (!strcmp(s, "auto"))
		*kind = VMM_BACKEND_AUTO;
	else if (!strcmp(s, "kvm"))
		*kind = VMM_BACKEND_KVM;
	else if (!strcmp(s, "soft"))
		*kind = VMM_BACKEND_SOFT;
	else
		return -EINVAL;
	return 0;
}

int vmm_backend_open(struct vmm_backend *b, enum vmm_backend_kind kind,
		     const char *cpu_model, char *err, size_t errlen)
{
	int r;

	memset(b, 0, sizeof(*b));
	b->sys = -1;
	switch (kind) {
	case VMM_BACKEND_KVM:
		return vmm_backend_kvm_open(b, err, errlen);
	case VMM_BACKEND_SOFT:
		return vmm_backend_soft_open(b, cpu_model, err, errlen);
	case VMM_BACKEND_AUTO:
		r = vmm_backend_kvm_open(b, err, errlen);
		if (r >= 0)
			return r;
		/* The kvm error explains why we fell back; keep it quiet. */
		return vmm_backend_soft_open(b, cpu_model, err, errlen);
	}
	snprintf(err, errlen, "unknown backend");
	return -EINVAL;
}

void vmm_backend_close(struct vmm_backend *b)
{
	if (!b->ops)
		return;
	if (b->sys >= 0)
		b->ops->close(b->sys);
	if (b->ops->unload)
		b->ops->unload();
	b->sys = -1;
	b->ops = NULL;
}
