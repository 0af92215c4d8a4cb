package io.passt4j.spi;

import io.passt4j.packet.EtherType;
import io.passt4j.packet.IpProtocol;

/**
 * Which guest frames a handler takes: an EtherType, optionally narrowed to an IP version, an IP
 * protocol, a destination port range (UDP, TCP, SCTP and other port-based protocols) or an ICMP
 * type. {@link #ANY} (-1) leaves a field open. When several handlers' selectors match a frame,
 * the most specific one wins (port or ICMP type, then protocol, then EtherType); equally specific
 * selectors of two handlers are a configuration error reported at start.
 *
 * @param etherType EtherType value, or {@link #ANY}
 * @param ipVersion 4, 6, or 0 for both
 * @param ipProtocol IP protocol number, or {@link #ANY}
 * @param portMin lowest destination port, or {@link #ANY}
 * @param portMax highest destination port, or {@link #ANY}
 * @param icmpType ICMP or ICMPv6 type, or {@link #ANY}
 */
public record FrameSelector(
    int etherType, int ipVersion, int ipProtocol, int portMin, int portMax, int icmpType) {

  /** An open field. */
  public static final int ANY = -1;

  /** Every frame of an EtherType (ARP, or a non-IP protocol). */
  public static FrameSelector etherType(EtherType type) {
    return new FrameSelector(type.value(), 0, ANY, ANY, ANY, ANY);
  }

  /** Every packet of an IP protocol; {@code ipVersion} 4, 6 or 0 for both. */
  public static FrameSelector ip(int ipVersion, IpProtocol protocol) {
    return new FrameSelector(etherFor(ipVersion), ipVersion, protocol.value(), ANY, ANY, ANY);
  }

  /** Packets of a port-based protocol to one destination port. */
  public static FrameSelector port(int ipVersion, IpProtocol protocol, int port) {
    return new FrameSelector(etherFor(ipVersion), ipVersion, protocol.value(), port, port, ANY);
  }

  /** ICMP (version 4) or ICMPv6 (version 6) messages of one type. */
  public static FrameSelector icmp(int ipVersion, int type) {
    if (ipVersion != 4 && ipVersion != 6) throw new IllegalArgumentException("ipVersion 4 or 6");
    IpProtocol p = ipVersion == 4 ? IpProtocol.ICMP : IpProtocol.ICMPV6;
    return new FrameSelector(etherFor(ipVersion), ipVersion, p.value(), ANY, ANY, type);
  }

  private static int etherFor(int ipVersion) {
    return switch (ipVersion) {
      case 4 -> EtherType.IPV4.value();
      case 6 -> EtherType.IPV6.value();
      case 0 -> ANY;
      default -> throw new IllegalArgumentException("ipVersion must be 0, 4 or 6: " + ipVersion);
    };
  }

  /** How specific this selector is: higher wins. */
  public int specificity() {
    int s = 0;
    if (etherType != ANY) s += 1;
    if (ipVersion != 0) s += 1;
    if (ipProtocol != ANY) s += 4;
    if (portMin != ANY || icmpType != ANY) s += 16;
    return s;
  }

  /**
   * Whether a frame matches.
   *
   * @param port destination port of the frame, or {@link #ANY} when it has none
   * @param type ICMP type of the frame, or {@link #ANY}
   */
  public boolean matches(int frameEtherType, int frameIpVersion, int protocol, int port, int type) {
    if (etherType != ANY && etherType != frameEtherType) return false;
    if (ipVersion != 0 && ipVersion != frameIpVersion) return false;
    if (ipProtocol != ANY && ipProtocol != protocol) return false;
    if (portMin != ANY && (port < portMin || port > portMax)) return false;
    return icmpType == ANY || icmpType == type;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(etherType == ANY ? "IP" : EtherType.valueOf(etherType).toString());
    if (ipProtocol != ANY) sb.append(' ').append(IpProtocol.valueOf(ipProtocol));
    if (portMin != ANY) {
      sb.append(" port ").append(portMin);
      if (portMax != portMin) sb.append('-').append(portMax);
    }
    if (icmpType != ANY) sb.append(" type ").append(icmpType);
    return sb.toString();
  }
}
