package io.passt4j.tap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.internal.PlatformDependent;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.nat.TapDevice;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * The raw tap framing (pasta): one {@code read()} of the tap descriptor is one Ethernet frame, one
 * {@code write()} sends one; no length prefix.
 *
 * <p>The descriptor is non-blocking and registered with the event loop's epoll ({@link
 * EpollIoHandle}, edge-triggered, as a bare descriptor: Netty has no channel for a character
 * device), as Debian's pasta waits for it in its one epoll: a frame from the namespace wakes the
 * loop itself, with no reader thread to wake first and hand over to (two context switches and a
 * copy per frame, most of the 1-byte request/response time). Each input event reads until the
 * kernel has no frame left, at most {@link #READ_BUDGET} frames at a time (then the rest in a
 * task, after the loop's other work). Frames are read into a pooled buffer of the largest size;
 * a small one is copied into a buffer of its own size, so that the many small frames do not each
 * hold 64 KiB, a large one keeps the buffer it was read into (no copy). Writes happen on the
 * event loop, as a tap write never blocks (the kernel queues or drops). Frames the namespace
 * sends while we are busy wait in the device's queue (its {@code txqueuelen}), counted by the
 * kernel as the device's dropped packets beyond it, as for Debian's pasta.
 *
 * <p>A device opened with {@code IFF_VNET_HDR} (see {@code TapDevice}: checksum offload) carries
 * a {@link VnetHeader} before each frame, both ways: read with the frame and handed on as the
 * frame's checksum state, written (with {@code writev}, header then frame) from the state the
 * handler gave ({@link #write(ByteBuf, int, int)}).
 */
final class TapFdLink implements EpollIoHandle {

  /** Largest frame read: the 65535-byte IP packet pasta's MTU allows, plus the Ethernet header. */
  static final int MAX_FRAME = 65535 + 14;
  /** Frames read for one event before the loop's other work gets a turn. */
  static final int READ_BUDGET = 64;
  /** A frame up to this size is copied out of the read buffer into one of its own size. */
  static final int COPY_MAX = 8192;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  /** {@code sizeof(struct iovec)}: base address and length. */
  private static final int IOV_SIZE = 16;

  private final FileDescriptor fd;
  private final IoEventLoop loop;
  private final ByteBufAllocator alloc;
  private final Runnable readTask = this::readFrames;
  private Sink sink;
  private Consumer<String> failed;
  /** Bytes of virtio-net header before each frame: 0 or {@link VnetHeader#SIZE}. */
  private int hdr;
  /** The header written before a frame, and the two-entry {@code struct iovec} array. */
  private ByteBuf hdrOut;
  private ByteBuf iov;
  private IoRegistration reg;
  /** The buffer the next frame is read into (MAX_FRAME bytes), null until needed. */
  private ByteBuf spare;
  private boolean readScheduled;
  private boolean closed;

  /** Where the frames read go, on the event loop. */
  interface Sink {
    /**
     * A frame (reader index at its Ethernet header; ownership passes), with the checksum state
     * of its virtio-net header: {@code flags} ({@link VnetHeader#NEEDS_CSUM}, {@link
     * VnetHeader#DATA_VALID}; 0 without a header), and for NEEDS_CSUM where the checksum starts
     * (from the start of the frame) and the offset of its field.
     */
    void frame(ByteBuf frame, int flags, int csumStart, int csumOffset);

    /** A read that is not a frame we take (a GSO packet, a short read), counted as {@code why}. */
    void dropped(String why);
  }

  TapFdLink(int fd, IoEventLoop loop, ByteBufAllocator alloc) {
    this.fd = new FileDescriptor(fd);
    this.loop = loop;
    this.alloc = alloc;
  }

  /**
   * Makes the descriptor non-blocking and registers it with the loop's epoll (call it on the
   * loop): from then on each frame goes to {@code sink} on the loop; {@code failed} is called
   * once when reading stops on an error (the device went away).
   *
   * @throws IOException if the descriptor can't be made non-blocking or registered
   */
  void start(Sink sink, Consumer<String> failed) throws IOException {
    this.sink = sink;
    this.failed = failed;
    if (vnetHeader(fd.intValue())) {
      hdr = VnetHeader.SIZE;
      hdrOut = alloc.directBuffer(VnetHeader.SIZE, VnetHeader.SIZE);
      iov = alloc.directBuffer(IOV_SIZE * 2, IOV_SIZE * 2);
    }
    LibC c = LibC.INSTANCE;
    int fl = c.fcntl(fd.intValue(), F_GETFL, 0);
    if (fl < 0 || c.fcntl(fd.intValue(), F_SETFL, fl | LibC.O_NONBLOCK) < 0) {
      throw new IOException("tap device: can't make descriptor " + fd.intValue()
          + " non-blocking: " + LibC.lastError());
    }
    io.netty.util.concurrent.Future<IoRegistration> f = loop.register(this);
    if (!f.isDone() || !f.isSuccess()) {
      throw new IOException("tap device: can't register descriptor " + fd.intValue()
          + " with the event loop: " + (f.cause() != null ? f.cause().getMessage() : "pending"));
    }
    reg = f.getNow();
    reg.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET));
    // frames may have been queued before the registration: no edge would come for them
    scheduleRead();
  }

  /** Whether {@code fd} is a tap opened with IFF_VNET_HDR; false for anything else (no header). */
  private static boolean vnetHeader(int fd) {
    try {
      return (TapDevice.flags(fd) & TapDevice.IFF_VNET_HDR) != 0;
    } catch (IOException e) {
      return false; // not a tun device (a socket standing in for one): frames as they are
    }
  }

  @Override
  public FileDescriptor fd() {
    return fd;
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    if (closed) return;
    EpollIoOps ops = ((EpollIoEvent) event).ops();
    if (ops.contains(EpollIoOps.EPOLLIN) || ops.contains(EpollIoOps.EPOLLERR)) readFrames();
  }

  private void scheduleRead() {
    if (readScheduled) return;
    readScheduled = true;
    loop.execute(readTask);
  }

  /** Reads frames until the kernel has none left (a read error included) or the budget is used. */
  private void readFrames() {
    readScheduled = false;
    for (int i = 0; i < READ_BUDGET && !closed; i++) {
      if (spare == null) spare = alloc.directBuffer(hdr + MAX_FRAME, hdr + MAX_FRAME);
      int n;
      try {
        java.nio.ByteBuffer b = spare.internalNioBuffer(0, hdr + MAX_FRAME);
        n = fd.read(b, b.position(), b.limit());
      } catch (IOException e) {
        fail(e.getMessage());
        return;
      }
      if (n == 0) return; // EAGAIN: the next edge brings more
      if (n < 0) {
        fail("end of file");
        return;
      }
      int flags = 0;
      int csumStart = 0;
      int csumOffset = 0;
      if (hdr > 0) {
        if (n < hdr) {
          sink.dropped("tap: read shorter than the virtio-net header");
          continue;
        }
        if (VnetHeader.gsoType(spare, 0) != VnetHeader.GSO_NONE) {
          // never sent: we turn no segmentation offload on (TUNSETOFFLOAD)
          sink.dropped("tap: GSO packet");
          continue;
        }
        flags = VnetHeader.flags(spare, 0);
        csumStart = VnetHeader.csumStart(spare, 0);
        csumOffset = VnetHeader.csumOffset(spare, 0);
      }
      ByteBuf frame;
      int len = n - hdr;
      if (len <= COPY_MAX) {
        frame = alloc.directBuffer(len, len).writeBytes(spare, hdr, len);
      } else {
        frame = spare.setIndex(hdr, n);
        spare = null;
      }
      sink.frame(frame, flags, csumStart, csumOffset);
    }
    if (!closed) scheduleRead(); // budget used: more may wait, and no edge comes for them
  }

  private void fail(String why) {
    close();
    failed.accept(why);
  }

  /** Whether frames carry a virtio-net header (checksums may be left to the kernel). */
  boolean hasVnetHeader() {
    return hdr > 0;
  }

  /**
   * Writes one frame, with a complete checksum; the caller keeps ownership of {@code buf}.
   * Returns false if not sent.
   */
  boolean write(ByteBuf buf) throws IOException {
    return write(buf, -1, 0);
  }

  /**
   * Writes one frame whose transport checksum is partial from {@code csumStart} (counted from
   * the start of the frame; negative: none, the checksum is complete), its field at {@code
   * csumOffset} from there: the namespace's kernel completes it. Only with a virtio-net header
   * ({@link #hasVnetHeader}) can a checksum be partial. The caller keeps ownership of {@code
   * buf}. Returns false if not sent.
   */
  boolean write(ByteBuf buf, int csumStart, int csumOffset) throws IOException {
    if (hdr == 0) {
      if (csumStart >= 0) throw new IllegalStateException("partial checksum without a virtio-net header");
      return writeFrame(buf);
    }
    int len = buf.readableBytes();
    VnetHeader.encode(hdrOut, 0, csumStart, csumOffset);
    if (buf.hasMemoryAddress() && hdrOut.hasMemoryAddress() && iov.hasMemoryAddress()) {
      long v = iov.memoryAddress();
      PlatformDependent.putLong(v, hdrOut.memoryAddress());
      PlatformDependent.putLong(v + 8, VnetHeader.SIZE);
      PlatformDependent.putLong(v + 16, buf.memoryAddress() + buf.readerIndex());
      PlatformDependent.putLong(v + 24, len);
      return fd.writevAddresses(v, 2) == VnetHeader.SIZE + len;
    }
    ByteBuf d = alloc.directBuffer(VnetHeader.SIZE + len, VnetHeader.SIZE + len);
    try {
      d.writeBytes(hdrOut, 0, VnetHeader.SIZE).writeBytes(buf, buf.readerIndex(), len);
      return writeFrame(d);
    } finally {
      d.release();
    }
  }

  /** Writes the readable bytes of {@code buf} in one {@code write}. */
  private boolean writeFrame(ByteBuf buf) throws IOException {
    int len = buf.readableBytes();
    if (buf.hasMemoryAddress()) {
      return fd.writeAddress(buf.memoryAddress(), buf.readerIndex(), buf.writerIndex()) == len;
    }
    if (buf.isDirect() && buf.nioBufferCount() == 1) {
      java.nio.ByteBuffer b = buf.nioBuffer();
      return fd.write(b, b.position(), b.limit()) == len;
    }
    ByteBuf d = alloc.directBuffer(len, len);
    try {
      d.writeBytes(buf, buf.readerIndex(), len);
      java.nio.ByteBuffer b = d.internalNioBuffer(0, len);
      return fd.write(b, b.position(), b.limit()) == len;
    } finally {
      d.release();
    }
  }

  /**
   * Stops reading: leaves the loop's epoll (the descriptor stays open: its owner closes it). Also
   * called by Netty when the loop shuts down.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (reg != null) reg.cancel();
    if (spare != null) {
      spare.release();
      spare = null;
    }
    if (hdrOut != null) {
      hdrOut.release();
      iov.release();
      hdrOut = null;
      iov = null;
    }
  }
}
