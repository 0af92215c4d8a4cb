package io.passt4j.impl.host;

import io.passt4j.PasstConfig;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Completes a {@link PasstConfig} from the host the way passt's conf.c (2023-03-09) does.
 *
 * <p>Per family, the template interface is {@code -i}, else {@code --outbound-if4/6}, else the
 * interface of the first default route ({@code /proc/net/route}, {@code /proc/net/ipv6_route});
 * from it come the address and prefix length (unless {@code -a}), the gateway (unless {@code
 * -g}), the IPv6 link-local address, and our MAC (unless {@code -M}; passt's 9a:55:9a:55:9a:55
 * when the interface has none). Without {@code -n}, an IPv4 address given by {@code -a} gets
 * its classful prefix length; either way the prefix is widened until the gateway is on-link. A
 * family without a usable interface is switched off with a warning; none at all, or a family
 * whose {@code --outbound-if} was given but is unusable, fails with "External interface not
 * usable".
 *
 * <p>Resolvers and the search list come from resolv.conf unless given. A loopback resolver
 * (127.0.0.53) can't be reached from the guest: the guest is given the gateway instead, the
 * gateway becomes the DNS forwarding address, and {@code dnsHost4/6} keeps the first resolver
 * of the file, where forwarded queries go ({@code --no-map-gw} drops loopback resolvers).
 * passt 2023 set the IPv6 forwarding address to ::1 itself, which the guest can't use; we use
 * the IPv6 gateway like IPv4.
 *
 * <p>Every source is injectable for tests: the proc and resolv.conf paths, and {@link
 * Interfaces}, the per-interface lookups.
 */
public final class HostDetector {

  /** passt's default MAC when the template interface has none. */
  public static final String DEFAULT_MAC = "9a:55:9a:55:9a:55";
  /** Resolvers per family read from resolv.conf (MAXNS), search domains (MAXDNSRCH - 1). */
  private static final int MAX_NS = 3, MAX_SEARCH = 5;
  private static final int RTF_UP = 0x1, RTF_REJECT = 0x200;

  /** A host IPv4 address with its prefix length. */
  public record Addr4(Inet4Address address, int prefixLen) {}

  /** Per-interface lookups: the part of the host that isn't a file. */
  public interface Interfaces {
    /** Whether an interface of that name exists. */
    boolean exists(String name);

    /** IPv4 addresses of the interface, primary first. */
    List<Addr4> ipv4(String name);

    /** MAC address, or null when it has none. */
    byte[] mac(String name);
  }

  /** A failure passt dies with: the message as passt words it; exit status 1. */
  public static final class DetectionException extends RuntimeException {
    public DetectionException(String message) {
      super(message, null, false, false);
    }
  }

  /** The host's interfaces through java.net.NetworkInterface. */
  public static final Interfaces SYSTEM = new Interfaces() {
    @Override
    public boolean exists(String name) {
      try {
        return NetworkInterface.getByName(name) != null;
      } catch (SocketException e) {
        return false;
      }
    }

    @Override
    public List<Addr4> ipv4(String name) {
      List<Addr4> l = new ArrayList<>();
      try {
        NetworkInterface ni = NetworkInterface.getByName(name);
        if (ni == null) return l;
        for (InterfaceAddress a : ni.getInterfaceAddresses())
          if (a.getAddress() instanceof Inet4Address v4)
            l.add(new Addr4(v4, a.getNetworkPrefixLength()));
      } catch (SocketException e) {
        // no addresses
      }
      return l;
    }

    @Override
    public byte[] mac(String name) {
      try {
        NetworkInterface ni = NetworkInterface.getByName(name);
        return ni == null ? null : ni.getHardwareAddress();
      } catch (SocketException e) {
        return null;
      }
    }
  };

  private Path route4 = Path.of("/proc/net/route");
  private Path route6 = Path.of("/proc/net/ipv6_route");
  private Path ifInet6 = Path.of("/proc/net/if_inet6");
  private Path resolvConf = Path.of("/etc/resolv.conf");
  private Interfaces interfaces = SYSTEM;

  /** Reads the real host. */
  public HostDetector() {}

  /** Reads {@code dir}/route, ipv6_route, if_inet6 instead of /proc/net. */
  public HostDetector procNet(Path dir) {
    route4 = dir.resolve("route");
    route6 = dir.resolve("ipv6_route");
    ifInet6 = dir.resolve("if_inet6");
    return this;
  }

  public HostDetector resolvConf(Path p) {
    resolvConf = p;
    return this;
  }

  public HostDetector interfaces(Interfaces i) {
    interfaces = i;
    return this;
  }

  /**
   * Fills {@code c} in place; values already set count as given. Returns the warnings passt
   * prints (for instance "No external routable interface for IPv6").
   *
   * @throws DetectionException with passt's wording when it would die
   */
  public List<String> apply(PasstConfig c, HostOverrides ov) {
    List<String> warnings = new ArrayList<>();
    if (ov.iface() != null && !interfaces.exists(ov.iface()))
      throw new DetectionException("Invalid interface name " + ov.iface() + ": No such device");
    String if4 = ov.iface(), if6 = ov.iface();
    if (if4 == null && c.outboundIf4 != null && interfaces.exists(c.outboundIf4)) if4 = c.outboundIf4;
    if (if6 == null && c.outboundIf6 != null && interfaces.exists(c.outboundIf6)) if6 = c.outboundIf6;

    byte[][] mac = {ov.macGiven() ? c.ourMac : null};
    c.ipv4 = !ov.ipv6Only() && ip4(c, ov, if4, mac, warnings);
    c.ipv6 = !ov.ipv4Only() && ip6(c, if6, mac, warnings);
    if ((!c.ipv4 && !c.ipv6) || (c.outboundIf4 != null && !c.ipv4)
        || (c.outboundIf6 != null && !c.ipv6))
      throw new DetectionException("External interface not usable");
    c.ourMac = mac[0] != null ? mac[0] : PasstConfig.parseMac(DEFAULT_MAC);
    if (!c.ipv4) c.ifname4 = null;
    if (!c.ipv6) c.ifname6 = null;

    dns(c, ov, warnings);
    return warnings;
  }

  // ---- IPv4

  private boolean ip4(PasstConfig c, HostOverrides ov, String ifname, byte[][] mac,
      List<String> warnings) {
    List<String[]> routes = routes4();
    if (ifname == null)
      for (String[] r : routes) {
        ifname = r[0];
        break;
      }
    if (ifname == null) {
      warnings.add("No external routable interface for IPv4");
      return false;
    }
    if (c.gateway4 == null) c.gateway4 = gateway4(routes, ifname);
    if (c.addr4 == null) {
      List<Addr4> addrs = interfaces.ipv4(ifname);
      if (!addrs.isEmpty()) {
        c.addr4 = addrs.get(0).address();
        if (!ov.netmaskGiven()) c.prefixLen4 = addrs.get(0).prefixLen();
      }
    }
    if (c.addr4 != null) {
      int addr = int4(c.addr4);
      if (c.prefixLen4 == 0) c.prefixLen4 = classful(addr);
      if (c.gateway4 != null) c.prefixLen4 = widen(addr, int4(c.gateway4), c.prefixLen4);
    }
    if (mac[0] == null) mac[0] = macOf(ifname);
    c.ifname4 = ifname;
    return c.gateway4 != null && c.addr4 != null;
  }

  /** Widens {@code prefixLen} until {@code gw} is on-link, if some non-zero mask does it. */
  static int widen(int addr, int gw, int prefixLen) {
    int shift = 32 - prefixLen;
    while (shift < 32 && (addr >>> shift) != (gw >>> shift)) shift++;
    return shift < 32 ? 32 - shift : prefixLen;
  }

  /** RFC 4632's class A, B, C prefix lengths, else 32. */
  static int classful(int addr) {
    if ((addr & 0x80000000) == 0) return 8;
    if ((addr & 0xc0000000) == 0x80000000) return 16;
    if ((addr & 0xe0000000) == 0xc0000000) return 24;
    return 32;
  }

  /** Default routes from /proc/net/route, in order: {iface, gateway hex}. */
  private List<String[]> routes4() {
    List<String[]> l = new ArrayList<>();
    for (String line : lines(route4)) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 8 || f[0].equals("Iface")) continue;
      try {
        int flags = Integer.parseInt(f[3], 16);
        if (!f[1].equals("00000000") || !f[7].equals("00000000") || (flags & RTF_UP) == 0
            || (flags & RTF_REJECT) != 0)
          continue;
      } catch (NumberFormatException e) {
        continue;
      }
      l.add(new String[] {f[0], f[2]});
    }
    return l;
  }

  /** Gateway of the first default route through {@code ifname}, else of the first one. */
  private static Inet4Address gateway4(List<String[]> routes, String ifname) {
    String[] pick = null;
    for (String[] r : routes)
      if (r[0].equals(ifname) && !r[1].equals("00000000")) {
        pick = r;
        break;
      }
    if (pick == null)
      for (String[] r : routes)
        if (!r[1].equals("00000000")) {
          pick = r;
          break;
        }
    if (pick == null) return null;
    long v = Long.parseLong(pick[1], 16); // little endian, as the kernel stores it
    byte[] b = {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    return (Inet4Address) InetLiteral.byBytes(b);
  }

  // ---- IPv6

  private boolean ip6(PasstConfig c, String ifname, byte[][] mac, List<String> warnings) {
    List<String[]> routes = routes6();
    if (ifname == null && !routes.isEmpty()) ifname = routes.get(0)[0];
    if (ifname == null) {
      warnings.add("No external routable interface for IPv6");
      return false;
    }
    if (c.gateway6 == null) {
      String gw = null;
      for (String[] r : routes)
        if (r[0].equals(ifname) && !zero(r[1])) {
          gw = r[1];
          break;
        }
      if (gw == null)
        for (String[] r : routes)
          if (!zero(r[1])) {
            gw = r[1];
            break;
          }
      if (gw != null) c.gateway6 = (Inet6Address) InetLiteral.byBytes(hex(gw));
    }
    boolean addrGiven = c.addr6 != null;
    for (String line : lines(ifInet6)) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 6 || !f[5].equals(ifname) || f[0].length() != 32) continue;
      int scope = Integer.parseInt(f[3], 16);
      Inet6Address a = (Inet6Address) InetLiteral.byBytes(hex(f[0]));
      if (scope == 0x00 && c.addr6 == null && !addrGiven) {
        c.addr6 = a;
        c.prefixLen6 = Integer.parseInt(f[2], 16);
      } else if (scope == 0x20 && c.addrLinkLocal6 == null) {
        c.addrLinkLocal6 = a;
      }
    }
    if (mac[0] == null) mac[0] = macOf(ifname);
    c.ifname6 = ifname;
    return c.gateway6 != null && c.addr6 != null && c.addrLinkLocal6 != null;
  }

  /** Default routes from /proc/net/ipv6_route, in order: {iface, next hop hex}. */
  private List<String[]> routes6() {
    List<String[]> l = new ArrayList<>();
    for (String line : lines(route6)) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 10) continue;
      try {
        int flags = Integer.parseInt(f[8], 16);
        if (!zero(f[0]) || !f[1].equals("00") || (flags & RTF_UP) == 0
            || (flags & RTF_REJECT) != 0 || f[9].equals("lo"))
          continue;
      } catch (NumberFormatException e) {
        continue;
      }
      l.add(new String[] {f[9], f[4]});
    }
    return l;
  }

  // ---- resolvers and search list

  private void dns(PasstConfig c, HostOverrides ov, List<String> warnings) {
    boolean dns4Set = !c.ipv4 || !c.dns4.isEmpty();
    boolean dns6Set = !c.ipv6 || !c.dns6.isEmpty();
    boolean searchSet = !c.searchDomains.isEmpty() || ov.searchNone();
    boolean dnsSet = (dns4Set && dns6Set) || ov.dnsNone();
    if (dnsSet && searchSet) return;
    int added = 0;
    boolean searchRead = false;
    for (String line : lines(resolvConf)) {
      if (!dnsSet && line.startsWith("nameserver ")) {
        String v = line.substring(line.lastIndexOf(' ') + 1);
        int pct = v.indexOf('%');
        if (pct >= 0) v = v.substring(0, pct);
        Inet4Address v4 = InetLiteral.parse4(v);
        Inet6Address v6 = v4 == null ? InetLiteral.parse6(v) : null;
        if (v4 != null && !dns4Set && c.dns4.size() < MAX_NS) {
          addDns4(c, v4);
          added++;
        } else if (v6 != null && !dns6Set && c.dns6.size() < MAX_NS) {
          addDns6(c, v6);
          added++;
        }
      } else if (!searchSet && !searchRead && line.startsWith("search ")) {
        searchRead = true;
        String[] t = line.trim().split("[ \t]+");
        for (int i = 1; i < t.length && c.searchDomains.size() < MAX_SEARCH; i++)
          c.searchDomains.add(t[i]);
      }
    }
    if (!dnsSet && added == 0) warnings.add("Couldn't get any nameserver address");
  }

  private void addDns4(PasstConfig c, Inet4Address a) {
    if (a.isLoopbackAddress()) {
      if (!c.noMapGw && c.gateway4 != null) {
        c.dns4.add(c.gateway4);
        if (c.dnsForward4 == null) c.dnsForward4 = c.gateway4;
      }
    } else {
      c.dns4.add(a);
    }
    if (c.dnsHost4 == null) c.dnsHost4 = a;
  }

  private void addDns6(PasstConfig c, Inet6Address a) {
    if (a.isLoopbackAddress()) {
      if (!c.noMapGw && c.gateway6 != null) {
        c.dns6.add(c.gateway6);
        if (c.dnsForward6 == null) c.dnsForward6 = c.gateway6;
      }
    } else {
      c.dns6.add(a);
    }
    if (c.dnsHost6 == null) c.dnsHost6 = a;
  }

  // ---- helpers

  private byte[] macOf(String ifname) {
    byte[] m = interfaces.mac(ifname);
    if (m == null || m.length != 6) return null;
    for (byte b : m) if (b != 0) return m.clone();
    return null;
  }

  private static List<String> lines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (IOException e) {
      return List.of();
    }
  }

  private static boolean zero(String hex) {
    for (int i = 0; i < hex.length(); i++) if (hex.charAt(i) != '0') return false;
    return true;
  }

  private static byte[] hex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    return b;
  }

  static int int4(InetAddress a) {
    byte[] b = a.getAddress();
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }
}
