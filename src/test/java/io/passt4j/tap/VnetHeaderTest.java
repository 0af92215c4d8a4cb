package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** {@link VnetHeader}: the bytes of {@code struct virtio_net_hdr} (little-endian), both ways. */
class VnetHeaderTest {

  @Test
  void aPartialTcpChecksum() {
    ByteBuf b = Unpooled.buffer(16).writeZero(16);
    b.setByte(3, 0x55); // stale bytes are overwritten
    VnetHeader.encode(b, 3, 34, 16);
    // flags NEEDS_CSUM, gso_type NONE, hdr_len 52, gso_size 0, csum_start 34, csum_offset 16
    assertThat(ByteBufUtil.hexDump(b, 3, VnetHeader.SIZE)).isEqualTo("01003400000022001000");
    assertThat(VnetHeader.flags(b, 3)).isEqualTo(VnetHeader.NEEDS_CSUM);
    assertThat(VnetHeader.gsoType(b, 3)).isEqualTo(VnetHeader.GSO_NONE);
    assertThat(VnetHeader.hdrLen(b, 3)).isEqualTo(52);
    assertThat(VnetHeader.gsoSize(b, 3)).isZero();
    assertThat(VnetHeader.csumStart(b, 3)).isEqualTo(34);
    assertThat(VnetHeader.csumOffset(b, 3)).isEqualTo(16);
  }

  @Test
  void aCompleteChecksumIsAllZero() {
    ByteBuf b = Unpooled.buffer(10).writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    VnetHeader.encode(b, 0, -1, 0);
    assertThat(ByteBufUtil.hexDump(b)).isEqualTo("00000000000000000000");
  }

  /** What the kernel writes (virtio_net_hdr_from_skb): a GSO header and an IPv6 UDP partial one. */
  @Test
  void decodesWhatTheKernelWrites() {
    ByteBuf b = Unpooled.wrappedBuffer(new byte[] {1, 4, 74, 0, (byte) 0xa0, 5, 54, 0, 6, 0});
    assertThat(VnetHeader.flags(b, 0)).isEqualTo(VnetHeader.NEEDS_CSUM);
    assertThat(VnetHeader.gsoType(b, 0)).isEqualTo(4); // VIRTIO_NET_HDR_GSO_TCPV6
    assertThat(VnetHeader.hdrLen(b, 0)).isEqualTo(74);
    assertThat(VnetHeader.gsoSize(b, 0)).isEqualTo(1440);
    assertThat(VnetHeader.csumStart(b, 0)).isEqualTo(54);
    assertThat(VnetHeader.csumOffset(b, 0)).isEqualTo(6);
    ByteBuf v = Unpooled.wrappedBuffer(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    assertThat(VnetHeader.flags(v, 0)).isEqualTo(VnetHeader.DATA_VALID);
  }
}
