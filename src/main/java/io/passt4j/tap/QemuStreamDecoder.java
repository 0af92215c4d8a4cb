package io.passt4j.tap;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * qemu's stream framing: each Ethernet frame is preceded by its length as a 4-byte big-endian
 * integer. Emits each frame as a retained slice of the read buffer (no copy). A length no
 * Ethernet frame can have means the stream is broken: we say so and close it, as there is no way
 * to find the next frame boundary.
 */
public final class QemuStreamDecoder extends ByteToMessageDecoder {

  /**
   * Largest frame: the largest IPv6 packet (40-byte header plus a 65535-byte payload) plus the
   * Ethernet header; IPv4 packets are smaller.
   */
  public static final int MAX_FRAME = 14 + 40 + 65535;

  private final LongConsumer badLength;

  /**
   * {@code badLength} hears of an impossible length (the prefix as sent: an unsigned 32-bit
   * value) before the stream is closed.
   */
  public QemuStreamDecoder(LongConsumer badLength) {
    this.badLength = badLength;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (in.readableBytes() >= 4) {
      long len = in.getUnsignedInt(in.readerIndex());
      if (len > MAX_FRAME) {
        badLength.accept(len);
        in.skipBytes(in.readableBytes());
        ctx.close();
        return;
      }
      if (in.readableBytes() < 4 + len) return;
      in.skipBytes(4);
      out.add(in.readRetainedSlice((int) len));
    }
  }
}
