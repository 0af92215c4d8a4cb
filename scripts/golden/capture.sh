#!/bin/bash
# Capture golden reply frames from the distribution's real passt(1).
#
# Usage (as root):  scripts/golden/capture.sh [OUTDIR]
#   OUTDIR defaults to src/test/resources/golden/debian-passt
#
# Everything happens inside a private network + mount namespace created with
# unshare(1): a veth pair forms a fake uplink (eth0 198.51.100.2/24,
# 2001:db8::2/64, gateway .1 / ::1 living in a second, private network
# namespace).  No packet ever leaves the sandbox.  See the README.md written
# next to the captured files for the details.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:-$REPO/src/test/resources/golden/debian-passt}

if [ "${1:-}" != "--inner" ]; then
	[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	exec unshare --net --mount -- "$0" --inner "$OUT"
fi

# ---------------------------------------------------------------- inner part
OUT=$2
mount --make-rprivate /
WORK=$(mktemp -d /tmp/passt-golden.XXXXXX)
chmod 0777 "$WORK"
PEER_PID=
PASST_PID=
cleanup() {
	[ -n "$PASST_PID" ] && kill "$PASST_PID" 2>/dev/null || true
	[ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null || true
}
trap cleanup EXIT

# No DAD, no autoconf noise, in this namespace and in the peer's.
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
	   net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
	   net.ipv6.conf.default.router_solicitations=0
sysctl -qw net.ipv4.ping_group_range="0 2147483647"
ip link set lo up

# Peer ("upstream router") lives in its own network namespace.
unshare --net -- sleep infinity &
PEER_PID=$!
sleep 0.2
PEER="nsenter --net=/proc/$PEER_PID/ns/net --"
$PEER sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0

ip link add eth0 address 02:00:00:00:00:02 type veth peer name veth1 address 02:00:00:00:00:01
ip link set veth1 netns "$PEER_PID"
$PEER ip link set lo up
$PEER ip addr add 198.51.100.1/24 dev veth1
$PEER ip -6 addr add 2001:db8::1/64 dev veth1 nodad
$PEER ip link set veth1 up

ip link set eth0 address 02:00:00:00:00:02
ip addr add 198.51.100.2/24 dev eth0
ip -6 addr add 2001:db8::2/64 dev eth0 nodad
ip link set eth0 up
ip route add default via 198.51.100.1 dev eth0
ip -6 route add default via 2001:db8::1 dev eth0

# Wait for the link-local addresses to exist (passt uses eth0's one).
for _ in $(seq 50); do
	ip -6 addr show dev eth0 scope link | grep -q fe80:: && \
	! ip -6 addr show dev eth0 | grep -q tentative && break
	sleep 0.1
done

printf 'nameserver 198.51.100.53\nnameserver 2001:db8::53\nsearch example.org test.example\n' > "$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

{
	echo "### passt package: $(dpkg-query -W -f='${Package} ${Version}' passt 2>/dev/null || echo unknown)"
	echo "### ip addr (sandbox)"; ip addr
	echo "### ip route"; ip route; ip -6 route
	echo "### peer"; $PEER ip addr
} > "$WORK/env.txt"

SOCK=$WORK/passt.socket
PCAP=$WORK/session.pcap
passt -f -1 -d -s "$SOCK" --pcap "$PCAP" > "$WORK/passt.log" 2>&1 &
PASST_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { cat "$WORK/passt.log" >&2; echo "passt did not create $SOCK" >&2; exit 1; }
sleep 0.3

python3 "$HERE/capture.py" "$SOCK" "$OUT"

# -1: passt exits once the client closed the socket.
for _ in $(seq 50); do kill -0 "$PASST_PID" 2>/dev/null || break; sleep 0.1; done
kill "$PASST_PID" 2>/dev/null || true
wait "$PASST_PID" 2>/dev/null || true
PASST_PID=

cp "$PCAP" "$OUT/session.pcap"
chmod 0644 "$OUT/session.pcap"
echo "passt log:  $WORK/passt.log"
echo "sandbox:    $WORK/env.txt"
echo "output:     $OUT"
