package io.passt4j.proto.arp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.TestConfigs;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our ARP replies are byte for byte Debian passt's, for every captured exchange. */
class ArpGoldenTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "02-arp-gateway",          // who-has gateway: our MAC
      "03-arp-other",            // who-has any other address of the prefix: our MAC
      "04-arp-self",             // the guest's own address: no reply
      "05-arp-probe-self",       // probe (sender 0.0.0.0) for its own address: no reply
      "06-arp-probe-other",      // probe for another address: reply to 0.0.0.0
      "07-arp-announce-other",   // announcement (sender == target): no reply
  })
  void matchesPasst(String exchange) {
    FakeHandlerContext ctx = new FakeHandlerContext(TestConfigs.sandbox());
    ArpHandler h = new ArpHandler();
    h.start(ctx);
    List<byte[]> ours = Golden.replay(h, ctx, Golden.request(exchange));
    List<byte[]> passt = Golden.replies(exchange);
    assertThat(ours).hasSameSizeAs(passt);
    for (int i = 0; i < ours.size(); i++) {
      assertThat(Golden.hex(ours.get(i))).isEqualTo(Golden.hex(passt.get(i)));
    }
    if (passt.isEmpty()) assertThat(ctx.drops).hasSize(1);
  }
}
