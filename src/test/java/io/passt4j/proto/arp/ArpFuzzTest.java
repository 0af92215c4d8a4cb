package io.passt4j.proto.arp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.passt4j.testutil.FuzzConfigs;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.HandlerFuzz;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the ARP handler with whole frames ({@link HandlerFuzz} states what is checked).
 * Regression inputs: {@code ArpFuzzTestInputs/<method>/} in the test resources (seeded with the
 * golden ARP captures); a longer campaign: {@code scripts/fuzz ArpFuzzTest}.
 */
class ArpFuzzTest {

  /** A few mostly valid ARP packets: requests, replies, probes, announcements, odd sizes. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void frames(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = new HandlerFuzz(new ArpPlugin(), FuzzConfigs.pick(data));
    int n = data.consumeInt(1, 6);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      h.feed(g.ethernet(0x0806, arp(g)), data.consumeInt(0, 3));
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(new HandlerFuzz(new ArpPlugin(), FuzzConfigs.SANDBOX), frame);
  }

  /** An Ethernet/IPv4 ARP packet, mostly a request from the guest. */
  static byte[] arp(FuzzFrames g) {
    FuzzedDataProvider d = g.data();
    ByteBuffer b = ByteBuffer.allocate(28);
    b.putShort((short) (g.rarely() ? d.consumeInt(0, 6) : 1));
    b.putShort((short) (g.rarely() ? d.pickValue(new int[] {0x86dd, 0, 0x0806}) : 0x0800));
    b.put((byte) (g.rarely() ? d.consumeInt(0, 255) : 6));
    b.put((byte) (g.rarely() ? d.consumeInt(0, 255) : 4));
    b.putShort((short) (d.consumeInt(0, 3) == 0 ? d.consumeInt(0, 9) : 1));
    b.put(g.rarely() ? g.bytes(6) : FuzzFrames.GUEST_MAC);
    int spa = g.addr4();
    b.putInt(spa);
    b.put(d.consumeBoolean() ? new byte[6] : g.bytes(6));
    b.putInt(d.consumeInt(0, 7) == 0 ? spa : g.addr4());
    return b.array();
  }
}
