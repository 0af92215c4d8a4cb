package io.passt4j.proto.udp;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.fwd.AddressMap;
import io.passt4j.fwd.ForwardSockets;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Udp;
import io.passt4j.spi.DescriptorLimitException;
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
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The UDP handler: flows per guest port with their own host socket, and -u listeners. */
final class UdpHandler implements ProtocolHandler {

  /** passt's UDP_CONN_TIMEOUT: a flow idle this long is closed. */
  static final long IDLE_TIMEOUT_MS = 180_000;
  /** How often the idle scan runs. */
  static final long SCAN_INTERVAL_MS = 10_000;
  /** Flows (each with at most one socket) at once; the least recently used goes when full. */
  static final int MAX_FLOWS = 4096;
  /** Remote endpoints remembered per flow. */
  static final int MAX_PEERS = 64;

  private final long idleTimeoutMs;
  private final long scanIntervalMs;
  private final int maxFlows;
  private final Ipv4 ip4 = new Ipv4();
  private final Ipv6 ip6 = new Ipv6();
  private final Udp udp = new Udp();
  private final byte[] addrBuf = new byte[Ipv6.ADDR_LEN];
  /** Flows in access order: least recently used first. */
  private final LinkedHashMap<Key, Flow> flows = new LinkedHashMap<>(256, 0.75f, true);
  /** The sockets of forwarded ports ({@code -u}), by port. */
  private ForwardSockets<HostDatagramSocket> listeners;
  private HandlerContext ctx;
  private PasstConfig config;
  private AddressMap map;
  private long timer = -1;

  /** A flow's key: the guest's side of it. */
  record Key(int version, InetAddress guestAddr, int guestPort) {
    // Written out, as TcpHandler.Key: no method-handle bootstrap on the first flow.
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.guestPort == guestPort && k.version == version
          && k.guestAddr.equals(guestAddr);
    }

    @Override
    public int hashCode() {
      return guestAddr.hashCode() * 31 + guestPort;
    }
  }

  /** One remote endpoint of a flow: as the guest sees it, as the host sees it, and the socket. */
  private record Peer(InetSocketAddress guestSide, InetSocketAddress hostSide,
      HostDatagramSocket via) {}

  /** A flow: the guest's (address, port), its own host socket, the peers it talks to. */
  private final class Flow {
    final Key key;
    HostDatagramSocket own;
    long lastUsed;
    boolean closed;
    /** The first peer, named in the flow's events; null until the flow is announced. */
    Peer first;
    final Map<InetSocketAddress, Peer> byGuest = peerMap();
    final Map<InetSocketAddress, Peer> byHost = peerMap();

    Flow(Key key) {
      this.key = key;
    }

    void remember(Peer p, String reason) {
      byGuest.put(p.guestSide(), p);
      byHost.put(p.hostSide(), p);
      if (first == null) {
        first = p;
        ctx.flowOpened(event(reason));
      }
    }

    void close(String reason) {
      closed = true;
      if (own != null) own.close();
      if (first != null) ctx.flowClosed(event(reason));
    }

    FlowEvent event(String reason) {
      return new FlowEvent("udp", new InetSocketAddress(key.guestAddr(), key.guestPort()),
          first.guestSide(), first.hostSide(), reason);
    }
  }

  private static Map<InetSocketAddress, Peer> peerMap() {
    return new LinkedHashMap<>(4, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<InetSocketAddress, Peer> eldest) {
        return size() > MAX_PEERS;
      }
    };
  }

  UdpHandler(long idleTimeoutMs, long scanIntervalMs, int maxFlows) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.scanIntervalMs = scanIntervalMs;
    this.maxFlows = maxFlows;
  }

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    config = context.config();
    map = new AddressMap(config);
    // pasta: datagrams from loopback go to the target port on the namespace's loopback,
    // never seen here (HostSockets.udp with a loopback port)
    listeners = new ForwardSockets<>(config, "UDP", "", ForwardSockets::any, ctx.log(),
        (at, pf) -> ctx.sockets().udp(at, pf.bindInterface(),
            (s, payload, sender) -> fromForwarded(pf, s, payload, sender), pf.targetPort()),
        HostDatagramSocket::close);
    boolean all = config.udpIn.mode() == ForwardRules.Mode.ALL;
    return config.udpIn.bindAll("-u", pf -> listeners.bind(pf, all), ctx.vertx()).compose(b -> {
      if (b.error() != null) {
        listeners.closeAll();
        return Future.failedFuture(b.error());
      }
      if (all) {
        ctx.log().debug("-u all: " + b.bound() + " ports forwarded, " + b.skipped()
            + " could not be bound (in use, or privileged)");
      }
      if (config.udpIn.mode() == ForwardRules.Mode.AUTO) {
        ctx.autoForwarded("udp", want -> listeners.reconcile(want, pf -> listeners.bind(pf, true)));
      }
      timer = ctx.vertx().setPeriodic(scanIntervalMs, id -> expire(now()));
      return Future.succeededFuture();
    });
  }

  @Override
  public Future<Void> stop() {
    if (timer >= 0) ctx.vertx().cancelTimer(timer);
    for (Flow f : flows.values()) f.close("stopped");
    flows.clear();
    if (listeners != null) listeners.closeAll();
    return Future.succeededFuture();
  }

  // ---- forwarded ports

  /** A datagram to a forwarded port: to the guest's target port, remembering the way back. */
  private void fromForwarded(PortForward pf, HostDatagramSocket s, ByteBuf payload,
      InetSocketAddress sender) {
    InetAddress from = sender.getAddress();
    int version = from instanceof Inet6Address ? 6 : 4;
    InetAddress guestAddr;
    if (version == 4) {
      guestAddr = ctx.guest().addr4();
    } else if (Addresses.isLinkLocal(from.getAddress())) {
      guestAddr = ctx.guest().addr6LinkLocal();
    } else {
      guestAddr = ctx.guest().addr6();
    }
    if (guestAddr == null) {
      ctx.count("forwarded datagram: no guest address");
      return;
    }
    Flow flow = flow(new Key(version, guestAddr, pf.targetPort()));
    Peer p = flow.byHost.get(sender);
    if (p == null || p.via() != s) {
      InetAddress shown = map.toGuest(from, sender.getPort(), true);
      if (shown == null) {
        ctx.count("forwarded datagram: no address to show");
        return;
      }
      p = new Peer(new InetSocketAddress(shown, sender.getPort()), sender, s);
      flow.remember(p, "forwarded");
    }
    flow.lastUsed = now();
    ctx.count("forwarded in");
    toGuest(flow, p, payload);
  }

  // ---- from the guest

  /** Checksums marked trusted (pasta's offload) are not verified: see {@link Frame#checksumTrusted}. */
  @Override
  public boolean takesTrustedChecksums() {
    return true;
  }

  @Override
  public void handleFrame(Frame f) {
    try {
      if (f.ipVersion() == 4) {
        guest4(f);
      } else if (f.ipVersion() == 6) {
        guest6(f);
      } else {
        ctx.drop("not IP");
      }
    } finally {
      f.release();
    }
  }

  private void guest4(Frame f) {
    ByteBuf b = f.buf();
    udp.wrap(b, f.l4Offset());
    if (!udp.isValid(f.l4Length())) {
      ctx.drop("bad UDP length");
      return;
    }
    ip4.wrap(b, f.l3Offset());
    int src = ip4.source();
    int dst = ip4.destination();
    long pseudo = Checksum.pseudoHeader4(src, dst, IpProtocol.UDP.value(), udp.length());
    if (!f.checksumTrusted() && !udp.isChecksumValid(pseudo, true)) {
      ctx.drop("bad UDP checksum");
      return;
    }
    if (src == 0 || (src >>> 28) == 0xe || src == -1) {
      ctx.drop("unspecified, multicast or broadcast source");
      return;
    }
    if ((dst >>> 28) == 0xe || dst == -1 || isDirectedBroadcast(dst)) {
      ctx.drop("multicast or broadcast destination");
      return;
    }
    if (dst == 0 || (dst >>> 24) == 127) {
      ctx.drop("unspecified or loopback destination");
      return;
    }
    Inet4Address s = Addresses.fromInt(src);
    ctx.guest().sawAddr4(s);
    datagram(f, 4, s, Addresses.fromInt(dst));
  }

  private boolean isDirectedBroadcast(int dst) {
    int len = config.prefixLen4;
    if (config.addr4 == null || len <= 0 || len >= 31) return false;
    int mask = Addresses.mask4(len);
    return dst == ((Addresses.toInt(config.addr4) & mask) | ~mask);
  }

  private void guest6(Frame f) {
    ByteBuf b = f.buf();
    udp.wrap(b, f.l4Offset());
    if (!udp.isValid(f.l4Length())) {
      ctx.drop("bad UDP length");
      return;
    }
    ip6.wrap(b, f.l3Offset());
    long pseudo = Checksum.pseudoHeader6(b, ip6.sourceOffset(), IpProtocol.UDP.value(),
        udp.length());
    if (!f.checksumTrusted() && !udp.isChecksumValid(pseudo, false)) {
      ctx.drop("bad UDP checksum");
      return;
    }
    ip6.getSource(addrBuf);
    Inet6Address s = Addresses.v6(addrBuf);
    ip6.getDestination(addrBuf);
    Inet6Address d = Addresses.v6(addrBuf);
    if (s.isAnyLocalAddress() || s.isMulticastAddress()) {
      ctx.drop("unspecified or multicast source");
      return;
    }
    if (d.isMulticastAddress()) {
      ctx.drop("multicast or broadcast destination");
      return;
    }
    if (d.isAnyLocalAddress() || d.isLoopbackAddress()) {
      ctx.drop("unspecified or loopback destination");
      return;
    }
    ctx.guest().sawAddr6(s);
    datagram(f, 6, s, d);
  }

  /** A validated guest datagram: through the flow's peer, or to a new one. */
  private void datagram(Frame f, int version, InetAddress src, InetAddress dst) {
    int sport = udp.sourcePort();
    int dport = udp.destinationPort();
    if (sport == 0 || dport == 0) {
      ctx.drop("port 0");
      return;
    }
    Flow flow = flow(new Key(version, src, sport));
    flow.lastUsed = now();
    InetSocketAddress guestSide = new InetSocketAddress(dst, dport);
    Peer p = flow.byGuest.get(guestSide);
    if (p == null || !p.via().isOpen()) {
      InetAddress to = map.toHost(dst, dport, true);
      if (to instanceof Inet6Address a && Addresses.isLinkLocal(a.getAddress())) {
        to = map.withOutboundScope(a);
        if (to == null) {
          ctx.drop("link-local destination without an interface");
          return;
        }
      }
      HostDatagramSocket s = ownSocket(flow, to);
      if (s == null) {
        ctx.drop("no host socket");
        return;
      }
      p = new Peer(guestSide, new InetSocketAddress(to, dport), s);
      flow.remember(p, "guest");
    }
    p.via().send(f.buf().retainedSlice(udp.payloadOffset(), udp.payloadLength()), p.hostSide());
  }

  /** The flow of a key, created when new (evicting the least recently used when full). */
  private Flow flow(Key key) {
    Flow flow = flows.get(key);
    if (flow != null) return flow;
    if (flows.size() >= maxFlows) {
      Iterator<Flow> it = flows.values().iterator();
      Flow old = it.next();
      it.remove();
      old.close("evicted");
      ctx.count("flow evicted");
    }
    flow = new Flow(key);
    flows.put(key, flow);
    ctx.count("flows opened");
    return flow;
  }

  /** The flow's own socket, bound to the guest's port if possible; null when none opens. */
  private HostDatagramSocket ownSocket(Flow flow, InetAddress to) {
    if (flow.own != null && flow.own.isOpen()) return flow.own;
    int v = flow.key.version();
    InetAddress bind = v == 6 ? config.outbound6 : config.outbound4;
    String iface = v == 6 ? config.outboundIf6 : config.outboundIf4;
    if (to.isLoopbackAddress()) {
      bind = null;
      iface = null;
    }
    if (v == 6 && bind != null && Addresses.isLinkLocal(to.getAddress())) bind = null;
    try {
      if (bind == null) bind = InetAddress.getByAddress(new byte[v == 6 ? 16 : 4]);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
    try {
      flow.own = ctx.sockets().udp(new InetSocketAddress(bind, flow.key.guestPort()), iface,
          (s, payload, sender) -> fromHost(flow, s, payload, sender));
    } catch (IOException inUse) {
      try {
        flow.own = ctx.sockets().udp(new InetSocketAddress(bind, 0), iface,
            (s, payload, sender) -> fromHost(flow, s, payload, sender));
        ctx.count("ephemeral port");
      } catch (IOException e) {
        ctx.log().debug("can't open UDP socket: " + e.getMessage());
        return null;
      }
    }
    return flow.own;
  }

  // ---- from the host

  /** A datagram on a flow's own socket. */
  private void fromHost(Flow flow, HostDatagramSocket s, ByteBuf payload,
      InetSocketAddress sender) {
    if (flow.closed) return;
    Peer p = flow.byHost.get(sender);
    if (p == null) {
      InetAddress shown = map.toGuest(sender.getAddress(), sender.getPort(), true);
      if (shown == null || (shown instanceof Inet6Address ? 6 : 4) != flow.key.version()) {
        ctx.count("datagram from host: no address to show");
        return;
      }
      p = new Peer(new InetSocketAddress(shown, sender.getPort()), sender, s);
      flow.remember(p, "host");
    }
    flow.lastUsed = now();
    toGuest(flow, p, payload);
  }

  /** Builds and sends the frame of a host datagram to the guest end of a flow. */
  private void toGuest(Flow flow, Peer p, ByteBuf payload) {
    int len = payload.readableBytes();
    int off = payload.readerIndex();
    InetAddress from = p.guestSide().getAddress();
    int sport = p.guestSide().getPort();
    byte[] mac = ctx.guest().mac();
    if (flow.key.version() == 4) {
      if (Packets.UDP4_PAYLOAD - Packets.L3 + len > 0xffff) {
        ctx.count("datagram from host too long");
        return;
      }
      ByteBuf b = ctx.allocate(Packets.UDP4_PAYLOAD + len);
      b.setBytes(Packets.UDP4_PAYLOAD, payload, off, len);
      Packets.udp4(b, mac, config.ourMac, Addresses.toInt((Inet4Address) from),
          Addresses.toInt((Inet4Address) flow.key.guestAddr()), sport, flow.key.guestPort(), len,
          true);
      ctx.sendToGuestPartialChecksum(b, Packets.UDP4, Udp.CSUM);
    } else {
      if (Udp.SIZE + len > 0xffff) {
        ctx.count("datagram from host too long");
        return;
      }
      ByteBuf b = ctx.allocate(Packets.UDP6_PAYLOAD + len);
      b.setBytes(Packets.UDP6_PAYLOAD, payload, off, len);
      Packets.udp6(b, mac, config.ourMac, from.getAddress(), flow.key.guestAddr().getAddress(),
          sport, flow.key.guestPort(), len, 0, true);
      ctx.sendToGuestPartialChecksum(b, Packets.UDP6, Udp.CSUM);
    }
  }

  // ---- timer

  /** Closes flows idle for longer than the timeout. */
  void expire(long nowMs) {
    Iterator<Flow> it = flows.values().iterator();
    while (it.hasNext()) {
      Flow f = it.next();
      if (nowMs - f.lastUsed > idleTimeoutMs) {
        it.remove();
        f.close("expired");
        ctx.count("flow expired");
      }
    }
  }

  /** Flows in the table, for tests. */
  int size() {
    return flows.size();
  }



  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
