package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of a DHCPv6 client/server message (RFC 8415 8) and its options (RFC 8415 21).
 *
 * <pre>
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    msg-type   |               transaction-id                  |
 * |                     options (variable)                        |
 *
 * option:
 * |          option-code          |           option-len          |
 * |                  option-data (option-len octets)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Options are addressed by the absolute offset of their header. Untrusted input: check
 * {@link #isValid(int)}, then {@link #areOptionsValid(int, int)} over the range to walk, before
 * {@link #findOption(int, int, int)}.
 */
public final class Dhcpv6 {

  /** Size of the message header. */
  public static final int HEADER_SIZE = 4;
  /** Size of an option header. */
  public static final int OPTION_HEADER_SIZE = 4;

  public static final int SOLICIT = 1;
  public static final int ADVERTISE = 2;
  public static final int REQUEST = 3;
  public static final int CONFIRM = 4;
  public static final int RENEW = 5;
  public static final int REBIND = 6;
  public static final int REPLY = 7;
  public static final int RELEASE = 8;
  public static final int DECLINE = 9;
  public static final int INFORMATION_REQUEST = 11;

  public static final int OPTION_CLIENTID = 1;
  public static final int OPTION_SERVERID = 2;
  public static final int OPTION_IA_NA = 3;
  public static final int OPTION_IA_TA = 4;
  public static final int OPTION_IAADDR = 5;
  public static final int OPTION_ORO = 6;
  public static final int OPTION_ELAPSED_TIME = 8;
  public static final int OPTION_STATUS_CODE = 13;
  public static final int OPTION_DNS_SERVERS = 23;
  public static final int OPTION_DOMAIN_LIST = 24;

  /** Fixed part of IA_NA data: IAID, T1, T2. */
  public static final int IA_NA_SIZE = 12;
  /** Fixed part of IA_TA data: IAID. */
  public static final int IA_TA_SIZE = 4;
  /** Fixed part of IAADDR data: address, preferred and valid lifetime. */
  public static final int IAADDR_SIZE = 24;

  public static final int STATUS_SUCCESS = 0;
  public static final int STATUS_NOT_ON_LINK = 4;

  private static final int MSG_TYPE = 0;
  private static final int XID = 1;

  private ByteBuf buf;
  private int off;

  public Dhcpv6 wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** {@code len} bytes hold the message header. */
  public static boolean isValid(int len) {
    return len >= HEADER_SIZE;
  }

  public int msgType() {
    return buf.getUnsignedByte(off + MSG_TYPE);
  }

  /** The 24-bit transaction-id. */
  public int transactionId() {
    return buf.getUnsignedMedium(off + XID);
  }

  /** Absolute offset of the first option. */
  public int optionsOffset() {
    return off + HEADER_SIZE;
  }

  /**
   * The options from absolute offset {@code from} to {@code end} tile the range exactly: each
   * has a whole header and its whole data inside it.
   */
  public boolean areOptionsValid(int from, int end) {
    int p = from;
    while (p < end) {
      if (p + OPTION_HEADER_SIZE > end) return false;
      p += OPTION_HEADER_SIZE + optionLength(p);
      if (p > end) return false;
    }
    return true;
  }

  /**
   * Absolute offset of the header of the first option {@code code} in {@code [from, end)}, or
   * -1. Only over a range {@link #areOptionsValid(int, int)} accepted.
   */
  public int findOption(int code, int from, int end) {
    for (int p = from; p + OPTION_HEADER_SIZE <= end; p = nextOption(p)) {
      if (optionCode(p) == code) return p;
    }
    return -1;
  }

  /** Absolute offset of the option after the one at {@code opt}. */
  public int nextOption(int opt) {
    return opt + OPTION_HEADER_SIZE + optionLength(opt);
  }

  public int optionCode(int opt) {
    return buf.getUnsignedShort(opt);
  }

  public int optionLength(int opt) {
    return buf.getUnsignedShort(opt + 2);
  }

  /** Absolute offset of the data of the option at {@code opt}. */
  public int optionData(int opt) {
    return opt + OPTION_HEADER_SIZE;
  }

  /** Whether the ORO option at {@code oro} lists {@code code}. */
  public boolean oroRequests(int oro, int code) {
    int d = optionData(oro);
    int n = optionLength(oro) / 2;
    for (int i = 0; i < n; i++) {
      if (buf.getUnsignedShort(d + 2 * i) == code) return true;
    }
    return false;
  }
}
