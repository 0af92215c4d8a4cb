package io.passt4j.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * passt mode end to end with a real guest: qemu boots a Debian kernel with a busybox
 * initramfs, connected with {@code -netdev stream} to {@code scripts/passt}, inside a sandbox
 * network namespace whose fake uplink is 198.51.100.2/24 via .1 and 2001:db8::2/64 via ::1.
 * The same guest also runs against Debian's passt, the reference: the configuration the guest
 * ends up with must be the same, except where Debian's passt is wrong.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PasstVmIT {

  /** Nothing extra for the guest: every check runs, TCP included. */
  static final String GUEST = "";

  VmRun ours;
  VmRun debian;

  @BeforeAll
  void boot() throws Exception {
    ours = VmRun.run(VmRun.ROOT.resolve("scripts/passt") + " -f -e -1 -u 7000", GUEST, 240);
    System.out.printf("VM run with passt4j: %.1f s, exit %d%n", ours.millis / 1000.0, ours.exitCode);
    debian = VmRun.run("/usr/bin/passt -f -e -1 -u 7000", GUEST, 240);
    System.out.printf("VM run with Debian passt: %.1f s, exit %d%n", debian.millis / 1000.0, debian.exitCode);
  }

  @Test
  void everyGuestCheckPassesWithPasst4j() {
    for (String c : List.of("link_up", "dhcp4", "ping4_gw", "slaac", "ping6_gw", "ping6_router",
        "udp4_echo", "udp6_echo", "udp6_echo_anysrc", "tcp4_echo", "tcp6_echo", "udp_fwd4",
        "udp_fwd6")) {
      assertThat(ours.check(c)).as("guest check %s; output:%n%s", c, ours.output).startsWith("PASS");
    }
    assertThat(ours.exitCode).as(ours.output).isZero();
  }

  @Test
  void dhcpGivesTheSandboxHostsAddressPrefixRouterDnsAndMtu() {
    assertThat(ours.result("dhcp_ip")).isEqualTo("198.51.100.2");
    assertThat(ours.result("dhcp_subnet")).isIn("255.255.255.0", "24");
    assertThat(ours.result("dhcp_router")).isEqualTo("198.51.100.1");
    assertThat(ours.result("dhcp_dns")).isEqualTo("198.51.100.1");
    assertThat(ours.result("dhcp_search")).isEqualTo("example.org");
    assertThat(ours.result("dhcp_mtu")).isEqualTo("65520");
    assertThat(ours.result("mtu")).isEqualTo("65520");
    assertThat(ours.result("ipv4_addr")).isEqualTo("198.51.100.2/24");
    assertThat(ours.result("ipv4_route")).startsWith("default via 198.51.100.1 dev eth0");
  }

  @Test
  void slaacGivesTheSandboxPrefix() {
    assertThat(ours.resultsOf("ipv6_addr"))
        .anyMatch(a -> a.startsWith("inet6 2001:db8::5054:ff:fe12:3456/64 scope global"));
    assertThat(ours.resultsOf("ipv6_route")).anyMatch(r -> r.startsWith("default via fe80::"));
  }

  @Test
  void theGuestIsConfiguredExactlyAsDebianPasstConfiguresIt() {
    for (String k : List.of("dhcp_ip", "dhcp_subnet", "dhcp_mask", "dhcp_router", "dhcp_dns",
        "dhcp_domain", "dhcp_search", "dhcp_mtu", "dhcp_lease", "dhcp_serverid", "dhcp_broadcast",
        "ipv4_addr", "ipv4_route", "mtu", "ipv6_addr")) {
      assertThat(withoutCountdowns(ours.resultsOf(k))).as("RESULT %s", k)
          .isEqualTo(withoutCountdowns(debian.resultsOf(k)));
    }
    assertThat(debian.passed("dhcp4")).as(debian.output).isTrue();
  }

  /** Lifetimes count down while the guest runs: "3598sec" and "3599sec" are the same offer. */
  static List<String> withoutCountdowns(List<String> values) {
    return values.stream().map(v -> v.replaceAll("\\d+sec", "Nsec")).toList();
  }

  @Test
  void ipv6UdpToTheGatewayIsAnsweredFromTheGateway_debianPasstAnswersFromLinkLocal() {
    String gw = "[2001:0db8:0000:0000:0000:0000:0000:0001]:10007";
    assertThat(ours.check("udp6_echo")).startsWith("PASS");
    assertThat(ours.result("udp6_echo_anysrc_from")).isEqualTo(gw);
    // The reference gets this wrong: a connected socket in the guest never sees its reply.
    assertThat(debian.check("udp6_echo")).startsWith("FAIL");
    assertThat(debian.result("udp6_echo_anysrc_from")).startsWith("[fe80:");
  }

  @Test
  void udpForwardedWithDashUReachesTheGuestInBothFamilies() {
    assertThat(ours.resultsOf("udp_fwd_rx")).contains("passt4j-fwd4", "passt4j-fwd6");
  }

  @Test
  void theDaemonExitsWhenItsOneOffClientLeaves() {
    assertThat(ours.output).contains("Client closed connection, exiting");
  }
}
