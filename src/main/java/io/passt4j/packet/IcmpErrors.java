package io.passt4j.packet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Builds ICMP (RFC 792) and ICMPv6 (RFC 4443) error messages about a guest frame, addressed
 * back to the frame's sender from the address it was sent to, quoting as much of the offending
 * packet as the RFCs allow: 576 bytes for the whole IPv4 error datagram (RFC 1812 §4.3.2.3), the
 * IPv6 minimum MTU of 1280 bytes for ICMPv6 (RFC 4443 §2.4 (c)).
 *
 * <p>No error is built about an ICMP error, a fragment, or a packet from an unspecified,
 * multicast or broadcast source or to a multicast or broadcast destination (RFC 1122
 * §3.2.2, RFC 4443 §2.4 (e)): {@link #build} returns null for those.
 *
 * <pre>
 *  ICMP (v4)                               ICMPv6 parameter problem
 * +------+------+-------------+           +------+------+-------------+
 * | Type | Code |  Checksum   |           |  4   |  1   |  Checksum   |
 * |         unused (0)        |           |          Pointer          |
 * | IP header + leading data  |           | as much of the packet ... |
 * +---------------------------+           +---------------------------+
 * </pre>
 */
public final class IcmpErrors {

  /** Largest IPv4 datagram carrying an ICMP error (RFC 1812 §4.3.2.3). */
  public static final int MAX_IPV4_ERROR = 576;
  /** Largest IPv6 packet carrying an ICMPv6 error: the minimum MTU (RFC 4443 §2.4 (c)). */
  public static final int MAX_IPV6_ERROR = 1280;

  /** The errors a handler can answer with, as an ICMP and an ICMPv6 type and code each. */
  public enum Kind {
    /**
     * The upper-layer protocol is not supported: ICMP destination unreachable, protocol
     * unreachable (3/2); ICMPv6 parameter problem, unrecognized next header (4/1) pointing at
     * the next-header field naming it.
     */
    PROTOCOL_UNREACHABLE(3, 2, 4, 1),
    /** Nothing listens on the port: ICMP port unreachable (3/3), ICMPv6 port unreachable (1/4). */
    PORT_UNREACHABLE(3, 3, 1, 4),
    /** The destination cannot be reached: ICMP host unreachable (3/1), ICMPv6 address unreachable (1/3). */
    HOST_UNREACHABLE(3, 1, 1, 3),
    /** Prohibited by policy: ICMP 3/13, ICMPv6 administratively prohibited (1/1). */
    ADMIN_PROHIBITED(3, 13, 1, 1);

    final int type4, code4, type6, code6;

    Kind(int type4, int code4, int type6, int code6) {
      this.type4 = type4;
      this.code4 = code4;
      this.type6 = type6;
      this.code6 = code6;
    }
  }

  private IcmpErrors() {}

  /**
   * The complete Ethernet frame of an ICMP error about {@code offending}, to its sender's MAC
   * address from {@code ourMac}, in a buffer from {@code alloc}; null when no error may be sent
   * about that frame (see the class comment) or it is not a classified IP frame. The offending
   * frame is only read: the caller still owns it.
   */
  public static ByteBuf build(ByteBufAllocator alloc, Frame offending, Kind kind, byte[] ourMac) {
    if (offending.malformed() != null || offending.l3Offset() == Frame.NONE
        || offending.l4Offset() == Frame.NONE) {
      return null;
    }
    return offending.ipVersion() == 4 ? build4(alloc, offending, kind, ourMac)
        : offending.ipVersion() == 6 ? build6(alloc, offending, kind, ourMac) : null;
  }

  private static ByteBuf build4(ByteBufAllocator alloc, Frame f, Kind kind, byte[] ourMac) {
    ByteBuf in = f.buf();
    Ipv4 ip = new Ipv4().wrap(in, f.l3Offset());
    int src = ip.source();
    int dst = ip.destination();
    if (src == 0 || (src >>> 28) == 0xe || src == -1 || (dst >>> 28) == 0xe || dst == -1) {
      return null;
    }
    if (isIcmpError(f, 1)) return null;
    int packetLen = Math.min(ip.totalLength(), f.length() - Ethernet.SIZE);
    int quote = Math.min(packetLen, MAX_IPV4_ERROR - Ipv4.MIN_SIZE - Icmp.SIZE);
    int len = Icmp.SIZE + quote;
    ByteBuf b = alloc.directBuffer(Packets.ICMP4 + len);
    b.setZero(0, Packets.ICMP4 + Icmp.SIZE);
    b.setBytes(Packets.ICMP4 + Icmp.SIZE, in, f.l3Offset(), quote);
    Icmp icmp = new Icmp().wrap(b, Packets.ICMP4);
    icmp.setType(kind.type4);
    icmp.setCode(kind.code4);
    Packets.icmp4(b, sourceMac(f), ourMac, dst, src, len);
    return b;
  }

  private static ByteBuf build6(ByteBufAllocator alloc, Frame f, Kind kind, byte[] ourMac) {
    ByteBuf in = f.buf();
    int l3 = f.l3Offset();
    Ipv6 ip = new Ipv6().wrap(in, l3);
    // source: unspecified or multicast; destination: multicast (ff00::/8)
    if (in.getLong(l3 + 8) == 0 && in.getLong(l3 + 16) == 0) return null;
    if (in.getUnsignedByte(l3 + 8) == 0xff || in.getUnsignedByte(l3 + 24) == 0xff) return null;
    if (isIcmpError(f, 58)) return null;
    int packetLen = Math.min(Ipv6.SIZE + ip.payloadLength(), f.length() - Ethernet.SIZE);
    int quote = Math.min(packetLen, MAX_IPV6_ERROR - Ipv6.SIZE - Icmp.SIZE);
    int len = Icmp.SIZE + quote;
    ByteBuf b = alloc.directBuffer(Packets.ICMP6 + len);
    b.setZero(0, Packets.ICMP6 + Icmp.SIZE);
    b.setBytes(Packets.ICMP6 + Icmp.SIZE, in, l3, quote);
    Icmp icmp = new Icmp().wrap(b, Packets.ICMP6);
    icmp.setType(kind.type6);
    icmp.setCode(kind.code6);
    if (kind == Kind.PROTOCOL_UNREACHABLE) b.setInt(Packets.ICMP6 + 4, nextHeaderPointer(f));
    byte[] from = new byte[Ipv6.ADDR_LEN];
    byte[] to = new byte[Ipv6.ADDR_LEN];
    ip.getDestination(from);
    ip.getSource(to);
    Packets.icmp6(b, sourceMac(f), ourMac, from, to, len);
    return b;
  }

  /**
   * Offset, from the start of the IPv6 header, of the next-header field that names the frame's
   * upper-layer protocol: 6 in the fixed header, or the first byte of the last extension header.
   */
  public static int nextHeaderPointer(Frame f) {
    ByteBuf in = f.buf();
    int l3 = f.l3Offset();
    int pointer = 6;
    int pos = l3 + Ipv6.SIZE;
    for (int n = 0; n <= Ipv6.MAX_EXTENSION_HEADERS && pos < f.l4Offset(); n++) {
      pointer = pos - l3;
      pos += (in.getUnsignedByte(pos + 1) + 1) * 8;
    }
    return pointer;
  }

  /** Whether the frame is an ICMP ({@code protocol} 1) or ICMPv6 (58) error message. */
  private static boolean isIcmpError(Frame f, int protocol) {
    if (f.ipProtocol() != protocol) return false;
    if (f.l4Length() < 1) return true; // unreadable: treat as an error, send nothing
    int type = f.buf().getUnsignedByte(f.l4Offset());
    // ICMPv4 errors: 3, 4, 5, 11, 12; ICMPv6 errors: types below 128
    return protocol == 58 ? type < 128 : type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  }

  private static byte[] sourceMac(Frame f) {
    byte[] mac = new byte[Ethernet.ADDR_LEN];
    f.buf().getBytes(f.offset() + 6, mac);
    return mac;
  }
}
