package io.passt4j.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Checksum#sum} (32-bit halves, native-order reads of direct memory) against the RFC 1071
 * definition written out (big-endian 16-bit words, an odd last byte as the high half), on every
 * kind of buffer, odd and even offsets, short and 64 KiB lengths, and running sums carried in.
 */
class ChecksumTest {

  private final List<ByteBuf> buffers = new ArrayList<>();

  @AfterEach
  void release() {
    for (ByteBuf b : buffers) b.release();
  }

  /** The definition: 16-bit words, one's complement sum, complemented. */
  private static int reference(byte[] data, int off, int len, long carried) {
    long s = carried;
    for (int i = 0; i + 1 < len; i += 2) {
      s += ((data[off + i] & 0xff) << 8) | (data[off + i + 1] & 0xff);
    }
    if ((len & 1) != 0) s += (data[off + len - 1] & 0xff) << 8;
    while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
    return (int) (~s & 0xffff);
  }

  private ByteBuf keep(ByteBuf b) {
    buffers.add(b);
    return b;
  }

  private List<Function<byte[], ByteBuf>> kinds() {
    return List.of(
        d -> keep(Unpooled.wrappedBuffer(d.clone())),
        d -> keep(Unpooled.directBuffer(d.length).writeBytes(d)),
        d -> keep(PooledByteBufAllocator.DEFAULT.directBuffer(d.length).writeBytes(d)),
        d -> {
          int half = d.length / 2;
          CompositeByteBuf c = Unpooled.compositeBuffer();
          c.addComponent(true, Unpooled.directBuffer(half).writeBytes(d, 0, half));
          c.addComponent(true, Unpooled.wrappedBuffer(d, half, d.length - half));
          return keep(c);
        });
  }

  @Test
  void matchesTheDefinitionOnEveryKindOfBuffer() {
    Random r = new Random(20261128);
    int[] lengths = {0, 1, 2, 3, 7, 8, 9, 20, 40, 63, 64, 65, 71, 72, 1499, 1500, 9001, 65535};
    for (int round = 0; round < 40; round++) {
      byte[] data = new byte[65535 + 16];
      // all-ones data makes every carry happen; zeros the other edge
      if (round == 0) java.util.Arrays.fill(data, (byte) 0xff);
      else if (round != 1) r.nextBytes(data);
      for (Function<byte[], ByteBuf> kind : kinds()) {
        ByteBuf b = kind.apply(data);
        for (int len : lengths) {
          int off = r.nextInt(16);
          long carried = round % 3 == 0 ? 0 : r.nextInt(1 << 20);
          int got = Checksum.fold(Checksum.sum(b, off, len, carried));
          assertThat(got).as("round %d, %s, off %d, len %d, carried %d", round,
              b.getClass().getSimpleName(), off, len, carried)
              .isEqualTo(reference(data, off, len, carried));
        }
      }
    }
  }

  @Test
  void aComputedChecksumVerifies() {
    Random r = new Random(7);
    for (int len : new int[] {20, 64, 1460, 65495}) {
      byte[] data = new byte[len];
      r.nextBytes(data);
      ByteBuf b = keep(PooledByteBufAllocator.DEFAULT.directBuffer(len).writeBytes(data));
      long pseudo = Checksum.pseudoHeader4(0xc6336402, 0xc6336401, 6, len);
      b.setShort(16, 0);
      b.setShort(16, Checksum.fold(Checksum.sum(b, 0, len, pseudo)));
      assertThat(Checksum.fold(Checksum.sum(b, 0, len, pseudo))).as("len %d", len).isZero();
      b.setByte(len - 1, b.getByte(len - 1) ^ 0x10);
      assertThat(Checksum.fold(Checksum.sum(b, 0, len, pseudo))).isNotZero();
    }
  }

  @Test
  void outOfBoundsIsAnErrorNotARead() {
    ByteBuf b = keep(Unpooled.directBuffer(128).writeZero(128));
    assertThatThrownBy(() -> Checksum.sum(b, 100, 64, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Checksum.sum(b, -8, 64, 0))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
