#!/usr/bin/env bash
# Fetches the Linux guest that kvmini boots: Debian's cloud kernel (the exact
# version the linux-image-cloud-amd64 metapackage points at) and busybox-static,
# then builds the initramfs. Everything lands in a cache outside git:
#   $KVMINI_CACHE (default ./cache)/deb/      the downloaded .debs
#   $KVMINI_CACHE/extract/<pkg>/              dpkg-deb -x of each
#   $KVMINI_CACHE/guest/vmlinuz               the bzImage
#   $KVMINI_CACHE/guest/initrd.cpio.gz        busybox initramfs (mkinitramfs.sh)
#   $KVMINI_CACHE/guest/vmlinux               the ELF inside it (PVH entry)
#   $KVMINI_CACHE/guest/kernel-version        e.g. 6.1.0-56-cloud-amd64
# Idempotent: a second run downloads nothing. apt-get update only runs when
# apt cannot find the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CACHE=${KVMINI_CACHE:-$root/cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
DEB=$CACHE/deb X=$CACHE/extract GUEST=$CACHE/guest
mkdir -p "$DEB" "$X" "$GUEST"

log() { echo "fetch-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v apt-cache >/dev/null || die "apt-cache not found: needs a Debian-like host"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

# The kernel image package and exact version the metapackage depends on, from
# its "Depends: linux-image-6.1.0-NN-cloud-amd64 (= 6.1.x-y)" line; prints
# "pkg version" (version empty if the dependency is unversioned).
resolve_kernel_pkg() {
	apt-cache show --no-all-versions linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[0-9][^ ]*-cloud-amd64\(-unsigned\)\?\)\( *(= *\([^)]*\))\)\?.*$/\1 \4/p' |
		head -1
}

ensure_lists() {
	if [ -z "$(resolve_kernel_pkg)" ] || ! apt-cache show busybox-static >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "package lists lack linux-image-cloud-amd64/busybox-static; run 'apt-get update' as root (or rerun this script as root)"
		log "packages not found in apt lists; running apt-get update"
		apt-get update -qq
	fi
}

# fetch PKG: leaves exactly one PKG_*.deb in $DEB (downloads only if absent).
fetch() {
	local pkg=$1 ver=${2:-} f
	[ -n "$ver" ] || ver=$(apt-cache show --no-all-versions "$pkg" | sed -n 's/^Version: //p' | head -1)
	[ -n "$ver" ] || die "apt-cache has no version for $pkg"
	# apt-get download names files pkg_<version with : as %3a>_arch.deb
	f=$(ls "$DEB/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
	if [ -n "$f" ]; then
		log "cached: $(basename "$f")"
	else
		log "downloading $pkg $ver"
		# apt-get download drops privileges to _apt when it can; the cache
		# dir must be writable for it, so download in a temp dir we chmod.
		local tmp
		tmp=$(mktemp -d)
		chmod 777 "$tmp"
		(cd "$tmp" && apt-get download -q "$pkg=$ver") ||
			{ rm -rf "$tmp"; die "apt-get download $pkg=$ver failed"; }
		mv "$tmp"/*.deb "$DEB"/
		rmdir "$tmp"
		f=$(ls "$DEB/${pkg}_${ver//:/%3a}_"*.deb | head -1)
	fi
	if [ ! -f "$X/$pkg/.done" ] || [ "$(cat "$X/$pkg/.done")" != "$(basename "$f")" ]; then
		rm -rf "${X:?}/$pkg"
		mkdir -p "$X/$pkg"
		dpkg-deb -x "$f" "$X/$pkg"
		basename "$f" >"$X/$pkg/.done"
	fi
	echo "$pkg"
}

ensure_lists
read -r kpkg kpkgver <<<"$(resolve_kernel_pkg)" || true
[ -n "${kpkg:-}" ] || die "cannot resolve the kernel package linux-image-cloud-amd64 depends on"
log "linux-image-cloud-amd64 -> $kpkg ${kpkgver:-(unversioned)}"
fetch "$kpkg" "${kpkgver:-}" >/dev/null
fetch busybox-static >/dev/null

kver=${kpkg#linux-image-}
kver=${kver%-unsigned}
vmlinuz=$X/$kpkg/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no boot/vmlinuz-$kver in $kpkg"
# bzImage: "HdrS" at offset 0x202.
[ "$(dd if="$vmlinuz" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] ||
	die "$vmlinuz is not a bzImage"
cmp -s "$vmlinuz" "$GUEST/vmlinuz" 2>/dev/null || cp "$vmlinuz" "$GUEST/vmlinuz"
echo "$kver" >"$GUEST/kernel-version"

# The uncompressed vmlinux ELF inside the bzImage (its payload), for the PVH
# entry: the payload's compression is named by its magic bytes.
extract_vmlinux() {
	local img=$1 out=$2 setup off len magic dec
	setup=$(( ($(od -An -tu1 -j 0x1f1 -N1 "$img") + 1) * 512 ))
	[ "$setup" = 512 ] && setup=2560 # setup_sects 0 means 4
	off=$(od -An -tu4 -j 0x248 -N4 "$img" | tr -d ' ')
	len=$(od -An -tu4 -j 0x24c -N4 "$img" | tr -d ' ')
	magic=$(od -An -tx1 -j $((setup + off)) -N6 "$img" | tr -d ' ')
	case $magic in
	1f8b*) dec="gzip -dc" ;;
	fd377a585a00) dec="xz -dc" ;;
	02214c18*) dec="lz4 -dc" ;;
	28b52ffd*) dec="zstd -dc" ;;
	5d00*) dec="xz -dc --format=lzma" ;;
	425a68*) dec="bzip2 -dc" ;;
	*) log "vmlinux: unknown payload compression (magic $magic), skipped"; return 0 ;;
	esac
	command -v "${dec%% *}" >/dev/null ||
		{ log "vmlinux: ${dec%% *} not installed, skipped (PVH tests will skip)"; return 0; }
	tail -c +$((setup + off + 1)) "$img" | head -c "$len" | $dec >"$out.tmp" 2>/dev/null || true
	if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		mv "$out.tmp" "$out"
	else
		rm -f "$out.tmp"
		log "vmlinux: payload did not decompress to an ELF, skipped"
	fi
}
if [ ! -f "$GUEST/vmlinux" ] || [ "$GUEST/vmlinuz" -nt "$GUEST/vmlinux" ]; then
	extract_vmlinux "$GUEST/vmlinuz" "$GUEST/vmlinux"
fi

busybox=$X/busybox-static/bin/busybox
[ -x "$busybox" ] || die "no bin/busybox in busybox-static"
if [ ! -f "$GUEST/initrd.cpio.gz" ] || [ "$busybox" -nt "$GUEST/initrd.cpio.gz" ] ||
	[ scripts/mkinitramfs.sh -nt "$GUEST/initrd.cpio.gz" ]; then
	bash scripts/mkinitramfs.sh --busybox "$busybox" --out "$GUEST/initrd.cpio.gz"
else
	log "cached: initrd.cpio.gz"
fi
log "kernel $kver"
log "ready: $GUEST/vmlinuz $GUEST/initrd.cpio.gz"
[ -f "$GUEST/vmlinux" ] && log "ready: $GUEST/vmlinux (ELF with the PVH entry note)"
exit 0
