package io.passt4j.impl;

import io.passt4j.PasstConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the verticles of one passt4j instance share: the configuration, the guest state, the
 * counters, and the instance id that prefixes its event-bus addresses.
 */
public final class Instance {

  public final String id;
  public final PasstConfig config;
  public final GuestStateImpl guest;
  /** Counters by component: "endpoint" and each handler's name. */
  public final Map<String, Counters> counters = new ConcurrentHashMap<>();

  public Instance(String id, PasstConfig config) {
    this.id = id;
    this.config = config;
    this.guest = new GuestStateImpl(config);
  }

  public Counters counters(String component) {
    return counters.computeIfAbsent(component, k -> new Counters());
  }
}
