package io.passt4j.packet;

import io.netty.buffer.ByteBuf;

/**
 * One Ethernet frame from or to the guest, with what the endpoint learned while classifying it.
 *
 * <p>The buffer holds exactly the frame, from the Ethernet header on (reader index 0 of the
 * frame is {@link #buf()}{@code .readerIndex()}; offsets below are absolute indexes into the
 * buffer). A frame is reference counted through its buffer: whoever holds it last calls {@link
 * #release()}. Frames cross the event bus by reference, never copied.
 */
public final class Frame {

  /** Not an IP frame, or a malformed one. */
  public static final int NONE = -1;

  private final ByteBuf buf;
  private int etherType = NONE;
  private int ipVersion;
  private int l3Offset = NONE;
  private int ipProtocol = NONE;
  private int l4Offset = NONE;
  private int l4Length;
  private String malformed;
  /** To the guest: absolute index where a partial transport checksum starts, or NONE. */
  private int csumStart = NONE;
  private int csumOffset;
  /** From the guest: its transport checksum needs no verification (see {@link #checksumTrusted}). */
  private boolean checksumTrusted;

  private Frame(ByteBuf buf) {
    this.buf = buf;
  }

  /** A frame over {@code buf} (taking ownership), not yet classified. */
  public static Frame wrap(ByteBuf buf) {
    return new Frame(buf);
  }

  /**
   * A frame to the guest over {@code buf} (taking ownership) whose transport checksum is partial
   * ({@link Checksum#partial}): the field at absolute index {@code csumStart + csumOffset} holds
   * the pseudo-header sum, the checksum is still to be computed over the bytes from {@code
   * csumStart} to the end of the frame ({@link #completeChecksum}).
   */
  public static Frame withPartialChecksum(ByteBuf buf, int csumStart, int csumOffset) {
    Frame f = new Frame(buf);
    f.csumStart = csumStart;
    f.csumOffset = csumOffset;
    return f;
  }

  /** Whether the frame's transport checksum is partial ({@link #withPartialChecksum}). */
  public boolean hasPartialChecksum() {
    return csumStart != NONE;
  }

  /** Absolute index where the partial checksum starts, or {@link #NONE}. */
  public int partialChecksumStart() {
    return csumStart;
  }

  /** Offset of the checksum field from {@link #partialChecksumStart()}. */
  public int partialChecksumOffset() {
    return csumOffset;
  }

  /** Computes a partial checksum ({@link Checksum#complete}): the frame is then a plain one. */
  public void completeChecksum() {
    if (csumStart == NONE) return;
    Checksum.complete(buf, csumStart, csumOffset, buf.writerIndex());
    csumStart = NONE;
  }

  /**
   * From the guest: the transport checksum needs no verification, and may not verify. Set by the
   * endpoint for frames the namespace's kernel sent over a tap with checksum offload (pasta): a
   * locally made TCP or UDP packet comes with its checksum left partial (the kernel's {@code
   * CHECKSUM_PARTIAL}: the data never left its memory), one it had verified with {@code
   * DATA_VALID}. Never set in passt mode: a guest's checksums are verified.
   */
  public boolean checksumTrusted() {
    return checksumTrusted;
  }

  /** Marks the transport checksum as not to be verified (the endpoint; see {@link #checksumTrusted}). */
  public void trustChecksum() {
    checksumTrusted = true;
  }

  /**
   * A frame over {@code buf} (taking ownership), classified: EtherType, IP version, upper-layer
   * protocol and offsets. A frame that fails the checks gets {@link #malformed()} set to the
   * reason and keeps the fields it got as far as.
   */
  public static Frame classify(ByteBuf buf) {
    return classify(buf, new Ethernet(), new Ipv4(), new Ipv6());
  }

  /** As {@link #classify(ByteBuf)}, reusing the caller's header views (one thread only). */
  public static Frame classify(ByteBuf buf, Ethernet eth, Ipv4 v4, Ipv6 v6) {
    Frame f = new Frame(buf);
    f.doClassify(eth, v4, v6);
    return f;
  }

  private void doClassify(Ethernet eth, Ipv4 v4, Ipv6 v6) {
    int start = buf.readerIndex();
    int len = buf.readableBytes();
    if (!Ethernet.isValid(len)) {
      malformed = "short Ethernet header";
      return;
    }
    etherType = eth.wrap(buf, start).etherType();
    l3Offset = start + Ethernet.SIZE;
    int l3Len = len - Ethernet.SIZE;
    if (etherType == EtherType.IPV4.value()) {
      ipVersion = 4;
      v4.wrap(buf, l3Offset);
      if (!v4.isValid(l3Len)) {
        malformed = "invalid IPv4 header";
        return;
      }
      ipProtocol = v4.protocol();
      if (v4.isFragment()) {
        malformed = "IPv4 fragment";
        return;
      }
      l4Offset = v4.payloadOffset();
      l4Length = v4.payloadLength();
    } else if (etherType == EtherType.IPV6.value()) {
      ipVersion = 6;
      v6.wrap(buf, l3Offset);
      if (!v6.isValid(l3Len)) {
        malformed = "invalid IPv6 header";
        return;
      }
      long ul = v6.upperLayer();
      if (ul < 0) {
        malformed = "IPv6 extension header chain";
        return;
      }
      ipProtocol = (int) (ul >>> 32);
      l4Offset = (int) ul;
      l4Length = l3Offset + Ipv6.SIZE + v6.payloadLength() - l4Offset;
    }
  }

  public ByteBuf buf() {
    return buf;
  }

  /** Frame length in bytes. */
  public int length() {
    return buf.readableBytes();
  }

  /** Absolute index of the Ethernet header. */
  public int offset() {
    return buf.readerIndex();
  }

  public int etherType() {
    return etherType;
  }

  /** 4, 6, or 0 for non-IP frames. */
  public int ipVersion() {
    return ipVersion;
  }

  /** Absolute index of the network header, or {@link #NONE}. */
  public int l3Offset() {
    return l3Offset;
  }

  /** IP protocol (or IPv6 upper-layer next header), or {@link #NONE}. */
  public int ipProtocol() {
    return ipProtocol;
  }

  /** Absolute index of the transport header, or {@link #NONE}. */
  public int l4Offset() {
    return l4Offset;
  }

  /** Bytes from the transport header to the end of the IP payload. */
  public int l4Length() {
    return l4Length;
  }

  /** Why classification failed, or null for a well-formed frame. */
  public String malformed() {
    return malformed;
  }

  public Frame retain() {
    buf.retain();
    return this;
  }

  /** Releases the buffer; returns true when it was deallocated. */
  public boolean release() {
    return buf.release();
  }

  public int refCnt() {
    return buf.refCnt();
  }

  @Override
  public String toString() {
    return "Frame[len=" + length() + ", type=" + EtherType.valueOf(Math.max(etherType, 0))
        + ", proto=" + ipProtocol + (malformed != null ? ", malformed=" + malformed : "") + "]";
  }
}
