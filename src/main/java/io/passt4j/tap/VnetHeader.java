package io.passt4j.tap;

import io.netty.buffer.ByteBuf;

/**
 * The {@code struct virtio_net_hdr} (10 bytes, little-endian: the kernel's order for a tap on a
 * little-endian machine) before each frame of a tap opened with {@code IFF_VNET_HDR}: {@code
 * flags} (u8), {@code gso_type} (u8), {@code hdr_len}, {@code gso_size}, {@code csum_start},
 * {@code csum_offset} (u16 each). We use its checksum part only (no segmentation offload):
 * {@link #NEEDS_CSUM} says the transport checksum at {@code csum_start + csum_offset} (from the
 * start of the frame) holds the pseudo-header sum and is still to be computed over the bytes from
 * {@code csum_start} to the end; {@link #DATA_VALID} (from the kernel only) that it verified the
 * checksum already.
 */
final class VnetHeader {

  static final int SIZE = 10;
  /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}. */
  static final int NEEDS_CSUM = 1;
  /** {@code VIRTIO_NET_HDR_F_DATA_VALID}. */
  static final int DATA_VALID = 2;
  /** {@code VIRTIO_NET_HDR_GSO_NONE}. */
  static final int GSO_NONE = 0;

  private static final int FLAGS = 0;
  private static final int GSO_TYPE = 1;
  private static final int HDR_LEN = 2;
  private static final int GSO_SIZE = 4;
  private static final int CSUM_START = 6;
  private static final int CSUM_OFFSET = 8;

  private VnetHeader() {}

  /**
   * Writes a header at absolute index {@code at} of {@code b}: with {@code csumStart} negative,
   * all zero (a frame with a complete checksum); else {@link #NEEDS_CSUM} with the checksum
   * start (from the start of the frame) and field offset, and {@code hdr_len} covering the field
   * (what the kernel copies into the packet's head).
   */
  static void encode(ByteBuf b, int at, int csumStart, int csumOffset) {
    b.setLong(at, 0);
    b.setShort(at + CSUM_OFFSET, 0);
    if (csumStart < 0) return;
    b.setByte(at + FLAGS, NEEDS_CSUM);
    b.setShortLE(at + HDR_LEN, csumStart + csumOffset + 2);
    b.setShortLE(at + CSUM_START, csumStart);
    b.setShortLE(at + CSUM_OFFSET, csumOffset);
  }

  static int flags(ByteBuf b, int at) {
    return b.getUnsignedByte(at + FLAGS);
  }

  static int gsoType(ByteBuf b, int at) {
    return b.getUnsignedByte(at + GSO_TYPE);
  }

  static int gsoSize(ByteBuf b, int at) {
    return b.getUnsignedShortLE(at + GSO_SIZE);
  }

  static int hdrLen(ByteBuf b, int at) {
    return b.getUnsignedShortLE(at + HDR_LEN);
  }

  static int csumStart(ByteBuf b, int at) {
    return b.getUnsignedShortLE(at + CSUM_START);
  }

  static int csumOffset(ByteBuf b, int at) {
    return b.getUnsignedShortLE(at + CSUM_OFFSET);
  }
}
