package io.passt4j.impl.host;

/**
 * What the command line says about host detection beyond the values already in the {@code
 * PasstConfig} (which the probe treats as given when set: addresses, gateways, prefix length,
 * resolvers, search list, outbound interfaces).
 *
 * @param iface template interface for both families ({@code -i}), or null
 * @param ipv4Only {@code -4}: IPv6 is off
 * @param ipv6Only {@code -6}: IPv4 is off
 * @param macGiven {@code -M} was given: keep the configured MAC
 * @param netmaskGiven {@code -n} was given: keep the configured IPv4 prefix length
 * @param dnsNone {@code -D none}: no resolvers at all, don't read resolv.conf
 * @param searchNone {@code -S none}: no search list, don't read resolv.conf
 */
public record HostOverrides(String iface, boolean ipv4Only, boolean ipv6Only, boolean macGiven,
    boolean netmaskGiven, boolean dnsNone, boolean searchNone) {

  /** Nothing overridden. */
  public static final HostOverrides NONE =
      new HostOverrides(null, false, false, false, false, false, false);
}
