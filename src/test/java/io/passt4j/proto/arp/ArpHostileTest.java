package io.passt4j.proto.arp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.packet.Addresses;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.TestConfigs;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed ARP from the guest is dropped and counted, never answered, never thrown on. */
class ArpHostileTest {

  private final FakeHandlerContext ctx = new FakeHandlerContext(TestConfigs.sandbox());
  private final ArpHandler h = new ArpHandler();

  ArpHostileTest() {
    h.start(ctx);
  }

  @Test
  void truncatedAtEveryLength() {
    byte[] req = Golden.request("02-arp-gateway");
    for (int len = 0; len < req.length; len++) {
      assertThat(Golden.replay(h, ctx, Arrays.copyOf(req, len))).as("length " + len).isEmpty();
      assertThat(ctx.drops).as("length " + len).hasSize(len + 1);
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }

  @ParameterizedTest(name = "byte {0} = {1}")
  @CsvSource({
      "15, 6",    // hardware type IEEE 802, not Ethernet
      "16, 0x86", // protocol type not IPv4
      "18, 8",    // hardware address length
      "19, 16",   // protocol address length
      "21, 2",    // a reply, not a request
      "21, 3",    // RARP
  })
  void wrongHeaderFieldsAreDropped(int offset, String value) {
    byte[] req = Golden.request("02-arp-gateway");
    req[offset] = (byte) Integer.decode(value).intValue();
    assertThat(Golden.replay(h, ctx, req)).isEmpty();
    assertThat(ctx.drops).hasSize(1);
  }

  @Test
  void addressTheGuestWasSeenUsingIsNotAnswered() {
    ctx.guest.sawAddr4(Addresses.fromInt(0xc633644d)); // 198.51.100.77
    assertThat(Golden.replay(h, ctx, Golden.request("03-arp-other"))).isEmpty();
    assertThat(ctx.drops).containsExactly("guest's own address");
  }

  @Test
  void trailingPaddingIsAccepted() {
    byte[] req = Arrays.copyOf(Golden.request("02-arp-gateway"), 60);
    assertThat(Golden.replay(h, ctx, req)).hasSize(1);
  }
}
