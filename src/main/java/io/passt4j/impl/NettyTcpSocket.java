package io.passt4j.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.passt4j.spi.HostStreamSocket;
import io.passt4j.spi.Log;
import io.passt4j.spi.TcpCallbacks;
import io.passt4j.spi.TcpCallbacks.ConnectFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * A {@link HostStreamSocket} over Netty's {@link EpollSocketChannel}: auto-read off, one read
 * per request with a buffer sized to the request, half-closure allowed, output tracked per write
 * so the handler knows what the kernel took.
 */
final class NettyTcpSocket extends ChannelInboundHandlerAdapter implements HostStreamSocket {

  private final EpollSocketChannel ch;
  private final EventLoop loop;
  private final InetSocketAddress remote;
  private final TcpCallbacks cb;
  private final Counters counters;
  private final Log log;
  private final Runnable onClosed;
  /** Size of the next read, set by {@link #read(int)}. */
  private int readLimit = 1;
  /** A read was asked for and not yet answered. */
  private boolean demand;
  /** Bytes the transport read beyond what was asked (only when the peer closed). */
  private final ArrayDeque<ByteBuf> overflow = new ArrayDeque<>();
  private boolean eof;
  private boolean eofReported;
  private long pending;
  private boolean shutdownRequested;
  private boolean outputShutdown;
  private boolean connected;
  /** Closed by the handler, or reported closed: no more callbacks. */
  private boolean done;

  NettyTcpSocket(EpollSocketChannel ch, EventLoop loop, InetSocketAddress remote, TcpCallbacks cb,
      Counters counters, Log log, Runnable onClosed) {
    this.ch = ch;
    this.loop = loop;
    this.remote = remote;
    this.cb = cb;
    this.counters = counters;
    this.log = log;
    this.onClosed = onClosed;
    ch.config().setAutoRead(false);
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    ch.config().setOption(ChannelOption.TCP_NODELAY, true);
    ch.config().setRecvByteBufAllocator(new Demand());
  }

  /** Starts the connect; the outcome is reported from a later task on the loop. */
  void connect() {
    ch.connect(remote).addListener((ChannelFuture f) -> loop.execute(() -> {
      if (done) return;
      if (f.isSuccess()) {
        connected = true;
        cb.connected(this);
      } else {
        done = true;
        ch.close();
        onClosed.run();
        Throwable c = f.cause();
        cb.failed(this, classify(c), c == null ? "cancelled" : String.valueOf(c.getMessage()));
      }
    }));
  }

  /** An accepted socket, registered and active: hands it to the callbacks at once. */
  void accepted() {
    connected = true;
    cb.connected(this);
  }

  static ConnectFailure classify(Throwable c) {
    if (c == null) return ConnectFailure.OTHER;
    String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("refused")) return ConnectFailure.REFUSED;
    if (c instanceof NoRouteToHostException || m.contains("unreachable") || m.contains("no route")) {
      return ConnectFailure.UNREACHABLE;
    }
    if (m.contains("timed out") || c instanceof io.netty.channel.ConnectTimeoutException) {
      return ConnectFailure.TIMEOUT;
    }
    return ConnectFailure.OTHER;
  }

  @Override
  public InetSocketAddress localAddress() {
    return connected ? ch.localAddress() : null;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public boolean write(ByteBuf data) {
    if (done || !ch.isActive()) {
      data.release();
      return false;
    }
    int n = data.readableBytes();
    ChannelFuture f = ch.writeAndFlush(data);
    if (f.isDone()) {
      if (!f.isSuccess()) failedWrite(f.cause());
      return f.isSuccess();
    }
    pending += n;
    f.addListener(x -> {
      pending -= n;
      if (!x.isSuccess()) {
        failedWrite(x.cause());
        return;
      }
      if (pending == 0 && shutdownRequested) doShutdown();
      if (!done) cb.writable(this);
    });
    return false;
  }

  private void failedWrite(Throwable c) {
    if (done) return;
    counters.count("host write failed");
    fail("write: " + (c == null ? "?" : c.getMessage()));
  }

  @Override
  public long pendingWriteBytes() {
    return pending;
  }

  @Override
  public void read(int maxBytes) {
    if (done) return;
    readLimit = Math.max(1, maxBytes);
    demand = true;
    if (!overflow.isEmpty() || eof) {
      loop.execute(this::deliverOverflow);
    } else {
      ch.read();
    }
  }

  private void deliverOverflow() {
    if (done || !demand) return;
    ByteBuf head = overflow.peek();
    if (head != null) {
      demand = false;
      ByteBuf out = head.readRetainedSlice(Math.min(readLimit, head.readableBytes()));
      if (!head.isReadable()) overflow.poll().release();
      cb.data(this, out);
      return;
    }
    if (eof && !eofReported) {
      eofReported = true;
      cb.peerClosed(this);
    }
  }

  @Override
  public void shutdownOutput() {
    if (done || shutdownRequested) return;
    shutdownRequested = true;
    if (pending == 0) doShutdown();
  }

  private void doShutdown() {
    if (outputShutdown || done) return;
    outputShutdown = true;
    ch.shutdownOutput();
  }

  @Override
  public boolean isOutputShutdown() {
    return outputShutdown;
  }

  @Override
  public void close() {
    if (done && !ch.isOpen()) return;
    finish();
    ch.close();
  }

  @Override
  public void abort() {
    if (done && !ch.isOpen()) return;
    finish();
    if (ch.isOpen()) {
      try {
        ch.config().setSoLinger(0);
      } catch (RuntimeException e) {
        // not connected: a plain close is a reset anyway
      }
      ch.close();
    }
  }

  private void finish() {
    done = true;
    for (ByteBuf b : overflow) b.release();
    overflow.clear();
    onClosed.run();
  }

  @Override
  public boolean isOpen() {
    return !done && ch.isOpen();
  }

  @Override
  public TcpInfo tcpInfo() {
    if (!ch.isActive()) return null;
    try {
      EpollTcpInfo i = ch.tcpInfo();
      return new TcpInfo(i.sndMss(), i.rtt(), i.sndCwnd(), i.unacked(), i.totalRetrans());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Closes on an error after connecting and reports it once. */
  private void fail(String reason) {
    if (done) return;
    finish();
    ch.close();
    cb.reset(this, reason);
  }

  // ---- Netty events

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf b = (ByteBuf) msg;
    if (done || !b.isReadable()) {
      b.release();
      return;
    }
    if (demand && overflow.isEmpty()) {
      demand = false;
      cb.data(this, b);
    } else {
      // Only after RDHUP does the transport read without being asked.
      counters.count("host read beyond demand");
      overflow.add(b);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent && !done && !eof) {
      eof = true;
      watchForReset();
      // With bytes still waiting, the report follows the last of them (deliverOverflow).
      if (overflow.isEmpty()) {
        eofReported = true;
        cb.peerClosed(this);
      }
    }
  }

  /** How often a socket whose peer sent FIN is checked for a reset that follows. */
  static final long RESET_CHECK_MS = 200;
  private static final int TCP_CLOSE = 7;

  /**
   * After the peer's FIN, Netty no longer looks at the socket's input, so a reset that follows
   * (passt sees EPOLLERR) would go unnoticed until our next write. Until our side closes too, the
   * socket's TCP state is checked: from CLOSE_WAIT it can only become CLOSE through a reset.
   */
  private void watchForReset() {
    loop.schedule(() -> {
      if (done || shutdownRequested || !ch.isOpen()) return;
      int state;
      try {
        state = ch.tcpInfo().state();
      } catch (RuntimeException e) {
        state = TCP_CLOSE;
      }
      if (state == TCP_CLOSE) {
        counters.count("host reset after FIN");
        fail("reset after FIN");
      } else {
        watchForReset();
      }
    }, RESET_CHECK_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (done) return;
    if (log.isDebugEnabled()) log.debug("host socket " + remote + ": " + cause.getMessage());
    fail(cause instanceof IOException ? String.valueOf(cause.getMessage()) : cause.toString());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!done && connected) fail("closed");
  }

  /** Buffers of exactly the size the handler asked for, one read per request. */
  private final class Demand extends DefaultMaxMessagesRecvByteBufAllocator {
    Demand() {
      super(1);
    }

    @Override
    public Handle newHandle() {
      return new MaxMessageHandle() {
        @Override
        public int guess() {
          return readLimit;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
          return alloc.directBuffer(readLimit);
        }
      };
    }
  }
}
