package io.passt4j.examples.echo;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Udp;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ReadingHandler;
import io.vertx.core.Future;
import java.util.Arrays;

/**
 * Answers each datagram to the gateway's echo port with the same payload, from the gateway. A
 * {@link ReadingHandler}: the frame is released when {@link #read} returns.
 */
final class EchoHandler extends ReadingHandler {

  // Header views are reused: one handler runs on one event loop, frames one at a time.
  private final Ipv4 ip4 = new Ipv4();
  private final Ipv6 ip6 = new Ipv6();
  private final Udp udp = new Udp();
  private final byte[] src6 = new byte[Ipv6.ADDR_LEN];
  private final byte[] dst6 = new byte[Ipv6.ADDR_LEN];
  private HandlerContext ctx;
  private PasstConfig config;

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    config = context.config();
    return Future.succeededFuture();
  }

  @Override
  protected HandlerContext context() {
    return ctx;
  }

  @Override
  protected void read(Frame f) {
    // Guest input is hostile: check every length and checksum before using a field.
    udp.wrap(f.buf(), f.l4Offset());
    if (!udp.isValid(f.l4Length())) {
      ctx.drop("bad UDP length");
      return;
    }
    if (f.ipVersion() == 4) {
      ip4.wrap(f.buf(), f.l3Offset());
      if (!udp.isChecksumValid(ip4.pseudoHeaderSum(), true)) {
        ctx.drop("bad UDP checksum");
        return;
      }
      if (config.gateway4 == null || ip4.destination() != toInt(config.gateway4.getAddress())) {
        ctx.drop("not to the gateway");
        return;
      }
      int len = udp.payloadLength();
      ByteBuf b = ctx.allocate(Packets.UDP4_PAYLOAD + len);
      b.setBytes(Packets.UDP4_PAYLOAD, f.buf(), udp.payloadOffset(), len);
      Packets.udp4(b, sourceMac(f), config.ourMac, ip4.destination(), ip4.source(),
          udp.destinationPort(), udp.sourcePort(), len);
      ctx.sendToGuest(b);
    } else {
      ip6.wrap(f.buf(), f.l3Offset());
      long pseudo = Checksum.pseudoHeader6(f.buf(), ip6.sourceOffset(), IpProtocol.UDP.value(),
          udp.length());
      if (!udp.isChecksumValid(pseudo, false)) {
        ctx.drop("bad UDP checksum");
        return;
      }
      ip6.getSource(src6);
      ip6.getDestination(dst6);
      if (!isGateway6(dst6)) {
        ctx.drop("not to the gateway");
        return;
      }
      int len = udp.payloadLength();
      ByteBuf b = ctx.allocate(Packets.UDP6_PAYLOAD + len);
      b.setBytes(Packets.UDP6_PAYLOAD, f.buf(), udp.payloadOffset(), len);
      Packets.udp6(b, sourceMac(f), config.ourMac, dst6, src6, udp.destinationPort(),
          udp.sourcePort(), len);
      ctx.sendToGuest(b);
    }
    ctx.count("echoed");
  }

  /** The IPv6 gateway: its global address or our link-local one (what RAs name as router). */
  private boolean isGateway6(byte[] a) {
    return (config.gateway6 != null && Arrays.equals(a, config.gateway6.getAddress()))
        || (config.addrLinkLocal6 != null && Arrays.equals(a, config.addrLinkLocal6.getAddress()));
  }

  private static byte[] sourceMac(Frame f) {
    byte[] mac = new byte[6];
    f.buf().getBytes(f.offset() + 6, mac);
    return mac;
  }

  private static int toInt(byte[] a) {
    return ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
  }
}
