package io.passt4j.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Partial checksums ({@link Checksum#partial}, {@link Checksum#complete}, the {@code partial}
 * forms of {@link Packets}): a frame built with its checksum left partial and then completed is
 * byte for byte the frame built with the full checksum, for TCP and UDP, both families, empty,
 * odd and 64 KiB payloads; and a completed frame verifies.
 */
class PartialChecksumTest {

  private static final byte[] MAC_A = {2, 0, 0, 0, 0, 1};
  private static final byte[] MAC_B = {2, 0, 0, 0, 0, 2};
  private static final int SRC4 = 0xc6336401; // 198.51.100.1
  private static final int DST4 = 0xc6336402;
  private static final byte[] SRC6 = new byte[16];
  private static final byte[] DST6 = new byte[16];

  static {
    SRC6[0] = 0x20;
    SRC6[1] = 0x01;
    SRC6[2] = 0x0d;
    SRC6[3] = (byte) 0xb8;
    System.arraycopy(SRC6, 0, DST6, 0, 16);
    SRC6[15] = 1;
    DST6[15] = 2;
  }

  private static final int[] LENGTHS = {0, 1, 7, 8, 63, 64, 1399, 1400, 65000 - 60, 65400};

  @FunctionalInterface
  interface Build {
    void build(ByteBuf b, int payloadLen, boolean partial);
  }

  private static void tcp4(ByteBuf b, int len, boolean partial) {
    new Tcp().wrap(b, Packets.TCP4, Tcp.MIN_SIZE + len).set(40000, 80, 123456789, 987654321,
        Tcp.MIN_SIZE, Tcp.ACK | Tcp.PSH, 65535);
    Packets.tcp4(b, MAC_A, MAC_B, SRC4, DST4, Tcp.MIN_SIZE + len, partial);
  }

  private static void tcp6(ByteBuf b, int len, boolean partial) {
    new Tcp().wrap(b, Packets.TCP6, Tcp.MIN_SIZE + len).set(40000, 80, -5, 77, Tcp.MIN_SIZE,
        Tcp.ACK, 1000);
    Packets.tcp6(b, MAC_A, MAC_B, SRC6, DST6, Tcp.MIN_SIZE + len, partial);
  }

  private static void udp4(ByteBuf b, int len, boolean partial) {
    Packets.udp4(b, MAC_A, MAC_B, SRC4, DST4, 5353, 53, len, partial);
  }

  private static void udp6(ByteBuf b, int len, boolean partial) {
    Packets.udp6(b, MAC_A, MAC_B, SRC6, DST6, 5353, 53, len, 0, partial);
  }

  private static void check(String what, Build build, int l4, int field, int payloadOff) {
    Random r = new Random(what.hashCode());
    for (int len : LENGTHS) {
      if (payloadOff - Packets.L3 + len > 0xffff) continue;
      byte[] payload = new byte[len];
      r.nextBytes(payload);
      ByteBuf full = PooledByteBufAllocator.DEFAULT.directBuffer(payloadOff + len);
      ByteBuf part = Unpooled.buffer(payloadOff + len); // a heap buffer: the plain loop
      try {
        full.setBytes(payloadOff, payload);
        part.setBytes(payloadOff, payload);
        build.build(full, len, false);
        build.build(part, len, true);
        Frame f = Frame.withPartialChecksum(part, l4, field);
        assertThat(f.hasPartialChecksum()).isTrue();
        f.completeChecksum();
        assertThat(f.hasPartialChecksum()).isFalse();
        assertThat(ByteBufUtil.hexDump(part)).as("%s, %d bytes of payload", what, len)
            .isEqualTo(ByteBufUtil.hexDump(full));
        Frame c = Frame.classify(part.retain());
        assertThat(c.malformed()).isNull();
        assertThat(c.l4Offset()).isEqualTo(l4);
        c.release();
      } finally {
        full.release();
        part.release();
      }
    }
  }

  @Test
  void completedEqualsFullTcp4() {
    check("tcp4", PartialChecksumTest::tcp4, Packets.TCP4, Tcp.CSUM, Packets.TCP4 + Tcp.MIN_SIZE);
  }

  @Test
  void completedEqualsFullTcp6() {
    check("tcp6", PartialChecksumTest::tcp6, Packets.TCP6, Tcp.CSUM, Packets.TCP6 + Tcp.MIN_SIZE);
  }

  @Test
  void completedEqualsFullUdp4() {
    check("udp4", PartialChecksumTest::udp4, Packets.UDP4, Udp.CSUM, Packets.UDP4_PAYLOAD);
  }

  @Test
  void completedEqualsFullUdp6() {
    check("udp6", PartialChecksumTest::udp6, Packets.UDP6, Udp.CSUM, Packets.UDP6_PAYLOAD);
  }

  @Test
  void partialIsTheFoldedPseudoHeaderSumNotComplemented() {
    long pseudo = Checksum.pseudoHeader4(SRC4, DST4, 6, 20);
    assertThat(Checksum.partial(pseudo)).isEqualTo(0xffff & ~Checksum.fold(pseudo));
    assertThat(Checksum.partial(0x1ffffL)).isEqualTo(1);
    assertThat(Checksum.partial(0)).isEqualTo(0);
  }

  /** A sum of 0xffff complements to 0: stored as 0xffff, the kernel's CSUM_MANGLED_0. */
  @Test
  void aZeroResultIsStoredAsFfff() {
    ByteBuf b = Unpooled.buffer(4);
    b.writeShort(0xffff).writeShort(0); // sums to 0xffff with the field (0) included
    Checksum.complete(b, 0, 2, 4);
    assertThat(b.getUnsignedShort(2)).isEqualTo(0xffff);
  }

  @Test
  void aFieldOutsideTheSummedBytesIsRefused() {
    ByteBuf b = Unpooled.buffer(40).writeZero(40);
    assertThatThrownBy(() -> Checksum.complete(b, 20, 16, 37))
        .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("20 + 16");
    assertThatThrownBy(() -> Checksum.complete(b, 0, 6, 41))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
