package io.passt4j.fwd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.passt4j.PasstConfig.Mode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PortSpecTest {

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of(Mode.PASST, 't', List.of("70000"), "Invalid port specifier 70000"),
        Arguments.of(Mode.PASST, 't', List.of("10-5"), "Invalid port specifier 10-5"),
        Arguments.of(Mode.PASST, 't', List.of("22-80:32-33"), "Invalid port specifier 22-80:32-33"),
        Arguments.of(Mode.PASST, 't', List.of("foo"), "Invalid port specifier foo"),
        Arguments.of(Mode.PASST, 't', List.of("22-"), "Invalid port specifier 22-"),
        Arguments.of(Mode.PASST, 't', List.of("22,"), "Invalid port specifier 22,"),
        Arguments.of(Mode.PASST, 't', List.of(",22"), "Invalid port specifier ,22"),
        Arguments.of(Mode.PASST, 't', List.of("22:"), "Invalid port specifier 22:"),
        Arguments.of(Mode.PASST, 't', List.of("22:70000"), "Invalid port specifier 22:70000"),
        Arguments.of(Mode.PASST, 't', List.of("~70000"), "Invalid port specifier ~70000"),
        Arguments.of(Mode.PASST, 't', List.of("22x"), "Invalid port specifier 22x"),
        Arguments.of(Mode.PASST, 't', List.of("foo/22"), "Invalid port specifier foo/22"),
        Arguments.of(Mode.PASST, 't', List.of("0"), "Invalid port specifier 0"),
        Arguments.of(Mode.PASST, 't', List.of("127.0.0.1%0123456789abcdef/22"),
            "Invalid port specifier 127.0.0.1%0123456789abcdef/22"),
        Arguments.of(Mode.PASTA, 'T', List.of("127.0.0.1/22"), "Invalid port specifier 127.0.0.1/22"),
        Arguments.of(Mode.PASST, 't', List.of("22", "22"), "Overlapping port specifier 22"),
        Arguments.of(Mode.PASST, 'u', List.of("22,22"), "Overlapping port specifier 22,22"),
        Arguments.of(Mode.PASST, 't', List.of("~22,~22"), "Overlapping port specifier ~22,~22"),
        Arguments.of(Mode.PASST, 't', List.of("1-10", "5"), "Overlapping port specifier 5"),
        Arguments.of(Mode.PASST, 't', List.of("auto"), "'auto' port forwarding is only allowed for pasta"),
        Arguments.of(Mode.PASTA, 't', List.of("all"), "'all' port forwarding is only allowed for passt"),
        Arguments.of(Mode.PASTA, 'T', List.of("all"), "'all' port forwarding is only allowed for passt"),
        Arguments.of(Mode.PASST, 't', List.of("none", "22"),
            "Specific ports cannot be specified together with all/none/auto"),
        Arguments.of(Mode.PASTA, 't', List.of("auto", "5"),
            "Specific ports cannot be specified together with all/none/auto"),
        Arguments.of(Mode.PASST, 't', List.of("22", "none"),
            "Port forwarding mode 'none' conflicts with previous mode"),
        Arguments.of(Mode.PASST, 't', List.of("all", "all"),
            "Port forwarding mode 'all' conflicts with previous mode"));
  }

  @ParameterizedTest
  @MethodSource("errors")
  void refusesWithPasstsWording(Mode mode, char opt, List<String> specs, String message) {
    assertThatThrownBy(() -> PortSpec.parse(opt, mode, specs.toArray(String[]::new)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  private static PortForward pf(int port, int target) {
    return new PortForward(null, null, port, target);
  }

  @Test
  void singlePortsListsRangesTranslation() {
    assertThat(PortSpec.parse('t', Mode.PASST, "22").ports()).containsExactly(pf(22, 22));
    assertThat(PortSpec.parse('t', Mode.PASST, "22:23").ports()).containsExactly(pf(22, 23));
    assertThat(PortSpec.parse('t', Mode.PASST, "22,25").ports()).containsExactly(pf(22, 22), pf(25, 25));
    assertThat(PortSpec.parse('t', Mode.PASST, "22-24").ports())
        .containsExactly(pf(22, 22), pf(23, 23), pf(24, 24));
    assertThat(PortSpec.parse('t', Mode.PASST, "22-24:32-34").ports())
        .containsExactly(pf(22, 32), pf(23, 33), pf(24, 34));
    assertThat(PortSpec.parse('t', Mode.PASST, "65535").ports()).containsExactly(pf(65535, 65535));
    assertThat(PortSpec.parse('t', Mode.PASST, "22", "25").ports()).containsExactly(pf(22, 22), pf(25, 25));
    assertThat(PortSpec.parse('t', Mode.PASST, "22").mode()).isEqualTo(ForwardRules.Mode.SPEC);
  }

  @Test
  void exclusions() {
    assertThat(PortSpec.parse('t', Mode.PASST, "5-9,~6-8").ports()).containsExactly(pf(5, 5), pf(9, 9));
    assertThat(PortSpec.parse('t', Mode.PASST, "~6-8,5-9").ports()).containsExactly(pf(5, 5), pf(9, 9));
    List<PortForward> all = PortSpec.parse('t', Mode.PASST, "~20000-20010").ports();
    assertThat(all).hasSize(PortSpec.EPHEMERAL_MIN - 1 - 11);
    assertThat(all).contains(pf(1, 1), pf(19999, 19999), pf(20011, 20011), pf(49151, 49151))
        .doesNotContain(pf(20000, 20000), pf(20010, 20010), pf(49152, 49152));
  }

  @Test
  void bindAddressAndInterface() {
    assertThat(PortSpec.parse('t', Mode.PASST, "192.0.2.1/22").ports())
        .containsExactly(new PortForward("192.0.2.1", null, 22, 22));
    assertThat(PortSpec.parse('u', Mode.PASST, "192.0.2.1%eth0/22").ports())
        .containsExactly(new PortForward("192.0.2.1", "eth0", 22, 22));
    assertThat(PortSpec.parse('t', Mode.PASST, "2001:db8::1/22").ports())
        .containsExactly(new PortForward("2001:db8::1", null, 22, 22));
    assertThat(PortSpec.parse('t', Mode.PASST, "192.0.2.1/20-30,~25").ports())
        .hasSize(10).allMatch(p -> p.bindAddress().equals("192.0.2.1") && p.port() != 25);
  }

  @Test
  void keywords() {
    assertThat(PortSpec.parse('t', Mode.PASST, "none")).isEqualTo(ForwardRules.NONE);
    assertThat(PortSpec.parse('t', Mode.PASST, "all").mode()).isEqualTo(ForwardRules.Mode.ALL);
    assertThat(PortSpec.parse('t', Mode.PASTA, "auto")).isEqualTo(ForwardRules.AUTO);
    assertThat(new PortSpec('t', Mode.PASST).given()).isFalse();
  }

  @Test
  void udpFollowsTcpWithoutTranslation() {
    ForwardRules tcp = PortSpec.parse('t', Mode.PASST, "192.0.2.1/2222:22", "80");
    assertThat(PortSpec.udpFollowing(tcp).ports())
        .containsExactly(pf(80, 80), new PortForward("192.0.2.1", null, 2222, 2222));
  }
}
