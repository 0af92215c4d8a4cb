package io.passt4j.impl.splice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.passt4j.spi.HostDatagramSocket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The UDP half of pasta's loopback bypass for one forwarding socket ({@code via}): each loopback
 * sender gets a flow, a socket of its own on the other side, bound to the same loopback port as
 * the sender when that port is free there (so the receiver sees the sender's port, as with
 * Debian's pasta) and connected to the target port on that side's loopback; what comes back on
 * it is sent to the sender through {@code via}, from the forwarded port.
 *
 * <p>Bounds: at most {@link #MAX_FLOWS} flows (the least recently used goes), a flow idle for
 * {@link #IDLE_MS} (pasta's UDP timeout) is closed, at most {@link #MAX_PENDING} datagrams wait
 * while a flow's socket is being made, and a datagram the destination socket cannot queue is
 * dropped and counted, never buffered without bound. One event loop.
 */
final class UdpRelay {

  /** pasta's UDP_CONN_TIMEOUT. */
  static final long IDLE_MS = 180_000;
  /** How often idle flows are looked for. */
  static final long SCAN_MS = 10_000;
  static final int MAX_FLOWS = 1024;
  static final int MAX_PENDING = 64;
  private static final int MAX_DATAGRAM = 65536;

  private final Splicer owner;
  private final EventLoop loop;
  private final NetSide target;
  private final int port;
  private final HostDatagramSocket via;
  private final long idleMs;
  /** Flows by sender, least recently used first. */
  private final LinkedHashMap<InetSocketAddress, Flow> flows =
      new LinkedHashMap<>(16, 0.75f, true);
  private final ScheduledFuture<?> scan;
  private boolean closed;

  UdpRelay(Splicer owner, EventLoop loop, NetSide target, int port, HostDatagramSocket via,
      long idleMs, long scanMs) {
    this.owner = owner;
    this.loop = loop;
    this.target = target;
    this.port = port;
    this.via = via;
    this.idleMs = idleMs;
    this.scan = loop.scheduleAtFixedRate(this::expire, scanMs, scanMs, TimeUnit.MILLISECONDS);
  }

  /** A datagram from {@code sender} on {@code via}; {@code payload} is valid during the call. */
  void datagram(ByteBuf payload, InetSocketAddress sender) {
    if (closed) return;
    Flow f = flows.get(sender);
    if (f == null) {
      if (flows.size() >= MAX_FLOWS) {
        Iterator<Flow> it = flows.values().iterator();
        Flow old = it.next();
        it.remove();
        old.close();
        owner.count("udp splice flow evicted");
      }
      f = new Flow(sender);
      flows.put(sender, f);
      owner.count("udp splice flows");
      f.open();
    }
    f.lastUsed = now();
    f.send(payload);
  }

  /** Closes every flow; on the loop. */
  void close() {
    if (closed) return;
    closed = true;
    scan.cancel(false);
    for (Flow f : flows.values()) f.close();
    flows.clear();
    owner.forget(this);
  }

  void closeLater() {
    loop.execute(this::close);
  }

  /** Closes flows idle for longer than the timeout. */
  void expire() {
    long t = now();
    Iterator<Flow> it = flows.values().iterator();
    while (it.hasNext()) {
      Flow f = it.next();
      if (t - f.lastUsed > idleMs) {
        it.remove();
        f.close();
        owner.count("udp splice flow expired");
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

  /** One sender's flow and its socket on the other side. */
  private final class Flow extends SimpleChannelInboundHandler<DatagramPacket> {
    final InetSocketAddress sender;
    EpollDatagramChannel ch;
    /** Datagrams that came before the socket was ready. */
    ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    long lastUsed;
    boolean gone;

    Flow(InetSocketAddress sender) {
      super(true);
      this.sender = sender;
    }

    void open() {
      SocketProtocolFamily fam = sender.getAddress() instanceof Inet6Address
          ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
      target.make(() -> new EpollDatagramChannel(fam), loop, (c, err) -> ready(c, err));
    }

    private void ready(EpollDatagramChannel c, Throwable err) {
      if (c == null) {
        owner.count("udp splice: no socket");
        if (owner.log().isDebugEnabled()) owner.log().debug("splice: no UDP socket: " + err);
        drop();
        return;
      }
      if (gone) {
        c.unsafe().closeForcibly();
        return;
      }
      c.config().setOption(ChannelOption.SO_RCVBUF, 1 << 20);
      c.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
      c.pipeline().addLast(this);
      ChannelFuture reg = loop.register(c);
      if (!reg.isDone() || !reg.isSuccess()) {
        c.unsafe().closeForcibly();
        owner.count("udp splice: not registered");
        drop();
        return;
      }
      ch = c;
      java.net.InetAddress lo = Splicer.loopbackLike(sender.getAddress());
      // The sender's own port when it is free on the other side, else any.
      ChannelFuture b = c.bind(new InetSocketAddress(lo, sender.getPort()));
      if (!b.isDone() || !b.isSuccess()) {
        owner.count("udp splice: sender port taken");
        b = c.bind(new InetSocketAddress(lo, 0));
      }
      ChannelFuture k = b.isDone() && b.isSuccess() ? c.connect(new InetSocketAddress(lo, port))
          : b;
      if (!k.isDone() || !k.isSuccess()) {
        owner.count("udp splice: no socket");
        if (owner.log().isDebugEnabled()) owner.log().debug("splice: UDP socket: " + k.cause());
        flows.remove(sender, this);
        close();
        return;
      }
      ArrayDeque<ByteBuf> p = pending;
      pending = null;
      for (ByteBuf d : p) write(d);
    }

    void send(ByteBuf payload) {
      if (gone) return;
      if (pending != null) {
        if (pending.size() >= MAX_PENDING) {
          owner.count("udp splice: dropped, socket not ready");
          return;
        }
        pending.add(payload.copy());
        return;
      }
      write(payload.retain());
    }

    /** Writes (and owns) {@code d}; drops it when the socket's queue is full. */
    private void write(ByteBuf d) {
      if (!ch.isActive() || !ch.isWritable()) {
        d.release();
        owner.count("udp splice: dropped, queue full");
        return;
      }
      owner.count("udp spliced");
      ch.writeAndFlush(d).addListener(f -> {
        if (!f.isSuccess()) owner.count("udp splice: send failed");
      });
    }

    /** A reply from the target: back to the sender through the forwarding socket. */
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
      if (gone) return;
      lastUsed = now();
      owner.count("udp spliced back");
      via.send(p.content().retain(), sender);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ECONNREFUSED from an ICMP port unreachable: nobody listens there (yet); keep the flow
      owner.count("udp splice: socket error");
    }

    private void drop() {
      flows.remove(sender, this);
      close();
    }

    void close() {
      gone = true;
      if (pending != null) {
        for (ByteBuf d : pending) d.release();
        pending = null;
      }
      if (ch != null && ch.isOpen()) ch.close();
    }
  }
}
