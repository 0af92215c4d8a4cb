package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * Writes the Ethernet, IP and transport headers of frames to the guest, around a payload the
 * caller has already put at the payload offset ({@link #UDP4_PAYLOAD} and friends), and sets the
 * checksums and the writer index. One place for the header values passt uses: TTL and hop limit
 * 255, IPv4 identification 0 and no flags (no DF), traffic class and flow label 0.
 */
public final class Packets {

  /** Offset of the IPv4 header. */
  public static final int L3 = Ethernet.SIZE;
  /** Offset of a UDP header over IPv4. */
  public static final int UDP4 = Ethernet.SIZE + Ipv4.MIN_SIZE;
  /** Offset of a UDP header over IPv6. */
  public static final int UDP6 = Ethernet.SIZE + Ipv6.SIZE;
  /** Offset of a UDP payload over IPv4. */
  public static final int UDP4_PAYLOAD = Ethernet.SIZE + Ipv4.MIN_SIZE + Udp.SIZE;
  /** Offset of a UDP payload over IPv6. */
  public static final int UDP6_PAYLOAD = Ethernet.SIZE + Ipv6.SIZE + Udp.SIZE;
  /** Offset of an ICMP message over IPv4 (its header included in the message). */
  public static final int ICMP4 = Ethernet.SIZE + Ipv4.MIN_SIZE;
  /** Offset of an ICMPv6 message. */
  public static final int ICMP6 = Ethernet.SIZE + Ipv6.SIZE;
  /** TTL and hop limit of what we send. */
  public static final int TTL = 255;

  private Packets() {}

  /** Writes an Ethernet header at the buffer's index 0. */
  public static void ethernet(ByteBuf b, byte[] dst, byte[] src, EtherType type) {
    b.setBytes(0, dst, 0, 6);
    b.setBytes(6, src, 0, 6);
    b.setShort(12, type.value());
  }

  /** A UDP/IPv4 frame: payload of {@code len} bytes at {@link #UDP4_PAYLOAD}. */
  public static void udp4(ByteBuf b, byte[] dstMac, byte[] srcMac, int src, int dst, int sport,
      int dport, int len) {
    udp4(b, dstMac, srcMac, src, dst, sport, dport, len, false);
  }

  /**
   * As {@link #udp4(ByteBuf, byte[], byte[], int, int, int, int, int)}; with {@code partial}, the
   * UDP checksum is left partial (see {@link Checksum#partial}): send the frame with {@link
   * io.passt4j.spi.HandlerContext#sendToGuestPartialChecksum}, start {@link #UDP4}.
   */
  public static void udp4(ByteBuf b, byte[] dstMac, byte[] srcMac, int src, int dst, int sport,
      int dport, int len, boolean partial) {
    ethernet(b, dstMac, srcMac, EtherType.IPV4);
    Ipv4 ip = new Ipv4().wrap(b, L3);
    ip.set(0, 0, TTL, IpProtocol.UDP.value(), src, dst, Udp.SIZE + len);
    Udp u = new Udp().wrap(b, UDP4);
    u.set(sport, dport, len);
    if (partial) u.setPartialChecksum(ip.pseudoHeaderSum());
    else u.setChecksum(ip.pseudoHeaderSum());
    b.writerIndex(UDP4_PAYLOAD + len);
  }

  /** A UDP/IPv6 frame: payload of {@code len} bytes at {@link #UDP6_PAYLOAD}. */
  public static void udp6(ByteBuf b, byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst,
      int sport, int dport, int len) {
    udp6(b, dstMac, srcMac, src, dst, sport, dport, len, 0);
  }

  /** A UDP/IPv6 frame with a flow label (passt's DHCPv6 replies carry one made of the xid). */
  public static void udp6(ByteBuf b, byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst,
      int sport, int dport, int len, int flowLabel) {
    udp6(b, dstMac, srcMac, src, dst, sport, dport, len, flowLabel, false);
  }

  /** As {@link #udp6(ByteBuf, byte[], byte[], byte[], byte[], int, int, int, int)}; see {@link
   * #udp4(ByteBuf, byte[], byte[], int, int, int, int, int, boolean)} for {@code partial}
   * (start {@link #UDP6}). */
  public static void udp6(ByteBuf b, byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst,
      int sport, int dport, int len, int flowLabel, boolean partial) {
    ethernet(b, dstMac, srcMac, EtherType.IPV6);
    new Ipv6().wrap(b, L3).set(flowLabel, Udp.SIZE + len, IpProtocol.UDP.value(), TTL, src, dst);
    Udp u = new Udp().wrap(b, UDP6);
    u.set(sport, dport, len);
    long pseudo = Checksum.pseudoHeader6(b, L3 + 8, IpProtocol.UDP.value(), Udp.SIZE + len);
    if (partial) u.setPartialChecksum(pseudo);
    else u.setChecksum(pseudo);
    b.writerIndex(UDP6_PAYLOAD + len);
  }

  /** An ICMP/IPv4 frame: the whole ICMP message of {@code len} bytes at {@link #ICMP4}. */
  public static void icmp4(ByteBuf b, byte[] dstMac, byte[] srcMac, int src, int dst, int len) {
    ethernet(b, dstMac, srcMac, EtherType.IPV4);
    new Ipv4().wrap(b, L3).set(0, 0, TTL, IpProtocol.ICMP.value(), src, dst, len);
    new Icmp().wrap(b, ICMP4).setChecksum(len, 0);
    b.writerIndex(ICMP4 + len);
  }

  /** An ICMPv6 frame: the whole message of {@code len} bytes at {@link #ICMP6}. */
  public static void icmp6(ByteBuf b, byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst,
      int len) {
    ethernet(b, dstMac, srcMac, EtherType.IPV6);
    new Ipv6().wrap(b, L3).set(0, len, IpProtocol.ICMPV6.value(), TTL, src, dst);
    new Icmp().wrap(b, ICMP6)
        .setChecksum(len, Checksum.pseudoHeader6(b, L3 + 8, IpProtocol.ICMPV6.value(), len));
    b.writerIndex(ICMP6 + len);
  }

  /** Offset of a TCP header over IPv4. */
  public static final int TCP4 = Ethernet.SIZE + Ipv4.MIN_SIZE;
  /** Offset of a TCP header over IPv6. */
  public static final int TCP6 = Ethernet.SIZE + Ipv6.SIZE;

  /**
   * A TCP/IPv4 frame: the TCP segment of {@code tcpLen} bytes (header with checksum zero, then
   * payload) already at {@link #TCP4}. Writes Ethernet and IP headers and the TCP checksum.
   */
  public static void tcp4(ByteBuf b, byte[] dstMac, byte[] srcMac, int src, int dst, int tcpLen) {
    tcp4(b, dstMac, srcMac, src, dst, tcpLen, false);
  }

  /**
   * As {@link #tcp4(ByteBuf, byte[], byte[], int, int, int)}; with {@code partial}, the TCP
   * checksum is left partial (see {@link Checksum#partial}): send the frame with {@link
   * io.passt4j.spi.HandlerContext#sendToGuestPartialChecksum}, start {@link #TCP4}.
   */
  public static void tcp4(ByteBuf b, byte[] dstMac, byte[] srcMac, int src, int dst, int tcpLen,
      boolean partial) {
    ethernet(b, dstMac, srcMac, EtherType.IPV4);
    Ipv4 ip = new Ipv4().wrap(b, L3);
    ip.set(0, 0, TTL, IpProtocol.TCP.value(), src, dst, tcpLen);
    Tcp t = new Tcp().wrap(b, TCP4, tcpLen);
    if (partial) t.setPartialChecksum(ip.pseudoHeaderSum());
    else t.setChecksum(ip.pseudoHeaderSum());
    b.writerIndex(TCP4 + tcpLen);
  }

  /** A TCP/IPv6 frame: the segment of {@code tcpLen} bytes already at {@link #TCP6}. */
  public static void tcp6(ByteBuf b, byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst,
      int tcpLen) {
    tcp6(b, dstMac, srcMac, src, dst, tcpLen, false);
  }

  /** As {@link #tcp6(ByteBuf, byte[], byte[], byte[], byte[], int)}; see {@link
   * #tcp4(ByteBuf, byte[], byte[], int, int, int, boolean)} for {@code partial} (start {@link
   * #TCP6}). */
  public static void tcp6(ByteBuf b, byte[] dstMac, byte[] srcMac, byte[] src, byte[] dst,
      int tcpLen, boolean partial) {
    ethernet(b, dstMac, srcMac, EtherType.IPV6);
    new Ipv6().wrap(b, L3).set(0, tcpLen, IpProtocol.TCP.value(), TTL, src, dst);
    Tcp t = new Tcp().wrap(b, TCP6, tcpLen);
    long pseudo = Checksum.pseudoHeader6(b, L3 + 8, IpProtocol.TCP.value(), tcpLen);
    if (partial) t.setPartialChecksum(pseudo);
    else t.setChecksum(pseudo);
    b.writerIndex(TCP6 + tcpLen);
  }
}
