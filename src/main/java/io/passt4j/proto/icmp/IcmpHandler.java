package io.passt4j.proto.icmp;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.fwd.AddressMap;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Icmp;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.spi.FlowEvent;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.HostDatagramSocket;
import io.passt4j.spi.ProtocolHandler;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** The ICMP echo handler: one ping socket per (IP version, guest identifier), idle-expired. */
final class IcmpHandler implements ProtocolHandler {

  /** passt's ICMP_ECHO_TIMEOUT: a socket unused this long is closed. */
  static final long IDLE_TIMEOUT_MS = 60_000;
  /** How often the idle scan runs. */
  static final long SCAN_INTERVAL_MS = 10_000;
  /** Ping sockets open at once; the least recently used goes when a new one is needed. */
  static final int MAX_SOCKETS = 1024;

  private final long idleTimeoutMs;
  private final long scanIntervalMs;
  private final int maxSockets;
  private final Ipv4 ip4 = new Ipv4();
  private final Ipv6 ip6 = new Ipv6();
  private final Icmp icmp = new Icmp();
  private final byte[] addrBuf = new byte[Ipv6.ADDR_LEN];
  /** Echo state by (version << 16 | identifier), in access order (least recently used first). */
  private final LinkedHashMap<Integer, Echo> echoes = new LinkedHashMap<>(64, 0.75f, true);
  private HandlerContext ctx;
  private PasstConfig config;
  private AddressMap map;
  private long timer = -1;
  private boolean warnedNoSocket;

  /** The socket and addresses of one guest echo identifier. */
  private static final class Echo {
    final int version;
    final int id;
    HostDatagramSocket socket;
    long lastUsed;
    /** The guest's source address of the last request: replies go there. */
    InetAddress guestAddr;
    /** The last destination as the guest wrote it, and where it went on the host. */
    InetAddress guestDst;
    InetAddress hostDst;
    /** Whether its "opened" flow event went out. */
    boolean announced;
    /** The identifier the host socket got. */
    int boundId;

    Echo(int version, int id) {
      this.version = version;
      this.id = id;
    }
  }

  IcmpHandler(long idleTimeoutMs, long scanIntervalMs, int maxSockets) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.scanIntervalMs = scanIntervalMs;
    this.maxSockets = maxSockets;
  }

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    config = context.config();
    map = new AddressMap(config);
    timer = ctx.vertx().setPeriodic(scanIntervalMs, id -> expire(now()));
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> stop() {
    if (timer >= 0) ctx.vertx().cancelTimer(timer);
    for (Echo e : echoes.values()) closed(e, "stopped");
    echoes.clear();
    return Future.succeededFuture();
  }

  @Override
  public void handleFrame(Frame f) {
    try {
      if (f.ipVersion() == 4) {
        request4(f);
      } else if (f.ipVersion() == 6) {
        request6(f);
      } else {
        ctx.drop("not IP");
      }
    } finally {
      f.release();
    }
  }

  private void request4(Frame f) {
    int len = f.l4Length();
    if (!Icmp.isValid(len)) {
      ctx.drop("short ICMP message");
      return;
    }
    ByteBuf b = f.buf();
    icmp.wrap(b, f.l4Offset());
    if (icmp.type() != Icmp.V4_ECHO_REQUEST) {
      ctx.drop("not an echo request");
      return;
    }
    if (icmp.code() != 0) {
      nonZeroCode();
      return;
    }
    if (!icmp.isChecksumValid(len, 0)) {
      ctx.drop("bad ICMP checksum");
      return;
    }
    ip4.wrap(b, f.l3Offset());
    Inet4Address src = Addresses.fromInt(ip4.source());
    Inet4Address dst = Addresses.fromInt(ip4.destination());
    if (src.isAnyLocalAddress() || dst.isMulticastAddress() || dst.isAnyLocalAddress()
        || ip4.destination() == -1) {
      ctx.drop("echo request to or from an address we don't forward");
      return;
    }
    ctx.guest().sawAddr4(src);
    send(f, 4, src, dst, len);
  }

  private void request6(Frame f) {
    int len = f.l4Length();
    if (!Icmp.isValid(len)) {
      ctx.drop("short ICMPv6 message");
      return;
    }
    ByteBuf b = f.buf();
    icmp.wrap(b, f.l4Offset());
    if (icmp.type() != Icmp.V6_ECHO_REQUEST) {
      ctx.drop("not an echo request");
      return;
    }
    if (icmp.code() != 0) {
      nonZeroCode();
      return;
    }
    ip6.wrap(b, f.l3Offset());
    long pseudo = Checksum.pseudoHeader6(b, ip6.sourceOffset(), IpProtocol.ICMPV6.value(), len);
    if (!icmp.isChecksumValid(len, pseudo)) {
      ctx.drop("bad ICMPv6 checksum");
      return;
    }
    ip6.getSource(addrBuf);
    Inet6Address src = Addresses.v6(addrBuf);
    ip6.getDestination(addrBuf);
    Inet6Address dst = Addresses.v6(addrBuf);
    if (src.isAnyLocalAddress() || dst.isMulticastAddress() || dst.isAnyLocalAddress()) {
      ctx.drop("echo request to or from an address we don't forward");
      return;
    }
    ctx.guest().sawAddr6(src);
    send(f, 6, src, dst, len);
  }

  /**
   * Drops an echo request with a code other than 0. The reason is one fixed name: a counter per
   * guest-chosen code would let the guest mint up to 256 counter names per IP version and cost a
   * string per frame; the code itself goes to the trace log.
   */
  private void nonZeroCode() {
    if (ctx.log().isTraceEnabled()) ctx.log().trace("echo request with code " + icmp.code());
    ctx.drop("echo request with non-zero code");
  }

  /** Sends the guest's ICMP message (header and data, {@code len} bytes) out of its socket. */
  private void send(Frame f, int version, InetAddress src, InetAddress dst, int len) {
    int id = icmp.identifier();
    Echo e = echo(version, id, dst);
    if (e == null) return;
    e.lastUsed = now();
    e.guestAddr = src;
    if (!dst.equals(e.guestDst)) {
      e.guestDst = dst;
      e.hostDst = map.toHost(dst, -1, false);
    }
    if (!e.announced) {
      e.announced = true;
      ctx.flowOpened(event(e, "guest"));
    }
    InetAddress to = e.hostDst;
    if (to instanceof Inet6Address a && Addresses.isLinkLocal(a.getAddress())) {
      to = map.withOutboundScope(a);
      if (to == null) {
        ctx.drop("link-local destination without an interface");
        return;
      }
    }
    if (ctx.log().isTraceEnabled()) {
      ctx.log().trace("echo request id " + id + " seq " + icmp.sequence() + " to " + to.getHostAddress());
    }
    e.socket.send(f.buf().retainedSlice(f.l4Offset(), len), new InetSocketAddress(to, 0));
  }

  /** The echo state of an identifier, opening its socket when new; null when that failed. */
  private Echo echo(int version, int id, InetAddress dst) {
    int key = (version << 16) | id;
    Echo e = echoes.get(key);
    if (e != null && e.socket.isOpen()) return e;
    if (e != null) {
      echoes.remove(key);
      closed(e, "socket closed");
    }
    if (echoes.size() >= maxSockets) evictOldest();
    e = new Echo(version, id);
    InetAddress bind = version == 6 ? config.outbound6 : config.outbound4;
    InetAddress hostDst = map.toHost(dst, -1, false);
    if (hostDst.isLoopbackAddress()) bind = null; // a source address would not reach loopback
    Echo echo = e;
    try {
      e.socket = ctx.sockets().ping(version, bind, id, (s, payload, sender) -> reply(echo, payload, sender));
    } catch (IOException ex) {
      ctx.drop("no ping socket");
      if (!warnedNoSocket) {
        warnedNoSocket = true;
        ctx.log().warn("Cannot open \"ping\" socket (" + ex.getMessage() + "). You might need to:");
        ctx.log().warn("  sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"");
        ctx.log().warn("...echo requests/replies will fail.");
      }
      return null;
    }
    InetSocketAddress local = e.socket.localAddress();
    e.boundId = local == null ? 0 : local.getPort();
    echoes.put(key, e);
    ctx.count("sockets opened");
    if (ctx.log().isDebugEnabled()) {
      ctx.log().debug((version == 6 ? "ICMPv6" : "ICMP") + ": new socket for echo ID " + id
          + ", bound ID " + e.socket.localAddress().getPort());
    }
    return e;
  }

  /** An echo reply from the host: back to the guest with its identifier. */
  private void reply(Echo e, ByteBuf payload, InetSocketAddress sender) {
    int len = payload.readableBytes();
    int off = payload.readerIndex();
    if (len < Icmp.SIZE) {
      ctx.count("short reply from host");
      return;
    }
    int type = payload.getUnsignedByte(off);
    if (type != (e.version == 6 ? Icmp.V6_ECHO_REPLY : Icmp.V4_ECHO_REPLY)) {
      ctx.count("not an echo reply from host");
      return;
    }
    InetAddress from = sender.getAddress();
    InetAddress shown = from.equals(e.hostDst) ? e.guestDst : map.toGuest(from, -1, false);
    if (shown == null || e.guestAddr == null || shownFamily(shown) != e.version) {
      ctx.count("reply with no address to show");
      return;
    }
    e.lastUsed = now();
    byte[] guestMac = ctx.guest().mac();
    if (e.version == 4) {
      ByteBuf b = ctx.allocate(Packets.ICMP4 + len);
      b.setBytes(Packets.ICMP4, payload, off, len);
      new Icmp().wrap(b, Packets.ICMP4).setIdentifier(e.id);
      Packets.icmp4(b, guestMac, config.ourMac, Addresses.toInt((Inet4Address) shown),
          Addresses.toInt((Inet4Address) e.guestAddr), len);
      ctx.sendToGuest(b);
    } else {
      ByteBuf b = ctx.allocate(Packets.ICMP6 + len);
      b.setBytes(Packets.ICMP6, payload, off, len);
      new Icmp().wrap(b, Packets.ICMP6).setIdentifier(e.id);
      Packets.icmp6(b, guestMac, config.ourMac, shown.getAddress(), e.guestAddr.getAddress(), len);
      ctx.sendToGuest(b);
    }
  }

  private static int shownFamily(InetAddress a) {
    return a instanceof Inet6Address ? 6 : 4;
  }

  private void evictOldest() {
    Iterator<Map.Entry<Integer, Echo>> it = echoes.entrySet().iterator();
    if (!it.hasNext()) return;
    Echo old = it.next().getValue();
    it.remove();
    closed(old, "evicted");
    ctx.count("evicted");
  }

  /** Closes sockets idle for longer than the timeout. */
  void expire(long nowMs) {
    Iterator<Echo> it = echoes.values().iterator();
    while (it.hasNext()) {
      Echo e = it.next();
      if (nowMs - e.lastUsed > idleTimeoutMs || !e.socket.isOpen()) {
        closed(e, "expired");
        it.remove();
        ctx.count("expired");
      }
    }
  }

  /** Closes an echo's socket and reports its flow closed. */
  private void closed(Echo e, String reason) {
    e.socket.close();
    if (e.announced) ctx.flowClosed(event(e, reason));
  }

  /** The flow event of an echo identifier: guest (address, identifier), destination, host side. */
  private static FlowEvent event(Echo e, String reason) {
    return new FlowEvent(e.version == 6 ? "icmpv6" : "icmp",
        new InetSocketAddress(e.guestAddr, e.id), new InetSocketAddress(e.guestDst, 0),
        e.hostDst == null ? null : new InetSocketAddress(e.hostDst, e.boundId),
        reason);
  }

  /** Open sockets, for tests. */
  int size() {
    return echoes.size();
  }



  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
