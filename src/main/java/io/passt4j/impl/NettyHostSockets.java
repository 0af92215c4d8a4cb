package io.passt4j.impl;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.splice.NetSide;
import io.passt4j.impl.splice.Splicer;
import io.passt4j.spi.DatagramReceiver;
import io.passt4j.spi.DescriptorLimitException;
import io.passt4j.spi.HostDatagramSocket;
import io.passt4j.spi.HostSockets;
import io.passt4j.spi.HostStreamSocket;
import io.passt4j.spi.HostTcpListener;
import io.passt4j.spi.TcpAcceptor;
import io.passt4j.spi.TcpCallbacks;
import io.passt4j.spi.Log;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * {@link HostSockets} on Netty's native epoll transport, registered on one handler's event loop.
 * Binding happens inline (we are on that loop), so sockets are ready when returned. Tracks what
 * it opened so the handler's verticle can close leftovers.
 *
 * <p>In pasta, sockets are made on one side ({@link NetSide}: the host, or the namespace through
 * its thread) and forwarding sockets ({@code tcpListen} and {@code udp} with a loopback port)
 * hand traffic from loopback sources to the {@link Splicer} instead of the handler.
 */
public final class NettyHostSockets implements HostSockets {

  /** Largest datagram we receive whole: the IPv4/IPv6 length limit. */
  private static final int MAX_DATAGRAM = 65536;
  /** Buffers of TCP sockets: the pooled allocator the frames come from. */
  private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  private final EventLoop loop;
  private final Counters counters;
  private final Log log;
  private final Set<Sock> open = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<EpollTcpSocket> openTcp = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<EpollTcpListener> listeners = Collections.newSetFromMap(new IdentityHashMap<>());

  private final NetSide side;
  private final Splicer splicer;

  /** Host sockets without a loopback bypass (passt). */
  public NettyHostSockets(EventLoop loop, Counters counters, Log log) {
    this(loop, counters, log, NetSide.HOST, null);
  }

  /**
   * @param side where listening and datagram sockets are made
   * @param splicer pasta's loopback bypass, or null for none
   */
  public NettyHostSockets(EventLoop loop, Counters counters, Log log, NetSide side,
      Splicer splicer) {
    this.loop = loop;
    this.counters = counters;
    this.log = log;
    this.side = side;
    this.splicer = splicer;
  }

  @Override
  public HostDatagramSocket udp(InetSocketAddress bind, String bindInterface, DatagramReceiver receiver)
      throws IOException {
    return udp(bind, bindInterface, receiver, 0);
  }

  @Override
  public HostDatagramSocket udp(InetSocketAddress bind, String bindInterface,
      DatagramReceiver receiver, int loopbackPort) throws IOException {
    SocketProtocolFamily fam = bind.getAddress() instanceof Inet6Address
        ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    EpollDatagramChannel ch = newChannel(() -> new EpollDatagramChannel(fam));
    // One socket per family, as passt: an IPv6 socket must not take the IPv4 port as well.
    if (fam == SocketProtocolFamily.INET6) v6Only(ch, true);
    Sock sock = open(ch, bind, bindInterface, receiver);
    sock.loopbackPort = loopbackPort;
    return sock;
  }

  /** Answers of {@link #supports(int)}: 0 unknown, 1 yes, 2 no. */
  private static final byte[] SUPPORTED = new byte[256];

  @Override
  public boolean supports(int ipProtocol) {
    if (ipProtocol < 0 || ipProtocol > 255) return false;
    byte known = SUPPORTED[ipProtocol];
    if (known == 0) {
      boolean yes = false;
      for (int family : new int[] {LibC.AF_INET, LibC.AF_INET6}) {
        int fd = LibC.INSTANCE.socket(family, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, ipProtocol);
        if (fd >= 0) {
          LibC.INSTANCE.close(fd);
          yes = true;
          break;
        }
      }
      known = (byte) (yes ? 1 : 2);
      SUPPORTED[ipProtocol] = known;
      if (log.isDebugEnabled()) {
        log.debug("host sockets of IP protocol " + ipProtocol + (yes ? ": supported" : ": not supported"));
      }
    }
    return known == 1;
  }

  @Override
  public HostDatagramSocket ping(int ipVersion, InetAddress bindAddress, int identifier,
      DatagramReceiver receiver) throws IOException {
    InetAddress any = bindAddress != null ? bindAddress
        : InetAddress.getByAddress(new byte[ipVersion == 6 ? 16 : 4]);
    try {
      return open(pingChannel(ipVersion), new InetSocketAddress(any, identifier), null, receiver);
    } catch (IOException e) {
      // The identifier is taken (another ping socket bound it): let the kernel pick one; the
      // handler maps replies back to the guest's identifier.
      counters.count("ping identifier not bound");
      return open(pingChannel(ipVersion), new InetSocketAddress(any, 0), null, receiver);
    }
  }

  /** A channel over a new, unbound ping socket. */
  private static EpollDatagramChannel pingChannel(int ipVersion) throws IOException {
    int fd = LibC.INSTANCE.socket(ipVersion == 6 ? LibC.AF_INET6 : LibC.AF_INET,
        LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC,
        ipVersion == 6 ? LibC.IPPROTO_ICMPV6 : LibC.IPPROTO_ICMP);
    if (fd < 0) {
      throw new IOException("can't open ping socket: " + LibC.lastError()
          + " (check net.ipv4.ping_group_range)");
    }
    return new EpollDatagramChannel(fd);
  }

  private Sock open(EpollDatagramChannel ch, InetSocketAddress bind, String iface,
      DatagramReceiver receiver) throws IOException {
    Sock s = new Sock(ch, receiver);
    ch.config().setOption(ChannelOption.SO_RCVBUF, 1 << 20);
    // Netty's default for datagram channels is a fixed 2048-byte buffer, which truncates
    // anything larger: take whole datagrams (up to 64 KiB).
    ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
    bindToDevice(ch, iface);
    ch.pipeline().addLast(s);
    register(ch);
    bindNow(ch, bind, "can't bind to " + bind + ": ");
    open.add(s);
    return s;
  }

  /**
   * A connect on a bare socket ({@link EpollTcpSocket}): no Netty channel per connection. The
   * socket is made on our side's thread, bound and registered here, on our loop.
   */
  @Override
  public HostStreamSocket tcpConnect(InetSocketAddress remote, InetSocketAddress bind,
      String bindInterface, TcpCallbacks callbacks) throws IOException {
    SocketProtocolFamily fam = family(remote);
    Socket fd = newChannel(() -> LinuxSocket.newSocketStream(fam));
    try {
      bindToDevice(fd.intValue(), bindInterface);
      if (bind != null) {
        try {
          fd.bind(bind);
        } catch (IOException e) {
          throw new IOException("can't bind to " + bind + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      closeQuietly(fd);
      throw e;
    }
    EpollTcpSocket[] self = new EpollTcpSocket[1];
    EpollTcpSocket s = EpollTcpSocket.connect(fd, ioLoop(), ALLOC, remote, callbacks, counters,
        log, () -> openTcp.remove(self[0]));
    self[0] = s;
    openTcp.add(s);
    return s;
  }

  @Override
  public HostTcpListener tcpListen(InetSocketAddress bind, String bindInterface,
      TcpAcceptor acceptor) throws IOException {
    // One socket per family: the IPv6 one must not take the IPv4 port too.
    return tcpListen(bind, bindInterface, acceptor, 0);
  }

  @Override
  public HostTcpListener tcpListen(InetSocketAddress bind, String bindInterface,
      TcpAcceptor acceptor, int loopbackPort) throws IOException {
    return listen(bind, true, bindInterface, acceptor, loopbackPort);
  }

  @Override
  public HostTcpListener tcpListenDualStack(int port, String bindInterface,
      TcpAcceptor acceptor) throws IOException {
    return tcpListenDualStack(port, bindInterface, acceptor, 0);
  }

  @Override
  public HostTcpListener tcpListenDualStack(int port, String bindInterface,
      TcpAcceptor acceptor, int loopbackPort) throws IOException {
    return listen(new InetSocketAddress(InetAddress.getByAddress(new byte[16]), port), false,
        bindInterface, acceptor, loopbackPort);
  }

  /** Out of file descriptors, as Linux says it: EMFILE (the process), ENFILE (the system). */
  private static final int EMFILE = 24;
  private static final int ENFILE = 23;

  /**
   * A socket's channel, made on our side's thread (in pasta's namespace for its side); a
   * failure to create one becomes an IOException (or its subclass).
   */
  private <C> C newChannel(java.util.concurrent.Callable<C> make) throws IOException {
    try {
      return side.makeNow(make);
    } catch (io.netty.channel.ChannelException e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof io.netty.channel.unix.Errors.NativeIoException n
            && (n.expectedErr() == -EMFILE || n.expectedErr() == -ENFILE)) {
          throw new DescriptorLimitException("can't create socket: " + n.getMessage(), e);
        }
      }
      throw new IOException("can't create socket: " + e.getMessage(), e);
    }
  }

  /** Sets {@code IPV6_V6ONLY}; closes the channel on failure. */
  private static void v6Only(Channel ch, boolean on) throws IOException {
    try {
      v6Only(((UnixChannel) ch).fd().intValue(), on);
    } catch (IOException e) {
      ch.unsafe().closeForcibly();
      throw e;
    }
  }

  private static void v6Only(int fd, boolean on) throws IOException {
    byte[] v = {(byte) (on ? 1 : 0), 0, 0, 0};
    if (LibC.INSTANCE.setsockopt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, v, v.length) != 0) {
      throw new IOException("can't set IPV6_V6ONLY: " + LibC.lastError());
    }
  }

  /** A listening bare socket ({@link EpollTcpListener}); accepted ones go to {@link #accepted}. */
  private HostTcpListener listen(InetSocketAddress bind, boolean v6Only, String bindInterface,
      TcpAcceptor acceptor, int loopbackPort) throws IOException {
    SocketProtocolFamily fam = family(bind);
    Socket fd = newChannel(() -> LinuxSocket.newSocketStream(fam));
    EpollTcpListener[] self = new EpollTcpListener[1];
    try {
      if (fam == SocketProtocolFamily.INET6) v6Only(fd.intValue(), v6Only);
      bindToDevice(fd.intValue(), bindInterface);
      fd.setReuseAddress(true);
      fd.bind(bind);
      self[0] = new EpollTcpListener(fd, ioLoop(), counters, log,
          (child, remote) -> accepted(child, remote, acceptor, loopbackPort),
          () -> listeners.remove(self[0]));
    } catch (IOException e) {
      closeQuietly(fd);
      throw e;
    }
    listeners.add(self[0]);
    return self[0];
  }

  /**
   * A connection one of our listeners accepted: to pasta's splicer when it bypasses Layer 2,
   * else to the acceptor's callbacks as an {@link EpollTcpSocket}, or reset when it refuses.
   */
  private void accepted(Socket child, InetSocketAddress remote, TcpAcceptor acceptor,
      int loopbackPort) {
    if (loopbackPort > 0 && splicer != null && splicer.bypasses(side, remote)) {
      // pasta's bypass: the splicer takes the socket (never registered here) as it is.
      splicer.tcp(loop, child, remote, side, loopbackPort);
      return;
    }
    TcpCallbacks cb;
    try {
      cb = acceptor.accept(remote, child.localAddress());
    } catch (RuntimeException e) {
      counters.count("handler exception");
      log.error("accept handling failed: " + e);
      cb = null;
    }
    if (cb == null) {
      counters.count("accepted socket refused");
      try {
        child.setSoLinger(0); // a reset, not a FIN
      } catch (IOException e) {
        // closed already
      }
      closeQuietly(child);
      return;
    }
    EpollTcpSocket[] self = new EpollTcpSocket[1];
    try {
      self[0] = EpollTcpSocket.accepted(child, ioLoop(), ALLOC, remote, cb, counters, log,
          () -> openTcp.remove(self[0]));
    } catch (IOException e) {
      counters.count("accepted socket not registered");
      if (log.isDebugEnabled()) log.debug("accepted socket from " + remote + ": " + e.getMessage());
      return; // closed by accepted()
    }
    openTcp.add(self[0]);
    self[0].start();
  }

  private static SocketProtocolFamily family(InetSocketAddress a) {
    return a.getAddress() instanceof Inet6Address ? SocketProtocolFamily.INET6
        : SocketProtocolFamily.INET;
  }

  /** Our loop as Netty 4.2's I/O event loop, where bare descriptors register. */
  private IoEventLoop ioLoop() throws IOException {
    if (loop instanceof IoEventLoop l && l.isCompatible(EpollTcpSocket.class)) return l;
    throw new IOException("TCP sockets need Netty's native epoll event loop, not " + loop);
  }

  private static void closeQuietly(Socket fd) {
    try {
      fd.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  /** {@code SO_BINDTODEVICE} to {@code iface} unless it is null; closes the channel on failure. */
  private static void bindToDevice(Channel ch, String iface) throws IOException {
    try {
      bindToDevice(((UnixChannel) ch).fd().intValue(), iface);
    } catch (IOException e) {
      ch.unsafe().closeForcibly();
      throw e;
    }
  }

  /** {@code SO_BINDTODEVICE} of socket {@code fd} to {@code iface} unless it is null. */
  private static void bindToDevice(int fd, String iface) throws IOException {
    if (iface == null) return;
    byte[] name = (iface + "\0").getBytes(StandardCharsets.US_ASCII);
    if (LibC.INSTANCE.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, name, name.length) != 0) {
      throw new IOException("can't bind to interface " + iface + ": " + LibC.lastError());
    }
  }

  /** Registers on our loop; we are on it, so this completes before it returns. */
  private void register(Channel ch) throws IOException {
    ChannelFuture reg = loop.register(ch);
    if (!reg.isDone() || !reg.isSuccess()) {
      ch.unsafe().closeForcibly();
      throw new IOException("can't register socket: "
          + (reg.cause() != null ? reg.cause().getMessage() : "not on the event loop"));
    }
  }

  /** Binds a registered channel at once; closes it and throws {@code prefix + why} on failure. */
  private static void bindNow(Channel ch, InetSocketAddress addr, String prefix) throws IOException {
    ChannelFuture b = ch.bind(addr);
    if (!b.isDone() || !b.isSuccess()) {
      ch.close();
      Throwable c = b.cause();
      throw new IOException(prefix + (c != null ? String.valueOf(c.getMessage()) : "bind pending"));
    }
  }

  /** Closes every socket still open. */
  public void closeAll() {
    for (EpollTcpListener l : listeners.toArray(new EpollTcpListener[0])) l.close();
    for (Sock s : open.toArray(new Sock[0])) s.close();
    for (EpollTcpSocket s : openTcp.toArray(new EpollTcpSocket[0])) s.abort();
  }

  /** Number of sockets open. */
  public int openCount() {
    return open.size() + openTcp.size() + listeners.size();
  }

  private final class Sock extends SimpleChannelInboundHandler<DatagramPacket>
      implements HostDatagramSocket {

    private final EpollDatagramChannel ch;
    private final DatagramReceiver receiver;
    /** pasta: where datagrams from loopback go on the other side (0: nowhere, the receiver). */
    int loopbackPort;
    private Splicer.Relay relay;

    Sock(EpollDatagramChannel ch, DatagramReceiver receiver) {
      super(true);
      this.ch = ch;
      this.receiver = receiver;
    }

    @Override
    public InetSocketAddress localAddress() {
      return ch.localAddress();
    }

    @Override
    public void send(ByteBuf payload, InetSocketAddress recipient) {
      if (!ch.isOpen()) {
        payload.release();
        counters.count("host send on closed socket");
        return;
      }
      if (!ch.isWritable()) ch.flush(); // what waits for the batch's flush first
      if (!ch.isWritable()) {
        // the kernel's buffer is full and Netty's queue past its mark: drop, as a kernel would
        payload.release();
        counters.count("host send buffer full");
        return;
      }
      ch.write(new DatagramPacket(payload, recipient)).addListener(f -> {
        if (!f.isSuccess()) {
          counters.count("host send failed");
          if (log.isDebugEnabled()) log.debug("send to " + recipient + ": " + f.cause().getMessage());
        }
      });
      // Flushed once the frames read in one go are handled: the datagrams of a batch leave in
      // one sendmmsg (Netty's epoll channel uses it for more than one), as passt does
      if (!ch.isWritable()) {
        ch.flush();
      } else if (!flushScheduled) {
        flushScheduled = true;
        ch.eventLoop().execute(flushTask);
      }
    }

    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;

    private void flushNow() {
      flushScheduled = false;
      ch.flush();
    }

    @Override
    public void close() {
      open.remove(this);
      if (relay != null) relay.close();
      if (ch.isOpen()) ch.close();
    }

    @Override
    public boolean isOpen() {
      return ch.isOpen();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
      if (loopbackPort > 0 && splicer != null && splicer.bypasses(side, p.sender())) {
        if (relay == null) relay = splicer.udpRelay(loop, side, loopbackPort, this);
        relay.datagram(p.content(), p.sender());
        return;
      }
      try {
        receiver.receive(this, p.content(), p.sender());
      } catch (RuntimeException e) {
        counters.count("handler exception");
        log.error("host datagram handling failed: " + e);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP errors surface here (ECONNREFUSED and friends): count, keep the socket.
      counters.count("host socket error");
      if (log.isDebugEnabled()) log.debug("host socket " + ch.localAddress() + ": " + cause.getMessage());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.remove(this);
    }
  }

  static {
    // Referenced so a missing native transport fails at class load with a clear cause.
    io.netty.channel.epoll.Epoll.ensureAvailability();
  }

}
