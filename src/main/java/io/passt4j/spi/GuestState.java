package io.passt4j.spi;

import java.net.Inet4Address;
import java.net.Inet6Address;

/**
 * What passt4j has observed of the guest. The endpoint learns the MAC address from every frame;
 * handlers record the source addresses they see, as passt does ("addr_seen"), so traffic from
 * the host can be addressed to what the guest actually uses. Readable from any thread.
 */
public interface GuestState {

  /** The guest's MAC address (a copy); broadcast until the guest sent a frame. */
  byte[] mac();

  /** Whether a frame from the guest has been seen. */
  boolean macKnown();

  /** The last IPv4 source address the guest used, else the configured address. */
  Inet4Address addr4();

  /** The last global IPv6 source address the guest used, else the configured address. */
  Inet6Address addr6();

  /** The last link-local IPv6 source address the guest used, or null. */
  Inet6Address addr6LinkLocal();

  /** Records an IPv4 source address seen from the guest. */
  void sawAddr4(Inet4Address a);

  /** Records an IPv6 source address seen from the guest (link-local or global). */
  void sawAddr6(Inet6Address a);
}
