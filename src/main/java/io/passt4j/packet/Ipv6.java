package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of an IPv6 header (RFC 8200) and its extension header chain.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * |                  Source Address (16 bytes)                    |
 * |               Destination Address (16 bytes)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv6 {

  /** Size of the fixed header. */
  public static final int SIZE = 40;
  /** Length of an address. */
  public static final int ADDR_LEN = 16;
  /** Next-header value of a fragment header. */
  public static final int NEXT_FRAGMENT = 44;
  /** Next-header value meaning no next header. */
  public static final int NEXT_NONE = 59;
  /** Extension headers we walk at most: a longer chain is dropped as hostile. */
  public static final int MAX_EXTENSION_HEADERS = 8;

  private static final int VER_TC_FL = 0;
  private static final int PAYLOAD_LEN = 4;
  private static final int NEXT = 6;
  private static final int HOP = 7;
  private static final int SRC = 8;
  private static final int DST = 24;

  private ByteBuf buf;
  private int off;

  public Ipv6 wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** {@code len} bytes hold version 6 and the whole payload the header announces. */
  public boolean isValid(int len) {
    return len >= SIZE
        && (buf.getUnsignedByte(off + VER_TC_FL) >> 4) == 6
        && SIZE + payloadLength() <= len;
  }

  public int payloadLength() {
    return buf.getUnsignedShort(off + PAYLOAD_LEN);
  }

  public int nextHeader() {
    return buf.getUnsignedByte(off + NEXT);
  }

  public int hopLimit() {
    return buf.getUnsignedByte(off + HOP);
  }

  public int flowLabel() {
    return buf.getInt(off + VER_TC_FL) & 0xfffff;
  }

  public int sourceOffset() {
    return off + SRC;
  }

  public int destinationOffset() {
    return off + DST;
  }

  public void getSource(byte[] a) {
    buf.getBytes(off + SRC, a, 0, ADDR_LEN);
  }

  public void getDestination(byte[] a) {
    buf.getBytes(off + DST, a, 0, ADDR_LEN);
  }

  public int payloadOffset() {
    return off + SIZE;
  }

  /**
   * Walks the extension headers (hop-by-hop, routing, destination options) to the upper-layer
   * header. Returns {@code (protocol << 32) | absoluteOffset}, or -1 when the chain is malformed,
   * too long, or reaches a fragment header (we do not reassemble).
   */
  public long upperLayer() {
    int next = nextHeader();
    int pos = off + SIZE;
    int end = off + SIZE + payloadLength();
    for (int n = 0; n <= MAX_EXTENSION_HEADERS; n++) {
      switch (next) {
        case 0: case 43: case 60:
          if (pos + 8 > end) return -1;
          int hlen = (buf.getUnsignedByte(pos + 1) + 1) * 8;
          next = buf.getUnsignedByte(pos);
          pos += hlen;
          if (pos > end) return -1;
          break;
        case NEXT_FRAGMENT:
        case NEXT_NONE:
          return -1;
        default:
          return ((long) next << 32) | pos;
      }
    }
    return -1;
  }

  /** Writes the fixed header (traffic class 0). */
  public void set(int flowLabel, int payloadLen, int next, int hopLimit, byte[] src, byte[] dst) {
    buf.setInt(off + VER_TC_FL, (6 << 28) | (flowLabel & 0xfffff));
    buf.setShort(off + PAYLOAD_LEN, payloadLen);
    buf.setByte(off + NEXT, next);
    buf.setByte(off + HOP, hopLimit);
    buf.setBytes(off + SRC, src, 0, ADDR_LEN);
    buf.setBytes(off + DST, dst, 0, ADDR_LEN);
  }
}
