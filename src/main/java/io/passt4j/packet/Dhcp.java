package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of a BOOTP/DHCP message (RFC 2131 2, options RFC 2132).
 *
 * <pre>
 *  0       1       2       3
 * +-------+-------+-------+-------+
 * |  op   | htype | hlen  | hops  |    0
 * |             xid               |    4
 * |     secs      |     flags     |    8
 * |            ciaddr             |   12
 * |            yiaddr             |   16
 * |            siaddr             |   20
 * |            giaddr             |   24
 * |      chaddr (16 bytes)        |   28
 * |      sname  (64 bytes)        |   44
 * |      file   (128 bytes)       |  108
 * |   magic cookie 99.130.83.99   |  236
 * |   options (variable)          |  240
 * +-------+-------+-------+-------+
 * </pre>
 *
 * <p>Untrusted input: check {@link #isValid(int)}, then {@link #areOptionsValid(int)}, before
 * {@link #findOption(int, int)}.
 */
public final class Dhcp {

  /** The fixed part up to and including the magic cookie: where options start. */
  public static final int OPTIONS = 240;
  /** The fixed BOOTP part, without the magic cookie. */
  public static final int FIXED_SIZE = 236;
  public static final int MAGIC_COOKIE = 0x63825363;
  public static final int OP_BOOTREQUEST = 1;
  public static final int OP_BOOTREPLY = 2;
  /** The BROADCAST bit of {@link #flags()}. */
  public static final int FLAG_BROADCAST = 0x8000;

  public static final int OPT_PAD = 0;
  public static final int OPT_SUBNET_MASK = 1;
  public static final int OPT_ROUTER = 3;
  public static final int OPT_DNS = 6;
  public static final int OPT_MTU = 26;
  public static final int OPT_REQUESTED_ADDRESS = 50;
  public static final int OPT_LEASE_TIME = 51;
  public static final int OPT_MESSAGE_TYPE = 53;
  public static final int OPT_SERVER_ID = 54;
  public static final int OPT_PARAMETER_REQUEST_LIST = 55;
  public static final int OPT_CLIENT_ID = 61;
  public static final int OPT_DOMAIN_SEARCH = 119;
  public static final int OPT_CLASSLESS_ROUTES = 121;
  public static final int OPT_END = 255;

  public static final int DHCPDISCOVER = 1;
  public static final int DHCPOFFER = 2;
  public static final int DHCPREQUEST = 3;
  public static final int DHCPDECLINE = 4;
  public static final int DHCPACK = 5;
  public static final int DHCPNAK = 6;
  public static final int DHCPRELEASE = 7;
  public static final int DHCPINFORM = 8;

  private static final int OP = 0;
  private static final int HTYPE = 1;
  private static final int HLEN = 2;
  private static final int XID = 4;
  private static final int SECS = 8;
  private static final int FLAGS = 10;
  private static final int CIADDR = 12;
  private static final int YIADDR = 16;
  private static final int CHADDR = 28;
  private static final int MAGIC = 236;

  private ByteBuf buf;
  private int off;

  public Dhcp wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** {@code len} bytes hold the fixed part and the magic cookie of a BOOTREQUEST. */
  public boolean isValid(int len) {
    return len >= OPTIONS
        && buf.getUnsignedByte(off + OP) == OP_BOOTREQUEST
        && buf.getInt(off + MAGIC) == MAGIC_COOKIE;
  }

  /**
   * Every option of a {@code len}-byte message lies within it: PAD is one byte, END stops the
   * walk, any other option has a length byte and that many bytes of value.
   */
  public boolean areOptionsValid(int len) {
    int end = off + len;
    int p = off + OPTIONS;
    while (p < end) {
      int code = buf.getUnsignedByte(p);
      if (code == OPT_END) return true;
      if (code == OPT_PAD) {
        p++;
        continue;
      }
      if (p + 2 > end) return false;
      p += 2 + buf.getUnsignedByte(p + 1);
      if (p > end) return false;
    }
    return true;
  }

  /**
   * Absolute offset of the value of the first option {@code code} in a {@code len}-byte message,
   * or -1; its length is {@link #optionLength(int)}. Only after {@link #areOptionsValid(int)}.
   */
  public int findOption(int code, int len) {
    int end = off + len;
    int p = off + OPTIONS;
    while (p + 2 <= end) {
      int c = buf.getUnsignedByte(p);
      if (c == OPT_END) return -1;
      if (c == OPT_PAD) {
        p++;
        continue;
      }
      if (c == code) return p + 2;
      p += 2 + buf.getUnsignedByte(p + 1);
    }
    return -1;
  }

  /** Length of the option whose value is at absolute offset {@code valueOffset}. */
  public int optionLength(int valueOffset) {
    return buf.getUnsignedByte(valueOffset - 1);
  }

  public int op() {
    return buf.getUnsignedByte(off + OP);
  }

  public int htype() {
    return buf.getUnsignedByte(off + HTYPE);
  }

  public int hlen() {
    return buf.getUnsignedByte(off + HLEN);
  }

  public int xid() {
    return buf.getInt(off + XID);
  }

  public int secs() {
    return buf.getUnsignedShort(off + SECS);
  }

  public int flags() {
    return buf.getUnsignedShort(off + FLAGS);
  }

  public int ciaddr() {
    return buf.getInt(off + CIADDR);
  }

  public int yiaddr() {
    return buf.getInt(off + YIADDR);
  }

  /** Absolute offset of chaddr (16 bytes). */
  public int chaddrOffset() {
    return off + CHADDR;
  }

  public void setOp(int op) {
    buf.setByte(off + OP, op);
  }

  public void setSecs(int secs) {
    buf.setShort(off + SECS, secs);
  }

  public void setYiaddr(int a) {
    buf.setInt(off + YIADDR, a);
  }
}
