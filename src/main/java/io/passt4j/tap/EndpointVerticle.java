package io.passt4j.tap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.passt4j.PasstConfig;
import io.passt4j.impl.BusAddresses;
import io.passt4j.impl.Counters;
import io.passt4j.impl.Dispatcher;
import io.passt4j.impl.Instance;
import io.passt4j.impl.IoErrors;
import io.passt4j.impl.Logging;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Ethernet;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Tcp;
import io.passt4j.packet.Udp;
import io.passt4j.spi.Log;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The endpoint: owns the guest's link, either the UNIX stream socket qemu connects to (or a
 * socket handed over with {@code --fd}; length-prefixed frames) or, in pasta mode, a tap device
 * ({@link PasstConfig#tapFd}; one frame per read, see {@link TapFdLink}). Classifies each frame
 * and sends it to the handler the {@link Dispatcher} picks; writes the frames handlers send back.
 * One socket client at a time: more are accepted and closed. Knows no protocol.
 */
public final class EndpointVerticle extends VerticleBase {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  /** First and last socket path probed when none is given, as passt does. */
  private static final int PROBE_FIRST = 1;
  private static final int PROBE_LAST = 64;
  /**
   * Bytes queued for a client beyond what its socket took: above the high mark, frames to the
   * guest are dropped (counted as "guest not reading") until the queue drains below the low mark.
   */
  static final int WRITE_HIGH_MARK = 8 << 20;
  static final int WRITE_LOW_MARK = 4 << 20;
  /** Largest read from the qemu socket. */
  static final int READ_MAX = 256 << 10;

  private final Instance instance;
  private final Dispatcher dispatcher;
  private final Promise<Void> finished;
  private final Counters counters;
  private final Log log = Logging.forPrefix("");
  private EventLoop loop;
  private Channel server;
  private Channel client;
  private PcapWriter pcap;
  private MessageConsumer<Frame> out;
  /** Set by {@link #stop()}: frames still arriving are released and counted. */
  private boolean stopped;
  private boolean flushPending;
  /** Event-bus address of each handler, by name, computed once. */
  private final java.util.Map<String, String> handlerAddresses = new java.util.HashMap<>();
  private final Ethernet eth = new Ethernet();
  private final Ipv4 ipv4 = new Ipv4();
  private final Ipv6 ipv6 = new Ipv6();
  private String boundPath;
  private TapFdLink tap;

  /**
   * @param finished completed when the endpoint is done for good: the client of a one-off
   *     instance (or {@code --fd}) went away
   */
  public EndpointVerticle(Instance instance, Dispatcher dispatcher, Promise<Void> finished) {
    this.instance = instance;
    this.dispatcher = dispatcher;
    this.finished = finished;
    this.counters = instance.counters("endpoint");
  }

  /** The socket path we listen on, or null with {@code --fd}. */
  public String socketPath() {
    return boundPath;
  }

  @Override
  public Future<?> start() throws Exception {
    loop = ((ContextInternal) context).nettyEventLoop();
    PasstConfig c = instance.config;
    if (c.pcapPath != null) {
      try {
        pcap = new PcapWriter(Path.of(c.pcapPath));
      } catch (IOException e) {
        return Future.failedFuture("Failed to open pcap file " + c.pcapPath + ": "
            + IoErrors.reason(e));
      }
    }
    out = vertx.eventBus().localConsumer(BusAddresses.toGuest(instance.id));
    out.handler(m -> toGuest(m.body()));
    if (c.tapFd >= 0) {
      if (!(loop instanceof IoEventLoop io)) {
        return Future.failedFuture("pasta mode needs Netty's native epoll transport, not "
            + loop.getClass().getName());
      }
      tap = new TapFdLink(c.tapFd, io, PooledByteBufAllocator.DEFAULT);
      tap.start(new TapFdLink.Sink() {
        @Override
        public void frame(ByteBuf frame, int flags, int csumStart, int csumOffset) {
          fromGuest(frame, flags, csumStart, csumOffset);
        }

        @Override
        public void dropped(String why) {
          counters.drop(why);
        }
      }, why -> {
        log.error("tap device: " + why + ", exiting");
        finished.tryFail("tap device: " + why);
      });
      return out.completion().onSuccess(v -> instance.endpointLive = true);
    }
    if (c.mode == PasstConfig.Mode.PASTA) {
      return Future.failedFuture("pasta mode needs a tap device (PasstConfig.tapFd)");
    }
    if (c.fd >= 0) {
      EpollDomainSocketChannel ch = new EpollDomainSocketChannel(c.fd);
      ChannelFuture reg = loop.register(ch);
      if (!reg.isSuccess()) return Future.failedFuture("--fd " + c.fd + ": " + reg.cause());
      attach(ch);
      return out.completion().onSuccess(v -> instance.endpointLive = true);
    }
    String path = c.socketPath != null ? prepare(c.socketPath) : probe();
    if (path == null) {
      return Future.failedFuture("UNIX socket: no free socket path from /tmp/passt_"
          + PROBE_FIRST + ".socket to /tmp/passt_" + PROBE_LAST + ".socket");
    }
    EpollServerDomainSocketChannel srv = new EpollServerDomainSocketChannel();
    srv.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        accepted((Channel) msg);
      }
    });
    ChannelFuture reg = loop.register(srv);
    if (!reg.isSuccess()) return Future.failedFuture(reg.cause());
    ChannelFuture b = srv.bind(new DomainSocketAddress(path));
    if (!b.isDone() || !b.isSuccess()) {
      srv.close();
      return Future.failedFuture("UNIX socket: can't bind " + path + ": "
          + (b.cause() != null ? b.cause().getMessage() : "pending"));
    }
    server = srv;
    boundPath = path;
    new File(path).deleteOnExit();
    return out.completion().onSuccess(v -> instance.endpointLive = true);
  }

  /** An explicit path: reuse it if a stale socket is there, refuse if someone listens. */
  private String prepare(String path) throws IOException {
    Path p = Path.of(path);
    if (Files.exists(p)) {
      if (listening(p)) throw new IOException("UNIX socket " + path + ": address in use");
      Files.deleteIfExists(p);
    }
    return path;
  }

  /** The first of /tmp/passt_N.socket nobody listens on. */
  private static String probe() {
    for (int i = PROBE_FIRST; i <= PROBE_LAST; i++) {
      Path p = Path.of("/tmp/passt_" + i + ".socket");
      try {
        if (Files.exists(p)) {
          if (listening(p)) continue;
          Files.deleteIfExists(p);
        }
        return p.toString();
      } catch (IOException e) {
        // not ours to remove: try the next one
      }
    }
    return null;
  }

  private static boolean listening(Path p) {
    try (SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.connect(UnixDomainSocketAddress.of(p));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void accepted(Channel ch) {
    if (client != null) {
      log.info("UNIX domain socket: another client is connected, closing the new one");
      counters.count("extra client refused");
      loop.register(ch).addListener(f -> ch.close());
      return;
    }
    loop.register(ch);
    attach(ch);
    log.info("accepted connection from PID " + peerPid(ch));
  }

  private static String peerPid(Channel ch) {
    try {
      return String.valueOf(((EpollDomainSocketChannel) ch).peerCredentials().pid());
    } catch (Exception e) {
      return "?";
    }
  }

  private void attach(Channel ch) {
    client = ch;
    ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(WRITE_LOW_MARK, WRITE_HIGH_MARK));
    // Read into the pool the handlers' frames come from: one pool for all frames (Netty 4.2's
    // default, the adaptive allocator, kept creating chunks for these reads, 8 % of the event
    // loop's time under load, and held its own memory beside the pool).
    ch.config().setAllocator(PooledByteBufAllocator.DEFAULT);
    // Reads of up to 256 KiB (Netty's default stops at 64 KiB): several of the guest's large
    // frames per system call, and fewer frames cut by the end of a read (QemuStreamDecoder
    // copies those).
    ch.config().setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(2048, 65536, READ_MAX));
    ch.pipeline().addLast(new QemuStreamDecoder(len -> {
      counters.drop("bad frame length");
      log.error("qemu stream: invalid frame length " + len + " (max " + QemuStreamDecoder.MAX_FRAME
          + "), closing the connection");
    }));
    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        fromGuest((ByteBuf) msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        disconnected(ctx.channel());
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection: " + cause.getMessage());
        ctx.close();
      }
    });
  }

  private void disconnected(Channel ch) {
    if (ch != client) return;
    client = null;
    if (instance.config.oneOff || instance.config.fd >= 0) {
      log.info("Client closed connection, exiting");
      finished.tryComplete();
    } else {
      log.info("Client connection closed");
    }
  }

  private void fromGuest(ByteBuf buf) {
    fromGuest(buf, 0, 0, 0);
  }

  /**
   * A frame from the guest, with the checksum state of its virtio-net header (pasta's tap with
   * offload; {@code flags} 0 otherwise, see {@link TapFdLink.Sink#frame}).
   */
  private void fromGuest(ByteBuf buf, int flags, int csumStart, int csumOffset) {
    counters.framesIn.increment();
    counters.bytesIn.add(buf.readableBytes());
    Frame f = Frame.classify(buf, eth, ipv4, ipv6);
    // a partial checksum still to be completed for a handler that verifies all (the capture
    // file gets it completed at once)
    boolean partial = false;
    if (flags != 0) {
      int state = offloaded(f, flags, csumStart, csumOffset);
      if (state < 0) {
        if (pcap != null) writePcap(buf);
        drop(f, "tap: checksum field past the packet");
        return;
      }
      partial = state == PARTIAL;
    }
    if (pcap != null) writePcap(buf);
    if (f.malformed() != null) {
      drop(f, f.malformed());
      return;
    }
    instance.guest.learnMac(buf, buf.readerIndex() + 6);
    String handler = dispatcher.route(f);
    if (handler == null) {
      drop(f, "no handler");
      return;
    }
    if (!instance.liveHandlers.contains(handler)) {
      drop(f, "handler stopped");
      return;
    }
    if (partial && !instance.trustingHandlers.contains(handler)) {
      Checksum.complete(buf, f.l4Offset(), csumOffset, f.l4Offset() + f.l4Length());
    }
    String address = handlerAddresses.get(handler);
    if (address == null) {
      address = BusAddresses.handler(instance.id, handler);
      handlerAddresses.put(handler, address);
    }
    vertx.eventBus().send(address, f, LOCAL);
  }

  /**
   * Applies the virtio-net header's checksum state to a frame from the namespace's kernel. A TCP
   * or UDP packet it made itself comes with the checksum left partial (NEEDS_CSUM, at the
   * transport header): the handler is told not to verify it ({@link Frame#trustChecksum}), and
   * it is completed only for the capture file; any other partial checksum is completed here, so
   * that the handler's check passes. One the kernel verified (DATA_VALID, a packet it forwards)
   * is trusted as well. Returns {@link #PARTIAL} for a trusted frame whose checksum is still
   * partial (a handler that verifies checksums needs it completed), 0 otherwise, -1 when the
   * header does not fit the frame.
   */
  private int offloaded(Frame f, int flags, int csumStart, int csumOffset) {
    int p = f.ipProtocol();
    boolean transport = f.malformed() == null
        && (p == IpProtocol.TCP.value() || p == IpProtocol.UDP.value());
    if ((flags & VnetHeader.NEEDS_CSUM) == 0) {
      if ((flags & VnetHeader.DATA_VALID) != 0 && transport) f.trustChecksum();
      return 0;
    }
    ByteBuf b = f.buf();
    int start = f.offset() + csumStart;
    boolean l4 = transport && start == f.l4Offset() && csumOffset
        == (p == IpProtocol.TCP.value() ? Tcp.CSUM : Udp.CSUM);
    int end = l4 ? f.l4Offset() + f.l4Length() : b.writerIndex();
    if (start + csumOffset + 2 > end) return -1;
    if (!l4 || pcap != null) {
      Checksum.complete(b, start, csumOffset, end);
      if (l4) f.trustChecksum();
      return 0;
    }
    f.trustChecksum();
    return PARTIAL;
  }

  /** {@link #offloaded}: the checksum is trusted and still partial. */
  private static final int PARTIAL = 1;

  private void drop(Frame f, String reason) {
    counters.drop(reason);
    if (log.isTraceEnabled()) log.trace("dropped frame from guest: " + reason + ": " + f);
    f.release();
  }

  private void toGuest(Frame f) {
    ByteBuf buf = f.buf();
    if (stopped) {
      counters.drop("endpoint stopped");
      buf.release();
      return;
    }
    // a partial checksum goes as such only to a tap with the virtio-net header, and not when
    // the frame is captured too
    if (f.hasPartialChecksum() && (tap == null || !tap.hasVnetHeader() || pcap != null)) {
      f.completeChecksum();
    }
    if (tap != null) {
      toTap(f);
      return;
    }
    Channel ch = client;
    if (ch == null || !ch.isActive()) {
      counters.drop("no client");
      buf.release();
      return;
    }
    if (!ch.isWritable()) {
      // The guest is not reading: drop rather than queue without bound, as passt drops when
      // its socket is full. TCP recovers by retransmission, datagrams are lost as on a wire.
      counters.drop("guest not reading");
      buf.release();
      return;
    }
    counters.framesOut.increment();
    counters.bytesOut.add(buf.readableBytes());
    if (pcap != null) writePcap(buf);
    ch.write(ch.alloc().directBuffer(4).writeInt(buf.readableBytes()), ch.voidPromise());
    ch.write(buf, ch.voidPromise());
    if (!flushPending) {
      flushPending = true;
      loop.execute(this::flush);
    }
  }

  private void toTap(Frame f) {
    ByteBuf buf = f.buf();
    try {
      if (pcap != null) writePcap(buf);
      int len = buf.readableBytes();
      boolean sent = f.hasPartialChecksum()
          ? tap.write(buf, f.partialChecksumStart() - buf.readerIndex(), f.partialChecksumOffset())
          : tap.write(buf);
      if (sent) {
        counters.framesOut.increment();
        counters.bytesOut.add(len);
      } else {
        counters.drop("tap short write");
      }
    } catch (IOException e) {
      counters.drop("tap write failed");
      if (log.isTraceEnabled()) log.trace("tap write: " + e.getMessage());
    } finally {
      buf.release();
    }
  }

  private void flush() {
    flushPending = false;
    Channel ch = client;
    if (ch != null) ch.flush();
  }

  private void writePcap(ByteBuf buf) {
    try {
      pcap.write(buf);
    } catch (IOException e) {
      log.error("pcap: " + e.getMessage() + ", capture stopped");
      closePcap();
    }
  }

  private void closePcap() {
    try {
      if (pcap != null) pcap.close();
    } catch (IOException ignored) {
      // nothing more to do
    }
    pcap = null;
  }

  @Override
  public Future<?> stop() {
    instance.endpointLive = false;
    stopped = true;
    if (tap != null) tap.close();
    if (client != null) client.close();
    if (server != null) server.close();
    if (boundPath != null) new File(boundPath).delete();
    closePcap();
    // Frames handlers sent before they saw endpointLive go false are already queued for our
    // consumer on this loop: let them arrive (and be released) before it goes, or the event bus
    // would discard them unreleased.
    Promise<Void> gone = Promise.promise();
    context.runOnContext(v -> out.unregister().onComplete(gone));
    return gone.future();
  }
}
