package io.passt4j.fwd;

import io.passt4j.PasstConfig;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/**
 * The address translations between what the guest sees and what the host's sockets use, as the
 * configuration defines them: gateway (or {@code --map-host-loopback}) to host loopback, {@code
 * --map-guest-addr} to the host's own address, {@code --dns-forward} and a loopback resolver to
 * the host resolver. Stateless and shared by the protocol handlers (UDP, ICMP, TCP); what a flow
 * has actually mapped it remembers itself, so replies take the exact way back.
 *
 * <p>Which guest-side address stands for the host's loopback: {@code --map-host-loopback ADDR}
 * when given, else the default gateway, else (with {@code --no-map-gw}) none. This follows
 * upstream passt since 2024, where the gateway is only the default value of {@code
 * --map-host-loopback} and {@code --no-map-gw} means {@code --map-host-loopback none}.
 *
 * <p>{@code --map-guest-addr ADDR}: the guest reaches the host's own address (the template
 * interface's address, which the guest has been given as its own and therefore cannot address)
 * through ADDR; datagrams the host sends from that address appear to come from ADDR.
 */
public final class AddressMap {

  /** The DNS port: {@code --dns-forward} and the loopback resolver apply to it only. */
  public static final int DNS_PORT = 53;

  private static final Inet4Address LOOPBACK4 = (Inet4Address) literal(new byte[] {127, 0, 0, 1});
  private static final Inet6Address LOOPBACK6 =
      (Inet6Address) literal(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

  private final PasstConfig c;
  private NetworkInterface outbound6;
  private boolean outbound6Looked;

  public AddressMap(PasstConfig config) {
    this.c = config;
  }

  /**
   * A link-local destination with the scope of the outbound IPv6 interface ({@code
   * --outbound-if6}, else the template interface), which the kernel needs to route it; other
   * addresses, and already scoped ones, as they are. Null when a link-local address has no
   * interface to go out of.
   */
  public Inet6Address withOutboundScope(Inet6Address a) {
    if (a.getScopedInterface() != null || a.getScopeId() != 0) return a;
    if (!outbound6Looked) {
      outbound6Looked = true;
      String name = c.outboundIf6 != null ? c.outboundIf6 : c.ifname6;
      try {
        outbound6 = name == null ? null : NetworkInterface.getByName(name);
      } catch (SocketException e) {
        outbound6 = null;
      }
    }
    if (outbound6 == null) return null;
    try {
      return Inet6Address.getByAddress(null, a.getAddress(), outbound6);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** 127.0.0.1 or ::1. */
  public static InetAddress loopback(int ipVersion) {
    return ipVersion == 6 ? LOOPBACK6 : LOOPBACK4;
  }

  /** The guest-side address that stands for the host's loopback, or null when none does. */
  public InetAddress hostLoopbackAlias(int ipVersion) {
    InetAddress m = ipVersion == 6 ? c.mapHostLoopback6 : c.mapHostLoopback4;
    if (m != null) return m;
    if (c.noMapGw) return null;
    return ipVersion == 6 ? c.gateway6 : c.gateway4;
  }

  /** The host resolver DNS queries are forwarded to: {@code dnsHost}, else the first resolver. */
  public InetAddress dnsTarget(int ipVersion) {
    if (ipVersion == 6) {
      if (c.dnsHost6 != null) return c.dnsHost6;
      return c.dns6.isEmpty() ? null : c.dns6.get(0);
    }
    if (c.dnsHost4 != null) return c.dnsHost4;
    return c.dns4.isEmpty() ? null : c.dns4.get(0);
  }

  /**
   * Where a guest packet to {@code dst}, {@code port} goes on the host.
   *
   * @param port destination port, or -1 for portless protocols (ICMP)
   * @param udp whether DNS forwarding applies (it is limited to UDP, as in passt)
   */
  public InetAddress toHost(InetAddress dst, int port, boolean udp) {
    int v = dst instanceof Inet6Address ? 6 : 4;
    if (udp && port == DNS_PORT) {
      InetAddress fwd = v == 6 ? c.dnsForward6 : c.dnsForward4;
      InetAddress target = dnsTarget(v);
      if (fwd != null && fwd.equals(dst) && target != null) return target;
      // A loopback resolver on the host: the guest was given the gateway as its resolver.
      InetAddress dnsHost = v == 6 ? c.dnsHost6 : c.dnsHost4;
      InetAddress gw = v == 6 ? c.gateway6 : c.gateway4;
      if (dnsHost != null && dnsHost.isLoopbackAddress() && dst.equals(gw)) return dnsHost;
    }
    InetAddress alias = hostLoopbackAlias(v);
    if (alias != null && alias.equals(dst)) return loopback(v);
    InetAddress guestAddr = v == 6 ? c.mapGuestAddr6 : c.mapGuestAddr4;
    InetAddress hostAddr = v == 6 ? c.addr6 : c.addr4;
    if (guestAddr != null && hostAddr != null && guestAddr.equals(dst)) return hostAddr;
    return dst;
  }

  /**
   * How a packet from {@code src}, {@code port} on the host appears to the guest when no flow
   * remembers a mapping: loopback as the loopback alias (the gateway even with {@code
   * --no-map-gw}, as passt 2023 does: the guest could not route an answer to a loopback source),
   * the host's own address as {@code --map-guest-addr} or else as the loopback alias, the DNS
   * resolver's answers as the {@code --dns-forward} address. Null when there is no address to
   * show (no gateway of that family).
   *
   * @param port source port, or -1 for portless protocols
   */
  public InetAddress toGuest(InetAddress src, int port, boolean udp) {
    int v = src instanceof Inet6Address ? 6 : 4;
    if (udp && port == DNS_PORT) {
      InetAddress fwd = v == 6 ? c.dnsForward6 : c.dnsForward4;
      if (fwd != null && src.equals(dnsTarget(v))) return fwd;
      InetAddress dnsHost = v == 6 ? c.dnsHost6 : c.dnsHost4;
      if (dnsHost != null && dnsHost.isLoopbackAddress() && src.equals(dnsHost)) {
        return v == 6 ? c.gateway6 : c.gateway4;
      }
    }
    InetAddress hostAddr = v == 6 ? c.addr6 : c.addr4;
    boolean own = hostAddr != null && hostAddr.equals(src);
    if (own) {
      InetAddress guestAddr = v == 6 ? c.mapGuestAddr6 : c.mapGuestAddr4;
      if (guestAddr != null) return guestAddr;
    }
    if (own || src.isLoopbackAddress() || src.isAnyLocalAddress()) {
      InetAddress alias = hostLoopbackAlias(v);
      if (alias != null) return alias;
      return v == 6 ? c.gateway6 : c.gateway4;
    }
    return src;
  }

  private static InetAddress literal(byte[] b) {
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
