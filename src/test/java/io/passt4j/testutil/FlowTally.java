package io.passt4j.testutil;

import io.passt4j.Passt4jEvents;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts an instance's flows from its flow events ({@link Passt4jEvents#flowAddress}): opened,
 * closed, live now and the most live at once, per protocol, and close reasons. The flow tables'
 * sizes, seen from outside, as an embedding host sees them.
 */
public final class FlowTally implements AutoCloseable {

  private final MessageConsumer<JsonObject> consumer;
  private final Map<String, AtomicLong> live = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> max = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> opened = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> reasons = new ConcurrentHashMap<>();

  public FlowTally(Vertx vertx, String instance) throws Exception {
    consumer = vertx.eventBus().localConsumer(Passt4jEvents.flowAddress(instance), m -> {
      JsonObject e = m.body();
      String p = e.getString("protocol");
      if ("opened".equals(e.getString("event"))) {
        get(opened, p).incrementAndGet();
        long n = get(live, p).incrementAndGet();
        get(max, p).accumulateAndGet(n, Math::max);
      } else {
        get(live, p).decrementAndGet();
        get(reasons, p + " " + e.getString("reason")).incrementAndGet();
      }
    });
    consumer.completion().await(10, TimeUnit.SECONDS);
  }

  private static AtomicLong get(Map<String, AtomicLong> m, String k) {
    return m.computeIfAbsent(k, x -> new AtomicLong());
  }

  public long live(String protocol) {
    return get(live, protocol).get();
  }

  public long max(String protocol) {
    return get(max, protocol).get();
  }

  public long opened(String protocol) {
    return get(opened, protocol).get();
  }

  /** Flows of {@code protocol} closed for {@code reason}. */
  public long closed(String protocol, String reason) {
    return get(reasons, protocol + " " + reason).get();
  }

  /** Resets the high-water marks to the live counts. */
  public void resetMax() {
    live.forEach((p, n) -> get(max, p).set(n.get()));
  }

  @Override
  public String toString() {
    return "live=" + new TreeMap<>(live) + " max=" + new TreeMap<>(max) + " opened="
        + new TreeMap<>(opened) + " closed=" + new TreeMap<>(reasons);
  }

  @Override
  public void close() {
    try {
      consumer.unregister();
    } catch (RuntimeException vertxClosedAlready) {
      // nothing to unregister from
    }
  }
}
