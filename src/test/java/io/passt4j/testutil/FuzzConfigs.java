package io.passt4j.testutil;

import static io.passt4j.testutil.GuestFrames.ip;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.passt4j.PasstConfig;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.List;

/**
 * The configurations a fuzz input may run a handler under, built once (handlers only read
 * them): the sandbox of {@link TestConfigs#sandbox()}, and variants that take other paths
 * through the handlers. All forward TCP port {@value #TCP_FORWARDED} to the guest's {@value
 * #TCP_TARGET} and UDP {@value #UDP_FORWARDED} to {@value #UDP_TARGET}.
 */
public final class FuzzConfigs {

  public static final int TCP_FORWARDED = 8080;
  public static final int TCP_TARGET = 80;
  public static final int UDP_FORWARDED = 5000;
  public static final int UDP_TARGET = 5001;

  /** The sandbox, as the golden captures were made. */
  public static final PasstConfig SANDBOX = forwarding(TestConfigs.sandbox());
  /** The variants, {@link #SANDBOX} first. */
  public static final List<PasstConfig> ALL = List.of(SANDBOX, mapped(), noMapGwNoServices(),
      ipv4Only(), bare());

  private FuzzConfigs() {}

  /** {@link #SANDBOX} most of the time, a variant now and then. */
  public static PasstConfig pick(FuzzedDataProvider d) {
    return d.consumeInt(0, 3) == 0 ? d.pickValue(ALL) : SANDBOX;
  }

  private static PasstConfig forwarding(PasstConfig c) {
    c.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, TCP_FORWARDED, TCP_TARGET)));
    c.udpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, UDP_FORWARDED, UDP_TARGET)));
    return c;
  }

  /** DNS forwarding, a loopback resolver, --map-guest-addr and --map-host-loopback. */
  private static PasstConfig mapped() {
    PasstConfig c = forwarding(TestConfigs.sandbox());
    c.dnsForward4 = (Inet4Address) ip("198.51.100.3");
    c.dnsHost4 = (Inet4Address) ip("127.0.0.53");
    c.dnsForward6 = (Inet6Address) ip("2001:db8::3");
    c.dnsHost6 = (Inet6Address) ip("::1");
    c.mapGuestAddr4 = ip("198.51.100.4");
    c.mapGuestAddr6 = ip("2001:db8::4");
    c.mapHostLoopback4 = ip("198.51.100.9");
    c.outbound4 = (Inet4Address) ip("198.51.100.2");
    c.outboundIf6 = "lo";
    return c;
  }

  /** --no-map-gw, --no-ra, --no-dhcp-dns, --no-dhcp-search, no MTU advertised. */
  private static PasstConfig noMapGwNoServices() {
    PasstConfig c = forwarding(TestConfigs.sandbox());
    c.noMapGw = true;
    c.noRa = true;
    c.noDhcpDns = true;
    c.noDhcpSearch = true;
    c.mtu = 0;
    return c;
  }

  /** IPv4 only, a /30 (no directed broadcast logic), a small MTU, many resolvers. */
  private static PasstConfig ipv4Only() {
    PasstConfig c = forwarding(TestConfigs.sandbox());
    c.ipv6 = false;
    c.prefixLen4 = 30;
    c.mtu = 576;
    c.dns4 = new ArrayList<>();
    for (int i = 1; i <= 80; i++) c.dns4.add((Inet4Address) ip("198.51.100." + i));
    return c;
  }

  /** No addresses, gateways, resolvers or search list: what handlers do with nothing to give. */
  private static PasstConfig bare() {
    PasstConfig c = forwarding(TestConfigs.sandbox());
    c.addr4 = null;
    c.gateway4 = null;
    c.addr6 = null;
    c.gateway6 = null;
    c.addrLinkLocal6 = null;
    c.dns4 = new ArrayList<>();
    c.dns6 = new ArrayList<>();
    c.searchDomains = new ArrayList<>();
    return c;
  }
}
