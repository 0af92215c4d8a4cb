package io.passt4j.testutil;

import io.netty.buffer.Unpooled;
import io.passt4j.packet.Frame;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The guest's end of the real qemu stream socket (each frame preceded by its length, 4 bytes big
 * endian), shared by several test threads: whole frames are written under one lock, and a reader
 * thread hands each TCP frame to the {@link GuestLink} of its destination port ({@link #link}), so
 * that a {@link GuestTcp} runs over the real daemon while other threads throw garbage at it;
 * everything else goes to {@link #others} and is counted.
 */
public final class StreamGuest implements AutoCloseable {

  private final SocketChannel ch;
  private final Thread reader;
  private final TcpDemux demux = new TcpDemux(f -> {
    try {
      send(f);
    } catch (IOException e) {
      throw new IllegalStateException("qemu stream: " + e.getMessage(), e);
    }
  });
  private final CountDownLatch eof = new CountDownLatch(1);
  private volatile Consumer<byte[]> others = f -> {};
  /** Frames read from the daemon, all kinds. */
  public final AtomicLong framesBack = new AtomicLong();
  /** TCP frames for a port nobody registered (answers to garbage, mostly RSTs). */
  public final AtomicLong tcpUnclaimed = new AtomicLong();
  /** Frames sent. */
  public final AtomicLong framesSent = new AtomicLong();

  public StreamGuest(SocketChannel ch) {
    this.ch = ch;
    reader = new Thread(this::read, "stream-guest-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Connects to the daemon's socket. */
  public static StreamGuest connect(Path sock) throws IOException {
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    c.connect(UnixDomainSocketAddress.of(sock));
    return new StreamGuest(c);
  }

  /** Frames that are not TCP for a registered port go here (on the reader thread). */
  public void others(Consumer<byte[]> c) {
    others = c;
  }

  /** The frames for TCP port {@code guestPort} of the guest, and the way to send frames. */
  public GuestLink link(int guestPort) {
    return demux.link(guestPort);
  }

  /** See {@link TcpDemux#link(int, int)}. */
  public GuestLink link(int guestPort, int remotePort) {
    return demux.link(guestPort, remotePort);
  }

  /** Writes one frame with its length prefix. */
  public void send(byte[] f) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).flip();
    writeFully(b);
    framesSent.incrementAndGet();
  }

  /** Writes several frames in one go, as qemu does. */
  public void send(List<byte[]> frames) throws IOException {
    int n = 0;
    for (byte[] f : frames) n += 4 + f.length;
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] f : frames) b.putInt(f.length).put(f);
    writeFully(b.flip());
    framesSent.addAndGet(frames.size());
  }

  /** Writes bytes as they are: a lying length prefix, half a frame. */
  public void writeRaw(ByteBuffer b) throws IOException {
    writeFully(b);
  }

  private synchronized void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) ch.write(b);
  }

  /** Whether the daemon closed the stream within {@code ms}. */
  public boolean awaitClosedByDaemon(long ms) throws InterruptedException {
    return eof.await(ms, TimeUnit.MILLISECONDS);
  }

  private void read() {
    ByteBuffer len = ByteBuffer.allocate(4);
    try {
      while (true) {
        len.clear();
        while (len.hasRemaining()) if (ch.read(len) < 0) return;
        ByteBuffer f = ByteBuffer.allocate(len.flip().getInt());
        while (f.hasRemaining()) if (ch.read(f) < 0) return;
        sort(f.array());
      }
    } catch (IOException closed) {
      // done
    } finally {
      eof.countDown();
    }
  }

  private void sort(byte[] f) {
    framesBack.incrementAndGet();
    Frame fr = Frame.classify(Unpooled.wrappedBuffer(f));
    if (demux.offer(fr, f)) return;
    if (fr.malformed() == null && fr.ipProtocol() == 6 && fr.l4Length() >= 4) {
      tcpUnclaimed.incrementAndGet();
      if (resetStrangers) resetStranger(fr);
    }
    others.accept(f);
  }

  private volatile boolean resetStrangers;

  /**
   * From now on, answers TCP segments for ports nobody registered as a guest kernel does for a
   * connection it does not know: with a RST (RFC 9293 3.10.7.1), never to a RST.
   */
  public void resetStrangers() {
    resetStrangers = true;
  }

  private void resetStranger(Frame fr) {
    io.passt4j.packet.Tcp t = new io.passt4j.packet.Tcp().wrap(fr.buf(), fr.l4Offset(), fr.l4Length());
    if (!t.isValid(fr.l4Length()) || t.has(io.passt4j.packet.Tcp.RST)) return;
    GuestTcp.Seg s = GuestTcp.parse(Arrays.copyOf(fr.buf().array(), fr.buf().writerIndex()));
    boolean ack = s.has(io.passt4j.packet.Tcp.ACK);
    int len = s.payload().length + (s.has(io.passt4j.packet.Tcp.SYN) ? 1 : 0)
        + (s.has(io.passt4j.packet.Tcp.FIN) ? 1 : 0);
    byte[] mac = new byte[6];
    fr.buf().getBytes(6, mac);
    try {
      send(GuestTcp.frame(mac, s.dst(), s.dport(), s.src(), s.sport(), ack ? s.ack() : 0,
          s.seq() + len, ack ? io.passt4j.packet.Tcp.RST
              : io.passt4j.packet.Tcp.RST | io.passt4j.packet.Tcp.ACK, 0, new byte[0],
          new byte[0]));
    } catch (IOException e) {
      // the stream is gone
    }
  }

  @Override
  public void close() throws Exception {
    ch.close();
    reader.join(5000);
  }
}
