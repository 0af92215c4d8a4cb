package io.passt4j.plugins.sctp;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32C;

/**
 * A view of an SCTP packet (RFC 9260 §3): the common header and its chunks.
 *
 * <pre>
 *  0                   1                   2                   3
 * +-------------------------------+-------------------------------+
 * |     Source Port Number        |     Destination Port Number   |
 * |                      Verification Tag                         |
 * |                   Checksum (CRC32c, RFC 9260 App. A)          |
 * +---------------+---------------+-------------------------------+
 * |  Chunk Type   |  Chunk Flags  |         Chunk Length          |   repeated, each
 * |                    Chunk Value (padded to 4)                  |   padded to 4 bytes
 * +---------------------------------------------------------------+
 * </pre>
 */
final class Sctp {

  /** Size of the common header. */
  static final int COMMON_HEADER_SIZE = 12;
  /** Size of a chunk header. */
  static final int CHUNK_HEADER_SIZE = 4;
  /** Chunk type of INIT. */
  static final int INIT = 1;

  private static final int SRC_PORT = 0;
  private static final int DST_PORT = 2;
  private static final int VTAG = 4;
  private static final int CSUM = 8;

  private final CRC32C crc = new CRC32C();
  private ByteBuf buf;
  private int off;
  private int len;

  Sctp wrap(ByteBuf buf, int off, int len) {
    this.buf = buf;
    this.off = off;
    this.len = len;
    return this;
  }

  int sourcePort() {
    return buf.getUnsignedShort(off + SRC_PORT);
  }

  int destinationPort() {
    return buf.getUnsignedShort(off + DST_PORT);
  }

  long verificationTag() {
    return buf.getUnsignedInt(off + VTAG);
  }

  /** Type of the first chunk (valid after {@link #validate()} returned null). */
  int firstChunkType() {
    return buf.getUnsignedByte(off + COMMON_HEADER_SIZE);
  }

  /**
   * Checks the common header and every chunk header of untrusted input; returns null when the
   * packet is well formed, else the drop reason (a constant).
   */
  String validate() {
    if (len < COMMON_HEADER_SIZE) return "short SCTP common header";
    if (len == COMMON_HEADER_SIZE) return "no SCTP chunks";
    int pos = COMMON_HEADER_SIZE;
    while (pos < len) { // each pass moves at least 4 bytes: bounded by len / 4
      if (len - pos < CHUNK_HEADER_SIZE) return "truncated SCTP chunk header";
      int chunkLen = buf.getUnsignedShort(off + pos + 2);
      if (chunkLen < CHUNK_HEADER_SIZE) return "bad SCTP chunk length";
      if (chunkLen > len - pos) return "truncated SCTP chunk";
      pos += (chunkLen + 3) & ~3;
    }
    return isChecksumValid() ? null : "bad SCTP checksum";
  }

  /** Whether the CRC32c of the packet, with the checksum field as zero, matches the field. */
  boolean isChecksumValid() {
    return computeChecksum() == buf.getIntLE(off + CSUM);
  }

  /** Sets the checksum field (stored least significant byte first, as RFC 9260 App. A does). */
  void setChecksum() {
    buf.setIntLE(off + CSUM, computeChecksum());
  }

  private int computeChecksum() {
    crc.reset();
    crc.update(buf.nioBuffer(off, CSUM));
    crc.update(ZEROS, 0, 4);
    crc.update(buf.nioBuffer(off + COMMON_HEADER_SIZE, len - COMMON_HEADER_SIZE));
    return (int) crc.getValue();
  }

  private static final byte[] ZEROS = new byte[4];
}
