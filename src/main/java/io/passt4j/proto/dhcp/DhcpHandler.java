package io.passt4j.proto.dhcp;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Dhcp;
import io.passt4j.packet.DomainNames;
import io.passt4j.packet.Ethernet;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Udp;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ReadingHandler;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;

/** Answers DHCPDISCOVER with DHCPOFFER and DHCPREQUEST with DHCPACK for the configured address. */
final class DhcpHandler extends ReadingHandler {

  /** Size of passt's options field: options, END and PAD never take more. */
  static final int OPTIONS_MAX = 308;
  /** Options are padded to this size (RFC 951's 64-byte vendor area less the cookie). */
  static final int OPTIONS_MIN = 60;
  /** Lease time: infinite. */
  static final int LEASE_INFINITE = 0xffffffff;

  private final Udp udp = new Udp();
  private final Dhcp dhcp = new Dhcp();
  private final Dhcp out = new Dhcp();
  private final byte[] requester = new byte[Ethernet.ADDR_LEN];
  private HandlerContext ctx;
  private byte[] ourMac;
  private int addr;
  private int gateway;
  /** Every reply option, END, PAD and padding; the message type at {@link #typeIndex}. */
  private byte[] options;
  private int typeIndex;

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    PasstConfig c = context.config();
    ourMac = c.ourMac.clone();
    if (c.addr4 == null || c.gateway4 == null) {
      context.log().warn("no IPv4 address or gateway: DHCP requests will be dropped");
      return Future.succeededFuture();
    }
    addr = Addresses.toInt(c.addr4);
    gateway = Addresses.toInt(c.gateway4);
    buildOptions(c);
    return Future.succeededFuture();
  }

  /** The reply options, built once: ascending option numbers, as passt sends them. */
  private void buildOptions(PasstConfig c) {
    int mask = Addresses.mask4(c.prefixLen4);
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    option(o, Dhcp.OPT_SUBNET_MASK, int4(mask));
    option(o, Dhcp.OPT_ROUTER, int4(gateway));
    if (!c.noDhcpDns && !c.dns4.isEmpty()) {
      int n = Math.min(c.dns4.size(), 255 / 4);
      ByteArrayOutputStream d = new ByteArrayOutputStream();
      for (int i = 0; i < n; i++) d.writeBytes(int4(Addresses.toInt(c.dns4.get(i))));
      option(o, Dhcp.OPT_DNS, d.toByteArray());
    }
    if (c.mtu != 0) option(o, Dhcp.OPT_MTU, new byte[] {(byte) (c.mtu >> 8), (byte) c.mtu});
    option(o, Dhcp.OPT_LEASE_TIME, int4(LEASE_INFINITE));
    typeIndex = o.size() + 2;
    option(o, Dhcp.OPT_MESSAGE_TYPE, new byte[] {0});
    option(o, Dhcp.OPT_SERVER_ID, int4(gateway));
    byte[] routes = null;
    if ((addr & mask) != (gateway & mask)) {
      // a host route to the gateway (gateway/32 via 0.0.0.0), then the default route through it
      routes = new byte[14];
      routes[0] = 32;
      System.arraycopy(int4(gateway), 0, routes, 1, 4);
      System.arraycopy(int4(gateway), 0, routes, 10, 4);
    }
    if (!c.noDhcpSearch && !c.searchDomains.isEmpty()) {
      int room = OPTIONS_MAX - o.size() - 2 - (routes == null ? 0 : 2 + routes.length) - 2;
      byte[] search = DomainNames.encode(c.searchDomains, true, Math.min(255, room));
      if (search.length > 0) option(o, Dhcp.OPT_DOMAIN_SEARCH, search);
    }
    if (routes != null) option(o, Dhcp.OPT_CLASSLESS_ROUTES, routes);
    o.write(Dhcp.OPT_END);
    o.write(Dhcp.OPT_PAD);
    while (o.size() < OPTIONS_MIN) o.write(0);
    options = o.toByteArray();
  }

  private static void option(ByteArrayOutputStream o, int code, byte[] value) {
    o.write(code);
    o.write(value.length);
    o.writeBytes(value);
  }

  private static byte[] int4(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  @Override
  protected HandlerContext context() {
    return ctx;
  }

  @Override
  protected void read(Frame f) {
    if (f.ipVersion() != 4 || f.ipProtocol() != IpProtocol.UDP.value()) {
      ctx.drop("not UDP/IPv4");
      return;
    }
    ByteBuf buf = f.buf();
    udp.wrap(buf, f.l4Offset());
    if (!udp.isValid(f.l4Length())) {
      ctx.drop("invalid UDP header");
      return;
    }
    if (udp.destinationPort() != DhcpPlugin.SERVER_PORT) {
      ctx.drop("not to the DHCP server port");
      return;
    }
    int len = udp.payloadLength();
    dhcp.wrap(buf, udp.payloadOffset());
    if (!dhcp.isValid(len)) {
      ctx.drop("not a BOOTREQUEST with magic cookie");
      return;
    }
    if (!dhcp.areOptionsValid(len)) {
      ctx.drop("truncated option");
      return;
    }
    int t = dhcp.findOption(Dhcp.OPT_MESSAGE_TYPE, len);
    if (t < 0 || dhcp.optionLength(t) != 1) {
      ctx.drop("no message type");
      return;
    }
    int reply;
    switch (buf.getUnsignedByte(t)) {
      case Dhcp.DHCPDISCOVER: reply = Dhcp.DHCPOFFER; break;
      case Dhcp.DHCPREQUEST: reply = Dhcp.DHCPACK; break;
      default:
        ctx.drop("message type not handled");
        return;
    }
    if (options == null) {
      ctx.drop("no address to lease");
      return;
    }
    if (ctx.log().isDebugEnabled()) {
      ctx.log().debug((reply == Dhcp.DHCPOFFER ? "offer to discover" : "ack to request")
          + " from " + io.netty.buffer.ByteBufUtil.hexDump(buf, dhcp.chaddrOffset(), 6));
    }
    int msgLen = Dhcp.OPTIONS + options.length;
    ByteBuf b = ctx.allocate(Packets.UDP4_PAYLOAD + msgLen);
    b.setBytes(Packets.UDP4_PAYLOAD, buf, udp.payloadOffset(), Dhcp.OPTIONS);
    b.setBytes(Packets.UDP4_PAYLOAD + Dhcp.OPTIONS, options);
    b.setByte(Packets.UDP4_PAYLOAD + Dhcp.OPTIONS + typeIndex, reply);
    out.wrap(b, Packets.UDP4_PAYLOAD);
    out.setOp(Dhcp.OP_BOOTREPLY);
    out.setSecs(0);
    out.setYiaddr(addr);
    buf.getBytes(f.offset() + Ethernet.ADDR_LEN, requester);
    Packets.udp4(b, requester, ourMac, gateway, addr, DhcpPlugin.SERVER_PORT,
        DhcpPlugin.CLIENT_PORT, msgLen);
    // passt sends UDP over IPv4 without checksum (zero: "none", RFC 768); so do we, byte for byte
    b.setShort(Packets.UDP4_PAYLOAD - 2, 0);
    ctx.sendToGuest(b);
  }
}
