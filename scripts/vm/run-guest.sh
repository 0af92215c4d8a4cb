#!/bin/sh
# run-guest.sh --socket PATH [--timeout SECS] [--script GUEST_SCRIPT]
#              [--append "KEY=VAL ..."] [--assets DIR] [--log FILE]
#              [--accel auto|kvm|tcg] [--mac MAC] [--extra FILE]...
#
# Boots the test guest (kernel + busybox initramfs from build-assets.sh) with
# one virtio-net NIC connected to a passt-compatible daemon listening on the
# UNIX stream socket PATH (qemu -netdev stream, i.e. the qemu >= 7.2 protocol:
# 32-bit big-endian length + Ethernet frame).
#
# The guest script (default: guest-basic.sh next to this file) is packed into
# a small cpio archive appended to the initramfs and runs as /test.sh.
# KEY=VAL words of --append (KEY without dots) end up in its environment.
# Each --extra FILE (e.g. a static helper binary) goes into the same archive as
# /usr/bin/<basename of FILE>.
# The console (\r stripped) goes to stdout, and also to --log FILE if given.
#
# Exit status: qemu's (0 after the guest powered off), 124 on timeout,
# 3 if qemu exited 0 but the guest never printed "GUEST_DONE".
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SOCK= TIMEOUT=120 SCRIPT=$HERE/guest-basic.sh APPEND= ASSETS=${VM_ASSETS:-$ROOT/.vm-cache}
LOG= ACCEL=${VM_ACCEL:-auto} MAC=52:54:00:12:34:56 EXTRA=

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --socket) SOCK=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --script) SCRIPT=$2; shift 2 ;;
        --append) APPEND="$APPEND $2"; shift 2 ;;
        --assets) ASSETS=$2; shift 2 ;;
        --log) LOG=$2; shift 2 ;;
        --accel) ACCEL=$2; shift 2 ;;
        --mac) MAC=$2; shift 2 ;;
        --extra) [ -f "$2" ] || { echo "run-guest: no file $2" >&2; exit 2; }
                 EXTRA="$EXTRA $(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "run-guest: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$SOCK" ] || { echo "run-guest: --socket is required" >&2; usage; }
[ -f "$SCRIPT" ] || { echo "run-guest: no guest script $SCRIPT" >&2; exit 2; }

QEMU=qemu-system-x86_64
if ! command -v $QEMU >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "run-guest: $QEMU missing" >&2; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 >&2; } \
      || { echo "run-guest: cannot install qemu-system-x86" >&2; exit 2; }
fi
# VM_ASSETS_CHECKED=1: caller already ran build-assets.sh (saves ~2 s of apt-cache)
if [ "${VM_ASSETS_CHECKED:-}" != 1 ] || [ ! -s "$ASSETS/initramfs.cpio.gz" ]; then
    "$HERE/build-assets.sh" "$ASSETS" >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/run-guest.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# initrd = base initramfs + appended archive holding /test.sh (and the --extra files)
mk_initrd() { # mk_initrd SCRIPT OUT [EXTRA_FILE...]
    mk_s=$1 mk_o=$2
    shift 2
    mkdir -p "$TMP/ov/usr/bin"
    cp "$mk_s" "$TMP/ov/test.sh"
    chmod 755 "$TMP/ov/test.sh"
    for f in "$@"; do cp "$f" "$TMP/ov/usr/bin/"; chmod 755 "$TMP/ov/usr/bin/$(basename "$f")"; done
    (cd "$TMP/ov" && find test.sh usr/bin -type f | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$TMP/ov.cpio.gz"
    cat "$ASSETS/initramfs.cpio.gz" "$TMP/ov.cpio.gz" > "$mk_o"
    rm -rf "$TMP/ov"
}

KCMD="console=ttyS0 panic=-1 quiet"
KERNEL=${VM_KERNEL:-$ASSETS/vmlinux}   # uncompressed ELF (PVH entry) boots ~5 s faster under TCG
[ -s "$KERNEL" ] || KERNEL=$ASSETS/vmlinuz
qemu_base() { # common qemu options
    echo "-nodefaults -no-user-config -display none -monitor none -serial stdio -m 256 -no-reboot -kernel $KERNEL"
}

# --- accelerator: KVM only if it really boots a stock kernel (probe once, cached) ---
probe_kvm() {
    [ -w /dev/kvm ] || { echo tcg; return; }
    printf 'echo KVM_PROBE_OK\n' > "$TMP/probe.sh"
    mk_initrd "$TMP/probe.sh" "$TMP/probe.img"
    if (timeout -k 2 15 $QEMU $(qemu_base) -accel kvm -cpu host -initrd "$TMP/probe.img" \
          -append "$KCMD" </dev/null 2>/dev/null) 2>/dev/null | grep -q KVM_PROBE_OK; then
        echo kvm
    else
        echo tcg
    fi
}
if [ "$ACCEL" = auto ]; then
    if [ -s "$ASSETS/accel" ]; then
        ACCEL=$(cat "$ASSETS/accel")
    else
        echo "run-guest: probing KVM (once)..." >&2
        ACCEL=$(probe_kvm)
        echo "$ACCEL" > "$ASSETS/accel"
        echo "run-guest: accelerator $ACCEL (cached in $ASSETS/accel)" >&2
    fi
fi
case "$ACCEL" in
    kvm) ACCEL_ARGS="-accel kvm -cpu host" ;;
    tcg) ACCEL_ARGS="-accel tcg -cpu max" ;;
    *) echo "run-guest: bad --accel $ACCEL" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086
mk_initrd "$SCRIPT" "$TMP/initrd.img" $EXTRA

T0=$(date +%s.%N)
echo "run-guest: accel=$ACCEL socket=$SOCK timeout=${TIMEOUT}s script=$SCRIPT" >&2
# shellcheck disable=SC2046
{
    RC=0
    timeout -k 3 "$TIMEOUT" $QEMU $(qemu_base) $ACCEL_ARGS -initrd "$TMP/initrd.img" \
        -append "$KCMD $APPEND" \
        -netdev stream,id=n0,server=off,addr.type=unix,addr.path="$SOCK" \
        -device virtio-net-pci,netdev=n0,mac="$MAC",romfile= \
        </dev/null 2>"$TMP/qemu.err" || RC=$?
    echo $RC > "$TMP/rc"
} | sed -u 's/\r//g' | tee "$TMP/console" ${LOG:+"$LOG"}
RC=$(cat "$TMP/rc" 2>/dev/null || echo 1)
T1=$(date +%s.%N)
if [ -s "$TMP/qemu.err" ]; then sed 's/^/run-guest: qemu: /' "$TMP/qemu.err" >&2; fi
if [ $RC = 0 ] && ! grep -q '^GUEST_DONE' "$TMP/console"; then RC=3; fi
echo "run-guest: qemu exit $RC after $(echo "$T1 $T0" | awk '{printf "%.1f", $1-$2}')s" >&2
exit $RC
