package io.passt4j.tap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.function.LongConsumer;

/**
 * qemu's stream framing: each Ethernet frame is preceded by its length as a 4-byte big-endian
 * integer. A length no Ethernet frame can have means the stream is broken: we say so and close
 * it, as there is no way to find the next frame boundary.
 *
 * <p>A frame that lies whole in one read is emitted as a retained slice of the read buffer (no
 * copy). Only a frame cut by the end of a read is copied, into a buffer of exactly its length,
 * which the following reads complete. (Netty's cumulating decoder copied every read that
 * followed a cut frame, all of it: with 64 KiB frames and 64 KiB reads, every byte from the
 * guest once more.)
 */
public final class QemuStreamDecoder extends ChannelInboundHandlerAdapter {

  /**
   * Largest frame: the largest IPv6 packet (40-byte header plus a 65535-byte payload) plus the
   * Ethernet header; IPv4 packets are smaller.
   */
  public static final int MAX_FRAME = 14 + 40 + 65535;

  private final LongConsumer badLength;
  /** Bytes of a length prefix cut by the end of a read. */
  private int header;
  private int headerBytes;
  /** A frame cut by the end of a read, being completed (its capacity is its length). */
  private ByteBuf partial;
  private boolean broken;

  /**
   * {@code badLength} hears of an impossible length (the prefix as sent: an unsigned 32-bit
   * value) before the stream is closed.
   */
  public QemuStreamDecoder(LongConsumer badLength) {
    this.badLength = badLength;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      decode(ctx, in);
    } finally {
      in.release();
    }
  }

  private void decode(ChannelHandlerContext ctx, ByteBuf in) {
    while (!broken && in.isReadable()) {
      if (partial != null) {
        int n = Math.min(partial.writableBytes(), in.readableBytes());
        partial.writeBytes(in, n);
        if (!partial.isWritable()) {
          ByteBuf f = partial;
          partial = null;
          ctx.fireChannelRead(f);
        }
        continue;
      }
      long len;
      if (headerBytes == 0 && in.readableBytes() >= 4) {
        len = in.readUnsignedInt();
      } else {
        while (headerBytes < 4 && in.isReadable()) {
          header = (header << 8) | in.readUnsignedByte();
          headerBytes++;
        }
        if (headerBytes < 4) return;
        len = header & 0xffffffffL;
        header = 0;
        headerBytes = 0;
      }
      if (len > MAX_FRAME) {
        broken = true;
        badLength.accept(len);
        ctx.close();
        return;
      }
      int l = (int) len;
      if (in.readableBytes() >= l) {
        ctx.fireChannelRead(in.readRetainedSlice(l));
      } else {
        partial = ctx.alloc().directBuffer(l, l);
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    dropPartial();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    dropPartial();
  }

  private void dropPartial() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }
}
