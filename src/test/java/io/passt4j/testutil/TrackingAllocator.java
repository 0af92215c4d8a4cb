package io.passt4j.testutil;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it hands out (unpooled, heap or direct as asked), so
 * that a test can check, exactly and at once, that each one was released: {@link
 * #unreleased()}. Netty's leak detector finds the same leaks only after a garbage collection and
 * names no input; this one is deterministic, which a fuzz target needs. One thread only.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {

  private static final UnpooledByteBufAllocator UNPOOLED = new UnpooledByteBufAllocator(false, true);

  private final List<ByteBuf> handedOut = new ArrayList<>();

  public TrackingAllocator() {
    super(false);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return track(UNPOOLED.heapBuffer(initialCapacity, maxCapacity));
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return track(UNPOOLED.directBuffer(initialCapacity, maxCapacity));
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }

  /** Also tracks a buffer made elsewhere (a test's input), for {@link #unreleased()}. */
  public ByteBuf track(ByteBuf b) {
    handedOut.add(b);
    return b;
  }

  /** Buffers handed out or tracked so far. */
  public int count() {
    return handedOut.size();
  }

  /** The buffers not yet released, as descriptions (empty when all were). */
  public List<String> unreleased() {
    List<String> l = new ArrayList<>();
    for (int i = 0; i < handedOut.size(); i++) {
      ByteBuf b = handedOut.get(i);
      if (b.refCnt() != 0) l.add("buffer #" + i + " (" + b + ", refCnt " + b.refCnt() + ")");
    }
    return l;
  }

  /** Releases whatever is still held (after a failed check), so one leak is reported once. */
  public void releaseAll() {
    for (ByteBuf b : handedOut) {
      if (b.refCnt() > 0) b.release(b.refCnt());
    }
  }
}
