#!/bin/sh
# build-assets.sh [OUTDIR] -- build the guest kernel + base initramfs for the
# real-VM tests (idempotent; default OUTDIR is $ROOT/.vm-cache, git-ignored).
#
# OUTDIR/vmlinuz            kernel from Debian's current linux-image-*-amd64
# OUTDIR/vmlinux            the same kernel uncompressed (ELF, PVH boot: ~5 s
#                           faster under TCG); run-guest.sh prefers it
# OUTDIR/initramfs.cpio.gz  busybox-static + applet links, the virtio-net
#                           modules of that same kernel, socat and iperf3
#                           (with their shared libraries), and /init.
# OUTDIR/stamp              what was built (package + version + script hash)
#
# /init runs /test.sh, which run-guest.sh supplies in a small second cpio
# archive appended to the initramfs (Linux unpacks concatenated archives), so
# changing the guest script never requires rebuilding this.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/.vm-cache}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

log() { echo "build-assets: $*" >&2; }
die() { echo "build-assets: ERROR: $*" >&2; exit 1; }

# --- make sure the tools we need exist (install on a fresh Debian machine) ---
APT_UPDATED=
apt_install() {
    [ "$(id -u)" = 0 ] || die "missing package(s) $* and not root: install them first"
    command -v apt-get >/dev/null || die "missing package(s) $* and no apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; then
        [ -n "$APT_UPDATED" ] && die "apt-get install $* failed"
        apt-get update >&2 || die "apt-get update failed"
        APT_UPDATED=1
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 \
            || die "apt-get install $* failed"
    fi
}
need_file() { # need_file PATH PACKAGE
    [ -e "$1" ] || apt_install "$2"
    [ -e "$1" ] || die "$1 still missing after installing $2"
}
need_file /bin/busybox busybox-static
# Debian's plain 'busybox' package also ships /bin/busybox, but dynamically linked
if ! LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic'; then
    apt_install busybox-static
fi
need_file /usr/bin/socat socat
need_file /usr/bin/iperf3 iperf3
need_file /usr/bin/dpkg-deb dpkg
need_file /usr/bin/gzip gzip
command -v apt-cache >/dev/null || die "apt-cache missing (Debian required)"

# --- which kernel package? the one linux-image-amd64 currently depends on ---
kpkg() { apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1; }
KPKG=$(kpkg)
if [ -z "$KPKG" ] && [ "$(id -u)" = 0 ]; then
    apt-get update >&2 || true
    APT_UPDATED=1
    KPKG=$(kpkg)
fi
[ -n "$KPKG" ] || die "cannot find the linux-image-*-amd64 package (apt-cache depends linux-image-amd64)"
KVER_PKG=$(apt-cache show --no-all-versions "$KPKG" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
SELF_HASH=$(cat "$0" | md5sum | cut -d' ' -f1)
STAMP="$KPKG $KVER_PKG $SELF_HASH"

if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] \
   && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ]; then
    log "up to date ($STAMP)"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vm-assets.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

# --- kernel package: download (cached in OUTDIR) and extract ---
DEB=$(ls "$OUT/${KPKG}_"*.deb 2>/dev/null | head -n1 || true)
case "$DEB" in
    *"_$(echo "$KVER_PKG" | sed 's/:/%3a/')_amd64.deb") ;;
    *) rm -f "$OUT/${KPKG}_"*.deb
       log "downloading $KPKG $KVER_PKG"
       (cd "$OUT" && apt-get download "$KPKG" >&2) || die "apt-get download $KPKG failed"
       DEB=$(ls "$OUT/${KPKG}_"*.deb | head -n1) ;;
esac
log "extracting $DEB"
mkdir "$WORK/k"
dpkg-deb -x "$DEB" "$WORK/k"
VMLINUZ=$(ls "$WORK"/k/boot/vmlinuz-* | head -n1)
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR=$WORK/k/lib/modules/$KVER
[ -d "$MODDIR" ] || MODDIR=$WORK/k/usr/lib/modules/$KVER
[ -d "$MODDIR" ] || die "no modules dir for $KVER in $DEB"
log "kernel $KVER"

# --- initramfs tree ---
R=$WORK/root
mkdir -p "$R"
for d in bin sbin usr/bin usr/sbin etc/udhcpc proc sys dev tmp run root lib/modules/vm lib64 lib/x86_64-linux-gnu var/run; do
    mkdir -p "$R/$d"
done
cp /bin/busybox "$R/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$R/$(dirname "$applet")"
    ln -sf /bin/busybox "$R/$applet"
done

# virtio-net modules, in load order; decompress if shipped compressed
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
: > "$R/lib/modules/vm/order"
for m in $MODS; do
    f=$(find "$MODDIR" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n1)
    if [ -z "$f" ]; then
        if grep -q "/$m.ko" "$MODDIR/modules.builtin" 2>/dev/null; then
            log "module $m is built in"
        else
            log "module $m not found (assuming built in)"
        fi
        continue
    fi
    case "$f" in
        *.ko) cp "$f" "$R/lib/modules/vm/$m.ko" ;;
        *.ko.xz) xz -dc "$f" > "$R/lib/modules/vm/$m.ko" ;;
        *.ko.gz) gzip -dc "$f" > "$R/lib/modules/vm/$m.ko" ;;
        *.ko.zst) command -v zstd >/dev/null || apt_install zstd
                  zstd -dc "$f" > "$R/lib/modules/vm/$m.ko" ;;
    esac
    echo "$m" >> "$R/lib/modules/vm/order"
done
echo "$KVER" > "$R/lib/modules/vm/kernel-version"

# dynamically linked helpers (socat for UDP/TCP, iperf3) with their libraries
copy_with_libs() {
    cp -L "$1" "$R/usr/bin/"
    ldd "$1" | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]*ld-linux/{print $1}' | while read -r lib; do
        dest=$R$lib
        mkdir -p "$(dirname "$dest")"
        [ -e "$dest" ] || cp -L "$lib" "$dest"
    done
}
copy_with_libs /usr/bin/socat
copy_with_libs /usr/bin/iperf3

cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo "127.0.0.1 localhost" > "$R/etc/hosts"
echo "::1 localhost" >> "$R/etc/hosts"
printf 'hosts: files dns\n' > "$R/etc/nsswitch.conf"

cat > "$R/init" <<'EOF'
#!/bin/sh
# passt4j test guest init (generated by scripts/vm/build-assets.sh)
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || mdev -s
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
# load in order; retry failed ones (dependency order differs between kernels)
todo=$(cat /lib/modules/vm/order)
for pass in 1 2 3; do
    left=
    for m in $todo; do
        insmod /lib/modules/vm/$m.ko 2>/dev/null || left="$left $m"
    done
    todo=$left
    [ -z "$todo" ] && break
done
[ -n "$todo" ] && echo "INIT insmod failed:$todo"
ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
[ -e /sys/class/net/eth0 ] || echo "INIT no eth0"
echo "INIT ready uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
rc=127
if [ -f /test.sh ]; then
    sh /test.sh
    rc=$?
else
    echo "INIT no /test.sh"
fi
echo "GUEST_DONE rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
EOF
chmod 755 "$R/init"

# --- uncompressed ELF vmlinux: qemu boots it directly through the PVH entry
# point (CONFIG_PVH), skipping SeaBIOS + in-guest decompression, which under
# TCG saves ~5 s per boot. Falls back to vmlinuz if extraction fails.
extract_vmlinux() { # extract_vmlinux BZIMAGE OUT
    for spec in 'fd377a585a00:xz -dc' '1f8b0800:gzip -dc' '28b52ffd:zstd -dc'; do
        hex=${spec%%:*}; cmd=${spec#*:}
        command -v "${cmd%% *}" >/dev/null || continue
        for off in $(LC_ALL=C grep -obUaP "$(echo "$hex" | sed 's/../\\x&/g')" "$1" | cut -d: -f1 | head -n 5); do
            tail -c +$((off+1)) "$1" | $cmd > "$2" 2>/dev/null || true
            if [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then return 0; fi
        done
    done
    rm -f "$2"; return 1
}
command -v xz >/dev/null || apt_install xz-utils
rm -f "$OUT/vmlinux"
if extract_vmlinux "$VMLINUZ" "$OUT/vmlinux.tmp"; then
    mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
else
    log "could not extract an ELF vmlinux (will boot the slower bzImage)"
fi

# --- pack ---
cp "$VMLINUZ" "$OUT/vmlinuz.tmp"
(cd "$R" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -6 > "$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
echo "$KVER" > "$OUT/kernel-version"
rm -f "$OUT/accel"   # re-probe KVM for a new kernel
echo "$STAMP" > "$OUT/stamp"
log "done: $OUT/vmlinuz ($KVER), $OUT/initramfs.cpio.gz ($(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB)"
