package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of a Neighbor Discovery message (RFC 4861 4): the ICMPv6 header, the message body
 * (Router Solicitation: 4 reserved bytes; Neighbor Solicitation/Advertisement: 4 bytes of flags
 * or reserved, then the 16-byte target address), and the options that follow.
 *
 * <pre>
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * |R|S|O|                     Reserved                            |   (NA; NS/RS: reserved)
 * |                 Target Address (NS, NA: 16 bytes)             |
 * |   Options ... (Type, Length in units of 8 bytes, data)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Untrusted input: check {@link #isValid(int)} first.
 */
public final class Ndp {

  /** Size of a Router Solicitation without options. */
  public static final int RS_SIZE = 8;
  /** Size of a Neighbor Solicitation or Advertisement without options. */
  public static final int NS_SIZE = 24;
  /** Size of a Router Advertisement without options. */
  public static final int RA_SIZE = 16;

  public static final int OPT_SOURCE_LL_ADDR = 1;
  public static final int OPT_TARGET_LL_ADDR = 2;
  public static final int OPT_PREFIX_INFO = 3;
  public static final int OPT_MTU = 5;
  public static final int OPT_RDNSS = 25;
  public static final int OPT_DNSSL = 31;

  /** NA flags: Router, Solicited, Override. */
  public static final int NA_ROUTER = 0x80000000;
  public static final int NA_SOLICITED = 0x40000000;
  public static final int NA_OVERRIDE = 0x20000000;
  /** RA flag byte: Managed address configuration. */
  public static final int RA_MANAGED = 0x80;
  /** Prefix information flags: on-Link, Autonomous. */
  public static final int PREFIX_ON_LINK = 0x80;
  public static final int PREFIX_AUTONOMOUS = 0x40;

  private static final int TYPE = 0;
  private static final int CODE = 1;
  private static final int TARGET = 8;

  private ByteBuf buf;
  private int off;

  public Ndp wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /**
   * {@code len} bytes hold an RS or NS of code 0 with its fixed part, and options that tile the
   * rest exactly, none of length 0 (RFC 4861 6.1.1, 7.1.1).
   */
  public boolean isValid(int len) {
    if (len < RS_SIZE || buf.getUnsignedByte(off + CODE) != 0) return false;
    int fixed;
    switch (type()) {
      case Icmp.V6_ROUTER_SOLICITATION: fixed = RS_SIZE; break;
      case Icmp.V6_NEIGHBOR_SOLICITATION: fixed = NS_SIZE; break;
      default: return false;
    }
    if (len < fixed) return false;
    int p = off + fixed;
    int end = off + len;
    while (p < end) {
      if (p + 2 > end) return false;
      int units = buf.getUnsignedByte(p + 1);
      if (units == 0) return false;
      p += units * 8;
      if (p > end) return false;
    }
    return true;
  }

  public int type() {
    return buf.getUnsignedByte(off + TYPE);
  }

  public int code() {
    return buf.getUnsignedByte(off + CODE);
  }

  /** Absolute offset of the target address (NS, NA). */
  public int targetOffset() {
    return off + TARGET;
  }

  public void getTarget(byte[] a) {
    buf.getBytes(off + TARGET, a, 0, Ipv6.ADDR_LEN);
  }
}
