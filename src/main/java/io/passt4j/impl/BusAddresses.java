package io.passt4j.impl;

/** Event-bus addresses of one passt4j instance. */
public final class BusAddresses {

  private BusAddresses() {}

  /** Where a handler takes guest frames. */
  public static String handler(String instance, String name) {
    return "passt4j." + instance + ".handler." + name;
  }

  /** Where the endpoint takes frames for the guest. */
  public static String toGuest(String instance) {
    return "passt4j." + instance + ".guest";
  }
}
