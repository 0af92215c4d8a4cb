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
  /**
   * Whether the endpoint takes frames for the guest: false before it started and from the moment
   * it stops, so a handler's late frame is released instead of being sent to nobody.
   */
  public volatile boolean endpointLive;
  /** Handlers that take frames: a frame for one that stopped is dropped and released. */
  public final java.util.Set<String> liveHandlers = ConcurrentHashMap.newKeySet();
  /** Handlers that take frames with trusted, possibly partial, checksums ({@code ProtocolHandler#takesTrustedChecksums}). */
  public final java.util.Set<String> trustingHandlers = ConcurrentHashMap.newKeySet();
  /**
   * pasta's loopback bypass (splice path), or null (passt; pasta before the namespace is
   * there). Set before the handlers start.
   */
  public volatile io.passt4j.impl.splice.Splicer splicer;
  /** pasta's automatically forwarded ports, scanned and handed to the handlers. */
  public final io.passt4j.impl.splice.AutoPorts autoPorts = new io.passt4j.impl.splice.AutoPorts();
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
