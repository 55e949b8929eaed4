# Shared helpers for tests/cli/t_*.sh (sourced; prints TAP lines).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD="${BUILD:-build}"
KVMINI="$BUILD/kvmini"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { echo "ok - $1 # SKIP $2"; }

# check NAME COND [diagnostics...]: COND is evaluated by the caller.
check() {
	local name=$1 cond=$2
	shift 2
	if [ "$cond" = 0 ]; then ok "$name"; else nok "$name" "$@"; fi
}

# run_kvmini OUTFILE ERRFILE ARGS...: sets $rc. stdin is /dev/null.
run_kvmini() {
	local out=$1 err=$2
	shift 2
	timeout 60 "$KVMINI" "$@" >"$out" 2>"$err" </dev/null
	rc=$?
}

# Little-endian integers as printf escapes.
le16() { printf '\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)); }
le32() { le16 $(($1 & 0xffff)); le16 $((($1 >> 16) & 0xffff)); }
le64() { le32 $(($1 & 0xffffffff)); le32 $((($1 >> 32) & 0xffffffff)); }
# hex2bin HEX > file
hex2bin() { printf "$(echo "$1" | sed 's/../\\x&/g')"; }

# Why /dev/kvm cannot be used here, or "" when it can.
kvm_unusable() {
	local dev=${KVMINI_DEV_KVM:-/dev/kvm}
	if [ ! -e "$dev" ]; then echo "$dev does not exist"; return; fi
	if ! "$KVMINI" info --backend kvm >/dev/null 2>&1; then
		echo "$dev is not usable (kvmini info --backend kvm fails)"
		return
	fi
	echo ""
}

# ELF32 executable, one PT_LOAD: elf32 PADDR ENTRY PHOFF PHNUM SEGOFF FILESZ MEMSZ CODEHEX
elf32() {
	local paddr=$1 entry=$2 phoff=$3 phnum=$4 off=$5 filesz=$6 memsz=$7 code=$8
	printf '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf "$(le16 2)$(le16 3)$(le32 1)$(le32 $entry)$(le32 $phoff)$(le32 0)"
	printf "$(le32 0)$(le16 52)$(le16 32)$(le16 $phnum)$(le16 40)$(le16 0)$(le16 0)"
	# program header at 52
	printf "$(le32 1)$(le32 $off)$(le32 $paddr)$(le32 $paddr)"
	printf "$(le32 $filesz)$(le32 $memsz)$(le32 7)$(le32 4096)"
	# code at 84
	hex2bin "$code"
}

# ELF64 executable, one PT_LOAD; code at offset 120.
elf64() {
	local paddr=$1 entry=$2 phoff=$3 phnum=$4 off=$5 filesz=$6 memsz=$7 code=$8
	printf '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf "$(le16 2)$(le16 62)$(le32 1)$(le64 $entry)$(le64 $phoff)$(le64 0)"
	printf "$(le32 0)$(le16 64)$(le16 56)$(le16 $phnum)$(le16 64)$(le16 0)$(le16 0)"
	printf "$(le32 1)$(le32 7)$(le64 $off)$(le64 $paddr)$(le64 $paddr)"
	printf "$(le64 $filesz)$(le64 $memsz)$(le64 4096)"
	hex2bin "$code"
}
