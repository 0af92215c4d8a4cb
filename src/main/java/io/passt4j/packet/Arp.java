package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of an ARP packet for IPv4 over Ethernet (RFC 826).
 *
 * <pre>
 *  0       2       4   5   6       8                 14        18                24        28
 * +-------+-------+---+---+-------+-----------------+---------+-----------------+---------+
 * | htype | ptype |hln|pln| oper  | sender MAC      |sender IP| target MAC      |target IP|
 * +-------+-------+---+---+-------+-----------------+---------+-----------------+---------+
 * </pre>
 */
public final class Arp {

  /** Size of an Ethernet/IPv4 ARP packet. */
  public static final int SIZE = 28;
  public static final int OP_REQUEST = 1;
  public static final int OP_REPLY = 2;
  public static final int HTYPE_ETHERNET = 1;

  private static final int HTYPE = 0;
  private static final int PTYPE = 2;
  private static final int HLEN = 4;
  private static final int PLEN = 5;
  private static final int OPER = 6;
  private static final int SHA = 8;
  private static final int SPA = 14;
  private static final int THA = 18;
  private static final int TPA = 24;

  private ByteBuf buf;
  private int off;

  public Arp wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** {@code len} bytes hold an Ethernet/IPv4 ARP packet we can read. */
  public boolean isValid(int len) {
    return len >= SIZE
        && buf.getUnsignedShort(off + HTYPE) == HTYPE_ETHERNET
        && buf.getUnsignedShort(off + PTYPE) == EtherType.IPV4.value()
        && buf.getUnsignedByte(off + HLEN) == 6
        && buf.getUnsignedByte(off + PLEN) == 4;
  }

  public int operation() {
    return buf.getUnsignedShort(off + OPER);
  }

  public int senderProtocolAddress() {
    return buf.getInt(off + SPA);
  }

  public int targetProtocolAddress() {
    return buf.getInt(off + TPA);
  }

  public int senderHardwareAddressOffset() {
    return off + SHA;
  }

  /** Writes a whole packet: Ethernet/IPv4 types, operation and the four addresses. */
  public void set(int oper, byte[] sha, int spa, ByteBuf tha, int thaOff, int tpa) {
    buf.setShort(off + HTYPE, HTYPE_ETHERNET);
    buf.setShort(off + PTYPE, EtherType.IPV4.value());
    buf.setByte(off + HLEN, 6);
    buf.setByte(off + PLEN, 4);
    buf.setShort(off + OPER, oper);
    buf.setBytes(off + SHA, sha, 0, 6);
    buf.setInt(off + SPA, spa);
    buf.setBytes(off + THA, tha, thaOff, 6);
    buf.setInt(off + TPA, tpa);
  }
}
