package io.passt4j.packet;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** ICMP errors about guest frames: fields, quote length, checksums, and when none is sent. */
class IcmpErrorsTest {

  static final byte[] GUEST_MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  static final byte[] OUR_MAC = {(byte) 0x9a, 0x55, (byte) 0x9a, 0x55, (byte) 0x9a, 0x55};

  /** An IPv4 frame of {@code protocol} with {@code payload} bytes (0x00, 0x01...). */
  static Frame v4(String src, String dst, int protocol, int payload) throws Exception {
    ByteBuf b = Unpooled.buffer(Packets.L3 + Ipv4.MIN_SIZE + payload);
    Packets.ethernet(b, OUR_MAC, GUEST_MAC, EtherType.IPV4);
    new Ipv4().wrap(b, Packets.L3).set(0, 0x1234, 64, protocol, addr4(src), addr4(dst), payload);
    for (int i = 0; i < payload; i++) b.setByte(Packets.ICMP4 + i, i);
    b.writerIndex(Packets.L3 + Ipv4.MIN_SIZE + payload);
    return Frame.classify(b);
  }

  /** An IPv6 frame; with {@code hopByHop} an 8-byte hop-by-hop header precedes {@code protocol}. */
  static Frame v6(String src, String dst, int protocol, int payload, boolean hopByHop)
      throws Exception {
    int ext = hopByHop ? 8 : 0;
    ByteBuf b = Unpooled.buffer(Packets.ICMP6 + ext + payload);
    Packets.ethernet(b, OUR_MAC, GUEST_MAC, EtherType.IPV6);
    new Ipv6().wrap(b, Packets.L3).set(0, ext + payload, hopByHop ? 0 : protocol, 64,
        InetAddress.getByName(src).getAddress(), InetAddress.getByName(dst).getAddress());
    if (hopByHop) {
      b.setZero(Packets.ICMP6, 8);
      b.setByte(Packets.ICMP6, protocol);
      b.setByte(Packets.ICMP6 + 2, 1); // PadN
      b.setByte(Packets.ICMP6 + 3, 4);
    }
    for (int i = 0; i < payload; i++) b.setByte(Packets.ICMP6 + ext + i, i);
    b.writerIndex(Packets.ICMP6 + ext + payload);
    return Frame.classify(b);
  }

  static int addr4(String s) throws Exception {
    return Addresses.toInt((java.net.Inet4Address) InetAddress.getByName(s));
  }

  static ByteBuf build(Frame f, IcmpErrors.Kind k) {
    return IcmpErrors.build(UnpooledByteBufAllocator.DEFAULT, f, k, OUR_MAC);
  }

  @Test
  void protocolUnreachableV4QuotesTheWholeSmallPacketFromItsDestination() throws Exception {
    Frame f = v4("198.51.100.2", "198.51.100.1", 132, 32);
    ByteBuf e = build(f, IcmpErrors.Kind.PROTOCOL_UNREACHABLE);
    assertThat(ByteBufUtil.getBytes(e, 0, 6)).isEqualTo(GUEST_MAC);
    assertThat(ByteBufUtil.getBytes(e, 6, 6)).isEqualTo(OUR_MAC);
    Ipv4 ip = new Ipv4().wrap(e, Packets.L3);
    assertThat(ip.isValid(e.readableBytes() - Packets.L3)).isTrue();
    assertThat(ip.isChecksumValid()).isTrue();
    assertThat(ip.protocol()).isEqualTo(1);
    assertThat(ip.source()).isEqualTo(addr4("198.51.100.1"));
    assertThat(ip.destination()).isEqualTo(addr4("198.51.100.2"));
    assertThat(ip.totalLength()).isEqualTo(20 + 8 + 20 + 32);
    Icmp icmp = new Icmp().wrap(e, Packets.ICMP4);
    assertThat(icmp.type()).isEqualTo(3);
    assertThat(icmp.code()).isEqualTo(2);
    assertThat(e.getInt(Packets.ICMP4 + 4)).isZero();
    assertThat(icmp.isChecksumValid(8 + 52, 0)).isTrue();
    assertThat(ByteBufUtil.getBytes(e, Packets.ICMP4 + 8, 52))
        .isEqualTo(ByteBufUtil.getBytes(f.buf(), Packets.L3, 52));
    e.release();
    f.release();
  }

  @Test
  void v4QuoteStopsAt576BytesOfErrorDatagram() throws Exception {
    Frame f = v4("198.51.100.2", "198.51.100.1", 132, 1400);
    ByteBuf e = build(f, IcmpErrors.Kind.PROTOCOL_UNREACHABLE);
    assertThat(new Ipv4().wrap(e, Packets.L3).totalLength()).isEqualTo(576);
    assertThat(e.readableBytes()).isEqualTo(14 + 576);
    assertThat(new Icmp().wrap(e, Packets.ICMP4).isChecksumValid(556, 0)).isTrue();
    e.release();
    f.release();
  }

  @Test
  void parameterProblemV6PointsAtTheNextHeaderField() throws Exception {
    Frame f = v6("2001:db8::2", "2001:db8::1", 132, 32, false);
    ByteBuf e = build(f, IcmpErrors.Kind.PROTOCOL_UNREACHABLE);
    Ipv6 ip = new Ipv6().wrap(e, Packets.L3);
    byte[] a = new byte[16];
    ip.getSource(a);
    assertThat(InetAddress.getByAddress(a)).isEqualTo(InetAddress.getByName("2001:db8::1"));
    ip.getDestination(a);
    assertThat(InetAddress.getByAddress(a)).isEqualTo(InetAddress.getByName("2001:db8::2"));
    assertThat(ip.nextHeader()).isEqualTo(58);
    assertThat(ip.payloadLength()).isEqualTo(8 + 40 + 32);
    Icmp icmp = new Icmp().wrap(e, Packets.ICMP6);
    assertThat(icmp.type()).isEqualTo(4);
    assertThat(icmp.code()).isEqualTo(1);
    assertThat(e.getInt(Packets.ICMP6 + 4)).isEqualTo(6);
    long pseudo = Checksum.pseudoHeader6(e, Packets.L3 + 8, 58, 80);
    assertThat(icmp.isChecksumValid(80, pseudo)).isTrue();
    assertThat(ByteBufUtil.getBytes(e, Packets.ICMP6 + 8, 72))
        .isEqualTo(ByteBufUtil.getBytes(f.buf(), Packets.L3, 72));
    e.release();
    f.release();
  }

  @Test
  void v6PointerNamesTheLastExtensionHeaderAndQuoteStopsAt1280() throws Exception {
    Frame f = v6("2001:db8::2", "2001:db8::1", 132, 2000, true);
    assertThat(f.ipProtocol()).isEqualTo(132);
    ByteBuf e = build(f, IcmpErrors.Kind.PROTOCOL_UNREACHABLE);
    assertThat(e.getInt(Packets.ICMP6 + 4)).isEqualTo(40);
    assertThat(e.readableBytes()).isEqualTo(14 + 1280);
    assertThat(new Ipv6().wrap(e, Packets.L3).payloadLength()).isEqualTo(1240);
    long pseudo = Checksum.pseudoHeader6(e, Packets.L3 + 8, 58, 1240);
    assertThat(new Icmp().wrap(e, Packets.ICMP6).isChecksumValid(1240, pseudo)).isTrue();
    e.release();
    f.release();
  }

  @Test
  void noErrorAboutMulticastBroadcastOrIcmpErrors() throws Exception {
    for (Frame f : new Frame[] {
        v4("198.51.100.2", "224.0.0.1", 132, 8),
        v4("198.51.100.2", "255.255.255.255", 132, 8),
        v4("0.0.0.0", "198.51.100.1", 132, 8),
        v6("2001:db8::2", "ff02::1", 132, 8, false),
        v6("::", "2001:db8::1", 132, 8, false)}) {
      assertThat(build(f, IcmpErrors.Kind.PROTOCOL_UNREACHABLE)).as(f.toString()).isNull();
      f.release();
    }
    Frame err = v4("198.51.100.2", "198.51.100.1", 1, 8);
    err.buf().setByte(Packets.ICMP4, 3);
    assertThat(build(err, IcmpErrors.Kind.PORT_UNREACHABLE)).isNull();
    err.release();
    Frame err6 = v6("2001:db8::2", "2001:db8::1", 58, 8, false);
    err6.buf().setByte(Packets.ICMP6, 1);
    assertThat(build(err6, IcmpErrors.Kind.PORT_UNREACHABLE)).isNull();
    err6.release();
  }

  @Test
  void portUnreachableUsesItsOwnTypesAndCodes() throws Exception {
    Frame f = v4("198.51.100.2", "198.51.100.1", 17, 8);
    ByteBuf e = build(f, IcmpErrors.Kind.PORT_UNREACHABLE);
    assertThat((int) e.getUnsignedByte(Packets.ICMP4)).isEqualTo(3);
    assertThat((int) e.getUnsignedByte(Packets.ICMP4 + 1)).isEqualTo(3);
    e.release();
    f.release();
    Frame g = v6("2001:db8::2", "2001:db8::1", 17, 8, false);
    ByteBuf e6 = build(g, IcmpErrors.Kind.PORT_UNREACHABLE);
    assertThat((int) e6.getUnsignedByte(Packets.ICMP6)).isEqualTo(1);
    assertThat((int) e6.getUnsignedByte(Packets.ICMP6 + 1)).isEqualTo(4);
    assertThat(e6.getInt(Packets.ICMP6 + 4)).isZero();
    e6.release();
    g.release();
  }
}
