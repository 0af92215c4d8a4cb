package io.passt4j.testutil;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Netty's buffer leak detector at its paranoid level, with every report collected: {@link
 * #install} once per test class, {@link #paranoid} again after Vert.x started (Vert.x switches
 * detection off unless {@code io.netty.leakDetection.level} is set), {@link #canary} to prove the
 * detector reports (at the paranoid level), {@link #reports} after the instance is closed.
 */
public final class NettyLeaks {

  /** Leak reports, as (resource type: records). */
  public static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static ResourceLeakDetector.Level saved;

  private NettyLeaks() {}

  /** Sets the paranoid level and the listener collecting reports. */
  public static synchronized void install() throws Exception {
    if (saved == null) saved = ResourceLeakDetector.getLevel();
    paranoid();
    Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
    f.setAccessible(true);
    ((ResourceLeakDetector<?>) f.get(null))
        .setLeakListener((type, records) -> LEAKS.add(type + ": " + records));
  }

  /** The paranoid level again (after Vert.x started). */
  public static void paranoid() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  /**
   * Netty's sampled level (SIMPLE: one buffer in 128 tracked, no access records): for runs that
   * move megabytes, where paranoid tracking, which records a stack trace on every access of every
   * buffer, stalls the event loop for seconds (a checksum over a 64 KiB segment is 8,000 reads).
   * A leak on a path taken thousands of times is still reported.
   */
  public static void sampled() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
  }

  /** The level from before {@link #install}. */
  public static synchronized void restore() {
    if (saved != null) ResourceLeakDetector.setLevel(saved);
  }

  /** A leak the detector must see, so that "no leak reports" means something. */
  public static void canary() throws Exception {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
    leaked.writeInt(1);
    leaked = null; // dropped without release
    collect();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (LEAKS.stream().noneMatch(l -> l.contains("canary"))) {
      if (System.nanoTime() > end) {
        throw new AssertionError("Netty's leak detector did not report the canary: the leak"
            + " check of this test would prove nothing");
      }
      collect();
    }
    LEAKS.removeIf(l -> l.contains("canary"));
  }

  /** Collects garbage and allocates, which is when the detector reports what was collected. */
  public static void collect() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      for (int j = 0; j < 16; j++) PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
    }
  }

  /** The reports after several collections. */
  public static List<String> reports() throws InterruptedException {
    for (int i = 0; i < 5; i++) collect();
    return LEAKS;
  }
}
