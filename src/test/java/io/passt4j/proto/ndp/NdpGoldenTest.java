package io.passt4j.proto.ndp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.TestConfigs;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our NAs and RAs are byte for byte Debian passt's, for every captured exchange. */
class NdpGoldenTest {

  static List<byte[]> run(PasstConfig config, byte[] request) {
    FakeHandlerContext ctx = new FakeHandlerContext(config);
    NdpHandler h = new NdpHandler();
    h.start(ctx);
    return Golden.replay(h, ctx, request);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "12-ndp-ns-gateway",          // NA, R|S|O, our MAC, from our link-local to the guest's
      "13-ndp-ns-host-ll",          // the host's own link-local: answered too
      "14-ndp-ns-other-ll",         // any link-local target
      "15-ndp-ns-other-global",     // any global target
      "16-ndp-ns-dad-self",         // DAD (source ::): never answered
      "17-ndp-ns-self",             // the guest's own address, not DAD: answered, as passt
      "18-ndp-ns-gateway-from-global", // reply to the global source
      "19-ndp-rs",                  // RA: M, /64 PIO, MTU, RDNSS, DNSSL, SLLAO
      "20-ndp-rs-again",            // the same RA again
  })
  void matchesPasst(String exchange) {
    List<byte[]> ours = run(TestConfigs.sandbox(), Golden.request(exchange));
    List<byte[]> passt = Golden.replies(exchange);
    assertThat(ours).hasSameSizeAs(passt);
    for (int i = 0; i < ours.size(); i++) {
      assertThat(Golden.hex(ours.get(i))).isEqualTo(Golden.hex(passt.get(i)));
    }
  }

  @Test
  void raWithoutResolversStillCarriesTheSearchList() {
    PasstConfig c = TestConfigs.sandbox();
    c.noDhcpDns = true; // passt would drop DNSSL too: it only sends it along with RDNSS
    byte[] ra = run(c, Golden.request("19-ndp-rs")).get(0);
    String hex = HexFormat.of().formatHex(ra, 54 + 16, ra.length);
    assertThat(hex).doesNotContain("190300").contains("1f0500000000003c");
  }

  @Test
  void dnsslIsPaddedCorrectlyWhenNamesFillWholeUnits() {
    PasstConfig c = TestConfigs.sandbox();
    c.searchDomains = List.of("abcdefghijkl.o"); // 0c abcdefghijkl 01 o 00: 16 bytes
    byte[] ra = run(c, Golden.request("19-ndp-rs")).get(0);
    // RA header 16, PIO 32, MTU 8, RDNSS 24, DNSSL 8 + 16, SLLAO 8: passt would add 8 stray bytes
    assertThat(ra.length).isEqualTo(54 + 16 + 32 + 8 + 24 + 24 + 8);
    assertThat(ra[54 + 16 + 32 + 8 + 24 + 1]).isEqualTo((byte) 3);
  }

  @Test
  void noRaNoMtuNoDns() {
    PasstConfig c = TestConfigs.sandbox();
    c.mtu = 0;
    c.noDhcpDns = true;
    c.noDhcpSearch = true;
    byte[] ra = run(c, Golden.request("19-ndp-rs")).get(0);
    assertThat(ra.length).isEqualTo(54 + 16 + 32 + 8);
    c.noRa = true;
    assertThat(run(c, Golden.request("19-ndp-rs"))).isEmpty();
    // neighbor solicitations are still answered
    assertThat(run(c, Golden.request("12-ndp-ns-gateway"))).hasSize(1);
  }

  @Test
  void linkLocalGatewayIsTheSource() {
    PasstConfig c = TestConfigs.sandbox();
    c.gateway6 = (java.net.Inet6Address) io.passt4j.packet.Addresses.v6(
        HexFormat.of().parseHex("fe800000000000000000000000000001"));
    byte[] na = run(c, Golden.request("12-ndp-ns-gateway")).get(0);
    assertThat(HexFormat.of().formatHex(na, 22, 38)).isEqualTo("fe800000000000000000000000000001");
  }
}
