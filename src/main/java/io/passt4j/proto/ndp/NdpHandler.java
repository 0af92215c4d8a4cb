package io.passt4j.proto.ndp;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.DomainNames;
import io.passt4j.packet.Ethernet;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Icmp;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Ndp;
import io.passt4j.packet.Packets;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ReadingHandler;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;
import java.net.Inet6Address;
import java.nio.ByteBuffer;

/** Answers Neighbor Solicitations with Neighbor Advertisements and Router Solicitations with RAs. */
final class NdpHandler extends ReadingHandler {

  /** Hop limit of every valid ND message (RFC 4861 6.1, 7.1). */
  static final int ND_HOP_LIMIT = 255;
  /** Router lifetime in RAs, seconds. */
  static final int ROUTER_LIFETIME = 9000;
  /** Valid and preferred lifetime of the prefix, seconds. */
  static final int PREFIX_LIFETIME = 3600;
  /** Lifetime of RDNSS and DNSSL, seconds. */
  static final int DNS_LIFETIME = 60;
  /** Most resolvers in RDNSS (its length is one byte of 8-byte units). */
  static final int MAX_RDNSS = 127;
  /** Most bytes of names in DNSSL (its length is one byte of 8-byte units). */
  static final int MAX_DNSSL = 255 * 8 - 8;
  /** Size of our NA: header, flags, target, target link-layer address option. */
  static final int NA_SIZE = Ndp.NS_SIZE + 8;

  private static final byte[] ALL_NODES = {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

  private final Ipv6 ip6 = new Ipv6();
  private final Ndp ndp = new Ndp();
  private final byte[] requester = new byte[Ethernet.ADDR_LEN];
  private final byte[] source = new byte[Ipv6.ADDR_LEN];
  private HandlerContext ctx;
  private byte[] ourMac;
  /** Our source address for replies, or null when we have none. */
  private byte[] ourAddr;
  /** The whole RA (ICMPv6 message, checksum 0). */
  private byte[] ra;

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    PasstConfig c = context.config();
    ourMac = c.ourMac.clone();
    Inet6Address src = c.gateway6 != null && Addresses.isLinkLocal(c.gateway6.getAddress())
        ? c.gateway6 : c.addrLinkLocal6;
    if (src == null) {
      context.log().warn("no link-local address: NDP solicitations will be dropped");
    } else {
      ourAddr = src.getAddress();
    }
    ra = buildRa(c);
    return Future.succeededFuture();
  }

  /** The router advertisement, built once. */
  private byte[] buildRa(PasstConfig c) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteBuffer h = ByteBuffer.allocate(Ndp.RA_SIZE);
    h.put((byte) Icmp.V6_ROUTER_ADVERTISEMENT).put((byte) 0).putShort((short) 0);
    h.put((byte) 255).put((byte) Ndp.RA_MANAGED).putShort((short) ROUTER_LIFETIME);
    h.putInt(0).putInt(0); // reachable time, retransmission timer: unspecified
    o.writeBytes(h.array());
    if (c.addr6 != null) {
      ByteBuffer p = ByteBuffer.allocate(32);
      p.put((byte) Ndp.OPT_PREFIX_INFO).put((byte) 4).put((byte) 64);
      p.put((byte) (Ndp.PREFIX_ON_LINK | Ndp.PREFIX_AUTONOMOUS));
      p.putInt(PREFIX_LIFETIME).putInt(PREFIX_LIFETIME).putInt(0);
      p.put(c.addr6.getAddress(), 0, 8); // the /64, rest zero
      o.writeBytes(p.array());
    }
    if (c.mtu != 0) {
      ByteBuffer m = ByteBuffer.allocate(8);
      m.put((byte) Ndp.OPT_MTU).put((byte) 1).putShort((short) 0).putInt(c.mtu);
      o.writeBytes(m.array());
    }
    if (!c.noDhcpDns && !c.dns6.isEmpty()) {
      int n = Math.min(c.dns6.size(), MAX_RDNSS);
      ByteBuffer r = ByteBuffer.allocate(8 + 16 * n);
      r.put((byte) Ndp.OPT_RDNSS).put((byte) (1 + 2 * n)).putShort((short) 0).putInt(DNS_LIFETIME);
      for (int i = 0; i < n; i++) r.put(c.dns6.get(i).getAddress());
      o.writeBytes(r.array());
    }
    if (!c.noDhcpSearch && !c.searchDomains.isEmpty()) {
      byte[] names = DomainNames.encode(c.searchDomains, false, MAX_DNSSL);
      if (names.length > 0) {
        int padded = (names.length + 7) / 8 * 8;
        ByteBuffer d = ByteBuffer.allocate(8 + padded);
        d.put((byte) Ndp.OPT_DNSSL).put((byte) (1 + padded / 8)).putShort((short) 0);
        d.putInt(DNS_LIFETIME).put(names);
        o.writeBytes(d.array());
      }
    }
    o.write(Ndp.OPT_SOURCE_LL_ADDR);
    o.write(1);
    o.writeBytes(c.ourMac);
    return o.toByteArray();
  }

  @Override
  protected HandlerContext context() {
    return ctx;
  }

  @Override
  protected void read(Frame f) {
    if (f.ipVersion() != 6 || f.ipProtocol() != IpProtocol.ICMPV6.value()) {
      ctx.drop("not ICMPv6");
      return;
    }
    ByteBuf buf = f.buf();
    ip6.wrap(buf, f.l3Offset());
    if (ip6.hopLimit() != ND_HOP_LIMIT) {
      ctx.drop("hop limit not 255");
      return;
    }
    ndp.wrap(buf, f.l4Offset());
    if (!ndp.isValid(f.l4Length())) {
      ctx.drop("invalid ND message");
      return;
    }
    if (ourAddr == null) {
      ctx.drop("no link-local address");
      return;
    }
    ip6.getSource(source);
    boolean unspecified = isZero(source);
    int type = ndp.type();
    if (type == Icmp.V6_NEIGHBOR_SOLICITATION) {
      if (unspecified) {
        ctx.drop("duplicate address detection");
        return;
      }
      if (buf.getUnsignedByte(ndp.targetOffset()) == 0xff) {
        ctx.drop("multicast target");
        return;
      }
      buf.getBytes(f.offset() + Ethernet.ADDR_LEN, requester);
      ByteBuf b = ctx.allocate(Packets.ICMP6 + NA_SIZE);
      int m = Packets.ICMP6;
      b.setByte(m, Icmp.V6_NEIGHBOR_ADVERTISEMENT);
      b.setByte(m + 1, 0);
      b.setShort(m + 2, 0);
      b.setInt(m + 4, Ndp.NA_ROUTER | Ndp.NA_SOLICITED | Ndp.NA_OVERRIDE);
      b.setBytes(m + 8, buf, ndp.targetOffset(), Ipv6.ADDR_LEN);
      b.setByte(m + 24, Ndp.OPT_TARGET_LL_ADDR);
      b.setByte(m + 25, 1);
      b.setBytes(m + 26, ourMac);
      Packets.icmp6(b, requester, ourMac, ourAddr, source, NA_SIZE);
      ctx.sendToGuest(b);
    } else {
      if (ctx.config().noRa) {
        ctx.drop("router advertisements disabled");
        return;
      }
      buf.getBytes(f.offset() + Ethernet.ADDR_LEN, requester);
      ByteBuf b = ctx.allocate(Packets.ICMP6 + ra.length);
      b.setBytes(Packets.ICMP6, ra);
      Packets.icmp6(b, requester, ourMac, ourAddr, unspecified ? ALL_NODES : source, ra.length);
      ctx.sendToGuest(b);
    }
    if (!unspecified) ctx.guest().sawAddr6(Addresses.v6(source.clone()));
  }

  private static boolean isZero(byte[] a) {
    for (byte x : a) if (x != 0) return false;
    return true;
  }
}
