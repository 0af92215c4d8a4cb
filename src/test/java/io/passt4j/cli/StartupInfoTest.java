package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.impl.host.InetLiteral;
import org.junit.jupiter.api.Test;

/** The summary block, against what Debian's passt printed in the documentation-address sandbox. */
class StartupInfoTest {

  private static Options sandbox(String... args) {
    Options o = OptionsParser.parse(PasstConfig.Mode.PASST, args);
    PasstConfig c = o.config;
    c.ifname4 = c.ifname6 = "eth0";
    if (c.addr4 == null) c.addr4 = InetLiteral.parse4("198.51.100.2");
    if (c.prefixLen4 == 0) c.prefixLen4 = 24;
    if (c.gateway4 == null) c.gateway4 = InetLiteral.parse4("198.51.100.1");
    c.addr6 = InetLiteral.parse6("2001:db8::2");
    c.gateway6 = InetLiteral.parse6("2001:db8::1");
    c.addrLinkLocal6 = InetLiteral.parse6("fe80::ff:fe00:2");
    if (o.macAddr == null) c.ourMac = PasstConfig.parseMac("02:00:00:00:00:02");
    return o;
  }

  @Test
  void bothFamiliesWithResolversAndSearchList() {
    Options o = sandbox("-f");
    PasstConfig c = o.config;
    c.dns4.add(InetLiteral.parse4("198.51.100.1"));
    c.dns4.add(InetLiteral.parse4("192.0.2.53"));
    c.dns6.add(InetLiteral.parse6("2001:db8::53"));
    c.searchDomains.add("example.com");
    c.searchDomains.add("example.org");
    assertThat(StartupInfo.text(o)).isEqualTo("""
        Template interface: eth0 (IPv4), eth0 (IPv6)
        MAC:
            host: 02:00:00:00:00:02
        DHCP:
            assign: 198.51.100.2
            mask: 255.255.255.0
            router: 198.51.100.1
        DNS:
            198.51.100.1
            192.0.2.53
        DNS search list:
            example.com
            example.org
        NDP/DHCPv6:
            assign: 2001:db8::2
            router: 2001:db8::1
            our link-local: fe80::ff:fe00:2
        DNS:
            2001:db8::53
        DNS search list:
            example.com
            example.org
        """);
  }

  @Test
  void outboundAndIpv4Only() {
    Options o = sandbox("-4", "-o", "198.51.100.2", "--outbound-if4", "eth0", "--no-dhcp");
    assertThat(StartupInfo.text(o)).isEqualTo("""
        Template interface: eth0 (IPv4)
        Outbound interface: eth0 (IPv4)
        Outbound address: 198.51.100.2
        MAC:
            host: 02:00:00:00:00:02
        """);
  }

  @Test
  void classfulMask() {
    Options o = sandbox("-6", "-a", "10.0.0.5", "-n", "8");
    o.config.ipv4 = true;
    o.config.ipv6 = false;
    assertThat(StartupInfo.text(o)).contains("    mask: 255.0.0.0\n")
        .startsWith("Template interface: eth0 (IPv4)\n");
    assertThat(StartupInfo.mask(0)).isEqualTo("0.0.0.0");
    assertThat(StartupInfo.mask(32)).isEqualTo("255.255.255.255");
  }
}
