package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.passt4j.PasstConfig;
import io.passt4j.PasstConfig.Mode;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OptionsParserTest {

  private static Options passt(String... args) {
    return OptionsParser.parse(Mode.PASST, args);
  }

  private static String[] split(String cmdline) {
    return cmdline.isEmpty() ? new String[0] : cmdline.split(" ");
  }

  /** Invocations passt refuses, with its first stderr line; each checked against Debian's passt. */
  static Stream<Arguments> errors() {
    return Stream.of(
        e("passt", "--userns x", "--userns is for pasta mode only"),
        e("passt", "--netns x", "--netns is for pasta mode only"),
        e("passt", "--ns-mac-addr 1", "--ns-mac-addr is for pasta mode only"),
        e("passt", "--dhcp-dns", "--dhcp-dns is for pasta mode only"),
        e("passt", "--dhcp-search", "--dhcp-search is for pasta mode only"),
        e("passt", "--no-netns-quit", "--no-netns-quit is for pasta mode only"),
        e("pasta", "--no-dhcp-dns", "--no-dhcp-dns is for passt mode only"),
        e("pasta", "--no-dhcp-search", "--no-dhcp-search is for passt mode only"),
        e("pasta", "--one-off", "--one-off is for passt mode only"),
        e("passt", "--dns-forward foo", "Invalid DNS forwarding address: foo"),
        e("passt", "--trace --trace", "Multiple --trace options given"),
        e("passt", "-q --trace", "Either --trace or --quiet"),
        e("passt", "--runas a --runas b", "Multiple --runas options given"),
        e("passt", "--log-size 5", "Invalid --log-size: 5"),
        e("passt", "--log-size 5000000 --log-size 1", "Multiple --log-size options given"),
        e("passt", "-dd", "Multiple --debug options given"),
        e("passt", "--trace -d", "Multiple --debug options given"),
        e("passt", "-d -q", "Either --debug or --quiet"),
        e("passt", "-q -d", "Either --debug or --quiet"),
        e("passt", "-e -l x", "Can't log to both stderr and file"),
        e("passt", "-l x -e", "Can't log to both file and stderr"),
        e("passt", "-ee", "Multiple --stderr options given"),
        e("passt", "-l a -l b", "Multiple --log-file options given"),
        e("passt", "-qq", "Multiple --quiet options given"),
        e("passt", "-ff", "Multiple --foreground options given"),
        e("passt", "--fore -f", "Multiple --foreground options given"),
        e("passt", "-s a -s b", "Multiple --socket options given"),
        e("passt", "--socket=", "Invalid socket path: "),
        e("passt", "-F 3 -F 4", "Multiple --fd options given"),
        e("passt", "-F -1", "Invalid --fd: -1"),
        e("passt", "-p a -p b", "Multiple --pcap options given"),
        e("passt", "-P a -P b", "Multiple --pid options given"),
        e("passt", "-m 1500 -m 1500", "Multiple --mtu options given"),
        e("passt", "-m 0x5dc -m 1", "Multiple --mtu options given"),
        e("passt", "-m 1 -m 2", "Invalid MTU: 1"),
        e("passt", "-m 67", "Invalid MTU: 67"),
        e("passt", "-m 65536", "Invalid MTU: 65536"),
        e("passt", "-a foo", "Invalid address: foo"),
        e("passt", "-a 10.0.0.1 -a 10.0.0.2", "Invalid address: 10.0.0.2"),
        e("passt", "-a 2001:db8::1 -a 2001:db8::2", "Invalid address: 2001:db8::2"),
        e("passt", "-a ::1", "Invalid address: ::1"),
        e("passt", "-a 127.0.0.1", "Invalid address: 127.0.0.1"),
        e("passt", "-a 224.0.0.1", "Invalid address: 224.0.0.1"),
        e("passt", "-a ::ffff:10.0.0.1", "Invalid address: ::ffff:10.0.0.1"),
        e("passt", "-n 33", "Invalid netmask: 33"),
        e("passt", "-n 255.0.255.0", "Invalid netmask: 255.0.255.0"),
        e("passt", "-n 255.255.255.255", "Invalid netmask: 255.255.255.255"),
        e("passt", "-M zz", "Invalid MAC address: zz"),
        e("passt", "-M 1:2:3:4:5:6", "Invalid MAC address: 1:2:3:4:5:6"),
        e("passt", "-g foo", "Invalid gateway address: foo"),
        e("passt", "-g 127.0.0.1", "Invalid gateway address: 127.0.0.1"),
        e("passt", "-i lo -i lo", "Redundant interface: lo"),
        e("passt", "-o foo", "Invalid or redundant outbound address: foo"),
        e("passt", "-o 192.0.2.1 -o 192.0.2.2", "Invalid or redundant outbound address: 192.0.2.2"),
        e("passt", "-D foo", "Cannot use DNS address foo"),
        e("passt", "-D none -D none", "Redundant DNS options"),
        e("passt", "-D 192.0.2.1 -D none", "Conflicting DNS options"),
        e("passt", "-D none -D 192.0.2.1", "Conflicting DNS options"),
        e("passt", "-S none -S none", "Redundant DNS search options"),
        e("passt", "-S a -S none", "Conflicting DNS search options"),
        e("passt", "-S none -S a", "Conflicting DNS search options"),
        e("passt", "-1 -1", "Redundant --one-off option"),
        e("passt", "-4 -6", "Options ipv4-only and ipv6-only are mutually exclusive"),
        e("passt", "-s a -F 3", "Options --socket and --fd are mutually exclusive"),
        e("passt", "--fd=0x10 -s a", "Options --socket and --fd are mutually exclusive"),
        e("passt", "--outbound-if4 a --outbound-if4 b", "Redundant outbound interface: b"),
        e("passt", "--outbound-if6 0123456789abcdefg", "Invalid interface name: 0123456789abcdefg"),
        e("passt", "extra", "Extra non-option argument: extra"),
        e("passt", "extra -f -f", "Multiple --foreground options given"),
        e("pasta", "-I a -I b", "Multiple --ns-ifname options given"),
        e("pasta", "-I 0123456789abcde", "Invalid interface name: 0123456789abcde"),
        e("pasta", "--netns a 123", "Both --netns and PID or command given"),
        e("pasta", "--userns a --netns-only", "Both --userns and --netns-only given"),
        e("pasta", "-- -1", "Invalid PID -1"),
        e("passt", "-t auto", "'auto' port forwarding is only allowed for pasta"),
        e("pasta", "-t all", "'all' port forwarding is only allowed for passt"),
        e("passt", "-u 70000", "Invalid port specifier 70000"),
        e("passt", "-u 10-5", "Invalid port specifier 10-5"),
        e("passt", "-u 22 -u 22", "Overlapping port specifier 22"),
        e("passt", "-t none -t 22", "Specific ports cannot be specified together with all/none/auto"),
        e("passt", "-t 22 -t none", "Port forwarding mode 'none' conflicts with previous mode"),
        e("passt", "--map-host-loopback 127.0.0.1", "Invalid address to remap to host: 127.0.0.1"),
        // getopt's own complaints, followed by the usage text
        e("passt", "--bogus", "passt: unrecognized option '--bogus'"),
        e("passt", "-x", "passt: invalid option -- 'x'"),
        e("passt", "-I a", "passt: invalid option -- 'I'"),
        e("passt", "-T 22", "passt: invalid option -- 'T'"),
        e("passt", "-U 22", "passt: invalid option -- 'U'"),
        e("pasta", "-1", "pasta: invalid option -- '1'"),
        e("pasta", "-s x", "pasta: invalid option -- 's'"),
        e("pasta", "sh -c true", "pasta: invalid option -- 'c'"),
        e("passt", "-s", "passt: option requires an argument -- 's'"),
        e("passt", "-fs", "passt: option requires an argument -- 's'"),
        e("passt", "--socket", "passt: option '--socket' requires an argument"),
        e("passt", "--no-dhcp=1", "passt: option '--no-dhcp' doesn't allow an argument"),
        e("passt", "--no", "passt: option '--no' is ambiguous; possibilities: '--no-tcp' '--no-udp'"
            + " '--no-icmp' '--no-dhcp' '--no-dhcpv6' '--no-ndp' '--no-ra' '--no-map-gw'"
            + " '--no-dhcp-dns' '--no-dhcp-search' '--no-netns-quit' '--no-splice'"),
        // long forms of the other mode's options: passt takes some silently, we refuse them
        e("passt", "--ns-ifname a", "--ns-ifname is for pasta mode only"),
        e("passt", "--tcp-ns 22", "--tcp-ns is for pasta mode only"),
        e("pasta", "--socket x", "--socket is for passt mode only"),
        // what we don't do yet
        e("pasta", "-F 3", "not supported yet: --fd (pasta mode)"));
  }

  private static Arguments e(String prog, String args, String message) {
    return Arguments.of(prog.equals("pasta") ? Mode.PASTA : Mode.PASST, args, message);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("errors")
  void refusesWithPasstsWordingAndExit1(Mode mode, String args, String message) {
    assertThatThrownBy(() -> OptionsParser.parse(mode, split(args)))
        .isInstanceOfSatisfying(OptionsException.class, e -> {
          assertThat(e.getMessage().lines().findFirst().orElse("")).isEqualTo(message);
          assertThat(e.exitCode()).isEqualTo(1);
        });
  }

  @Test
  void getoptErrorsCarryTheUsageText() {
    assertThatThrownBy(() -> passt("-x")).hasMessageContaining("Usage: passt [OPTION]...")
        .hasMessageContaining("--tcp-ports SPEC");
    assertThatThrownBy(() -> OptionsParser.parse(Mode.PASTA, new String[] {"-1"}))
        .hasMessageContaining("Usage: pasta [OPTION]... [COMMAND] [ARGS]...");
  }

  /** Same options, every spelling getopt_long accepts. */
  static Stream<String> spellings() {
    return Stream.of(
        "-f -q -s /tmp/s -m 1500 -p /tmp/p",
        "-fq -s/tmp/s -m1500 -p /tmp/p",
        "-fqs /tmp/s -m 1500 --pcap=/tmp/p",
        "--foreground --quiet --socket /tmp/s --mtu 1500 --pcap /tmp/p",
        "--fore --qui --sock=/tmp/s --mt=1500 --pc /tmp/p",
        "--foreground --quiet --socket=/tmp/s --mtu=1500 --pcap=/tmp/p");
  }

  @ParameterizedTest
  @MethodSource("spellings")
  void shortLongAbbreviatedClusteredEqualsForms(String args) {
    Options o = passt(split(args));
    assertThat(o.foreground).isTrue();
    assertThat(o.quiet).isTrue();
    assertThat(o.config.socketPath).isEqualTo("/tmp/s");
    assertThat(o.config.mtu).isEqualTo(1500);
    assertThat(o.config.pcapPath).isEqualTo("/tmp/p");
  }

  @Test
  void everyPasstOption() {
    Options o = passt(split("-d -e -f -P /run/p.pid --runas 1000:1000 --log-size 2000000"
        + " -m 0 -a 192.0.2.2 -a 2001:db8::2 -n 24 -M 02:00:00:00:00:09 -g 192.0.2.1"
        + " -g 2001:db8::1 -i eth0 -o 192.0.2.2 -o 2001:db8::2 --outbound-if4 eth0"
        + " --outbound-if6 eth1 -D 192.0.2.53 -D 2001:db8::53 -D 192.0.2.54 -S example.com"
        + " --no-dhcp-dns --no-dhcp-search --dns-forward 192.0.2.99 --dns-forward 2001:db8::99"
        + " --no-tcp --no-udp --no-icmp --no-dhcp --no-ndp --no-dhcpv6 --no-ra --no-map-gw"
        + " -1 -t none -u 53,~54 -s /tmp/sock"));
    PasstConfig c = o.config;
    assertThat(o.debug && o.stderr && o.foreground).isTrue();
    assertThat(o.pidFile).isEqualTo("/run/p.pid");
    assertThat(o.runas).isEqualTo("1000:1000");
    assertThat(o.logSize).isEqualTo(2000000);
    assertThat(c.mtu).isZero();
    assertThat(c.addr4.getHostAddress()).isEqualTo("192.0.2.2");
    assertThat(c.addr6.getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:2");
    assertThat(c.prefixLen4).isEqualTo(24);
    assertThat(PasstConfig.formatMac(c.ourMac)).isEqualTo("02:00:00:00:00:09");
    assertThat(o.macAddr).isEqualTo("02:00:00:00:00:09");
    assertThat(c.gateway4.getHostAddress()).isEqualTo("192.0.2.1");
    assertThat(c.gateway6).isNotNull();
    assertThat(o.iface).isEqualTo("eth0");
    assertThat(c.outbound4).isNotNull();
    assertThat(c.outbound6).isNotNull();
    assertThat(c.outboundIf4).isEqualTo("eth0");
    assertThat(c.outboundIf6).isEqualTo("eth1");
    assertThat(c.dns4).hasSize(2);
    assertThat(c.dns6).hasSize(1);
    assertThat(o.dns).containsExactly("192.0.2.53", "2001:db8::53", "192.0.2.54");
    assertThat(c.searchDomains).containsExactly("example.com");
    assertThat(c.noDhcpDns && c.noDhcpSearch && c.noRa && c.noMapGw && c.oneOff).isTrue();
    assertThat(c.dnsForward4).isNotNull();
    assertThat(c.dnsForward6).isNotNull();
    assertThat(c.disabledHandlers).containsExactlyInAnyOrder("tcp", "udp", "icmp", "dhcp", "ndp", "dhcpv6");
    assertThat(c.tcpIn).isEqualTo(ForwardRules.NONE);
    assertThat(c.udpIn.ports()).containsExactly(new PortForward(null, null, 53, 53));
    assertThat(c.socketPath).isEqualTo("/tmp/sock");
    assertThat(c.ipv4 && c.ipv6).isTrue();
  }

  @Test
  void familiesAndTrace() {
    Options o = passt("-4", "--trace");
    assertThat(o.ipv4Only && o.trace && o.debug).isTrue();
    assertThat(o.config.ipv6).isFalse();
    assertThat(passt("--ipv6-only").config.ipv4).isFalse();
  }

  @Test
  void fdImpliesOneOffAndTakesStrtolNumbers() {
    Options o = passt("--fd", "0x10", "--pid", "/run/x.pid");
    assertThat(o.config.fd).isEqualTo(16);
    assertThat(o.config.oneOff).isTrue();
    assertThat(passt("-F", "010").config.fd).isEqualTo(8);
  }

  @Test
  void dnsAndSearchNone() {
    Options o = passt("-D", "none", "-S", "none");
    assertThat(o.dnsNone && o.searchNone).isTrue();
    assertThat(o.hostOverrides().dnsNone()).isTrue();
    assertThat(passt("-S", "a.example b.example").config.searchDomains)
        .containsExactly("a.example", "b.example");
  }

  @Test
  void newerPasstOptions() {
    Options o = passt("--map-guest-addr", "192.0.2.7", "--map-host-loopback", "2001:db8::7",
        "--dns-host", "192.0.2.53", "--no-splice");
    assertThat(o.config.mapGuestAddr4.getHostAddress()).isEqualTo("192.0.2.7");
    assertThat(o.config.mapHostLoopback6).isNotNull();
    assertThat(o.config.dnsHost4.getHostAddress()).isEqualTo("192.0.2.53");
    assertThat(o.noSplice).isTrue();
    assertThat(passt("--map-host-loopback", "none").config.noMapGw).isTrue();
  }

  @Test
  void udpFollowsTcpUnlessGiven() {
    Options o = passt("-t", "2222:22,80");
    assertThat(o.config.udpIn.ports())
        .containsExactly(new PortForward(null, null, 80, 80), new PortForward(null, null, 2222, 2222));
    assertThat(passt("-t", "22", "-u", "none").config.udpIn).isEqualTo(ForwardRules.NONE);
    // not -t all: as Debian's passt (and a third of the file descriptors)
    assertThat(passt("-t", "all").config.udpIn).isEqualTo(ForwardRules.NONE);
    assertThat(passt("--tcp-ports=all", "-u", "none").config.tcpIn.mode())
        .isEqualTo(ForwardRules.Mode.ALL);
    assertThat(passt("-u", "all").config.udpIn.toBind()).hasSize(49151)
        .startsWith(new PortForward(null, null, 1, 1))
        .endsWith(new PortForward(null, null, 49151, 49151));
  }

  @Test
  void helpAndVersionStopParsing() {
    assertThat(passt("-f", "-h", "--bogus").help).isTrue();
    assertThat(passt("--he").help).isTrue();
    assertThat(passt("--version", "-x").version).isTrue();
    assertThat(passt("-fh").help).isTrue();
  }

  @Test
  void doubleDashEndsOptions() {
    assertThatThrownBy(() -> passt("--", "-f")).hasMessage("Extra non-option argument: -f");
  }

  @Test
  void pastaOptions() {
    Options o = OptionsParser.parse(Mode.PASTA, split(
        "--config-net -I tap0 --ns-mac-addr 02:00:00:00:00:01 --dhcp-dns -T 8080 -U none"
            + " --netns ns1 --no-netns-quit -t 22"));
    assertThat(o.configNet && o.noNetnsQuit && o.dhcpDns && o.netnsOnly).isTrue();
    assertThat(o.netns).isEqualTo("/run/netns/ns1");
    assertThat(o.nsIfname).isEqualTo("tap0");
    assertThat(o.config.noDhcpDns).isFalse();
    assertThat(o.config.noDhcpSearch).isTrue();
    assertThat(o.config.noRa).isTrue();
    assertThat(o.config.tcpIn.ports()).containsExactly(new PortForward(null, null, 22, 22));
    assertThat(o.config.udpIn.ports()).containsExactly(new PortForward(null, null, 22, 22));
    assertThat(o.config.tcpOut.ports()).containsExactly(new PortForward(null, null, 8080, 8080));
    assertThat(o.config.udpOut).isEqualTo(ForwardRules.NONE);

    Options pid = OptionsParser.parse(Mode.PASTA, new String[] {"1234"});
    assertThat(pid.targetPid).isEqualTo(1234);
    assertThat(pid.netns).isEqualTo("/proc/1234/ns/net");
    assertThat(pid.userns).isEqualTo("/proc/1234/ns/user");
    assertThat(pid.config.tcpIn).isEqualTo(ForwardRules.AUTO);

    Options cmd = OptionsParser.parse(Mode.PASTA, new String[] {"-f", "--", "sh", "-c", "true"});
    assertThat(cmd.command).containsExactly("sh", "-c", "true");
    assertThat(cmd.targetPid).isEqualTo(-1);
  }

  @Test
  void pastaForwardsAutomaticallyByDefault() {
    Options o = OptionsParser.parse(Mode.PASTA, split("--config-net"));
    assertThat(o.config.tcpIn).isEqualTo(ForwardRules.AUTO);
    assertThat(o.config.udpIn).isEqualTo(ForwardRules.AUTO);
    assertThat(o.config.tcpOut).isEqualTo(ForwardRules.AUTO);
    assertThat(o.config.udpOut).isEqualTo(ForwardRules.AUTO);
    // UDP follows TCP unless given: "none" and explicit ports carry over, auto stays auto
    Options t = OptionsParser.parse(Mode.PASTA, split("-t none -T auto"));
    assertThat(t.config.tcpIn).isEqualTo(ForwardRules.NONE);
    assertThat(t.config.udpIn).isEqualTo(ForwardRules.AUTO);
    assertThat(t.config.tcpOut).isEqualTo(ForwardRules.AUTO);
    assertThat(t.config.udpOut).isEqualTo(ForwardRules.AUTO);
  }

  @Test
  void pastaForwardsPortSpecs() {
    Options o = OptionsParser.parse(Mode.PASTA, split("--config-net -t 8080-8081:80-81 -u none"
        + " -T 9000,~9001 -U 5353 --no-splice --netns /run/netns/x"));
    assertThat(o.config.tcpIn.ports()).containsExactly(new PortForward(null, null, 8080, 80),
        new PortForward(null, null, 8081, 81));
    assertThat(o.config.udpIn).isEqualTo(ForwardRules.NONE);
    assertThat(o.config.tcpOut.ports()).containsExactly(new PortForward(null, null, 9000, 9000));
    assertThat(o.config.udpOut.ports()).containsExactly(new PortForward(null, null, 5353, 5353));
    assertThat(o.config.noSplice).isTrue();
    // UDP follows TCP's ports, untranslated, unless -u is given
    assertThat(OptionsParser.parse(Mode.PASTA, split("-t 8080:80")).config.udpIn.ports())
        .containsExactly(new PortForward(null, null, 8080, 8080));
  }

  @Test
  void podmansInvocationParses() {
    Options o = OptionsParser.parse(Mode.PASTA, split("--config-net --dns-forward 169.254.1.1"
        + " -t none -u none -T none -U none --no-map-gw --quiet --netns /run/netns/x"
        + " --map-guest-addr 169.254.1.2 --pid /tmp/p"));
    assertThat(o.netns).isEqualTo("/run/netns/x");
    assertThat(o.netnsOnly && o.configNet && o.quiet && o.config.noMapGw).isTrue();
    assertThat(o.config.tcpIn.isNone() && o.config.udpOut.isNone()).isTrue();
    assertThat(o.pidFile).isEqualTo("/tmp/p");
  }

  @Test
  void modeFromProgramName() {
    assertThat(Options.modeFromProgramName("/usr/bin/pasta")).isEqualTo(Mode.PASTA);
    assertThat(Options.modeFromProgramName("passt.avx2")).isEqualTo(Mode.PASST);
    assertThat(Options.modeFromProgramName("whatever")).isEqualTo(Mode.PASST);
  }
}
