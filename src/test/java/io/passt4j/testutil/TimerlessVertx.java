package io.passt4j.testutil;

import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in {@link Vertx} for driving a handler from one test thread: timers can be set and
 * cancelled but never fire (the test calls the handler's own {@code tick}/{@code expire} with the
 * time it wants), and anything else throws. Nothing runs on another thread, so a fuzz input
 * replays the same way every time. No threads, nothing to close.
 */
public final class TimerlessVertx {

  private TimerlessVertx() {}

  /** A new instance; {@code setTimer}/{@code setPeriodic} return fresh ids, nothing fires. */
  public static Vertx create() {
    AtomicLong ids = new AtomicLong();
    return (Vertx) Proxy.newProxyInstance(Vertx.class.getClassLoader(), new Class<?>[] {Vertx.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "setTimer", "setPeriodic" -> ids.incrementAndGet();
          case "cancelTimer" -> true;
          case "toString" -> "TimerlessVertx";
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException(
              "TimerlessVertx: " + method.getName() + " is not available in this test");
        });
  }
}
