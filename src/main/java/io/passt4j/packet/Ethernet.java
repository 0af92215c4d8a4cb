package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * A view of an Ethernet II header (IEEE 802.3).
 *
 * <pre>
 *  0                   6                  12      14
 * +-------------------+-------------------+-------+
 * | destination MAC   | source MAC        | type  |
 * +-------------------+-------------------+-------+
 * </pre>
 */
public final class Ethernet {

  /** Header size. */
  public static final int SIZE = 14;
  /** Length of a MAC address. */
  public static final int ADDR_LEN = 6;

  private static final int DST = 0;
  private static final int SRC = 6;
  private static final int TYPE = 12;

  private ByteBuf buf;
  private int off;

  public Ethernet wrap(ByteBuf buf, int off) {
    this.buf = buf;
    this.off = off;
    return this;
  }

  /** A frame of {@code len} bytes holds a whole header. */
  public static boolean isValid(int len) {
    return len >= SIZE;
  }

  public int etherType() {
    return buf.getUnsignedShort(off + TYPE);
  }

  public void setEtherType(int t) {
    buf.setShort(off + TYPE, t);
  }

  /** Absolute offset of the destination MAC. */
  public int destinationOffset() {
    return off + DST;
  }

  /** Absolute offset of the source MAC. */
  public int sourceOffset() {
    return off + SRC;
  }

  public void getSource(byte[] mac) {
    buf.getBytes(off + SRC, mac, 0, ADDR_LEN);
  }

  public void getDestination(byte[] mac) {
    buf.getBytes(off + DST, mac, 0, ADDR_LEN);
  }

  public void setSource(byte[] mac) {
    buf.setBytes(off + SRC, mac, 0, ADDR_LEN);
  }

  public void setDestination(byte[] mac) {
    buf.setBytes(off + DST, mac, 0, ADDR_LEN);
  }

  /** The destination is a group (multicast or broadcast) address. */
  public boolean isDestinationGroup() {
    return (buf.getByte(off + DST) & 1) != 0;
  }

  public int payloadOffset() {
    return off + SIZE;
  }
}
