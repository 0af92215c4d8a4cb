package io.passt4j.impl.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.passt4j.PasstConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host detection against fake /proc/net files, resolv.conf and interfaces. */
class HostDetectorTest {

  static final String ROUTE = """
      Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
      eth0\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0
      eth0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
      """;
  static final String ROUTE6 = """
      20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
      00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000000000000000000000001 00000400 00000001 00000000 00000003     eth0
      00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
      """;
  static final String IF_INET6 = """
      fe80000000000000000000fffe000002 03 40 20 c0     eth0
      20010db8000000000000000000000002 03 40 00 82     eth0
      00000000000000000000000000000001 01 80 10 80       lo
      """;

  @TempDir Path dir;
  Path resolv;
  FakeInterfaces ifs;

  /** Interfaces from a map: name to IPv4 address list and MAC. */
  record FakeInterfaces(Map<String, List<HostDetector.Addr4>> v4, Map<String, byte[]> macs)
      implements HostDetector.Interfaces {
    public boolean exists(String name) {
      return v4.containsKey(name) || macs.containsKey(name);
    }

    public List<HostDetector.Addr4> ipv4(String name) {
      return v4.getOrDefault(name, List.of());
    }

    public byte[] mac(String name) {
      return macs.get(name);
    }
  }

  @BeforeEach
  void files() throws IOException {
    write("route", ROUTE);
    write("ipv6_route", ROUTE6);
    write("if_inet6", IF_INET6);
    resolv = dir.resolve("resolv.conf");
    Files.writeString(resolv, "# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
        + "nameserver 2001:db8::53\nsearch example.com example.org\noptions edns0\n");
    ifs = new FakeInterfaces(
        Map.of("eth0", List.of(new HostDetector.Addr4(v4("198.51.100.2"), 24))),
        Map.of("eth0", PasstConfig.parseMac("02:00:00:00:00:02")));
  }

  private void write(String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text);
  }

  private HostDetector detector() {
    return new HostDetector().procNet(dir).resolvConf(resolv).interfaces(ifs);
  }

  static java.net.Inet4Address v4(String s) {
    return InetLiteral.parse4(s);
  }

  private static String s(java.net.InetAddress a) {
    return a == null ? null : InetLiteral.format(a);
  }

  @Test
  void likeDebiansPasstInTheSandbox() {
    PasstConfig c = new PasstConfig();
    List<String> warnings = detector().apply(c, HostOverrides.NONE);
    assertThat(warnings).isEmpty();
    assertThat(c.ipv4 && c.ipv6).isTrue();
    assertThat(c.ifname4).isEqualTo("eth0");
    assertThat(c.ifname6).isEqualTo("eth0");
    assertThat(s(c.addr4)).isEqualTo("198.51.100.2");
    assertThat(c.prefixLen4).isEqualTo(24);
    assertThat(s(c.gateway4)).isEqualTo("198.51.100.1");
    assertThat(PasstConfig.formatMac(c.ourMac)).isEqualTo("02:00:00:00:00:02");
    assertThat(s(c.addr6)).isEqualTo("2001:db8::2");
    assertThat(c.prefixLen6).isEqualTo(64);
    assertThat(s(c.gateway6)).isEqualTo("2001:db8::1");
    assertThat(s(c.addrLinkLocal6)).isEqualTo("fe80::ff:fe00:2");
    // the loopback resolver is reached through the gateway; the real one is kept for forwarding
    assertThat(c.dns4).extracting(HostDetectorTest::s).containsExactly("198.51.100.1", "192.0.2.53");
    assertThat(s(c.dnsForward4)).isEqualTo("198.51.100.1");
    assertThat(s(c.dnsHost4)).isEqualTo("127.0.0.53");
    assertThat(c.dns6).extracting(HostDetectorTest::s).containsExactly("2001:db8::53");
    assertThat(s(c.dnsHost6)).isEqualTo("2001:db8::53");
    assertThat(c.dnsForward6).isNull();
    assertThat(c.searchDomains).containsExactly("example.com", "example.org");
  }

  @Test
  void ipv6LoopbackResolverGoesThroughTheIpv6Gateway() throws IOException {
    Files.writeString(resolv, "nameserver ::1\n");
    PasstConfig c = new PasstConfig();
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.dns6).extracting(HostDetectorTest::s).containsExactly("2001:db8::1");
    assertThat(s(c.dnsForward6)).isEqualTo("2001:db8::1");
    assertThat(s(c.dnsHost6)).isEqualTo("::1");
  }

  @Test
  void noMapGwDropsLoopbackResolvers() {
    PasstConfig c = new PasstConfig();
    c.noMapGw = true;
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.dns4).extracting(HostDetectorTest::s).containsExactly("192.0.2.53");
    assertThat(c.dnsForward4).isNull();
    assertThat(s(c.dnsHost4)).isEqualTo("127.0.0.53");
  }

  @Test
  void givenResolversAndSearchListWin() {
    PasstConfig c = new PasstConfig();
    c.dns4.add(v4("192.0.2.99"));
    c.dns6.add(InetLiteral.parse6("2001:db8::99"));
    c.searchDomains.add("given.example");
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.dns4).extracting(HostDetectorTest::s).containsExactly("192.0.2.99");
    assertThat(c.searchDomains).containsExactly("given.example");
    assertThat(c.dnsHost4).isNull();
  }

  @Test
  void dnsNoneAndSearchNone() {
    PasstConfig c = new PasstConfig();
    detector().apply(c, new HostOverrides(null, false, false, false, false, true, true));
    assertThat(c.dns4).isEmpty();
    assertThat(c.dns6).isEmpty();
    assertThat(c.searchDomains).isEmpty();
  }

  @Test
  void atMostThreeResolversPerFamilyAndFiveSearchDomains() throws IOException {
    Files.writeString(resolv, "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n"
        + "nameserver 192.0.2.4\nsearch a b c d e f g\nsearch second.example\n");
    PasstConfig c = new PasstConfig();
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.dns4).hasSize(3);
    assertThat(c.searchDomains).containsExactly("a", "b", "c", "d", "e");
  }

  @Test
  void missingResolvConfWarns() {
    PasstConfig c = new PasstConfig();
    List<String> w = new HostDetector().procNet(dir).resolvConf(dir.resolve("nope"))
        .interfaces(ifs).apply(c, HostOverrides.NONE);
    assertThat(w).containsExactly("Couldn't get any nameserver address");
  }

  @Test
  void prefixWidenedUntilTheGatewayIsOnLink() {
    ifs = new FakeInterfaces(Map.of("eth0", List.of(new HostDetector.Addr4(v4("198.51.100.2"), 30))),
        ifs.macs());
    PasstConfig c = new PasstConfig();
    c.gateway4 = v4("198.51.100.200");
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.prefixLen4).isEqualTo(24);
    assertThat(HostDetector.widen(HostDetector.int4(v4("10.0.0.5")),
        HostDetector.int4(v4("198.51.100.1")), 8)).isEqualTo(8);
  }

  @Test
  void givenAddressGetsItsClassfulPrefix() {
    PasstConfig c = new PasstConfig();
    c.addr4 = v4("10.0.0.5");
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.prefixLen4).isEqualTo(8);
    c = new PasstConfig();
    c.addr4 = v4("198.51.100.7");
    detector().apply(c, HostOverrides.NONE);
    assertThat(c.prefixLen4).isEqualTo(24);
  }

  @Test
  void givenNetmaskIsKept() {
    PasstConfig c = new PasstConfig();
    c.prefixLen4 = 28;
    detector().apply(c, new HostOverrides(null, false, false, false, true, false, false));
    assertThat(c.prefixLen4).isEqualTo(28);
  }

  @Test
  void familiesSwitchedOff() {
    PasstConfig c = new PasstConfig();
    detector().apply(c, new HostOverrides(null, true, false, false, false, false, false));
    assertThat(c.ipv4).isTrue();
    assertThat(c.ipv6).isFalse();
    assertThat(c.dns6).isEmpty();
    c = new PasstConfig();
    detector().apply(c, new HostOverrides(null, false, true, false, false, false, false));
    assertThat(c.ipv4).isFalse();
    assertThat(c.ipv6).isTrue();
    assertThat(c.dns4).isEmpty();
  }

  @Test
  void familyWithoutDefaultRouteIsOffWithAWarning() throws IOException {
    write("ipv6_route", "");
    PasstConfig c = new PasstConfig();
    List<String> w = detector().apply(c, HostOverrides.NONE);
    assertThat(w).containsExactly("No external routable interface for IPv6");
    assertThat(c.ipv6).isFalse();
    assertThat(c.ipv4).isTrue();
  }

  @Test
  void noUsableInterfaceFails() throws IOException {
    write("route", "Iface\tDestination\n");
    write("ipv6_route", "");
    assertThatThrownBy(() -> detector().apply(new PasstConfig(), HostOverrides.NONE))
        .isInstanceOf(HostDetector.DetectionException.class)
        .hasMessage("External interface not usable");
  }

  @Test
  void unusableOutboundInterfaceFails() throws IOException {
    write("ipv6_route", "");
    PasstConfig c = new PasstConfig();
    c.outboundIf6 = "eth0";
    assertThatThrownBy(() -> detector().apply(c, HostOverrides.NONE))
        .hasMessage("External interface not usable");
  }

  @Test
  void unknownInterface() {
    assertThatThrownBy(() -> detector().apply(new PasstConfig(),
        new HostOverrides("nonexist", false, false, false, false, false, false)))
        .hasMessage("Invalid interface name nonexist: No such device");
  }

  @Test
  void givenMacWinsAndMissingMacFallsBackToPasstsDefault() {
    PasstConfig c = new PasstConfig();
    c.ourMac = PasstConfig.parseMac("02:00:00:00:00:99");
    detector().apply(c, new HostOverrides(null, false, false, true, false, false, false));
    assertThat(PasstConfig.formatMac(c.ourMac)).isEqualTo("02:00:00:00:00:99");
    ifs = new FakeInterfaces(ifs.v4(), Map.of());
    c = new PasstConfig();
    detector().apply(c, HostOverrides.NONE);
    assertThat(PasstConfig.formatMac(c.ourMac)).isEqualTo("9a:55:9a:55:9a:55");
  }
}
