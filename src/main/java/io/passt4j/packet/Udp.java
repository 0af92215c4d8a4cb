package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of a UDP header (RFC 768).
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   Source Port   |  Dest. Port     |
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * </pre>
 */
public final class Udp {

  public static final int SIZE = 8;

  private static final int SRC_PORT = 0;
  private static final int DST_PORT = 2;
  private static final int LENGTH = 4;
  /** Offset of the checksum field in the header. */
  public static final int CSUM = 6;

  private ByteBuf buf;
  private int off;

  public Udp wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** {@code len} bytes (what the IP header says follows) hold the datagram the header announces. */
  public boolean isValid(int len) {
    return len >= SIZE && length() >= SIZE && length() <= len;
  }

  public int sourcePort() {
    return buf.getUnsignedShort(off + SRC_PORT);
  }

  public int destinationPort() {
    return buf.getUnsignedShort(off + DST_PORT);
  }

  public int length() {
    return buf.getUnsignedShort(off + LENGTH);
  }

  public int checksum() {
    return buf.getUnsignedShort(off + CSUM);
  }

  public int payloadOffset() {
    return off + SIZE;
  }

  public int payloadLength() {
    return length() - SIZE;
  }

  /** Writes ports and length; the checksum is set to zero (see {@link #setChecksum(long)}). */
  public void set(int srcPort, int dstPort, int payloadLen) {
    buf.setShort(off + SRC_PORT, srcPort);
    buf.setShort(off + DST_PORT, dstPort);
    buf.setShort(off + LENGTH, SIZE + payloadLen);
    buf.setShort(off + CSUM, 0);
  }

  /** Computes the checksum over header and payload, starting from a pseudo-header sum. */
  public void setChecksum(long pseudoHeaderSum) {
    buf.setShort(off + CSUM, 0);
    int c = Checksum.fold(Checksum.sum(buf, off, length(), pseudoHeaderSum));
    buf.setShort(off + CSUM, c == 0 ? 0xffff : c);
  }

  /**
   * Stores the partial checksum, the folded pseudo-header sum, for the endpoint (or the
   * namespace's kernel) to complete over the datagram ({@link Checksum#complete}).
   */
  public void setPartialChecksum(long pseudoHeaderSum) {
    buf.setShort(off + CSUM, Checksum.partial(pseudoHeaderSum));
  }

  /** The checksum verifies; a zero checksum (none, IPv4 only) is accepted when {@code zeroOk}. */
  public boolean isChecksumValid(long pseudoHeaderSum, boolean zeroOk) {
    if (checksum() == 0) return zeroOk;
    return Checksum.fold(Checksum.sum(buf, off, length(), pseudoHeaderSum)) == 0;
  }
}
