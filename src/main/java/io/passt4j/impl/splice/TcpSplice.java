package io.passt4j.impl.splice;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.passt4j.impl.nat.LibC;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * One spliced TCP connection: the socket a peer connected to on one side ({@code a}) and the
 * socket we connected to the other side's loopback ({@code b}), with one pipe per direction.
 * Bytes move with {@code splice(2)} from a socket into the pipe and from the pipe into the other
 * socket, never through Java memory (Netty's JNI {@code splice}; jnr-ffi's only to tell the end
 * of the input from "nothing now", which Netty reports alike). Everything runs on one event
 * loop, where both sockets are registered as Netty {@link EpollIoHandle}s, level-triggered.
 *
 * <p><b>Backpressure.</b> A direction reads from its source only while its pipe has room; the
 * pipe drains as the destination's send buffer takes bytes ({@code EPOLLOUT}). The bytes held
 * per direction are bounded by the pipe's capacity; past that, the kernel's receive buffer of
 * the source fills and the sender's window closes, as between two real hosts.
 *
 * <p><b>Ends.</b> The end of one input (a read of 0) becomes {@code shutdown(SHUT_WR)} of the
 * other socket once the pipe is empty (half-close, each way independently); the connection is
 * closed when both directions ended. An error on either socket ({@code ECONNRESET}, {@code
 * EPIPE}, a failed connect) resets the other ({@code SO_LINGER} 0, then close: a RST).
 */
final class TcpSplice {

  /** Reads per event before giving the loop to others (level-triggered: the rest follows). */
  private static final int QUANTUM = 16;
  private static final int EPOLLIN = 0x001;
  private static final int EPOLLOUT = 0x004;
  private static final int EPOLLERR = 0x008;
  private static final int EPOLLHUP = 0x010;
  private static final int EPOLLRDHUP = 0x2000;
  private static final int FLAGS = LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK;

  private final Splicer owner;
  private final IoEventLoop loop;
  private final End a;
  private End b;
  private Flow ab;
  private Flow ba;
  private boolean connecting = true;
  private boolean closed;

  /** The socket a peer connected to ({@code accepted}, owned from now on). */
  TcpSplice(Splicer owner, IoEventLoop loop, Socket accepted) {
    this.owner = owner;
    this.loop = loop;
    this.a = new End(accepted);
  }

  /**
   * Connects {@code target} (a new socket made on the other side, owned from now on) to {@code
   * to}; on the event loop.
   */
  void start(Socket target, InetSocketAddress to) {
    b = new End(target);
    try {
      ab = new Flow(a, b);
      ba = new Flow(b, a);
    } catch (IOException e) {
      owner.count("splice: no pipe");
      if (owner.log().isDebugEnabled()) owner.log().debug("splice: " + e.getMessage());
      close(true);
      return;
    }
    if (!a.register() || !b.register()) {
      close(true);
      return;
    }
    try {
      if (b.sock.connect(to)) connected();
    } catch (IOException e) {
      connectFailed(e);
      return;
    }
    interest();
  }

  /** Closes both sockets with a reset (the connection table is full, no socket to connect). */
  void refuse() {
    close(true);
  }

  private void connected() {
    connecting = false;
    owner.count("tcp spliced");
  }

  private void connectFailed(IOException e) {
    owner.count("tcp splice connect failed");
    if (owner.log().isDebugEnabled()) owner.log().debug("splice connect: " + e.getMessage());
    close(true);
  }

  // ---- events

  private void event(End x, int ev) {
    if (closed) return;
    if (connecting) {
      if (x == a) {
        if ((ev & (EPOLLERR | EPOLLHUP)) != 0) close(true); // the peer gave up
        return;
      }
      if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      try {
        if (!b.sock.finishConnect()) return;
      } catch (IOException e) {
        connectFailed(e);
        return;
      }
      connected();
    }
    Flow out = x == a ? ab : ba;
    Flow in = x == a ? ba : ab;
    // What x still has to read goes on first, even when an error (a reset) is pending: the
    // peer's last bytes before its RST reach the other side before ours.
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0 && !pump(out)) return;
    if ((ev & (EPOLLOUT | EPOLLHUP)) != 0) {
      if (!drain(in)) return;
      if (!pump(in)) return;
    }
    if ((ev & EPOLLERR) != 0 && error(x)) return;
    if (ab.done() && ba.done()) {
      owner.count("tcp splice closed");
      close(false);
      return;
    }
    interest();
  }

  /** A pending socket error on {@code x}: reset both, true. */
  private boolean error(End x) {
    int err;
    try {
      err = x.sock.getSoError();
    } catch (IOException e) {
      err = -1;
    }
    if (err == 0) return false;
    owner.count("tcp splice reset");
    if (owner.log().isDebugEnabled()) {
      owner.log().debug("splice: " + (err > 0 ? LibC.INSTANCE.strerror(err) : "socket error"));
    }
    close(true);
    return true;
  }

  /**
   * Moves what the source has into the pipe, and from the pipe on, while the pipe has room, at
   * most {@link #QUANTUM} times; after the source's end, shuts the destination's output once
   * the pipe is empty. False when the connection was reset meanwhile.
   */
  private boolean pump(Flow f) {
    for (int i = 0; i < QUANTUM && !f.eof && !f.full; i++) {
      long room = f.capacity - f.inPipe;
      if (room <= 0) {
        f.full = true;
        break;
      }
      long n;
      try {
        n = Native.splice(f.from.raw(), -1, f.pipeIn, -1, room); // JNI: the fast way
      } catch (IOException e) {
        return failed(e.getMessage());
      }
      if (n == 0) {
        // Nothing now, or the end of the input: Netty says 0 for both, libc tells them apart
        // (once per wakeup, not per chunk: jnr-ffi's calls cost microseconds here)
        n = LibC.INSTANCE.splice(f.from.raw(), null, f.pipeIn, null, room, FLAGS);
      }
      if (n > 0) {
        f.inPipe += n;
        if (!drain(f)) return false;
      } else if (n == 0) {
        f.eof = true;
      } else {
        int e = LibC.errno();
        if (e == LibC.EINTR) continue;
        if (e != LibC.EAGAIN) return failed(e);
        // Nothing to read, or the pipe is full (it holds pages, not bytes: it can fill before
        // its capacity in bytes): wait for the destination to take some in the latter case.
        if (f.inPipe > 0) f.full = true;
        break;
      }
    }
    if (f.eof && f.inPipe == 0 && !f.shut) {
      f.shut = true;
      try {
        f.to.sock.shutdown(false, true);
      } catch (IOException | RuntimeException e) {
        // ENOTCONN (NotYetConnectedException): the destination was reset meanwhile
        return failed("shutdown: " + e);
      }
    }
    return true;
  }

  /** Moves the pipe's bytes into the destination while it takes them; false when reset. */
  private boolean drain(Flow f) {
    while (f.inPipe > 0) {
      int n;
      try {
        n = Native.splice(f.pipeOut, -1, f.to.raw(), -1, f.inPipe); // 0: the socket is full
      } catch (IOException e) {
        return failed(e.getMessage());
      }
      if (n <= 0) break;
      f.inPipe -= n;
      f.full = false;
    }
    return true;
  }

  private boolean failed(int errno) {
    return failed(errno > 0 ? LibC.INSTANCE.strerror(errno) : "shutdown failed");
  }

  /** A socket failed (reset, broken pipe): resets both, false. */
  private boolean failed(String why) {
    owner.count("tcp splice reset");
    if (owner.log().isDebugEnabled()) owner.log().debug("splice: " + why);
    close(true);
    return false;
  }

  /** What each socket waits for now. */
  private void interest() {
    if (closed) return;
    if (connecting) {
      a.want(0);
      b.want(EPOLLOUT);
      return;
    }
    a.want(ops(ab, ba));
    b.want(ops(ba, ab));
  }

  /** A socket's events: read while its outgoing pipe has room, write while its incoming has bytes. */
  private static int ops(Flow out, Flow in) {
    int o = 0;
    if (!out.eof && !out.full) o |= EPOLLIN;
    if (in.inPipe > 0) o |= EPOLLOUT;
    return o;
  }

  /** Closes everything; with {@code reset}, the sockets with {@code SO_LINGER} 0 (a RST). */
  void close(boolean reset) {
    if (closed) return;
    closed = true;
    a.close(reset);
    if (b != null) b.close(reset);
    if (ab != null) ab.close();
    if (ba != null) ba.close();
    owner.forget(this);
  }

  /** Closes with a reset from any thread (the instance stops). */
  void abortLater() {
    loop.execute(() -> close(true));
  }

  // ---- parts

  /** One direction: source, pipe, destination, and where it stands. */
  private static final class Flow {
    final End from;
    final End to;
    final int pipeOut;
    final int pipeIn;
    final long capacity;
    long inPipe;
    boolean full;
    boolean eof;
    boolean shut;

    Flow(End from, End to) throws IOException {
      this.from = from;
      this.to = to;
      int[] p = new int[2];
      if (LibC.INSTANCE.pipe2(p, LibC.O_NONBLOCK | LibC.O_CLOEXEC) != 0) {
        throw new IOException("pipe2: " + LibC.lastError());
      }
      pipeOut = p[0];
      pipeIn = p[1];
      LibC.INSTANCE.fcntl(pipeIn, LibC.F_SETPIPE_SZ, Splicer.PIPE_SIZE); // best effort
      int cap = LibC.INSTANCE.fcntl(pipeIn, LibC.F_GETPIPE_SZ, 0);
      capacity = cap > 0 ? cap : 65536;
    }

    boolean done() {
      return eof && inPipe == 0 && shut;
    }

    void close() {
      LibC.INSTANCE.close(pipeOut);
      LibC.INSTANCE.close(pipeIn);
    }
  }

  /** One socket, registered with the event loop's epoll. */
  private final class End implements EpollIoHandle {
    final Socket sock;
    private IoRegistration reg;
    private int ops = -1;

    End(Socket sock) {
      this.sock = sock;
    }

    int raw() {
      return sock.intValue();
    }

    boolean register() {
      // On the loop, registration completes within the call.
      io.netty.util.concurrent.Future<IoRegistration> f = loop.register(this);
      if (f.isDone() && f.isSuccess()) {
        reg = f.getNow();
        return true;
      }
      owner.count("splice: not registered");
      if (owner.log().isDebugEnabled()) owner.log().debug("splice register: " + f.cause());
      return false;
    }

    void want(int o) {
      if (o == ops || reg == null) return;
      try {
        reg.submit(EpollIoOps.valueOf(o));
        ops = o;
      } catch (Exception e) {
        owner.count("splice: epoll failed");
        close(true);
      }
    }

    @Override
    public FileDescriptor fd() {
      return sock;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
      try {
        event(this, ((EpollIoEvent) event).ops().value());
      } catch (RuntimeException e) {
        owner.count("splice: exception");
        owner.log().error("splice: " + e);
        if (owner.log().isDebugEnabled()) e.printStackTrace();
        TcpSplice.this.close(true);
      }
    }

    /** The event loop shuts down with us registered. */
    @Override
    public void close() {
      TcpSplice.this.close(true);
    }

    void close(boolean reset) {
      if (reg != null) {
        try {
          reg.cancel();
        } catch (Exception e) {
          // closing anyway
        }
      }
      Splicer.closeQuietly(sock, reset);
    }
  }
}
