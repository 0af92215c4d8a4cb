package io.passt4j.proto.dhcp;

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

/** Malformed DHCP from the guest is dropped and counted, never thrown on, always released. */
class DhcpHostileTest {

  /** Offset of the options in a request frame. */
  static final int OPTIONS = DhcpGoldenTest.OPTIONS;

  private final FakeHandlerContext ctx = new FakeHandlerContext(TestConfigs.sandbox());
  private final DhcpHandler h = new DhcpHandler();

  DhcpHostileTest() {
    h.start(ctx);
  }

  private List<byte[]> send(byte[] frame) {
    return Golden.replay(h, ctx, frame);
  }

  @Test
  void framesCutAtEveryLength() {
    byte[] req = Golden.request("08-dhcp-discover");
    for (int len = 0; len < req.length; len++) {
      // the IP header still claims the whole datagram: the frame is short
      int before = ctx.drops.size();
      assertThat(send(Arrays.copyOf(req, len))).as("length " + len).isEmpty();
      assertThat(ctx.drops).as("length " + len).hasSize(before + 1);
    }
  }

  @Test
  void messagesCutAtEveryLength() {
    byte[] req = Golden.request("08-dhcp-discover");
    int whole = req.length - 42;
    for (int len = 0; len < whole; len++) {
      int drops = ctx.drops.size();
      List<byte[]> r = send(Golden.truncateUdp4(req, len));
      // a cut between two whole options after the message type still parses (END is optional)
      assertThat(r.size() + ctx.drops.size() - drops).as("length " + len).isEqualTo(1);
      if (len < 240 + 3) assertThat(r).as("length " + len).isEmpty();
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }

  @ParameterizedTest(name = "{2}")
  @CsvSource({
      // offset in frame, value, what
      "282, 53, option type byte only at the end",
      "283, 0, message type of length 0",
      "283, 255, message type running past the end",
      "286, 200, client id running past the end",
      "278, 0, no magic cookie",
      "42, 2, BOOTREPLY from the guest",
      "284, 7, DHCPRELEASE",
      "284, 8, DHCPINFORM",
      "284, 4, DHCPDECLINE",
  })
  void badOptionsAndFields(int offset, int value, String what) {
    byte[] req = Golden.request("08-dhcp-discover");
    if (what.startsWith("option type byte only")) {
      req = Golden.truncateUdp4(req, 241);
    }
    req[offset] = (byte) value;
    assertThat(send(req)).as(what).isEmpty();
    assertThat(ctx.drops).as(what).hasSize(1);
  }

  @Test
  void noMessageTypeIsDropped() {
    byte[] req = Golden.request("08-dhcp-discover");
    req[OPTIONS] = 0; // PAD instead of 53
    req[OPTIONS + 1] = 0;
    req[OPTIONS + 2] = 0;
    assertThat(send(req)).isEmpty();
    assertThat(ctx.drops).containsExactly("no message type");
  }

  @Test
  void garbageOptionsNeverThrow() {
    byte[] req = Golden.request("08-dhcp-discover");
    Random rnd = new Random(42);
    for (int i = 0; i < 5000; i++) {
      byte[] f = req.clone();
      int n = 1 + rnd.nextInt(8);
      for (int j = 0; j < n; j++) f[OPTIONS + rnd.nextInt(f.length - OPTIONS)] = (byte) rnd.nextInt();
      int drops = ctx.drops.size();
      List<byte[]> r = send(f);
      assertThat(r.size() + ctx.drops.size() - drops).isEqualTo(1);
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }

  @Test
  void wrongPortAndProtocolAreDropped() {
    byte[] req = Golden.request("08-dhcp-discover");
    byte[] f = req.clone();
    f[37] = 68; // destination port 68
    assertThat(send(f)).isEmpty();
    f = req.clone();
    f[23] = 6; // TCP
    Golden.fixIpv4HeaderChecksum(f);
    assertThat(send(f)).isEmpty();
    f = req.clone();
    f[38] = 0;
    f[39] = 4; // UDP length 4
    assertThat(send(f)).isEmpty();
    assertThat(ctx.drops).hasSize(3);
  }
}
