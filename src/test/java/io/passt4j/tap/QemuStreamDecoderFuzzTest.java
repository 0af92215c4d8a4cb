package io.passt4j.tap;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.passt4j.testutil.TrackingAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes qemu's stream framing ({@link QemuStreamDecoder}): a byte stream of length-prefixed
 * frames, cut into reads wherever the fuzzer likes. The decoder must emit exactly the frames a
 * plain reading of the stream finds, in order and byte for byte; stop at, report once, and close
 * on the first impossible length; never throw; and release every read buffer (checked exactly by
 * a {@link TrackingAllocator}, the channel's allocator as well).
 *
 * <p>Regression inputs: {@code QemuStreamDecoderFuzzTestInputs/<method>/} beside this class in
 * the test resources. A longer campaign: {@code scripts/fuzz QemuStreamDecoderFuzzTest}.
 */
class QemuStreamDecoderFuzzTest {

  /**
   * Structured: frames of chosen lengths (mostly plausible, sometimes lying or impossible) put
   * one after the other, then the stream read back in chunks of chosen sizes.
   */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void framedStream(FuzzedDataProvider data) {
    ByteBuffer stream = ByteBuffer.allocate(1 << 20);
    int frames = data.consumeInt(0, 16);
    for (int i = 0; i < frames && stream.remaining() > 4; i++) {
      long len;
      switch (data.consumeInt(0, 7)) {
        case 0 -> len = 0;
        case 1 -> len = QemuStreamDecoder.MAX_FRAME + data.consumeLong(0, 1L << 32);
        case 2 -> len = data.consumeLong(0, 0xffffffffL);
        case 3 -> len = QemuStreamDecoder.MAX_FRAME - data.consumeInt(0, 2);
        default -> len = data.consumeInt(0, 1600);
      }
      len = Math.min(len, 0xffffffffL);
      stream.putInt((int) len);
      int body = (int) Math.min(len, Math.min(stream.remaining(), QemuStreamDecoder.MAX_FRAME));
      byte[] fill = data.consumeBytes(Math.min(body, 64));
      for (int k = 0; k < body; k++) stream.put(fill.length == 0 ? (byte) k : fill[k % fill.length]);
    }
    byte[] tail = data.consumeBytes(data.consumeInt(0, 8));
    if (stream.remaining() >= tail.length) stream.put(tail);
    List<Integer> cuts = new ArrayList<>();
    while (data.remainingBytes() > 0) cuts.add(data.consumeInt(1, 1 << 17));
    byte[] bytes = new byte[stream.position()];
    stream.flip().get(bytes);
    check(bytes, cuts);
  }

  /** Raw: the fuzzer's bytes are the stream, fed in one read and then a byte at a time. */
  @FuzzTest
  @Timeout(value = 10, unit = SECONDS, threadMode = SEPARATE_THREAD)
  void rawStream(byte[] bytes) {
    check(bytes, List.of(Integer.MAX_VALUE));
    check(bytes, List.of(1));
  }

  /** Feeds {@code stream} in reads of the sizes in {@code cuts} (the last repeats). */
  private static void check(byte[] stream, List<Integer> cuts) {
    Expected want = expected(stream);
    TrackingAllocator alloc = new TrackingAllocator();
    List<Long> badLengths = new ArrayList<>();
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.pipeline().addLast(new QemuStreamDecoder(badLengths::add));
    List<byte[]> got = new ArrayList<>();
    try {
      int pos = 0;
      int i = 0;
      while (pos < stream.length && ch.isOpen()) {
        int n = cuts.isEmpty() ? stream.length : cuts.get(Math.min(i++, cuts.size() - 1));
        n = Math.min(n, stream.length - pos);
        ByteBuf read = alloc.directBuffer(n).writeBytes(stream, pos, n);
        pos += n;
        ch.writeInbound(read);
        for (Object o; (o = ch.readInbound()) != null; ) {
          ByteBuf f = (ByteBuf) o;
          got.add(ByteBufUtil.getBytes(f));
          f.release();
        }
      }
      ch.finishAndReleaseAll();
      assertThat(got).as("frames emitted").hasSameSizeAs(want.frames);
      for (int k = 0; k < got.size(); k++) {
        assertThat(got.get(k)).as("frame " + k).isEqualTo(want.frames.get(k));
      }
      if (want.badLength >= 0) {
        assertThat(badLengths).as("bad length reported once").containsExactly(want.badLength);
        assertThat(ch.isOpen()).as("stream closed after a bad length").isFalse();
      } else {
        assertThat(badLengths).as("no bad length reported").isEmpty();
      }
      assertThat(alloc.unreleased()).as("buffers not released").isEmpty();
    } finally {
      alloc.releaseAll();
    }
  }

  /** What a plain reading of the stream finds. */
  private record Expected(List<byte[]> frames, long badLength) {}

  private static Expected expected(byte[] s) {
    List<byte[]> frames = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(s);
    while (b.remaining() >= 4) {
      long len = Integer.toUnsignedLong(b.getInt(b.position()));
      if (len > QemuStreamDecoder.MAX_FRAME) return new Expected(frames, len);
      if (b.remaining() < 4 + len) break;
      b.position(b.position() + 4);
      byte[] f = new byte[(int) len];
      b.get(f);
      frames.add(f);
    }
    return new Expected(frames, -1);
  }
}
