package io.passt4j.impl.splice;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.Socket;
import io.passt4j.fwd.AddressMap;
import io.passt4j.impl.Counters;
import io.passt4j.spi.Log;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * pasta's loopback bypass for one instance: traffic that arrives on a forwarded port from a
 * loopback address is carried to the other side's loopback by sockets of our own there, without
 * the guest's Layer 2 (see the package description). Shared by the event loops that accept
 * such traffic (the TCP and UDP handlers' listeners on the host, the namespace listeners of
 * {@code -T} and {@code -U}); thread-safe.
 */
public final class Splicer {

  /** Pipe capacity asked for per direction ({@code F_SETPIPE_SZ}; the default when refused). */
  static final int PIPE_SIZE = 1 << 20;
  /** Spliced TCP connections at once; more are reset. */
  static final int MAX_TCP = 4096;
  /** Sockets kept ready in the namespace, per family, for the next connections. */
  private static final int POOL_SIZE = 16;

  private final NetSide host = NetSide.HOST;
  private final NetSide ns;
  private final boolean fromHost;
  private final Counters counters;
  private final Log log;
  private final Set<TcpSplice> tcp = Collections.synchronizedSet(
      Collections.newSetFromMap(new IdentityHashMap<>()));
  private final AtomicInteger tcpCount = new AtomicInteger();
  private final Set<UdpRelay> udp = Collections.synchronizedSet(
      Collections.newSetFromMap(new IdentityHashMap<>()));
  private final Pool pool4;
  private final Pool pool6;
  private volatile boolean stopped;

  /**
   * @param ns the namespace side (its thread)
   * @param fromHost whether loopback traffic on host listeners takes the bypass (not with {@code
   *     --no-splice}); traffic on namespace listeners ({@code -T}, {@code -U}) always does
   */
  public Splicer(NetSide ns, boolean fromHost, Counters counters, Log log) {
    this.ns = ns;
    this.fromHost = fromHost;
    this.counters = counters;
    this.log = log;
    this.pool4 = new Pool(false);
    this.pool6 = new Pool(true);
  }

  /** Makes the namespace's ready sockets now, before the first connection needs one. */
  public void warm() {
    pool4.refill();
    pool6.refill();
  }

  /** The host side. */
  public NetSide host() {
    return host;
  }

  /** The namespace side. */
  public NetSide namespace() {
    return ns;
  }

  /** The side opposite to {@code s}. */
  public NetSide other(NetSide s) {
    return s == ns ? host : ns;
  }

  /**
   * Whether traffic from {@code source}, arriving on a socket of side {@code at}, takes the
   * bypass: a loopback source, and for the host side only without {@code --no-splice}.
   */
  public boolean bypasses(NetSide at, InetSocketAddress source) {
    return (at == ns || fromHost) && unmapped(source.getAddress()).isLoopbackAddress();
  }

  /** An IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) as IPv4; others as they are. */
  static InetAddress unmapped(InetAddress a) {
    if (!(a instanceof Inet6Address)) return a;
    byte[] b = a.getAddress();
    for (int i = 0; i < 10; i++) if (b[i] != 0) return a;
    if (b[10] != (byte) 0xff || b[11] != (byte) 0xff) return a;
    try {
      return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16));
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Splices {@code accepted}, a connection a peer made from {@code remote} to a socket of side
   * {@code at} (owned from now on, not registered anywhere), to {@code port} on the other
   * side's loopback of the same family. On {@code loop}.
   */
  public void tcp(EventLoop loop, Socket accepted, InetSocketAddress remote, NetSide at, int port) {
    if (!(loop instanceof IoEventLoop io)) {
      // Not Netty 4.2's I/O loop: we cannot register our own handles. Refuse the connection.
      counters.count("splice: no I/O event loop");
      closeQuietly(accepted, true);
      return;
    }
    TcpSplice s = new TcpSplice(this, io, accepted);
    if (stopped || tcpCount.incrementAndGet() > MAX_TCP) {
      tcpCount.decrementAndGet();
      counters.count(stopped ? "tcp splice after stop" : "tcp splice table full");
      closeQuietly(accepted, true);
      return;
    }
    tcp.add(s);
    boolean v6 = unmapped(remote.getAddress()) instanceof Inet6Address;
    InetSocketAddress to = new InetSocketAddress(AddressMap.loopback(v6 ? 6 : 4), port);
    NetSide target = other(at);
    if (target == ns) {
      (v6 ? pool6 : pool4).take(loop, (sock, err) -> started(s, sock, err, to));
    } else {
      target.make(() -> LinuxSocket.newSocketStream(v6), loop,
          (sock, err) -> started(s, sock, err, to));
    }
  }

  private void started(TcpSplice s, Socket sock, Throwable err, InetSocketAddress to) {
    if (sock == null) {
      counters.count("splice: no socket");
      if (log.isDebugEnabled()) log.debug("splice: no socket for " + to + ": " + err);
      s.refuse();
      return;
    }
    if (stopped) {
      closeQuietly(sock, true);
      s.refuse();
      return;
    }
    s.start(sock, to);
  }

  /**
   * The relay of the datagrams that loopback senders send to {@code via}, a socket of side
   * {@code at}, to {@code port} on the other side's loopback; on {@code loop}. Close it with
   * the socket.
   */
  public Relay udpRelay(EventLoop loop, NetSide at, int port,
      io.passt4j.spi.HostDatagramSocket via) {
    UdpRelay r = new UdpRelay(this, loop, other(at), port, via, UdpRelay.IDLE_MS,
        UdpRelay.SCAN_MS);
    udp.add(r);
    if (stopped) r.close();
    return new Relay(r);
  }

  /** A {@link #udpRelay}, as its socket sees it. */
  public static final class Relay {
    private final UdpRelay r;

    private Relay(UdpRelay r) {
      this.r = r;
    }

    /** A datagram from {@code sender}; {@code payload} is only read during the call. */
    public void datagram(io.netty.buffer.ByteBuf payload, InetSocketAddress sender) {
      r.datagram(payload, sender);
    }

    /** Closes the relay's flows; on its loop. */
    public void close() {
      r.close();
    }
  }

  void forget(UdpRelay r) {
    udp.remove(r);
  }

  /** A spliced connection ended. */
  void forget(TcpSplice s) {
    if (tcp.remove(s)) tcpCount.decrementAndGet();
  }

  /** Spliced TCP connections open now. */
  public int tcpConnections() {
    return tcpCount.get();
  }

  void count(String name) {
    counters.count(name);
  }

  Log log() {
    return log;
  }

  Counters counters() {
    return counters;
  }

  /** Resets every connection and closes the pooled sockets; nothing new starts after. */
  public void stop() {
    stopped = true;
    TcpSplice[] all;
    synchronized (tcp) {
      all = tcp.toArray(new TcpSplice[0]);
    }
    for (TcpSplice s : all) s.abortLater();
    UdpRelay[] relays;
    synchronized (udp) {
      relays = udp.toArray(new UdpRelay[0]);
    }
    for (UdpRelay r : relays) r.closeLater();
    pool4.drain();
    pool6.drain();
  }

  static void closeQuietly(Socket s, boolean reset) {
    try {
      if (reset) s.setSoLinger(0);
    } catch (IOException e) {
      // not connected
    }
    try {
      s.close();
    } catch (IOException e) {
      // gone
    }
  }

  /** The namespace's loopback of {@code v}'s family. */
  static InetAddress loopbackLike(InetAddress v) {
    return AddressMap.loopback(v instanceof Inet6Address ? 6 : 4);
  }

  /**
   * TCP sockets made in advance in the namespace (on its thread), so a connection to splice
   * does not wait for the namespace thread; refilled in the background.
   */
  private final class Pool {
    private final boolean v6;
    private final ConcurrentLinkedQueue<Socket> ready = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean refilling = new AtomicBoolean();

    Pool(boolean v6) {
      this.v6 = v6;
    }

    void take(EventLoop loop, java.util.function.BiConsumer<Socket, Throwable> done) {
      Socket s = ready.poll();
      refill();
      if (s != null) {
        done.accept(s, null);
      } else {
        counters.count("splice: socket pool empty");
        ns.make(() -> LinuxSocket.newSocketStream(v6), loop, done);
      }
    }

    void refill() {
      if (stopped || ready.size() > POOL_SIZE / 2 || !refilling.compareAndSet(false, true)) return;
      try {
        ns.execute(() -> {
          try {
            while (!stopped && ready.size() < POOL_SIZE) ready.add(LinuxSocket.newSocketStream(v6));
          } catch (RuntimeException e) {
            counters.count("splice: pool refill failed");
          } finally {
            refilling.set(false);
            if (stopped) drain();
          }
        });
      } catch (RuntimeException e) {
        refilling.set(false);
      }
    }

    void drain() {
      Socket s;
      while ((s = ready.poll()) != null) closeQuietly(s, false);
    }
  }
}
