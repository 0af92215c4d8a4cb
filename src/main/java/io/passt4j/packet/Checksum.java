package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071), composed from partial sums: {@link #sum} adds bytes to a
 * running 32-bit sum, {@link #pseudoHeader4}/{@link #pseudoHeader6} start one for a transport
 * header, {@link #fold} turns the sum into the 16-bit value to store.
 */
public final class Checksum {

  private Checksum() {}

  /** Adds {@code len} bytes of {@code buf} from absolute offset {@code off} to {@code sum}. */
  public static long sum(ByteBuf buf, int off, int len, long sum) {
    int end = off + len;
    int i = off;
    for (; i + 8 <= end; i += 8) {
      long v = buf.getLong(i);
      sum += (v >>> 48) + ((v >>> 32) & 0xffff) + ((v >>> 16) & 0xffff) + (v & 0xffff);
    }
    for (; i + 2 <= end; i += 2) sum += buf.getUnsignedShort(i);
    if (i < end) sum += (buf.getUnsignedByte(i) << 8);
    return sum;
  }

  /** Folds a running sum into the one's complement 16-bit checksum. */
  public static int fold(long sum) {
    while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
    return (int) (~sum & 0xffff);
  }

  /** The checksum of {@code len} bytes at {@code off}. */
  public static int compute(ByteBuf buf, int off, int len) {
    return fold(sum(buf, off, len, 0));
  }

  /** The IPv4 pseudo-header sum (addresses as ints, protocol, transport length). */
  public static long pseudoHeader4(int src, int dst, int protocol, int length) {
    return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
  }

  /** The IPv6 pseudo-header sum, reading the two addresses from {@code buf} at {@code addrOff}. */
  public static long pseudoHeader6(ByteBuf buf, int addrOff, int protocol, int length) {
    return sum(buf, addrOff, 32, 0) + protocol + length;
  }
}
