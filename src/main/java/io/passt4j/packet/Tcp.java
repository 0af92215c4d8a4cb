package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of a TCP header (RFC 9293, formerly RFC 793) and its MSS and window scale options
 * (RFC 7323).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * |                        Sequence Number                        |
 * |                    Acknowledgment Number                      |
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * |           Checksum            |         Urgent Pointer        |
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Call {@link #isValid(int)} on untrusted input before anything else; {@link
 * #parseOptions()} walks the options within the header only and reports a malformed list.
 */
public final class Tcp {

  /** Size of a header without options. */
  public static final int MIN_SIZE = 20;
  /** Largest header: data offset 15. */
  public static final int MAX_SIZE = 60;

  public static final int FIN = 0x01;
  public static final int SYN = 0x02;
  public static final int RST = 0x04;
  public static final int PSH = 0x08;
  public static final int ACK = 0x10;
  public static final int URG = 0x20;

  /** Option kinds. */
  public static final int OPT_EOL = 0;
  public static final int OPT_NOP = 1;
  public static final int OPT_MSS = 2;
  public static final int OPT_WSCALE = 3;
  /** Largest window shift (RFC 7323, 2.3). */
  public static final int MAX_WSCALE = 14;

  private static final int SRC_PORT = 0;
  private static final int DST_PORT = 2;
  private static final int SEQ = 4;
  private static final int ACK_NO = 8;
  private static final int OFF_FLAGS = 12;
  private static final int WINDOW = 14;
  /** Offset of the checksum field in the header. */
  public static final int CSUM = 16;
  private static final int URG_PTR = 18;

  private ByteBuf buf;
  private int off;
  private int len;
  /** From {@link #parseOptions()}: MSS option value, or -1. */
  private int mss = -1;
  /** From {@link #parseOptions()}: window scale option value, or -1. */
  private int wscale = -1;

  /** Wraps {@code len} bytes from {@code off}: the whole segment, header and payload. */
  public Tcp wrap(ByteBuf buf, int off, int len) {
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.mss = -1;
    this.wscale = -1;
    return this;
  }

  /** The header, with its options, fits in the segment's {@code len} bytes. */
  public boolean isValid(int len) {
    if (len < MIN_SIZE || len != this.len) return false;
    int hl = headerLength();
    return hl >= MIN_SIZE && hl <= len;
  }

  public int sourcePort() {
    return buf.getUnsignedShort(off + SRC_PORT);
  }

  public int destinationPort() {
    return buf.getUnsignedShort(off + DST_PORT);
  }

  /** Sequence number, as an unsigned 32-bit value in an int (compare with {@link #seqLt}). */
  public int seq() {
    return buf.getInt(off + SEQ);
  }

  public int ackNumber() {
    return buf.getInt(off + ACK_NO);
  }

  public int headerLength() {
    return (buf.getUnsignedByte(off + OFF_FLAGS) >> 4) * 4;
  }

  /** The flag bits (CWR..FIN). */
  public int flags() {
    return buf.getUnsignedByte(off + OFF_FLAGS + 1);
  }

  public boolean has(int flag) {
    return (flags() & flag) != 0;
  }

  public int window() {
    return buf.getUnsignedShort(off + WINDOW);
  }

  public int checksum() {
    return buf.getUnsignedShort(off + CSUM);
  }

  public int urgentPointer() {
    return buf.getUnsignedShort(off + URG_PTR);
  }

  public int payloadOffset() {
    return off + headerLength();
  }

  public int payloadLength() {
    return len - headerLength();
  }

  /** The checksum verifies, given the pseudo-header sum. */
  public boolean isChecksumValid(long pseudoHeaderSum) {
    return Checksum.fold(Checksum.sum(buf, off, len, pseudoHeaderSum)) == 0;
  }

  /**
   * Walks the options. Returns false for a malformed list (a length below 2, past the header,
   * or an MSS or window scale option of the wrong length); {@link #mss()} and {@link #wscale()}
   * then hold what was found.
   */
  public boolean parseOptions() {
    mss = -1;
    wscale = -1;
    int p = off + MIN_SIZE;
    int end = off + headerLength();
    while (p < end) {
      int kind = buf.getUnsignedByte(p);
      if (kind == OPT_EOL) break;
      if (kind == OPT_NOP) {
        p++;
        continue;
      }
      if (p + 1 >= end) return false;
      int olen = buf.getUnsignedByte(p + 1);
      if (olen < 2 || p + olen > end) return false;
      if (kind == OPT_MSS) {
        if (olen != 4) return false;
        mss = buf.getUnsignedShort(p + 2);
      } else if (kind == OPT_WSCALE) {
        if (olen != 3) return false;
        wscale = buf.getUnsignedByte(p + 2);
      }
      p += olen;
    }
    return true;
  }

  /** The MSS option's value after {@link #parseOptions()}, or -1 when absent. */
  public int mss() {
    return mss;
  }

  /** The window scale option's value after {@link #parseOptions()}, or -1 when absent. */
  public int wscale() {
    return wscale;
  }

  /**
   * Writes a header of {@code headerLen} bytes (20, or more with options the caller writes at
   * {@link #optionsOffset()}); the checksum is zero until {@link #setChecksum(long)}.
   */
  public void set(int srcPort, int dstPort, int seq, int ack, int headerLen, int flags,
      int window) {
    buf.setShort(off + SRC_PORT, srcPort);
    buf.setShort(off + DST_PORT, dstPort);
    buf.setInt(off + SEQ, seq);
    buf.setInt(off + ACK_NO, ack);
    buf.setByte(off + OFF_FLAGS, (headerLen / 4) << 4);
    buf.setByte(off + OFF_FLAGS + 1, flags);
    buf.setShort(off + WINDOW, window);
    buf.setShort(off + CSUM, 0);
    buf.setShort(off + URG_PTR, 0);
  }

  public int optionsOffset() {
    return off + MIN_SIZE;
  }

  /** Computes the checksum over the {@code len} bytes wrapped, from a pseudo-header sum. */
  public void setChecksum(long pseudoHeaderSum) {
    buf.setShort(off + CSUM, 0);
    buf.setShort(off + CSUM, Checksum.fold(Checksum.sum(buf, off, len, pseudoHeaderSum)));
  }

  /**
   * Stores the partial checksum, the folded pseudo-header sum, for the endpoint (or the
   * namespace's kernel) to complete over the segment ({@link Checksum#complete}).
   */
  public void setPartialChecksum(long pseudoHeaderSum) {
    buf.setShort(off + CSUM, Checksum.partial(pseudoHeaderSum));
  }

  /** {@code a} is before {@code b} in sequence space (RFC 1982 arithmetic). */
  public static boolean seqLt(int a, int b) {
    return a - b < 0;
  }

  public static boolean seqLe(int a, int b) {
    return a - b <= 0;
  }
}
