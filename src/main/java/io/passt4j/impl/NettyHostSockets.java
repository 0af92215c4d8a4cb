package io.passt4j.impl;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramPacket;
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

  private final EventLoop loop;
  private final Counters counters;
  private final Log log;
  private final Set<Sock> open = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<NettyTcpSocket> openTcp = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Listener> listeners = Collections.newSetFromMap(new IdentityHashMap<>());

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

  @Override
  public HostStreamSocket tcpConnect(InetSocketAddress remote, InetSocketAddress bind,
      String bindInterface, TcpCallbacks callbacks) throws IOException {
    SocketProtocolFamily fam = remote.getAddress() instanceof Inet6Address
        ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    EpollSocketChannel ch = newChannel(() -> new EpollSocketChannel(fam));
    NettyTcpSocket[] self = new NettyTcpSocket[1];
    NettyTcpSocket s = new NettyTcpSocket(ch, loop, remote, callbacks, counters, log,
        () -> openTcp.remove(self[0]));
    self[0] = s;
    bindToDevice(ch, bindInterface);
    ch.pipeline().addLast(s);
    register(ch);
    if (bind != null) bindNow(ch, bind, "can't bind to " + bind + ": ");
    openTcp.add(s);
    s.connect();
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
    byte[] v = {(byte) (on ? 1 : 0), 0, 0, 0};
    int fd = ((UnixChannel) ch).fd().intValue();
    if (LibC.INSTANCE.setsockopt(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, v, v.length) != 0) {
      ch.unsafe().closeForcibly();
      throw new IOException("can't set IPV6_V6ONLY: " + LibC.lastError());
    }
  }

  private HostTcpListener listen(InetSocketAddress bind, boolean v6Only, String bindInterface,
      TcpAcceptor acceptor, int loopbackPort) throws IOException {
    SocketProtocolFamily fam = bind.getAddress() instanceof Inet6Address
        ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    EpollServerSocketChannel ch = newChannel(() -> new EpollServerSocketChannel(fam));
    if (fam == SocketProtocolFamily.INET6) v6Only(ch, v6Only);
    bindToDevice(ch, bindInterface);
    ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
    Listener l = new Listener(ch, acceptor, loopbackPort);
    ch.pipeline().addLast(l);
    register(ch);
    bindNow(ch, bind, "");
    listeners.add(l);
    return l;
  }

  /** {@code SO_BINDTODEVICE} to {@code iface} unless it is null; closes the channel on failure. */
  private static void bindToDevice(Channel ch, String iface) throws IOException {
    if (iface == null) return;
    byte[] name = (iface + "\0").getBytes(StandardCharsets.US_ASCII);
    int fd = ((UnixChannel) ch).fd().intValue();
    if (LibC.INSTANCE.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, name, name.length) != 0) {
      ch.unsafe().closeForcibly();
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

  /** A listening socket: hands each accepted channel, registered on our loop, to the acceptor. */
  private final class Listener extends ChannelInboundHandlerAdapter implements HostTcpListener {
    private final EpollServerSocketChannel ch;
    private final TcpAcceptor acceptor;
    private final int loopbackPort;

    Listener(EpollServerSocketChannel ch, TcpAcceptor acceptor, int loopbackPort) {
      this.ch = ch;
      this.acceptor = acceptor;
      this.loopbackPort = loopbackPort;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      EpollSocketChannel child = (EpollSocketChannel) msg;
      InetSocketAddress remote = child.remoteAddress();
      if (loopbackPort > 0 && splicer != null && splicer.bypasses(side, remote)) {
        // pasta's bypass: the splicer takes the socket (never registered here) as it is.
        splicer.tcp(loop, (io.netty.channel.unix.Socket) child.fd(), remote, side, loopbackPort);
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
          child.config().setSoLinger(0); // a reset, not a FIN
        } catch (RuntimeException e) {
          // closed already
        }
        child.unsafe().closeForcibly();
        return;
      }
      NettyTcpSocket[] self = new NettyTcpSocket[1];
      NettyTcpSocket s = new NettyTcpSocket(child, loop, remote, cb, counters, log,
          () -> openTcp.remove(self[0]));
      self[0] = s;
      child.pipeline().addLast(s);
      ChannelFuture reg = loop.register(child);
      if (!reg.isDone() || !reg.isSuccess()) {
        child.unsafe().closeForcibly();
        counters.count("accepted socket not registered");
        cb.reset(s, "can't register socket");
        return;
      }
      openTcp.add(s);
      s.accepted();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // EMFILE and friends: count, keep listening.
      counters.count("accept failed");
      if (log.isDebugEnabled()) log.debug("accept on " + ch.localAddress() + ": " + cause.getMessage());
    }

    @Override
    public InetSocketAddress localAddress() {
      return ch.localAddress();
    }

    @Override
    public void close() {
      listeners.remove(this);
      if (ch.isOpen()) ch.close();
    }

    @Override
    public boolean isOpen() {
      return ch.isOpen();
    }
  }

  /** Closes every socket still open. */
  public void closeAll() {
    for (Listener l : listeners.toArray(new Listener[0])) l.close();
    for (Sock s : open.toArray(new Sock[0])) s.close();
    for (NettyTcpSocket s : openTcp.toArray(new NettyTcpSocket[0])) s.abort();
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
      if (!ch.isWritable()) {
        // the kernel's buffer is full and Netty's queue past its mark: drop, as a kernel would
        payload.release();
        counters.count("host send buffer full");
        return;
      }
      ch.writeAndFlush(new DatagramPacket(payload, recipient)).addListener(f -> {
        if (!f.isSuccess()) {
          counters.count("host send failed");
          if (log.isDebugEnabled()) log.debug("send to " + recipient + ": " + f.cause().getMessage());
        }
      });
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
