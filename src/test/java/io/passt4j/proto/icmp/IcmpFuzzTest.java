package io.passt4j.proto.icmp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.passt4j.PasstConfig;
import io.passt4j.testutil.FakeHostSockets;
import io.passt4j.testutil.FuzzConfigs;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.HandlerFuzz;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the ICMP echo handler with whole frames ({@link HandlerFuzz} states what is checked),
 * interleaved with host events: echo replies (and anything else) arriving on its ping sockets,
 * sockets that fail to open, time passing. Ping sockets are {@link FakeHostSockets}: nothing
 * leaves the process. Bounded state: at most {@link #MAX_SOCKETS} echo identifiers, and as many
 * open sockets, whatever the guest sends. Regression inputs: {@code
 * IcmpFuzzTestInputs/<method>/} in the test resources (seeded with the golden echo captures); a
 * longer campaign: {@code scripts/fuzz IcmpFuzzTest}.
 */
class IcmpFuzzTest {

  static final int MAX_SOCKETS = 4;
  static final long IDLE_MS = 60_000;

  static HandlerFuzz handler(PasstConfig config) {
    return new HandlerFuzz(new IcmpPlugin(IDLE_MS, 10_000, MAX_SOCKETS), config);
  }

  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void frames(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = handler(FuzzConfigs.pick(data));
    IcmpHandler icmp = (IcmpHandler) h.handler;
    boolean[] fail = {false};
    h.sockets.failOpen = () -> fail[0];
    int n = data.consumeInt(1, 12);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      switch (data.consumeInt(0, 7)) {
        case 0 -> hostDatagram(g, h);
        case 1 -> icmp.expire(System.nanoTime() / 1_000_000 + data.consumeLong(0, 2 * IDLE_MS));
        case 2 -> fail[0] = !fail[0];
        default -> {
          byte[] f = echo(g);
          long before = h.sockets.datagramsSent;
          h.feed(f, data.consumeInt(0, 3));
          if (h.sockets.datagramsSent > before) {
            assertThat(h.sockets.lastSent).as("echo request to the host")
                .isEqualTo(HandlerFuzz.payload(f, 0));
          }
        }
      }
      h.checkSent();
      assertThat(icmp.size()).as("echo identifiers").isLessThanOrEqualTo(MAX_SOCKETS);
      assertThat(h.sockets.openCount()).as("open ping sockets").isLessThanOrEqualTo(MAX_SOCKETS);
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(handler(FuzzConfigs.SANDBOX), frame);
  }

  /** An echo request, mostly, over IPv4 or IPv6, to an address of the palette. */
  static byte[] echo(FuzzFrames g) {
    FuzzedDataProvider d = g.data();
    boolean v6 = d.consumeBoolean();
    int type = g.rarely() ? d.consumeInt(0, 255) : v6 ? 128 : 8;
    byte[] rest = ByteBuffer.allocate(4).putShort((short) d.pickValue(new int[] {1, 2, 0x1234, 0,
        d.consumeInt(0, 0xffff)})).putShort(d.consumeShort()).array();
    byte[] msg = FuzzFrames.icmp(type, g.rarely() ? d.consumeInt(0, 255) : 0,
        FuzzFrames.concat(rest, g.payload(64)));
    if (v6) {
      byte[] src = d.consumeBoolean() ? FuzzFrames.GUEST6 : g.addr6();
      return g.ipv6(58, src, g.addr6(), 64, msg);
    }
    return g.ipv4(1, d.consumeBoolean() ? FuzzFrames.GUEST4 : g.addr4(), g.addr4(), msg);
  }

  /**
   * Something arriving on one of the open ping sockets, mostly an echo reply: what reaches the
   * guest, if anything, is that message with the guest's identifier (and its checksum) put back.
   */
  static void hostDatagram(FuzzFrames g, HandlerFuzz h) {
    FuzzedDataProvider d = g.data();
    FakeHostSockets.Datagram s = g.openDatagram(h.sockets);
    if (s == null) return;
    boolean v6 = s.local.getAddress().getAddress().length == 16;
    int type = g.rarely() ? d.consumeInt(0, 255) : v6 ? 129 : 0;
    byte[] reply = FuzzFrames.icmp(type, 0, FuzzFrames.concat(g.bytes(4), g.payload(64)));
    if (g.rarely()) reply = java.util.Arrays.copyOf(reply, d.consumeInt(0, reply.length));
    h.checkSent();
    s.deliver(reply, new InetSocketAddress(g.hostAddress(v6), 0));
    byte[] f = h.lastSent();
    if (f == null) return;
    byte[] got = HandlerFuzz.payload(f, 0);
    assertThat(got).as("echo reply length").hasSameSizeAs(reply);
    assertThat(Arrays.copyOfRange(got, 0, 2)).as("type and code").isEqualTo(Arrays.copyOf(reply, 2));
    assertThat(Arrays.copyOfRange(got, 6, got.length)).as("sequence and data")
        .isEqualTo(Arrays.copyOfRange(reply, 6, reply.length));
  }
}
