package io.passt4j.packet;

/**
 * An EtherType: an open set, so {@link #valueOf(int)} returns an unnamed instance for numbers we
 * do not know instead of failing.
 */
public final class EtherType {

  public static final EtherType IPV4 = new EtherType(0x0800, "IPv4");
  public static final EtherType ARP = new EtherType(0x0806, "ARP");
  public static final EtherType IPV6 = new EtherType(0x86dd, "IPv6");

  private final int value;
  private final String name;

  private EtherType(int value, String name) {
    this.value = value;
    this.name = name;
  }

  /** The instance for {@code value} (0..0xffff): a known constant or a new unnamed one. */
  public static EtherType valueOf(int value) {
    switch (value) {
      case 0x0800: return IPV4;
      case 0x0806: return ARP;
      case 0x86dd: return IPV6;
      default: return new EtherType(value & 0xffff, String.format("0x%04x", value & 0xffff));
    }
  }

  public int value() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EtherType e && e.value == value;
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
