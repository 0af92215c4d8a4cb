package io.passt4j.impl;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Named counters of one component (a handler or the endpoint): frames and bytes each way, and
 * drops by reason. Written by one event loop, readable from any thread.
 */
public final class Counters {

  public final LongAdder framesIn = new LongAdder();
  public final LongAdder bytesIn = new LongAdder();
  public final LongAdder framesOut = new LongAdder();
  public final LongAdder bytesOut = new LongAdder();
  /** Prefix of drop counters' names in {@link #get(String)} and {@link #toJson()}. */
  public static final String DROP = "drop: ";

  private final Map<String, LongAdder> named = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> drops = new ConcurrentHashMap<>();

  /** Adds one to the counter {@code name} (an event). */
  public void count(String name) {
    named.computeIfAbsent(name, k -> new LongAdder()).increment();
  }

  /** Adds one to the drops for {@code reason}; reasons are constants, so no string is built. */
  public void drop(String reason) {
    LongAdder a = drops.get(reason);
    if (a == null) a = drops.computeIfAbsent(reason, k -> new LongAdder());
    a.increment();
  }

  /** A counter by name; drops are named {@code "drop: " + reason}. */
  public long get(String name) {
    LongAdder a = name.startsWith(DROP) ? drops.get(name.substring(DROP.length())) : named.get(name);
    return a == null ? 0 : a.sum();
  }

  /** All drops. */
  public long dropped() {
    long s = 0;
    for (LongAdder a : drops.values()) s += a.sum();
    return s;
  }

  /** Sum of the counters (drops included, as {@code "drop: " + reason}) starting with {@code prefix}. */
  public long sum(String prefix) {
    long s = 0;
    for (Map.Entry<String, LongAdder> e : named.entrySet()) {
      if (e.getKey().startsWith(prefix)) s += e.getValue().sum();
    }
    for (Map.Entry<String, LongAdder> e : drops.entrySet()) {
      if ((DROP + e.getKey()).startsWith(prefix)) s += e.getValue().sum();
    }
    return s;
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject()
        .put("framesIn", framesIn.sum()).put("bytesIn", bytesIn.sum())
        .put("framesOut", framesOut.sum()).put("bytesOut", bytesOut.sum());
    JsonObject n = new JsonObject();
    named.forEach((k, v) -> n.put(k, v.sum()));
    JsonObject d = new JsonObject();
    drops.forEach((k, v) -> d.put(k, v.sum()));
    return o.put("counters", n).put("drops", d);
  }
}
