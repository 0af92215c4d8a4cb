package io.passt4j.testutil;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Icmp;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Udp;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Builds frames as a guest sends them (UDP, ICMP echo) and reads the ones it receives. */
public final class GuestFrames {

  private GuestFrames() {}

  public static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  /** A UDP datagram from the guest to {@code ourMac}. */
  public static byte[] udp(byte[] ourMac, String src, int sport, String dst, int dport,
      byte[] payload) {
    InetAddress s = ip(src);
    InetAddress d = ip(dst);
    if (s instanceof Inet4Address) {
      ByteBuf b = Unpooled.buffer(Packets.UDP4_PAYLOAD + payload.length);
      b.setBytes(Packets.UDP4_PAYLOAD, payload);
      Packets.udp4(b, ourMac, HandlerHarness.GUEST_MAC, Addresses.toInt((Inet4Address) s),
          Addresses.toInt((Inet4Address) d), sport, dport, payload.length);
      return ByteBufUtil.getBytes(b);
    }
    ByteBuf b = Unpooled.buffer(Packets.UDP6_PAYLOAD + payload.length);
    b.setBytes(Packets.UDP6_PAYLOAD, payload);
    Packets.udp6(b, ourMac, HandlerHarness.GUEST_MAC, s.getAddress(), d.getAddress(), sport,
        dport, payload.length);
    return ByteBufUtil.getBytes(b);
  }

  /** An ICMP or ICMPv6 echo request from the guest. */
  public static byte[] echoRequest(byte[] ourMac, String src, String dst, int id, int seq,
      byte[] data) {
    InetAddress s = ip(src);
    InetAddress d = ip(dst);
    int len = Icmp.SIZE + data.length;
    boolean v4 = s instanceof Inet4Address;
    int off = v4 ? Packets.ICMP4 : Packets.ICMP6;
    ByteBuf b = Unpooled.buffer(off + len);
    b.setByte(off, v4 ? Icmp.V4_ECHO_REQUEST : Icmp.V6_ECHO_REQUEST);
    b.setByte(off + 1, 0);
    b.setShort(off + 4, id);
    b.setShort(off + 6, seq);
    b.setBytes(off + Icmp.SIZE, data);
    if (v4) {
      Packets.icmp4(b, ourMac, HandlerHarness.GUEST_MAC, Addresses.toInt((Inet4Address) s),
          Addresses.toInt((Inet4Address) d), len);
    } else {
      Packets.icmp6(b, ourMac, HandlerHarness.GUEST_MAC, s.getAddress(), d.getAddress(), len);
    }
    return ByteBufUtil.getBytes(b);
  }

  /** What a test reads from a frame to the guest. */
  public record Parsed(int ipVersion, int protocol, InetAddress src, InetAddress dst,
      int sport, int dport, int icmpType, int icmpId, int icmpSeq, byte[] payload,
      boolean checksumsOk, byte[] dstMac) {}

  /** Parses a UDP or ICMP frame to the guest, verifying its checksums. */
  public static Parsed parse(byte[] frame) {
    Frame f = Frame.classify(Unpooled.wrappedBuffer(frame));
    if (f.malformed() != null) throw new AssertionError("malformed frame: " + f.malformed());
    ByteBuf b = f.buf();
    byte[] dstMac = new byte[6];
    b.getBytes(0, dstMac);
    InetAddress src;
    InetAddress dst;
    long pseudo;
    boolean ipOk = true;
    int len = f.l4Length();
    if (f.ipVersion() == 4) {
      Ipv4 ip = new Ipv4().wrap(b, f.l3Offset());
      src = Addresses.fromInt(ip.source());
      dst = Addresses.fromInt(ip.destination());
      ipOk = ip.isChecksumValid();
      pseudo = f.ipProtocol() == 1 ? 0 : ip.pseudoHeaderSum();
    } else {
      Ipv6 ip = new Ipv6().wrap(b, f.l3Offset());
      byte[] a = new byte[16];
      ip.getSource(a);
      src = Addresses.v6(a);
      ip.getDestination(a);
      dst = Addresses.v6(a);
      pseudo = io.passt4j.packet.Checksum.pseudoHeader6(b, ip.sourceOffset(), f.ipProtocol(), len);
    }
    if (f.ipProtocol() == 17) {
      Udp u = new Udp().wrap(b, f.l4Offset());
      byte[] p = new byte[u.payloadLength()];
      b.getBytes(u.payloadOffset(), p);
      boolean ok = ipOk && u.isChecksumValid(pseudo, false);
      return new Parsed(f.ipVersion(), 17, src, dst, u.sourcePort(), u.destinationPort(), -1, -1,
          -1, p, ok, dstMac);
    }
    Icmp i = new Icmp().wrap(b, f.l4Offset());
    byte[] p = new byte[len - Icmp.SIZE];
    b.getBytes(f.l4Offset() + Icmp.SIZE, p);
    boolean ok = ipOk && i.isChecksumValid(len, pseudo);
    return new Parsed(f.ipVersion(), f.ipProtocol(), src, dst, -1, -1, i.type(), i.identifier(),
        i.sequence(), p, ok, dstMac);
  }
}
