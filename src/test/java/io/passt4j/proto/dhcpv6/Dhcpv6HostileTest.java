package io.passt4j.proto.dhcpv6;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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

/** Malformed DHCPv6 from the guest is dropped and counted, never thrown on, always released. */
class Dhcpv6HostileTest {

  /** Offset of the DHCPv6 message in a frame. */
  static final int MSG = 62;
  // Options of request 22: client id 66 (10), server id 80 (14), ORO 98, elapsed 106,
  // IA_NA 112 (40: IAID, T1, T2, then IAADDR at 128 (24))
  static final int CLIENT_ID = 66;
  static final int SERVER_ID = 80;
  static final int IA_NA = 112;
  static final int IAADDR = 128;

  private final FakeHandlerContext ctx = new FakeHandlerContext(TestConfigs.sandbox());
  private final Dhcpv6Handler h = new Dhcpv6Handler(Dhcpv6GoldenTest.passtDuidTime());

  Dhcpv6HostileTest() {
    h.start(ctx);
  }

  private List<byte[]> send(byte[] frame) {
    return Golden.replay(h, ctx, frame);
  }

  private void assertDropped(byte[] frame, String what) {
    int before = ctx.drops.size();
    assertThat(send(frame)).as(what).isEmpty();
    assertThat(ctx.drops).as(what).hasSize(before + 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"21-dhcpv6-solicit", "22-dhcpv6-request", "27-dhcpv6-confirm-offlink"})
  void framesCutAtEveryLength(String exchange) {
    byte[] req = Golden.request(exchange);
    for (int len = 0; len < req.length; len++) assertDropped(Arrays.copyOf(req, len), "length " + len);
  }

  @ParameterizedTest
  @ValueSource(strings = {"21-dhcpv6-solicit", "22-dhcpv6-request", "27-dhcpv6-confirm-offlink"})
  void messagesCutAtEveryLength(String exchange) {
    byte[] req = Golden.request(exchange);
    for (int len = 0; len < req.length - MSG; len++) {
      int before = ctx.drops.size();
      List<byte[]> r = send(Golden.truncateUdp6(req, len));
      // a cut between two whole options may still be a valid message: one reply or one drop
      assertThat(r.size() + ctx.drops.size() - before).as("length " + len).isEqualTo(1);
      if (len < 4 + 14) assertThat(r).as("length " + len).isEmpty();
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }

  @ParameterizedTest(name = "{2}")
  @CsvSource({
      // offset of a 16-bit field in request 22, value, what
      "68, 0, client id of length 0",
      "68, 129, client id longer than 128",
      "68, 0xffff, client id running past the end",
      "82, 13, server id of the wrong length",
      "82, 0xfff0, server id running past the end",
      "114, 8, IA_NA shorter than IAID T1 T2",
      "114, 41, IA_NA running past the end",
      "130, 20, IAADDR shorter than its fixed part",
      "130, 0, IAADDR of length 0",
      "130, 30, IAADDR running past its IA_NA",
      "90, 0x0102, server id not ours",
  })
  void badOptions(int offset, String value, String what) {
    byte[] req = Golden.request("22-dhcpv6-request");
    Unpooled.wrappedBuffer(req).setShort(offset, Integer.decode(value));
    assertDropped(req, what);
  }

  @ParameterizedTest(name = "message type {0}")
  @ValueSource(ints = {0, 2, 7, 8, 9, 10, 12, 13, 255})
  void unhandledMessageTypes(int type) {
    byte[] req = Golden.request("21-dhcpv6-solicit");
    req[MSG] = (byte) type;
    assertDropped(req, "type " + type);
  }

  @Test
  void protocolRules() {
    byte[] solicitWithServerId = Golden.request("22-dhcpv6-request");
    solicitWithServerId[MSG] = 1;
    assertDropped(solicitWithServerId, "SOLICIT with server id");
    byte[] confirmWithServerId = Golden.request("22-dhcpv6-request");
    confirmWithServerId[MSG] = 4;
    assertDropped(confirmWithServerId, "CONFIRM with server id");
    byte[] requestWithoutServerId = Golden.request("24-dhcpv6-rebind");
    requestWithoutServerId[MSG] = 3;
    assertDropped(requestWithoutServerId, "REQUEST without server id");
    byte[] infoWithIa = Golden.request("21-dhcpv6-solicit");
    infoWithIa[MSG] = 11;
    assertDropped(infoWithIa, "INFORMATION-REQUEST with IA_NA");
    byte[] unicast = Golden.request("21-dhcpv6-solicit");
    unicast[38] = (byte) 0xfe; // destination fe02::1:2
    assertDropped(unicast, "unicast");
    byte[] noClientId = Golden.request("21-dhcpv6-solicit");
    Unpooled.wrappedBuffer(noClientId).setShort(CLIENT_ID, 0xfff1);
    assertDropped(noClientId, "SOLICIT without client id");
  }

  @Test
  void informationRequestWithoutClientIdIsAnswered() {
    byte[] req = Golden.request("28-dhcpv6-information-request");
    ByteBuf b = Unpooled.wrappedBuffer(req);
    b.setShort(CLIENT_ID, 0xfff1); // RFC 8415 16.12: the client id is optional here
    List<byte[]> r = send(req);
    assertThat(r).hasSize(1);
    assertThat(r.get(0).length).isEqualTo(MSG + 4 + 18 + 20 + 31);
  }

  @Test
  void garbageOptionsNeverThrow() {
    byte[] req = Golden.request("22-dhcpv6-request");
    Random rnd = new Random(11);
    for (int i = 0; i < 5000; i++) {
      byte[] f = req.clone();
      int n = 1 + rnd.nextInt(6);
      for (int j = 0; j < n; j++) f[CLIENT_ID + rnd.nextInt(f.length - CLIENT_ID)] = (byte) rnd.nextInt();
      int before = ctx.drops.size();
      List<byte[]> r = send(f);
      assertThat(r.size() + ctx.drops.size() - before).isEqualTo(1);
    }
    assertThat(ctx.drops).noneMatch(r -> r.contains("bounds"));
  }
}
