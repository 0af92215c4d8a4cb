package io.passt4j.proto.arp;

import io.netty.buffer.ByteBuf;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Arp;
import io.passt4j.packet.EtherType;
import io.passt4j.packet.Ethernet;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Packets;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ReadingHandler;
import io.vertx.core.Future;
import java.net.Inet4Address;

/** Answers ARP requests from the guest for every address but its own, with our MAC address. */
final class ArpHandler extends ReadingHandler {

  /** Size of our replies: Ethernet header and an Ethernet/IPv4 ARP packet, no padding. */
  static final int REPLY_SIZE = Ethernet.SIZE + Arp.SIZE;

  private final Arp arp = new Arp();
  private final Arp reply = new Arp();
  private final byte[] requester = new byte[Ethernet.ADDR_LEN];
  private HandlerContext ctx;
  private byte[] ourMac;
  private int configured;

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    ourMac = context.config().ourMac.clone();
    Inet4Address a = context.config().addr4;
    configured = a == null ? 0 : Addresses.toInt(a);
    return Future.succeededFuture();
  }

  @Override
  protected HandlerContext context() {
    return ctx;
  }

  @Override
  protected void read(Frame f) {
    if (f.etherType() != EtherType.ARP.value()) {
      ctx.drop("not ARP");
      return;
    }
    ByteBuf buf = f.buf();
    arp.wrap(buf, f.l3Offset());
    if (!arp.isValid(f.length() - Ethernet.SIZE)) {
      ctx.drop("not Ethernet/IPv4 ARP");
      return;
    }
    if (arp.operation() != Arp.OP_REQUEST) {
      ctx.drop("not a request");
      return;
    }
    int spa = arp.senderProtocolAddress();
    int tpa = arp.targetProtocolAddress();
    if (spa != 0 && spa == tpa) {
      ctx.drop("announcement");
      return;
    }
    Inet4Address seen = ctx.guest().addr4();
    if ((configured != 0 && tpa == configured) || (seen != null && tpa == Addresses.toInt(seen))) {
      ctx.drop("guest's own address");
      return;
    }
    buf.getBytes(f.offset() + Ethernet.ADDR_LEN, requester);
    ByteBuf b = ctx.allocate(REPLY_SIZE);
    Packets.ethernet(b, requester, ourMac, EtherType.ARP);
    reply.wrap(b, Ethernet.SIZE)
        .set(Arp.OP_REPLY, ourMac, tpa, buf, arp.senderHardwareAddressOffset(), spa);
    b.writerIndex(REPLY_SIZE);
    ctx.sendToGuest(b);
  }
}
