package io.passt4j.proto.tcp;

import io.netty.buffer.ByteBuf;
import io.passt4j.PasstConfig;
import io.passt4j.fwd.AddressMap;
import io.passt4j.fwd.ForwardSockets;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.SipHash;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Tcp;
import io.passt4j.spi.DescriptorLimitException;
import io.passt4j.spi.FlowEvent;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.HostStreamSocket;
import io.passt4j.spi.HostTcpListener;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.TcpAcceptor;
import io.passt4j.spi.TcpCallbacks;
import io.netty.channel.EventLoop;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.TimeUnit;
import io.vertx.core.Future;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/** The TCP handler: guest connections reflected onto host sockets (see package-info). */
final class TcpHandler implements ProtocolHandler {

  /**
   * Timeouts and bounds.
   *
   * @param synMs handshake (host connect plus the guest's ACK of our SYN-ACK): passt's SYN_TIMEOUT
   * @param ackMs retransmission timeout: passt's ACK_TIMEOUT
   * @param finMs from the first FIN to the end of the connection: passt's FIN_TIMEOUT
   * @param idleMs no segment either way: passt's ACT_TIMEOUT
   * @param tickMs how often timers are checked
   * @param maxConns connections at once
   * @param guestQueueMax guest bytes per connection waiting for the host kernel to take them
   * @param sendBufMax host bytes per connection sent to or waiting for the guest, not yet ACKed
   */
  record Limits(long synMs, long ackMs, long finMs, long idleMs, long tickMs, int maxConns,
      int guestQueueMax, int sendBufMax) {
    /**
     * passt's timeouts; towards the host at most 4 MiB per connection, the largest send buffer
     * Linux gives a TCP socket by default (tcp_wmem's maximum): the window it allows is what a
     * fast sender needs (1 MiB held pasta's namespace->host at about 6 Gbit/s, 4 MiB reached
     * 9.5 here).
     */
    static final Limits DEFAULT =
        new Limits(10_000, 2_000, 60_000, 7_200_000, 100, 8192, 4 << 20, 2 << 20);
  }

  /** Smallest MSS we send with (Linux's TCP_MIN_MSS); a smaller guest MSS option is raised. */
  static final int MIN_MSS = 88;
  /** MSS assumed when the guest's SYN has no MSS option (RFC 9293, 3.7.1). */
  static final int DEFAULT_MSS = 536;
  /** Our window scale: windows up to 8 MiB. */
  static final int OUR_WSCALE = 7;
  /**
   * How long an ACK may wait for data or a FIN to carry it (a delayed ACK, far below the 200
   * ms RFC 1122 allows and Linux's 40 ms minimum; more than the guest's own retransmission timer
   * could ever notice).
   */
  static final long ACK_DELAY_US = 1000;
  /**
   * Retransmissions of the same data before the connection is reset (at the next timeout), as
   * passt's TCP_MAX_RETRANS.
   */
  static final int MAX_RETRANS = 7;
  /** Largest single read from a host socket. */
  static final int READ_CHUNK = 128 << 10;

  private final Limits limits;
  private final LongSupplier clock;
  private final Map<Key, Conn> conns = new HashMap<>();
  /** Connections whose handshake is not done, oldest first: evicted first when the table is full. */
  private final java.util.LinkedHashSet<Conn> halfOpen = new java.util.LinkedHashSet<>();
  private final Tcp tcp = new Tcp();
  private final Tcp out = new Tcp();
  private final Ipv4 ip4 = new Ipv4();
  private final Ipv6 ip6 = new Ipv6();
  private final byte[] addrBuf = new byte[Ipv6.ADDR_LEN];
  private HandlerContext ctx;
  private PasstConfig config;
  private AddressMap map;
  /** RFC 6528's keyed function F, keyed at random at start. */
  private SipHash isnHash;
  /** {@link #isn}'s input: both addresses and both ports. */
  private final byte[] isnInput = new byte[36];
  private long timer = -1;
  /** The listeners of forwarded ports ({@code -t}), by port. */
  private ForwardSockets<HostTcpListener> listeners;
  /**
   * Connections that owe the guest an ACK ({@link #ackLater}), sent together by {@link
   * #flushAcks} {@link #ACK_DELAY_US} after the first: one per connection however many segments
   * came meanwhile, and none when data or a FIN we send first carries it.
   */
  private final ArrayList<Conn> ackDue = new ArrayList<>();
  private final Runnable flushAcks = this::flushAcks;
  /**
   * The handler's event loop, where {@link #flushAcks} is scheduled; null when the handler is
   * driven without one (a test's stand-in Vert.x), which then acknowledges at once.
   */
  private EventLoop loop;

  /** A connection's key: the guest's end and the remote end as the guest addresses it. */
  record Key(int version, InetAddress guestAddr, int guestPort, InetAddress remoteAddr,
      int remotePort) {
    // Written out: a record's generated equals and hashCode bootstrap method handles on first
    // use, tens of milliseconds on the first connection of a fresh JVM.
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.guestPort == guestPort && k.remotePort == remotePort
          && k.version == version && k.guestAddr.equals(guestAddr)
          && k.remoteAddr.equals(remoteAddr);
    }

    @Override
    public int hashCode() {
      return ((guestAddr.hashCode() * 31 + guestPort) * 31 + remoteAddr.hashCode()) * 31
          + remotePort;
    }
  }

  /**
   * Guest-initiated: CONNECTING (host connect pending), SYN_RCVD (our SYN-ACK sent). Host-initiated
   * ({@code -t}): SYN_SENT (our SYN sent to the guest). Then ESTABLISHED for both.
   */
  enum State { CONNECTING, SYN_RCVD, SYN_SENT, ESTABLISHED }

  /** One connection. Sequence numbers are ints compared with {@link Tcp#seqLt}. */
  final class Conn implements TcpCallbacks {
    final Key key;
    final byte[] guestIp;
    final byte[] remoteIp;
    HostStreamSocket sock;
    /** The host side of the connection (connect target, or the accepted peer), for flow events. */
    InetSocketAddress host;
    /** A flow event "opened" went out, so "closed" must follow. */
    boolean announced;
    State state = State.CONNECTING;
    /** Opened by a host peer through a {@code -t} listener. */
    boolean inbound;
    boolean closed;
    // guest -> host
    int irs;
    /** Next guest byte expected: everything before it has been written to the host socket. */
    int rcvNxt;
    boolean guestFin;
    // host -> guest
    int iss;
    int sndUna;
    int sndNxt;
    int sndMax;
    /** Host bytes from sndUna on, sent or not yet: the bounded retransmit buffer. */
    final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    int queued;
    boolean readPending;
    boolean hostEof;
    boolean finSent;
    boolean finAcked;
    int guestWnd;
    int guestWscale;
    int ourWscale;
    int mss;
    int dupAcks;
    int retrans;
    /** In {@link #ackDue}: an ACK is owed to the guest, unless a segment carries it first. */
    boolean ackDue;
    // timers (ms since an arbitrary origin; 0 = off)
    long synDeadline;
    long rtoAt;
    long finDeadline;
    long lastActivity;

    Conn(Key key) {
      this.key = key;
      this.guestIp = key.guestAddr().getAddress();
      this.remoteIp = key.remoteAddr().getAddress();
    }

    int dataEnd() {
      return sndUna + queued;
    }

    // ---- host socket events

    @Override
    public void connected(HostStreamSocket s) {
      if (closed) return;
      if (inbound) {
        // Accepted from a -t listener: SYN to the guest.
        sock = s;
        segment(this, Tcp.SYN, iss, 0, 0, true);
        rtoAt = now() + limits.ackMs();
        return;
      }
      ctx.count("connected");
      state = State.SYN_RCVD;
      sndUna = iss;
      sndNxt = iss + 1;
      sndMax = sndNxt;
      segment(this, Tcp.SYN | Tcp.ACK, iss, 0, true);
      rtoAt = now() + limits.ackMs();
    }

    @Override
    public void failed(HostStreamSocket s, ConnectFailure reason, String detail) {
      if (closed) return;
      ctx.count("connect " + reason.name().toLowerCase(java.util.Locale.ROOT));
      if (ctx.log().isDebugEnabled()) ctx.log().debug("connect to " + s.remoteAddress() + ": " + detail);
      rstAndForget(this, 0, irs + 1);
    }

    @Override
    public void data(HostStreamSocket s, ByteBuf data) {
      readPending = false;
      if (closed) {
        data.release();
        return;
      }
      lastActivity = now();
      queued += data.readableBytes();
      queue.add(data);
      pump(this);
    }

    @Override
    public void writable(HostStreamSocket s) {
      if (closed || state != State.ESTABLISHED) return;
      // The kernel took queued guest bytes (and maybe the FIN): tell the guest.
      ackLater(this);
      maybeDone(this);
    }

    @Override
    public void peerClosed(HostStreamSocket s) {
      readPending = false;
      if (closed) return;
      hostEof = true;
      finTimer(this);
      pump(this);
    }

    @Override
    public void reset(HostStreamSocket s, String reason) {
      if (closed) return;
      ctx.count("host reset");
      rstAndForget(this, sndNxt, ackValue(this));
    }
  }

  TcpHandler(Limits limits) {
    this(limits, TcpHandler::monotonicMillis);
  }

  /** With another clock (milliseconds, never going back), for tests of the timers. */
  TcpHandler(Limits limits, LongSupplier clock) {
    this.limits = limits;
    this.clock = clock;
  }

  @Override
  public Future<Void> start(HandlerContext context) {
    ctx = context;
    loop = eventLoop(context.vertx());
    config = context.config();
    map = new AddressMap(config);
    ByteBuffer key = ByteBuffer.wrap(randomBytes(16)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    isnHash = new SipHash(key.getLong(), key.getLong());
    // pasta: connections from loopback are spliced to the target port on the namespace's
    // loopback, never seen here (HostSockets.tcpListen with a loopback port)
    listeners = new ForwardSockets<>(config, "TCP", "", ForwardSockets::any, ctx.log(),
        (at, pf) -> ctx.sockets().tcpListen(at, pf.bindInterface(), acceptor(pf),
            pf.targetPort()),
        HostTcpListener::close);
    boolean all = config.tcpIn.mode() == ForwardRules.Mode.ALL;
    return config.tcpIn.bindAll("-t", pf -> listen(pf, all), ctx.vertx()).compose(b -> {
      if (b.error() != null) {
        closeListeners();
        return Future.failedFuture(b.error());
      }
      if (all) {
        ctx.log().debug("-t all: " + b.bound() + " ports forwarded, " + b.skipped()
            + " could not be bound (in use, or privileged)");
      }
      if (config.tcpIn.mode() == ForwardRules.Mode.AUTO) {
        ctx.autoForwarded("tcp", want -> listeners.reconcile(want, pf -> listen(pf, true)));
      }
      timer = ctx.vertx().setPeriodic(limits.tickMs(), id -> tick(now()));
      return Future.succeededFuture();
    });
  }

  private void closeListeners() {
    if (listeners != null) listeners.closeAll();
  }

  @Override
  public Future<Void> stop() {
    if (timer >= 0) ctx.vertx().cancelTimer(timer);
    closeListeners();
    for (Conn c : new ArrayList<>(conns.values())) forget(c, true);
    return Future.succeededFuture();
  }

  /** Connections in the table, for tests. */
  int size() {
    return conns.size();
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
      segmentFromGuest(f);
    } finally {
      f.release();
    }
  }

  private void segmentFromGuest(Frame f) {
    ByteBuf b = f.buf();
    int len = f.l4Length();
    tcp.wrap(b, f.l4Offset(), len);
    if (f.l4Offset() < 0 || !tcp.isValid(len)) {
      ctx.drop("bad TCP header");
      return;
    }
    InetAddress src;
    InetAddress dst;
    if (f.ipVersion() == 4) {
      ip4.wrap(b, f.l3Offset());
      if (!f.checksumTrusted() && !tcp.isChecksumValid(Checksum.pseudoHeader4(ip4.source(),
          ip4.destination(), IpProtocol.TCP.value(), len))) {
        ctx.drop("bad TCP checksum");
        return;
      }
      int s = ip4.source();
      int d = ip4.destination();
      if (s == 0 || (s >>> 28) == 0xe || s == -1 || (d >>> 28) == 0xe || d == -1 || d == 0
          || (d >>> 24) == 127) {
        ctx.drop("bad TCP address");
        return;
      }
      src = Addresses.fromInt(s);
      dst = Addresses.fromInt(d);
    } else if (f.ipVersion() == 6) {
      ip6.wrap(b, f.l3Offset());
      if (!f.checksumTrusted() && !tcp.isChecksumValid(Checksum.pseudoHeader6(b,
          ip6.sourceOffset(), IpProtocol.TCP.value(), len))) {
        ctx.drop("bad TCP checksum");
        return;
      }
      ip6.getSource(addrBuf);
      src = Addresses.v6(addrBuf);
      ip6.getDestination(addrBuf);
      dst = Addresses.v6(addrBuf);
      if (src.isAnyLocalAddress() || src.isMulticastAddress() || dst.isMulticastAddress()
          || dst.isAnyLocalAddress() || dst.isLoopbackAddress()) {
        ctx.drop("bad TCP address");
        return;
      }
    } else {
      ctx.drop("not IP");
      return;
    }
    int flags = tcp.flags();
    boolean syn = (flags & Tcp.SYN) != 0;
    boolean rst = (flags & Tcp.RST) != 0;
    boolean fin = (flags & Tcp.FIN) != 0;
    boolean ackf = (flags & Tcp.ACK) != 0;
    if ((syn && (fin || rst)) || (!syn && !rst && !ackf)) {
      ctx.drop("nonsense TCP flags");
      return;
    }
    if (!tcp.parseOptions()) {
      ctx.drop("bad TCP options");
      return;
    }
    if (tcp.sourcePort() == 0 || tcp.destinationPort() == 0) {
      ctx.drop("TCP port 0");
      return;
    }
    int v = f.ipVersion();
    Key key = new Key(v, src, tcp.sourcePort(), dst, tcp.destinationPort());
    Conn c = conns.get(key);
    if (syn && !ackf) {
      if (v == 4) ctx.guest().sawAddr4((Inet4Address) src);
      else ctx.guest().sawAddr6((Inet6Address) src);
      syn(key, c);
      return;
    }
    if (c == null) {
      ctx.count("segment without connection");
      if (!rst) {
        // RFC 9293 3.10.7.1: answer with a reset, so a stale guest socket gives up at once.
        int seqOut = ackf ? tcp.ackNumber() : 0;
        int ackOut = tcp.seq() + tcp.payloadLength() + (syn ? 1 : 0) + (fin ? 1 : 0);
        Conn tmp = new Conn(key);
        segment(tmp, ackf ? Tcp.RST : Tcp.RST | Tcp.ACK, seqOut, ackOut, 0, false);
      }
      return;
    }
    c.lastActivity = now();
    if (rst) {
      guestReset(c);
      return;
    }
    if (syn) {
      if (c.state == State.SYN_SENT) {
        synAck(c);
      } else if (c.inbound && c.state == State.ESTABLISHED && tcp.seq() == c.irs) {
        // Our ACK of its SYN-ACK got lost: the guest repeats it.
        ctx.count("SYN-ACK repeated");
        ack(c);
      } else {
        ctx.drop("SYN-ACK from guest");
      }
      return;
    }
    switch (c.state) {
      case CONNECTING, SYN_SENT -> ctx.drop("segment before handshake");
      case SYN_RCVD -> {
        if (!acceptable(c)) return;
        if (tcp.ackNumber() != c.iss + 1) {
          ctx.drop("bad ACK in handshake");
          return;
        }
        c.state = State.ESTABLISHED;
        halfOpen.remove(c);
        c.sndUna = c.iss + 1;
        c.synDeadline = 0;
        c.rtoAt = 0;
        c.retrans = 0;
        c.guestWnd = tcp.window() << c.guestWscale;
        established(c, b, fin);
      }
      case ESTABLISHED -> {
        if (acceptable(c)) established(c, b, fin);
      }
    }
  }

  /**
   * RFC 9293 3.10.7.4, the first check: a segment none of whose sequence space falls between the
   * ACK we sent and the most the queue towards the host could take is answered with an ACK and
   * dropped before its ACK field or window counts, so that stray or forged segments with random
   * numbers (a hostile guest's, or a stale stack's) cannot acknowledge data the guest never got.
   * Entirely old segments are retransmissions: counted as duplicates.
   */
  private boolean acceptable(Conn c) {
    int seq = tcp.seq();
    int len = tcp.payloadLength() + (tcp.has(Tcp.FIN) ? 1 : 0);
    int left = ackValue(c);
    int right = c.rcvNxt + limits.guestQueueMax() + 1;
    if (!Tcp.seqLt(seq, right)) {
      ctx.drop("segment outside the window");
    } else if (len > 0 ? Tcp.seqLe(seq + len, left) : Tcp.seqLt(seq, left)) {
      ctx.count("duplicate segment");
    } else {
      return true;
    }
    ack(c);
    return false;
  }

  /** A guest SYN: a new connection, or a repeat of the one in progress. */
  private void syn(Key key, Conn c) {
    int seq = tcp.seq();
    if (c != null) {
      if (c.irs == seq) {
        ctx.count("SYN repeated");
        if (c.state == State.SYN_RCVD) segment(c, Tcp.SYN | Tcp.ACK, c.iss, 0, true);
        return;
      }
      if (c.state == State.ESTABLISHED) {
        // RFC 5961 4.2: a challenge ACK, not a reset. A guest that really lost the connection
        // answers it with a RST in the window, which ends it, and then tries its SYN again.
        ctx.count("challenge ACK");
        ack(c);
        return;
      }
      // A new handshake on the same 4-tuple: the guest gave up the old one.
      forget(c, true);
    }
    if (!makeRoom()) {
      segment(new Conn(key), Tcp.RST | Tcp.ACK, 0, seq + 1, 0, false);
      return;
    }
    InetAddress to = map.toHost(key.remoteAddr(), key.remotePort(), false);
    if (to instanceof Inet6Address a && Addresses.isLinkLocal(a.getAddress())) {
      ctx.drop("link-local TCP destination");
      return;
    }
    c = new Conn(key);
    c.irs = seq;
    c.rcvNxt = seq + 1;
    int guestMss = tcp.mss() < 0 ? DEFAULT_MSS : Math.max(MIN_MSS, tcp.mss());
    c.mss = Math.max(MIN_MSS, Math.min(guestMss, ourMss(key.version())));
    if (tcp.wscale() >= 0) {
      c.guestWscale = Math.min(Tcp.MAX_WSCALE, tcp.wscale());
      c.ourWscale = OUR_WSCALE;
    }
    c.guestWnd = tcp.window();
    c.iss = isn(key);
    long t = now();
    c.lastActivity = t;
    c.synDeadline = t + limits.synMs();
    InetSocketAddress bind = null;
    String iface = null;
    if (!to.isLoopbackAddress()) {
      InetAddress o = key.version() == 6 ? config.outbound6 : config.outbound4;
      if (o != null) bind = new InetSocketAddress(o, 0);
      iface = key.version() == 6 ? config.outboundIf6 : config.outboundIf4;
    }
    try {
      c.sock = ctx.sockets().tcpConnect(new InetSocketAddress(to, key.remotePort()), bind, iface, c);
    } catch (IOException e) {
      ctx.count("host socket failed");
      ctx.log().debug("can't open TCP socket: " + e.getMessage());
      segment(c, Tcp.RST | Tcp.ACK, 0, c.rcvNxt, 0, false);
      return;
    }
    conns.put(key, c);
    halfOpen.add(c);
    ctx.count("connections opened");
    c.host = new InetSocketAddress(to, key.remotePort());
    announce(c, "guest");
  }

  // ---- host-initiated connections (-t)

  /**
   * Binds the listeners of one forwarded port: null when at least one could be bound, else why
   * not. Without a bind address and with both families, one dual-stack socket as passt (one file
   * descriptor per port), else, or when that fails, one socket per family. {@code quiet} (for
   * {@code -t all}) leaves a failure to the debug log.
   */
  private String listen(PortForward pf, boolean quiet) throws DescriptorLimitException {
    if (pf.bindAddress() == null && config.ipv4 && config.ipv6) {
      try {
        listeners.add(pf.port(), ctx.sockets().tcpListenDualStack(pf.port(), pf.bindInterface(),
            acceptor(pf), pf.targetPort()));
        return null;
      } catch (DescriptorLimitException e) {
        throw e;
      } catch (IOException e) {
        // one socket per family, as passt when its dual-stack socket fails
      }
    }
    return listeners.bind(pf, quiet);
  }

  private TcpAcceptor acceptor(PortForward pf) {
    return (remote, local) -> accepted(pf, remote);
  }

  /**
   * A host peer connected to a forwarded port: a connection to the guest's target port at the
   * address the guest last used, from the peer's address as the guest sees it; null refuses it.
   */
  private Conn accepted(PortForward pf, InetSocketAddress remote) {
    InetAddress from = remote.getAddress();
    if (from instanceof Inet6Address a6 && isV4Mapped(a6.getAddress())) {
      from = Addresses.fromInt(toInt(java.util.Arrays.copyOfRange(a6.getAddress(), 12, 16)));
    }
    int v = from instanceof Inet6Address ? 6 : 4;
    InetAddress guestAddr;
    if (v == 4) guestAddr = ctx.guest().addr4();
    else if (Addresses.isLinkLocal(from.getAddress())) guestAddr = ctx.guest().addr6LinkLocal();
    else guestAddr = ctx.guest().addr6();
    if (guestAddr == null) {
      ctx.count("forwarded connection: no guest address");
      return null;
    }
    InetAddress shown = map.toGuest(from, remote.getPort(), false);
    if (shown == null) {
      ctx.count("forwarded connection: no address to show");
      return null;
    }
    Key key = new Key(v, guestAddr, pf.targetPort(), shown, remote.getPort());
    if (conns.containsKey(key)) {
      ctx.count("forwarded connection: flow exists");
      return null;
    }
    if (!makeRoom()) return null;
    Conn c = new Conn(key);
    c.inbound = true;
    c.state = State.SYN_SENT;
    c.iss = isn(key);
    c.sndUna = c.iss;
    c.sndNxt = c.iss + 1;
    c.sndMax = c.sndNxt;
    c.ourWscale = OUR_WSCALE;
    c.mss = ourMss(v);
    long t = now();
    c.lastActivity = t;
    c.synDeadline = t + limits.synMs();
    conns.put(key, c);
    halfOpen.add(c);
    ctx.count("forwarded connections");
    c.host = remote;
    announce(c, "forwarded");
    return c;
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) if (a[i] != 0) return false;
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  /** The guest's SYN-ACK to our SYN: options, then ESTABLISHED and our ACK. */
  private void synAck(Conn c) {
    if (!tcp.has(Tcp.ACK) || tcp.ackNumber() != c.iss + 1) {
      ctx.drop("bad ACK in SYN-ACK");
      return;
    }
    c.irs = tcp.seq();
    c.rcvNxt = c.irs + 1;
    int guestMss = tcp.mss() < 0 ? DEFAULT_MSS : Math.max(MIN_MSS, tcp.mss());
    c.mss = Math.max(MIN_MSS, Math.min(guestMss, ourMss(c.key.version())));
    if (tcp.wscale() >= 0) {
      c.guestWscale = Math.min(Tcp.MAX_WSCALE, tcp.wscale());
    } else {
      // RFC 7323: scaling only when both sides offered it.
      c.ourWscale = 0;
      c.guestWscale = 0;
    }
    c.guestWnd = tcp.window();
    c.state = State.ESTABLISHED;
    halfOpen.remove(c);
    c.sndUna = c.iss + 1;
    c.synDeadline = 0;
    c.rtoAt = 0;
    c.retrans = 0;
    ctx.count("connected");
    ack(c);
    pump(c);
  }

  /** The MSS we announce: the MTU less IP and TCP headers. */
  private int ourMss(int version) {
    int mtu = config.mtu > 0 ? config.mtu : PasstConfig.DEFAULT_MTU;
    return Math.min(0xffff, mtu - (version == 6 ? 60 : 40));
  }

  /** A segment of an established connection: ACK, data, FIN. */
  private void established(Conn c, ByteBuf b, boolean fin) {
    if (!ackFromGuest(c)) {
      // RFC 9293 3.10.7.4: an ACK of something not yet sent: ACK, drop the segment.
      ack(c);
      return;
    }
    if (c.closed) return;
    int seq = tcp.seq();
    int len = tcp.payloadLength();
    if (len > 0 || fin) {
      if (!guestData(c, b, seq, len, fin)) return;
      ackLater(c);
    }
    pump(c);
    maybeDone(c);
  }

  /**
   * The data and FIN of a guest segment: written to the host socket as far as they are new, in
   * order and within our window. False when the segment was dropped (and answered, if need be).
   */
  private boolean guestData(Conn c, ByteBuf b, int seq, int len, boolean fin) {
    if (c.guestFin) {
      // Everything up to the guest's FIN was taken: new data is an error, a repeat is
      // acknowledged again.
      if (len > 0 && Tcp.seqLt(c.rcvNxt, seq + len)) {
        ctx.drop("data after FIN");
        return false;
      }
      if (len > 0) ctx.count("duplicate segment");
      return true;
    }
    if (Tcp.seqLt(c.rcvNxt, seq)) {
      // A hole before this segment: drop it, the guest retransmits; a duplicate ACK says so.
      ctx.count("out of order segment");
      ack(c);
      return false;
    }
    int skip = c.rcvNxt - seq;
    if (skip < len) {
      int n = len - skip;
      long room = limits.guestQueueMax() - c.sock.pendingWriteBytes();
      if (n > room) {
        // Beyond our window: take what fits (RFC 9293 3.10.7.4), the guest sends the rest again.
        ctx.count("segment beyond window");
        if (room <= 0) {
          ack(c);
          return false;
        }
        n = (int) room;
      }
      c.sock.write(b.retainedSlice(tcp.payloadOffset() + skip, n));
      c.rcvNxt += n;
    } else if (len > 0) {
      ctx.count("duplicate segment");
    }
    if (fin && seq + len == c.rcvNxt) {
      c.guestFin = true;
      finTimer(c);
      c.sock.shutdownOutput();
    }
    return true;
  }

  /** The ACK number and window of a guest segment; false when it acknowledges unsent data. */
  private boolean ackFromGuest(Conn c) {
    int ack = tcp.ackNumber();
    int wnd = tcp.window() << c.guestWscale;
    if (Tcp.seqLt(c.sndMax, ack)) {
      ctx.drop("ACK of unsent data");
      return false;
    }
    if (Tcp.seqLt(c.sndUna, ack)) {
      int n = ack - c.sndUna;
      int data = Math.min(n, c.queued);
      release(c, data);
      c.sndUna = ack;
      if (Tcp.seqLt(c.sndNxt, ack)) c.sndNxt = ack;
      if (c.finSent && ack == c.sndMax) c.finAcked = true;
      c.dupAcks = 0;
      c.retrans = 0;
      c.rtoAt = c.sndNxt != c.sndUna ? now() + limits.ackMs() : 0;
    } else if (ack == c.sndUna && tcp.payloadLength() == 0 && !tcp.has(Tcp.FIN)
        && c.sndMax != c.sndUna && wnd == c.guestWnd) {
      if (++c.dupAcks == 3) {
        ctx.count("fast retransmit");
        retransmit(c);
      }
    }
    c.guestWnd = wnd;
    // A zero window: probe it after ackMs (the timer may be running for data already).
    if (wnd == 0 && c.rtoAt == 0) c.rtoAt = now() + limits.ackMs();
    return true;
  }

  /** Drops {@code n} acknowledged bytes from the head of the retransmit buffer. */
  private static void release(Conn c, int n) {
    c.queued -= n;
    while (n > 0) {
      ByteBuf h = c.queue.peek();
      int k = Math.min(n, h.readableBytes());
      h.skipBytes(k);
      n -= k;
      if (!h.isReadable()) c.queue.poll().release();
    }
  }

  /** Go back to the oldest unacknowledged byte and send again what the window allows. */
  private void retransmit(Conn c) {
    c.sndNxt = c.sndUna;
    if (c.finSent && !c.finAcked) c.finSent = false;
    c.dupAcks = 0;
    pump(c);
  }

  /**
   * A guest RST: before ESTABLISHED it ends the connection as it is; after, only within the window
   * (from what we acknowledged to the window's end, the guest's FIN counted).
   */
  private void guestReset(Conn c) {
    if (c.state == State.ESTABLISHED) {
      int seq = tcp.seq();
      int from = c.rcvNxt;
      int end = c.rcvNxt + (c.guestFin ? 1 : 0) + Math.max(1, window(c) << c.ourWscale);
      if (Tcp.seqLt(seq, from) || !Tcp.seqLt(seq, end)) {
        ctx.drop("RST outside the window");
        return;
      }
    }
    ctx.count("guest reset");
    forget(c, true);
  }

  // ---- to the guest

  /** Sends what the guest's window allows, the FIN after the data, and reads what fits. */
  private void pump(Conn c) {
    if (c.closed || c.state != State.ESTABLISHED) return;
    int end = c.dataEnd();
    int edge = c.sndUna + c.guestWnd;
    while (Tcp.seqLt(c.sndNxt, end) && Tcp.seqLt(c.sndNxt, edge)) {
      int n = Math.min(c.mss, Math.min(end - c.sndNxt, edge - c.sndNxt));
      segment(c, Tcp.ACK | (c.sndNxt + n == end ? Tcp.PSH : 0), c.sndNxt, n, false);
      c.sndNxt += n;
      if (Tcp.seqLt(c.sndMax, c.sndNxt)) c.sndMax = c.sndNxt;
      if (c.rtoAt == 0) c.rtoAt = now() + limits.ackMs();
    }
    if (c.hostEof && !c.finSent && c.sndNxt == end) {
      segment(c, Tcp.FIN | Tcp.ACK, c.sndNxt, 0, false);
      c.finSent = true;
      c.sndNxt++;
      if (Tcp.seqLt(c.sndMax, c.sndNxt)) c.sndMax = c.sndNxt;
      if (c.rtoAt == 0) c.rtoAt = now() + limits.ackMs();
    }
    int room = Math.min(c.guestWnd, limits.sendBufMax()) - c.queued;
    if (!c.hostEof && !c.readPending && room > 0) {
      c.readPending = true;
      c.sock.read(Math.min(room, READ_CHUNK));
    }
  }

  /**
   * The ACK number we send: guest bytes the host kernel or the bounded output queue took (written
   * unless the connection dies, which the guest then learns by a RST), and the FIN once it
   * reached the kernel. Acknowledging the queued bytes keeps the window's right edge from moving
   * left as the queue fills: a host peer that stops reading closes the guest's window instead.
   */
  private static int ackValue(Conn c) {
    if (c.sock == null) return c.rcvNxt;
    return c.rcvNxt + (c.guestFin && c.sock.isOutputShutdown() ? 1 : 0);
  }

  /** Our receive window, unscaled: what the bounded queue towards the host can still take. */
  private int window(Conn c) {
    long free = limits.guestQueueMax() - (c.sock == null ? 0 : c.sock.pendingWriteBytes());
    return (int) Math.min(0xffff, Math.max(0, free) >> c.ourWscale);
  }

  private void ack(Conn c) {
    segment(c, Tcp.ACK, c.sndNxt, 0, false);
  }

  /**
   * An ACK for the guest, delayed by {@link #ACK_DELAY_US}: one ACK per connection for every
   * segment that comes meanwhile (passt sends one per batch of frames, we had one per segment),
   * and none when data or a FIN we send first carries it (the echo of a request usually comes
   * back within that time). The guest, the bottleneck under emulation, takes in fewer frames.
   */
  private void ackLater(Conn c) {
    if (loop == null) {
      ack(c);
      return;
    }
    if (c.ackDue) return;
    c.ackDue = true;
    ackDue.add(c);
    if (ackDue.size() == 1) loop.schedule(flushAcks, ACK_DELAY_US, TimeUnit.MICROSECONDS);
  }

  /** The Netty event loop of the caller's context (the handler's, in start), or null. */
  private static EventLoop eventLoop(io.vertx.core.Vertx vertx) {
    try {
      return ((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Sends the ACKs {@link #ackLater} deferred. */
  private void flushAcks() {
    for (int i = 0; i < ackDue.size(); i++) {
      Conn c = ackDue.get(i);
      if (!c.ackDue) continue;
      c.ackDue = false;
      if (!c.closed) ack(c);
    }
    ackDue.clear();
  }

  /** A segment of the connection at {@code seq}, carrying {@code len} bytes from the buffer. */
  private void segment(Conn c, int flags, int seq, int len, boolean synOptions) {
    segment(c, flags, seq, ackValue(c), len, synOptions);
  }

  private void segment(Conn c, int flags, int seq, int ack, int len, boolean synOptions) {
    boolean v4 = c.key.version() == 4;
    int l4 = v4 ? Packets.TCP4 : Packets.TCP6;
    int optLen = synOptions ? (c.ourWscale > 0 || c.guestWscale > 0 ? 8 : 4) : 0;
    int hl = Tcp.MIN_SIZE + optLen;
    ByteBuf b = ctx.allocate(l4 + hl + len);
    int win = (flags & Tcp.RST) != 0 ? 0 : synOptions ? Math.min(0xffff, window(c)
        << c.ourWscale) : window(c);
    out.wrap(b, l4, hl + len).set(c.key.remotePort(), c.key.guestPort(), seq, ack, hl, flags,
        win);
    if (synOptions) {
      int o = out.optionsOffset();
      b.setByte(o, Tcp.OPT_MSS);
      b.setByte(o + 1, 4);
      b.setShort(o + 2, ourMss(c.key.version()));
      if (optLen == 8) {
        b.setByte(o + 4, Tcp.OPT_NOP);
        b.setByte(o + 5, Tcp.OPT_WSCALE);
        b.setByte(o + 6, 3);
        b.setByte(o + 7, c.ourWscale);
      }
    }
    if (len > 0) copyOut(c, seq - c.sndUna, b, l4 + hl, len);
    if (c.ackDue && (flags & (Tcp.ACK | Tcp.RST)) == Tcp.ACK && ack == ackValue(c)) c.ackDue = false;
    byte[] mac = ctx.guest().mac();
    // the checksum is left partial: the endpoint (or the namespace's kernel) completes it
    if (v4) {
      Packets.tcp4(b, mac, config.ourMac, toInt(c.remoteIp), toInt(c.guestIp), hl + len, true);
    } else {
      Packets.tcp6(b, mac, config.ourMac, c.remoteIp, c.guestIp, hl + len, true);
    }
    ctx.sendToGuestPartialChecksum(b, l4, Tcp.CSUM);
  }

  /** Copies {@code len} bytes at {@code offset} into the retransmit buffer to {@code dst}. */
  private static void copyOut(Conn c, int offset, ByteBuf dst, int at, int len) {
    for (ByteBuf h : c.queue) {
      int r = h.readableBytes();
      if (offset >= r) {
        offset -= r;
        continue;
      }
      int k = Math.min(len, r - offset);
      dst.setBytes(at, h, h.readerIndex() + offset, k);
      at += k;
      len -= k;
      offset = 0;
      if (len == 0) return;
    }
    throw new IllegalStateException("retransmit buffer shorter than the segment");
  }

  private static int toInt(byte[] a) {
    return ByteBuffer.wrap(a).getInt();
  }

  // ---- end of a connection

  /**
   * Starts the FIN timeout once both sides sent FIN: what is left (queued bytes each way, the
   * last ACK) then has {@code finMs} to go through. A half-closed connection lives on as long as
   * it is active (the idle timeout bounds it), as in passt, whose FIN_TIMEOUT also starts only
   * when both directions are closed.
   */
  private void finTimer(Conn c) {
    if (c.guestFin && c.hostEof && c.finDeadline == 0) c.finDeadline = now() + limits.finMs();
  }

  /** Closes the connection when both FINs went through and ours was acknowledged. */
  private void maybeDone(Conn c) {
    if (!c.closed && c.finAcked && c.guestFin && c.sock.isOutputShutdown()) {
      ctx.count("connections closed");
      forget(c, false);
    }
  }

  private void rstAndForget(Conn c, int seq, int ack) {
    segment(c, Tcp.RST | Tcp.ACK, seq, ack, 0, false);
    forget(c, true);
  }

  /** Publishes the connection as an opened flow for embedding hosts. */
  private void announce(Conn c, String reason) {
    c.announced = true;
    ctx.flowOpened(flowEvent(c, reason));
  }

  private FlowEvent flowEvent(Conn c, String reason) {
    return new FlowEvent("tcp", new InetSocketAddress(c.key.guestAddr(), c.key.guestPort()),
        new InetSocketAddress(c.key.remoteAddr(), c.key.remotePort()), c.host, reason);
  }

  /** Removes the connection, closing (or with {@code abort}, resetting) its host socket. */
  private void forget(Conn c, boolean abort) {
    forget(c, abort, abort ? "reset" : "closed");
  }

  /** As {@link #forget(Conn, boolean)}, with the reason its flow event gives. */
  private void forget(Conn c, boolean abort, String reason) {
    if (c.closed) return;
    if (c.ackDue) {
      c.ackDue = false;
      if (!abort) ack(c); // e.g. the ACK of the guest's FIN
    }
    c.closed = true;
    conns.remove(c.key, c);
    halfOpen.remove(c);
    if (c.announced) ctx.flowClosed(flowEvent(c, reason));
    if (c.sock != null) {
      if (abort) c.sock.abort();
      else c.sock.close();
    }
    for (ByteBuf b : c.queue) b.release();
    c.queue.clear();
    c.queued = 0;
  }

  // ---- the bound on connections

  /**
   * Room for one more connection: below {@link Limits#maxConns}, or once the oldest half-open
   * connection is evicted (a guest-opened one whose handshake is not done is reset towards the
   * guest, a forwarded one the guest has not answered is reset towards the host peer). Half-open
   * connections are what a flood leaves behind; established ones are never evicted, so when
   * every slot holds one the new connection is refused.
   */
  private boolean makeRoom() {
    if (conns.size() < limits.maxConns()) return true;
    java.util.Iterator<Conn> it = halfOpen.iterator();
    if (!it.hasNext()) {
      ctx.count("connection table full");
      return false;
    }
    Conn old = it.next();
    ctx.count("half-open connection evicted");
    if (old.state != State.SYN_SENT) {
      segment(old, Tcp.RST | Tcp.ACK, old.state == State.CONNECTING ? 0 : old.iss + 1,
          old.rcvNxt, 0, false);
    }
    forget(old, true, "evicted");
    return true;
  }

  // ---- timers

  /** The time of the last completed {@link #tick}, for tests that drive the clock. */
  volatile long lastTick = Long.MIN_VALUE;

  /** Handshake, retransmission, window probe, FIN and idle timeouts. */
  void tick(long t) {
    try {
      timers(t);
    } finally {
      lastTick = t;
    }
  }

  private void timers(long t) {
    for (Conn c : new ArrayList<>(conns.values())) {
      if (c.closed) continue;
      if (c.state != State.ESTABLISHED) {
        if (t >= c.synDeadline) {
          ctx.count("handshake timeout");
          if (c.state == State.CONNECTING) rstAndForget(c, 0, c.irs + 1);
          else if (c.state == State.SYN_SENT) {
            // The guest never answered our SYN: a RST in case it did (its SYN-ACK lost), then
            // reset the host peer, forget.
            segment(c, Tcp.RST, c.iss + 1, 0, 0, false);
            forget(c, true);
          } else rstAndForget(c, c.iss + 1, c.rcvNxt);
        } else if (c.state == State.SYN_RCVD && c.rtoAt != 0 && t >= c.rtoAt) {
          ctx.count("retransmission");
          segment(c, Tcp.SYN | Tcp.ACK, c.iss, 0, true);
          c.rtoAt = t + limits.ackMs();
        } else if (c.state == State.SYN_SENT && c.sock != null && c.rtoAt != 0 && t >= c.rtoAt) {
          ctx.count("retransmission");
          segment(c, Tcp.SYN, c.iss, 0, 0, true);
          c.rtoAt = t + limits.ackMs();
        }
        continue;
      }
      if (c.finDeadline != 0 && t >= c.finDeadline) {
        ctx.count("FIN timeout");
        rstAndForget(c, c.sndNxt, ackValue(c));
        continue;
      }
      if (t - c.lastActivity >= limits.idleMs()) {
        ctx.count("idle timeout");
        rstAndForget(c, c.sndNxt, ackValue(c));
        continue;
      }
      if (c.rtoAt != 0 && t >= c.rtoAt) {
        if (c.sndMax != c.sndUna) {
          if (++c.retrans > MAX_RETRANS) {
            ctx.count("too many retransmissions");
            rstAndForget(c, c.sndNxt, ackValue(c));
            continue;
          }
          ctx.count("retransmission");
          c.rtoAt = t + limits.ackMs();
          if (c.guestWnd == 0) {
            // Zero window: probe with an ACK the guest answers with its current window.
            segment(c, Tcp.ACK, c.sndUna - 1, 0, false);
          } else {
            retransmit(c);
          }
        } else if (c.guestWnd == 0) {
          ctx.count("window probe");
          segment(c, Tcp.ACK, c.sndNxt - 1, 0, false);
          c.rtoAt = t + limits.ackMs();
        } else {
          c.rtoAt = 0;
        }
      } else if (c.rtoAt == 0 && c.guestWnd == 0) {
        c.rtoAt = t + limits.ackMs();
      }
    }
  }

  // ---- initial sequence numbers

  /**
   * RFC 6528: a keyed hash of the connection's addresses and ports plus a clock ticking every 4
   * microseconds.
   */
  private int isn(Key k) {
    byte[] g = k.guestAddr().getAddress();
    byte[] r = k.remoteAddr().getAddress();
    byte[] m = isnInput;
    System.arraycopy(g, 0, m, 0, g.length);
    System.arraycopy(r, 0, m, g.length, r.length);
    int n = g.length + r.length;
    m[n++] = (byte) (k.guestPort() >> 8);
    m[n++] = (byte) k.guestPort();
    m[n++] = (byte) (k.remotePort() >> 8);
    m[n++] = (byte) k.remotePort();
    return (int) isnHash.hash(m, n) + (int) (System.nanoTime() / 4000);
  }

  /** {@code n} bytes from /dev/urandom (SecureRandom if it can't be read). */
  static byte[] randomBytes(int n) {
    try (java.io.FileInputStream in = new java.io.FileInputStream("/dev/urandom")) {
      byte[] b = in.readNBytes(n);
      if (b.length == n) return b;
    } catch (IOException e) {
      // below
    }
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  /** The handler's clock, in milliseconds: every timer and deadline is on it. */
  private long now() {
    return clock.getAsLong();
  }

  /** The default clock: monotonic milliseconds. */
  static long monotonicMillis() {
    return System.nanoTime() / 1_000_000;
  }

  static InetAddress any(int version) {
    try {
      return InetAddress.getByAddress(new byte[version == 6 ? 16 : 4]);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** For tests: the connections' keys. */
  List<Key> keys() {
    return new ArrayList<>(conns.keySet());
  }
}
