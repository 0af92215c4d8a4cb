package io.passt4j.packet;

/**
 * An IP protocol number (IPv4 protocol, IPv6 next header): an open set, so a plugin for a protocol
 * the core does not know (SCTP, 132) needs no change here.
 */
public final class IpProtocol {

  public static final IpProtocol ICMP = new IpProtocol(1, "ICMP");
  public static final IpProtocol TCP = new IpProtocol(6, "TCP");
  public static final IpProtocol UDP = new IpProtocol(17, "UDP");
  public static final IpProtocol ICMPV6 = new IpProtocol(58, "ICMPv6");
  public static final IpProtocol SCTP = new IpProtocol(132, "SCTP");

  private static final IpProtocol[] KNOWN = new IpProtocol[256];

  static {
    for (IpProtocol p : new IpProtocol[] {ICMP, TCP, UDP, ICMPV6, SCTP}) KNOWN[p.value] = p;
  }

  private final int value;
  private final String name;

  private IpProtocol(int value, String name) {
    this.value = value;
    this.name = name;
  }

  /** The instance for {@code value} (0..255): a known constant or a new unnamed one. */
  public static IpProtocol valueOf(int value) {
    IpProtocol p = KNOWN[value & 0xff];
    return p != null ? p : new IpProtocol(value & 0xff, Integer.toString(value & 0xff));
  }

  public int value() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpProtocol p && p.value == value;
  }

  @Override
  public int hashCode() {
    return value;
  }

  @Override
  public String toString() {
    return name;
  }
}
