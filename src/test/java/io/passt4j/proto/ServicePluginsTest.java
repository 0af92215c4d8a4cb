package io.passt4j.proto;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.packet.EtherType;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolPlugin;
import io.passt4j.testutil.TestConfigs;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The four service plugins are found by ServiceLoader, with their names and selectors. */
class ServicePluginsTest {

  private static Map<String, ProtocolPlugin> plugins() {
    Map<String, ProtocolPlugin> m = new HashMap<>();
    ServiceLoader.load(ProtocolPlugin.class).stream()
        .filter(p -> p.type().getPackageName().startsWith("io.passt4j.proto."))
        .forEach(p -> {
          try {
            ProtocolPlugin pl = p.get();
            m.put(pl.name(), pl);
          } catch (java.util.ServiceConfigurationError e) {
            // another developer's plugin may not be there yet
          }
        });
    return m;
  }

  @Test
  void registeredWithSelectors() {
    Map<String, ProtocolPlugin> m = plugins();
    PasstConfig c = TestConfigs.sandbox();
    assertThat(m).containsKeys("arp", "dhcp", "ndp", "dhcpv6");
    assertThat(m.get("arp").selectors(c)).containsExactly(FrameSelector.etherType(EtherType.ARP));
    assertThat(m.get("dhcp").selectors(c)).containsExactly(FrameSelector.port(4, IpProtocol.UDP, 67));
    assertThat(m.get("ndp").selectors(c))
        .containsExactly(FrameSelector.icmp(6, 133), FrameSelector.icmp(6, 135));
    assertThat(m.get("dhcpv6").selectors(c))
        .containsExactly(FrameSelector.port(6, IpProtocol.UDP, 547));
    for (ProtocolPlugin p : m.values()) assertThat(p.enabled(c)).as(p.name()).isTrue();
  }

  @Test
  void enabledByAddressFamilyAndSwitches() {
    Map<String, ProtocolPlugin> m = plugins();
    PasstConfig v6only = TestConfigs.sandbox();
    v6only.ipv4 = false;
    assertThat(m.get("arp").enabled(v6only)).isFalse();
    assertThat(m.get("dhcp").enabled(v6only)).isFalse();
    assertThat(m.get("ndp").enabled(v6only)).isTrue();
    PasstConfig v4only = TestConfigs.sandbox();
    v4only.ipv6 = false;
    assertThat(m.get("ndp").enabled(v4only)).isFalse();
    assertThat(m.get("dhcpv6").enabled(v4only)).isFalse();
    assertThat(m.get("dhcp").enabled(v4only)).isTrue();
    PasstConfig off = TestConfigs.sandbox();
    off.disabledHandlers.add("dhcp");
    off.disabledHandlers.add("dhcpv6");
    off.disabledHandlers.add("ndp");
    assertThat(m.get("dhcp").enabled(off)).isFalse();
    assertThat(m.get("dhcpv6").enabled(off)).isFalse();
    assertThat(m.get("ndp").enabled(off)).isFalse();
  }
}
