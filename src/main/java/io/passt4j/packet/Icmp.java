package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of an ICMP (RFC 792) or ICMPv6 (RFC 4443) header: both share the first 4 bytes, and
 * echo messages carry an identifier and a sequence number in the next 4.
 *
 * <pre>
 *  0       8      16              31
 * +-------+-------+---------------+
 * | Type  | Code  |   Checksum    |
 * |  Identifier   |   Sequence    |   (echo request / reply)
 * +-------+-------+---------------+
 * </pre>
 */
public final class Icmp {

  /** Size of the header including the 4-byte rest (identifier, sequence, or unused). */
  public static final int SIZE = 8;

  public static final int V4_ECHO_REPLY = 0;
  public static final int V4_DEST_UNREACHABLE = 3;
  public static final int V4_ECHO_REQUEST = 8;
  public static final int V6_DEST_UNREACHABLE = 1;
  public static final int V6_PARAMETER_PROBLEM = 4;
  public static final int V6_ECHO_REQUEST = 128;
  public static final int V6_ECHO_REPLY = 129;
  public static final int V6_ROUTER_SOLICITATION = 133;
  public static final int V6_ROUTER_ADVERTISEMENT = 134;
  public static final int V6_NEIGHBOR_SOLICITATION = 135;
  public static final int V6_NEIGHBOR_ADVERTISEMENT = 136;

  private static final int TYPE = 0;
  private static final int CODE = 1;
  private static final int CSUM = 2;
  private static final int ID = 4;
  private static final int SEQ = 6;

  private ByteBuf buf;
  private int off;

  public Icmp wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  public static boolean isValid(int len) {
    return len >= SIZE;
  }

  public int type() {
    return buf.getUnsignedByte(off + TYPE);
  }

  public int code() {
    return buf.getUnsignedByte(off + CODE);
  }

  public int checksum() {
    return buf.getUnsignedShort(off + CSUM);
  }

  public int identifier() {
    return buf.getUnsignedShort(off + ID);
  }

  public int sequence() {
    return buf.getUnsignedShort(off + SEQ);
  }

  public void setType(int t) {
    buf.setByte(off + TYPE, t);
  }

  public void setCode(int c) {
    buf.setByte(off + CODE, c);
  }

  public void setIdentifier(int id) {
    buf.setShort(off + ID, id);
  }

  /** The message of {@code len} bytes checksums to zero from {@code initialSum}. */
  public boolean isChecksumValid(int len, long initialSum) {
    return Checksum.fold(Checksum.sum(buf, off, len, initialSum)) == 0;
  }

  /** Computes the checksum of a {@code len}-byte message (pseudo-header sum 0 for ICMPv4). */
  public void setChecksum(int len, long initialSum) {
    buf.setShort(off + CSUM, 0);
    buf.setShort(off + CSUM, Checksum.fold(Checksum.sum(buf, off, len, initialSum)));
  }
}
