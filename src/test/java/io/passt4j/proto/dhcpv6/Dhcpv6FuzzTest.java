package io.passt4j.proto.dhcpv6;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.passt4j.PasstConfig;
import io.passt4j.testutil.FuzzConfigs;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.HandlerFuzz;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the DHCPv6 handler with whole frames ({@link HandlerFuzz} states what is checked):
 * messages with option lists (RFC 8415) that are mostly valid, nested IA_NA/IA_TA addresses, and
 * our own server identifier (the handler's DUID time is fixed so that the fuzzer can name it),
 * over UDP/IPv6 with extension headers now and then. Regression inputs: {@code
 * Dhcpv6FuzzTestInputs/<method>/} in the test resources (seeded with the golden DHCPv6 captures);
 * a longer campaign: {@code scripts/fuzz Dhcpv6FuzzTest}.
 */
class Dhcpv6FuzzTest {

  /** The DUID time of the handler under test, as in the golden captures. */
  static final long DUID_TIME = 0x329d3ca8L;

  static HandlerFuzz handler(PasstConfig config) {
    return new HandlerFuzz(new Dhcpv6Plugin(), new Dhcpv6Handler(DUID_TIME), config);
  }

  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void frames(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = handler(FuzzConfigs.pick(data));
    int n = data.consumeInt(1, 4);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      byte[] udp = g.udp(g.rarely() ? data.consumeInt(0, 0xffff) : Dhcpv6Plugin.CLIENT_PORT,
          Dhcpv6Plugin.SERVER_PORT, message(g));
      byte[] src = data.consumeBoolean() ? FuzzFrames.GUEST_LL6 : g.addr6();
      byte[] dst = data.consumeInt(0, 3) != 0 ? FuzzFrames.v6("ff02::1:2") : g.addr6();
      h.feed(g.ipv6(17, src, dst, 255, udp), data.consumeInt(0, 3));
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(handler(FuzzConfigs.SANDBOX), frame);
  }

  /** A DHCPv6 message: mostly one a client sends, with the options clients send. */
  static byte[] message(FuzzFrames g) {
    FuzzedDataProvider d = g.data();
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(g.rarely() ? d.consumeInt(0, 255) : d.pickValue(new int[] {1, 3, 4, 5, 6, 11, 8, 9}));
    o.writeBytes(g.bytes(3));
    options(g, o, 0);
    return o.toByteArray();
  }

  /** A list of options; IA options nest one level of address and status options. */
  static void options(FuzzFrames g, ByteArrayOutputStream o, int depth) {
    FuzzedDataProvider d = g.data();
    int n = d.consumeInt(0, depth == 0 ? 8 : 3);
    for (int i = 0; i < n; i++) {
      int code = depth == 0
          ? d.pickValue(new int[] {1, 1, 2, 3, 3, 4, 6, 8, 14, 25, d.consumeInt(0, 0xffff)})
          : d.pickValue(new int[] {5, 5, 13, d.consumeInt(0, 0xffff)});
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      switch (code) {
        case 1 -> {
          v.writeBytes(new byte[] {0, 3, 0, 1});
          v.writeBytes(FuzzFrames.GUEST_MAC);
          if (g.rarely()) v.writeBytes(g.bytes(d.consumeInt(0, 200)));
        }
        case 2 -> {
          if (g.rarely()) {
            v.writeBytes(g.payload(20));
          } else {
            v.writeBytes(ByteBuffer.allocate(14).putShort((short) 1).putShort((short) 1)
                .putInt((int) DUID_TIME).put(FuzzConfigs.SANDBOX.ourMac).array());
          }
        }
        case 3, 4, 25 -> {
          v.writeBytes(g.bytes(code == 4 ? 4 : 12));
          options(g, v, depth + 1);
        }
        case 5 -> {
          v.writeBytes(d.consumeBoolean() ? FuzzFrames.GUEST6 : g.addr6());
          v.writeBytes(g.bytes(8));
          if (d.consumeBoolean()) options(g, v, depth + 1);
        }
        case 6 -> {
          int k = d.consumeInt(0, 6);
          for (int j = 0; j < k; j++) {
            int c = d.pickValue(new int[] {23, 24, 23, 24, 39, d.consumeInt(0, 0xffff)});
            v.write(c >> 8);
            v.write(c);
          }
          if (g.rarely()) v.write(0);
        }
        case 8 -> v.writeBytes(g.bytes(2));
        case 13 -> {
          v.writeBytes(g.bytes(2));
          v.writeBytes(g.payload(16));
        }
        default -> v.writeBytes(g.payload(24));
      }
      byte[] value = v.toByteArray();
      o.write(code >> 8);
      o.write(code);
      int len = g.rarely() ? g.lie(value.length) : value.length;
      o.write(len >> 8);
      o.write(len);
      o.writeBytes(value);
    }
  }
}
