package io.passt4j.proto.dhcp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.passt4j.testutil.FuzzConfigs;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.HandlerFuzz;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the DHCP handler with whole frames ({@link HandlerFuzz} states what is checked): BOOTP
 * headers and DHCP option lists (RFC 2131, 2132) that are mostly valid, over UDP/IPv4 with
 * options and fragments now and then. Regression inputs: {@code DhcpFuzzTestInputs/<method>/} in
 * the test resources (seeded with the golden DHCP captures); a longer campaign: {@code
 * scripts/fuzz DhcpFuzzTest}.
 */
class DhcpFuzzTest {

  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void frames(FuzzedDataProvider data) {
    FuzzFrames g = new FuzzFrames(data);
    HandlerFuzz h = new HandlerFuzz(new DhcpPlugin(), FuzzConfigs.pick(data));
    int n = data.consumeInt(1, 4);
    for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
      byte[] udp = g.udp(g.rarely() ? data.consumeInt(0, 0xffff) : DhcpPlugin.CLIENT_PORT,
          DhcpPlugin.SERVER_PORT, message(g));
      int src = data.consumeBoolean() ? 0 : g.addr4();
      int dst = data.consumeBoolean() ? -1 : g.addr4();
      h.feed(g.ipv4(17, src, dst, udp), data.consumeInt(0, 3));
    }
    h.finish();
  }

  /** Any bytes as a frame. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawFrames(byte[] frame) {
    HandlerFuzz.once(new HandlerFuzz(new DhcpPlugin(), FuzzConfigs.SANDBOX), frame);
  }

  /** A DHCP message: mostly a DISCOVER or REQUEST with the options clients send. */
  static byte[] message(FuzzFrames g) {
    FuzzedDataProvider d = g.data();
    ByteBuffer b = ByteBuffer.allocate(236);
    b.put((byte) (g.rarely() ? d.consumeInt(0, 3) : 1)).put((byte) 1).put((byte) 6).put((byte) 0);
    b.putInt(d.consumeInt()).putShort(d.consumeShort());
    b.putShort((short) (d.consumeBoolean() ? 0x8000 : 0));
    b.putInt(d.consumeBoolean() ? 0 : g.addr4()).putInt(0).putInt(0).putInt(0);
    b.put(FuzzFrames.GUEST_MAC);
    if (g.rarely()) b.put(g.bytes(202));
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(b.array());
    if (!g.rarely()) o.writeBytes(new byte[] {0x63, (byte) 0x82, 0x53, 0x63});
    int n = d.consumeInt(0, 10);
    for (int i = 0; i < n; i++) {
      int code = d.pickValue(new int[] {53, 53, 55, 61, 50, 54, 12, 57, 0, 255, 119, 121,
          d.consumeInt(0, 255)});
      o.write(code);
      if (code == 0 || code == 255) continue;
      byte[] value = switch (code) {
        case 53 -> new byte[] {(byte) d.pickValue(new int[] {1, 3, 1, 3, 2, 4, 5, 7, 8, 0, 255})};
        case 50, 54 -> ByteBuffer.allocate(4).putInt(g.addr4()).array();
        case 57 -> new byte[] {2, 64};
        case 61 -> ByteBuffer.allocate(7).put((byte) 1).put(FuzzFrames.GUEST_MAC).array();
        default -> g.payload(24);
      };
      o.write(g.rarely() ? d.pickValue(new int[] {0, 255, value.length + 1, d.consumeInt(0, 255)})
          : value.length);
      o.writeBytes(value);
    }
    if (!g.rarely()) o.write(255);
    if (d.consumeBoolean()) o.writeBytes(new byte[d.consumeInt(0, 64)]);
    return o.toByteArray();
  }
}
