package io.passt4j.packet;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071), composed from partial sums: {@link #sum} adds bytes to a
 * running sum, {@link #pseudoHeader4}/{@link #pseudoHeader6} start one for a transport header,
 * {@link #fold} turns the sum into the 16-bit value to store.
 *
 * <p>Every TCP segment in and out passes here whole (verified from the guest, computed for it):
 * a third of the event loop's time in a bulk transfer. So the sum adds 32-bit halves of 64-bit
 * words (the one's complement sum of 16-bit words, carries kept in the upper bits until {@link
 * #fold}), and reads a direct buffer's memory without a bounds check per word, in native order:
 * the one's complement sum of byte-swapped words is the byte-swapped sum (RFC 1071, 2.(B)).
 */
public final class Checksum {

  private Checksum() {}

  /** Below this many bytes the plain loop is as fast. */
  private static final int NATIVE_MIN = 64;
  private static final boolean NATIVE = PlatformDependent.hasUnsafe() && PlatformDependent.isUnaligned();
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  /**
   * Adds {@code len} bytes of {@code buf} from absolute offset {@code off} to {@code sum} (a
   * running sum from this class: at most 2^62, as any sum of up to 2^40 bytes is).
   */
  public static long sum(ByteBuf buf, int off, int len, long sum) {
    int end = off + len;
    int i = off;
    if (NATIVE && len >= NATIVE_MIN && buf.hasMemoryAddress()) {
      if (off < 0 || len < 0 || end > buf.capacity()) {
        throw new IndexOutOfBoundsException("checksum of " + len + " bytes at " + off
            + " in a buffer of " + buf.capacity());
      }
      long addr = buf.memoryAddress() + off;
      int words = len >>> 3;
      long s = 0;
      for (int k = 0; k < words; k++) {
        long v = PlatformDependent.getLong(addr + ((long) k << 3));
        s += (v >>> 32) + (v & 0xffffffffL);
      }
      // fold to 16 bits keeping the carries (not complemented), then into network order
      while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
      sum += LITTLE_ENDIAN ? Integer.reverseBytes((int) s) >>> 16 : s;
      i += words << 3;
    } else {
      for (; i + 8 <= end; i += 8) {
        long v = buf.getLong(i);
        sum += (v >>> 32) + (v & 0xffffffffL);
      }
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

  /**
   * Folds a running sum into 16 bits without complementing it: what a transport checksum field
   * holds while the checksum is partial ({@link #complete}), as the Linux kernel leaves it for a
   * device that computes checksums (its {@code CHECKSUM_PARTIAL}, virtio-net's {@code
   * VIRTIO_NET_HDR_F_NEEDS_CSUM}): start from the pseudo-header sum.
   */
  public static int partial(long sum) {
    while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
    return (int) sum;
  }

  /**
   * Completes a partial checksum ({@link #partial}) as a device does: sums the bytes from
   * absolute index {@code start} to {@code end} (the checksum field, holding the partial sum,
   * included) and stores the folded, complemented sum at {@code start + offset}; a result of 0
   * is stored as 0xffff (the same value in one's complement; UDP reserves 0 for "none"), as the
   * kernel's {@code skb_checksum_help} does.
   *
   * @throws IndexOutOfBoundsException if the field is not within the summed bytes
   */
  public static void complete(ByteBuf buf, int start, int offset, int end) {
    if (start < 0 || offset < 0 || start + offset + 2 > end || end > buf.capacity()) {
      throw new IndexOutOfBoundsException("checksum field at " + start + " + " + offset
          + " outside the " + (end - start) + " bytes summed at " + start);
    }
    int c = fold(sum(buf, start, end - start, 0));
    buf.setShort(start + offset, c == 0 ? 0xffff : c);
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
