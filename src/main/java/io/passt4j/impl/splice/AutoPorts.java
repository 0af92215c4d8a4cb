package io.passt4j.impl.splice;

import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * pasta's automatic forwarding into the namespace, between the scan that finds the ports
 * ({@link PastaForwarder}) and the handlers that listen for them on the host (TCP for {@code
 * -t auto}, UDP for {@code -u auto}): the current set per protocol, handed to each subscriber
 * on its own context when it subscribes and whenever it changes. Thread-safe.
 */
public final class AutoPorts {

  private record Subscriber(Context context, Consumer<BitSet> ports) {}

  private final Map<String, BitSet> current = new HashMap<>();
  private final Map<String, List<Subscriber>> subscribers = new HashMap<>();

  /** {@code ports} gets the set for {@code protocol} on {@code context}, now and on changes. */
  public synchronized void subscribe(String protocol, Context context, Consumer<BitSet> ports) {
    Subscriber s = new Subscriber(context, ports);
    subscribers.computeIfAbsent(protocol, k -> new ArrayList<>()).add(s);
    BitSet now = current.get(protocol);
    if (now != null) deliver(s, now);
  }

  /** The scan found {@code ports} for {@code protocol}. */
  public synchronized void publish(String protocol, BitSet ports) {
    if (ports.equals(current.get(protocol))) return;
    BitSet copy = (BitSet) ports.clone();
    current.put(protocol, copy);
    for (Subscriber s : subscribers.getOrDefault(protocol, List.of())) deliver(s, copy);
  }

  /** The set last published for {@code protocol} (empty before the first scan). */
  public synchronized BitSet current(String protocol) {
    BitSet b = current.get(protocol);
    return b == null ? new BitSet() : (BitSet) b.clone();
  }

  private static void deliver(Subscriber s, BitSet ports) {
    BitSet copy = (BitSet) ports.clone();
    s.context().runOnContext(v -> s.ports().accept(copy));
  }
}
