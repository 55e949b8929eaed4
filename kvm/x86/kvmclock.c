// SPDX-License-Identifier: GPL-2.0
/* See kvmclock.h. */
#include "kvm/x86/kvmclock.h"

#include <string.h>
#include <time.h>

#include "kvm/kvm_host.h"
#include "kvm/x86/x86.h"

/* struct pvclock_vcpu_time_info (32 bytes) and pvclock_wall_clock. */
struct pvclock_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

struct pvclock_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

#define PVCLOCK_TSC_STABLE_BIT (1u << 0)

void kvmclock_init_vm(struct kvm *kvm)
{
	struct timespec ts;

	/* Wall-clock time at the moment the guest TSC (and kvmclock) is 0. */
	clock_gettime(CLOCK_REALTIME, &ts);
	kvm->arch.kvmclock_boot_ns =
	    (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * ns = (tsc << shift or >> -shift) * mul >> 32 (the guest's formula).
 * Pick the shift that brings the TSC rate into (1, 2] GHz, so the
 * multiplier 2^32 * 1e9 / rate is below 2^32 and keeps 31+ bits.
 */
static void time_scale(uint64_t tsc_hz, int8_t *shift, uint32_t *mul)
{
	int s = 0;
	uint64_t hz = tsc_hz ? tsc_hz : 1000000000ull;

	while (hz > 2000000000ull) {
		hz >>= 1;
		s--;
	}
	while (hz <= 1000000000ull) {
		hz <<= 1;
		s++;
	}
	*shift = (int8_t)s;
	*mul = (uint32_t)(((unsigned __int128)1000000000ull << 32) / hz);
}

static void write_time(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct pvclock_time t;

	memset(&t, 0, sizeof(t));
	/* Guest TSC 0 is system time 0 (both start at KVM_CREATE_VM), and
	 * the TSC is the same on every vCPU: one fixed record does. */
	t.version = 2; /* even: stable */
	t.tsc_timestamp = 0;
	t.system_time = 0;
	{
		int8_t shift;
		uint32_t mul;

		time_scale((uint64_t)tsc_khz * 1000, &shift, &mul);
		t.tsc_shift = shift;
		t.tsc_to_system_mul = mul;
	}
	t.flags = PVCLOCK_TSC_STABLE_BIT;
	kvm_write_guest(vcpu->kvm, gpa, &t, sizeof(t));
}

static void write_wall(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct pvclock_wall w;
	uint64_t boot = vcpu->kvm->arch.kvmclock_boot_ns;

	w.version = 2;
	w.sec = (uint32_t)(boot / 1000000000ull);
	w.nsec = (uint32_t)(boot % 1000000000ull);
	kvm_write_guest(vcpu->kvm, gpa, &w, sizeof(w));
}

int kvmclock_set_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		vcpu->arch.kvmclock_msr = data;
		/* Bit 0 enables; the structure must not cross a page. */
		if ((data & 1) &&
		    ((data & ~1ull) & 0xfff) + sizeof(struct pvclock_time) <=
			4096)
			write_time(vcpu, data & ~1ull);
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		vcpu->kvm->arch.kvmclock_wall_msr = data;
		write_wall(vcpu, data);
		return 0;
	}
	return -1;
}

int kvmclock_get_msr(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->arch.kvmclock_msr;
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = vcpu->kvm->arch.kvmclock_wall_msr;
		return 0;
	}
	return -1;
}
