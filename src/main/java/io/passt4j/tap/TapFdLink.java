package io.passt4j.tap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The raw tap framing (pasta): one {@code read()} of the tap descriptor is one Ethernet frame, one
 * {@code write()} sends one; no length prefix. Netty has no channel for a character device, so a
 * dedicated thread reads in blocking mode and hands the frames to the event loop in batches
 * (whatever arrived while the loop was busy is handled in one task); writes happen on the event
 * loop, as a tap write never blocks (the kernel queues or drops).
 */
final class TapFdLink {

  /** Largest frame read: the 65535-byte IP packet pasta's MTU allows, plus the Ethernet header. */
  static final int MAX_FRAME = 65535 + 14;
  /** Frames queued for the event loop beyond which the reader drops (the loop is far behind). */
  private static final int MAX_QUEUED = 4096;

  private final FileDescriptor fd;
  private final EventLoop loop;
  private final ByteBufAllocator alloc;
  private final Queue<ByteBuf> queue = PlatformDependent.newMpscQueue();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private volatile boolean closed;
  private Thread reader;

  TapFdLink(int fd, EventLoop loop, ByteBufAllocator alloc) {
    this.fd = new FileDescriptor(fd);
    this.loop = loop;
    this.alloc = alloc;
  }

  /**
   * Starts the reader: each frame goes to {@code sink} on the event loop; {@code overrun} is
   * called (on the loop) for each frame dropped because the queue was full; {@code failed} once
   * when reading stops on an error (the device went away).
   */
  void start(Consumer<ByteBuf> sink, Runnable overrun, Consumer<String> failed) {
    reader = new Thread(() -> read(sink, overrun, failed), "passt4j-tap-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void read(Consumer<ByteBuf> sink, Runnable overrun, Consumer<String> failed) {
    ByteBuf scratch = alloc.directBuffer(MAX_FRAME, MAX_FRAME);
    java.nio.ByteBuffer nio = scratch.nioBuffer(0, MAX_FRAME);
    try {
      while (!closed) {
        int n;
        try {
          n = fd.read(nio, 0, MAX_FRAME);
        } catch (IOException e) {
          if (!closed) onLoop(() -> failed.accept(e.getMessage()));
          return;
        }
        if (closed) return;
        if (n <= 0) {
          onLoop(() -> failed.accept("end of file"));
          return;
        }
        if (queue.size() >= MAX_QUEUED) {
          if (!onLoop(overrun)) return;
          continue;
        }
        ByteBuf frame = alloc.directBuffer(n, n);
        frame.writeBytes(scratch, 0, n);
        queue.add(frame);
        if (drainScheduled.compareAndSet(false, true) && !onLoop(() -> drain(sink))) {
          close();
          return;
        }
      }
    } finally {
      scratch.release();
    }
  }

  /** Hands {@code task} to the event loop; false once the loop is gone (shutting down). */
  private boolean onLoop(Runnable task) {
    try {
      loop.execute(task);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return false;
    }
  }

  private void drain(Consumer<ByteBuf> sink) {
    drainScheduled.set(false);
    ByteBuf f;
    while ((f = queue.poll()) != null) {
      if (closed) f.release();
      else sink.accept(f);
    }
  }

  /** Writes one frame; the caller keeps ownership of {@code buf}. Returns false if not sent. */
  boolean write(ByteBuf buf) throws IOException {
    int len = buf.readableBytes();
    if (buf.isDirect() && buf.nioBufferCount() == 1) {
      java.nio.ByteBuffer b = buf.nioBuffer();
      return fd.write(b, b.position(), b.limit()) == len;
    }
    ByteBuf d = alloc.directBuffer(len, len);
    try {
      d.writeBytes(buf, buf.readerIndex(), len);
      java.nio.ByteBuffer b = d.nioBuffer();
      return fd.write(b, b.position(), b.limit()) == len;
    } finally {
      d.release();
    }
  }

  /** Stops handing frames on; the reader thread ends at its next frame or with the process. */
  void close() {
    closed = true;
    ByteBuf f;
    while ((f = queue.poll()) != null) f.release();
  }
}
