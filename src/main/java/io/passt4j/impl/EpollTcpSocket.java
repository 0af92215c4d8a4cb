package io.passt4j.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.Socket;
import io.passt4j.impl.nat.LibC;
import io.passt4j.spi.HostStreamSocket;
import io.passt4j.spi.Log;
import io.passt4j.spi.TcpCallbacks;
import io.passt4j.spi.TcpCallbacks.ConnectFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * A {@link HostStreamSocket} over a bare non-blocking socket registered with the event loop's
 * epoll ({@link EpollIoHandle}, Netty 4.2's API for file descriptors that are not channels):
 * no channel, pipeline, promise or outbound buffer per connection, which is most of what a
 * Netty channel costs in memory and per-connection work.
 *
 * <p>Registered once, edge-triggered, for input, output and peer shutdown. Reading: a read the
 * handler asked for ({@link #read}) is done at once, in a task, when the socket is known to
 * have data, else on the next input event; a read that returns less than asked means the
 * kernel's queue is drained, after which only a new event makes the socket readable again.
 * Nothing is read that was not asked for, also after the peer closed: the EOF is reported when
 * a read finds it, after every byte before it. Writing: straight to the kernel; what it does not
 * take is copied (so guest frames are not held) into an output queue that the next output
 * event drains. The connect outcome is read with {@code SO_ERROR}, EOF needs no {@code
 * shutdown(SHUT_RD)}: no exception is created on a connection's normal path.
 */
final class EpollTcpSocket implements HostStreamSocket, EpollIoHandle {

  private static final int ECONNREFUSED = 111;
  private static final int ENETUNREACH = 101;
  private static final int EHOSTUNREACH = 113;
  private static final int ETIMEDOUT = 110;
  /** A read that brought at most this much into a buffer of more than 4x its size is copied. */
  private static final int SMALL_READ = 2048;
  private static final int IPPROTO_TCP = 6;
  private static final int TCP_INFO = 11;
  private static final int TCP_INFO_SIZE = 104;
  private static final int EPOLLHUP = 0x10;
  private static final EpollIoOps OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT)
      .with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);

  private final Socket fd;
  private final IoEventLoop loop;
  private final ByteBufAllocator alloc;
  private final InetSocketAddress remote;
  private final TcpCallbacks cb;
  private final Counters counters;
  private final Log log;
  private final Runnable onClosed;
  private final Runnable readTask = this::readNow;
  private IoRegistration reg;
  private boolean connecting;
  private boolean connected;
  /** Closed by the handler, or reported closed: no more callbacks. */
  private boolean done;
  /** Size of the read asked for, 0 when none is. */
  private int demand;
  /** The kernel may have bytes (or the EOF) for us: an input event came after the last short read. */
  private boolean readable;
  /**
   * The peer shut down its side (EPOLLRDHUP or HUP seen): from then on the socket stays readable
   * until a read finds the EOF, as no further event comes for it.
   */
  private boolean peerShut;
  private boolean readScheduled;
  /** Bytes the kernel did not take yet, in order; created on the first short write. */
  private ArrayDeque<ByteBuf> out;
  private long pending;
  private boolean shutdownRequested;
  private boolean outputShutdown;

  private EpollTcpSocket(Socket fd, IoEventLoop loop, ByteBufAllocator alloc,
      InetSocketAddress remote, TcpCallbacks cb, Counters counters, Log log, Runnable onClosed) {
    this.fd = fd;
    this.loop = loop;
    this.alloc = alloc;
    this.remote = remote;
    this.cb = cb;
    this.counters = counters;
    this.log = log;
    this.onClosed = onClosed;
  }

  /**
   * Starts a connect of {@code fd} (a new non-blocking socket, bound if need be) to {@code
   * remote}; the outcome reaches {@code cb} from a later event. Closes {@code fd} and throws when
   * it can't even start.
   */
  static EpollTcpSocket connect(Socket fd, IoEventLoop loop, ByteBufAllocator alloc,
      InetSocketAddress remote, TcpCallbacks cb, Counters counters, Log log, Runnable onClosed)
      throws IOException {
    return open(true, fd, loop, alloc, remote, cb, counters, log, onClosed);
  }

  /** An accepted, connected socket; {@link #start} hands it to {@code cb}. */
  static EpollTcpSocket accepted(Socket fd, IoEventLoop loop, ByteBufAllocator alloc,
      InetSocketAddress remote, TcpCallbacks cb, Counters counters, Log log, Runnable onClosed)
      throws IOException {
    return open(false, fd, loop, alloc, remote, cb, counters, log, onClosed);
  }

  private static EpollTcpSocket open(boolean connect, Socket fd, IoEventLoop loop,
      ByteBufAllocator alloc, InetSocketAddress remote, TcpCallbacks cb, Counters counters,
      Log log, Runnable onClosed) throws IOException {
    EpollTcpSocket s = new EpollTcpSocket(fd, loop, alloc, remote, cb, counters, log, onClosed);
    try {
      fd.setTcpNoDelay(true);
      s.reg = register(loop, s, OPS);
      if (connect) {
        s.connecting = true;
        if (fd.connect(remote)) {
          // Rare (loopback may complete at once): report it from a task, as for the others.
          s.connecting = false;
          loop.execute(s::connectedNow);
        }
      }
    } catch (IOException e) {
      s.closeFd();
      throw e;
    }
    return s;
  }

  /** Hands an accepted socket to its callbacks. */
  void start() {
    connected = true;
    readable = true; // it may have bytes already
    cb.connected(this);
  }

  /** Registers {@code h} with {@code loop}'s epoll for {@code ops}; we are on that loop. */
  static IoRegistration register(IoEventLoop loop, EpollIoHandle h, EpollIoOps ops)
      throws IOException {
    io.netty.util.concurrent.Future<IoRegistration> f = loop.register(h);
    if (!f.isDone() || !f.isSuccess()) {
      throw new IOException("can't register socket: "
          + (f.cause() != null ? f.cause().getMessage() : "not on the event loop"));
    }
    IoRegistration r = f.getNow();
    r.submit(ops);
    return r;
  }

  private void connectedNow() {
    if (done || connected) return;
    connected = true;
    readable = true; // bytes may have come with the connect's event: the first read will tell
    cb.connected(this);
  }

  static ConnectFailure classify(int errno) {
    return switch (errno) {
      case ECONNREFUSED -> ConnectFailure.REFUSED;
      case ENETUNREACH, EHOSTUNREACH -> ConnectFailure.UNREACHABLE;
      case ETIMEDOUT -> ConnectFailure.TIMEOUT;
      default -> ConnectFailure.OTHER;
    };
  }

  // ---- epoll events

  @Override
  public Socket fd() {
    return fd;
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    if (done) return;
    EpollIoOps ops = ((EpollIoEvent) event).ops();
    boolean err = ops.contains(EpollIoOps.EPOLLERR);
    if (connecting) {
      if (!err && !ops.contains(EpollIoOps.EPOLLOUT)) return;
      connecting = false;
      int e = soError();
      if (e != 0 || err) {
        done = true;
        closeFd();
        onClosed.run();
        if (e == 0) e = ECONNREFUSED; // EPOLLERR without a pending error: refused by the peer
        cb.failed(this, classify(e), LibC.INSTANCE.strerror(e));
        return;
      }
      connectedNow();
      if (done) return;
      // The same event may also tell that the peer sent data and its FIN already: go on.
    }
    if (err) {
      int e = soError();
      if (e != 0) {
        // After the peer's FIN, too: the error event comes whether or not we read or write.
        if (peerShut) counters.count("host reset after FIN");
        fail(LibC.INSTANCE.strerror(e));
        return;
      }
    }
    if (ops.contains(EpollIoOps.EPOLLOUT) && pending > 0) flushOut();
    if (done) return;
    boolean shut = ops.contains(EpollIoOps.EPOLLRDHUP) || (ops.value() & EPOLLHUP) != 0;
    if (shut) peerShut = true;
    if (shut || err || ops.contains(EpollIoOps.EPOLLIN)) {
      readable = true;
      if (demand > 0) readNow();
    }
  }

  private int soError() {
    try {
      return fd.getSoError();
    } catch (IOException e) {
      return ECONNREFUSED;
    }
  }

  // ---- HostStreamSocket

  @Override
  public InetSocketAddress localAddress() {
    return connected && fd.isOpen() ? fd.localAddress() : null;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public boolean write(ByteBuf data) {
    if (done || !connected) {
      data.release();
      return false;
    }
    if (out != null && !out.isEmpty()) {
      queue(data);
      return false;
    }
    int n;
    try {
      n = send(data);
    } catch (IOException e) {
      data.release();
      failedWrite(e);
      return false;
    }
    if (!data.isReadable()) {
      data.release();
      return true;
    }
    queue(data);
    return false;
  }

  /** Sends what the kernel takes of {@code b} now, advancing its reader index. */
  private int send(ByteBuf b) throws IOException {
    int total = 0;
    while (b.isReadable()) {
      int n;
      if (b.hasMemoryAddress()) {
        n = fd.sendAddress(b.memoryAddress(), b.readerIndex(), b.writerIndex());
      } else if (b.nioBufferCount() == 1 && b.isDirect()) {
        ByteBuffer nio = b.internalNioBuffer(b.readerIndex(), b.readableBytes());
        n = fd.send(nio, nio.position(), nio.limit());
      } else {
        // heap or composite (tests): through a direct copy
        ByteBuf d = alloc.directBuffer(b.readableBytes());
        try {
          d.writeBytes(b, b.readerIndex(), b.readableBytes());
          n = fd.sendAddress(d.memoryAddress(), 0, d.writerIndex());
        } finally {
          d.release();
        }
      }
      if (n <= 0) break;
      b.skipBytes(n);
      total += n;
    }
    return total;
  }

  /** Queues the unsent rest of {@code data} as a copy of its own (releasing {@code data}). */
  private void queue(ByteBuf data) {
    int n = data.readableBytes();
    ByteBuf copy = alloc.directBuffer(n);
    copy.writeBytes(data);
    data.release();
    if (out == null) out = new ArrayDeque<>(4);
    out.add(copy);
    pending += n;
  }

  /** Writes queued bytes the kernel now takes; tells the handler when the queue shrank. */
  private void flushOut() {
    long before = pending;
    try {
      while (!out.isEmpty()) {
        ByteBuf h = out.peek();
        int n = send(h);
        pending -= n;
        if (h.isReadable()) break;
        out.poll().release();
      }
    } catch (IOException e) {
      failedWrite(e);
      return;
    }
    if (pending == before) return;
    if (pending == 0 && shutdownRequested) doShutdown();
    if (!done) cb.writable(this);
  }

  private void failedWrite(IOException e) {
    if (done) return;
    counters.count("host write failed");
    fail("write: " + e.getMessage());
  }

  @Override
  public long pendingWriteBytes() {
    return pending;
  }

  @Override
  public void read(int maxBytes) {
    if (done) return;
    demand = Math.max(1, maxBytes);
    if (readable && !readScheduled) {
      readScheduled = true;
      loop.execute(readTask);
    }
  }

  /** One read of at most {@link #demand} bytes, if one is asked for and the socket has data. */
  private void readNow() {
    readScheduled = false;
    if (done || demand == 0 || !readable) return;
    int limit = demand;
    ByteBuf b = alloc.directBuffer(limit);
    int n;
    try {
      if (b.hasMemoryAddress()) {
        n = fd.recvAddress(b.memoryAddress(), 0, limit);
      } else {
        ByteBuffer nio = b.internalNioBuffer(0, limit);
        n = fd.recv(nio, nio.position(), nio.limit());
      }
    } catch (IOException e) {
      b.release();
      fail(String.valueOf(e.getMessage()));
      return;
    }
    if (n == 0) { // EAGAIN
      b.release();
      readable = false;
      return;
    }
    demand = 0;
    if (n < 0) { // EOF
      b.release();
      readable = false;
      cb.peerClosed(this);
      return;
    }
    if (n < limit && !peerShut) readable = false;
    b.writerIndex(n);
    if (n <= SMALL_READ && limit > 4 * SMALL_READ) {
      // Don't keep a big buffer for a few bytes until the guest acknowledges them.
      ByteBuf small = alloc.directBuffer(n);
      small.writeBytes(b);
      b.release();
      b = small;
    }
    cb.data(this, b);
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
    try {
      fd.shutdown(false, true);
    } catch (IOException e) {
      // ENOTCONN: the peer reset it; the reset reaches us through the next event
      if (log.isDebugEnabled()) log.debug("host socket " + remote + ": shutdown: " + e.getMessage());
    }
  }

  @Override
  public boolean isOutputShutdown() {
    return outputShutdown;
  }

  /** Closes gracefully; also what the event loop calls on handles left when it shuts down. */
  @Override
  public void close() {
    if (!finish()) return;
    closeFd();
  }

  @Override
  public void abort() {
    if (!finish()) return;
    if (fd.isOpen()) {
      try {
        fd.setSoLinger(0);
      } catch (IOException e) {
        // not connected: a plain close is a reset anyway
      }
    }
    closeFd();
  }

  /** Marks the socket done (no more callbacks); false when it was closed already. */
  private boolean finish() {
    if (done && !fd.isOpen()) return false;
    if (!done) {
      done = true;
      onClosed.run();
    }
    releaseOut();
    return true;
  }

  private void releaseOut() {
    if (out != null) {
      for (ByteBuf b : out) b.release();
      out.clear();
    }
  }

  /** Closes the descriptor, then drops the registration (closing removed it from epoll). */
  private void closeFd() {
    try {
      fd.close();
    } catch (IOException e) {
      // nothing more to do
    }
    if (reg != null) reg.cancel();
  }

  @Override
  public boolean isOpen() {
    return !done && fd.isOpen();
  }

  @Override
  public TcpInfo tcpInfo() {
    if (!connected || done) return null;
    ByteBuffer i = ByteBuffer.allocateDirect(TCP_INFO_SIZE).order(ByteOrder.nativeOrder());
    try {
      fd.getRawOpt(IPPROTO_TCP, TCP_INFO, i);
    } catch (IOException e) {
      return null;
    }
    // struct tcp_info: tcpi_snd_mss at 16, tcpi_unacked 24, tcpi_rtt 68, tcpi_snd_cwnd 80,
    // tcpi_total_retrans 100 (all __u32)
    return new TcpInfo(u32(i, 16), u32(i, 68), u32(i, 80), u32(i, 24), u32(i, 100));
  }

  private static long u32(ByteBuffer b, int at) {
    return b.getInt(at) & 0xffffffffL;
  }

  /** Closes on an error after connecting and reports it once. */
  private void fail(String reason) {
    if (done) return;
    finish();
    closeFd();
    cb.reset(this, reason);
  }

  @Override
  public String toString() {
    return "EpollTcpSocket[" + fd.intValue() + " to " + remote + "]";
  }
}
