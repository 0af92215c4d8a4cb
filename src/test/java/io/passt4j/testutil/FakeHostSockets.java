package io.passt4j.testutil;

import io.netty.buffer.ByteBuf;
import io.passt4j.spi.DatagramReceiver;
import io.passt4j.spi.HostDatagramSocket;
import io.passt4j.spi.HostSockets;
import io.passt4j.spi.HostStreamSocket;
import io.passt4j.spi.HostTcpListener;
import io.passt4j.spi.TcpAcceptor;
import io.passt4j.spi.TcpCallbacks;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Host sockets that touch no network: what a handler sends is checked (a live buffer, a
 * recipient) and released, and the test plays the host side by calling the sockets' event
 * methods ({@link Datagram#deliver}, {@link Stream#connect}, {@link Stream#hostData}, ...), which
 * keep to the {@link HostSockets} contract (no callback after close, data only when asked for).
 * Everything runs on the calling thread; buffers handed to the handler come from a {@link
 * TrackingAllocator}, so a test can check that every one was released. For fuzz targets and unit
 * tests of a handler's state: the real sockets are tested elsewhere.
 */
public final class FakeHostSockets implements HostSockets {

  public final TrackingAllocator alloc;
  public final List<Datagram> datagrams = new ArrayList<>();
  public final List<Stream> streams = new ArrayList<>();
  public final List<Listener> listeners = new ArrayList<>();
  /** Asked before each open: true makes it fail as a port in use would. */
  public BooleanSupplier failOpen = () -> false;
  /** Datagrams sent through any socket; the last one's bytes and recipient. */
  public long datagramsSent;
  public byte[] lastSent;
  public InetSocketAddress lastRecipient;
  private int nextPort = 40000;

  public FakeHostSockets(TrackingAllocator alloc) {
    this.alloc = alloc;
  }

  /** Sockets and listeners opened and not yet closed. */
  public int openCount() {
    int n = 0;
    for (Datagram d : datagrams) if (d.open) n++;
    for (Stream s : streams) if (s.open) n++;
    for (Listener l : listeners) if (l.open) n++;
    return n;
  }

  private void maybeFail() throws IOException {
    if (failOpen.getAsBoolean()) throw new IOException("Address already in use (fake)");
  }

  private int port(int asked) {
    if (asked != 0) return asked;
    nextPort = nextPort >= 60999 ? 40000 : nextPort + 1;
    return nextPort;
  }

  @Override
  public HostDatagramSocket udp(InetSocketAddress bind, String bindInterface,
      DatagramReceiver receiver) throws IOException {
    maybeFail();
    Datagram d = new Datagram(new InetSocketAddress(bind.getAddress(), port(bind.getPort())),
        receiver);
    datagrams.add(d);
    return d;
  }

  @Override
  public HostDatagramSocket ping(int ipVersion, InetAddress bindAddress, int identifier,
      DatagramReceiver receiver) throws IOException {
    if (ipVersion != 4 && ipVersion != 6) throw new IllegalArgumentException("ipVersion " + ipVersion);
    maybeFail();
    InetAddress a = bindAddress != null ? bindAddress : any(ipVersion);
    Datagram d = new Datagram(new InetSocketAddress(a, identifier), receiver);
    datagrams.add(d);
    return d;
  }

  @Override
  public HostStreamSocket tcpConnect(InetSocketAddress remote, InetSocketAddress bind,
      String bindInterface, TcpCallbacks callbacks) throws IOException {
    maybeFail();
    Stream s = new Stream(remote, callbacks);
    streams.add(s);
    return s;
  }

  @Override
  public HostTcpListener tcpListen(InetSocketAddress bind, String bindInterface,
      TcpAcceptor acceptor) throws IOException {
    maybeFail();
    Listener l = new Listener(bind, acceptor);
    listeners.add(l);
    return l;
  }

  /** The wildcard address of an IP version. */
  private static InetAddress any(int version) {
    try {
      return InetAddress.getByAddress(new byte[version == 6 ? 16 : 4]);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** What every fake socket has: open until closed. */
  public abstract static class Fake {
    public boolean open = true;

    public void close() {
      open = false;
    }

    public boolean isOpen() {
      return open;
    }
  }

  /** A UDP or ping socket. */
  public final class Datagram extends Fake implements HostDatagramSocket {
    public final InetSocketAddress local;
    final DatagramReceiver receiver;
    public long sent;

    Datagram(InetSocketAddress local, DatagramReceiver receiver) {
      this.local = local;
      this.receiver = receiver;
    }

    @Override
    public InetSocketAddress localAddress() {
      return local;
    }

    @Override
    public void send(ByteBuf payload, InetSocketAddress recipient) {
      try {
        if (payload.refCnt() <= 0) throw new AssertionError("send of a released buffer");
        if (recipient == null || recipient.getAddress() == null) {
          throw new AssertionError("send without a recipient");
        }
        if (open) {
          sent++;
          datagramsSent++;
          lastSent = io.netty.buffer.ByteBufUtil.getBytes(payload);
          lastRecipient = recipient;
        }
      } finally {
        if (payload.refCnt() > 0) payload.release();
      }
    }

    /** A datagram from the host side; ignored when the socket is closed, as the kernel would. */
    public void deliver(byte[] data, InetSocketAddress sender) {
      if (!open) return;
      ByteBuf b = alloc.heapBuffer(Math.max(1, data.length)).writeBytes(data);
      try {
        receiver.receive(this, b, sender);
      } finally {
        b.release();
      }
    }
  }

  /** A TCP connection; the test decides when the kernel connects, reads and takes bytes. */
  public final class Stream extends Fake implements HostStreamSocket {
    public final InetSocketAddress remote;
    final TcpCallbacks callbacks;
    public boolean connected;
    /** Set by close() (graceful) or abort() (reset). */
    public boolean closedGracefully;
    public boolean aborted;
    /** What the handler wrote that the kernel has not taken yet. */
    final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    long pendingBytes;
    /** Bytes the kernel took in all. */
    public long written;
    /** The read the handler asked for (0: none). */
    public int readRequest;
    /** Every byte the peer sent that was handed to the handler, in order. */
    public final java.io.ByteArrayOutputStream fromHost = new java.io.ByteArrayOutputStream();
    boolean shutdownRequested;
    boolean outputShutdown;

    Stream(InetSocketAddress remote, TcpCallbacks callbacks) {
      this.remote = remote;
      this.callbacks = callbacks;
    }

    @Override
    public InetSocketAddress localAddress() {
      return connected ? new InetSocketAddress(any(4), 50000) : null;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return remote;
    }

    @Override
    public boolean write(ByteBuf data) {
      if (data.refCnt() <= 0) throw new AssertionError("write of a released buffer");
      if (!open) {
        data.release();
        return false;
      }
      if (shutdownRequested) {
        data.release();
        throw new AssertionError("write after shutdownOutput");
      }
      pending.add(data);
      pendingBytes += data.readableBytes();
      return false;
    }

    @Override
    public long pendingWriteBytes() {
      return pendingBytes;
    }

    @Override
    public void read(int maxBytes) {
      if (maxBytes < 1) throw new AssertionError("read of " + maxBytes + " bytes");
      readRequest = maxBytes;
    }

    @Override
    public void shutdownOutput() {
      shutdownRequested = true;
      if (pendingBytes == 0) outputShutdown = true;
    }

    @Override
    public boolean isOutputShutdown() {
      return outputShutdown;
    }

    @Override
    public void close() {
      if (!open) return;
      closedGracefully = true;
      release();
    }

    @Override
    public void abort() {
      if (!open) return;
      aborted = true;
      release();
    }

    private void release() {
      open = false;
      for (ByteBuf b : pending) b.release();
      pending.clear();
      pendingBytes = 0;
    }

    @Override
    public TcpInfo tcpInfo() {
      return null;
    }

    // ---- the host side

    /** The connect completes (once). */
    public void connect() {
      if (!open || connected) return;
      connected = true;
      callbacks.connected(this);
    }

    /** The connect fails; the socket is closed. */
    public void fail(TcpCallbacks.ConnectFailure why) {
      if (!open || connected) return;
      release();
      callbacks.failed(this, why, "fake " + why);
    }

    /** The peer sends {@code data}: delivered (as much as was asked for) if a read is pending. */
    public void hostData(byte[] data) {
      if (!open || !connected || readRequest == 0 || data.length == 0) return;
      int n = Math.min(data.length, readRequest);
      readRequest = 0;
      fromHost.write(data, 0, n);
      callbacks.data(this, alloc.heapBuffer(n).writeBytes(data, 0, n));
    }

    /** The kernel takes up to {@code n} queued bytes; the handler hears when the queue shrank. */
    public void drain(long n) {
      if (!open || !connected || pendingBytes == 0) return;
      long took = 0;
      while (n > 0 && !pending.isEmpty()) {
        ByteBuf h = pending.peek();
        int k = (int) Math.min(n, h.readableBytes());
        h.skipBytes(k);
        n -= k;
        took += k;
        if (!h.isReadable()) pending.poll().release();
      }
      pendingBytes -= took;
      written += took;
      if (shutdownRequested && pendingBytes == 0) outputShutdown = true;
      if (took > 0) callbacks.writable(this);
    }

    /** The peer's FIN, after everything it sent. */
    public void peerClose() {
      if (!open || !connected) return;
      readRequest = 0;
      callbacks.peerClosed(this);
    }

    /** The peer resets; the socket is closed. */
    public void reset() {
      if (!open || !connected) return;
      release();
      callbacks.reset(this, "Connection reset by peer (fake)");
    }
  }

  /** A listening socket; {@link #accept} plays a peer connecting. */
  public final class Listener extends Fake implements HostTcpListener {
    public final InetSocketAddress local;
    final TcpAcceptor acceptor;

    Listener(InetSocketAddress local, TcpAcceptor acceptor) {
      this.local = local;
      this.acceptor = acceptor;
    }

    /** A peer at {@code remote} connects: the new socket, or null when the handler refused it. */
    public Stream accept(InetSocketAddress remote) {
      if (!open) return null;
      TcpCallbacks cb = acceptor.accept(remote, local);
      if (cb == null) return null;
      Stream s = new Stream(remote, cb);
      streams.add(s);
      s.connected = true;
      cb.connected(s);
      return s;
    }

    @Override
    public InetSocketAddress localAddress() {
      return local;
    }
  }
}
