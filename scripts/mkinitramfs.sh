#!/usr/bin/env bash
# Builds kvmini's guest initramfs: a static busybox with its applet symlinks,
# an /init that mounts /proc, /sys, /dev, prints "kvmini-init: ready" and runs
# a shell on the console, and the few /etc files a shell wants.
#   mkinitramfs.sh --busybox PATH --out FILE.cpio.gz|FILE.cpio.zst
# Needs no root: the one device node (/dev/console, which the kernel opens
# before /init runs) is written as a second newc archive by hand, which the
# kernel unpacks after the first. Output is reproducible (fixed mtimes, uid 0).
set -euo pipefail
umask 022
busybox="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	--busybox) busybox=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: $0 --busybox PATH --out FILE.cpio.gz|.zst" >&2; exit 2 ;;
	esac
done
[ -n "$busybox" ] && [ -n "$out" ] || { echo "usage: $0 --busybox PATH --out FILE" >&2; exit 2; }
[ -x "$busybox" ] || { echo "mkinitramfs: $busybox is not executable" >&2; exit 1; }
command -v cpio >/dev/null || { echo "mkinitramfs: cpio not installed (scripts/setup.sh)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,run,etc}
chmod 1777 "$r/tmp"
cp "$busybox" "$r/bin/busybox"
chmod 755 "$r/bin/busybox"

# Applet links: busybox itself knows where each applet lives (bin/sh, ...).
n=0
while IFS= read -r a; do
	a=${a#/}
	[ "$a" = bin/busybox ] && continue
	mkdir -p "$r/$(dirname "$a")"
	ln -sf /bin/busybox "$r/$a"
	n=$((n + 1))
done < <("$busybox" --list-full)
[ $n -gt 50 ] || { echo "mkinitramfs: busybox lists only $n applets" >&2; exit 1; }
[ -L "$r/bin/sh" ] || ln -s busybox "$r/bin/sh"

cat >"$r/init" <<'EOF'
#!/bin/sh
# kvmini guest init: mount the pseudo filesystems, announce, give a shell on
# the console. When the shell ends (EOF on the console), power off so the
# VM exits instead of the kernel panicking on a dead init.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
hostname -F /etc/hostname
echo "kvmini-init: ready ($(uname -r))"
setsid cttyhack sh -l
echo "kvmini-init: shell exited, powering off"
poweroff -f
EOF
chmod 755 "$r/init"

cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >"$r/etc/group" <<'EOF'
root:x:0:
EOF
echo kvmini >"$r/etc/hostname"
cat >"$r/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
PS1='kvmini# '
EOF
: >"$r/etc/fstab"

# newc header of one entry (no data): name mode rdevmajor rdevminor
newc_entry() {
	local name=$1 mode=$2 maj=$3 min=$4 namesize hdr pad
	namesize=$((${#name} + 1))
	hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$mode" 0 0 1 0 0 0 0 "$maj" "$min" "$namesize" 0)
	printf '%s%s\0' "$hdr" "$name"
	# header (110) + name must end on a 4-byte boundary
	pad=$(((4 - (110 + namesize) % 4) % 4))
	head -c "$pad" /dev/zero
}

cpio_out=$work/initrd.cpio
(cd "$r" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	xargs -0 touch -h -d @0 &&
	find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --reproducible --quiet) >"$cpio_out"
# Second archive: /dev/console (char 5,1, mode 0600).
{
	newc_entry dev/console $((0x2000 | 0600)) 5 1
	newc_entry TRAILER!!! 0 0 0
} >>"$cpio_out"

mkdir -p "$(dirname "$out")"
case $out in
*.zst) zstd -q -19 -f -o "$out.tmp" "$cpio_out" ;;
*.gz) gzip -n -9 -c "$cpio_out" >"$out.tmp" ;;
*) cp "$cpio_out" "$out.tmp" ;;
esac
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(stat -c %s "$out") bytes, $n applets)" >&2
