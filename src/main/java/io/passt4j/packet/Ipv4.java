package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of an IPv4 header (RFC 791).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv4 {

  /** Size of a header without options. */
  public static final int MIN_SIZE = 20;
  /** The Don't Fragment flag in the flags/fragment-offset word. */
  public static final int FLAG_DF = 0x4000;
  /** The More Fragments flag. */
  public static final int FLAG_MF = 0x2000;

  private static final int VER_IHL = 0;
  private static final int TOS = 1;
  private static final int TOTAL_LEN = 2;
  private static final int ID = 4;
  private static final int FRAG = 6;
  private static final int TTL = 8;
  private static final int PROTO = 9;
  private static final int CSUM = 10;
  private static final int SRC = 12;
  private static final int DST = 16;

  private ByteBuf buf;
  private int off;

  public Ipv4 wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /**
   * {@code len} bytes (from the header on) hold a well-formed header: version 4, header length
   * within the total length, total length within {@code len}. Call before any other accessor on
   * untrusted input.
   */
  public boolean isValid(int len) {
    if (len < MIN_SIZE) return false;
    int vi = buf.getUnsignedByte(off + VER_IHL);
    int hl = (vi & 0xf) * 4;
    int total = totalLength();
    return (vi >> 4) == 4 && hl >= MIN_SIZE && total >= hl && total <= len;
  }

  public int headerLength() {
    return (buf.getUnsignedByte(off + VER_IHL) & 0xf) * 4;
  }

  public int tos() {
    return buf.getUnsignedByte(off + TOS);
  }

  public int totalLength() {
    return buf.getUnsignedShort(off + TOTAL_LEN);
  }

  public int identification() {
    return buf.getUnsignedShort(off + ID);
  }

  /** Flags and fragment offset word. */
  public int flagsFragment() {
    return buf.getUnsignedShort(off + FRAG);
  }

  /** This is a fragment (MF set or a non-zero offset). */
  public boolean isFragment() {
    return (flagsFragment() & 0x3fff) != 0;
  }

  public int ttl() {
    return buf.getUnsignedByte(off + TTL);
  }

  public int protocol() {
    return buf.getUnsignedByte(off + PROTO);
  }

  public int checksum() {
    return buf.getUnsignedShort(off + CSUM);
  }

  public int source() {
    return buf.getInt(off + SRC);
  }

  public int destination() {
    return buf.getInt(off + DST);
  }

  public int payloadOffset() {
    return off + headerLength();
  }

  public int payloadLength() {
    return totalLength() - headerLength();
  }

  /** The header checksum verifies. */
  public boolean isChecksumValid() {
    return Checksum.compute(buf, off, headerLength()) == 0;
  }

  /**
   * Writes a 20-byte header (no flags, as passt sends: no DF) and computes its checksum.
   *
   * @param payloadLen bytes after the header
   */
  public void set(int tos, int id, int ttl, int protocol, int src, int dst, int payloadLen) {
    buf.setByte(off + VER_IHL, 0x45);
    buf.setByte(off + TOS, tos);
    buf.setShort(off + TOTAL_LEN, MIN_SIZE + payloadLen);
    buf.setShort(off + ID, id);
    buf.setShort(off + FRAG, 0);
    buf.setByte(off + TTL, ttl);
    buf.setByte(off + PROTO, protocol);
    buf.setShort(off + CSUM, 0);
    buf.setInt(off + SRC, src);
    buf.setInt(off + DST, dst);
    buf.setShort(off + CSUM, Checksum.compute(buf, off, MIN_SIZE));
  }

  /** The pseudo-header sum for this packet's transport checksum. */
  public long pseudoHeaderSum() {
    return Checksum.pseudoHeader4(source(), destination(), protocol(), payloadLength());
  }
}
