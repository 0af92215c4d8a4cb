#!/usr/bin/env python3
"""Drive a running passt(1) through its qemu UNIX socket and record replies.

Usage: capture.py SOCKET OUTDIR

Connects to SOCKET exactly like qemu's "-netdev stream" does (every frame is
preceded by its length as a 4-byte big-endian integer, in both directions),
sends a fixed, deterministic list of request frames from the guest MAC
52:54:00:12:34:56 and stores, per exchange, the request and every frame
received until the socket stayed quiet for a short timeout:

    OUTDIR/<exchange>.request.hex
    OUTDIR/<exchange>.reply-<N>.hex        (N = 1, 2, ...)

One frame per file, lowercase hex, no separators, one line, no newline.
Exchanges that depend on earlier replies (DHCP server identifiers, the
offered addresses) parse them from those replies.  Only the Python standard
library is used.  Intended to be run by capture.sh inside a sandbox.
"""

import glob
import os
import select
import socket
import struct
import sys
import time

GUEST_MAC = bytes.fromhex("525400123456")
BCAST_MAC = b"\xff" * 6
GUEST_IP4 = "198.51.100.2"
GW_IP4 = "198.51.100.1"
OTHER_IP4 = "198.51.100.77"
GUEST_LL = "fe80::5054:ff:fe12:3456"
GUEST_IP6 = "2001:db8::2"
GW_IP6 = "2001:db8::1"
HOST_LL = "fe80::ff:fe00:2"       # eth0 (MAC 02:00:00:00:00:02) link-local
OTHER_LL = "fe80::1"
OTHER_IP6 = "2001:db8::77"

DHCP_XID = 0x12345678
DHCP_PRL = bytes([1, 3, 6, 15, 26, 119, 121])
DHCPV6_XIDS = {           # 24-bit transaction ids, fixed
    "solicit": 0x0a0b01,
    "request": 0x0a0b02,
    "renew": 0x0a0b03,
    "rebind": 0x0a0b04,
    "rebind-with-serverid": 0x0a0b05,
    "confirm": 0x0a0b06,
    "confirm-offlink": 0x0a0b07,
    # last wire byte 0xc3 has its high nibble set: shows how passt derives
    # the 20-bit IPv6 flow label of its reply from the transaction id
    "information-request": 0xa1b2c3,
    "solicit-again": 0x0a0b09,
}
ICMP_ID = 0x1234
ICMP_PAYLOAD = bytes(range(0x20, 0x40))   # 32 bytes, fixed

QUIET = 0.5      # seconds of silence that ends an exchange
QUIET_PING = 1.5


# ------------------------------------------------------------------ helpers
def ip4(a):
    return socket.inet_pton(socket.AF_INET, a)


def ip6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=0, df=False, tos=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident,
                      0x4000 if df else 0, ttl, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp4(src, dst, sport, dport, data, **kw):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = csum(pseudo + u) or 0xffff
    u = u[:6] + struct.pack("!H", c) + u[8:]
    return ipv4(src, dst, 17, u, **kw)


def ipv6(src, dst, nh, payload, hlim):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim,
                       ip6(src), ip6(dst)) + payload


def l4sum6(src, dst, nh, data):
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(data), nh)
    return csum(pseudo + data)


def icmp6(src, dst, typ, code, body, hlim=255):
    m = struct.pack("!BBH", typ, code, 0) + body
    c = l4sum6(src, dst, 58, m)
    m = m[:2] + struct.pack("!H", c) + m[4:]
    return ipv6(src, dst, 58, m, hlim)


def udp6(src, dst, sport, dport, data, hlim=1):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4sum6(src, dst, 17, u) or 0xffff
    u = u[:6] + struct.pack("!H", c) + u[8:]
    return ipv6(src, dst, 17, u, hlim)


def mcast_mac6(addr):
    return b"\x33\x33" + ip6(addr)[12:]


def solicited_node(target):
    return socket.inet_ntop(socket.AF_INET6,
                            ip6("ff02::1:ff00:0")[:13] + ip6(target)[13:])


# ---------------------------------------------------------------- requests
def arp_request(sha, spa, tpa):
    a = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sha, ip4(spa),
                    b"\0" * 6, ip4(tpa))
    return eth(BCAST_MAC, GUEST_MAC, 0x0806, a)


def dhcp4(msgtype, extra_opts, flags=0, prl=DHCP_PRL):
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s",
                        1, 1, 6, 0, DHCP_XID, 0, flags,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                        GUEST_MAC + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    opts = b"\x63\x82\x53\x63"
    opts += bytes([53, 1, msgtype])
    opts += bytes([61, 7, 1]) + GUEST_MAC
    opts += extra_opts
    opts += bytes([55, len(prl)]) + prl
    opts += b"\xff"
    payload = bootp + opts
    payload += b"\0" * max(0, 300 - len(payload))     # BOOTP minimum size
    return eth(BCAST_MAC, GUEST_MAC, 0x0800,
               udp4("0.0.0.0", "255.255.255.255", 68, 67, payload))


def ns(target, src=GUEST_LL, with_sllao=True):
    body = struct.pack("!I16s", 0, ip6(target))
    if with_sllao:
        body += bytes([1, 1]) + GUEST_MAC
    dst = solicited_node(target)
    return eth(mcast_mac6(dst), GUEST_MAC, 0x86dd, icmp6(src, dst, 135, 0, body))


def rs():
    body = struct.pack("!I", 0) + bytes([1, 1]) + GUEST_MAC
    return eth(mcast_mac6("ff02::2"), GUEST_MAC, 0x86dd,
               icmp6(GUEST_LL, "ff02::2", 133, 0, body))


def opt6(code, data):
    return struct.pack("!HH", code, len(data)) + data


DUID_LL = struct.pack("!HH", 3, 1) + GUEST_MAC


def ia_na(addr=None):
    data = struct.pack("!III", 1, 0, 0)
    if addr is not None:
        data += opt6(5, ip6(addr) + struct.pack("!II", 0, 0))
    return opt6(3, data)


def dhcpv6(name, msgtype, server_id=None, ia=False, ia_addr=None):
    xid = DHCPV6_XIDS[name]
    m = struct.pack("!I", (msgtype << 24) | xid)
    m += opt6(1, DUID_LL)
    if server_id is not None:
        m += opt6(2, server_id)
    m += opt6(6, struct.pack("!HH", 23, 24))
    m += opt6(8, struct.pack("!H", 0))
    if ia:
        m += ia_na(ia_addr)
    return eth(mcast_mac6("ff02::1:2"), GUEST_MAC, 0x86dd,
               udp6(GUEST_LL, "ff02::1:2", 546, 547, m))


def icmp4_echo(dst, seq=1):
    m = struct.pack("!BBHHH", 8, 0, 0, ICMP_ID, seq) + ICMP_PAYLOAD
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return eth(PASST_MAC[0], GUEST_MAC, 0x0800,
               ipv4(GUEST_IP4, dst, 1, m, ident=0x4242, df=True))


def icmp6_echo(dst, seq=1):
    body = struct.pack("!HH", ICMP_ID, seq) + ICMP_PAYLOAD
    return eth(PASST_MAC[0], GUEST_MAC, 0x86dd,
               icmp6(GUEST_IP6, dst, 128, 0, body, hlim=64))


# ------------------------------------------------------------ reply parsing
def udp_payload(frame):
    et = struct.unpack("!H", frame[12:14])[0]
    if et == 0x0800:
        ihl = (frame[14] & 0xf) * 4
        return frame[14 + ihl + 8:]
    if et == 0x86dd:
        return frame[14 + 40 + 8:]
    return None


def dhcp4_opts(frame):
    p = udp_payload(frame)
    yiaddr = socket.inet_ntop(socket.AF_INET, p[16:20])
    o, i = {}, 240
    while i < len(p) and p[i] != 255:
        if p[i] == 0:
            i += 1
            continue
        o[p[i]] = p[i + 2:i + 2 + p[i + 1]]
        i += 2 + p[i + 1]
    return yiaddr, o


def dhcpv6_opts(data):
    o, i = [], 0
    while i + 4 <= len(data):
        code, ln = struct.unpack("!HH", data[i:i + 4])
        o.append((code, data[i + 4:i + 4 + ln]))
        i += 4 + ln
    return o


# -------------------------------------------------------------- transport
class Tap:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""

    def send(self, frame):
        self.s.sendall(struct.pack("!I", len(frame)) + frame)

    def recv_all(self, quiet):
        frames = []
        deadline = time.monotonic() + quiet
        while True:
            while len(self.buf) >= 4:
                n = struct.unpack("!I", self.buf[:4])[0]
                if len(self.buf) < 4 + n:
                    break
                frames.append(self.buf[4:4 + n])
                self.buf = self.buf[4 + n:]
                deadline = time.monotonic() + quiet
            left = deadline - time.monotonic()
            if left <= 0:
                return frames
            r, _, _ = select.select([self.s], [], [], left)
            if r:
                d = self.s.recv(65536)
                if not d:
                    return frames
                self.buf += d


PASST_MAC = [None]


def main():
    sock, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for f in glob.glob(os.path.join(out, "*.hex")):
        os.unlink(f)
    tap = Tap(sock)
    seq = [0]

    def save(name, data):
        with open(os.path.join(out, name), "w") as f:
            f.write(data.hex())

    def exchange(name, frame, quiet=QUIET):
        seq[0] += 1
        full = "%02d-%s" % (seq[0], name)
        if frame is not None:
            save(full + ".request.hex", frame)
            tap.send(frame)
        replies = tap.recv_all(quiet)
        for i, r in enumerate(replies, 1):
            save("%s.reply-%d.hex" % (full, i), r)
        print("%-40s %d reply frame(s)" % (full, len(replies)))
        return replies

    # Anything passt sends on its own right after the connection.
    exchange("connect", None, quiet=1.0)

    # ---- ARP
    r = exchange("arp-gateway", arp_request(GUEST_MAC, GUEST_IP4, GW_IP4))
    PASST_MAC[0] = r[0][6:12] if r else bytes.fromhex("020000000002")
    exchange("arp-other", arp_request(GUEST_MAC, GUEST_IP4, OTHER_IP4))
    exchange("arp-self", arp_request(GUEST_MAC, GUEST_IP4, GUEST_IP4))
    exchange("arp-probe-self", arp_request(GUEST_MAC, "0.0.0.0", GUEST_IP4))
    exchange("arp-probe-other", arp_request(GUEST_MAC, "0.0.0.0", OTHER_IP4))
    exchange("arp-announce-other",
             arp_request(GUEST_MAC, OTHER_IP4, OTHER_IP4))

    # ---- DHCPv4
    r = exchange("dhcp-discover", dhcp4(1, bytes([50, 4]) + ip4(GUEST_IP4)))
    server_id = ip4(GW_IP4)
    req_ip = ip4(GUEST_IP4)
    for f in r:
        yi, o = dhcp4_opts(f)
        if o.get(53) == b"\x02":
            server_id = o.get(54, server_id)
            req_ip = ip4(yi)
    exchange("dhcp-request", dhcp4(3, bytes([50, 4]) + req_ip +
                                    bytes([54, 4]) + server_id))
    exchange("dhcp-discover-broadcast-flag",
             dhcp4(1, bytes([50, 4]) + ip4(GUEST_IP4), flags=0x8000))
    exchange("dhcp-discover-prl-reversed",
             dhcp4(1, bytes([50, 4]) + ip4(GUEST_IP4),
                   prl=bytes(reversed(DHCP_PRL))))

    # ---- NDP
    exchange("ndp-ns-gateway", ns(GW_IP6))
    exchange("ndp-ns-host-ll", ns(HOST_LL))
    exchange("ndp-ns-other-ll", ns(OTHER_LL))
    exchange("ndp-ns-other-global", ns(OTHER_IP6))
    exchange("ndp-ns-dad-self", ns(GUEST_IP6, src="::", with_sllao=False))
    exchange("ndp-ns-self", ns(GUEST_IP6))
    exchange("ndp-ns-gateway-from-global", ns(GW_IP6, src=GUEST_IP6))
    exchange("ndp-rs", rs())
    exchange("ndp-rs-again", rs())

    # ---- DHCPv6
    r = exchange("dhcpv6-solicit", dhcpv6("solicit", 1, ia=True))
    srv6, addr6 = None, GUEST_IP6
    for f in r:
        p = udp_payload(f)
        if p and p[0] == 2:
            for code, data in dhcpv6_opts(p[4:]):
                if code == 2:
                    srv6 = data
                if code == 3:
                    for c2, d2 in dhcpv6_opts(data[12:]):
                        if c2 == 5:
                            addr6 = socket.inet_ntop(socket.AF_INET6, d2[:16])
    if srv6 is None:
        print("WARNING: no server id in ADVERTISE", file=sys.stderr)
        srv6 = b""
    exchange("dhcpv6-request",
             dhcpv6("request", 3, server_id=srv6, ia=True, ia_addr=addr6))
    exchange("dhcpv6-renew",
             dhcpv6("renew", 5, server_id=srv6, ia=True, ia_addr=addr6))
    exchange("dhcpv6-rebind",
             dhcpv6("rebind", 6, ia=True, ia_addr=addr6))
    exchange("dhcpv6-rebind-with-serverid",
             dhcpv6("rebind-with-serverid", 6, server_id=srv6, ia=True,
                    ia_addr=addr6))
    exchange("dhcpv6-confirm",
             dhcpv6("confirm", 4, ia=True, ia_addr=addr6))
    exchange("dhcpv6-confirm-offlink",
             dhcpv6("confirm-offlink", 4, ia=True, ia_addr="2001:db8:1::2"))
    exchange("dhcpv6-information-request",
             dhcpv6("information-request", 11))
    exchange("dhcpv6-solicit-again", dhcpv6("solicit-again", 1, ia=True))

    # ---- ICMP echo through host ping sockets
    exchange("icmp4-echo-gateway", icmp4_echo(GW_IP4), quiet=QUIET_PING)
    exchange("icmp6-echo-gateway", icmp6_echo(GW_IP6), quiet=QUIET_PING)

    tap.s.close()


if __name__ == "__main__":
    main()
