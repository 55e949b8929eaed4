// SPDX-License-Identifier: GPL-2.0
/* See emulate.h. */
#include "kvm/x86/emulate.h"
#include "kvm/x86/emulate_flags.h"
#include "kvm/x86/emulate_priv.h"

#include <Zydis/Zydis.h>
#include <errno.h>
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/page_alloc.h"
#include "kvm/x86/irq/irq.h"
#include "kvm/x86/x86.h"

#define PT_PRESENT 1ull
#define PT_PS	   (1ull << 7)
#define PT64_ADDR  0x000ffffffffff000ull

/* ---- guest page walk -------------------------------------------------- */

static int read_pte(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t *pte,
		    int bytes)
{
	*pte = 0;
	return kvm_read_guest(vcpu->kvm, gpa, pte, (unsigned long)bytes);
}

int kvm_gva_to_gpa(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t *gpa)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t pte, table;

	if (!is_paging(vcpu)) {
		*gpa = gva & 0xffffffffull;
		return 0;
	}
	if (is_long_mode(vcpu)) {
		table = a->cr3 & PT64_ADDR;
		for (int level = 4; level >= 1; level--) {
			int shift = 12 + 9 * (level - 1);

			if (read_pte(vcpu, table + ((gva >> shift) & 511) * 8,
				     &pte, 8) ||
			    !(pte & PT_PRESENT))
				return -1;
			if ((level == 3 || level == 2) && (pte & PT_PS)) {
				uint64_t m = (1ull << shift) - 1;

				*gpa = ((pte & PT64_ADDR) & ~m) | (gva & m);
				return 0;
			}
			table = pte & PT64_ADDR;
		}
		*gpa = table | (gva & 0xfff);
		return 0;
	}
	gva &= 0xffffffffull;
	if (a->cr4 & X86_CR4_PAE) {
		if (read_pte(vcpu, (a->cr3 & ~0x1full) + (gva >> 30) * 8, &pte,
			     8) ||
		    !(pte & PT_PRESENT))
			return -1;
		table = pte & PT64_ADDR;
		if (read_pte(vcpu, table + ((gva >> 21) & 511) * 8, &pte, 8) ||
		    !(pte & PT_PRESENT))
			return -1;
		if (pte & PT_PS) {
			*gpa = ((pte & PT64_ADDR) & ~0x1fffffull) |
			       (gva & 0x1fffff);
			return 0;
		}
		table = pte & PT64_ADDR;
		if (read_pte(vcpu, table + ((gva >> 12) & 511) * 8, &pte, 8) ||
		    !(pte & PT_PRESENT))
			return -1;
		*gpa = (pte & PT64_ADDR) | (gva & 0xfff);
		return 0;
	}
	/* 32-bit paging, 4 MiB pages with CR4.PSE (PSE-36 bits honoured). */
	if (read_pte(vcpu, (a->cr3 & 0xfffff000ull) + (gva >> 22) * 4, &pte,
		     4) ||
	    !(pte & PT_PRESENT))
		return -1;
	if ((pte & PT_PS) && (a->cr4 & X86_CR4_PSE)) {
		*gpa = (pte & 0xffc00000ull) | ((pte >> 13) & 0xffull) << 32 |
		       (gva & 0x3fffff);
		return 0;
	}
	table = pte & 0xfffff000ull;
	if (read_pte(vcpu, table + ((gva >> 12) & 1023) * 4, &pte, 4) ||
	    !(pte & PT_PRESENT))
		return -1;
	*gpa = (pte & 0xfffff000ull) | (gva & 0xfff);
	return 0;
}

/* Copy guest-linear memory (page by page through the guest's tables). */
int kvm_read_linear(struct kvm_vcpu *vcpu, uint64_t gva, void *buf,
		    unsigned len)
{
	uint8_t *p = buf;

	while (len) {
		unsigned chunk =
		    (unsigned)(PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
		uint64_t gpa;

		if (chunk > len)
			chunk = len;
		if (kvm_gva_to_gpa(vcpu, gva, &gpa) ||
		    kvm_read_guest(vcpu->kvm, gpa, p, chunk))
			return -1;
		p += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

int kvm_write_linear(struct kvm_vcpu *vcpu, uint64_t gva, const void *buf,
		     unsigned len)
{
	const uint8_t *p = buf;

	while (len) {
		unsigned chunk =
		    (unsigned)(PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
		uint64_t gpa;

		if (chunk > len)
			chunk = len;
		if (kvm_gva_to_gpa(vcpu, gva, &gpa) ||
		    kvm_write_guest(vcpu->kvm, gpa, p, chunk))
			return -1;
		p += chunk;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

/* ---- decoding --------------------------------------------------------- */

bool emul_cs_long(struct kvm_vcpu *vcpu)
{
	return is_long_mode(vcpu) && vcpu->arch.segments[VCPU_SREG_CS].l;
}

static int decode_at_rip(struct kvm_vcpu *vcpu, ZydisDecodedInstruction *insn,
			 ZydisDecodedOperand *ops, uint8_t *bytes)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	ZydisDecoder dec;
	ZydisMachineMode mode;
	ZydisStackWidth sw;
	uint64_t lin = a->segments[VCPU_SREG_CS].base + a->rip;
	unsigned got = 0;

	if (emul_cs_long(vcpu)) {
		mode = ZYDIS_MACHINE_MODE_LONG_64;
		sw = ZYDIS_STACK_WIDTH_64;
		lin = a->rip;
	} else if (a->segments[VCPU_SREG_CS].db) {
		mode = ZYDIS_MACHINE_MODE_LEGACY_32;
		sw = ZYDIS_STACK_WIDTH_32;
	} else {
		mode = is_protmode(vcpu) ? ZYDIS_MACHINE_MODE_LEGACY_16
					 : ZYDIS_MACHINE_MODE_REAL_16;
		sw = ZYDIS_STACK_WIDTH_16;
	}
	/* Up to 15 bytes, fewer if the rest is not readable memory. */
	memset(bytes, 0, 15);
	while (got < 15 &&
	       kvm_read_linear(vcpu, lin + got, bytes + got, 1) == 0)
		got++;
	if (!got)
		return -EFAULT;
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, mode, sw)) ||
	    ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, bytes, got, insn, ops)))
		return -EINVAL;
	return 0;
}

int emul_gpr_of(ZydisRegister reg, int *width, bool *high8)
{
	ZydisRegister big =
	    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);

	if (big < ZYDIS_REGISTER_RAX || big > ZYDIS_REGISTER_R15)
		return -1;
	*width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, reg);
	*high8 = reg >= ZYDIS_REGISTER_AH && reg <= ZYDIS_REGISTER_BH;
	return (int)(big - ZYDIS_REGISTER_RAX);
}

void emul_set_gpr(struct kvm_vcpu *vcpu, int idx, int width, bool high8,
		  uint64_t v)
{
	uint64_t *r = &vcpu->arch.regs[idx];

	switch (width) {
	case 8:
		if (high8)
			*r = (*r & ~0xff00ull) | ((v & 0xff) << 8);
		else
			*r = (*r & ~0xffull) | (v & 0xff);
		break;
	case 16:
		*r = (*r & ~0xffffull) | (v & 0xffff);
		break;
	case 32:
		*r = v & 0xffffffffull; /* 32-bit writes zero-extend */
		break;
	default:
		*r = v;
	}
}

uint64_t emul_get_gpr(struct kvm_vcpu *vcpu, int idx, int width, bool high8)
{
	uint64_t r = vcpu->arch.regs[idx];

	if (high8)
		return (r >> 8) & 0xff;
	return width >= 64 ? r : r & ((1ull << width) - 1);
}

int emul_failed(struct kvm_vcpu *vcpu, const uint8_t *bytes, unsigned n,
		const char *why)
{
	struct kvm_run *run = vcpu->run;

	pr_err("vcpu %d: cannot emulate at rip %#llx (%s): %02x %02x %02x %02x",
	       vcpu->vcpu_id, (unsigned long long)vcpu->arch.rip, why, bytes[0],
	       bytes[1], bytes[2], bytes[3]);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 3;
	run->emulation_failure.flags =
	    KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = (uint8_t)n;
	memcpy(run->emulation_failure.insn_bytes, bytes, n > 15 ? 15 : n);
	return 0;
}

/* ---- MMIO --------------------------------------------------------------- */

/* Linear address of a memory operand (segment base included). */
int emul_mem_linear(struct kvm_vcpu *vcpu, const ZydisDecodedInstruction *insn,
		    const ZydisDecodedOperand *op, uint64_t *lin)
{
	static ZydisRegisterContext ctx_zero;
	ZydisRegisterContext ctx = ctx_zero;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t addr, base = 0;
	int seg;

	for (int r = ZYDIS_REGISTER_AL; r <= ZYDIS_REGISTER_R15; r++) {
		int w;
		bool h;
		int idx = emul_gpr_of((ZydisRegister)r, &w, &h);

		if (idx >= 0)
			ctx.values[r] = emul_get_gpr(vcpu, idx, w, h);
	}
	if (ZYAN_FAILED(
		ZydisCalcAbsoluteAddressEx(insn, op, a->rip, &ctx, &addr)))
		return -1;
	seg = (int)op->mem.segment - (int)ZYDIS_REGISTER_ES;
	if (seg >= 0 && seg < 6 &&
	    (!emul_cs_long(vcpu) || seg == VCPU_SREG_FS || seg == VCPU_SREG_GS))
		base = a->segments[seg].base;
	*lin = emul_cs_long(vcpu) ? base + addr : (uint32_t)(base + addr);
	return 0;
}

/* Guest-physical memory KVM can access directly for this access? */
static bool gpa_is_ram(struct kvm *kvm, uint64_t gpa, bool write)
{
	bool writable = false;
	void *hva;

	pthread_mutex_lock(&kvm->mmu_lock);
	hva = gpa_to_hva(kvm, gpa, &writable);
	pthread_mutex_unlock(&kvm->mmu_lock);
	return hva && (!write || writable);
}

struct mmio_frag {
	uint64_t gpa;
	unsigned off, len;
	bool mmio;
};

/* Split an access at its page boundary, as the emulator must: each part
 * is RAM (done here) or MMIO (an exit). Returns the number of parts. */
static int split_access(struct kvm_vcpu *vcpu, uint64_t lin, unsigned size,
			bool write, struct mmio_frag f[2])
{
	unsigned first = (unsigned)(PAGE_SIZE - (lin & (PAGE_SIZE - 1)));
	int n = first < size ? 2 : 1;

	f[0].off = 0;
	f[0].len = n == 2 ? first : size;
	f[1].off = f[0].len;
	f[1].len = size - f[0].len;
	for (int i = 0; i < n; i++) {
		if (kvm_gva_to_gpa(vcpu, lin + f[i].off, &f[i].gpa))
			return -1;
		f[i].mmio = !gpa_is_ram(vcpu->kvm, f[i].gpa, write);
	}
	return n;
}

/* Do the RAM parts now; set up the exit for the MMIO part. Returns 1 if
 * nothing is left for userspace, 0 if an MMIO exit is set up, -1 if the
 * access cannot be expressed (two separate MMIO parts). @val is @base
 * bytes into mmio_value when it is the read cache (else @base is 0). */
static int access_parts(struct kvm_vcpu *vcpu, struct mmio_frag *f, int n,
			bool write, uint8_t *val, unsigned base)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_run *run = vcpu->run;
	int mmio = -1;

	if (n == 2 && f[0].mmio && f[1].mmio) {
		if (f[1].gpa != f[0].gpa + f[0].len)
			return -1;
		f[0].len += f[1].len; /* physically contiguous: one exit */
		n = 1;
	}
	for (int i = 0; i < n; i++) {
		if (f[i].mmio) {
			mmio = i;
			continue;
		}
		if (write)
			kvm_write_guest(vcpu->kvm, f[i].gpa, val + f[i].off,
					f[i].len);
		else
			kvm_read_guest(vcpu->kvm, f[i].gpa, val + f[i].off,
				       f[i].len);
	}
	if (mmio < 0)
		return 1;
	memset(&run->mmio, 0, sizeof(run->mmio));
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = f[mmio].gpa;
	run->mmio.len = f[mmio].len;
	run->mmio.is_write = write;
	if (write)
		memcpy(run->mmio.data, val + f[mmio].off, f[mmio].len);
	/* The LAPIC page and the IOAPIC window of the in-kernel irqchip. */
	if (kvm_irq_mmio(vcpu, f[mmio].gpa, write, run->mmio.data,
			 (int)f[mmio].len)) {
		if (!write)
			memcpy(val + f[mmio].off, run->mmio.data, f[mmio].len);
		return 1;
	}
	a->mmio_frag_off = base + f[mmio].off;
	a->mmio_frag_len = f[mmio].len;
	return 0;
}

void emul_finish_insn(struct kvm_vcpu *vcpu)
{
	vcpu->arch.rip = vcpu->arch.pending_rip;
	vcpu->arch.interruptibility &= ~3u; /* NMI blocking stays */
}

static int finish_read(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint64_t v = 0;

	memcpy(&v, a->mmio_value, (size_t)a->mmio_size);
	if (a->mmio_sign_extend && a->mmio_size < 8) {
		int bits = a->mmio_size * 8;

		v = (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
	}
	emul_set_gpr(vcpu, a->mmio_reg, a->mmio_reg_width, a->mmio_reg_high8,
		     v);
	emul_finish_insn(vcpu);
	a->pending_io = PENDING_NONE;
	return 1;
}

/* ---- read-modify-write and string moves ---------------------------------
 *
 * These need a read from MMIO before they can finish. As KVM's emulator
 * does, the read goes out first (KVM_EXIT_MMIO, is_write=0); on the next
 * KVM_RUN the instruction is decoded again at the unchanged RIP and run to
 * completion with the bytes userspace supplied, and its store goes out as
 * a second exit. Between the two exits the vCPU holds: pending_io =
 * PENDING_MMIO_READ, mmio_reg = -1 (re-execute, not a plain load),
 * mmio_value (the read cache: the instruction's MMIO operands so far, RAM
 * parts filled in; see struct emul_ctxt), mmio_size (the cache's bytes
 * known once this read is answered), mmio_frag_off/len and pending_rip. A reset
 * clears pending_io; a KVM_SET_REGS that moves RIP or the operand's address
 * makes the completion drop the stale read, and the guest simply executes the
 * instruction again.
 */

static bool lin_canonical(struct kvm_vcpu *vcpu, uint64_t lin)
{
	return !emul_cs_long(vcpu) ||
	       (uint64_t)((int64_t)(lin << 16) >> 16) == lin;
}

/* A non-canonical address: #GP(0), as the CPU (and KVM's emulator) would
 * raise; the instruction does not execute. */
static int non_canonical(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception(vcpu, 13, true, 0);
	return -3;
}

/* See emulate_priv.h (struct emul_ctxt). */
int emul_read(struct kvm_vcpu *vcpu, struct emul_ctxt *c, uint64_t lin,
	      unsigned size, uint8_t val[8])
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct mmio_frag f[2];
	int n, r, first = -1;
	uint8_t *slot;

	if (size < 1 || size > 8)
		return -1;
	if (!lin_canonical(vcpu, lin))
		return non_canonical(vcpu);
	n = split_access(vcpu, lin, size, false, f);
	if (n < 0)
		return -1;
	for (int i = 0; i < n && first < 0; i++)
		if (f[i].mmio)
			first = i;
	if (first < 0) /* all RAM: read it now, nothing to remember */
		return access_parts(vcpu, f, n, false, val, 0);
	if (c->pos + size > sizeof(a->mmio_value))
		return -4;
	slot = a->mmio_value + c->pos;
	if (c->completing && c->pos < c->valid) {
		/* Answered before: replay. The last one answered must be
		 * the access userspace saw (SET_REGS may have moved it). */
		if (c->pos + size > c->valid)
			return -2;
		if (c->pos + size == c->valid &&
		    (f[first].gpa != vcpu->run->mmio.phys_addr ||
		     c->pos + f[first].off != a->mmio_frag_off))
			return -2;
		memcpy(val, slot, size);
		c->pos += size;
		return 1;
	}
	r = access_parts(vcpu, f, n, false, slot, c->pos);
	if (r < 0)
		return r;
	memcpy(val, slot, size);
	c->pos += size;
	if (r == 0) {
		a->mmio_reg = -1; /* execute the instruction again */
		a->mmio_size = (int)c->pos;
		a->pending_io = PENDING_MMIO_READ;
	}
	return r;
}

int emul_reads_done(struct kvm_vcpu *vcpu, const struct emul_ctxt *c)
{
	(void)vcpu;
	return c->completing && c->pos != c->valid ? -2 : 1;
}

/* Store: 1 done in RAM (or the in-kernel irqchip), 0 exit set up, -1
 * not expressible, -3 #GP queued. */
int emul_write(struct kvm_vcpu *vcpu, uint64_t lin, unsigned size,
	       uint8_t val[8])
{
	struct mmio_frag f[2];
	int n;

	if (!lin_canonical(vcpu, lin))
		return non_canonical(vcpu);
	n = split_access(vcpu, lin, size, true, f);
	if (n < 0)
		return -1;
	return access_parts(vcpu, f, n, true, val, 0);
}

static bool is_string_move(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_MOVSB || m == ZYDIS_MNEMONIC_MOVSW ||
	       m == ZYDIS_MNEMONIC_MOVSD || m == ZYDIS_MNEMONIC_MOVSQ ||
	       m == ZYDIS_MNEMONIC_STOSB || m == ZYDIS_MNEMONIC_STOSW ||
	       m == ZYDIS_MNEMONIC_STOSD || m == ZYDIS_MNEMONIC_STOSQ ||
	       m == ZYDIS_MNEMONIC_LODSB || m == ZYDIS_MNEMONIC_LODSW ||
	       m == ZYDIS_MNEMONIC_LODSD || m == ZYDIS_MNEMONIC_LODSQ;
}

void emul_advance_index(struct kvm_vcpu *vcpu, int reg, uint64_t amask,
			uint64_t d)
{
	uint64_t v = vcpu->arch.regs[reg];

	vcpu->arch.regs[reg] = (v & ~amask) | ((v + d) & amask);
}

/* MOVS/STOS/LODS, one element per call: REP with a count repeats the
 * instruction (RIP unchanged) and the guest comes back for the next
 * element, as KVM without fast string MMIO. */
static int emulate_string_move(struct kvm_vcpu *vcpu,
			       const ZydisDecodedInstruction *insn,
			       const ZydisDecodedOperand *ops,
			       const uint8_t *bytes, struct emul_ctxt *c)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	bool stos = insn->mnemonic == ZYDIS_MNEMONIC_STOSB ||
		    insn->mnemonic == ZYDIS_MNEMONIC_STOSW ||
		    insn->mnemonic == ZYDIS_MNEMONIC_STOSD ||
		    insn->mnemonic == ZYDIS_MNEMONIC_STOSQ;
	bool lods = insn->mnemonic == ZYDIS_MNEMONIC_LODSB ||
		    insn->mnemonic == ZYDIS_MNEMONIC_LODSW ||
		    insn->mnemonic == ZYDIS_MNEMONIC_LODSD ||
		    insn->mnemonic == ZYDIS_MNEMONIC_LODSQ;
	bool rep =
	    insn->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
				ZYDIS_ATTRIB_HAS_REPNE);
	unsigned size = ops[0].size / 8;
	uint64_t amask = insn->address_width == 64
			     ? ~0ull
			     : (1ull << insn->address_width) - 1;
	uint64_t d = (a->rflags & X86_EFLAGS_DF) ? -(uint64_t)size : size;
	uint64_t dst, src;
	uint8_t val[8] = {0};
	int r;

	if (size < 1 || size > 8)
		return emul_failed(vcpu, bytes, insn->length, "operand size");
	if (rep && !(a->regs[VCPU_REGS_RCX] & amask)) {
		a->pending_io = PENDING_NONE;
		emul_finish_insn(vcpu);
		return 1;
	}
	/* LODS: ops[0] is the accumulator, there is no memory destination. */
	if (!lods && emul_mem_linear(vcpu, insn, &ops[0], &dst))
		return emul_failed(vcpu, bytes, insn->length,
				   "destination address");
	if (stos) {
		uint64_t v = a->regs[VCPU_REGS_RAX];

		memcpy(val, &v, 8);
	} else {
		if (emul_mem_linear(vcpu, insn, &ops[1], &src))
			return emul_failed(vcpu, bytes, insn->length,
					   "source address");
		r = emul_read(vcpu, c, src, size, val);
		if (r == 1)
			r = emul_reads_done(vcpu, c);
		if (r == -2 || r == -3)
			return 1;
		if (r < 0)
			return emul_failed(vcpu, bytes, insn->length,
					   "MOVS source not accessible");
		if (r == 0)
			return 0;
	}
	a->pending_io = PENDING_NONE;
	if (lods) {
		uint64_t v = 0;

		memcpy(&v, val, size);
		emul_set_gpr(vcpu, VCPU_REGS_RAX, (int)size * 8, false, v);
		r = 1;
	} else {
		r = emul_write(vcpu, dst, size, val);
		if (r == -3)
			return 1;
		if (r < 0)
			return emul_failed(vcpu, bytes, insn->length,
					   "string destination not accessible");
		/* The element is done once its store is handed out. */
		emul_advance_index(vcpu, VCPU_REGS_RDI, amask, d);
	}
	if (!stos)
		emul_advance_index(vcpu, VCPU_REGS_RSI, amask, d);
	if (rep) {
		emul_advance_index(vcpu, VCPU_REGS_RCX, amask, ~0ull);
		if (!(a->regs[VCPU_REGS_RCX] & amask))
			emul_finish_insn(vcpu);
	} else {
		emul_finish_insn(vcpu);
	}
	return r;
}

static int alu_op_of(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADD:
		return EMUL_ADD;
	case ZYDIS_MNEMONIC_OR:
		return EMUL_OR;
	case ZYDIS_MNEMONIC_ADC:
		return EMUL_ADC;
	case ZYDIS_MNEMONIC_SBB:
		return EMUL_SBB;
	case ZYDIS_MNEMONIC_AND:
		return EMUL_AND;
	case ZYDIS_MNEMONIC_SUB:
		return EMUL_SUB;
	case ZYDIS_MNEMONIC_XOR:
		return EMUL_XOR;
	case ZYDIS_MNEMONIC_CMP:
		return EMUL_CMP;
	case ZYDIS_MNEMONIC_TEST:
		return EMUL_TEST;
	case ZYDIS_MNEMONIC_INC:
		return EMUL_INC;
	case ZYDIS_MNEMONIC_DEC:
		return EMUL_DEC;
	case ZYDIS_MNEMONIC_NEG:
		return EMUL_NEG;
	case ZYDIS_MNEMONIC_NOT:
		return EMUL_NOT;
	case ZYDIS_MNEMONIC_BT:
		return EMUL_BT;
	case ZYDIS_MNEMONIC_BTS:
		return EMUL_BTS;
	case ZYDIS_MNEMONIC_BTR:
		return EMUL_BTR;
	case ZYDIS_MNEMONIC_BTC:
		return EMUL_BTC;
	case ZYDIS_MNEMONIC_XCHG:
		return -2;
	default:
		return -1;
	}
}

/* Value of a register or immediate operand; -1 if neither (or not a GPR). */
static int operand_value(struct kvm_vcpu *vcpu, const ZydisDecodedOperand *op,
			 uint64_t *v)
{
	int w, idx;
	bool h;

	if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		*v = op->imm.value.u;
		return 0;
	}
	if (op->type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    (idx = emul_gpr_of(op->reg.value, &w, &h)) < 0)
		return -1;
	*v = emul_get_gpr(vcpu, idx, w, h);
	return 0;
}

/* ALU, INC/DEC/NEG/NOT, BT/BTS/BTR/BTC, XCHG with one memory operand (@mem). */
static int emulate_rmw(struct kvm_vcpu *vcpu,
		       const ZydisDecodedInstruction *insn,
		       const ZydisDecodedOperand *ops, int mem, int op,
		       const uint8_t *bytes, struct emul_ctxt *c)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	int nops = insn->operand_count_visible, other = mem == 0 ? 1 : 0;
	unsigned size = ops[mem].size / 8;
	uint64_t lin, m = 0, o = 0, res, fl = a->rflags;
	uint8_t val[8] = {0};
	bool unary = op == EMUL_INC || op == EMUL_DEC || op == EMUL_NEG ||
		     op == EMUL_NOT;
	bool bitop = op >= EMUL_BT && op <= EMUL_BTC;
	int r, w = 0, idx = -1;
	bool h = false;

	if (size < 1 || size > 8 || (unary ? nops != 1 : nops != 2))
		return emul_failed(vcpu, bytes, insn->length, "operand form");
	if (!unary && operand_value(vcpu, &ops[other], &o))
		return emul_failed(vcpu, bytes, insn->length,
				   "non-GPR operand");
	if (!unary && ops[other].type == ZYDIS_OPERAND_TYPE_REGISTER)
		idx = emul_gpr_of(ops[other].reg.value, &w, &h);
	if (emul_mem_linear(vcpu, insn, &ops[mem], &lin))
		return emul_failed(vcpu, bytes, insn->length, "address");
	if (bitop) {
		int bits = (int)size * 8;

		if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
			/* A register offset addresses a bit string: the
			 * signed offset selects the operand-sized unit. */
			int64_t so = (int64_t)(o << (64 - bits)) >> (64 - bits);
			int64_t unit =
			    so >= 0 ? so / bits : -((-so + bits - 1) / bits);

			lin += (uint64_t)unit * size;
			if (!emul_cs_long(vcpu))
				lin &= 0xffffffffull;
		}
		o &= (uint64_t)(bits - 1);
	}
	r = emul_read(vcpu, c, lin, size, val);
	if (r == 1)
		r = emul_reads_done(vcpu, c);
	if (r == -2 || r == -3)
		return 1; /* stale, or #GP queued */
	if (r < 0)
		return emul_failed(vcpu, bytes, insn->length,
				   "MMIO operand not accessible");
	if (r == 0)
		return 0;
	a->pending_io = PENDING_NONE;
	memcpy(&m, val, 8);

	if (op == -2) { /* XCHG: memory gets the register, and back */
		if (idx < 0)
			return emul_failed(vcpu, bytes, insn->length,
					   "XCHG operand");
		memcpy(val, &o, 8);
		r = emul_write(vcpu, lin, size, val);
		if (r < 0)
			return emul_failed(vcpu, bytes, insn->length,
					   "XCHG store");
		emul_set_gpr(vcpu, idx, w, h, m);
		emul_finish_insn(vcpu);
		return r;
	}
	if (mem == 0)
		res = emul_alu((enum emul_op)op, m, o, (int)size, &fl);
	else
		res = emul_alu((enum emul_op)op, o, m, (int)size, &fl);
	r = 1;
	if (emul_op_writes((enum emul_op)op)) {
		if (mem == 0) {
			memcpy(val, &res, 8);
			r = emul_write(vcpu, lin, size, val);
			if (r < 0)
				return emul_failed(vcpu, bytes, insn->length,
						   "MMIO store");
		} else {
			if (idx < 0)
				return emul_failed(vcpu, bytes, insn->length,
						   "destination");
			emul_set_gpr(vcpu, idx, w, h, res);
		}
	}
	a->rflags = fl;
	emul_finish_insn(vcpu);
	return r;
}

/* Decode at RIP and run one of the instructions above; @completing when
 * userspace has just answered the read. -1 if not one of them. */
static int emulate_complex(struct kvm_vcpu *vcpu, bool completing)
{
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint8_t bytes[15];
	uint64_t next;
	int mem = -1, nmem = 0, op;
	struct emul_ctxt c = {.completing = completing,
			      .valid = completing ? (unsigned)a->mmio_size : 0};

	/* Whatever happens below, the old read is consumed; a new one sets
	 * pending_io again. */
	a->pending_io = PENDING_NONE;
	if (decode_at_rip(vcpu, &insn, ops, bytes)) {
		return emul_failed(vcpu, bytes, 15, "cannot decode");
	}
	next = a->rip + insn.length;
	if (!emul_cs_long(vcpu))
		next &= 0xffffffffull;
	if (completing && next != a->pending_rip) {
		/* RIP moved under the pending read (KVM_SET_REGS). */
		a->pending_io = PENDING_NONE;
		return 1;
	}
	a->pending_rip = next;
	if (is_string_move(insn.mnemonic))
		return emulate_string_move(vcpu, &insn, ops, bytes, &c);
	op = emulate_cmp_insn(vcpu, &c, &insn, ops, bytes);
	if (op >= 0)
		return op;
	op = alu_op_of(insn.mnemonic);
	for (int i = 0; i < insn.operand_count_visible; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM) {
			mem = i;
			nmem++;
		}
	if (op == -1 || nmem != 1) {
		a->pending_io = PENDING_NONE;
		return completing ? emul_failed(vcpu, bytes, insn.length,
						"instruction changed")
				  : -1;
	}
	return emulate_rmw(vcpu, &insn, ops, mem, op, bytes, &c);
}

int kvm_emulate_mmio(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
		     bool fetch)
{
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint8_t bytes[15], val[8] = {0};
	struct mmio_frag f[2];
	int mem = -1, size, n, r;
	bool store;
	uint64_t lin;

	if (fetch) {
		uint8_t none[4] = {0};

		return emul_failed(vcpu, none, 0,
				   "instruction fetch from MMIO");
	}
	if (a->event_vectoring) {
		/* The access belongs to delivering an event (IDT, stack),
		 * not to the instruction at RIP: decoding that would emulate
		 * the wrong thing (Linux: KVM_INTERNAL_ERROR_DELIVERY_EV). */
		uint64_t d[2] = {gpa, a->rip};

		pr_err("vcpu %d: MMIO access while delivering an event "
		       "(IDT or stack not in RAM?) at gpa %#llx",
		       vcpu->vcpu_id, (unsigned long long)gpa);
		return kvm_internal_error(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV,
					  2, d);
	}
	if (decode_at_rip(vcpu, &insn, ops, bytes))
		return emul_failed(vcpu, bytes, 15, "cannot decode");
	if (insn.mnemonic != ZYDIS_MNEMONIC_MOV &&
	    insn.mnemonic != ZYDIS_MNEMONIC_MOVZX &&
	    insn.mnemonic != ZYDIS_MNEMONIC_MOVSX &&
	    insn.mnemonic != ZYDIS_MNEMONIC_MOVSXD) {
		r = emulate_complex(vcpu, false);
		if (r >= 0)
			return r;
	}
	for (int i = 0; i < insn.operand_count; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM) {
			mem = i;
			break;
		}
	if (mem < 0)
		return emul_failed(vcpu, bytes, insn.length,
				   "no memory operand");
	size = ops[mem].size / 8;
	if (size < 1 || size > 8)
		return emul_failed(vcpu, bytes, insn.length, "operand size");
	a->pending_rip = a->rip + insn.length;
	if (!emul_cs_long(vcpu))
		a->pending_rip &= 0xffffffffull;

	switch (insn.mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
		store = mem == 0;
		break;
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		store = false;
		break;
	case ZYDIS_MNEMONIC_STOSB:
	case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD:
	case ZYDIS_MNEMONIC_STOSQ:
		if (insn.attributes &
		    (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
		     ZYDIS_ATTRIB_HAS_REPNE))
			return emul_failed(vcpu, bytes, insn.length,
					   "REP STOS to MMIO");
		store = true;
		break;
	default:
		return emul_failed(vcpu, bytes, insn.length,
				   "unsupported MMIO instruction");
	}

	if (store) {
		uint64_t v;

		if (insn.mnemonic != ZYDIS_MNEMONIC_MOV) {
			v = a->regs[VCPU_REGS_RAX];
		} else if (ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			v = ops[1].imm.value.u;
		} else {
			int w;
			bool h;
			int idx = emul_gpr_of(ops[1].reg.value, &w, &h);

			if (idx < 0)
				return emul_failed(vcpu, bytes, insn.length,
						   "non-GPR source");
			v = emul_get_gpr(vcpu, idx, w, h);
		}
		memcpy(val, &v, sizeof(v));
	} else {
		int w;
		bool h;
		int idx = mem == 1 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER
			      ? emul_gpr_of(ops[0].reg.value, &w, &h)
			      : -1;

		if (idx < 0)
			return emul_failed(vcpu, bytes, insn.length,
					   "non-GPR destination");
		a->mmio_reg = idx;
		a->mmio_reg_width = w;
		a->mmio_reg_high8 = h;
		a->mmio_size = size;
		a->mmio_sign_extend = insn.mnemonic == ZYDIS_MNEMONIC_MOVSX ||
				      insn.mnemonic == ZYDIS_MNEMONIC_MOVSXD;
	}

	if (emul_mem_linear(vcpu, &insn, &ops[mem], &lin) == 0)
		n = split_access(vcpu, lin, (unsigned)size, store, f);
	else
		n = -1;
	if (n < 0) {
		/* Fall back to the address the CPU reported. */
		f[0].gpa = gpa;
		f[0].off = 0;
		f[0].len = (unsigned)size;
		f[0].mmio = true;
		n = 1;
	}
	r = access_parts(vcpu, f, n, store, val, 0);
	if (r < 0)
		return emul_failed(vcpu, bytes, insn.length,
				   "access spans two MMIO regions");

	if (insn.mnemonic == ZYDIS_MNEMONIC_STOSB ||
	    insn.mnemonic == ZYDIS_MNEMONIC_STOSW ||
	    insn.mnemonic == ZYDIS_MNEMONIC_STOSD ||
	    insn.mnemonic == ZYDIS_MNEMONIC_STOSQ) {
		int asz = insn.address_width;
		uint64_t amask = asz == 64 ? ~0ull : (1ull << asz) - 1;
		uint64_t rdi = a->regs[VCPU_REGS_RDI];
		uint64_t d = (a->rflags & X86_EFLAGS_DF) ? -(uint64_t)size
							 : (uint64_t)size;

		a->regs[VCPU_REGS_RDI] = (rdi & ~amask) | ((rdi + d) & amask);
	}
	if (store) {
		emul_finish_insn(
		    vcpu); /* a write is complete once handed out */
		return r;
	}
	memcpy(a->mmio_value, val, sizeof(val));
	if (r == 1)
		return finish_read(vcpu); /* all of it was RAM after all */
	a->pending_io = PENDING_MMIO_READ;
	return 0;
}

int complete_emulated_mmio(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (a->mmio_frag_off + a->mmio_frag_len <= sizeof(a->mmio_value))
		memcpy(a->mmio_value + a->mmio_frag_off, vcpu->run->mmio.data,
		       a->mmio_frag_len);
	if (a->mmio_reg < 0)
		return emulate_complex(vcpu, true);
	return finish_read(vcpu);
}

/* ---- string I/O ------------------------------------------------------------
 */

int kvm_emulate_string_io(struct kvm_vcpu *vcpu, int size, uint16_t port,
			  bool in, bool rep)
{
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_run *run = vcpu->run;
	uint8_t bytes[15], *data = (uint8_t *)run + PAGE_SIZE;
	uint64_t count = 1, amask, idx, lin, seg_base;
	int ireg = in ? VCPU_REGS_RDI : VCPU_REGS_RSI;
	int seg = in ? VCPU_SREG_ES : VCPU_SREG_DS;
	bool down = a->rflags & X86_EFLAGS_DF;

	if (decode_at_rip(vcpu, &insn, ops, bytes))
		return emul_failed(vcpu, bytes, 15, "cannot decode INS/OUTS");
	amask =
	    insn.address_width == 64 ? ~0ull : (1ull << insn.address_width) - 1;
	if (!in && insn.raw.prefix_count) {
		/* OUTS honours a segment override; INS always uses ES. */
		for (int i = 0; i < insn.raw.prefix_count; i++)
			switch (insn.raw.prefixes[i].value) {
			case 0x26:
				seg = VCPU_SREG_ES;
				break;
			case 0x2e:
				seg = VCPU_SREG_CS;
				break;
			case 0x36:
				seg = VCPU_SREG_SS;
				break;
			case 0x3e:
				seg = VCPU_SREG_DS;
				break;
			case 0x64:
				seg = VCPU_SREG_FS;
				break;
			case 0x65:
				seg = VCPU_SREG_GS;
				break;
			}
	}
	if (rep) {
		count = a->regs[VCPU_REGS_RCX] & amask;
		if (!count) {
			a->rip += insn.length;
			return 1;
		}
	}
	idx = a->regs[ireg] & amask;
	seg_base =
	    emul_cs_long(vcpu) && seg != VCPU_SREG_FS && seg != VCPU_SREG_GS
		? 0
		: a->segments[seg].base;
	lin = seg_base + idx;
	/* One exit moves at most what stays inside one guest page (so the
	 * guest side is contiguous) and fits the PIO data page. */
	{
		uint64_t room =
		    down ? ((lin & (PAGE_SIZE - 1)) / (uint64_t)size) + 1
			 : (PAGE_SIZE - (lin & (PAGE_SIZE - 1))) /
			       (uint64_t)size;

		if (!room)
			room = 1;
		if (count > room)
			count = room;
		if (count > PAGE_SIZE / (uint64_t)size)
			count = PAGE_SIZE / (uint64_t)size;
	}
	memset(&run->io, 0, sizeof(run->io));
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = (uint32_t)count;
	run->io.data_offset = PAGE_SIZE;

	a->pio_size = size;
	a->pio_count = (int)count;
	a->pio_string_lin = lin;
	a->pio_string_rep = rep;
	a->pio_addr_mask = amask;
	a->pending_rip = a->rip + insn.length;
	if (!emul_cs_long(vcpu))
		a->pending_rip &= 0xffffffffull;

	if (!in) {
		for (uint64_t i = 0; i < count; i++) {
			uint64_t at = down ? lin - i * (uint64_t)size
					   : lin + i * (uint64_t)size;

			if (kvm_read_linear(vcpu, at, data + i * (uint64_t)size,
					    (unsigned)size))
				return emul_failed(vcpu, bytes, insn.length,
						   "OUTS source not mapped");
		}
		/* Advance the guest now; OUT needs nothing back. */
		a->regs[ireg] = (a->regs[ireg] & ~amask) |
				((idx + (down ? -(count * (uint64_t)size)
					      : count * (uint64_t)size)) &
				 amask);
		if (rep) {
			uint64_t rcx = (a->regs[VCPU_REGS_RCX] & amask) - count;

			a->regs[VCPU_REGS_RCX] =
			    (a->regs[VCPU_REGS_RCX] & ~amask) | rcx;
			if (!rcx)
				a->rip = a->pending_rip;
		} else {
			a->rip = a->pending_rip;
		}
		a->interruptibility &= ~3u; /* NMI blocking stays */
		return 0;
	}
	a->pending_io = PENDING_STRING_IN;
	return 0;
}

int complete_emulated_string_in(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	uint8_t *data = (uint8_t *)vcpu->run + PAGE_SIZE;
	uint64_t size = (uint64_t)a->pio_size, count = (uint64_t)a->pio_count;
	uint64_t amask = a->pio_addr_mask;
	bool down = a->rflags & X86_EFLAGS_DF;
	uint64_t rdi = a->regs[VCPU_REGS_RDI] & amask;

	a->pending_io = PENDING_NONE;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = down ? a->pio_string_lin - i * size
				   : a->pio_string_lin + i * size;

		if (kvm_write_linear(vcpu, at, data + i * size,
				     (unsigned)size)) {
			uint8_t none[4] = {0};

			return emul_failed(vcpu, none, 0,
					   "INS destination not writable");
		}
	}
	rdi += down ? -(count * size) : count * size;
	a->regs[VCPU_REGS_RDI] =
	    (a->regs[VCPU_REGS_RDI] & ~amask) | (rdi & amask);
	if (a->pio_string_rep) {
		uint64_t rcx = (a->regs[VCPU_REGS_RCX] & amask) - count;

		a->regs[VCPU_REGS_RCX] =
		    (a->regs[VCPU_REGS_RCX] & ~amask) | rcx;
		if (!rcx)
			a->rip = a->pending_rip;
	} else {
		a->rip = a->pending_rip;
	}
	a->interruptibility &= ~3u; /* NMI blocking stays */
	return 1;
}
