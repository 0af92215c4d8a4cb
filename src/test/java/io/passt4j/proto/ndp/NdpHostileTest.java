package io.passt4j.proto.ndp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.TestConfigs;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed NDP from the guest is dropped and counted, never thrown on, always released. */
class NdpHostileTest {

  /** Offset of the ICMPv6 message. */
  static final int ICMP = 54;

  private final FakeHandlerContext ctx = new FakeHandlerContext(TestConfigs.sandbox());
  private final NdpHandler h = new NdpHandler();

  NdpHostileTest() {
    h.start(ctx);
  }

  private List<byte[]> send(byte[] frame) {
    return Golden.replay(h, ctx, frame);
  }

  @ParameterizedTest
  @ValueSource(strings = {"12-ndp-ns-gateway", "19-ndp-rs"})
  void framesCutAtEveryLength(String exchange) {
    byte[] req = Golden.request(exchange);
    for (int len = 0; len < req.length; len++) {
      int before = ctx.drops.size();
      assertThat(send(Arrays.copyOf(req, len))).as("length " + len).isEmpty();
      assertThat(ctx.drops).as("length " + len).hasSize(before + 1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"12-ndp-ns-gateway", "19-ndp-rs"})
  void messagesCutAtEveryLength(String exchange) {
    byte[] req = Golden.request(exchange);
    int whole = req.length - ICMP;
    for (int len = 0; len < whole; len++) {
      int before = ctx.drops.size();
      List<byte[]> r = send(Golden.truncateIcmp6(req, len));
      // without its only option the message is still valid: options are optional
      boolean fixedPartOnly = len == whole - 8;
      assertThat(r).as("length " + len).hasSize(fixedPartOnly ? 1 : 0);
      assertThat(ctx.drops).as("length " + len).hasSize(before + (fixedPartOnly ? 0 : 1));
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }

  @ParameterizedTest(name = "{2}")
  @CsvSource({
      // offset in frame, value, what
      "21, 64, hop limit 64 (RFC 4861: must be 255)",
      "55, 1, code 1",
      "79, 0, option of length 0",
      "79, 2, option running past the end",
      "79, 255, option running far past the end",
      "62, 0xff, multicast target",
  })
  void badNeighborSolicitations(int offset, String value, String what) {
    byte[] req = Golden.request("12-ndp-ns-gateway");
    req[offset] = (byte) Integer.decode(value).intValue();
    assertThat(send(req)).as(what).isEmpty();
    assertThat(ctx.drops).as(what).hasSize(1);
  }

  @ParameterizedTest(name = "option length {0}")
  @ValueSource(ints = {0, 2, 255})
  void badRouterSolicitationOptions(int units) {
    byte[] req = Golden.request("19-ndp-rs");
    req[ICMP + 8 + 1] = (byte) units;
    assertThat(send(req)).isEmpty();
    assertThat(ctx.drops).hasSize(1);
  }

  @Test
  void garbageOptionsNeverThrow() {
    byte[] req = Golden.request("19-ndp-rs");
    Random rnd = new Random(7);
    for (int i = 0; i < 5000; i++) {
      byte[] f = req.clone();
      for (int j = ICMP + 8; j < f.length; j++) if (rnd.nextInt(3) == 0) f[j] = (byte) rnd.nextInt();
      int before = ctx.drops.size();
      List<byte[]> r = send(f);
      assertThat(r.size() + ctx.drops.size() - before).isEqualTo(1);
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }

  @Test
  void routerSolicitationFromUnspecifiedGetsAllNodes() {
    byte[] req = Golden.request("19-ndp-rs");
    Arrays.fill(req, 22, 38, (byte) 0); // source ::
    List<byte[]> r = send(Arrays.copyOf(Golden.truncateIcmp6(req, 8), 62));
    assertThat(r).hasSize(1);
    assertThat(Golden.hex(Arrays.copyOfRange(r.get(0), 38, 54)))
        .isEqualTo("ff020000000000000000000000000001");
  }
}
