package io.passt4j.proto.ndp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.passt4j.testutil.FuzzConfigs;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.HandlerFuzz;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the NDP handler with whole frames ({@link HandlerFuzz} states what is checked): router
 * and neighbor solicitations (RFC 4861) with option lists that are mostly valid, over IPv6 with
 * extension headers now and then. Regression inputs: {@code NdpFuzzTestInputs/<method>/} in the
 * test resources (seeded with the golden NDP captures); a longer campaign: {@code scripts/fuzz
 * NdpFuzzTest}.
 */
class NdpFuzzTest {

  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void frames(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = new HandlerFuzz(new NdpPlugin(), FuzzConfigs.pick(data));
    int n = data.consumeInt(1, 4);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      byte[] src = switch (data.consumeInt(0, 3)) {
        case 0 -> new byte[16];
        case 1 -> g.addr6();
        default -> FuzzFrames.GUEST_LL6;
      };
      byte[] dst = data.consumeBoolean() ? FuzzFrames.v6("ff02::2") : g.addr6();
      h.feed(g.ipv6(58, src, dst, g.rarely() ? data.consumeInt(0, 255) : 255, message(g)),
          data.consumeInt(0, 3));
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(new HandlerFuzz(new NdpPlugin(), FuzzConfigs.SANDBOX), frame);
  }

  /** An ND message: mostly an RS or NS, options after the fixed part. */
  static byte[] message(FuzzFrames g) {
    FuzzedDataProvider d = g.data();
    int type = g.rarely() ? d.consumeInt(0, 255) : d.pickValue(new int[] {133, 135, 135, 134, 136});
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(g.bytes(4)); // reserved, or flags
    if (type != 133) o.writeBytes(d.consumeBoolean() ? FuzzFrames.GATEWAY6 : g.addr6());
    int n = d.consumeInt(0, 4);
    for (int i = 0; i < n; i++) {
      int kind = d.pickValue(new int[] {1, 1, 2, 3, 5, 14, 25, 31, d.consumeInt(0, 255)});
      int units = g.rarely() ? d.pickValue(new int[] {0, 255, d.consumeInt(0, 255)})
          : kind == 1 || kind == 2 ? 1 : d.consumeInt(1, 4);
      o.write(kind);
      o.write(units);
      int have = Math.max(0, Math.min(units, 8) * 8 - 2);
      if (g.rarely()) have = d.consumeInt(0, have);
      o.writeBytes(kind == 1 && have == 6 ? FuzzFrames.GUEST_MAC : g.bytes(have));
    }
    return FuzzFrames.icmp(type, g.rarely() ? d.consumeInt(0, 255) : 0, o.toByteArray());
  }
}
