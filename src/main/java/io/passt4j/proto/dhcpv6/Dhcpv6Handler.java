package io.passt4j.proto.dhcpv6;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Dhcpv6;
import io.passt4j.packet.DomainNames;
import io.passt4j.packet.Ethernet;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Udp;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ReadingHandler;
import io.vertx.core.Future;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A stateless-table DHCPv6 server: one client, one address, infinite lifetimes. */
final class Dhcpv6Handler extends ReadingHandler {

  /** Seconds from the Unix epoch to 2000-01-01 00:00 UTC, the DUID-LLT time base. */
  static final long Y2K = 946684800L;
  /** Size of our server identifier option: header, DUID-LLT with a MAC address. */
  static final int SERVER_ID_SIZE = 4 + 14;
  /** Longest client DUID we echo (RFC 8415 11.1). */
  static final int MAX_DUID = 128;
  /** T1, T2, preferred and valid lifetime: infinity. */
  static final int INFINITY = 0xffffffff;
  /** Status message of NotOnLink, as passt words it. */
  static final byte[] NOT_ON_LINK_MSG =
      "Prefix not appropriate for link.".getBytes(StandardCharsets.US_ASCII);
  private static final int IA_NA_REPLY_SIZE =
      4 + Dhcpv6.IA_NA_SIZE + 4 + Dhcpv6.IAADDR_SIZE;
  private static final int STATUS_SIZE = 4 + 2 + NOT_ON_LINK_MSG.length;

  private final Udp udp = new Udp();
  private final Ipv6 ip6 = new Ipv6();
  private final Dhcpv6 msg = new Dhcpv6();
  private final byte[] requester = new byte[Ethernet.ADDR_LEN];
  private final byte[] source = new byte[Ipv6.ADDR_LEN];
  /** DUID time fixed by a test, or -1 for now. */
  private final long fixedDuidTime;
  private HandlerContext ctx;
  private byte[] ourMac;
  private byte[] ourAddr;
  private byte[] leased;
  private byte[] serverId;
  private byte[] dnsOption;
  private byte[] searchOption;
  private Inet6Address leasedAddress;

  Dhcpv6Handler() {
    this(-1);
  }

  /** A handler whose DUID-LLT time is {@code duidTime} (seconds since 2000), for tests. */
  Dhcpv6Handler(long duidTime) {
    this.fixedDuidTime = duidTime;
  }

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    PasstConfig c = context.config();
    ourMac = c.ourMac.clone();
    Inet6Address src = c.gateway6 != null && Addresses.isLinkLocal(c.gateway6.getAddress())
        ? c.gateway6 : c.addrLinkLocal6;
    if (src == null || c.addr6 == null) {
      context.log().warn("no IPv6 address or link-local address: DHCPv6 requests will be dropped");
    } else {
      ourAddr = src.getAddress();
      leased = c.addr6.getAddress();
      leasedAddress = c.addr6;
    }
    long time = fixedDuidTime >= 0 ? fixedDuidTime : System.currentTimeMillis() / 1000 - Y2K;
    ByteBuffer s = ByteBuffer.allocate(SERVER_ID_SIZE);
    s.putShort((short) Dhcpv6.OPTION_SERVERID).putShort((short) 14);
    s.putShort((short) 1).putShort((short) 1); // DUID-LLT, hardware type Ethernet
    s.putInt((int) time).put(ourMac);
    serverId = s.array();
    if (!c.noDhcpDns && !c.dns6.isEmpty()) {
      int n = Math.min(c.dns6.size(), 64);
      ByteBuffer d = ByteBuffer.allocate(4 + 16 * n);
      d.putShort((short) Dhcpv6.OPTION_DNS_SERVERS).putShort((short) (16 * n));
      for (int i = 0; i < n; i++) d.put(c.dns6.get(i).getAddress());
      dnsOption = d.array();
    }
    if (!c.noDhcpSearch && !c.searchDomains.isEmpty()) {
      byte[] names = DomainNames.encode(c.searchDomains, false, 1024);
      if (names.length > 0) {
        searchOption = ByteBuffer.allocate(4 + names.length)
            .putShort((short) Dhcpv6.OPTION_DOMAIN_LIST).putShort((short) names.length)
            .put(names).array();
      }
    }
    return Future.succeededFuture();
  }

  @Override
  protected HandlerContext context() {
    return ctx;
  }

  @Override
  protected void read(Frame f) {
    if (f.ipVersion() != 6 || f.ipProtocol() != IpProtocol.UDP.value()) {
      ctx.drop("not UDP/IPv6");
      return;
    }
    ByteBuf buf = f.buf();
    udp.wrap(buf, f.l4Offset());
    if (!udp.isValid(f.l4Length())) {
      ctx.drop("invalid UDP header");
      return;
    }
    if (udp.destinationPort() != Dhcpv6Plugin.SERVER_PORT) {
      ctx.drop("not to the DHCPv6 server port");
      return;
    }
    ip6.wrap(buf, f.l3Offset());
    if (buf.getUnsignedByte(ip6.destinationOffset()) != 0xff) {
      ctx.drop("not multicast");
      return;
    }
    int len = udp.payloadLength();
    if (!Dhcpv6.isValid(len)) {
      ctx.drop("short message");
      return;
    }
    msg.wrap(buf, udp.payloadOffset());
    int from = msg.optionsOffset();
    int end = udp.payloadOffset() + len;
    if (!msg.areOptionsValid(from, end)) {
      ctx.drop("truncated option");
      return;
    }
    if (leased == null) {
      ctx.drop("no address to lease");
      return;
    }
    int type = msg.msgType();
    int clientId = msg.findOption(Dhcpv6.OPTION_CLIENTID, from, end);
    if (clientId >= 0) {
      int l = msg.optionLength(clientId);
      if (l == 0 || l > MAX_DUID) {
        ctx.drop("bad client identifier length");
        return;
      }
    } else if (type != Dhcpv6.INFORMATION_REQUEST) {
      ctx.drop("no client identifier");
      return;
    }
    int serverIdOpt = msg.findOption(Dhcpv6.OPTION_SERVERID, from, end);
    boolean ours = false;
    if (serverIdOpt >= 0) {
      if (msg.optionLength(serverIdOpt) != SERVER_ID_SIZE - 4) {
        ctx.drop("bad server identifier length");
        return;
      }
      ours = isOurServerId(buf, serverIdOpt);
    }
    int iaNa = msg.findOption(Dhcpv6.OPTION_IA_NA, from, end);
    if (iaNa >= 0 && msg.optionLength(iaNa) < Dhcpv6.IA_NA_SIZE) {
      ctx.drop("short IA_NA");
      return;
    }
    boolean checkOnLink = false;
    int replyType = Dhcpv6.REPLY;
    switch (type) {
      case Dhcpv6.SOLICIT:
        if (serverIdOpt >= 0) {
          ctx.drop("solicit with server identifier");
          return;
        }
        replyType = Dhcpv6.ADVERTISE;
        break;
      case Dhcpv6.REQUEST:
      case Dhcpv6.RENEW:
        if (!ours) {
          ctx.drop("not for our server identifier");
          return;
        }
        checkOnLink = true;
        break;
      case Dhcpv6.CONFIRM:
        if (serverIdOpt >= 0) {
          ctx.drop("confirm with server identifier");
          return;
        }
        checkOnLink = true;
        break;
      case Dhcpv6.REBIND:
        if (serverIdOpt >= 0 && !ours) {
          ctx.drop("not for our server identifier");
          return;
        }
        break;
      case Dhcpv6.INFORMATION_REQUEST:
        if (serverIdOpt >= 0 && !ours) {
          ctx.drop("not for our server identifier");
          return;
        }
        if (iaNa >= 0 || msg.findOption(Dhcpv6.OPTION_IA_TA, from, end) >= 0) {
          ctx.drop("information request with IA");
          return;
        }
        break;
      default:
        ctx.drop("message type not handled");
        return;
    }
    if (checkOnLink) {
      int bad = notOnLink(buf, from, end);
      if (bad == -2) {
        ctx.drop("malformed IA");
        return;
      }
      if (bad >= 0) {
        sendNotOnLink(f, bad, clientId);
        return;
      }
    }
    sendReply(f, replyType, type == Dhcpv6.INFORMATION_REQUEST ? -1 : iaNa, clientId);
  }

  private boolean isOurServerId(ByteBuf buf, int opt) {
    for (int i = 0; i < SERVER_ID_SIZE; i++) {
      if (buf.getByte(opt + i) != serverId[i]) return false;
    }
    return true;
  }

  /**
   * The header offset of the first IA_NA or IA_TA holding an address that is not ours, -1 when
   * there is none, -2 when an IA or IAADDR is malformed.
   */
  private int notOnLink(ByteBuf buf, int from, int end) {
    for (int o = from; o < end; o = msg.nextOption(o)) {
      int code = msg.optionCode(o);
      int fixed;
      if (code == Dhcpv6.OPTION_IA_NA) {
        fixed = Dhcpv6.IA_NA_SIZE;
      } else if (code == Dhcpv6.OPTION_IA_TA) {
        fixed = Dhcpv6.IA_TA_SIZE;
      } else {
        continue;
      }
      int l = msg.optionLength(o);
      if (l < fixed) return -2;
      int subFrom = msg.optionData(o) + fixed;
      int subEnd = msg.optionData(o) + l;
      if (!msg.areOptionsValid(subFrom, subEnd)) return -2;
      for (int s = subFrom; s < subEnd; s = msg.nextOption(s)) {
        if (msg.optionCode(s) != Dhcpv6.OPTION_IAADDR) continue;
        if (msg.optionLength(s) < Dhcpv6.IAADDR_SIZE) return -2;
        int a = msg.optionData(s);
        for (int i = 0; i < Ipv6.ADDR_LEN; i++) {
          if (buf.getByte(a + i) != leased[i]) {
            if (ctx.log().isDebugEnabled()) {
              ctx.log().debug("requested address not on link");
            }
            return o;
          }
        }
      }
    }
    return -1;
  }

  /** REPLY with the client's IA, a NotOnLink status inside it, and the client identifier. */
  private void sendNotOnLink(Frame f, int ia, int clientId) {
    ByteBuf buf = f.buf();
    int iaFixed = msg.optionCode(ia) == Dhcpv6.OPTION_IA_NA ? Dhcpv6.IA_NA_SIZE : Dhcpv6.IA_TA_SIZE;
    int cidSize = clientId < 0 ? 0 : 4 + msg.optionLength(clientId);
    int len = Dhcpv6.HEADER_SIZE + SERVER_ID_SIZE + 4 + iaFixed + STATUS_SIZE + cidSize;
    ByteBuf b = ctx.allocate(Packets.UDP6_PAYLOAD + len);
    int p = Packets.UDP6_PAYLOAD;
    b.setByte(p, Dhcpv6.REPLY);
    b.setMedium(p + 1, msg.transactionId());
    p += Dhcpv6.HEADER_SIZE;
    b.setBytes(p, serverId);
    p += SERVER_ID_SIZE;
    b.setShort(p, msg.optionCode(ia));
    b.setShort(p + 2, iaFixed + STATUS_SIZE);
    b.setBytes(p + 4, buf, msg.optionData(ia), iaFixed);
    p += 4 + iaFixed;
    b.setShort(p, Dhcpv6.OPTION_STATUS_CODE);
    b.setShort(p + 2, STATUS_SIZE - 4);
    b.setShort(p + 4, Dhcpv6.STATUS_NOT_ON_LINK);
    b.setBytes(p + 6, NOT_ON_LINK_MSG);
    p += STATUS_SIZE;
    if (clientId >= 0) b.setBytes(p, buf, clientId, cidSize);
    send(f, b, len);
  }

  /** ADVERTISE or REPLY: server id, IA_NA with our address, client id, DNS options. */
  private void sendReply(Frame f, int replyType, int iaNa, int clientId) {
    ByteBuf buf = f.buf();
    int oro = msg.findOption(Dhcpv6.OPTION_ORO, msg.optionsOffset(),
        udp.payloadOffset() + udp.payloadLength());
    byte[] dns = oro >= 0 && msg.oroRequests(oro, Dhcpv6.OPTION_DNS_SERVERS) ? dnsOption : null;
    byte[] search =
        oro >= 0 && msg.oroRequests(oro, Dhcpv6.OPTION_DOMAIN_LIST) ? searchOption : null;
    int cidSize = clientId < 0 ? 0 : 4 + msg.optionLength(clientId);
    int len = Dhcpv6.HEADER_SIZE + SERVER_ID_SIZE + (iaNa < 0 ? 0 : IA_NA_REPLY_SIZE) + cidSize
        + (dns == null ? 0 : dns.length) + (search == null ? 0 : search.length);
    ByteBuf b = ctx.allocate(Packets.UDP6_PAYLOAD + len);
    int p = Packets.UDP6_PAYLOAD;
    b.setByte(p, replyType);
    b.setMedium(p + 1, msg.transactionId());
    p += Dhcpv6.HEADER_SIZE;
    b.setBytes(p, serverId);
    p += SERVER_ID_SIZE;
    if (iaNa >= 0) {
      b.setShort(p, Dhcpv6.OPTION_IA_NA);
      b.setShort(p + 2, IA_NA_REPLY_SIZE - 4);
      b.setBytes(p + 4, buf, msg.optionData(iaNa), 4); // IAID
      b.setInt(p + 8, INFINITY);
      b.setInt(p + 12, INFINITY);
      p += 4 + Dhcpv6.IA_NA_SIZE;
      b.setShort(p, Dhcpv6.OPTION_IAADDR);
      b.setShort(p + 2, Dhcpv6.IAADDR_SIZE);
      b.setBytes(p + 4, leased);
      b.setInt(p + 20, INFINITY);
      b.setInt(p + 24, INFINITY);
      p += 4 + Dhcpv6.IAADDR_SIZE;
    }
    if (clientId >= 0) {
      b.setBytes(p, buf, clientId, cidSize);
      p += cidSize;
    }
    if (dns != null) {
      b.setBytes(p, dns);
      p += dns.length;
    }
    if (search != null) b.setBytes(p, search);
    send(f, b, len);
    if (iaNa >= 0) ctx.guest().sawAddr6(leasedAddress);
  }

  /** Adds the headers (to the request's source and MAC) and sends. */
  private void send(Frame f, ByteBuf b, int len) {
    ByteBuf buf = f.buf();
    buf.getBytes(f.offset() + Ethernet.ADDR_LEN, requester);
    ip6.getSource(source);
    // passt reads the 24-bit xid as a little-endian bit field and cuts it to 20 bits
    int x = msg.transactionId();
    int flow = ((x & 0x0f) << 16) | (x & 0xff00) | (x >>> 16);
    Packets.udp6(b, requester, ourMac, ourAddr, source, Dhcpv6Plugin.SERVER_PORT,
        Dhcpv6Plugin.CLIENT_PORT, len, flow);
    ctx.sendToGuest(b);
    if (Addresses.isLinkLocal(source)) ctx.guest().sawAddr6(Addresses.v6(source.clone()));
  }
}
