package io.passt4j.tap;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes guest-facing frames, both directions, to a classic pcap file (Ethernet link type), as
 * passt's {@code --pcap} does. Writes are synchronous: this is a debugging aid, like passt's.
 */
public final class PcapWriter implements AutoCloseable {

  /** Link type of Ethernet frames. */
  public static final int LINKTYPE_ETHERNET = 1;
  /** Snapshot length: whole frames. */
  public static final int SNAPLEN = 65535;

  private final FileChannel ch;
  private final ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());

  public PcapWriter(Path path) throws IOException {
    ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
    h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
        .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET).flip();
    while (h.hasRemaining()) ch.write(h);
  }

  /** Appends one frame (the readable bytes of {@code frame}, which is left untouched). */
  public void write(ByteBuf frame) throws IOException {
    // Wall clock to the microsecond (milliseconds plus an unrelated clock's microseconds, as
    // before, gave timestamps up to a millisecond off and out of order).
    java.time.Instant now = java.time.Instant.now();
    int len = frame.readableBytes();
    int incl = Math.min(len, SNAPLEN);
    rec.clear();
    rec.putInt((int) now.getEpochSecond()).putInt(now.getNano() / 1000).putInt(incl).putInt(len)
        .flip();
    while (rec.hasRemaining()) ch.write(rec);
    ByteBuffer data = frame.nioBuffer(frame.readerIndex(), incl);
    while (data.hasRemaining()) ch.write(data);
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
