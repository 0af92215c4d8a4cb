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
  private final Map<String, LongAdder> named = new ConcurrentHashMap<>();

  /** Adds one to the counter {@code name} (a drop reason or an event). */
  public void count(String name) {
    named.computeIfAbsent(name, k -> new LongAdder()).increment();
  }

  public long get(String name) {
    LongAdder a = named.get(name);
    return a == null ? 0 : a.sum();
  }

  /** Sum of the named counters starting with {@code prefix}. */
  public long sum(String prefix) {
    long s = 0;
    for (Map.Entry<String, LongAdder> e : named.entrySet()) {
      if (e.getKey().startsWith(prefix)) s += e.getValue().sum();
    }
    return s;
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject()
        .put("framesIn", framesIn.sum()).put("bytesIn", bytesIn.sum())
        .put("framesOut", framesOut.sum()).put("bytesOut", bytesOut.sum());
    JsonObject n = new JsonObject();
    named.forEach((k, v) -> n.put(k, v.sum()));
    return o.put("counters", n);
  }
}
