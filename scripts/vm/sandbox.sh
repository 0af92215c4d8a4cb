#!/bin/bash
# sandbox.sh CMD [ARGS...] -- run CMD in a fresh, isolated network namespace.
#
# Inside the sandbox (new net + mount namespace; as non-root also a new user
# namespace with root mapped to the caller):
#   lo       up, 127.0.0.1/8 and ::1
#   eth0     fake uplink (veth), 198.51.100.2/24 + 2001:db8::2/64 (nodad),
#            default routes via 198.51.100.1 and 2001:db8::1
#   the veth peer "uplink0" lives in a second, private namespace (held by a
#   background process) with 198.51.100.1/24 and 2001:db8::1/64, so that the
#   gateways answer ARP/NDP and ping; nothing is forwarded anywhere else.
#   /etc/resolv.conf  bind-mounted: "nameserver 198.51.100.1",
#                     "nameserver 2001:db8::1", "search example.org"
#   net.ipv4.ping_group_range = "0 2147483647" (root) / "0 0" (user ns)
# Nothing can reach the real network: the only non-loopback link is the veth.
# SANDBOX_PEER_NETNS (exported to CMD): the peer namespace's /proc/PID/ns/net, for
# a test that needs a host beyond the uplink (nsenter --net="$SANDBOX_PEER_NETNS").
#
# Env: SANDBOX_RESOLV_CONF=FILE to use another resolv.conf.
# Exit status: CMD's.
set -euo pipefail

if [ "${__PASST4J_SANDBOX_INNER:-}" != 1 ]; then
    command -v unshare >/dev/null || { echo "sandbox: unshare (util-linux) missing" >&2; exit 2; }
    if ! command -v ip >/dev/null; then
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2 >&2 \
              || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2 >&2; }
        fi
        command -v ip >/dev/null || { echo "sandbox: ip (iproute2) missing" >&2; exit 2; }
    fi
    [ $# -gt 0 ] || { echo "usage: sandbox.sh CMD [ARGS...]" >&2; exit 2; }
    export __PASST4J_SANDBOX_INNER=1
    if [ "$(id -u)" = 0 ]; then
        export __PASST4J_SANDBOX_USERNS=0
        exec unshare --net --mount --propagation private --fork -- "$0" "$@"
    else
        export __PASST4J_SANDBOX_USERNS=1
        exec unshare --user --map-root-user --net --mount --propagation private --fork -- "$0" "$@"
    fi
fi
unset __PASST4J_SANDBOX_INNER

die() { echo "sandbox: ERROR: $*" >&2; exit 2; }

PEER_PID=
TMPD=
cleanup() {
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null
    [ -n "$TMPD" ] && rm -rf "$TMPD"  # mounts vanish with the mount namespace
    return 0
}
trap cleanup EXIT

ip link set lo up

# second namespace for the veth peer, held open by a sleeping process
unshare --net sleep infinity &
PEER_PID=$!
for _ in $(seq 100); do
    [ "$(readlink /proc/$PEER_PID/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.01
done
[ "$(readlink /proc/$PEER_PID/ns/net)" != "$(readlink /proc/self/ns/net)" ] || die "peer netns not created"
PEER="nsenter --net=/proc/$PEER_PID/ns/net"

# no DAD anywhere: addresses (incl. link-local) are usable immediately
for ns in "" "$PEER"; do
    $ns sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 >/dev/null 2>&1 || true
done

ip link add eth0 type veth peer name uplink0 netns "$PEER_PID"
$PEER ip link set lo up
$PEER ip addr add 198.51.100.1/24 dev uplink0
$PEER ip -6 addr add 2001:db8::1/64 dev uplink0 nodad
$PEER ip link set uplink0 up
ip addr add 198.51.100.2/24 dev eth0
ip -6 addr add 2001:db8::2/64 dev eth0 nodad
ip link set eth0 up
ip route add default via 198.51.100.1 dev eth0
ip -6 route add default via 2001:db8::1 dev eth0

# wait for carrier, non-tentative addresses and the routes
ok=
for _ in $(seq 200); do
    if [ "$(cat /sys/class/net/eth0/operstate)" = up ] \
       && [ -z "$(ip -6 addr show tentative)" ] \
       && ip -6 addr show dev eth0 scope link | grep -q inet6 \
       && ip route show default | grep -q 198.51.100.1 \
       && ip -6 route show default | grep -q 2001:db8::1; then
        ok=1; break
    fi
    sleep 0.02
done
[ -n "$ok" ] || die "sandbox network did not come up: $(ip addr; ip -6 route)"

if [ "${__PASST4J_SANDBOX_USERNS:-0}" = 0 ]; then
    sysctl -qw net.ipv4.ping_group_range="0 2147483647"
else
    sysctl -qw net.ipv4.ping_group_range="0 0" 2>/dev/null || true
fi

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/sandbox.XXXXXX")
if [ -n "${SANDBOX_RESOLV_CONF:-}" ]; then
    cp "$SANDBOX_RESOLV_CONF" "$TMPD/resolv.conf"
else
    printf 'nameserver 198.51.100.1\nnameserver 2001:db8::1\nsearch example.org\n' > "$TMPD/resolv.conf"
fi
chmod 644 "$TMPD/resolv.conf"
# a dangling symlink (e.g. to systemd-resolved's stub) cannot be bind-mounted over
RESOLV=$(readlink -f /etc/resolv.conf || echo /etc/resolv.conf)
if [ ! -e "$RESOLV" ]; then
    mkdir -p "$(dirname "$RESOLV")" 2>/dev/null || true
    mount -t tmpfs -o size=64k,mode=755 sandbox-run "$(dirname "$RESOLV")" 2>/dev/null || true
    : > "$RESOLV" 2>/dev/null || true
fi
mount --bind "$TMPD/resolv.conf" "$RESOLV" || die "cannot bind-mount resolv.conf"

unset __PASST4J_SANDBOX_USERNS
export PASST4J_SANDBOX=1
export SANDBOX_PEER_NETNS=/proc/$PEER_PID/ns/net
set +e
"$@"
rc=$?
exit $rc
