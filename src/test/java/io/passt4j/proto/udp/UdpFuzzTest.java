package io.passt4j.proto.udp;

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
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the UDP handler with whole frames ({@link HandlerFuzz} states what is checked),
 * interleaved with host events: datagrams arriving on its flow sockets and on a {@code -u}
 * forwarded port, sockets that fail to open, time passing. Sockets are {@link FakeHostSockets}:
 * nothing leaves the process. Bounded state: at most {@link #MAX_FLOWS} flows, and as many open
 * sockets plus the forwarded port's, whatever the guest sends. Regression inputs: {@code
 * UdpFuzzTestInputs/<method>/} in the test resources; a longer campaign: {@code scripts/fuzz
 * UdpFuzzTest}.
 */
class UdpFuzzTest {

  static final int MAX_FLOWS = 4;
  static final long IDLE_MS = 180_000;
  /** Ports to send from and to: few, so that flows and peers repeat. */
  static final int[] PORTS = {53, 123, 5353, 40000, 40001, FuzzConfigs.UDP_FORWARDED,
      FuzzConfigs.UDP_TARGET, 0};

  static HandlerFuzz handler(PasstConfig config) {
    return new HandlerFuzz(new UdpPlugin(IDLE_MS, 10_000, MAX_FLOWS), config);
  }

  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void frames(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = handler(FuzzConfigs.pick(data));
    UdpHandler udp = (UdpHandler) h.handler;
    int listeners = h.sockets.openCount();
    boolean[] fail = {false};
    h.sockets.failOpen = () -> fail[0];
    int n = data.consumeInt(1, 16);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      switch (data.consumeInt(0, 7)) {
        case 0, 1 -> hostDatagram(g, h);
        case 2 -> udp.expire(System.nanoTime() / 1_000_000 + data.consumeLong(0, 2 * IDLE_MS));
        case 3 -> fail[0] = !fail[0];
        default -> guestDatagram(h, datagram(g), data.consumeInt(0, 3));
      }
      h.checkSent();
      assertThat(udp.size()).as("flows").isLessThanOrEqualTo(MAX_FLOWS);
      assertThat(h.sockets.openCount()).as("open sockets")
          .isLessThanOrEqualTo(MAX_FLOWS + listeners);
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(handler(FuzzConfigs.SANDBOX), frame);
  }

  /** A UDP datagram from the guest, over IPv4 or IPv6. */
  static byte[] datagram(FuzzFrames g) {
    FuzzedDataProvider d = g.data();
    byte[] udp = g.udp(port(g), port(g), g.payload(256));
    if (d.consumeBoolean()) {
      byte[] src = d.consumeBoolean() ? FuzzFrames.GUEST6 : g.addr6();
      return g.ipv6(17, src, g.addr6(), 64, udp);
    }
    return g.ipv4(17, d.consumeBoolean() ? FuzzFrames.GUEST4 : g.addr4(), g.addr4(), udp);
  }

  static int port(FuzzFrames g) {
    return g.rarely() ? g.data().consumeInt(0, 0xffff) : g.data().pickValue(PORTS);
  }

  /** A guest datagram: what goes out to the host, if anything, is its payload, unchanged. */
  static void guestDatagram(HandlerFuzz h, byte[] frame, int headroom) {
    long before = h.sockets.datagramsSent;
    h.feed(frame, headroom);
    if (h.sockets.datagramsSent > before) {
      assertThat(h.sockets.lastSent).as("datagram to the host")
          .isEqualTo(HandlerFuzz.payload(frame, 8));
    }
  }

  /**
   * A datagram from the host side on one of the open sockets (flows' or the listener's): what
   * reaches the guest, if anything, carries it unchanged.
   */
  static void hostDatagram(FuzzFrames g, HandlerFuzz h) {
    FakeHostSockets.Datagram s = g.openDatagram(h.sockets);
    if (s == null) return;
    boolean v6 = s.local.getAddress().getAddress().length == 16;
    byte[] payload = g.payload(256);
    h.checkSent();
    s.deliver(payload, new InetSocketAddress(g.hostAddress(v6), port(g)));
    byte[] f = h.lastSent();
    if (f != null) assertThat(HandlerFuzz.payload(f, 8)).as("datagram to the guest").isEqualTo(payload);
  }
}
